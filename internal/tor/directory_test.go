package tor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// The raw reader below reads the fixtures with plain string handling, so
// that what Import and Check make of them is checked against an
// independent reading rather than against the package's own parsers.

// rawListing is one relay listed at one address in one consensus.
type rawListing struct {
	nick, fp   string
	orPort     uint16 // at this address: the r line's, or the a line's
	exitFlag   bool   // "s" line has Exit
	exitPolicy bool   // "p" line allows some port
}

// rawConsensusDoc is what a consensus says, per address.
type rawConsensusDoc struct {
	validAfter, freshUntil time.Time
	relays                 int // "r" lines
	byAddr                 map[netip.Addr][]rawListing
	order                  []netip.Addr // addresses in document order
}

// rawScan is one ExitAddress line.
type rawScan struct {
	addr netip.Addr
	fp   string
	seen time.Time
}

func rawTime(t *testing.T, date, clock string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04:05", date+" "+clock)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// rawPolicyAllowsAny reports whether a "p" line's arguments allow some
// port from 1 to 65535.
func rawPolicyAllowsAny(t *testing.T, verb, list string) bool {
	t.Helper()
	if verb == "accept" {
		return true
	}
	if verb != "reject" {
		t.Fatalf("p line verb %q", verb)
	}
	type span struct{ lo, hi int }
	var spans []span
	for _, item := range strings.Split(list, ",") {
		lo, hi, ok := strings.Cut(item, "-")
		if !ok {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil {
			t.Fatalf("p line port list %q", list)
		}
		spans = append(spans, span{l, h})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.lo - b.lo })
	next := 1 // lowest port not known to be rejected
	for _, s := range spans {
		if s.lo > next {
			return true
		}
		next = max(next, s.hi+1)
	}
	return next <= 65535
}

func readRawConsensus(t *testing.T, raw []byte) rawConsensusDoc {
	t.Helper()
	d := rawConsensusDoc{byAddr: map[netip.Addr][]rawListing{}}
	type entry struct {
		l     rawListing
		addrs []netip.AddrPort // the r line's, then the a lines'
	}
	var cur *entry
	flush := func() {
		if cur == nil {
			return
		}
		for _, ap := range cur.addrs {
			a, l := ap.Addr(), cur.l
			l.orPort = ap.Port()
			if _, ok := d.byAddr[a]; !ok {
				d.order = append(d.order, a)
			}
			d.byAddr[a] = append(d.byAddr[a], l)
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "valid-after":
			d.validAfter = rawTime(t, f[1], f[2])
		case "fresh-until":
			d.freshUntil = rawTime(t, f[1], f[2])
		case "directory-footer", "directory-signature":
			flush()
			return d
		case "r":
			flush()
			d.relays++
			id, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(f[2], "="))
			if err != nil || len(id) != 20 {
				t.Fatalf("r line identity %q: %v", f[2], err)
			}
			addr := netip.MustParseAddr(f[len(f)-3])
			or, err := strconv.Atoi(f[len(f)-2])
			if err != nil {
				t.Fatal(err)
			}
			cur = &entry{l: rawListing{nick: f[1], fp: strings.ToUpper(hex.EncodeToString(id))}, addrs: []netip.AddrPort{netip.AddrPortFrom(addr, uint16(or))}}
		case "a":
			if cur == nil {
				t.Fatalf("a line before any r line")
			}
			ap := netip.MustParseAddrPort(f[1])
			if !ap.Addr().Is6() {
				t.Fatalf("a line %q is not IPv6", f[1])
			}
			cur.addrs = append(cur.addrs, ap)
		case "s":
			if cur != nil {
				cur.l.exitFlag = slices.Contains(f[1:], "Exit")
			}
		case "p":
			if cur != nil {
				cur.l.exitPolicy = rawPolicyAllowsAny(t, f[1], f[2])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatal("consensus has no directory-footer or directory-signature")
	return d
}

func readRawExitList(t *testing.T, raw []byte) []rawScan {
	t.Helper()
	var out []rawScan
	fp := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "ExitNode":
			fp = strings.ToUpper(f[1])
		case "ExitAddress":
			out = append(out, rawScan{addr: netip.MustParseAddr(f[1]), fp: fp, seen: rawTime(t, f[2], f[3])})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// scannedNear reports whether the raw exit list saw addr within ScanSlack
// of t.
func scannedNear(scans []rawScan, addr netip.Addr, t time.Time) bool {
	for _, s := range scans {
		if s.addr == addr && !s.seen.Before(t.Add(-ScanSlack)) && !s.seen.After(t.Add(ScanSlack)) {
			return true
		}
	}
	return false
}

// flipLast returns a with the bits of its last byte inverted.
func flipLast(a netip.Addr) netip.Addr {
	if a.Is4() {
		b := a.As4()
		b[3] ^= 0xff
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	b[15] ^= 0xff
	return netip.AddrFrom16(b)
}

func importFixtures(t *testing.T, st *store.Store) ImportStats {
	t.Helper()
	stats, err := Import(context.Background(), st, []string{
		fixturePath(t, fullConsensus), fixturePath(t, croppedConsensus), fixturePath(t, exitListFixture),
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return stats
}

func TestCheckAgreesWithRawFixtures(t *testing.T) {
	cons := []rawConsensusDoc{
		readRawConsensus(t, readFixture(t, fullConsensus)),
		readRawConsensus(t, readFixture(t, croppedConsensus)),
	}
	scans := readRawExitList(t, readFixture(t, exitListFixture))
	if cons[0].relays != 7347 || cons[1].relays != 5 || len(scans) != 44 {
		t.Fatalf("raw reader: %d and %d relays, %d exit addresses; want 7347, 5, 44", cons[0].relays, cons[1].relays, len(scans))
	}
	everRelay := map[netip.Addr]bool{}
	for _, c := range cons {
		for a := range c.byAddr {
			everRelay[a] = true
		}
	}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		stats := importFixtures(t, st)
		if stats.Consensuses != 2 || stats.Skipped != 0 || stats.ExitLists != 1 || stats.ExitScans != len(scans) || stats.Relays != cons[0].relays+cons[1].relays {
			t.Errorf("import stats %+v", stats)
		}
		d, err := LoadDirectory(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		if d.Consensuses() != 2 {
			t.Errorf("directory holds %d consensuses, want 2", d.Consensuses())
		}
		if from, to := d.Span(); !from.Equal(cons[0].validAfter) || !to.Equal(cons[1].freshUntil) {
			t.Errorf("span %v to %v", from, to)
		}
		var nRelay, nScan, nNonRelay, nOutside int

		// Every relay address at its consensus's valid-after time.
		for _, c := range cons {
			at := c.validAfter
			for _, addr := range c.order {
				nRelay++
				ls := c.byAddr[addr]
				var wantFlag, wantPolicy bool
				for _, l := range ls {
					wantFlag = wantFlag || l.exitFlag
					wantPolicy = wantPolicy || l.exitPolicy
				}
				wantScan := scannedNear(scans, addr, at)
				ans := d.Check(addr, at, 0)
				if !ans.IsRelay() || !ans.Covered || ans.ExitByFlag != wantFlag || ans.ExitByPolicy != wantPolicy || ans.ExitByScan != wantScan ||
					ans.Exit == nil || *ans.Exit != (wantFlag || wantPolicy || wantScan) {
					t.Errorf("%s at %v: relay %v covered %v exit %v (flag %v policy %v scan %v); want relay, covered, exit by flag %v, policy %v, scan %v",
						addr, at, ans.Relay, ans.Covered, ans.Exit, ans.ExitByFlag, ans.ExitByPolicy, ans.ExitByScan, wantFlag, wantPolicy, wantScan)
				}
				if len(ans.Intervals) != len(ls) {
					t.Errorf("%s at %v: %d intervals, want %d: %+v", addr, at, len(ans.Intervals), len(ls), ans.Intervals)
				}
				for _, l := range ls {
					i := slices.IndexFunc(ans.Intervals, func(iv Interval) bool { return iv.Fingerprint == l.fp })
					if i < 0 {
						t.Errorf("%s at %v: no interval of %s (%s): %+v", addr, at, l.fp, l.nick, ans.Intervals)
						continue
					}
					iv := ans.Intervals[i]
					if iv.Nickname != l.nick || iv.ORPort != l.orPort || iv.ExitFlag != l.exitFlag || iv.ExitPolicy != l.exitPolicy ||
						!iv.From.Equal(at) || !iv.Until.Equal(c.freshUntil) || iv.Consensuses != 1 {
						t.Errorf("%s at %v: interval %+v, want %+v from %v until %v", addr, at, iv, l, at, c.freshUntil)
					}
				}
				if got := d.IsExit(addr, at); got != (wantFlag || wantPolicy || wantScan) {
					t.Errorf("IsExit(%s, %v) = %v", addr, at, got)
				}
				if _, ok := d.RelayAt(addr, ls[0].orPort, at, 0); !ok {
					t.Errorf("RelayAt(%s, %d, %v) found nothing", addr, ls[0].orPort, at)
				}
			}
			// ExitsAt lists exactly the addresses with an exit listing or
			// an exit scan within a day.
			var want []netip.Addr
			for addr, ls := range c.byAddr {
				if slices.ContainsFunc(ls, func(l rawListing) bool { return l.exitFlag || l.exitPolicy }) || scannedNear(scans, addr, at) {
					want = append(want, addr)
				}
			}
			for _, s := range scans {
				if _, listed := c.byAddr[s.addr]; !listed && scannedNear(scans, s.addr, at) && !slices.Contains(want, s.addr) {
					want = append(want, s.addr)
				}
			}
			slices.SortFunc(want, netip.Addr.Compare)
			var got []netip.Addr
			for _, e := range d.ExitsAt(at, 0) {
				got = append(got, e.Addr)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ExitsAt(%v): %d addresses, want %d", at, len(got), len(want))
			}
		}

		// Every exit-list observation at its own time.
		for _, s := range scans {
			nScan++
			ans := d.Check(s.addr, s.seen, 0)
			if !ans.IsExit() || !ans.ExitByScan || ans.Covered != d.Covers(s.seen) || ans.Covered != (ans.Relay != nil) {
				t.Errorf("%s at %v: exit %v by scan %v covered %v relay %v; want an exit by scan, covered and relay known only where a consensus is in effect",
					s.addr, s.seen, ans.Exit, ans.ExitByScan, ans.Covered, ans.Relay)
			}
			if !ans.IsRelay() && !strings.Contains(ans.Verdict, "was seen as an exit address in a scan at "+stamp(s.seen)+" (the time asked about)") {
				t.Errorf("%s at %v: verdict %q", s.addr, s.seen, ans.Verdict)
			}
			if !slices.ContainsFunc(ans.ExitScans, func(x Scan) bool { return x.Fingerprint == s.fp && x.Seen.Equal(s.seen) }) {
				t.Errorf("%s at %v: no exit scan of %s at that time: %+v", s.addr, s.seen, s.fp, ans.ExitScans)
			}
			if !d.IsExit(s.addr, s.seen) {
				t.Errorf("IsExit(%s, %v) = false", s.addr, s.seen)
			}
		}

		// Addresses that were never relays.
		checkNonRelay := func(addr netip.Addr, at time.Time) {
			t.Helper()
			nNonRelay++
			ans := d.Check(addr, at, 0)
			if ans.IsRelay() || len(ans.Intervals) != 0 || ans.ExitByFlag || ans.ExitByPolicy || !ans.Covered {
				t.Errorf("%s at %v (not a relay): relay %v covered %v intervals %+v", addr, at, ans.Relay, ans.Covered, ans.Intervals)
			}
			if scannedNear(scans, addr, at) {
				if !ans.IsExit() || !ans.ExitByScan {
					t.Errorf("%s at %v (exit scan near): exit %v by scan %v", addr, at, ans.Exit, ans.ExitByScan)
				}
				return
			}
			if ans.Exit == nil || *ans.Exit || ans.Relay == nil || *ans.Relay || ans.ExitByScan || !strings.Contains(ans.Verdict, "was not a Tor relay or exit") {
				t.Errorf("%s at %v (not a relay, no scan): exit %v, verdict %q", addr, at, ans.Exit, ans.Verdict)
			}
		}
		for _, c := range cons {
			checkNonRelay(netip.MustParseAddr("192.0.2.1"), c.validAfter)
			checkNonRelay(netip.MustParseAddr("2001:db8::1"), c.validAfter)
			for i, addr := range c.order {
				if i%5 != 0 {
					continue
				}
				if other := flipLast(addr); !everRelay[other] {
					checkNonRelay(other, c.validAfter)
				}
			}
		}
		// A relay of one consensus, when it is not listed in the other.
		for i, c := range cons {
			other := cons[1-i]
			for _, addr := range other.order {
				if _, ok := c.byAddr[addr]; !ok {
					checkNonRelay(addr, c.validAfter.Add(30*time.Minute))
				}
			}
		}

		// Times with no data: before, after, and in the months between the
		// two consensuses (far enough from the exit scans).
		outside := []time.Time{
			time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			cons[0].validAfter.Add(-time.Second),
			cons[0].freshUntil,
			time.Date(2017, 5, 15, 12, 0, 0, 0, time.UTC),
			cons[1].freshUntil.Add(ScanSlack + time.Second),
		}
		var addrs []netip.Addr
		for _, c := range cons {
			for i, a := range c.order {
				if i%50 == 0 {
					addrs = append(addrs, a)
				}
			}
		}
		for _, s := range scans {
			addrs = append(addrs, s.addr)
		}
		addrs = append(addrs, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"))
		for _, at := range outside {
			for _, addr := range addrs {
				nOutside++
				ans := d.Check(addr, at, 0)
				if ans.Covered || ans.Relay != nil || ans.Exit != nil || !strings.HasPrefix(ans.Verdict, "No data for") {
					t.Errorf("%s at %v (no data): covered %v relay %v exit %v verdict %q", addr, at, ans.Covered, ans.Relay, ans.Exit, ans.Verdict)
				}
			}
		}
		t.Logf("checked %d relay addresses, %d exit scans, %d non-relay addresses, %d times without data: %d cases",
			nRelay, nScan, nNonRelay, nOutside, nRelay+nScan+nNonRelay+nOutside)
	})
}

// torCounts returns the row counts of the Tor tables.
func torCounts(t *testing.T, st *store.Store) [3]int64 {
	t.Helper()
	var n [3]int64
	for i, table := range []string{"tor_consensuses", "tor_intervals", "tor_exit_scans"} {
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// allIntervals returns every stored interval, in a fixed order.
func allIntervals(t *testing.T, st *store.Store) []store.TorInterval {
	t.Helper()
	var out []store.TorInterval
	if err := st.TorIntervals(context.Background(), time.Time{}, func(iv store.TorInterval) error {
		out = append(out, iv)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b store.TorInterval) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		if c := strings.Compare(a.Fingerprint, b.Fingerprint); c != 0 {
			return c
		}
		return a.First.Compare(b.First)
	})
	return out
}

func TestImportIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		first := importFixtures(t, st)
		if first.Consensuses != 2 || first.Skipped != 0 {
			t.Errorf("first import %+v", first)
		}
		before, ivs := torCounts(t, st), allIntervals(t, st)
		if before[0] != 2 || before[1] == 0 || before[2] != 44 {
			t.Errorf("after the first import: %d consensuses, %d intervals, %d exit scans", before[0], before[1], before[2])
		}
		second := importFixtures(t, st)
		if second.Consensuses != 0 || second.Skipped != 2 || second.Intervals != 0 || second.Relays != 0 {
			t.Errorf("second import %+v, want both consensuses skipped", second)
		}
		if after := torCounts(t, st); after != before {
			t.Errorf("row counts (consensuses, intervals, exit scans) %v after reimport, %v before", after, before)
		}
		if got := allIntervals(t, st); !slices.Equal(got, ivs) {
			t.Errorf("intervals changed on reimport")
		}
	})
}

// synthRelay is a router entry of a synthetic consensus.
type synthRelay struct {
	nick  string
	id    byte // the identity is 20 bytes of id
	addr  string
	ipv6  string // "" for none
	flags string
	p     string
}

func (r synthRelay) fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(bytes.Repeat([]byte{r.id}, 20)))
}

// synthConsensus writes a small consensus valid for the hour from va.
func synthConsensus(va time.Time, relays ...synthRelay) string {
	const layout = "2006-01-02 15:04:05"
	var b strings.Builder
	fmt.Fprintf(&b, "network-status-version 3\nvote-status consensus\nvalid-after %s\nfresh-until %s\nvalid-until %s\nknown-flags Exit Fast Running Valid\n",
		va.Format(layout), va.Add(time.Hour).Format(layout), va.Add(3*time.Hour).Format(layout))
	for _, r := range relays {
		id := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{r.id}, 20))
		fmt.Fprintf(&b, "r %s %s %s %s %s 9001 0\n", r.nick, id, id, va.Add(-time.Hour).Format(layout), r.addr)
		if r.ipv6 != "" {
			fmt.Fprintf(&b, "a [%s]:9001\n", r.ipv6)
		}
		fmt.Fprintf(&b, "s %s\np %s\n", r.flags, r.p)
	}
	b.WriteString("directory-footer\ndirectory-signature 0232AF901C31A04EE9848595AF9BB7620D4C5B2E 70A6DDEB6B42FD0714B8F91F3F6B366CECF4E8B9\n-----BEGIN SIGNATURE-----\n-----END SIGNATURE-----\n")
	return b.String()
}

func TestIntervalsMergeAcrossImports(t *testing.T) {
	h0 := time.Date(2020, 3, 1, 10, 0, 0, 0, time.UTC)
	h1, h2, h3 := h0.Add(time.Hour), h0.Add(2*time.Hour), h0.Add(3*time.Hour)
	steady := synthRelay{nick: "steady", id: 1, addr: "198.51.100.1", ipv6: "2001:db8::1:1", flags: "Fast Running Valid", p: "reject 1-65535"}
	changer := synthRelay{nick: "changer", id: 2, addr: "198.51.100.2", flags: "Fast Running Valid", p: "reject 1-65535"}
	changed := changer
	changed.flags, changed.p = "Exit Fast Running Valid", "accept 80,443"
	vanished := synthRelay{nick: "vanished", id: 3, addr: "198.51.100.3", flags: "Running Valid", p: "reject 1-79,81-65535"}
	docs := make([]*Consensus, 3)
	for i, text := range []string{
		synthConsensus(h0, steady, changer, vanished),
		synthConsensus(h1, steady, changer),
		synthConsensus(h2, steady, changed),
	} {
		c, err := ParseConsensus(strings.NewReader(text))
		if err != nil {
			t.Fatalf("synthetic consensus %d: %v\n%s", i, err, text)
		}
		docs[i] = c
	}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		run := func(cs ...*Consensus) ImportStats {
			t.Helper()
			im, err := NewImporter(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if err := im.Add(Document{Consensus: c}); err != nil {
					t.Fatal(err)
				}
			}
			stats, err := im.Finish(nil)
			if err != nil {
				t.Fatal(err)
			}
			return stats
		}
		if s := run(docs[0]); s.Consensuses != 1 || s.Intervals != 4 {
			t.Errorf("first run %+v, want 1 consensus and 4 intervals", s)
		}
		if s := run(docs[1], docs[2]); s.Consensuses != 2 || s.Skipped != 0 {
			t.Errorf("second run %+v, want 2 consensuses", s)
		}

		type want struct {
			addr        string
			fp          string
			first, last time.Time
			n           int
			flags       string
			exitFlag    bool
			exitPolicy  bool
		}
		wants := []want{
			{"198.51.100.1", steady.fingerprint(), h0, h2, 3, "Fast Running Valid", false, false},
			{"198.51.100.2", changer.fingerprint(), h0, h1, 2, "Fast Running Valid", false, false},
			{"198.51.100.2", changer.fingerprint(), h2, h2, 1, "Exit Fast Running Valid", true, true},
			{"198.51.100.3", vanished.fingerprint(), h0, h0, 1, "Running Valid", false, true},
			{"2001:db8::1:1", steady.fingerprint(), h0, h2, 3, "Fast Running Valid", false, false},
		}
		got := allIntervals(t, st)
		if len(got) != len(wants) {
			t.Errorf("%d intervals, want %d: %+v", len(got), len(wants), got)
		}
		for i, w := range wants {
			if i >= len(got) {
				break
			}
			g := got[i]
			if g.Addr != netip.MustParseAddr(w.addr) || g.Fingerprint != w.fp || !g.First.Equal(w.first) || !g.Last.Equal(w.last) ||
				!g.Ends.Equal(w.last.Add(time.Hour)) || g.Consensuses != w.n || g.Flags != w.flags || g.ExitFlag != w.exitFlag || g.ExitPolicy != w.exitPolicy {
				t.Errorf("interval %d: %+v, want %+v", i, g, w)
			}
		}

		d, err := LoadDirectory(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		// The steady relay: one listing over the three hours, even when
		// asked about all of them.
		ans := d.Check(netip.MustParseAddr("198.51.100.1"), h1.Add(30*time.Minute), 2*time.Hour)
		if !ans.IsRelay() || ans.IsExit() || len(ans.Intervals) != 1 || ans.Intervals[0].Consensuses != 3 || !ans.Intervals[0].From.Equal(h0) || !ans.Intervals[0].Until.Equal(h3) {
			t.Errorf("steady relay: %+v", ans)
		}
		// The relay that changed flags: not an exit before, an exit after.
		changerAddr := netip.MustParseAddr("198.51.100.2")
		if ans := d.Check(changerAddr, h1.Add(30*time.Minute), 0); !ans.IsRelay() || ans.IsExit() || len(ans.Intervals) != 1 {
			t.Errorf("changer in hour 2: %+v", ans)
		}
		if ans := d.Check(changerAddr, h2.Add(30*time.Minute), 0); !ans.IsRelay() || !ans.ExitByFlag || !ans.ExitByPolicy || len(ans.Intervals) != 1 {
			t.Errorf("changer in hour 3: %+v", ans)
		}
		if ans := d.Check(changerAddr, h1.Add(30*time.Minute), time.Hour); len(ans.Intervals) != 2 || !ans.IsExit() {
			t.Errorf("changer over hours 1 to 3: %+v", ans)
		}
		// The relay that vanished: listed in the first hour only.
		vanishedAddr := netip.MustParseAddr("198.51.100.3")
		if ans := d.Check(vanishedAddr, h1.Add(-time.Second), 0); !ans.IsRelay() || !ans.ExitByPolicy || ans.ExitByFlag {
			t.Errorf("vanished relay at the end of hour 1: %+v", ans)
		}
		for _, at := range []time.Time{h1, h1.Add(30 * time.Minute), h2.Add(30 * time.Minute)} {
			if ans := d.Check(vanishedAddr, at, 0); ans.IsRelay() || ans.IsExit() || !ans.Covered || !strings.Contains(ans.Verdict, "was not a Tor relay or exit") {
				t.Errorf("vanished relay at %v: %+v", at, ans)
			}
		}
		if ans := d.Check(vanishedAddr, h3, 0); ans.Covered || ans.Relay != nil {
			t.Errorf("after the last consensus: %+v", ans)
		}

		// Importing the last hour again changes nothing.
		before := torCounts(t, st)
		if s := run(docs[2]); s.Consensuses != 0 || s.Skipped != 1 {
			t.Errorf("rerun %+v", s)
		}
		if after := torCounts(t, st); after != before {
			t.Errorf("row counts %v after rerun, %v before", after, before)
		}
	})
}
