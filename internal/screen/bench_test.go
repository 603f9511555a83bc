package screen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/transactions"
	. "fusion/internal/screen"
)

// generated writes a transactions scenario of count bookings with seed and
// returns its bookings.jsonl and truth.jsonl.
func generated(tb testing.TB, seed uint64, count int64) (bookings, truth []byte) {
	bookings, truth, _ = generatedAll(tb, seed, count)
	return bookings, truth
}

// generatedAll is generated with the scenario's negatives.jsonl too.
func generatedAll(tb testing.TB, seed uint64, count int64) (bookings, truth, negatives []byte) {
	tb.Helper()
	dir := tb.TempDir()
	p := scenario.Params{Kind: "transactions", Seed: seed, Count: count, Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
		tb.Fatal(err)
	}
	var err error
	if bookings, err = os.ReadFile(dir + "/bookings.jsonl"); err != nil {
		tb.Fatal(err)
	}
	if truth, err = os.ReadFile(dir + "/truth.jsonl"); err != nil {
		tb.Fatal(err)
	}
	if negatives, err = os.ReadFile(dir + "/negatives.jsonl"); err != nil {
		tb.Fatal(err)
	}
	return bookings, truth, negatives
}

func readAll(tb testing.TB, data []byte) int {
	rd := NewJSONReader(bytes.NewReader(data), ReaderOptions{})
	n := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

func screenAll(tb testing.TB, c *Compiled, data []byte) int {
	s := screened(tb, c, data)
	s.Findings()
	return s.Len()
}

// screened returns a screener of c to which every booking of data was added.
func screened(tb testing.TB, c *Compiled, data []byte) *Screener {
	rd := NewJSONReader(bytes.NewReader(data), ReaderOptions{})
	s := New(c, DefaultConfig())
	for {
		b, err := rd.Next()
		if err == io.EOF {
			return s
		}
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := s.Add(b); err != nil {
			tb.Fatal(err)
		}
	}
}

// cpuTime is the process's user and system time so far: on a shared
// machine it counts the work done, not the waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScreen screens 100,000 generated bookings with the default
// package (read, rules, linking, findings), interleaved with a baseline
// that only reads them, in the same run. It reports both rates by the
// wall clock and by the process's CPU time (garbage collection included),
// and the ratio of the CPU-time rates. Run it on one core:
// go test -run '^$' -bench Screen -cpu 1 ./internal/screen/.
func BenchmarkScreen(b *testing.B) {
	data, _ := generated(b, 1, 100_000)
	c, err := Compile(Default())
	if err != nil {
		b.Fatal(err)
	}
	var readT, screenT, readCPU, screenCPU time.Duration
	var n int
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		n = readAll(b, data)
		t1, c1 := time.Now(), cpuTime()
		screenAll(b, c, data)
		readT += t1.Sub(t0)
		screenT += time.Since(t1)
		readCPU += c1 - c0
		screenCPU += cpuTime() - c1
	}
	total := float64(n * b.N)
	b.ReportMetric(total/readT.Seconds(), "read/s")
	b.ReportMetric(total/screenT.Seconds(), "screen/s")
	b.ReportMetric(total/readCPU.Seconds(), "read/cpu-s")
	b.ReportMetric(total/screenCPU.Seconds(), "screen/cpu-s")
	b.ReportMetric(readCPU.Seconds()/screenCPU.Seconds(), "screen/read")
}

// TestQuality screens a generated scenario (seed 11, 100,000 bookings) with
// the default package and checks fraud-ring recall ≥ 0.9 at precision ≥ 0.8
// against its truth, and that at most 1% of each kind of hard negative
// (negatives.jsonl) is flagged.
func TestQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100,000 bookings")
	}
	data, truthData, negData := generatedAll(t, 11, 100_000)
	c, err := Compile(Default())
	if err != nil {
		t.Fatal(err)
	}
	s := screened(t, c, data)
	truth, err := finding.Read(bytes.NewReader(truthData))
	if err != nil {
		t.Fatal(err)
	}
	found := s.Findings()
	ks := finding.Evaluate(truth, found).Kinds[finding.FraudRing]
	t.Logf("fraud-ring: truth %d, found %d, precision %.3f, recall %.3f", ks.Truth, ks.Found, ks.Precision, ks.Recall)
	if ks.Recall < 0.9 || ks.Precision < 0.8 {
		t.Fatalf("precision %.3f, recall %.3f: want recall ≥ 0.9 at precision ≥ 0.8", ks.Precision, ks.Recall)
	}
	flagged := map[string]bool{}
	for _, f := range found {
		flagged[f.Entity] = true
	}
	type tally struct{ n, flagged int }
	kinds := map[string]*tally{}
	dec := json.NewDecoder(bytes.NewReader(negData))
	for dec.More() {
		var neg struct{ Booking, Kind string }
		if err := dec.Decode(&neg); err != nil {
			t.Fatal(err)
		}
		if kinds[neg.Kind] == nil {
			kinds[neg.Kind] = &tally{}
		}
		kinds[neg.Kind].n++
		if flagged[neg.Booking] {
			kinds[neg.Kind].flagged++
		}
	}
	if len(kinds) < 4 {
		t.Errorf("negatives.jsonl has %d kinds, want 4", len(kinds))
	}
	for k, c := range kinds {
		t.Logf("%s: %d of %d flagged", k, c.flagged, c.n)
		if c.flagged*100 > c.n {
			t.Errorf("%s: %d of %d flagged, want at most 1%%", k, c.flagged, c.n)
		}
	}
}

// TestVerdicts: Verdicts flags exactly the bookings Findings reports, with
// the same score and ring, and gives every other booking its ring too.
func TestVerdicts(t *testing.T) {
	bookings, _ := generated(t, 5, 3000)
	c, err := Compile(Default())
	if err != nil {
		t.Fatal(err)
	}
	s := screened(t, c, bookings)
	found := map[string]float64{}
	rings := map[string]string{}
	for _, f := range s.Findings() {
		found[f.Entity] = f.Score
		rings[f.Entity] = f.Detail["ring"]
	}
	vs := s.Verdicts()
	if len(vs) != s.Len() {
		t.Fatalf("%d verdicts for %d bookings", len(vs), s.Len())
	}
	flagged := 0
	for _, v := range vs {
		if v.Ring == nil || v.Ring.Size < 1 {
			t.Fatalf("%s: no ring: %+v", v.ID, v)
		}
		score, ok := found[v.ID]
		if v.Flagged != ok {
			t.Fatalf("%s: flagged %v, in findings %v", v.ID, v.Flagged, ok)
		}
		if ok {
			flagged++
			if score != v.Score || rings[v.ID] != v.Ring.ID {
				t.Fatalf("%s: verdict %v %s, finding %v %s", v.ID, v.Score, v.Ring.ID, score, rings[v.ID])
			}
		}
	}
	if flagged == 0 {
		t.Fatal("nothing flagged")
	}
}
