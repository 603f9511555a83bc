package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/server"
	"fusion/internal/store/storetest"
	"fusion/internal/ui"
	"fusion/internal/warninglist"
)

// TestServeMountsEverySurface runs the server as `fusion serve` does —
// index built, jobs started, served on a socket — drives the API, scrapes
// /metrics and parses it as Prometheus text, checks the reserved surfaces,
// and shuts down cleanly with a last checkpoint.
func TestServeMountsEverySurface(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	st := storetest.SQLite(t)
	canon, err := observable.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ev := evidencetest.Log(t, st)
	h := hub.New(st, canon, ev, quiet)
	h.SetWarningLists(warninglist.Fictional())
	if _, err := h.OperatorCreateOrg(ctx, "org-a", "A", "NL", "bank", false); err != nil {
		t.Fatal(err)
	}
	secret, _, err := h.OperatorIssueToken(ctx, "org-a", intel.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Config{Hub: h, Secret: bytes.Repeat([]byte{2}, 32), Limits: hub.DefaultLimits, CheckpointEvery: 50 * time.Millisecond, IndexPoll: 20 * time.Millisecond, Log: quiet})
	if err := s.Start(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	do := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, b := do("POST", "/api/v1/records", `{"records":[{"value":"evil.example.com","tlp":"green"},{"value":"not a value","tlp":"green"}]}`); status != 200 {
		t.Fatalf("records: %d %s", status, b)
	}
	// The change feed the daemon runs puts the new record in the index.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, b := do("POST", "/api/v1/events", `{"time":"2026-11-20T10:00:00Z","value":"evil.example.com"}`+"\n"); status != 200 {
			t.Fatalf("events: %d %s", status, b)
		} else if bytes.Contains(b, []byte(`"matches":1`)) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the index feed never picked up a new record: %s", b)
		}
	}
	if status, b := do("GET", "/healthz", ""); status != 200 || !bytes.Contains(b, []byte(`"ok"`)) {
		t.Errorf("healthz: %d %s", status, b)
	}
	// TAXII 2.1: discovery is public; collections need the token.
	if status, b := do("GET", "/taxii2/", ""); status != 200 || !bytes.Contains(b, []byte(`"api_roots"`)) {
		t.Errorf("/taxii2/: %d %s", status, b)
	}
	if status, b := do("GET", "/taxii2/api/collections/", ""); status != 200 || !bytes.Contains(b, []byte(`"collections"`)) {
		t.Errorf("/taxii2/api/collections/: %d %s", status, b)
	}
	// The web UI answers / with its start page and unknown paths with its
	// 404 page, both under its Content-Security-Policy.
	for path, want := range map[string]int{"/": 200, "/login": 200, "/index.html": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			resp.Header.Get("Content-Security-Policy") != ui.ContentSecurityPolicy || !bytes.Contains(b, []byte("<html lang=")) {
			t.Errorf("web UI %s: %d %v %.200s", path, resp.StatusCode, resp.Header, b)
		}
	}
	if status, _ := do("GET", "/api/v1/nothing-here", ""); status != 404 {
		t.Errorf("unknown API route: %d", status)
	}

	status, body := do("GET", "/metrics", "")
	if status != 200 {
		t.Fatalf("metrics: %d", status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text format: %v\n%s", err, body)
	}
	value := func(name string, labels map[string]string) float64 {
		f := families[name]
		if f == nil {
			t.Errorf("metric %s missing", name)
			return -1
		}
	next:
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Errorf("metric %s has no series %v", name, labels)
		return -1
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"fusion_http_requests_total", map[string]string{"route": "/api/v1/records", "method": "POST", "code": "200"}, 1},
		{"fusion_records_submitted_total", map[string]string{"result": "created"}, 1},
		{"fusion_records_submitted_total", map[string]string{"result": "refused"}, 1},

		{"fusion_matches_total", nil, 1},
		{"fusion_match_index_records", nil, 1},
		{"fusion_evidence_halted", nil, 0},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := value("fusion_http_request_duration_seconds", map[string]string{"route": "/api/v1/events", "method": "POST"}); got < 1 {
		t.Errorf("no latency observed for POST /api/v1/events")
	}
	if got := value("fusion_events_total", nil); got < 1 {
		t.Errorf("fusion_events_total = %v", got)
	}
	if got := value("fusion_evidence_entries", nil); got < 4 {
		t.Errorf("fusion_evidence_entries = %v", got)
	}

	stop()
	if err := <-served; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// The jobs stopped and a last checkpoint covers everything logged.
	cps, err := st.Checkpoints(context.Background())
	if err != nil || len(cps) == 0 {
		t.Fatalf("no checkpoint after shutdown: %v", err)
	}
	size, _ := st.EvidenceSize(context.Background())
	if last := cps[len(cps)-1]; last.Size+1 != size {
		t.Errorf("the last checkpoint covers %d of %d entries", last.Size, size)
	}
}
