package c2

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/zeek"
)

var day0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// traffic builds the logs of a test network.
type traffic struct {
	conns []zeek.Conn
	https []zeek.HTTP
	ssl   []string // JSON lines
	n     int
}

func (tr *traffic) uid() string {
	tr.n++
	return fmt.Sprintf("C%017d", tr.n)
}

func (tr *traffic) conn(at time.Time, src, dst string, port uint16, bytes int64, dur time.Duration) string {
	uid := tr.uid()
	tr.conns = append(tr.conns, zeek.Conn{
		TS: at, UID: uid, OrigH: netip.MustParseAddr(src), OrigP: 50000, RespH: netip.MustParseAddr(dst), RespP: port,
		Proto: "tcp", Duration: dur, OrigBytes: bytes, RespBytes: 300, ConnState: "SF", MissedBytes: 0,
		History: "ShADadFf", OrigPkts: 6, OrigIPBytes: bytes + 320, RespPkts: 6, RespIPBytes: 620,
	})
	return uid
}

func (tr *traffic) get(at time.Time, uid, src, dst, method, host, uri string, body int64) {
	tr.https = append(tr.https, zeek.HTTP{
		TS: at, UID: uid, OrigH: netip.MustParseAddr(src), OrigP: 50000, RespH: netip.MustParseAddr(dst), RespP: 80,
		TransDepth: 1, Method: method, Host: host, URI: uri, Version: "1.1", ResponseBodyLen: body, StatusCode: 200,
		InfoCode: zeek.Unset, Tags: []string{},
	})
}

func (tr *traffic) tls(at time.Time, uid, src, dst, name string) {
	tr.ssl = append(tr.ssl, fmt.Sprintf(`{"ts":%d.0,"uid":%q,"id.orig_h":%q,"id.orig_p":50000,"id.resp_h":%q,"id.resp_p":443,"version":"TLSv13","server_name":%q,"established":true}`,
		at.Unix(), uid, src, dst, name))
}

// periodic adds connections from src every period ± jitter (a share) for
// span, starting at start, each to the next of dsts.
func (tr *traffic) periodic(r *rand.Rand, start time.Time, span, period time.Duration, jitter float64, src string, dsts []string, port uint16, size int64, name string) {
	i := 0
	for at := start; at.Before(start.Add(span)); i++ {
		dst := dsts[i%len(dsts)]
		uid := tr.conn(at, src, dst, port, size+int64(r.IntN(int(size/50)+1)), 300*time.Millisecond)
		if name != "" {
			tr.tls(at, uid, src, dst, name)
		}
		d := float64(period) * (1 + jitter*(2*r.Float64()-1))
		at = at.Add(time.Duration(d))
	}
}

// browsing adds people's irregular traffic: hosts visiting popular and
// rare sites in bursts during the day.
func (tr *traffic) browsing(r *rand.Rand, hosts int, span time.Duration) {
	for h := 0; h < hosts; h++ {
		src := fmt.Sprintf("10.1.0.%d", 100+h)
		for at := day0.Add(8 * time.Hour); at.Before(day0.Add(span)); {
			dst := fmt.Sprintf("198.18.%d.%d", r.IntN(4), r.IntN(200)+1)
			if r.IntN(3) == 0 {
				dst = fmt.Sprintf("198.19.%d.%d", r.IntN(200), r.IntN(200)+1)
			}
			tr.conn(at, src, dst, 443, int64(200+r.IntN(5000)), time.Duration(r.IntN(30000))*time.Millisecond)
			at = at.Add(time.Duration(r.ExpFloat64() * float64(90*time.Second)))
			if at.Hour() >= 18 {
				at = at.Add(14 * time.Hour)
			}
		}
	}
}

// run feeds the logs to a Detector with cfg and returns its findings.
func (tr *traffic) run(t *testing.T, cfg Config) []finding.Finding {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	feed := func(b []byte) {
		zr, err := zeek.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Log(zr); err != nil {
			t.Fatal(err)
		}
	}
	if len(tr.https) > 0 {
		var b bytes.Buffer
		w := zeek.NewWriter(&b, zeek.HTTPLog, zeek.TSV, day0)
		sortByTime(tr.https, func(h zeek.HTTP) time.Time { return h.TS })
		for i := range tr.https {
			if err := w.WriteHTTP(&tr.https[i]); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		feed(b.Bytes())
	}
	if len(tr.ssl) > 0 {
		feed([]byte(strings.Join(tr.ssl, "\n") + "\n"))
	}
	var b bytes.Buffer
	w := zeek.NewWriter(&b, zeek.ConnLog, zeek.TSV, day0)
	sortByTime(tr.conns, func(c zeek.Conn) time.Time { return c.TS })
	for i := range tr.conns {
		if err := w.WriteConn(&tr.conns[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	feed(b.Bytes())
	return d.Findings()
}

func sortByTime[T any](s []T, at func(T) time.Time) {
	slices.SortStableFunc(s, func(a, b T) int { return at(a).Compare(at(b)) })
}

func only(t *testing.T, found []finding.Finding, kind string) []finding.Finding {
	t.Helper()
	var out []finding.Finding
	for _, f := range found {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func TestBeaconFoundAmongBrowsing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tr traffic
	tr.browsing(r, 20, 24*time.Hour)
	tr.periodic(r, day0.Add(2*time.Hour), 20*time.Hour, 300*time.Second, 0.02, "10.1.0.105", []string{"203.0.113.9"}, 8443, 400, "")
	found := tr.run(t, DefaultConfig())
	beacons := only(t, found, finding.C2Beacon)
	if len(beacons) != 1 {
		t.Fatalf("beacons = %+v, want the one", beacons)
	}
	b := beacons[0]
	if b.Entity != "10.1.0.105" || b.Src != "10.1.0.105" || b.Dst != "203.0.113.9" {
		t.Errorf("finding names %s → %s, want 10.1.0.105 → 203.0.113.9", b.Src, b.Dst)
	}
	if b.Score < 0.9 || b.Severity == "" || len(b.Scores) != 4 || b.Stats["connections"] < 200 {
		t.Errorf("score %v severity %q scores %v stats %v", b.Score, b.Severity, b.Scores, b.Stats)
	}
	if !strings.HasPrefix(b.Explanation, "every 300 s") || !strings.Contains(b.Explanation, "for 20 h") {
		t.Errorf("explanation %q", b.Explanation)
	}
	if len(b.UIDs) != 4 {
		t.Errorf("uids %v, want the first two and last two", b.UIDs)
	}
	if !b.Start.Equal(day0.Add(2*time.Hour)) || b.End.Before(day0.Add(21*time.Hour)) {
		t.Errorf("span %v – %v", b.Start, b.End)
	}
	if n := len(found) - 1; n != 0 {
		t.Errorf("%d more findings in browsing: %+v", n, found)
	}
	// The intervals peak at 300 s: bin ⌊4·log2 300⌋ = 32, [294 s, 304 s).
	peak := 0
	for i, n := range b.Intervals {
		if n > b.Intervals[peak] {
			peak = i
		}
	}
	if peak != 32 || IntervalBin(32) > 300 || IntervalBin(33) <= 300 {
		t.Errorf("interval histogram peaks at bin %d (%v s): %v", peak, IntervalBin(peak), b.Intervals)
	}
}

func TestFindingsTwiceAndGoingOn(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	var tr traffic
	tr.browsing(r, 10, 24*time.Hour)
	tr.periodic(r, day0.Add(time.Hour), 20*time.Hour, 120*time.Second, 0.02, "10.1.0.107", []string{"203.0.113.70"}, 443, 300, "")
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := zeek.NewWriter(&b, zeek.ConnLog, zeek.TSV, day0)
	sortByTime(tr.conns, func(c zeek.Conn) time.Time { return c.TS })
	for i := range tr.conns {
		w.WriteConn(&tr.conns[i])
	}
	w.Flush()
	zr, _ := zeek.NewReader(&b)
	if err := d.Log(zr); err != nil {
		t.Fatal(err)
	}
	first, second := d.Findings(), d.Findings()
	if len(first) != 1 || len(second) != 1 || first[0].Score != second[0].Score || first[0].Stats["connections"] != second[0].Stats["connections"] {
		t.Fatalf("asked twice: %+v, then %+v", first, second)
	}
}

func TestPopularPeriodicServiceNotReported(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var tr traffic
	tr.browsing(r, 20, 24*time.Hour)
	for h := 0; h < 20; h++ { // every host checks time and telemetry
		src := fmt.Sprintf("10.1.0.%d", 100+h)
		tr.periodic(r, day0.Add(time.Duration(h)*time.Minute), 24*time.Hour, 1024*time.Second, 0.01, src, []string{"198.51.100.123"}, 123, 48, "")
		tr.periodic(r, day0.Add(time.Duration(h)*time.Minute), 24*time.Hour, 10*time.Minute, 0.05, src, []string{"198.51.100.50", "198.51.100.51"}, 443, 900, "telemetry.example.com")
	}
	found := tr.run(t, DefaultConfig())
	if len(found) != 0 {
		t.Errorf("findings on popular periodic services: %+v", found)
	}
	// The same traffic from two hosts only is not popular.
	var few traffic
	for h := 0; h < 2; h++ {
		few.periodic(r, day0, 24*time.Hour, 1024*time.Second, 0.01, fmt.Sprintf("10.1.0.%d", 100+h), []string{"198.51.100.123"}, 123, 48, "")
	}
	few.browsing(r, 30, 24*time.Hour)
	if n := len(only(t, few.run(t, DefaultConfig()), finding.C2Beacon)); n != 2 {
		t.Errorf("%d beacons from two hosts, want 2", n)
	}
}

func TestBeaconByNameAcrossAddresses(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var tr traffic
	tr.browsing(r, 10, 24*time.Hour)
	tr.periodic(r, day0.Add(time.Hour), 22*time.Hour, 120*time.Second, 0.1, "10.1.0.101", []string{"192.0.2.10", "192.0.2.11", "192.0.2.12"}, 443, 250, "cdn-front.example.net")
	found := tr.run(t, DefaultConfig())
	beacons := only(t, found, finding.C2Beacon)
	if len(beacons) != 1 || beacons[0].Dst != "cdn-front.example.net" || beacons[0].Entity != "10.1.0.101" {
		t.Fatalf("beacons = %+v, want one to cdn-front.example.net", beacons)
	}
	// Allowed by its domain: nothing.
	cfg := DefaultConfig()
	cfg.Allow = &Allowlist{}
	if err := cfg.Allow.Add("example.net"); err != nil {
		t.Fatal(err)
	}
	if found := only(t, tr.run(t, cfg), finding.C2Beacon); len(found) != 0 {
		t.Errorf("allowed domain reported: %+v", found)
	}
}

func TestPollIsNotAlsoABeacon(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var tr traffic
	tr.browsing(r, 10, 24*time.Hour)
	board := "/bbs/read.cgi/news/1341360112/l50"
	size := int64(30000)
	for at := day0.Add(30 * time.Minute); at.Before(day0.Add(15 * time.Hour)); {
		uid := tr.conn(at, "10.1.0.103", "192.0.2.80", 80, 380, time.Second)
		size += int64(r.IntN(600))
		tr.get(at, uid, "10.1.0.103", "192.0.2.80", "GET", "jbbs.example.org", board, size)
		at = at.Add(time.Duration(float64(600*time.Second) * (1 + 0.05*(2*r.Float64()-1))))
	}
	// People read the same board now and then.
	for i := 0; i < 12; i++ {
		at := day0.Add(9*time.Hour + time.Duration(r.IntN(8*3600))*time.Second)
		src := fmt.Sprintf("10.1.0.%d", 100+r.IntN(3))
		uid := tr.conn(at, src, "192.0.2.80", 80, 420, time.Second)
		tr.get(at, uid, src, "192.0.2.80", "GET", "jbbs.example.org", board, 31000)
	}
	found := tr.run(t, DefaultConfig())
	polls := only(t, found, finding.C2Poll)
	if len(polls) != 1 || polls[0].Entity != "10.1.0.103" || polls[0].Dst != "jbbs.example.org"+board {
		t.Fatalf("polls = %+v", polls)
	}
	if b := only(t, found, finding.C2Beacon); len(b) != 0 {
		t.Errorf("the poll is also reported as beacons: %+v", b)
	}
}

func TestProxiedConnectBeacon(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var tr traffic
	tr.browsing(r, 10, 24*time.Hour)
	for at := day0.Add(time.Hour); at.Before(day0.Add(20 * time.Hour)); {
		uid := tr.conn(at, "10.1.0.104", "10.0.0.8", 3128, 600, 2*time.Second)
		tr.get(at, uid, "10.1.0.104", "10.0.0.8", "CONNECT", "c2.example.com:443", "c2.example.com:443", 0)
		at = at.Add(time.Duration(float64(900*time.Second) * (1 + 0.03*(2*r.Float64()-1))))
	}
	beacons := only(t, tr.run(t, DefaultConfig()), finding.C2Beacon)
	if len(beacons) != 1 || beacons[0].Dst != "c2.example.com" {
		t.Fatalf("beacons = %+v, want one to c2.example.com through the proxy", beacons)
	}
}

func TestLongConnections(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var tr traffic
	tr.browsing(r, 10, 24*time.Hour)
	tr.conn(day0.Add(3*time.Hour), "10.1.0.101", "192.0.2.44", 22, 5_000_000, 5*time.Hour)
	at := day0.Add(10 * time.Hour)
	for i := 0; i < 10; i++ { // a tunnel reconnecting at once, 30 minutes a time
		tr.conn(at, "10.1.0.102", "192.0.2.45", 443, 100_000, 30*time.Minute)
		at = at.Add(30*time.Minute + 2*time.Second)
	}
	// A beacon is not a long connection.
	tr.periodic(r, day0.Add(time.Hour), 20*time.Hour, 30*time.Second, 0.02, "10.1.0.103", []string{"192.0.2.46"}, 443, 300, "")
	found := only(t, tr.run(t, DefaultConfig()), finding.LongConn)
	if len(found) != 2 {
		t.Fatalf("long connections = %+v, want 2", found)
	}
	byHost := map[string]finding.Finding{}
	for _, f := range found {
		byHost[f.Entity] = f
	}
	if f := byHost["10.1.0.101"]; f.Stats["duration_s"] != 5*3600 || f.Stats["connections"] != 1 || !strings.HasPrefix(f.Explanation, "one connection to 192.0.2.44 for 5 h") {
		t.Errorf("single: %+v", f)
	}
	if f := byHost["10.1.0.102"]; f.Stats["connections"] != 10 || f.Stats["duration_s"] < 5*3600 || !strings.Contains(f.Explanation, "10 connections back to back") {
		t.Errorf("chain: %+v", f)
	}
}

func TestBeaconOverTwoDaysIsOneFinding(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	var tr traffic
	tr.browsing(r, 10, 48*time.Hour)
	tr.periodic(r, day0.Add(6*time.Hour), 40*time.Hour, 600*time.Second, 0.05, "10.1.0.106", []string{"203.0.113.66"}, 443, 350, "")
	beacons := only(t, tr.run(t, DefaultConfig()), finding.C2Beacon)
	if len(beacons) != 1 {
		t.Fatalf("beacons = %+v, want one", beacons)
	}
	b := beacons[0]
	if b.Stats["windows"] != 2 || !b.Start.Equal(day0.Add(6*time.Hour)) || b.End.Before(day0.Add(45*time.Hour)) {
		t.Errorf("windows %v span %v – %v", b.Stats["windows"], b.Start, b.End)
	}
}

func TestBadLogsNameTheField(t *testing.T) {
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	log := "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.resp_h\torig_bytes\tduration\n" +
		"1793611800.0\tC1\t10.1.0.1\t192.0.2.1\t100\t1.0\n" +
		"1793611860.0\tC2\t10.1.0.1\t192.0.2.x\t100\t1.0\n"
	zr, err := zeek.NewReader(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Log(zr)
	if err == nil || !strings.Contains(err.Error(), `line 5: id.resp_h: "192.0.2.x" is not an address`) {
		t.Errorf("err = %v", err)
	}
	zr, _ = zeek.NewReader(strings.NewReader("#separator \\x09\n#path\tweird\n#fields\tts\ta\n1\tb\n"))
	if err := d.Log(zr); err == nil || !strings.Contains(err.Error(), `path "weird"`) {
		t.Errorf("err = %v", err)
	}
}

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Window = time.Second }, "window: 1s"},
		{func(c *Config) { c.MinScore = 1.5 }, "min score: 1.5"},
		{func(c *Config) { c.PrevalenceShare = 0 }, "prevalence: 0"},
		{func(c *Config) { c.PrevalenceMin = 0 }, "prevalence minimum: 0"},
		{func(c *Config) { c.LongConnection = time.Second }, "long connection: 1s"},
		{func(c *Config) { c.ChainGap = 2 * time.Hour }, "chain gap: 2h0m0s"},
	} {
		cfg := DefaultConfig()
		tc.mod(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestBeaconShapes: beacons every 10 s to an hour, with jitter up to 30%,
// running around the clock or sleeping overnight (office hours only), each
// among people's browsing for two days, are each found, and by the host.
func TestBeaconShapes(t *testing.T) {
	periods := []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour}
	jitters := []float64{0, 0.1, 0.3}
	for _, office := range []bool{false, true} {
		for _, p := range periods {
			for _, j := range jitters {
				name := fmt.Sprintf("%v/%.0f%%/office=%v", p, j*100, office)
				t.Run(name, func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(p), uint64(j*100)))
					var tr traffic
					tr.browsing(r, 20, 48*time.Hour)
					for day := 0; day < 2; day++ {
						start, span := day0.Add(time.Duration(day)*24*time.Hour), 24*time.Hour
						if office {
							start, span = start.Add(8*time.Hour), 10*time.Hour
						}
						tr.periodic(r, start.Add(time.Duration(r.IntN(int(p/time.Second)))*time.Second), span, p, j, "10.1.0.110", []string{"203.0.113.99"}, 443, 420, "")
					}
					found := tr.run(t, DefaultConfig())
					beacons := only(t, found, finding.C2Beacon)
					if len(beacons) != 1 || beacons[0].Entity != "10.1.0.110" {
						t.Fatalf("beacons = %d (want 1 from 10.1.0.110); all findings: %v", len(beacons), summary(found))
					}
					if n := len(found) - 1; n != 0 {
						t.Errorf("%d findings besides the beacon: %v", n, summary(found))
					}
				})
			}
		}
	}
}

func summary(found []finding.Finding) []string {
	var out []string
	for _, f := range found {
		out = append(out, fmt.Sprintf("%s %s→%s %.3f %v", f.Kind, f.Src, f.Dst, f.Score, f.Scores))
	}
	return out
}

// TestSweepForgetsIdlePairs feeds three days one log a day, as serve's
// detector gets them: pairs idle for a window are scored and forgotten, and
// what they showed is still reported.
func TestSweepForgetsIdlePairs(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var pairs []int
	for day := 0; day < 3; day++ {
		var tr traffic
		start := day0.Add(time.Duration(day) * 24 * time.Hour)
		for h := 0; h < 20; h++ { // each day other sites
			src := fmt.Sprintf("10.1.0.%d", 100+h)
			for i := 0; i < 40; i++ {
				tr.conn(start.Add(time.Duration(8*3600+r.IntN(10*3600))*time.Second), src, fmt.Sprintf("198.%d.%d.%d", 18+day, r.IntN(200), r.IntN(200)+1), 443, 900, time.Second)
			}
		}
		if day == 0 {
			tr.conn(start.Add(2*time.Hour), "10.1.0.101", "192.0.2.44", 22, 5_000_000, 3*time.Hour) // a long connection, then never again
			tr.periodic(r, start.Add(time.Hour), 22*time.Hour, 5*time.Minute, 0.05, "10.1.0.102", []string{"203.0.113.7"}, 443, 300, "")
		}
		if day == 1 {
			tr.periodic(r, start, 20*time.Hour, 5*time.Minute, 0.05, "10.1.0.102", []string{"203.0.113.7"}, 443, 300, "")
		}
		var b bytes.Buffer
		w := zeek.NewWriter(&b, zeek.ConnLog, zeek.TSV, start)
		sortByTime(tr.conns, func(c zeek.Conn) time.Time { return c.TS })
		for i := range tr.conns {
			w.WriteConn(&tr.conns[i])
		}
		w.Flush()
		zr, _ := zeek.NewReader(&b)
		if err := d.Log(zr); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, d.Stats().AddrPairs)
	}
	if pairs[2] >= pairs[1]+pairs[0] {
		t.Errorf("address pairs after each day %v: none forgotten", pairs)
	}
	found := d.Findings()
	long, beacons := only(t, found, finding.LongConn), only(t, found, finding.C2Beacon)
	if len(long) != 1 || long[0].Entity != "10.1.0.101" {
		t.Errorf("long connections %v", summary(long))
	}
	if len(beacons) != 1 || beacons[0].Entity != "10.1.0.102" || beacons[0].Stats["windows"] != 2 {
		t.Errorf("beacons %v", summary(beacons))
	}
}
