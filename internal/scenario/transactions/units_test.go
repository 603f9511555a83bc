package transactions

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"

	"pgregory.net/rapid"
)

func TestAppendTime(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		secs := rapid.SliceOfN(rapid.Int64Range(0, 253402300799), 1, 20).Draw(t, "secs")
		cache := dayCache{day: -1}
		for _, s := range secs {
			want := time.Unix(s, 0).UTC().Format(time.RFC3339)
			if got := string(appendTime(nil, s, &cache)); got != want {
				t.Fatalf("%d with cache: %s, want %s", s, got, want)
			}
			if got := string(appendTime(nil, s, nil)); got != want {
				t.Fatalf("%d: %s, want %s", s, got, want)
			}
		}
	})
}

func TestAppendCentsAndIP(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 99: "0.99", 100: "1.00", 123456: "1234.56"} {
		if got := string(appendCents(nil, cents)); got != want {
			t.Errorf("%d cents: %s, want %s", cents, got, want)
		}
	}
	if got := string(appendIP(nil, 0x0a00ff01)); got != "10.0.255.1" {
		t.Errorf("appendIP: %s", got)
	}
}

func TestBookingIDsDistinct(t *testing.T) {
	m := idMixer{k0: 0x123456789, k1: 0xfedcba987}
	seen := make(map[[10]byte]bool, 1<<20)
	for seq := uint64(0); seq < 1<<20; seq++ {
		id := m.id(seq)
		if seen[id] {
			t.Fatalf("sequence %d repeats an id", seq)
		}
		seen[id] = true
	}
}

func TestOrderedSorted(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.SliceOfN(rapid.Float64Range(0, 10), 1, 50).Draw(t, "weights")
		w[rapid.IntRange(0, len(w)-1).Draw(t, "nonzero")] += 1
		n := rapid.Int64Range(1, 2000).Draw(t, "n")
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		o := newOrdered(w, 3600, 100, n)
		prev := math.Inf(-1)
		for range n {
			x := o.next(r)
			if x < prev || x < 100 || x > 100+3600*float64(len(w)) {
				t.Fatalf("time %f after %f, outside [100, %f]", x, prev, 100+3600*float64(len(w)))
			}
			if i := int((x - 100) / 3600); i < len(w) && w[i] == 0 {
				t.Fatalf("time %f falls in bucket %d of weight 0", x, i)
			}
			prev = x
		}
	})
}

func TestOrderedFollowsWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	o := newOrdered([]float64{1, 3}, 1, 0, 100_000)
	first := 0
	for range 100_000 {
		if o.next(r) < 1 {
			first++
		}
	}
	if f := float64(first) / 100_000; math.Abs(f-0.25) > 0.01 {
		t.Errorf("%.3f in the first bucket, want 0.25", f)
	}
}

func TestAliasFollowsWeights(t *testing.T) {
	w := []float64{0, 1, 2, 7}
	a, err := newAlias(w)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, len(w))
	const n = 200_000
	for range n {
		counts[a.draw(r)]++
	}
	for i, c := range counts {
		if want := w[i] / 10; math.Abs(float64(c)/n-want) > 0.01 {
			t.Errorf("index %d drawn %.3f of the time, want %.2f", i, float64(c)/n, want)
		}
	}
	for _, bad := range [][]float64{nil, {0, 0}, {-1, 2}, {math.NaN()}, {math.Inf(1)}} {
		if _, err := newAlias(bad); err == nil {
			t.Errorf("newAlias(%v) accepted", bad)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestStreamWriteError(t *testing.T) {
	run := &scenario.Run{Params: scenario.Params{Kind: Name, Seed: 1, Count: 50_000, Start: scenario.DefaultStart}}
	w, err := newWorld(run)
	if err != nil {
		t.Fatal(err)
	}
	err = w.stream(context.Background(), failingWriter{}, io.Discard, func(finding.Finding) error { return nil }, func(int64) {})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("stream into a failing writer: %v", err)
	}
}
