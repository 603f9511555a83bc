package intelgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/scenario"
)

func generateTo(t testing.TB, p scenario.Params) string {
	t.Helper()
	dir := t.TempDir()
	p.Kind = "intel"
	if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readFile(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readRecords decodes records.jsonl as the API does: unknown fields refused.
func readRecords(t testing.TB, dir string) []intel.RecordInput {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []intel.RecordInput
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var in intel.RecordInput
		if err := dec.Decode(&in); err != nil {
			t.Fatalf("records.jsonl line %d: %v: %s", n, err, sc.Bytes())
		}
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	p := scenario.Params{Seed: 11, Count: 20_000}
	a, b := generateTo(t, p), generateTo(t, p)
	p.Seed = 12
	c := generateTo(t, p)
	for _, name := range []string{"records.jsonl", "truth.jsonl", "scenario.json"} {
		if !bytes.Equal(readFile(t, a, name), readFile(t, b, name)) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if bytes.Equal(readFile(t, a, "records.jsonl"), readFile(t, c, "records.jsonl")) {
		t.Error("records.jsonl is the same for seeds 11 and 12")
	}
}

// TestRecordsAreAccepted puts every record of a 100,000-record set through
// intel.NewRecord with fusion's canonicalizer, and checks the values are
// unique once canonical and the set's mix is what the documentation says.
func TestRecordsAreAccepted(t *testing.T) {
	const n = 100_000
	dir := generateTo(t, scenario.Params{Seed: 5, Count: n})
	if len(readFile(t, dir, "truth.jsonl")) != 0 {
		t.Error("truth.jsonl is not empty")
	}
	ins := readRecords(t, dir)
	if len(ins) != n {
		t.Fatalf("%d records, want %d", len(ins), n)
	}
	c, err := observable.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]int, n)
	types := map[string]int{}
	tlps := map[intel.TLP]int{}
	personal := 0
	start := scenario.DefaultStart
	for i, in := range ins {
		rec, err := intel.NewRecord(c, in)
		if err != nil {
			t.Fatalf("record %d (%s %q): %v", i+1, in.Type, in.Value, err)
		}
		if string(rec.Type) != in.Type {
			t.Errorf("record %d: type %s detected as %s", i+1, in.Type, rec.Type)
		}
		if rec.Type != observable.ETH && rec.Value != in.Value {
			t.Errorf("record %d: %q is not canonical (%q)", i+1, in.Value, rec.Value)
		}
		key := string(rec.Type) + " " + rec.Value
		if j, dup := seen[key]; dup {
			t.Fatalf("records %d and %d share the value %s", j, i+1, key)
		}
		seen[key] = i + 1
		for _, l := range in.Labels {
			if !intel.IsLabel(l) {
				t.Errorf("record %d: label %q not in the vocabulary", i+1, l)
			}
		}
		if len(rec.Labels) == 0 {
			t.Errorf("record %d has no labels", i+1)
		}
		if !strings.HasPrefix(rec.Description, "[synthetic]") {
			t.Errorf("record %d: description %q", i+1, rec.Description)
		}
		if want := "scenario/intel/5/" + strconv.Itoa(i+1); rec.Reference != want {
			t.Errorf("record %d: reference %q, want %q", i+1, rec.Reference, want)
		}
		if rec.FirstSeen == nil || rec.LastSeen == nil || rec.LastSeen.After(start) || rec.FirstSeen.Before(start.Add(-window-time.Hour)) {
			t.Errorf("record %d: seen %v to %v, want within the eight weeks before %s", i+1, rec.FirstSeen, rec.LastSeen, start)
		}
		if rec.ValidUntil != nil && !rec.ValidUntil.After(start) {
			t.Errorf("record %d: expires %s, before the set starts", i+1, rec.ValidUntil)
		}
		if rec.Personal {
			personal++
			if rec.TLP == intel.Clear || rec.TLP == intel.Green {
				t.Errorf("record %d: personal at TLP %s", i+1, rec.TLP)
			}
		}
		if rec.Labels[0] == "money-mule" && !rec.Personal {
			t.Errorf("record %d: a money-mule record that is not personal", i+1)
		}
		if rec.Type == observable.Email && !rec.Personal {
			t.Errorf("record %d: an e-mail record that is not personal", i+1)
		}
		types[string(rec.Type)]++
		tlps[rec.TLP]++
	}

	near := func(what string, got int, wantShare float64) {
		t.Helper()
		if share := float64(got) / n; math.Abs(share-wantShare) > 0.01 {
			t.Errorf("%s: %.3f of records, want %.3f", what, share, wantShare)
		}
	}
	near("domain", types["domain"], share(catDomain))
	near("url", types["url"], share(catURL)+share(catPayload))
	near("ipv4", types["ipv4"], share(catIPv4))
	near("cidr", types["cidr"], share(catCIDR))
	near("sha256", types["sha256"], share(catSHA256))
	near("md5", types["md5"], share(catMD5))
	near("sha1", types["sha1"], share(catSHA1))
	near("email", types["email"], share(catEmail))
	near("btc", types["btc"], share(catBTC))
	near("eth", types["eth"], share(catETH))
	for k, name := range tlpNames {
		near("tlp "+name, tlps[intel.TLP(name)], tlpOverall[k]/100)
	}
	near("personal", personal, share(catEmail)+share(catBTC)*btcMulePct/100+share(catETH)*ethMulePct/100)
}

// TestC2Clusters checks that C2 addresses sit in about ten hosting
// networks, and that CIDR records have no host bits (NewRecord would
// refuse them) and are /24 to /28.
func TestC2Clusters(t *testing.T) {
	ins := readRecords(t, generateTo(t, scenario.Params{Seed: 9, Count: 20_000}))
	slash16 := map[string]int{}
	for _, in := range ins {
		switch in.Type {
		case "ipv4":
			parts := strings.Split(in.Value, ".")
			slash16[parts[0]+"."+parts[1]]++
		case "cidr":
			_, bits, _ := strings.Cut(in.Value, "/")
			if b, _ := strconv.Atoi(bits); b < cidrMin || b > cidrMax {
				t.Errorf("cidr %s: want /24 to /28", in.Value)
			}
		}
	}
	if len(slash16) > base16+base20 {
		t.Errorf("C2 addresses in %d /16 networks, want at most %d", len(slash16), base16+base20)
	}
}

func TestHostingGrowsWithCount(t *testing.T) {
	r := &scenario.Run{Params: scenario.Params{Seed: 1}}
	for _, n := range []int64{1, 10_000, 1_000_000, 50_000_000} {
		h := newHosting(r.Rand("x"), n)
		ipCap, cidrCap := 0.0, 0.0
		for _, nw := range h.nets {
			ipCap += float64(uint64(1)<<(32-nw.bits) - 2)
			cidrCap += float64(cidrBlocks(nw.bits))
			if !publicBlock(nw.base, nw.bits) {
				t.Errorf("network %x/%d is not public", nw.base, nw.bits)
			}
		}
		if ipCap < float64(n)*share(catIPv4)*1.2 || cidrCap < float64(n)*share(catCIDR)*1.2 {
			t.Errorf("count %d: room for %.0f addresses and %.0f networks, too few", n, ipCap, cidrCap)
		}
	}
}

func TestAllocationIsUnique(t *testing.T) {
	r := &scenario.Run{Params: scenario.Params{Seed: 2}}
	h := newHosting(r.Rand("x"), 1)
	seen := map[uint32]bool{}
	i := base16 // a /20
	for {
		a, nw, ok := h.address(i)
		if !ok || nw != &h.nets[i] {
			break
		}
		if seen[a] || a&^0xfff != nw.base {
			t.Fatalf("address %x repeated or outside %x/20", a, nw.base)
		}
		seen[a] = true
	}
	if len(seen) != 1<<12-2 {
		t.Errorf("%d addresses in a /20, want %d", len(seen), 1<<12-2)
	}
}

func TestPermBitsIsBijective(t *testing.T) {
	for _, bits := range []uint{0, 1, 2, 4, 8, 12, 16} {
		seen := map[uint64]bool{}
		for x := range uint64(1) << bits {
			y := permBits(x, bits, 0xdeadbeefcafe)
			if y >= 1<<bits || seen[y] {
				t.Fatalf("bits %d: %d maps to %d, repeated or out of range", bits, x, y)
			}
			seen[y] = true
		}
	}
}

func TestTokensAreUnique(t *testing.T) {
	r := &scenario.Run{Params: scenario.Params{Seed: 4}}
	k := newKeys(r.Rand("x"))
	seen := make(map[[tokenLen]byte]int64, 1<<20)
	for n := int64(1); n <= 1<<20; n++ {
		tok := k.token(n)
		if m, dup := seen[tok]; dup {
			t.Fatalf("records %d and %d share the token %s", m, n, tok[:])
		}
		seen[tok] = n
	}
	for _, n := range []int64{MaxCount - 1, MaxCount} {
		if tok := k.token(n); seen[tok] != 0 {
			t.Errorf("record %d shares a token with record %d", n, seen[tok])
		}
	}
}

func TestCheckRefusesBadCount(t *testing.T) {
	for _, n := range []int64{-5, MaxCount + 1} {
		err := scenario.Generate(context.Background(), scenario.Params{Kind: "intel", Count: n}, t.TempDir(), nil)
		if err == nil || !strings.Contains(err.Error(), "--count") {
			t.Errorf("count %d: error %v, want one naming --count", n, err)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := scenario.Generate(ctx, scenario.Params{Kind: "intel", Seed: 1}, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("error %v, want context canceled", err)
	}
}

func TestTruthIsEmptyAndScores(t *testing.T) {
	dir := generateTo(t, scenario.Params{Seed: 1, Count: 100})
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, err := finding.Read(f)
	if err != nil || len(truth) != 0 {
		t.Fatalf("truth %v, %v: want none", truth, err)
	}
	if s := finding.Evaluate(truth, truth); len(s.Kinds) != 0 {
		t.Errorf("scoring an empty truth file: %+v", s)
	}
}

// BenchmarkGenerate measures a whole run, writing to disk.
func BenchmarkGenerate(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		if err := scenario.Generate(context.Background(), scenario.Params{Kind: "intel", Seed: 1, Count: n}, b.TempDir(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecord measures generation alone, without disk.
func BenchmarkRecord(b *testing.B) {
	g := newGenerator(&scenario.Run{Params: scenario.Params{Seed: 1, Count: MaxCount, Start: scenario.DefaultStart}})
	var buf []byte
	n := int64(0)
	for b.Loop() {
		n++
		buf = g.record(buf[:0], n)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
