package sms

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"fusion/internal/scenario"
	_ "fusion/internal/scenario/sms" // the sms kind
)

// benchRequests parses an sms scenario's requests (seed 1, n requests).
func benchRequests(b *testing.B, n int64) []Request {
	b.Helper()
	dir := b.TempDir()
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 1, Count: n}, dir, nil); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var out []Request
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		r, err := ParseRequest(sc.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// BenchmarkCheck decides on an sms scenario's 100,000 requests (a day of
// an app's traffic with five campaigns) in a loop, after a first pass has
// warmed the analysis cache, and feeds back in time order the codes
// entered (the requests' verified_at) when the code was sent, as a sender
// does: the engine's own work per request and its verification (windows,
// block signals, baselines), without libphonenumber. Times go on
// increasing from pass to pass, so state keeps sliding. The cold cost of
// a block never seen is BenchmarkAnalyse's.
func BenchmarkCheck(b *testing.B) {
	reqs := benchRequests(b, 100_000)
	g, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	span := reqs[len(reqs)-1].Time.Sub(reqs[0].Time) + time.Hour
	// The events of a pass in time order: request i is event i, its
	// verification event -1-i.
	type event struct {
		at time.Time
		i  int
	}
	var events []event
	for i := range reqs {
		events = append(events, event{reqs[i].Time, i})
		if !reqs[i].VerifiedAt.IsZero() {
			events = append(events, event{reqs[i].VerifiedAt, -1 - i})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	sent := make([]bool, len(reqs))
	step := func(e event, pass int) {
		shift := span * time.Duration(pass)
		if e.i >= 0 {
			r := reqs[e.i]
			r.Time = r.Time.Add(shift)
			sent[e.i] = g.Check(&r).Decision != Block
			return
		}
		if i := -1 - e.i; sent[i] {
			g.Verified(&Verified{App: reqs[i].App, Number: reqs[i].Number, Time: e.at.Add(shift)})
		}
	}
	for _, e := range events {
		step(e, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for pass := 1; ; pass++ {
		for _, e := range events {
			step(e, pass)
			if e.i >= 0 {
				n++
				if !b.Loop() {
					b.ReportMetric(float64(n), "requests")
					return
				}
			}
		}
	}
}

// BenchmarkAnalyse is libphonenumber's cost for a number of a block not
// in the cache: parse, validate, region, type and carrier.
func BenchmarkAnalyse(b *testing.B) {
	reqs := benchRequests(b, 10_000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Analyse(reqs[i%len(reqs)].Number); err != nil {
			b.Fatal(err)
		}
	}
}
