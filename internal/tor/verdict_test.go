package tor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// The tests in this file hold the cases in which a Tor verdict once said
// more than the data held (issue 12, item 6), each on the shared fixtures
// and, where the store is involved, on SQLite and PostgreSQL.

// fixtureDirectory imports the three fixtures into st and loads them.
func fixtureDirectory(t *testing.T, st *store.Store) *Directory {
	t.Helper()
	importFixtures(t, st)
	d, err := LoadDirectory(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkNeverOverstates checks the rule every answer keeps: a negative only
// when the whole period is covered, and the covered and uncovered parts
// splitting the period exactly.
func checkNeverOverstates(t *testing.T, d *Directory, ans Answer) {
	t.Helper()
	what := fmt.Sprintf("%s at %v (± %v)", ans.IP, ans.Time, ans.Window)
	if ans.Covered != (len(ans.UncoveredParts) == 0) {
		t.Errorf("%s: covered %v with uncovered parts %v", what, ans.Covered, ans.UncoveredParts)
	}
	// The parts, in order, tile [From, Until) (or are the instant).
	parts := append(slices.Clone(ans.CoveredParts), ans.UncoveredParts...)
	slices.SortFunc(parts, func(a, b Period) int { return a.From.Compare(b.From) })
	at := ans.From
	for _, p := range parts {
		if !p.From.Equal(at) || p.Until.Before(p.From) {
			t.Errorf("%s: parts %v do not tile %v to %v", what, parts, ans.From, ans.Until)
			break
		}
		at = p.Until
	}
	if !at.Equal(ans.Until) {
		t.Errorf("%s: parts %v end at %v, want %v", what, parts, at, ans.Until)
	}
	for _, p := range ans.CoveredParts {
		if !d.Covers(p.From) || p.Until.After(p.From) && !d.Covers(p.Until.Add(-time.Nanosecond)) {
			t.Errorf("%s: covered part %v is not covered", what, p)
		}
	}
	for _, p := range ans.UncoveredParts {
		if d.Covers(p.From) || p.Until.After(p.From) && d.Covers(p.Until.Add(-time.Nanosecond)) {
			t.Errorf("%s: uncovered part %v is covered", what, p)
		}
	}
	negative := ans.Relay != nil && !*ans.Relay || ans.Exit != nil && !*ans.Exit
	if negative && !ans.Covered {
		t.Errorf("%s: a negative (relay %v, exit %v) with uncovered parts %v", what, ans.Relay, ans.Exit, ans.UncoveredParts)
	}
	says := strings.Contains(ans.Verdict, "was not a Tor relay") || strings.Contains(ans.Verdict, "but not an exit")
	if says && !ans.Covered {
		t.Errorf("%s: verdict %q with uncovered parts %v", what, ans.Verdict, ans.UncoveredParts)
	}
	if !ans.Covered && !strings.HasPrefix(ans.Verdict, "No data for") && !strings.Contains(ans.Verdict, "No consensus held covers") {
		t.Errorf("%s: partly covered, but the verdict does not say which part has no data: %q", what, ans.Verdict)
	}
}

// A window that is only partly covered never answers "not a relay": the
// issue's case was ± 1h around a time 1 s before the data ends.
func TestPartialWindowNeverNegative(t *testing.T) {
	full := readRawConsensus(t, readFixture(t, fullConsensus))
	cropped := readRawConsensus(t, readFixture(t, croppedConsensus))
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := fixtureDirectory(t, st)
		var strangers []netip.Addr
		for i, a := range full.order {
			if _, listed := full.byAddr[flipLast(a)]; i%97 == 0 && !listed {
				strangers = append(strangers, flipLast(a))
			}
		}
		strangers = append(strangers, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"))

		// The case, spelled out.
		end := cropped.freshUntil.Add(-time.Second)
		ans := d.Check(netip.MustParseAddr("192.0.2.1"), end, time.Hour)
		if ans.Covered || ans.Relay != nil || ans.Exit != nil || !strings.HasPrefix(ans.Verdict, "No data for ") {
			t.Errorf("1 s before the data ends, ± 1h: covered %v relay %v exit %v: %q", ans.Covered, ans.Relay, ans.Exit, ans.Verdict)
		}
		wantCov := []Period{{end.Add(-time.Hour), cropped.freshUntil}}
		wantUnc := []Period{{end.Add(-time.Hour), cropped.validAfter}, {cropped.freshUntil, end.Add(time.Hour)}}
		wantCov[0].From = cropped.validAfter
		if !slices.Equal(ans.CoveredParts, wantCov) || !slices.Equal(ans.UncoveredParts, wantUnc) {
			t.Errorf("parts: covered %v, uncovered %v; want %v and %v", ans.CoveredParts, ans.UncoveredParts, wantCov, wantUnc)
		}
		if !strings.Contains(ans.Verdict, "2017-07-17 18:00 UTC to 2017-07-17 18:59:59 UTC") {
			t.Errorf("the verdict does not name the uncovered part: %q", ans.Verdict)
		}
		// The same time with a window inside the data is a negative.
		if ans := d.Check(netip.MustParseAddr("192.0.2.1"), end, 0); ans.Relay == nil || *ans.Relay || !ans.Covered {
			t.Errorf("1 s before the data ends, no window: %+v", ans)
		}

		// Every stranger and relay, at times across each consensus's
		// edges, with windows from none to a day.
		var n int
		for _, c := range []rawConsensusDoc{full, cropped} {
			var times []time.Time
			for _, off := range []time.Duration{-time.Hour, -time.Second, 0, time.Second, 30 * time.Minute, time.Hour - time.Second, time.Hour, 2 * time.Hour} {
				times = append(times, c.validAfter.Add(off))
			}
			addrs := append(slices.Clone(strangers), c.order[:min(20, len(c.order))]...)
			for _, at := range times {
				for _, w := range []time.Duration{0, time.Second, 30 * time.Minute, time.Hour, 24 * time.Hour} {
					for _, a := range addrs {
						n++
						ans := d.Check(a, at, w)
						checkNeverOverstates(t, d, ans)
						lo, hi := at.Add(-w), at.Add(w)
						inside := !lo.Before(c.validAfter) && (w == 0 && hi.Before(c.freshUntil) || w > 0 && !hi.After(c.freshUntil))
						if ans.Covered != inside {
							t.Errorf("%s at %v ± %v: covered %v, want %v", a, at, w, ans.Covered, inside)
						}
					}
				}
			}
		}
		t.Logf("%d answers checked", n)
	})
}

// An address seen only in an exit scan a day away, with no consensus held
// near that time, is reported as a scan observation with its offset; the
// relay question stays open.
func TestScanOnlyObservation(t *testing.T) {
	scans := readRawExitList(t, readFixture(t, exitListFixture))
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := fixtureDirectory(t, st)
		var n int
		for _, s := range scans {
			for _, off := range []time.Duration{-ScanSlack, -time.Hour, 0, 3 * time.Hour} {
				at := s.seen.Add(-off) // the scan is off after the time asked about
				ans := d.Check(s.addr, at, 0)
				checkNeverOverstates(t, d, ans)
				if !ans.ExitByScan || !ans.IsExit() {
					t.Errorf("%s at %v: not an exit by scan: %+v", s.addr, at, ans)
					continue
				}
				if d.Covers(at) {
					continue // the cropped consensus's hour: the relay question has an answer
				}
				n++
				if ans.Covered || ans.Relay != nil || ans.IsRelay() {
					t.Errorf("%s at %v: covered %v relay %v with no consensus held then", s.addr, at, ans.Covered, ans.Relay)
				}
				i := slices.IndexFunc(ans.ExitScans, func(x Scan) bool { return x.Seen.Equal(s.seen) })
				if i < 0 || ans.ExitScans[i].Offset != int64(off/time.Second) {
					t.Errorf("%s at %v: scans %+v, want one at %v with offset %d", s.addr, at, ans.ExitScans, s.seen, off/time.Second)
				}
				first := ans.ExitScans[0]
				want := fmt.Sprintf("%s was seen as an exit address in a scan at %s (%s)", s.addr, stamp(first.Seen), offset(first.Seen, at))
				if !strings.HasPrefix(ans.Verdict, want) || !strings.Contains(ans.Verdict, "whether a relay was listed at this address then is unknown") ||
					strings.Contains(ans.Verdict, "was a Tor exit") || strings.Contains(ans.Verdict, "no relay was listed") {
					t.Errorf("%s at %v: verdict %q, want it to start %q and leave the relay question open", s.addr, at, ans.Verdict, want)
				}
			}
		}
		if n < len(scans) {
			t.Errorf("only %d scan-only cases outside the consensuses", n)
		}
		// The example: 24 h before the scan.
		s := scans[0]
		ans := d.Check(s.addr, s.seen.Add(-24*time.Hour), 0)
		if !strings.Contains(ans.Verdict, "(24h after ") {
			t.Errorf("a scan 24 h later: %q", ans.Verdict)
		}
	})
}

// microdesc rewrites a full consensus as the microdescriptor flavour:
// the version line says so, "r" lines lose their descriptor digest, and
// there are no "p" lines (dir-spec §3.9.2), an "m" line instead.
func microdesc(t *testing.T, full []byte) []byte {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(full), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "@type":
			b.WriteString("@type network-status-microdesc-consensus-3 1.0\n")
		case len(f) > 0 && f[0] == "network-status-version":
			b.WriteString("network-status-version 3 microdesc\n")
		case len(f) == 9 && f[0] == "r":
			b.WriteString(strings.Join(append(f[:3:3], f[4:]...), " ") + "\nm 7ZXM31d1GNtQuZXr0i4ApE11cYnsNkZ5u21SPzT3TZw\n")
		case len(f) > 0 && f[0] == "p":
		default:
			b.WriteString(line)
		}
	}
	return []byte(b.String())
}

// A microdescriptor consensus is passed over with a warning: it claims no
// exit policy, and imported first it does not make the full consensus of
// the same hour be skipped.
func TestMicrodescConsensusFirst(t *testing.T) {
	full := readFixture(t, fullConsensus)
	md := microdesc(t, full)
	c, err := ParseConsensus(strings.NewReader(string(md)))
	if err != nil {
		t.Fatalf("microdesc consensus: %v", err)
	}
	if c.Flavor != Microdesc || len(c.Relays) != 7347 {
		t.Fatalf("flavour %q, %d relays", c.Flavor, len(c.Relays))
	}
	if f, _ := ParseConsensus(strings.NewReader(string(full))); f.Flavor != "" {
		t.Errorf("full consensus read as flavour %q", f.Flavor)
	}
	dir := t.TempDir()
	mdPath, fullPath := filepath.Join(dir, "md", "2017-04-15-00-00-00-consensus-microdesc"), fixturePath(t, fullConsensus)
	writeFile(t, mdPath, md)

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// Alone: nothing imported, and the warning says why.
		stats, err := Import(ctx, st, []string{filepath.Dir(mdPath)}, nil, nil)
		if !errors.Is(err, ErrMicrodesc) || stats.Microdesc != 1 || stats.Consensuses != 0 {
			t.Fatalf("microdesc alone: %+v, %v", stats, err)
		}
		if !strings.Contains(err.Error(), mdPath) {
			t.Errorf("the warning does not name the file: %v", err)
		}
		if n := torCounts(t, st); n != [3]int64{} {
			t.Errorf("rows after a microdesc import: %v", n)
		}
		// Then the full consensus of the same hour: imported, with its
		// exit policies.
		stats, err = Import(ctx, st, []string{fullPath}, nil, nil)
		if err != nil || stats.Consensuses != 1 || stats.Skipped != 0 {
			t.Fatalf("full after microdesc: %+v, %v", stats, err)
		}
		// Both in one import, the microdesc first: the same.
		other := storetest.SQLite(t)
		stats, err = Import(ctx, other, []string{mdPath, fullPath}, nil, nil)
		if !errors.Is(err, ErrMicrodesc) || stats.Consensuses != 1 || stats.Microdesc != 1 {
			t.Fatalf("microdesc then full in one import: %+v, %v", stats, err)
		}
		if a, b := allIntervals(t, st), allIntervals(t, other); !slices.Equal(a, b) {
			t.Errorf("intervals differ between the two imports")
		}
		raw := readRawConsensus(t, full)
		var policies int
		for _, iv := range allIntervals(t, st) {
			ls := raw.byAddr[iv.Addr]
			i := slices.IndexFunc(ls, func(l rawListing) bool { return l.fp == iv.Fingerprint })
			if i < 0 || ls[i].exitPolicy != iv.ExitPolicy {
				t.Errorf("%s %s: exit policy %v, the full consensus says %+v", iv.Addr, iv.Fingerprint, iv.ExitPolicy, ls)
			}
			if iv.ExitPolicy {
				policies++
			}
		}
		if policies == 0 {
			t.Errorf("no exit policy kept from the full consensus")
		}
	})
}

// shifted is the cropped fixture moved to valid-after va (fresh-until one
// hour later, valid-until three), every relay listed as in the fixture.
func shifted(t *testing.T, raw []byte, va time.Time) []byte {
	t.Helper()
	const layout = "2006-01-02 15:04:05"
	out := string(raw)
	for kw, at := range map[string]time.Time{"valid-after": va, "fresh-until": va.Add(time.Hour), "valid-until": va.Add(3 * time.Hour)} {
		re := regexp.MustCompile(`(?m)^` + kw + ` .*$`)
		if !re.MatchString(out) {
			t.Fatalf("no %s line", kw)
		}
		out = re.ReplaceAllString(out, kw+" "+at.Format(layout))
	}
	return []byte(out)
}

// Consensuses imported out of time order (tar members, directories) make
// the same intervals as in order: the unsorted week made a row
// per relay and hour instead of one per relay.
func TestUnsortedImportMerges(t *testing.T) {
	raw := readFixture(t, croppedConsensus)
	c0 := readRawConsensus(t, raw)
	start := c0.validAfter
	const hours = 48
	var files []tarFile
	for h := range hours {
		va := start.Add(time.Duration(h) * time.Hour)
		files = append(files, tarFile{name: va.Format("2006-01-02-15-04-05") + "-consensus", body: shifted(t, raw, va)})
	}
	rng := rand.New(rand.NewPCG(12, 6))
	shuffled := slices.Clone(files)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	dir := t.TempDir()
	sortedTar, shuffledTar := filepath.Join(dir, "sorted.tar"), filepath.Join(dir, "shuffled.tar.xz")
	writeFile(t, sortedTar, writeTar(t, files))
	writeFile(t, shuffledTar, xzCompress(t, writeTar(t, shuffled)))
	// A directory whose names sort in another order than time.
	tree := filepath.Join(dir, "tree")
	for i, f := range shuffled {
		writeFile(t, filepath.Join(tree, fmt.Sprintf("%02d", i%7), fmt.Sprintf("%03d-%s", (i*37)%hours, f.name)), f.body)
	}
	var pairs int
	for _, ls := range c0.byAddr {
		pairs += len(ls)
	}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clear := func() {
			t.Helper()
			for _, table := range []string{"tor_intervals", "tor_consensuses", "tor_exit_scans"} {
				if _, err := st.DB().Exec("DELETE FROM " + table); err != nil {
					t.Fatal(err)
				}
			}
		}
		var want []store.TorInterval
		for i, path := range []string{sortedTar, shuffledTar, tree} {
			clear()
			stats, err := Import(ctx, st, []string{path}, nil, nil)
			if err != nil || stats.Consensuses != hours {
				t.Fatalf("%s: %+v, %v", path, stats, err)
			}
			got := allIntervals(t, st)
			if len(got) != pairs || stats.Intervals != pairs {
				t.Errorf("%s: %d intervals (%d written), want one per relay and address: %d", filepath.Base(path), len(got), stats.Intervals, pairs)
			}
			for _, iv := range got {
				if iv.Consensuses != hours || !iv.First.Equal(start) || !iv.Ends.Equal(start.Add(hours*time.Hour)) {
					t.Errorf("%s: interval %+v, want all %d hours", filepath.Base(path), iv, hours)
					break
				}
			}
			if i == 0 {
				want = got
			} else if !slices.Equal(got, want) {
				t.Errorf("%s: intervals differ from the sorted import", filepath.Base(path))
			}
		}
		// In two imports, the later hours first: the earlier hours'
		// import cannot join what is stored after it, but every hour is
		// still answered.
		clear()
		if _, err := Import(ctx, st, []string{tree}, nil, nil); err != nil {
			t.Fatal(err)
		}
		d, err := LoadDirectory(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for h := range hours {
			at := start.Add(time.Duration(h)*time.Hour + 30*time.Minute)
			for _, a := range c0.order {
				if ans := d.Check(a, at, 0); !ans.IsRelay() || len(ans.Intervals) != len(c0.byAddr[a]) {
					t.Errorf("%s at %v: %+v", a, at, ans)
				}
			}
		}
	})
}

// TestImportOrderProperty imports random subsets of hours of synthetic
// consensuses, in random orders, and compares with the sorted import.
func TestImportOrderProperty(t *testing.T) {
	h0 := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
	relays := []synthRelay{
		{nick: "a", id: 1, addr: "198.51.100.1", ipv6: "2001:db8::1", flags: "Fast Running Valid", p: "reject 1-65535"},
		{nick: "b", id: 2, addr: "198.51.100.2", flags: "Exit Fast Running Valid", p: "accept 80,443"},
		{nick: "c", id: 3, addr: "198.51.100.2", flags: "Running Valid", p: "reject 1-65535"},
	}
	st := storetest.SQLite(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 30 {
		var docs []*Consensus
		for h := range 24 {
			if rng.IntN(6) == 0 {
				continue // a missing hour
			}
			var rs []synthRelay
			for _, r := range relays {
				if rng.IntN(4) == 0 {
					continue // not listed this hour
				}
				if rng.IntN(5) == 0 {
					r.flags = "Fast Running Valid" // lost a flag
				}
				rs = append(rs, r)
			}
			c, err := ParseConsensus(strings.NewReader(synthConsensus(h0.Add(time.Duration(h)*time.Hour), rs...)))
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, c)
		}
		run := func(cs []*Consensus) []store.TorInterval {
			for _, table := range []string{"tor_intervals", "tor_consensuses"} {
				if _, err := st.DB().Exec("DELETE FROM " + table); err != nil {
					t.Fatal(err)
				}
			}
			im, err := NewImporter(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if err := im.Add(Document{Consensus: c}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := im.Finish(nil); err != nil {
				t.Fatal(err)
			}
			return allIntervals(t, st)
		}
		want := run(docs)
		shuffled := slices.Clone(docs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := run(shuffled); !slices.Equal(got, want) {
			t.Fatalf("round %d: %d intervals shuffled, %d sorted:\n%+v\n%+v", round, len(got), len(want), got, want)
		}
	}
}

// `tor exits --at` lists exactly the addresses `tor check` calls exits,
// scans included, at every time and window.
func TestExitsAgreeWithCheck(t *testing.T) {
	cons := []rawConsensusDoc{readRawConsensus(t, readFixture(t, fullConsensus)), readRawConsensus(t, readFixture(t, croppedConsensus))}
	scans := readRawExitList(t, readFixture(t, exitListFixture))
	var addrs []netip.Addr
	for _, c := range cons {
		addrs = append(addrs, c.order...)
	}
	for _, s := range scans {
		addrs = append(addrs, s.addr)
	}
	addrs = append(addrs, netip.MustParseAddr("192.0.2.1"))
	times := []time.Time{cons[0].validAfter, cons[0].validAfter.Add(30 * time.Minute), cons[0].freshUntil, cons[1].validAfter.Add(59 * time.Minute),
		scans[0].seen, scans[0].seen.Add(-20 * time.Hour), scans[len(scans)-1].seen.Add(ScanSlack), time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := fixtureDirectory(t, st)
		var byScanOnly int
		for _, at := range times {
			for _, w := range []time.Duration{0, time.Hour} {
				listed := map[netip.Addr]bool{}
				for _, e := range d.ExitsAt(at, w) {
					listed[e.Addr] = true
					if len(e.Intervals) == 0 {
						byScanOnly++
					}
				}
				for _, a := range addrs {
					if ans := d.Check(a, at, w); ans.IsExit() != listed[a] {
						t.Errorf("%s at %v ± %v: check says exit %v, exits lists it %v", a, at, w, ans.Exit, listed[a])
					}
				}
				if w == 0 {
					for _, a := range addrs {
						if d.IsExit(a, at) != listed[a] {
							t.Errorf("IsExit(%s, %v) = %v, exits lists it %v", a, at, !listed[a], listed[a])
						}
					}
				}
			}
		}
		if byScanOnly == 0 {
			t.Errorf("no address listed by exit scan alone")
		}
	})
}

func TestShortDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {time.Second, "1s"}, {30 * time.Minute, "3" + "0m"}, {time.Hour, "1h"}, {90 * time.Minute, "1h30m"},
		{24 * time.Hour, "24h"}, {time.Hour + 5*time.Second, "1h5s"}, {1500 * time.Millisecond, "1.5s"}, {-time.Minute, "-1m"},
		{720 * time.Hour, "720h"},
	} {
		if got := ShortDuration(c.d); got != c.want {
			t.Errorf("ShortDuration(%v) = %q, want %q", c.d, got, c.want)
		}
		if back, err := time.ParseDuration(ShortDuration(c.d)); err != nil || back != c.d {
			t.Errorf("ShortDuration(%v) = %q reads back as %v, %v", c.d, ShortDuration(c.d), back, err)
		}
	}
}

// The verdict writes the window as it was given: the issue's "--window
// 30m" came out as "(± 3)".
func TestVerdictWindowText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := fixtureDirectory(t, st)
		at := time.Date(2017, 4, 15, 0, 30, 0, 0, time.UTC)
		for w, want := range map[time.Duration]string{30 * time.Minute: "(± 30m)", time.Hour: "(± 1h)", 90 * time.Minute: "(± 1h30m)", 10 * time.Second: "(± 10s)"} {
			ans := d.Check(netip.MustParseAddr("67.164.109.21"), at, w)
			if !strings.Contains(ans.Verdict, "2017-04-15 00:30 UTC "+want) {
				t.Errorf("window %v: verdict %q, want %q", w, ans.Verdict, want)
			}
		}
	})
}

// An IPv6 zone names an interface of the asking machine: it is an error,
// not "not a relay".
func TestZoneRejected(t *testing.T) {
	for _, s := range []string{"fe80::1%eth0", "2001:db8::1%1", "::ffff:67.164.109.21%en0"} {
		_, err := ParseIP(s)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("ip %q", s)) || !strings.Contains(err.Error(), "IPv6 zone") {
			t.Errorf("ParseIP(%q): %v", s, err)
		}
	}
	for s, want := range map[string]string{"67.164.109.21": "67.164.109.21", "::ffff:67.164.109.21": "67.164.109.21", "2001:db8::1": "2001:db8::1"} {
		if a, err := ParseIP(s); err != nil || a.String() != want {
			t.Errorf("ParseIP(%q) = %v, %v", s, a, err)
		}
	}
	if _, err := ParseIP("300.1.1.1"); err == nil || !strings.Contains(err.Error(), "not an IPv4 or IPv6 address") {
		t.Errorf("ParseIP(300.1.1.1): %v", err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := fixtureDirectory(t, st)
		// Were a zoned address to reach Check, it is listed nowhere.
		at := time.Date(2017, 4, 15, 0, 30, 0, 0, time.UTC)
		relay := netip.MustParseAddr("67.164.109.21")
		if ans := d.Check(relay.WithZone(""), at, 0); !ans.IsRelay() {
			t.Fatalf("%s is not a relay: %+v", relay, ans)
		}
		for a := range d.intervals {
			if a.Is6() {
				if ans := d.Check(a.WithZone("eth0"), at, 0); ans.IsRelay() {
					t.Errorf("%s%%eth0 answered as the relay at %s", a, a)
				}
				break
			}
		}
	})
}

// `tor scan` on logs outside the data: the coverage it warns with.
func TestScanOutsideData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := fixtureDirectory(t, st)
		va := time.Date(2017, 4, 15, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			from, until time.Time
			window      time.Duration
			uncovered   []Period
		}{
			{va.Add(10 * time.Minute), va.Add(50 * time.Minute), time.Hour, nil},
			{va.Add(10 * time.Minute), va.Add(3 * time.Hour), time.Hour, []Period{{va.Add(2 * time.Hour), va.Add(3 * time.Hour)}}},
			{va.Add(-3 * time.Hour), va.Add(30 * time.Minute), 0, []Period{{va.Add(-3 * time.Hour), va}}},
			{va.AddDate(0, 0, 16), va.AddDate(0, 0, 17), time.Hour, []Period{{va.AddDate(0, 0, 16), va.AddDate(0, 0, 17)}}},
			{va.Add(10 * time.Minute), va.Add(24 * time.Hour), 24 * time.Hour, nil},
		} {
			_, unc := d.Coverage(c.from, c.until, c.window)
			if !slices.Equal(unc, c.uncovered) {
				t.Errorf("Coverage(%v, %v, %v): uncovered %v, want %v", c.from, c.until, c.window, unc, c.uncovered)
			}
		}
	})
}

// TestFixturesPresent keeps the verdict tests from passing by skipping
// silently where CI has the fixtures.
func TestFixturesPresent(t *testing.T) {
	if _, err := os.Stat(fixtureDir); err != nil && os.Getenv("CI") != "" {
		t.Fatalf("CI without the Tor fixtures at %s: %v", fixtureDir, err)
	}
}
