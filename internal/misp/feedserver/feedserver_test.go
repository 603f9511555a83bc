package feedserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/server/servertest"
)

// TestFeedAnswers: the feed's refusals, each with MISP's error shape and
// the reason; what it serves is checked against the policy model by
// internal/authztest (over HTTP in internal/api).
func TestFeedAnswers(t *testing.T) {
	h := servertest.Start(t)
	tok := h.Org(t, "org-a", intel.RoleAnalyst)
	for _, tt := range []struct {
		method, path, auth string
		status             int
		want               string
	}{
		{"GET", "/misp/feed/manifest.json", "", 401, "no Authorization header"},
		{"GET", "/misp/feed/manifest.json", "Bearer fsn_nope", 401, ""},
		{"GET", "/misp/feed/manifest.json", "Digest x", 401, `is not Bearer, Token or Basic`},
		{"POST", "/misp/feed/manifest.json", tok, 405, "read with GET"},
		{"GET", "/misp/feed/", tok, 404, "no such feed file"},
		{"GET", "/misp/feed/a/b.json", tok, 404, "no such feed file"},
		{"GET", "/misp/feed/notes.txt", tok, 404, "no such feed file"},
		{"GET", "/misp/feed/not-a-uuid.json", tok, 404, "not found"},
		{"GET", "/misp/feed/5e3b2a1c-1111-4c3b-9f5e-0a0b0c0d0e0f.json", "Bearer " + tok, 404, "not found"},
		{"GET", "/misp/feed/manifest.json", tok, 200, "{}"},
		{"GET", "/misp/feed/hashes.csv", "Token " + tok, 200, ""},
	} {
		req, _ := http.NewRequest(tt.method, h.URL+tt.path, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s %s (%q): %d %s, want %d with %q", tt.method, tt.path, tt.auth, resp.StatusCode, body, tt.status, tt.want)
		}
		if resp.StatusCode != 200 && !strings.Contains(string(body), `"message"`) {
			t.Errorf("%s %s: error %s is not MISP's shape", tt.method, tt.path, body)
		}
	}
}
