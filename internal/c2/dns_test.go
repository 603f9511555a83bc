package c2

import (
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"fusion/internal/finding"
)

const t0 = int64(1_700_000_000_000_000) // µs

var (
	b32 = base32.StdEncoding.WithPadding(base32.NoPadding)
	rng = rand.New(rand.NewPCG(7, 8))
)

func randBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func host(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }

// iodine sends n NULL queries for names like "<57 base32>.<20 base32>.t.example".
func iodine(d *DNSTunnels, src netip.Addr, domain string, n int, qtype string) {
	for i := range n {
		p := strings.ToLower(b32.EncodeToString(randBytes(48)))
		q := p[:57] + "." + p[57:] + ".t." + domain
		d.Observe(t0+int64(i)*2_000_000, src, q, qtype)
	}
}

// browse has each of hosts look up the given names under domain, a few
// times each, as A and AAAA.
func browse(d *DNSTunnels, hosts []netip.Addr, domain string, names []string) {
	for _, h := range hosts {
		for i, n := range names {
			for k := range 3 {
				qt := "A"
				if k == 1 {
					qt = "AAAA"
				}
				d.Observe(t0+int64(i*1000+k)*1_000_000, h, n+"."+domain, qt)
			}
		}
	}
}

func hosts(from, n int) []netip.Addr {
	var out []netip.Addr
	for i := range n {
		out = append(out, host(from+i))
	}
	return out
}

func scoreOf(t *testing.T, d *DNSTunnels, src netip.Addr, domain string) DNSScore {
	t.Helper()
	for _, s := range d.Scores() {
		if s.Src == src && s.Domain == domain {
			return s
		}
	}
	t.Fatalf("no group %s %s", src, domain)
	return DNSScore{}
}

func TestDNSIodineTunnel(t *testing.T) {
	d := NewDNSTunnels()
	browse(d, hosts(1, 200), "google.com", []string{"www", "mail", "apis", "fonts", "accounts"})
	evil := host(66)
	iodine(d, evil, "pirate-sea.net", 2000, "NULL")

	s := scoreOf(t, d, evil, "pirate-sea.net")
	// 2,000 unique → U 1; subdomains of 57+1+20+2 = 80 characters → L 1;
	// base32 of random bytes ≈ 4.6 bits → E 1; all NULL → Q 1; 1 host → P 1.
	if s.Score != 1 || s.Unique != 1 || s.Length != 1 || s.Entropy != 1 || s.QType != 1 || s.Prevalence != 1 {
		t.Errorf("iodine: %+v", s)
	}
	if s.Exact || math.Abs(s.Subdomains-2000)/2000 > 0.3 || s.MaxLabel != 57 || s.MeanLength != 80 {
		t.Errorf("iodine figures: %+v", s)
	}
	fs := d.Findings(0.5)
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	f := fs[0]
	if f.Kind != finding.C2DNS || f.Entity != "10.0.0.66" || f.Src != "10.0.0.66" || f.Dst != "pirate-sea.net" || f.Severity != SevHigh {
		t.Errorf("finding: %+v", f)
	}
	if !f.Start.Equal(f.Start.UTC()) || f.End.Sub(f.Start).Seconds() != 1999*2 {
		t.Errorf("span %v–%v", f.Start, f.End)
	}
	if !strings.HasPrefix(f.Explanation, "about ") || !strings.Contains(f.Explanation, "unique names under pirate-sea.net, 80 characters") ||
		!strings.Contains(f.Explanation, "100% TXT/NULL/CNAME/MX/ANY, 2,000 queries over 67 min, queried by this host only") {
		t.Errorf("explanation %q", f.Explanation)
	}
}

func TestDNSCat2Tunnel(t *testing.T) {
	// dnscat2: hex payloads, TXT, CNAME and MX in turn, 500 queries.
	d := NewDNSTunnels()
	src := host(7)
	types := []string{"TXT", "CNAME", "MX"}
	for i := range 500 {
		q := hex.EncodeToString(randBytes(30)) + ".dnscat.c2-example.org."
		d.Observe(t0+int64(i)*1_000_000, src, strings.ToUpper(q), types[i%3])
	}
	s := scoreOf(t, d, src, "c2-example.org")
	// U = (log10 500 − 1)/2 = 0.849, from an estimate past 128: the
	// sketch hashes under a seed drawn per detector, so the estimate of
	// 500 differs from run to run, with a relative standard error of
	// about 9% (dns.go); within 4 of them, and U exactly the formula's of
	// the estimate. (At ±0.03 on U, about 1.6 standard errors, one run in
	// ten failed.) L 1 (67 characters); hex ≈ 3.9 bits → E ≈ 0.9; Q 1:
	// score √(0.849·(1+0.9+1)/3) ≈ 0.9.
	if math.Abs(s.Subdomains-500)/500 > 0.36 || math.Abs(s.Unique-(math.Log10(s.Subdomains)-1)/2) > 1e-9 {
		t.Errorf("dnscat2's unique subdomains: %+v", s)
	}
	if s.Length != 1 || s.Entropy < 0.8 || s.QType != 1 || s.Score < 0.85 {
		t.Errorf("dnscat2: %+v", s)
	}
	if s.Exact != false || s.MeanLength != 67 {
		t.Errorf("dnscat2 figures: %+v", s)
	}
}

func TestDNSATunnelBelowDataTypes(t *testing.T) {
	// A tunnel over A queries only: U 1, L 1, E 1, Q 0 → √(2/3) = 0.816.
	d := NewDNSTunnels()
	iodine(d, host(9), "exfil.example", 1500, "A")
	if s := scoreOf(t, d, host(9), "exfil.example"); s.Score != 0.816 || Severity(s.Score) != SevMedium {
		t.Errorf("A tunnel: %+v", s)
	}
}

func TestDNSTunnelOnSeveralHosts(t *testing.T) {
	// Three infected hosts of 100 (3%): prevalence does not damp them.
	d := NewDNSTunnels()
	browse(d, hosts(1, 100), "example.com", []string{"www"})
	for i := range 3 {
		iodine(d, host(10+i), "bad.example", 300, "TXT")
	}
	fs := d.Findings(0.5)
	if len(fs) != 3 {
		t.Fatalf("%d findings, want 3: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Dst != "bad.example" || f.Scores["prevalence"] != 1 || f.Stats["hosts"] != 3 {
			t.Errorf("%+v", f)
		}
	}
}

func TestDNSBenign(t *testing.T) {
	d := NewDNSTunnels()
	d.Allow = nil // show that structure and prevalence alone keep these down
	all := hosts(1, 200)

	// Browsing: a handful of names per site, A and AAAA.
	browse(d, all, "google.com", []string{"www", "mail", "apis", "fonts", "accounts", "play", "docs"})
	browse(d, all, "microsoft.com", []string{"login", "www", "update", "go"})

	// Akamai: each host resolves 30 edge names like e1234.dscb.akamaiedge.net.
	for _, h := range all {
		for i := range 30 {
			d.Observe(t0+int64(i), h, fmt.Sprintf("e%d.dscb.akamaiedge.net", rng.IntN(99999)), "A")
		}
	}

	// McAfee GTI: 120 of the 200 hosts look up file hashes — long,
	// high-entropy names, many unique: prevalence (60%) zeroes them.
	for _, h := range all[:120] {
		for range 200 {
			q := "0.0.0.0.1.0.0.4e." + strings.ToLower(b32.EncodeToString(randBytes(16))) + ".avqs.mcafee.com"
			d.Observe(t0, h, q, "A")
		}
	}

	// A mail server asks DNS block lists about 5,000 sender addresses.
	mx := host(25)
	for range 5000 {
		ip := fmt.Sprintf("%d.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256))
		d.Observe(t0, mx, ip+".zen.spamhaus.org", "A")
		d.Observe(t0, mx, ip+".bl.example-rbl.net", "TXT")
		d.Observe(t0, mx, ip+".origin.asn.cymru.com", "TXT")
	}
	// ... and IPv6 senders.
	for range 200 {
		var nib []string
		for _, c := range hex.EncodeToString(randBytes(16)) {
			nib = append(nib, string(c))
		}
		d.Observe(t0, mx, strings.Join(nib, ".")+".zen.spamhaus.org", "A")
	}

	// YouTube from one host: many unique but short googlevideo names.
	yt := host(150)
	for range 120 {
		d.Observe(t0, yt, fmt.Sprintf("r%d---sn-%s.googlevideo.com", rng.IntN(20), strings.ToLower(b32.EncodeToString(randBytes(5)))), "A")
	}

	// Reverse lookups, mDNS, single labels, IPs: not grouped.
	for i := range 1000 {
		d.Observe(t0, mx, fmt.Sprintf("%d.%d.168.192.in-addr.arpa", i%256, i/256), "PTR")
		d.Observe(t0, mx, fmt.Sprintf("printer-%d.local", i), "A")
		d.Observe(t0, mx, "wpad", "A")
		d.Observe(t0, mx, "192.0.2.1", "A")
	}

	if fs := d.Findings(0.5); len(fs) != 0 {
		for _, f := range fs {
			t.Errorf("benign finding: %s %s %v: %s", f.Src, f.Dst, f.Scores, f.Explanation)
		}
	}
	bl := scoreOf(t, d, mx, "spamhaus.org")
	if bl.Lookups != 5200 || bl.Subdomains != 0 || bl.Score != 0 {
		t.Errorf("DNSBL: %+v", bl)
	}
	av := scoreOf(t, d, host(1), "mcafee.com")
	if av.Prevalence != 0 || av.Hosts != 120 || av.Unique < 0.6 {
		t.Errorf("McAfee: %+v", av)
	}
	if d.Ignored() != 4000 {
		t.Errorf("ignored %d, want 4000", d.Ignored())
	}
	for _, s := range d.Scores() {
		if s.Score >= 0.5 {
			t.Errorf("%s %s scores %v", s.Src, s.Domain, s.Score)
		}
	}
}

func TestDNSZeroValue(t *testing.T) {
	var d DNSTunnels
	iodine(&d, host(5), "mcafee.com", 300, "TXT") // no allow list: scored
	if d.Groups() != 1 || len(d.Findings(0.5)) != 1 {
		t.Errorf("zero value: %d groups, findings %+v", d.Groups(), d.Findings(0.5))
	}
}

func TestDNSAllow(t *testing.T) {
	d := NewDNSTunnels()
	iodine(d, host(3), "avqs.McAfee.com.", 500, "A")
	d.Allow = append(d.Allow, "ignored-after-first-observe.example")
	iodine(d, host(3), "ignored-after-first-observe.example", 500, "A")
	if d.Groups() != 1 || d.Ignored() != 500 {
		t.Errorf("groups %d ignored %d", d.Groups(), d.Ignored())
	}
	d2 := NewDNSTunnels()
	d2.Allow = []string{"Evil.Example."}
	iodine(d2, host(3), "evil.example", 50, "TXT")
	if d2.Groups() != 0 {
		t.Errorf("allow list not applied: %d groups", d2.Groups())
	}
}

func TestDNSAddressPrefixIsNoHiding(t *testing.T) {
	// A tunnel that puts an address before its payload is still scored.
	d := NewDNSTunnels()
	for range 400 {
		d.Observe(t0, host(4), "1.2.3.4."+strings.ToLower(b32.EncodeToString(randBytes(35)))+".evil.example", "TXT")
	}
	if s := scoreOf(t, d, host(4), "evil.example"); s.Lookups != 0 || s.Score < 0.8 {
		t.Errorf("%+v", s)
	}
}

func TestAddressLookup(t *testing.T) {
	tests := map[string]bool{
		"4.3.2.1.zen":                        true,
		"4.3.2.1":                            true,
		"255.0.10.1.a.b.c":                   true,
		"4.3.2.1.a.b.c.d":                    false, // four labels after the address
		"4.3.2":                              false,
		"4.3.2.1000.zen":                     false,
		"4.3.x.1.zen":                        false,
		"4.3.2.1." + strings.Repeat("a", 21): false,
		strings.Repeat("f.", 31) + "0.zen":   true,
		strings.Repeat("f.", 30) + "0":       false,
		"":                                   false,
		"www":                                false,
	}
	for in, want := range tests {
		if got := addressLookup(in); got != want {
			t.Errorf("addressLookup(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestEntropy(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"", 0}, {".", 0}, {"www", 0}, // one symbol: 0 bits
		{"ab", 1},                   // two symbols, even: 1 bit
		{"a.b.c.d", 2},              // four, dots left out: 2 bits
		{"aab", 0.9182958340544896}, // −(⅔ log₂ ⅔ + ⅓ log₂ ⅓)
		{"0123456789abcdef", 4},
	}
	for _, tt := range tests {
		if got := entropy(tt.in); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("entropy(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSketch(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{0, 1, 10, SketchSize, SketchSize + 1, 1000, 100_000} {
		var s sketch
		for range n {
			h := r.Uint64()
			s.add(h)
			s.add(h) // duplicates do not count
		}
		got, exact := s.count()
		if len(s.h) > SketchSize {
			t.Fatalf("n=%d: %d hashes kept", n, len(s.h))
		}
		if n <= SketchSize {
			if !exact || got != float64(n) {
				t.Errorf("n=%d: count %v exact %v", n, got, exact)
			}
			continue
		}
		// Relative standard error 1/√126 ≈ 0.089: allow 4 of them.
		if exact || math.Abs(got-float64(n))/float64(n) > 0.36 {
			t.Errorf("n=%d: estimate %v exact %v", n, got, exact)
		}
	}
}

// groupBytes is an upper bound on a group's state: the struct plus its
// hash set's capacity.
func groupBytes(g *dnsGroup) int { return 120 + 8*cap(g.unique.h) }

func TestDNSMemoryBounded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := NewDNSTunnels()
		n := rapid.IntRange(0, 3000).Draw(t, "n")
		nsrc := rapid.IntRange(1, 3).Draw(t, "sources")
		for i := range n {
			name := fmt.Sprintf("%x.%d.tunnel.example", rapid.Uint64().Draw(t, "label"), i%7)
			d.Observe(t0+int64(i), host(rapid.IntRange(0, nsrc-1).Draw(t, "src")), name, "TXT")
		}
		for _, g := range d.groups {
			if len(g.unique.h) > SketchSize || groupBytes(g) > 120+8*2*SketchSize {
				t.Fatalf("group holds %d hashes, capacity %d", len(g.unique.h), cap(g.unique.h))
			}
		}
		if d.Groups() > nsrc {
			t.Fatalf("%d groups for %d sources", d.Groups(), nsrc)
		}
	})
}

func TestDNSMillionNames(t *testing.T) {
	if testing.Short() {
		t.Skip("a million queries")
	}
	d := NewDNSTunnels()
	src := host(1)
	var buf []byte
	for i := range 1_000_000 {
		buf = fmt.Appendf(buf[:0], "%08x%08x.t.bulk.example", i, i*2654435761)
		d.Observe(t0+int64(i), src, string(buf), "TXT")
	}
	if d.Groups() != 1 {
		t.Fatalf("%d groups", d.Groups())
	}
	for _, g := range d.groups {
		if len(g.unique.h) != SketchSize || cap(g.unique.h) > 2*SketchSize {
			t.Errorf("hash set len %d cap %d", len(g.unique.h), cap(g.unique.h))
		}
	}
	s := scoreOf(t, d, src, "bulk.example")
	if s.Exact || math.Abs(s.Subdomains-1e6)/1e6 > 0.36 || s.Queries != 1_000_000 {
		t.Errorf("%+v", s)
	}
}

func FuzzDNSObserve(f *testing.F) {
	for _, s := range []string{
		"www.example.com", "WWW.Example.COM.", "", ".", "..", "a..b.com", "com", "co.uk", "wpad",
		"1.2.3.4", "[::1]", "4.3.2.1.zen.spamhaus.org", "x.in-addr.arpa", "printer.local",
		"\x00\xff.com", "a b.com", strings.Repeat("a", 300) + ".com", strings.Repeat("a.", 200) + "com",
	} {
		f.Add(s, "TXT", byte(1))
	}
	f.Fuzz(func(t *testing.T, query, qtype string, last byte) {
		d := NewDNSTunnels()
		src := netip.AddrFrom4([4]byte{10, 0, 0, last})
		for i := range 3 {
			d.Observe(t0+int64(i), src, query, qtype)
			d.Observe(t0, netip.Addr{}, query, qtype)
		}
		for _, s := range d.Scores() {
			for _, v := range []float64{s.Score, s.Unique, s.Length, s.Entropy, s.QType, s.Prevalence} {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("score out of range: %+v", s)
				}
			}
			_ = s.Finding()
		}
		if d.Groups() > 1 {
			t.Fatalf("%d groups from one source and one name", d.Groups())
		}
	})
}

func BenchmarkDNSObserve(b *testing.B) {
	names := make([]string, 4096)
	for i := range names {
		if i%2 == 0 {
			names[i] = strings.ToLower(b32.EncodeToString(randBytes(30))) + ".t.tunnel.example"
		} else {
			names[i] = fmt.Sprintf("www%d.example%d.com", i%5, i%300)
		}
	}
	d := NewDNSTunnels()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Observe(t0+int64(i), host(i%200), names[i%len(names)], "A")
		i++
	}
}

// BenchmarkDNSGroupMemory reports the heap held per (source, domain)
// group for ordinary browsing (a few names each) and for tunnels (past
// SketchSize unique names each).
func BenchmarkDNSGroupMemory(b *testing.B) {
	for _, tc := range []struct {
		name  string
		names int
	}{{"browsing", 3}, {"tunnel", 2 * SketchSize}} {
		b.Run(tc.name, func(b *testing.B) {
			const groups = 2000
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				d := NewDNSTunnels()
				for g := range groups {
					dom := fmt.Sprintf("site%d.example", g)
					for k := range tc.names {
						d.Observe(t0, host(g%250), fmt.Sprintf("n%d.%s", k, dom), "A")
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/groups, "B/group")
				runtime.KeepAlive(d)
			}
		})
	}
}
