package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzHandlers drives every route that takes a body, and the query strings
// of the list routes, with random input: no answer may be a 5xx.
func FuzzHandlers(f *testing.F) {
	fx := newFixture(f)
	handler := fx.srv.Config.Handler
	targets := []struct{ method, path string }{
		{"POST", "/api/v1/records"},
		{"PATCH", "/api/v1/records/"},
		{"POST", "/api/v1/reports"},
		{"PATCH", "/api/v1/reports/"},
		{"POST", "/api/v1/groups"},
		{"POST", "/api/v1/groups/grp-ab/members"},
		{"POST", "/api/v1/tokens"},
		{"GET", "/api/v1/records?"},
		{"GET", "/api/v1/reports?"},
		{"DELETE", "/api/v1/records/"},
	}
	seeds := []string{
		`{"records":[{"value":"hxxp://evil[.]example[.]com","tlp":"amber","audience":{"orgs":["org-b"]}}]}`,
		`{"records":[{"type":"card","value":"4111 1111 1111 1111","tlp":"red","audience":{"orgs":["org-b"]}}]}`,
		`{"records":[{"value":"+12025550142","tlp":"green","personal":true,"first_seen":"2026-01-01T00:00:00Z","last_seen":"2025-01-01T00:00:00Z"}]}`,
		`{"title":"t","tlp":"amber","records":["x"],"handling":{"codes":["H3"]}}`,
		`{"tlp":"red","audience":{"groups":["grp-ab"]},"confidence":101}`,
		`{"id":"g-1","name":"n"}`, `{"org":"org-c"}`, `{"role":"reader","name":"x"}`,
		`value=hxxp://x[.]example[.]com&limit=2`, `label=phishing&since=2026-01-01T00:00:00Z&cursor=czE`,
		`{"records":[{}]}`, `[]`, `null`, `{"records":null}`, "\xff\xfe",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		tg := targets[int(which)%len(targets)]
		path := tg.path
		var req *http.Request
		switch {
		case tg.method == "GET":
			req = httptest.NewRequest(tg.method, "/", nil)
			req.URL.Path = path[:len(path)-1]
			req.URL.RawQuery = body
		case path[len(path)-1] == '/':
			req = httptest.NewRequest(tg.method, "/", bytes.NewBufferString(body))
			req.URL.Path = path + "some-id"
		default:
			req = httptest.NewRequest(tg.method, path, bytes.NewBufferString(body))
		}
		req.Header.Set("Authorization", "Bearer "+fx.tokens["org-a"])
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", tg.method, path, body, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Content-Type") != "application/json" && rec.Code != http.StatusNoContent {
			t.Fatalf("%s %s: answer is not JSON: %q", tg.method, path, rec.Header().Get("Content-Type"))
		}
	})
}
