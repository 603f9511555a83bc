package sms

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
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
// warmed the analysis cache: the engine's own work per request (windows,
// block signals, baselines), without libphonenumber. Times go on
// increasing from pass to pass, so state keeps sliding. The cold cost of
// a block never seen is BenchmarkAnalyse's.
func BenchmarkCheck(b *testing.B) {
	reqs := benchRequests(b, 100_000)
	g, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	span := reqs[len(reqs)-1].Time.Sub(reqs[0].Time) + 1
	for i := range reqs {
		g.Check(&reqs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	pass := 1
	for i := 0; b.Loop(); i++ {
		if i%len(reqs) == 0 && i > 0 {
			pass++
		}
		r := reqs[i%len(reqs)]
		r.Time = r.Time.Add(span * time.Duration(pass))
		g.Check(&r)
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
