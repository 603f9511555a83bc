package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"fusion/internal/evidence"
	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/server"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

type fixture struct {
	t      testing.TB
	hub    *hub.Hub
	notary *evidence.Notary
	srv    *httptest.Server
	tokens map[string]string // org -> analyst token
}

func newHub(t testing.TB, st *store.Store, ev *evidence.Log) *hub.Hub {
	canon, err := observable.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(st, canon, ev, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetWarningLists(warninglist.Fictional()) // the tests' values are documentation addresses and example.com names
	return h
}

// newFixture starts the API over a fresh SQLite store with four
// organizations: org-a (bank, owner of grp-ab with org-b), org-b (police),
// org-c (cert) and hub-op (which runs the hub), each with an admin token.
func newFixture(t testing.TB) *fixture {
	return newFixtureOn(t, storetest.SQLite(t))
}

func newFixtureOn(t testing.TB, st *store.Store) *fixture {
	return newFixtureLog(t, st, evidencetest.Log(t, st))
}

// newFixtureLog is newFixtureOn with the evidence log ev.
func newFixtureLog(t testing.TB, st *store.Store, ev *evidence.Log) *fixture {
	ctx := context.Background()
	h := newHub(t, st, ev)
	f := &fixture{t: t, hub: h, tokens: map[string]string{}}
	for _, o := range []struct{ id, sector string }{{"org-a", "bank"}, {"org-b", "police"}, {"org-c", "cert"}, {"hub-op", "other"}} {
		if _, err := h.OperatorCreateOrg(ctx, o.id, "Org "+o.id, "DE", o.sector, o.id == "hub-op"); err != nil {
			t.Fatal(err)
		}
		secret, _, err := h.OperatorIssueToken(ctx, o.id, intel.RoleAdmin, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[o.id] = secret
	}
	if _, err := h.OperatorCreateGroup(ctx, "grp-ab", "A and B", "org-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.OperatorAddMember(ctx, "grp-ab", "org-b"); err != nil {
		t.Fatal(err)
	}
	f.notary = h.Evidence().Notary()
	f.srv = httptest.NewServer(server.New(server.Config{Hub: h, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request as org (no token if org is "") and decodes a JSON answer into out if non-nil.
func (f *fixture) do(method, path, org string, body any, out any) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if org != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[org])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var generic map[string]any
	json.Unmarshal(raw, &generic)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			f.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, generic
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// hitResult is one answer of POST /api/v1/hits as a client decodes it.
type hitResult struct {
	hub.HitAnswer
	Error *struct{ Code, Message string } `json:"error"`
}
