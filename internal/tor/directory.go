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
	byFP      map[string][]span                  // when each fingerprint was listed (any address)
	from, to  time.Time                          // consensus data held: [from, to)
	spans     []span                             // ... without its gaps, in order
	scanFrom  time.Time
	scanTo    time.Time
	count     int // consensuses
	nScans    int
}

// LoadDirectory reads the Tor data of st.
func LoadDirectory(ctx context.Context, st *store.Store) (*Directory, error) {
	d := &Directory{intervals: map[netip.Addr][]store.TorInterval{}, scans: map[netip.Addr][]store.TorExitScan{}, byFP: map[string][]span{}}
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
		d.byFP[iv.Fingerprint] = append(d.byFP[iv.Fingerprint], span{iv.First, iv.Ends})
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

// Period is a stretch of time in an answer: [From, Until).
type Period struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// coverage splits [lo, hi) (the instant lo when lo == hi) into the parts
// a consensus held was in effect for and the parts none was.
func (d *Directory) coverage(lo, hi time.Time) (covered, uncovered []Period) {
	return coverageOf(d.spans, lo, hi)
}

// coverageOf is coverage over spans (ordered, not overlapping).
func coverageOf(spans []span, lo, hi time.Time) (covered, uncovered []Period) {
	if !hi.After(lo) {
		i, _ := slices.BinarySearchFunc(spans, lo, func(s span, t time.Time) int {
			if !s.to.After(t) {
				return -1
			}
			return 1
		})
		if i < len(spans) && !spans[i].from.After(lo) {
			return []Period{{lo, lo}}, nil
		}
		return nil, []Period{{lo, lo}}
	}
	at := lo
	i, _ := slices.BinarySearchFunc(spans, lo, func(s span, t time.Time) int {
		if !s.to.After(t) {
			return -1
		}
		return 1
	})
	for ; i < len(spans) && spans[i].from.Before(hi); i++ {
		s := spans[i]
		if s.from.After(at) {
			uncovered = append(uncovered, Period{at, s.from})
			at = s.from
		}
		end := s.to
		if end.After(hi) {
			end = hi
		}
		covered = append(covered, Period{at, end})
		at = end
	}
	if at.Before(hi) {
		uncovered = append(uncovered, Period{at, hi})
	}
	return covered, uncovered
}

// Covers reports whether a consensus held was in effect at t.
func (d *Directory) Covers(t time.Time) bool {
	i, _ := slices.BinarySearchFunc(d.spans, t, func(s span, t time.Time) int {
		if !s.to.After(t) {
			return -1
		}
		return 1
	})
	return i < len(d.spans) && !d.spans[i].from.After(t)
}

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

// ExitScans returns how many exit-scan observations the directory holds.
func (d *Directory) ExitScans() int { return d.nScans }

// Span returns the time the consensuses cover, [from, to); zero times when
// there are none.
func (d *Directory) Span() (from, to time.Time) { return d.from, d.to }

// Coverage splits [from, until) (the instant from when until equals it)
// into the periods in which a consensus held was in effect within slack
// of the time and those in which none was.
func (d *Directory) Coverage(from, until time.Time, slack time.Duration) (covered, uncovered []Period) {
	spans := d.spans
	if slack > 0 {
		spans = nil
		for _, s := range d.spans {
			s = span{s.from.Add(-slack), s.to.Add(slack)}
			if n := len(spans); n > 0 && !s.from.After(spans[n-1].to) {
				spans[n-1].to = later(spans[n-1].to, s.to)
				continue
			}
			spans = append(spans, s)
		}
	}
	return coverageOf(spans, from.UTC(), until.UTC())
}

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
	// Offset is Seen minus the answer's Time, in seconds: negative before.
	Offset int64 `json:"offset_seconds"`
}

// The rules an Answer follows.
const (
	RuleFusion     = "fusion"     // the window around T; exit by flag, policy or a scan within ScanSlack
	RuleExoneraTor = "exonerator" // the UTC date ± 1 day; exit by "p" line; scans only of relays listed then
)

// Answer is the answer to Check. Relay and Exit are true when the data
// shows it, false only when consensuses held cover the whole window and
// show no such thing, and null (nil) otherwise: nothing is known about
// the uncovered part, so a negative would overstate.
type Answer struct {
	IP     string        `json:"ip"`
	Time   time.Time     `json:"time"`
	Window time.Duration `json:"-"`
	// WindowText is Window as people write it ("1h0m0s").
	WindowText string `json:"window"`
	// Rule is RuleFusion or RuleExoneraTor.
	Rule string `json:"rule"`
	// From and Until bound the period asked about: [Time-Window,
	// Time+Window), or the instant Time when Window is 0; for
	// RuleExoneraTor, from the day before Time's UTC date to the end of
	// the day after.
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	// Covered says whether consensuses held were in effect over the whole
	// period; CoveredParts and UncoveredParts split the period.
	Covered        bool       `json:"covered"`
	CoveredParts   []Period   `json:"covered_parts"`
	UncoveredParts []Period   `json:"uncovered_parts"`
	DataFrom       *time.Time `json:"data_from,omitempty"`
	DataUntil      *time.Time `json:"data_until,omitempty"`
	Relay          *bool      `json:"relay"`
	Exit           *bool      `json:"exit"`
	ExitByFlag     bool       `json:"exit_by_flag"`
	ExitByPolicy   bool       `json:"exit_by_policy"`
	ExitByScan     bool       `json:"exit_by_scan"`
	Intervals      []Interval `json:"intervals"`
	ExitScans      []Scan     `json:"exit_scans"`
	Verdict        string     `json:"verdict"`
}

// IsRelay reports whether the answer found a relay listing.
func (a *Answer) IsRelay() bool { return a.Relay != nil && *a.Relay }

// IsExit reports whether the answer found the address to be an exit.
func (a *Answer) IsExit() bool { return a.Exit != nil && *a.Exit }

// ParseIP reads the address of a Tor check: IPv4 or IPv6, without an IPv6
// zone (a zone names an interface of the asking machine, which no
// consensus lists). The error names the value and the reason.
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ip %q: not an IPv4 or IPv6 address", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("ip %q: has an IPv6 zone (%%%s), which names an interface of this machine; Tor consensuses list global addresses only, so give the address without it", s, a.Zone())
	}
	return a.Unmap(), nil
}

// Check answers for address a at time t: the relay listings that overlap
// [t-window, t+window], and the exit scans within ScanSlack of that span.
// An address is an exit when a listing has the Exit flag, when its exit
// policy accepts some port, or when the exit scanner saw Tor traffic leave
// from it near t (an exit's outgoing address may differ from the address
// it is listed at). A negative needs consensuses in effect over all of
// [t-window, t+window); for the rest the answer says there is no data.
// An address with a zone is never listed.
func (d *Directory) Check(a netip.Addr, t time.Time, window time.Duration) Answer {
	t = t.UTC()
	return d.answer(a, t, window, t.Add(-window), t.Add(window), RuleFusion)
}

// CheckLikeExoneraTor answers as ExoneraTor does (docs/tor.md): the
// question is a UTC date, and the listings of the day before, the date
// and the day after count; an exit is a relay whose "p" line allows
// exiting (the Exit flag is not used); an exit scan counts only when its
// relay was listed in that period. The coverage rule stays: a negative
// needs consensuses over all three days.
func (d *Directory) CheckLikeExoneraTor(a netip.Addr, date time.Time) Answer {
	date = date.UTC()
	y, m, dd := date.Date()
	lo := time.Date(y, m, dd-1, 0, 0, 0, 0, time.UTC)
	return d.answer(a, date, 0, lo, lo.AddDate(0, 0, 3), RuleExoneraTor)
}

func (d *Directory) answer(a netip.Addr, t time.Time, window time.Duration, lo, hi time.Time, rule string) Answer {
	a = a.Unmap()
	ans := Answer{IP: a.String(), Time: t, Window: window, WindowText: window.String(), Rule: rule, From: lo, Until: hi,
		Intervals: []Interval{}, ExitScans: []Scan{}, CoveredParts: []Period{}, UncoveredParts: []Period{}}
	if rule == RuleExoneraTor {
		ans.WindowText = ""
	}
	if d.count > 0 {
		from, to := d.from, d.to
		ans.DataFrom, ans.DataUntil = &from, &to
	}
	cov, unc := d.coverage(lo, hi)
	ans.CoveredParts, ans.Covered = append(ans.CoveredParts, cov...), len(unc) == 0
	ans.UncoveredParts = append(ans.UncoveredParts, unc...)
	if a.Zone() != "" {
		a = netip.Addr{} // listed nowhere: no intervals, no scans
	}
	relay := false
	for _, iv := range d.intervals[a] {
		if iv.First.After(hi) || iv.First.Equal(hi) && hi.After(lo) {
			break
		}
		if !iv.Ends.After(lo) {
			continue
		}
		relay = true
		ans.ExitByFlag = ans.ExitByFlag || iv.ExitFlag && rule == RuleFusion
		ans.ExitByPolicy = ans.ExitByPolicy || iv.ExitPolicy
		ans.Intervals = append(ans.Intervals, Interval{Fingerprint: iv.Fingerprint, Nickname: iv.Nickname, From: iv.First, Until: iv.Ends,
			Consensuses: iv.Consensuses, ORPort: iv.ORPort, DirPort: iv.DirPort, Flags: strings.Fields(iv.Flags), ExitFlag: iv.ExitFlag, ExitPolicy: iv.ExitPolicy})
	}
	slo, shi := lo.Add(-ScanSlack), hi.Add(ScanSlack)
	if rule == RuleExoneraTor {
		slo, shi = lo, hi
	}
	for _, x := range d.scans[a] {
		if x.Seen.After(shi) {
			break
		}
		if x.Seen.Before(slo) || rule == RuleExoneraTor && !d.listedIn(x.Fingerprint, lo, hi) {
			continue
		}
		ans.ExitByScan = true
		ans.ExitScans = append(ans.ExitScans, Scan{Fingerprint: x.Fingerprint, Seen: x.Seen, Offset: int64(x.Seen.Sub(t) / time.Second)})
	}
	exit := ans.ExitByFlag || ans.ExitByPolicy || ans.ExitByScan
	switch {
	case relay || exit:
		ans.Relay, ans.Exit = &relay, &exit
		if !relay && !ans.Covered {
			ans.Relay = nil // seen by a scan; whether listed is not known
		}
		if !exit && !ans.Covered {
			ans.Exit = nil // listed, not as an exit, in what is covered
		}
	case ans.Covered:
		ans.Relay, ans.Exit = &relay, &exit
	}
	ans.Verdict = d.verdict(&ans)
	return ans
}

// listedIn reports whether the relay fp was listed (at any address) in a
// consensus in effect during [lo, hi).
func (d *Directory) listedIn(fp string, lo, hi time.Time) bool {
	for _, s := range d.byFP[fp] {
		if s.from.Before(hi) && s.to.After(lo) {
			return true
		}
	}
	return false
}

// IsExit reports whether a was a Tor exit at t (by flag, policy or scan),
// the caution attached to sightings and hits: what Check(a, t, 0) calls
// an exit.
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

// ExitAt is one address ExitsAt lists: the exit listings and the exit
// scans behind it.
type ExitAt struct {
	Addr      netip.Addr
	Intervals []store.TorInterval // listings with the Exit flag or an exit policy that allows exiting
	Scans     []store.TorExitScan // exit scans within ScanSlack of the window
}

// ExitsAt returns every address that Check(addr, t, window) calls an exit,
// in address order: exactly those, so that a list of exits and a check of
// one address never disagree.
func (d *Directory) ExitsAt(t time.Time, window time.Duration) []ExitAt {
	t = t.UTC()
	lo, hi := t.Add(-window), t.Add(window)
	slo, shi := lo.Add(-ScanSlack), hi.Add(ScanSlack)
	byAddr := map[netip.Addr]*ExitAt{}
	get := func(a netip.Addr) *ExitAt {
		e := byAddr[a]
		if e == nil {
			e = &ExitAt{Addr: a}
			byAddr[a] = e
		}
		return e
	}
	for a, ivs := range d.intervals {
		for _, iv := range ivs {
			if iv.First.After(hi) || iv.First.Equal(hi) && hi.After(lo) {
				break
			}
			if iv.Ends.After(lo) && (iv.ExitFlag || iv.ExitPolicy) {
				e := get(a)
				e.Intervals = append(e.Intervals, iv)
			}
		}
	}
	for a, xs := range d.scans {
		for _, x := range xs {
			if x.Seen.After(shi) {
				break
			}
			if !x.Seen.Before(slo) {
				e := get(a)
				e.Scans = append(e.Scans, x)
			}
		}
	}
	out := make([]ExitAt, 0, len(byAddr))
	for _, e := range byAddr {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b ExitAt) int { return a.Addr.Compare(b.Addr) })
	return out
}

const day = "2006-01-02 15:04 MST"

// stamp writes t for a verdict: to the minute, or to the second when it
// has seconds.
func stamp(t time.Time) string {
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05 MST")
	}
	return t.Format(day)
}

// periods writes periods as "A to B, C to D".
func periods(ps []Period) string {
	var parts []string
	for _, p := range ps {
		if p.From.Equal(p.Until) {
			parts = append(parts, stamp(p.From))
			continue
		}
		parts = append(parts, stamp(p.From)+" to "+stamp(p.Until))
	}
	if len(parts) > 4 {
		parts = append(parts[:3], fmt.Sprintf("%d other periods", len(parts)-3))
	}
	if n := len(parts); n > 1 {
		return strings.Join(parts[:n-1], ", ") + " and " + parts[n-1]
	}
	return strings.Join(parts, ", ")
}

// offset says how far s is from t: "3h20m after 2017-04-15 00:30 UTC",
// "5m before ...", "the time asked about".
func offset(s, t time.Time) string {
	switch d := s.Sub(t); {
	case d == 0:
		return "the time asked about"
	case d > 0:
		return ShortDuration(d) + " after " + stamp(t)
	default:
		return ShortDuration(-d) + " before " + stamp(t)
	}
}

// verdict is the plain-language answer an investigator can paste into a
// report.
func (d *Directory) verdict(a *Answer) string {
	when := stamp(a.Time) // the period asked about, as a noun
	switch {
	case a.Rule == RuleExoneraTor:
		when = fmt.Sprintf("%s (by ExoneraTor's rule, %s to %s)", a.Time.Format("2006-01-02"), stamp(a.From), stamp(a.Until))
	case a.Window > 0:
		when += fmt.Sprintf(" (± %s)", ShortDuration(a.Window))
	}
	at := "at " + when
	if a.Rule == RuleExoneraTor {
		at = "on " + when
	}
	var b strings.Builder
	relay, exit := a.IsRelay(), a.ExitByFlag || a.ExitByPolicy
	switch {
	case relay && exit:
		fmt.Fprintf(&b, "%s was a Tor exit %s.", a.IP, at)
	case relay && a.Covered:
		fmt.Fprintf(&b, "%s was a Tor relay, but not an exit, %s.", a.IP, at)
	case relay:
		fmt.Fprintf(&b, "%s was a Tor relay %s, not listed as an exit in the consensuses held for that period.", a.IP, at)
	case a.ExitByScan:
		x := a.ExitScans[0]
		fmt.Fprintf(&b, "%s was seen as an exit address in a scan at %s (%s)", a.IP, stamp(x.Seen), offset(x.Seen, a.Time))
		if n := len(a.ExitScans); n > 1 {
			fmt.Fprintf(&b, " and %s within a day of that period", plural(n-1, "once more", fmt.Sprintf("%d more times", n-1)))
		}
		b.WriteString(": the exit scanner saw Tor traffic leave from it.")
		if a.Covered {
			b.WriteString(" No relay was listed at this address in the consensuses in effect then; an exit's outgoing address can differ from its listed one.")
		} else if len(a.CoveredParts) == 0 {
			fmt.Fprintf(&b, " No consensus held covers %s, so whether a relay was listed at this address then is unknown.", when)
		} else {
			fmt.Fprintf(&b, " No relay was listed at this address in the consensuses in effect %s; no consensus held covers %s, so whether one was listed then is unknown.",
				periods(a.CoveredParts), periods(a.UncoveredParts))
		}
	case len(a.CoveredParts) == 0 && d.count == 0 && d.nScans == 0:
		return fmt.Sprintf("No data for %s: no Tor consensus or exit list has been imported, so nothing can be said about whether %s was a Tor relay or exit then.", when, a.IP)
	case len(a.CoveredParts) == 0:
		held := "none"
		if d.count > 0 {
			held = d.held()
		}
		return fmt.Sprintf("No data for %s: the Tor consensuses held cover %s, so nothing can be said about whether %s was a Tor relay or exit then.", when, held, a.IP)
	case !a.Covered:
		return fmt.Sprintf("No data for %s of the period asked about (%s): no consensus held covers it, so nothing can be said about whether %s was a Tor relay or exit then. In the consensuses in effect %s it was not listed as a relay, and no exit scan held saw it within a day.",
			periods(a.UncoveredParts), when, a.IP, periods(a.CoveredParts))
	default:
		return fmt.Sprintf("%s was not a Tor relay or exit %s: it is in none of the consensuses or exit lists held for that time.", a.IP, at)
	}
	for _, iv := range a.Intervals {
		fmt.Fprintf(&b, " Relay %s (%s) was listed at this address from %s to %s (%s, ORPort %d", iv.Nickname, iv.Fingerprint,
			stamp(iv.From), stamp(iv.Until), plural(iv.Consensuses, "1 hourly consensus", "hourly consensuses"), iv.ORPort)
		switch {
		case a.Rule == RuleExoneraTor && iv.ExitPolicy:
			b.WriteString(", with an exit policy that allows exiting).")
		case a.Rule == RuleExoneraTor:
			b.WriteString(", with an exit policy that rejects every port).")
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
	if relay && len(a.ExitScans) > 0 {
		x := a.ExitScans[0]
		fmt.Fprintf(&b, " The exit scanner saw Tor traffic leave from this address %s, first at %s (%s).",
			plural(len(a.ExitScans), "once", fmt.Sprintf("%d times", len(a.ExitScans))), stamp(x.Seen), offset(x.Seen, a.Time))
	}
	if relay && !a.Covered {
		fmt.Fprintf(&b, " No consensus held covers %s of that period: nothing is known about this address then.", periods(a.UncoveredParts))
	}
	if exit || a.ExitByScan {
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

// ShortDuration writes d as people do: "30m", "1h", "1h30m", "45s",
// "36h". Fractions of a second are kept as Go writes them.
func ShortDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d < 0 {
		return "-" + ShortDuration(-d)
	}
	if d%time.Second != 0 {
		return d.String()
	}
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}
