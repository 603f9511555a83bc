package network

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/observable"
	"fusion/internal/scenario"
	"fusion/internal/tor"
	"fusion/internal/zeek"
)

const consensusFixture = "../../../../shared/fixtures/tor/2017-04-15-00-00-00-consensus"

var logFiles = []string{"conn.log", "dns.log", "http.log", "ssl.log"}

// generateIn runs the network kind with p into a new temporary directory.
func generateIn(t testing.TB, p scenario.Params) string {
	t.Helper()
	p.Kind = "network"
	dir := t.TempDir()
	if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// consensus returns the fixture's path, or skips.
func consensus(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(consensusFixture); err != nil {
		t.Skipf("tor consensus fixture %s absent: %v", consensusFixture, err)
	}
	return consensusFixture
}

// eachRow reads a log of dir, calling f for every row.
func eachRow(t testing.TB, dir, name string, f func(r *zeek.Reader)) int {
	t.Helper()
	file, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, err := zeek.NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		f(r)
		n++
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

func readTruth(t testing.TB, dir string) []finding.Finding {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, err := finding.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return truth
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		p    scenario.Params
		flag string
	}{
		{scenario.Params{Hosts: -1, Days: 1, Format: "tsv"}, "--hosts"},
		{scenario.Params{Hosts: MaxHosts + 1, Days: 1, Format: "tsv"}, "--hosts"},
		{scenario.Params{Hosts: 10, Days: -2, Format: "tsv"}, "--days"},
		{scenario.Params{Hosts: 10, Days: 1, Format: "xml"}, "--format"},
		{scenario.Params{Hosts: 10, Days: 1, Format: "json"}, "--format"},
	} {
		err := check(&tc.p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.flag+" ") {
			t.Errorf("check(%+v) = %v, want an error naming %s", tc.p, err, tc.flag)
		}
	}
	p := scenario.Params{}
	defaults(&p)
	if p.Hosts != DefaultHosts || p.Days != DefaultDays || p.Format != "tsv" || check(&p) != nil {
		t.Errorf("defaults %+v, check %v", p, check(&p))
	}
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "network", Hosts: 5, Days: 0, Intel: t.TempDir()}, t.TempDir(), nil); err == nil ||
		!strings.Contains(err.Error(), "records.jsonl") {
		t.Errorf("missing intel records: err = %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	p := scenario.Params{Seed: 7, Hosts: 40}
	if path, err := filepath.Abs(consensusFixture); err == nil {
		if _, err := os.Stat(path); err == nil {
			p.TorConsensus = path
		}
	}
	a, b := generateIn(t, p), generateIn(t, p)
	for _, name := range append(logFiles, "truth.jsonl", "scenario.json", "benign.jsonl") {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if len(x) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	p.Seed = 8
	c := generateIn(t, p)
	x, _ := os.ReadFile(filepath.Join(a, "conn.log"))
	y, _ := os.ReadFile(filepath.Join(c, "conn.log"))
	if bytes.Equal(x, y) {
		t.Error("different seeds gave the same conn.log")
	}
}

// TestLogsParse reads every file back in both forms: expected field
// counts, no error, typed decoding, uids linking dns and http rows to
// connections, canonical domains, time order.
func TestLogsParse(t *testing.T) {
	canon, err := observable.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"tsv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			dir := generateIn(t, scenario.Params{Seed: 3, Hosts: 30, Format: format})
			start, end := scenario.DefaultStart, scenario.DefaultStart.Add(24*time.Hour)
			uids := map[string]bool{}
			checkRow := func(r *zeek.Reader, name string, fields int, prev *time.Time) {
				if format == "tsv" && len(r.Fields()) != fields {
					t.Fatalf("%s line %d: %d fields, want %d", name, r.Line(), len(r.Fields()), fields)
				}
				if want := strings.TrimSuffix(name, ".log"); r.Path() != want {
					t.Fatalf("%s: path %q", name, r.Path())
				}
				ts := r.Time()
				if ts.Before(start) || !ts.Before(end) {
					t.Fatalf("%s line %d: time %v outside the run", name, r.Line(), ts)
				}
				if ts.Before(*prev) {
					t.Fatalf("%s line %d: time %v before the previous row's %v", name, r.Line(), ts, *prev)
				}
				*prev = ts
			}
			var prev time.Time
			conns := eachRow(t, dir, "conn.log", func(r *zeek.Reader) {
				checkRow(r, "conn.log", 21, &prev)
				var c zeek.Conn
				if err := r.Conn(&c); err != nil {
					t.Fatal(err)
				}
				if len(c.UID) != zeek.UIDLen || c.UID[0] != 'C' || uids[c.UID] {
					t.Fatalf("conn.log line %d: uid %q bad or repeated", r.Line(), c.UID)
				}
				uids[c.UID] = true
				if !isLocal(c.OrigH) || c.LocalOrig != zeek.True {
					t.Fatalf("conn.log line %d: originator %v is not internal", r.Line(), c.OrigH)
				}
			})
			prev = time.Time{}
			lookups := eachRow(t, dir, "dns.log", func(r *zeek.Reader) {
				checkRow(r, "dns.log", 24, &prev)
				var d zeek.DNS
				if err := r.DNS(&d); err != nil {
					t.Fatal(err)
				}
				if !uids[d.UID] {
					t.Fatalf("dns.log line %d: uid %s not in conn.log", r.Line(), d.UID)
				}
				if o, err := canon.Parse(observable.Domain, d.Query); err != nil || o.Value != d.Query {
					t.Fatalf("dns.log line %d: query %q is not a canonical domain: %v", r.Line(), d.Query, err)
				}
			})
			prev = time.Time{}
			requests := eachRow(t, dir, "http.log", func(r *zeek.Reader) {
				checkRow(r, "http.log", 30, &prev)
				var h zeek.HTTP
				if err := r.HTTP(&h); err != nil {
					t.Fatal(err)
				}
				if !uids[h.UID] {
					t.Fatalf("http.log line %d: uid %s not in conn.log", r.Line(), h.UID)
				}
				if _, err := netip.ParseAddr(h.Host); err == nil {
					return
				}
				if o, err := canon.Parse(observable.Domain, h.Host); err != nil || o.Value != h.Host {
					t.Fatalf("http.log line %d: host %q is not a canonical domain: %v", r.Line(), h.Host, err)
				}
			})
			prev = time.Time{}
			hellos := eachRow(t, dir, "ssl.log", func(r *zeek.Reader) {
				checkRow(r, "ssl.log", 18, &prev)
				var s zeek.SSL
				if err := r.SSL(&s); err != nil {
					t.Fatal(err)
				}
				if !uids[s.UID] {
					t.Fatalf("ssl.log line %d: uid %s not in conn.log", r.Line(), s.UID)
				}
				if s.ServerName == "" || s.Version == "" || s.Cipher == "" {
					t.Fatalf("ssl.log line %d: server_name %q, version %q, cipher %q", r.Line(), s.ServerName, s.Version, s.Cipher)
				}
				if o, err := canon.Parse(observable.Domain, s.ServerName); err != nil || o.Value != s.ServerName {
					t.Fatalf("ssl.log line %d: server_name %q is not a canonical domain: %v", r.Line(), s.ServerName, err)
				}
			})
			t.Logf("%s: %d connections, %d lookups, %d requests, %d handshakes", format, conns, lookups, requests, hellos)
			if conns < 100_000 || lookups < 10_000 || requests < 5_000 || hellos < 50_000 {
				t.Errorf("too little traffic: %d connections, %d lookups, %d requests, %d handshakes", conns, lookups, requests, hellos)
			}
		})
	}
}

// connsByHost indexes conn.log: for each originator, its rows' times and
// destinations.
type connRow struct {
	ts    time.Time
	resp  netip.AddrPort
	uid   string
	proto string
	dur   time.Duration
}

func connsByHost(t testing.TB, dir string) map[netip.Addr][]connRow {
	out := map[netip.Addr][]connRow{}
	var c zeek.Conn
	eachRow(t, dir, "conn.log", func(r *zeek.Reader) {
		if err := r.Conn(&c); err != nil {
			t.Fatal(err)
		}
		out[c.OrigH] = append(out[c.OrigH], connRow{c.TS, netip.AddrPortFrom(c.RespH, c.RespP), c.UID, c.Proto, c.Duration})
	})
	return out
}

// dnsRow is a query of dns.log.
type dnsRow struct {
	ts    time.Time
	query string
	qtype string
}

// queriesByHost indexes dns.log by originator.
func queriesByHost(t testing.TB, dir string) map[netip.Addr][]dnsRow {
	out := map[netip.Addr][]dnsRow{}
	var d zeek.DNS
	eachRow(t, dir, "dns.log", func(r *zeek.Reader) {
		if err := r.DNS(&d); err != nil {
			t.Fatal(err)
		}
		out[d.OrigH] = append(out[d.OrigH], dnsRow{d.TS, d.Query, d.QTypeName})
	})
	return out
}

// sniByUID indexes ssl.log: the server name of each connection.
func sniByUID(t testing.TB, dir string) map[string]string {
	out := map[string]string{}
	var s zeek.SSL
	eachRow(t, dir, "ssl.log", func(r *zeek.Reader) {
		if err := r.SSL(&s); err != nil {
			t.Fatal(err)
		}
		out[s.UID] = s.ServerName
	})
	return out
}

// detailDests returns the destinations a truth line names: "dests" when
// the activity used several addresses, else "dest".
func detailDests(t testing.TB, tr finding.Finding) map[netip.AddrPort]bool {
	t.Helper()
	list := tr.Detail["dest"]
	if v := tr.Detail["dests"]; v != "" {
		list = v
	}
	out := map[netip.AddrPort]bool{}
	for _, s := range strings.Split(list, ",") {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			t.Fatalf("%s: detail dest %q: %v", tr.ID, s, err)
		}
		out[ap] = true
	}
	return out
}

func TestTruth(t *testing.T) {
	p := scenario.Params{Seed: 11, Hosts: 120, Days: 2, TorConsensus: consensus(t)}
	dir := generateIn(t, p)
	truth := readTruth(t, dir)
	start, end := p.Start, scenario.DefaultStart.Add(48*time.Hour)
	if p.Start.IsZero() {
		start = scenario.DefaultStart
	}
	byHost := connsByHost(t, dir)
	queries := queriesByHost(t, dir)
	snis := sniByUID(t, dir)
	// Requests to each board, by the host that made them.
	boards := map[string]map[netip.Addr]int{}
	for _, tr := range truth {
		if tr.Kind == finding.C2Poll {
			boards[tr.Detail["domain"]] = map[netip.Addr]int{}
		}
	}
	eachRow(t, dir, "http.log", func(r *zeek.Reader) {
		if m := boards[r.Field(r.Index("host"))]; m != nil {
			m[netip.MustParseAddr(r.Field(r.Index("id.orig_h")))]++
		}
	})

	raw, err := os.ReadFile(consensusFixture)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := tor.ParseConsensus(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	relays := map[netip.AddrPort]bool{}
	relayAddrs := map[netip.Addr]bool{}
	guards := map[string]bool{}
	for _, rl := range cons.Relays {
		ap := netip.AddrPortFrom(rl.Address, rl.ORPort)
		relays[ap] = true
		relayAddrs[rl.Address] = true
		if rl.HasFlag("Guard") {
			guards[ap.String()] = true
		}
	}

	kinds := map[string]int{}
	for _, tr := range truth {
		kinds[tr.Kind]++
		if tr.Start.Before(start) || tr.End.After(end) || tr.End.Before(tr.Start) {
			t.Errorf("%s %s: [%v, %v] outside the run", tr.Kind, tr.ID, tr.Start, tr.End)
		}
		host, err := netip.ParseAddr(tr.Entity)
		if err != nil {
			t.Errorf("%s %s: entity %q is not an address", tr.Kind, tr.ID, tr.Entity)
			continue
		}
		var atStart, atEnd bool
		var inside []connRow
		for _, c := range byHost[host] {
			atStart = atStart || c.ts.Equal(tr.Start)
			atEnd = atEnd || c.ts.Equal(tr.End)
			if !c.ts.Before(tr.Start) && !c.ts.After(tr.End) {
				inside = append(inside, c)
			}
		}
		if !atStart || !atEnd {
			t.Errorf("%s %s: %s has no connection at start %v (%v) or end %v (%v)", tr.Kind, tr.ID, host, tr.Start, atStart, tr.End, atEnd)
		}
		switch tr.Kind {
		case finding.TorUse:
			if !guards[tr.Detail["guard"]] {
				t.Errorf("%s: guard %s is not a guard relay of the consensus", tr.ID, tr.Detail["guard"])
			}
			n := 0
			for _, c := range inside {
				if relayAddrs[c.resp.Addr()] {
					n++
					if !relays[c.resp] {
						t.Errorf("%s: connection to %s, not a relay's ORPort", tr.ID, c.resp)
					}
				}
				if (c.ts.Equal(tr.Start) || c.ts.Equal(tr.End)) && !relays[c.resp] && !isLocal(c.resp.Addr()) {
					// The row at start or end may be the host's other
					// traffic at the same microsecond only by chance.
					found := false
					for _, d := range inside {
						if d.ts.Equal(c.ts) && relays[d.resp] {
							found = true
						}
					}
					if !found {
						t.Errorf("%s: connection at %v goes to %s, not a relay", tr.ID, c.ts, c.resp)
					}
				}
			}
			if n == 0 {
				t.Errorf("%s: no connection to a relay", tr.ID)
			}
		case finding.C2Beacon, finding.C2Poll:
			dests := detailDests(t, tr)
			n := 0
			used := map[netip.AddrPort]bool{}
			for _, c := range inside {
				if !dests[c.resp] {
					continue
				}
				n++
				used[c.resp] = true
				if tr.Kind == finding.C2Beacon {
					if sni := snis[c.uid]; sni != tr.Detail["sni"] {
						t.Errorf("%s: connection %s sent server name %q, want %q", tr.ID, c.uid, sni, tr.Detail["sni"])
					}
				}
			}
			if n < 3 || len(used) != len(dests) {
				t.Errorf("%s: %d connections to %d of the %d destinations %v", tr.ID, n, len(used), len(dests), dests)
			}
			if tr.Kind == finding.C2Poll {
				readers := 0
				for h := range boards[tr.Detail["domain"]] {
					if h != host {
						readers++
					}
				}
				if readers < 2 {
					t.Errorf("%s: only %d other hosts read the board %s", tr.ID, readers, tr.Detail["domain"])
				}
			}
		case finding.C2DNS:
			checkDNSTunnel(t, tr, host, queries)
		case finding.LongConn:
			checkLongConn(t, tr, inside)
		}
	}
	// Only the tunnelling host queries a tunnel's domain.
	for h, qs := range queries {
		for _, q := range qs {
			for _, tr := range truth {
				if tr.Kind == finding.C2DNS && strings.HasSuffix(q.query, "."+tr.Detail["domain"]) && h.String() != tr.Entity {
					t.Errorf("%s queried %s, under %s's domain", h, q.query, tr.ID)
				}
			}
		}
	}
	for _, k := range []string{finding.C2Beacon, finding.C2Poll, finding.C2DNS, finding.LongConn, finding.TorUse} {
		if kinds[k] == 0 {
			t.Errorf("no %s truth line", k)
		}
	}
	t.Logf("truth: %v", kinds)
}

// checkDNSTunnel checks a c2-dns line against the host's queries: queries
// under the domain at its start and its end, as many in between as the
// line says and none outside, each with a long label of base32 or hex.
func checkDNSTunnel(t *testing.T, tr finding.Finding, host netip.Addr, queries map[netip.Addr][]dnsRow) {
	t.Helper()
	domain := tr.Detail["domain"]
	if domain == "" {
		t.Fatalf("%s: no domain", tr.ID)
	}
	var atStart, atEnd bool
	n := 0
	types := map[string]bool{}
	for _, q := range queries[host] {
		if !strings.HasSuffix(q.query, "."+domain) {
			continue
		}
		if q.ts.Before(tr.Start) || q.ts.After(tr.End) {
			t.Errorf("%s: query %s at %v outside [%v, %v]", tr.ID, q.query, q.ts, tr.Start, tr.End)
			continue
		}
		n++
		atStart = atStart || q.ts.Equal(tr.Start)
		atEnd = atEnd || q.ts.Equal(tr.End)
		types[q.qtype] = true
		label, _, _ := strings.Cut(q.query, ".")
		if len(label) < minTunnelLabel || len(label) > maxTunnelLabel ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyz234567") != "" && strings.Trim(label, "0123456789abcdef") != "" {
			t.Errorf("%s: query %s: first label is not 30 to 63 characters of base32 or hex", tr.ID, q.query)
		}
	}
	if !atStart || !atEnd {
		t.Errorf("%s: no query under %s at start %v (%v) or end %v (%v)", tr.ID, domain, tr.Start, atStart, tr.End, atEnd)
	}
	if want, _ := strconv.Atoi(tr.Detail["queries"]); n != want || n < 20 {
		t.Errorf("%s: %d queries under %s, detail says %s", tr.ID, n, domain, tr.Detail["queries"])
	}
	var got []string
	for q := range types {
		got = append(got, q)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != tr.Detail["qtypes"] {
		t.Errorf("%s: query types %v, detail says %s", tr.ID, got, tr.Detail["qtypes"])
	}
}

// checkLongConn checks a long-connection line against the host's
// connections to its destination: as many as it says, back to back, their
// durations adding up to its duration, the last ending when it says.
func checkLongConn(t *testing.T, tr finding.Finding, inside []connRow) {
	t.Helper()
	dest, err := netip.ParseAddrPort(tr.Detail["dest"])
	if err != nil {
		t.Fatalf("%s: detail dest %q: %v", tr.ID, tr.Detail["dest"], err)
	}
	var links []connRow
	for _, c := range inside {
		if c.resp == dest && c.proto == "tcp" {
			links = append(links, c)
		}
	}
	if want, _ := strconv.Atoi(tr.Detail["connections"]); len(links) != want || want == 0 {
		t.Fatalf("%s: %d connections to %s, detail says %s", tr.ID, len(links), dest, tr.Detail["connections"])
	}
	var total time.Duration
	for i, c := range links {
		total += c.dur
		if i > 0 {
			prevEnd := links[i-1].ts.Add(links[i-1].dur)
			if gap := c.ts.Sub(prevEnd); gap < 0 || gap > 10*time.Second {
				t.Errorf("%s: connection %d starts %v after the previous one ended", tr.ID, i+1, gap)
			}
		}
	}
	want, err := time.ParseDuration(tr.Detail["duration"])
	if err != nil {
		t.Fatalf("%s: duration %q: %v", tr.ID, tr.Detail["duration"], err)
	}
	if d := total - want; d < -time.Second || d > time.Second {
		t.Errorf("%s: connections last %v in all, detail says %v", tr.ID, total, want)
	}
	if total < time.Hour {
		t.Errorf("%s: only %v of connection", tr.ID, total)
	}
	last := links[len(links)-1]
	if ends := last.ts.Add(last.dur).Format(time.RFC3339Nano); ends != tr.Detail["ends"] {
		t.Errorf("%s: last connection ends %s, detail says %s", tr.ID, ends, tr.Detail["ends"])
	}
}

// TestBenign checks benign.jsonl against the logs: each service's
// addresses are reached on its port by exactly the hosts it counts, at its
// period, its names are looked up, and no truth line points at them.
func TestBenign(t *testing.T) {
	dir := generateIn(t, scenario.Params{Seed: 4, Hosts: 60, Days: 1})
	f, err := os.Open(filepath.Join(dir, "benign.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var services []benignService
	dec := json.NewDecoder(f)
	for dec.More() {
		var s benignService
		if err := dec.Decode(&s); err != nil {
			t.Fatal(err)
		}
		services = append(services, s)
	}
	if len(services) < 8 {
		t.Fatalf("%d benign services, want the %d specs", len(services), len(benignSpecs))
	}
	byHost := connsByHost(t, dir)
	queried := rowsOf(t, dir, "dns.log", field("query"))
	queries := queriesByHost(t, dir)
	truth := readTruth(t, dir)
	for _, s := range services {
		t.Run(s.Service+"/"+strconv.Itoa(int(s.Period)), func(t *testing.T) {
			if len(s.Names) == 0 || len(s.Addrs) == 0 || s.Hosts == 0 || s.Period <= 0 {
				t.Fatalf("incomplete line %+v", s)
			}
			if s.Lookups {
				// Hash lookups under the names, through the resolvers.
				hosts, n := 0, 0
				for _, qs := range queries {
					m := 0
					for _, q := range qs {
						for _, name := range s.Names {
							if strings.HasSuffix(q.query, "."+name) {
								m++
								if label, _, _ := strings.Cut(q.query, "."); len(label) < 32 || strings.Trim(label, "0123456789abcdef") != "" {
									t.Errorf("lookup %s: first label is not a hex hash", q.query)
								}
							}
						}
					}
					if m > 0 {
						hosts++
						n += m
					}
				}
				if hosts != s.Hosts || n < 10*hosts {
					t.Errorf("%d hosts made %d lookups under %v, line says %d hosts", hosts, n, s.Names, s.Hosts)
				}
				return
			}
			addrs := map[netip.AddrPort]bool{}
			for _, a := range s.Addrs {
				addrs[netip.AddrPortFrom(netip.MustParseAddr(a), s.Port)] = true
			}
			hosts := 0
			var gaps []float64
			for _, rows := range byHost {
				var times []time.Time
				for _, c := range rows {
					if addrs[c.resp] && c.proto == s.Proto {
						times = append(times, c.ts)
						if s.Long && (c.dur.Seconds() < 0.9*s.Period || c.dur.Seconds() > 1.1*s.Period) {
							t.Errorf("push connection of %v, period %vs", c.dur, s.Period)
						}
					}
				}
				if len(times) == 0 {
					continue
				}
				hosts++
				slices.SortFunc(times, time.Time.Compare)
				for i := 1; i < len(times); i++ {
					gaps = append(gaps, times[i].Sub(times[i-1]).Seconds())
				}
			}
			if hosts != s.Hosts {
				t.Errorf("%d hosts reach %v, line says %d", hosts, s.Addrs, s.Hosts)
			}
			if len(gaps) > 10 {
				slices.Sort(gaps)
				// A lookup before a call delays it a little.
				if m := gaps[len(gaps)/2]; m < 0.85*s.Period || m > 1.15*s.Period {
					t.Errorf("median gap between calls %.1fs, period %vs", m, s.Period)
				}
			}
			looked := false
			for _, n := range s.Names {
				looked = looked || len(queried[n]) > 0
			}
			if !looked {
				t.Errorf("none of %v looked up", s.Names)
			}
			for _, tr := range truth {
				if tr.Detail["dest"] == "" {
					continue
				}
				for ap := range detailDests(t, tr) {
					if addrs[ap] || slices.Contains(s.Addrs, ap.Addr().String()) {
						t.Errorf("%s points at benign %s (%s)", tr.ID, ap, s.Service)
					}
				}
			}
		})
	}
}

// TestCounts checks that a run of 500 hosts has at least five of each C2
// kind, so that a detector's F1 rests on more than one or two cases.
func TestCounts(t *testing.T) {
	n := counts(500)
	for name, v := range map[string]int{"c2-beacon": n.beacons, "c2-poll": n.polls, "c2-dns": n.tunnels, "long-connection": n.longConns} {
		if v < 5 {
			t.Errorf("%s: %d hosts of 500", name, v)
		}
	}
	if n := counts(1); n.beacons != 1 || n.polls != 1 || n.tunnels != 1 || n.longConns != 1 {
		t.Errorf("one host: %+v", n)
	}
}

func TestNextWorkStart(t *testing.T) {
	for _, tc := range []struct{ at, want string }{
		{"2026-11-06T19:00:00Z", "2026-11-09T08:00:00Z"}, // Friday evening: Monday
		{"2026-11-03T07:59:00Z", "2026-11-03T08:00:00Z"}, // Tuesday before work
		{"2026-11-03T08:00:00Z", "2026-11-04T08:00:00Z"}, // Tuesday at work: next day
		{"2026-11-07T10:00:00Z", "2026-11-09T08:00:00Z"}, // Saturday
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := ts(nextWorkStart(at.UnixMicro())).Format(time.RFC3339); got != tc.want {
			t.Errorf("nextWorkStart(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

// TestTorAbsent checks that without a consensus there is no Tor use and
// the inputs record nothing.
func TestTorAbsent(t *testing.T) {
	dir := generateIn(t, scenario.Params{Seed: 2, Hosts: 10})
	for _, tr := range readTruth(t, dir) {
		if tr.Kind == finding.TorUse || tr.Kind == finding.IntelContact {
			t.Errorf("unexpected %s line", tr.Kind)
		}
	}
	meta, err := os.ReadFile(filepath.Join(dir, "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(meta, []byte("inputs")) {
		t.Errorf("scenario.json records inputs: %s", meta)
	}
}

// BenchmarkNetwork generates the default enterprise (200 hosts, one day, TSV)
// and reports conn.log rows and rows of all logs written per second.
func BenchmarkNetwork(b *testing.B) {
	for _, format := range []string{"tsv", "jsonl"} {
		b.Run(format, func(b *testing.B) {
			var conns, rows int64
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				dir := b.TempDir()
				start := time.Now()
				err := scenario.Generate(context.Background(), scenario.Params{Kind: "network", Seed: uint64(i), Format: format}, dir, nil)
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				for _, name := range logFiles {
					n := countRows(b, filepath.Join(dir, name))
					rows += n
					if name == "conn.log" {
						conns += n
					}
				}
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(conns)/elapsed.Seconds(), "conns/s")
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		})
	}
}

// countRows counts the lines of a log that are not header lines.
func countRows(b *testing.B, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	n, start := int64(0), true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && start && chunk[0] != '#' {
			n++
		}
		start = err == nil
		if err == io.EOF {
			return n
		}
		if err != nil && err != bufio.ErrBufferFull {
			b.Fatal(err)
		}
	}
}

// writeRecords writes an indicator set as the intel kind does: one
// RecordInput JSON object per line.
func writeRecords(t testing.TB, dir string, recs []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if _, ok := r["tlp"]; !ok {
			r["tlp"] = "amber"
		}
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, intelFile), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func rec(typ, value string) map[string]any { return map[string]any{"type": typ, "value": value} }

// rowsOf returns the values of one field of a log with their times.
func rowsOf(t testing.TB, dir, name string, f func(r *zeek.Reader) string) map[string][]time.Time {
	out := map[string][]time.Time{}
	eachRow(t, dir, name, func(r *zeek.Reader) {
		if v := f(r); v != "" {
			out[v] = append(out[v], r.Time())
		}
	})
	return out
}

func field(name string) func(r *zeek.Reader) string {
	return func(r *zeek.Reader) string { return r.Field(r.Index(name)) }
}

// TestIntel generates a run without an indicator set, makes one that
// holds some of its destinations plus fresh values, and checks that with
// it those destinations disappear and the fresh values are contacted only
// inside intel-contact episodes.
func TestIntel(t *testing.T) {
	base := scenario.Params{Seed: 5, Hosts: 60}
	plain := generateIn(t, base)
	queries := rowsOf(t, plain, "dns.log", field("query"))
	resps := rowsOf(t, plain, "conn.log", field("id.resp_h"))
	// Pick popular external destinations to turn into indicators.
	var busyName, busyAddr string
	for q, times := range queries {
		if len(times) > 50 && !strings.Contains(q, "dc01.") && (busyName == "" || q < busyName) {
			busyName = q
		}
	}
	for a, times := range resps {
		if addr := netip.MustParseAddr(a); !isLocal(addr) && len(times) > 200 && (busyAddr == "" || a < busyAddr) {
			busyAddr = a
		}
	}
	if busyName == "" || busyAddr == "" {
		t.Fatalf("no busy destination found (%q, %q)", busyName, busyAddr)
	}
	busyAddrPfx := netip.PrefixFrom(netip.MustParseAddr(busyAddr), 28).Masked().String()

	intelDir := t.TempDir()
	recs := []map[string]any{
		rec("domain", busyName),
		rec("cidr", busyAddrPfx),
		rec("ipv4", "45.33.32.156"),
		rec("domain", "evil-updates.com"),
		rec("url", "http://dl.badfiles.net/payload/x.exe?id=7"),
		{"type": "domain", "value": "badfiles.net", "subdomains": true},
		rec("url", "https://secret.phish.org/login"), // inside TLS: never contacted
		rec("sha256", strings.Repeat("ab", 32)),
		rec("email", "boss@evil-updates.com"),
		rec("ipv4", "10.10.0.25"), // a host's own address: that host is left out
		rec("domain", "www.Example-Shop.DE."),
	}
	for i := range 40 { // enough values for sampling to matter
		recs = append(recs, rec("ipv4", fmt.Sprintf("185.220.%d.%d", 100+i%3, 10+i)))
	}
	writeRecords(t, intelDir, recs)
	p := base
	p.Intel = intelDir
	dir := generateIn(t, p)
	truth := readTruth(t, dir)

	meta, err := os.ReadFile(filepath.Join(dir, "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(meta, []byte(`"records.jsonl": "`)) {
		t.Errorf("scenario.json does not record the indicator set: %s", meta)
	}

	// Every row that shows an indicator must be inside an intel-contact
	// truth line for it.
	covered := func(entity string, at time.Time) bool {
		for _, tr := range truth {
			if tr.Kind == finding.IntelContact && tr.Entity == entity && !at.Before(tr.Start) && !at.After(tr.End) {
				return true
			}
		}
		return false
	}
	domains := map[string]bool{busyName: true, "evil-updates.com": true, "www.example-shop.de": true}
	n := 0
	eachRow(t, dir, "dns.log", func(r *zeek.Reader) {
		q := r.Field(r.Index("query"))
		switch {
		case domains[q]:
			n++
			if !covered(q, r.Time()) {
				t.Errorf("dns.log line %d: lookup of %s at %v outside any intel-contact episode", r.Line(), q, r.Time())
			}
		case q == "badfiles.net" || strings.HasSuffix(q, ".badfiles.net"):
			n++
			if !covered("badfiles.net", r.Time()) {
				t.Errorf("dns.log line %d: lookup of %s at %v not covered by the badfiles.net record", r.Line(), q, r.Time())
			}
		}
	})
	pfx := netip.MustParsePrefix(busyAddrPfx)
	eachRow(t, dir, "conn.log", func(r *zeek.Reader) {
		a, err := netip.ParseAddr(r.Field(r.Index("id.resp_h")))
		if err != nil {
			t.Fatal(err)
		}
		o := r.Field(r.Index("id.orig_h"))
		if o == "10.10.0.25" {
			t.Errorf("conn.log line %d: excluded host 10.10.0.25 has traffic", r.Line())
		}
		switch {
		case pfx.Contains(a):
			n++
			if !covered(busyAddrPfx, r.Time()) {
				t.Errorf("conn.log line %d: connection to %s (in %s) outside any episode", r.Line(), a, pfx)
			}
		case a.String() == "45.33.32.156" || strings.HasPrefix(a.String(), "185.220."):
			n++
			if !covered(a.String(), r.Time()) {
				t.Errorf("conn.log line %d: connection to %s outside any episode", r.Line(), a)
			}
		}
	})
	eachRow(t, dir, "http.log", func(r *zeek.Reader) {
		u := "http://" + r.Field(r.Index("host")) + r.Field(r.Index("uri"))
		if strings.Contains(u, "badfiles.net") {
			n++
			if u != "http://dl.badfiles.net/payload/x.exe?id=7" || !covered(u, r.Time()) {
				t.Errorf("http.log line %d: request %s at %v outside any episode", r.Line(), u, r.Time())
			}
		}
		if strings.Contains(u, "phish.org") {
			t.Errorf("http.log line %d: HTTPS indicator %s in clear", r.Line(), u)
		}
	})
	contacts := checkIntelTruth(t, dir, truth)
	t.Logf("%d intel-contact lines, %d rows showing indicators", contacts, n)
	if contacts < 3 || n < contacts {
		t.Errorf("%d intel-contact lines and %d rows showing indicators", contacts, n)
	}
}

// TestIntelRelated checks the truth lines for values a contact matches
// besides the one contacted: the domain above a URL's host (a record that
// covers subdomains), the range holding a URL's address, the same URL over
// https.
func TestIntelRelated(t *testing.T) {
	const (
		url1  = "http://dl.badfiles.net/payload/x.exe?id=7"
		url1s = "https://dl.badfiles.net/payload/x.exe?id=7"
		url2  = "http://198.51.100.7:8080/gate.php"
	)
	intelDir := t.TempDir()
	writeRecords(t, intelDir, []map[string]any{
		rec("url", url1),
		rec("url", url1s),
		{"type": "domain", "value": "badfiles.net", "subdomains": true},
		rec("url", url2),
		rec("cidr", "198.51.100.0/24"),
	})
	dir := generateIn(t, scenario.Params{Seed: 9, Hosts: 20, Intel: intelDir})
	truth := readTruth(t, dir)
	checkIntelTruth(t, dir, truth)
	direct, via := map[string]int{}, map[string]int{}
	for _, tr := range truth {
		if tr.Kind != finding.IntelContact {
			continue
		}
		if v := tr.Detail["via"]; v != "" {
			via[tr.Entity+" via "+v]++
		} else {
			direct[tr.Entity]++
		}
	}
	t.Logf("direct %v, via %v", direct, via)
	if direct[url1] == 0 || direct[url2] == 0 {
		t.Fatalf("not every URL was contacted: %v", direct)
	}
	if n := via["badfiles.net via "+url1]; n != direct[url1] {
		t.Errorf("%d badfiles.net lines via %s, want one per contact (%d)", n, url1, direct[url1])
	}
	if n := via[url1s+" via "+url1]; n != direct[url1] {
		t.Errorf("%d %s lines via %s, want one per contact (%d)", n, url1s, url1, direct[url1])
	}
	if n := via["198.51.100.0/24 via "+url2]; n != direct[url2] {
		t.Errorf("%d 198.51.100.0/24 lines via %s, want one per contact (%d)", n, url2, direct[url2])
	}
	for k := range via {
		if k != "badfiles.net via "+url1 && k != url1s+" via "+url1 && k != "198.51.100.0/24 via "+url2 {
			t.Errorf("unexpected related line %s", k)
		}
	}
}

// TestTiny runs the smallest enterprise, with Tor, in both forms.
func TestTiny(t *testing.T) {
	for _, format := range []string{"tsv", "jsonl"} {
		dir := generateIn(t, scenario.Params{Seed: 1, Hosts: 1, Format: format, TorConsensus: consensus(t)})
		n := eachRow(t, dir, "conn.log", func(*zeek.Reader) {})
		if n == 0 {
			t.Errorf("%s: no connections", format)
		}
		for _, tr := range readTruth(t, dir) {
			if tr.Entity != "10.10.0.20" {
				t.Errorf("%s: %s entity %s, want the only host", format, tr.ID, tr.Entity)
			}
		}
	}
}

// checkIntelTruth checks that the entity of every intel-contact line shows
// in the logs at its start and at its end: an address or range as a
// connection's responder, a domain (or a name under it) as a query, a URL
// as a request. It returns the number of lines.
func checkIntelTruth(t *testing.T, dir string, truth []finding.Finding) int {
	t.Helper()
	type seen struct {
		what string
		at   time.Time
	}
	var rows []seen
	eachRow(t, dir, "conn.log", func(r *zeek.Reader) {
		rows = append(rows, seen{"addr " + r.Field(r.Index("id.resp_h")), r.Time()})
	})
	eachRow(t, dir, "dns.log", func(r *zeek.Reader) {
		rows = append(rows, seen{"name " + r.Field(r.Index("query")), r.Time()})
	})
	eachRow(t, dir, "ssl.log", func(r *zeek.Reader) {
		if sni := r.Field(r.Index("server_name")); sni != "" {
			rows = append(rows, seen{"name " + sni, r.Time()})
		}
	})
	eachRow(t, dir, "http.log", func(r *zeek.Reader) {
		// A request shows its URL, and its host and address as well.
		host, port := r.Field(r.Index("host")), r.Field(r.Index("id.resp_p"))
		rows = append(rows, seen{"addr " + r.Field(r.Index("id.resp_h")), r.Time()})
		if _, err := netip.ParseAddr(host); err == nil {
			rows = append(rows, seen{"addr " + host, r.Time()})
		} else {
			rows = append(rows, seen{"name " + host, r.Time()})
		}
		if port != "80" {
			host += ":" + port
		}
		rows = append(rows, seen{"url http://" + host + r.Field(r.Index("uri")), r.Time()})
	})
	shows := func(entity, what string) bool {
		switch kind, v, _ := strings.Cut(what, " "); kind {
		case "addr":
			a := netip.MustParseAddr(v)
			if p, err := netip.ParsePrefix(entity); err == nil {
				return p.Contains(a)
			}
			return entity == v
		case "name":
			return entity == v || strings.HasSuffix(v, "."+entity)
		default: // a URL, whatever its scheme
			_, target, _ := strings.Cut(entity, "://")
			return entity == v || "http://"+target == v
		}
	}
	n := 0
	for _, tr := range truth {
		if tr.Kind != finding.IntelContact {
			continue
		}
		n++
		var atStart, atEnd bool
		for _, r := range rows {
			if shows(tr.Entity, r.what) {
				atStart = atStart || r.at.Equal(tr.Start)
				atEnd = atEnd || r.at.Equal(tr.End)
			}
		}
		if !atStart || !atEnd {
			t.Errorf("%s: %s does not show at start %v (%v) and end %v (%v)", tr.ID, tr.Entity, tr.Start, atStart, tr.End, atEnd)
		}
	}
	return n
}
