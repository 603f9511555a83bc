package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server"
	"fusion/internal/store/storetest"
	"fusion/internal/ui"
)

// TestUISignInThroughHub signs in through the UI's login form against the
// hub's users: one step without a second factor, two with one, and the
// session cookie the form sets is a session the hub knows.
func TestUISignInThroughHub(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New(st, nil, evidencetest.Log(t, st), quiet)
	if _, err := h.OperatorCreateOrg(ctx, "org-a", "A", "NL", "bank", false); err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery staple"
	if _, err := h.OperatorCreateUser(ctx, "org-a", "ann", "Ann", intel.RoleAnalyst, pw); err != nil {
		t.Fatal(err)
	}
	handler := server.New(server.Config{Hub: h, Secret: bytes.Repeat([]byte{2}, 32), Auth: server.HubAuth(h), Log: quiet}).Handler()
	post := func(form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	session := func(w *httptest.ResponseRecorder) string {
		for _, c := range w.Result().Cookies() {
			if c.Name == ui.SessionCookie {
				return c.Value
			}
		}
		return ""
	}

	w := post(url.Values{"login": {"ann"}, "password": {"wrong password!"}})
	if w.Code != http.StatusUnauthorized || session(w) != "" {
		t.Fatalf("wrong password: %d", w.Code)
	}
	w = post(url.Values{"login": {"ann"}, "password": {pw}})
	token := session(w)
	if w.Code != http.StatusSeeOther || token == "" {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	c, _, err := h.SessionCaller(ctx, token)
	if err != nil {
		t.Fatal(err)
	}

	secret, _, err := h.EnrolTOTP(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
	if err := h.ConfirmTOTP(ctx, c, code); err != nil {
		t.Fatal(err)
	}
	w = post(url.Values{"login": {"ann"}, "password": {pw}})
	if w.Code != http.StatusOK || session(w) != "" || !strings.Contains(w.Body.String(), `name="pending"`) {
		t.Fatalf("first step with a second factor: %d %s", w.Code, w.Body)
	}
	i := strings.Index(w.Body.String(), `name="pending" value="`)
	if i < 0 {
		t.Fatalf("no pending challenge in %s", w.Body)
	}
	rest := w.Body.String()[i+len(`name="pending" value="`):]
	pending := rest[:strings.IndexByte(rest, '"')]
	code, _ = totp.GenerateCode(secret, time.Now())
	w = post(url.Values{"pending": {pending}, "totp": {code}})
	if w.Code != http.StatusSeeOther || session(w) == "" {
		t.Fatalf("second step: %d %s", w.Code, w.Body)
	}
	if _, _, err := h.SessionCaller(ctx, session(w)); err != nil {
		t.Fatal(err)
	}

	// Throttled: 429 with Retry-After.
	for range hub.LoginFailuresPerName {
		post(url.Values{"login": {"ann"}, "password": {"wrong password!"}})
	}
	w = post(url.Values{"login": {"ann"}, "password": {pw}})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("throttled: %d %v", w.Code, w.Header())
	}
}
