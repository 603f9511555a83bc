package ui_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fusion/internal/bighub"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server"
	"fusion/internal/ui"
)

// BenchmarkRecordsPage times, server side, the record list and a search in
// the web UI of a hub of FUSION_BENCH_RECORDS records (1,000,000 by
// default; internal/bighub, cached in FUSION_BENCH_DIR) as its Reader's
// user, each against the same query through the JSON API, interleaved in
// one run: GET /records and /api/v1/records?limit=50, GET /records?q=WORD
// and /api/v1/records?q=WORD&limit=50 (WORD a word of a domain record's
// value), and GET /records?q=phishing (a label most records carry). It
// reports the p50 and p95 of each in milliseconds and the ratio of the
// UI's p95 to the API's.
func BenchmarkRecordsPage(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("FUSION_BENCH_RECORDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("FUSION_BENCH_RECORDS: %q is not a number of records", s)
		}
	}
	ctx := context.Background()
	h, err := bighub.Open(ctx, os.Getenv("FUSION_BENCH_DIR"), n, os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	const pw = "correct horse battery staple"
	if _, err := h.OperatorCreateUser(ctx, bighub.Reader, "bench-reader", "Bench reader", "analyst", pw); err != nil && !errors.Is(err, intel.ErrConflict) {
		b.Fatal(err)
	}
	s, err := h.Login(ctx, "bench-reader", pw, "", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(server.Config{Hub: h.Hub, Secret: make([]byte, 32), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	c, err := h.Authenticate(ctx, h.Tokens[bighub.Reader])
	if err != nil {
		b.Fatal(err)
	}
	first, err := h.ListRecords(ctx, c, hub.RecordFilter{Type: "domain", Limit: 1})
	if err != nil || len(first.Items) == 0 {
		b.Fatalf("no domain record to search for: %v", err)
	}
	word := strings.FieldsFunc(first.Items[0].Value, func(r rune) bool { return r == '.' || r == '-' })[0]
	kinds := []struct{ name, path string }{
		{"ui-list", "/records"},
		{"api-list", "/api/v1/records?limit=50"},
		{"ui-search", "/records?q=" + url.QueryEscape(word)},
		{"api-search", "/api/v1/records?limit=50&q=" + url.QueryEscape(word)},
		// A word of a label most records carry: hundreds of thousands
		// of matches.
		{"ui-search-common", "/records?q=phishing"},
	}
	took := make([][]time.Duration, len(kinds))
	get := func(path string) {
		req := httptest.NewRequest("GET", path, nil)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+h.Tokens[bighub.Reader])
		} else {
			req.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: s.Token})
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 1000 {
			b.Fatalf("GET %s: %d %.300s", path, w.Code, w.Body.String())
		}
	}
	for _, k := range kinds { // warm the caches once
		get(k.path)
	}
	b.ResetTimer()
	for i := range b.N {
		for j := range kinds {
			k := (i + j) % len(kinds)
			t0 := time.Now()
			get(kinds[k].path)
			took[k] = append(took[k], time.Since(t0))
		}
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		d = slices.Clone(d)
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
	}
	for k, kind := range kinds {
		b.ReportMetric(pct(took[k], 0.5), kind.name+"-p50-ms")
		b.ReportMetric(pct(took[k], 0.95), kind.name+"-p95-ms")
	}
	b.ReportMetric(pct(took[0], 0.95)/pct(took[1], 0.95), "list-ui/api-p95")
	b.ReportMetric(pct(took[2], 0.95)/pct(took[3], 0.95), "search-ui/api-p95")
}
