package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/sms" // the sms kind
	"fusion/internal/server"
	"fusion/internal/sms"
)

// BenchmarkSMSCheckHTTP serves POST /api/v1/sms/check in process — the
// server's own handler (logging, metrics, authentication of a sensor
// token, the body limit, parsing, the hub's policy check, the guard,
// the JSON answer) called with an httptest recorder, no network — on an sms
// scenario's 20,000 requests (seed 1), interleaved request by request
// with a same-run baseline: sms.Guard.Check alone on the same request, in a
// guard of its own with the same state. Both guards see the requests once
// before timing; times then go on increasing from pass to pass, as in
// package sms's BenchmarkCheck. It reports the p50 and p99 of each and the
// ratios: what the API adds to the engine's work.
func BenchmarkSMSCheckHTTP(b *testing.B) {
	reqs := smsBenchRequests(b, 20_000)
	f := newFixture(b)
	secret, _, err := f.hub.OperatorIssueToken(context.Background(), "org-a", intel.RoleSensor, "bench")
	if err != nil {
		b.Fatal(err)
	}
	h := server.New(server.Config{Hub: f.hub, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	g, err := sms.New(sms.DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	span := reqs[len(reqs)-1].Time.Sub(reqs[0].Time) + time.Second
	body := func(r *sms.Request) []byte {
		return fmt.Appendf(nil, `{"app":%q,"number":%q,"ip":%q,"user_agent":%q,"time":%q}`,
			r.App, r.Number, r.IP.String(), r.UserAgent, r.Time.Format(time.RFC3339Nano))
	}
	serve := func(data []byte) time.Duration {
		req := httptest.NewRequest("POST", "/api/v1/sms/check", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, req)
		d := time.Since(t0)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		return d
	}
	for i := range reqs {
		g.Check(&reqs[i])
		serve(body(&reqs[i]))
	}
	var viaHTTP, engine []time.Duration
	pass := 1
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(reqs) == 0 && i > 0 {
			pass++
		}
		r := reqs[i%len(reqs)]
		r.Time = r.Time.Add(span * time.Duration(pass))
		data := body(&r)
		t0 := time.Now()
		g.Check(&r)
		engine = append(engine, time.Since(t0))
		viaHTTP = append(viaHTTP, serve(data))
	}
	b.StopTimer()
	q := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Nanoseconds()) / 1e3
	}
	hp50, hp99, ep50, ep99 := q(viaHTTP, 0.50), q(viaHTTP, 0.99), q(engine, 0.50), q(engine, 0.99)
	b.ReportMetric(hp50, "http-p50-µs")
	b.ReportMetric(hp99, "http-p99-µs")
	b.ReportMetric(ep50, "check-p50-µs")
	b.ReportMetric(ep99, "check-p99-µs")
	b.ReportMetric(hp50/ep50, "p50-ratio")
	b.ReportMetric(hp99/ep99, "p99-ratio")
}

// smsBenchRequests parses an sms scenario's requests (seed 1, n requests).
func smsBenchRequests(b *testing.B, n int64) []sms.Request {
	b.Helper()
	dir := b.TempDir()
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 1, Count: n}, dir, nil); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var out []sms.Request
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		r, err := sms.ParseRequest(sc.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
