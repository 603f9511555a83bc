package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"fusion/internal/hub"
)

// post sends body to path as org with an Idempotency-Key, and returns the
// status, the raw answer and whether it was replayed.
func (f *fixture) post(path, org, key, body string) (int, string, bool) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tokens[org])
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed") == "true"
}

// TestIdempotencyKey: a retry with the same key gets the first answer,
// byte for byte, and changes nothing; the key with another body is
// refused; concurrent retries make one set of records.
func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	enableMatching(t, f, hub.DefaultLimits)
	size := func() int64 {
		n, err := f.hub.Evidence().Size(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	body := `{"records":[{"value":"idem-1.example.net","tlp":"green","labels":["phishing"]},{"value":"idem-2.example.net","tlp":"amber","audience":{"orgs":["org-b"]}},{"value":"nope","tlp":"green"}]}`
	status, first, replayed := f.post("/api/v1/records", "org-a", "batch-0001", body)
	if status != 200 || replayed || !strings.Contains(first, `"created":2`) {
		t.Fatalf("first: %d %s", status, first)
	}
	logged := size()
	status, again, replayed := f.post("/api/v1/records", "org-a", "batch-0001", body)
	if status != 200 || !replayed || again != first {
		t.Fatalf("retry: %d replayed=%v\n%s\nwant\n%s", status, replayed, again, first)
	}
	if size() != logged {
		t.Error("a replayed answer was logged as a new submission")
	}
	// Without the key, a resubmission answers "unchanged" for the same ids.
	_, plain, _ := f.post("/api/v1/records", "org-a", "", body)
	if !strings.Contains(plain, `"unchanged":2`) {
		t.Errorf("resubmitted without a key: %s", plain)
	}
	status, reused, _ := f.post("/api/v1/records", "org-a", "batch-0001", strings.Replace(body, "idem-1", "idem-3", 1))
	if status != 422 || !strings.Contains(reused, "idempotency_key_reused") {
		t.Errorf("the key with another body: %d %s", status, reused)
	}
	// Another organization's key space is its own.
	if status, _, replayed := f.post("/api/v1/records", "org-b", "batch-0001", body); status != 200 || replayed {
		t.Errorf("org-b with org-a's key: %d replayed=%v", status, replayed)
	}
	for _, bad := range []string{"has space", strings.Repeat("k", 256), "é"} {
		status, ans, _ := f.post("/api/v1/records", "org-a", bad, body)
		if status != 400 || !strings.Contains(ans, "Idempotency-Key") {
			t.Errorf("key %q: %d %s", bad, status, ans)
		}
	}

	// Concurrent retries of a new batch: one set of records, one answer.
	body = `{"records":[{"value":"race-1.example.net","tlp":"green"},{"value":"race-2.example.net","tlp":"green"}]}`
	answers := make([]string, 6)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var status int
			status, answers[i], _ = f.post("/api/v1/records", "org-c", "race-key", body)
			if status != 200 {
				t.Errorf("concurrent %d: %d %s", i, status, answers[i])
			}
		}()
	}
	wg.Wait()
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Fatalf("concurrent retries got different answers:\n%s\n%s", a, answers[0])
		}
	}
	if !strings.Contains(answers[0], `"created":2`) {
		t.Errorf("the kept answer: %s", answers[0])
	}

	// Events: the retry of a batch of events counts nothing twice.
	events := `{"time":"2026-11-30T10:00:00Z","value":"idem-2.example.net"}` + "\n"
	_, ev1, _ := f.post("/api/v1/events", "org-b", "ev-1", events)
	_, ev2, replayed := f.post("/api/v1/events", "org-b", "ev-1", events)
	if ev1 != ev2 || !replayed || !strings.Contains(ev1, `"matches":2`) { // org-a's record and org-b's own of the value
		t.Errorf("events retried: %s / %s (replayed %v)", ev1, ev2, replayed)
	}
	var own struct{ Sightings []struct{ Count int } }
	f.do("GET", "/api/v1/sightings", "org-b", nil, &own)
	if len(own.Sightings) != 2 || own.Sightings[0].Count != 1 || own.Sightings[1].Count != 1 {
		t.Errorf("sightings after a retried batch of events: %+v", own)
	}
}
