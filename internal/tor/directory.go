package tor

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"fusion/internal/store"
)

// Directory answers "was this address a Tor relay or exit at time T?" from
// memory: the intervals and exit scans of a store, loaded once (a year of
// hourly consensuses is a few tens of thousands of intervals). It is
// immutable; load a new one after an import.
type Directory struct {
	intervals map[netip.Addr][]store.TorInterval // by First
	scans     map[netip.Addr][]store.TorExitScan // by Seen
	from, to  time.Time                          // consensus data held: [from, to)
	spans     []span                             // ... without its gaps, in order
	scanFrom  time.Time
	scanTo    time.Time
	count     int // consensuses
	nScans    int
}

// LoadDirectory reads the Tor data of st.
func LoadDirectory(ctx context.Context, st *store.Store) (*Directory, error) {
	d := &Directory{intervals: map[netip.Addr][]store.TorInterval{}, scans: map[netip.Addr][]store.TorExitScan{}}
	cs, err := st.TorConsensuses(ctx)
	if err != nil {
		return nil, fmt.Errorf("tor: load consensuses: %w", err)
	}
	d.count = len(cs)
	for _, c := range cs { // oldest first
		if n := len(d.spans); n > 0 && !c.ValidAfter.After(d.spans[n-1].to) {
			d.spans[n-1].to = later(d.spans[n-1].to, c.FreshUntil)
			continue
		}
		d.spans = append(d.spans, span{c.ValidAfter, c.FreshUntil})
	}
	if len(d.spans) > 0 {
		d.from, d.to = d.spans[0].from, d.spans[len(d.spans)-1].to
	}
	if err := st.TorIntervals(ctx, time.Time{}, func(iv store.TorInterval) error {
		d.intervals[iv.Addr] = append(d.intervals[iv.Addr], iv)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("tor: load intervals: %w", err)
	}
	if err := st.TorExitScans(ctx, func(x store.TorExitScan) error {
		d.scans[x.Addr] = append(d.scans[x.Addr], x)
		if d.nScans == 0 || x.Seen.Before(d.scanFrom) {
			d.scanFrom = x.Seen
		}
		d.scanTo = later(d.scanTo, x.Seen)
		d.nScans++
		return nil
	}); err != nil {
		return nil, fmt.Errorf("tor: load exit scans: %w", err)
	}
	for _, ivs := range d.intervals {
		slices.SortFunc(ivs, func(a, b store.TorInterval) int { return a.First.Compare(b.First) })
	}
	for _, xs := range d.scans {
		slices.SortFunc(xs, func(a, b store.TorExitScan) int { return a.Seen.Compare(b.Seen) })
	}
	return d, nil
}

// span is a stretch of time consensuses cover: each is in effect from its
// valid-after to its fresh-until, when the next one is due.
type span struct{ from, to time.Time }

// covers reports whether the consensuses held cover any of [lo, hi].
func (d *Directory) covers(lo, hi time.Time) bool {
	i, _ := slices.BinarySearchFunc(d.spans, lo, func(s span, t time.Time) int {
		if !s.to.After(t) {
			return -1
		}
		return 1
	})
	return i < len(d.spans) && !d.spans[i].from.After(hi)
}

// Covers reports whether a consensus held was in effect at t.
func (d *Directory) Covers(t time.Time) bool { return d.covers(t, t) }

// held describes the spans of data held, for a verdict.
func (d *Directory) held() string {
	if len(d.spans) > 3 {
		return fmt.Sprintf("%d periods from %s to %s", len(d.spans), d.from.Format(day), d.to.Format(day))
	}
	var parts []string
	for _, s := range d.spans {
		parts = append(parts, s.from.Format(day)+" to "+s.to.Format(day))
	}
	return strings.Join(parts, ", ")
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Consensuses returns how many consensuses the directory holds.
func (d *Directory) Consensuses() int { return d.count }

// Span returns the time the consensuses cover, [from, to); zero times when
// there are none.
func (d *Directory) Span() (from, to time.Time) { return d.from, d.to }

// ScanSlack is how far from T an exit scan still counts as near it: the
// exit scanner tests each exit about once a day.
const ScanSlack = 24 * time.Hour

// Interval is a relay listing in an answer.
type Interval struct {
	Fingerprint string    `json:"fingerprint"`
	Nickname    string    `json:"nickname"`
	From        time.Time `json:"from"`        // valid-after of the first consensus
	Until       time.Time `json:"until"`       // fresh-until of the last consensus
	Consensuses int       `json:"consensuses"` // how many hourly consensuses listed it
	ORPort      uint16    `json:"or_port"`     // the relay's ORPort at this address
	DirPort     uint16    `json:"dir_port"`    // 0 for none
	Flags       []string  `json:"flags"`       // the "s" line
	ExitFlag    bool      `json:"exit_flag"`   // listed with the Exit flag
	ExitPolicy  bool      `json:"exit_policy"` // its summarized exit policy accepts some port
}

// Scan is an exit-scan observation in an answer.
type Scan struct {
	Fingerprint string    `json:"fingerprint"`
	Seen        time.Time `json:"seen"`
}

// Answer is the answer to Check.
type Answer struct {
	IP     string        `json:"ip"`
	Time   time.Time     `json:"time"`
	Window time.Duration `json:"-"`
	// WindowText is Window as people write it ("1h0m0s").
	WindowText string `json:"window"`
	// Covered says whether the consensuses held span Time.
	Covered      bool       `json:"covered"`
	DataFrom     *time.Time `json:"data_from,omitempty"`
	DataUntil    *time.Time `json:"data_until,omitempty"`
	Relay        bool       `json:"relay"`
	Exit         bool       `json:"exit"`
	ExitByFlag   bool       `json:"exit_by_flag"`
	ExitByPolicy bool       `json:"exit_by_policy"`
	ExitByScan   bool       `json:"exit_by_scan"`
	Intervals    []Interval `json:"intervals"`
	ExitScans    []Scan     `json:"exit_scans"`
	Verdict      string     `json:"verdict"`
}

// Check answers for address a at time t: the relay listings that overlap
// [t-window, t+window], and the exit scans within ScanSlack of that span.
// An address is an exit when a listing has the Exit flag, when its exit
// policy accepts some port, or when the exit scanner saw Tor traffic leave
// from it near t (an exit's outgoing address may differ from the address
// it is listed at).
func (d *Directory) Check(a netip.Addr, t time.Time, window time.Duration) Answer {
	a = a.Unmap()
	t = t.UTC()
	lo, hi := t.Add(-window), t.Add(window)
	ans := Answer{IP: a.String(), Time: t, Window: window, WindowText: window.String(), Intervals: []Interval{}, ExitScans: []Scan{}}
	if d.count > 0 {
		from, to := d.from, d.to
		ans.DataFrom, ans.DataUntil = &from, &to
		ans.Covered = d.covers(lo, hi)
	}
	for _, iv := range d.intervals[a] {
		if iv.First.After(hi) {
			break
		}
		if !iv.Ends.After(lo) {
			continue
		}
		ans.Relay = true
		ans.ExitByFlag = ans.ExitByFlag || iv.ExitFlag
		ans.ExitByPolicy = ans.ExitByPolicy || iv.ExitPolicy
		ans.Intervals = append(ans.Intervals, Interval{Fingerprint: iv.Fingerprint, Nickname: iv.Nickname, From: iv.First, Until: iv.Ends,
			Consensuses: iv.Consensuses, ORPort: iv.ORPort, DirPort: iv.DirPort, Flags: strings.Fields(iv.Flags), ExitFlag: iv.ExitFlag, ExitPolicy: iv.ExitPolicy})
	}
	slo, shi := lo.Add(-ScanSlack), hi.Add(ScanSlack)
	for _, x := range d.scans[a] {
		if x.Seen.After(shi) {
			break
		}
		if x.Seen.Before(slo) {
			continue
		}
		ans.ExitByScan = true
		ans.ExitScans = append(ans.ExitScans, Scan{Fingerprint: x.Fingerprint, Seen: x.Seen})
	}
	if ans.ExitByScan && d.nScans > 0 && !ans.Covered {
		// Exit lists are data too: a scan near t covers it.
		ans.Covered = true
	}
	ans.Exit = ans.ExitByFlag || ans.ExitByPolicy || ans.ExitByScan
	ans.Verdict = d.verdict(&ans)
	return ans
}

// IsExit reports whether a was a Tor exit at t (by flag, policy or scan),
// the caution attached to sightings and hits.
func (d *Directory) IsExit(a netip.Addr, t time.Time) bool {
	if d == nil {
		return false
	}
	a = a.Unmap()
	for _, iv := range d.intervals[a] {
		if iv.First.After(t) {
			break
		}
		if iv.Ends.After(t) && (iv.ExitFlag || iv.ExitPolicy) {
			return true
		}
	}
	for _, x := range d.scans[a] {
		if x.Seen.After(t.Add(ScanSlack)) {
			break
		}
		if !x.Seen.Before(t.Add(-ScanSlack)) {
			return true
		}
	}
	return false
}

// RelayAt returns the listing of a relay at address a whose ORPort or
// DirPort is port, in a consensus within window of t, if any.
func (d *Directory) RelayAt(a netip.Addr, port uint16, t time.Time, window time.Duration) (store.TorInterval, bool) {
	lo, hi := t.Add(-window), t.Add(window)
	for _, iv := range d.intervals[a.Unmap()] {
		if iv.First.After(hi) {
			break
		}
		if iv.Ends.After(lo) && (iv.ORPort == port || iv.DirPort != 0 && iv.DirPort == port) {
			return iv, true
		}
	}
	return store.TorInterval{}, false
}

// ExitsAt returns the listings of exit relays (by flag or policy) in the
// consensus in effect at t, one per address.
func (d *Directory) ExitsAt(t time.Time) []store.TorInterval {
	var out []store.TorInterval
	for _, ivs := range d.intervals {
		for _, iv := range ivs {
			if !iv.First.After(t) && iv.Ends.After(t) && (iv.ExitFlag || iv.ExitPolicy) {
				out = append(out, iv)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b store.TorInterval) int { return a.Addr.Compare(b.Addr) })
	return out
}

const day = "2006-01-02 15:04 MST"

// verdict is the plain-language answer an investigator can paste into a
// report.
func (d *Directory) verdict(a *Answer) string {
	at := a.Time.Format(day)
	if a.Window > 0 {
		at += fmt.Sprintf(" (± %s)", shortDuration(a.Window))
	}
	if !a.Covered {
		if d.count == 0 && d.nScans == 0 {
			return fmt.Sprintf("No data for %s: no Tor consensus or exit list has been imported, so nothing can be said about whether %s was a Tor relay or exit then.", at, a.IP)
		}
		return fmt.Sprintf("No data for %s: the Tor consensuses held cover %s, so nothing can be said about whether %s was a Tor relay or exit then.",
			at, d.held(), a.IP)
	}
	var b strings.Builder
	switch {
	case a.Relay && a.Exit:
		fmt.Fprintf(&b, "%s was a Tor exit at %s.", a.IP, at)
	case a.Relay:
		fmt.Fprintf(&b, "%s was a Tor relay, but not an exit, at %s.", a.IP, at)
	case a.Exit:
		fmt.Fprintf(&b, "%s was a Tor exit address at %s: the exit scanner saw Tor traffic leave from it, though no relay was listed at that address.", a.IP, at)
	default:
		return fmt.Sprintf("%s was not a Tor relay or exit at %s: it is in none of the consensuses or exit lists held for that time.", a.IP, at)
	}
	for _, iv := range a.Intervals {
		fmt.Fprintf(&b, " Relay %s (%s) was listed at this address from %s to %s (%s, ORPort %d", iv.Nickname, iv.Fingerprint,
			iv.From.Format(day), iv.Until.Format(day), plural(iv.Consensuses, "1 hourly consensus", "hourly consensuses"), iv.ORPort)
		switch {
		case iv.ExitFlag && iv.ExitPolicy:
			b.WriteString(", with the Exit flag and an exit policy that allows exiting).")
		case iv.ExitFlag:
			b.WriteString(", with the Exit flag, though its summarized exit policy allows no port).")
		case iv.ExitPolicy:
			b.WriteString(", without the Exit flag, but its exit policy allows exiting to some ports).")
		default:
			b.WriteString(", not an exit: no Exit flag and an exit policy that rejects every port).")
		}
	}
	if len(a.ExitScans) > 0 {
		fmt.Fprintf(&b, " The exit scanner saw Tor traffic leave from this address %s within a day of that time, first at %s.",
			plural(len(a.ExitScans), "once", fmt.Sprintf("%d times", len(a.ExitScans))), a.ExitScans[0].Seen.Format(day))
	}
	if a.Exit {
		b.WriteString(" Traffic from this address at that time may have come from any Tor user; it does not show that the address's operator or subscriber was involved.")
	} else {
		b.WriteString(" Tor users' traffic does not leave the network from a non-exit relay, but connections to it may be Tor use.")
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	if strings.Contains(many, "%") || strings.HasPrefix(many, fmt.Sprint(n)) {
		return many
	}
	return fmt.Sprintf("%d %s", n, many)
}

func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
