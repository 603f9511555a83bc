package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/server/servertest"
)

var tokenSecretShown = regexp.MustCompile(`<code id="token-secret">([^<]+)</code>`)

// TestAdminThroughTheUI, over HTTP against a real hub (no browser): an
// admin's token issued through the form authenticates as the
// organization with the role chosen, and only after the form's token and
// a same-origin request; an analyst's /admin is the 403 page and the
// analyst's admin POSTs issue, create, disable and revoke nothing; a bad
// role is shown in place naming the field.
func TestAdminThroughTheUI(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	h.Org(t, "org-b", intel.RoleAnalyst)
	const pw = "correct horse battery staple"
	for _, u := range []struct {
		org, login string
		role       intel.Role
	}{{"org-a", "ada", intel.RoleAdmin}, {"org-a", "ann", intel.RoleAnalyst}, {"org-b", "bea", intel.RoleAdmin}} {
		if _, err := h.Hub.OperatorCreateUser(ctx, u.org, u.login, u.login, u.role, pw); err != nil {
			t.Fatal(err)
		}
	}
	tokens := func(org string) int {
		t.Helper()
		toks, err := h.Hub.OperatorTokens(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		return len(toks)
	}
	anon := &uiClient{t: t, base: h.URL, token: "not-a-session", lang: "en"}
	for _, p := range []string{"GET /account", "GET /admin", "POST /account/totp", "POST /account/totp/confirm", "POST /account/password",
		"POST /account/sessions", "POST /admin/users", "POST /admin/users/ann/disable", "POST /admin/users/ann/enable",
		"POST /admin/users/ann/sessions", "POST /admin/tokens", "POST /admin/tokens/x/revoke"} {
		method, path, _ := strings.Cut(p, " ")
		var form url.Values
		if method == "POST" {
			form = url.Values{"role": {"admin"}}
		}
		if st, loc, _ := anon.do(method, path, form, nil); st != 303 || loc != "/login" {
			t.Errorf("%s without a session: %d %q", p, st, loc)
		}
	}
	ada := signInHTTP(t, h, "ada", pw, "en")
	page := ada.get("/admin", 200)
	for _, want := range []string{`id="user-ada"`, `id="user-ann"`, `action="/admin/tokens"`} {
		if !strings.Contains(page, want) {
			t.Errorf("ada's /admin lacks %s", want)
		}
	}
	if strings.Contains(page, `formaction="/admin/users/ada/disable"`) || !strings.Contains(page, `formaction="/admin/users/ann/disable"`) {
		t.Errorf("the Disable buttons: ada's own row must have none, ann's one")
	}
	if strings.Contains(page, "bea") {
		t.Errorf("LEAK: ada's /admin lists org-b's user")
	}

	// Refused before the hub is asked: no CSRF token, a foreign Origin.
	if st, _, _ := ada.do("POST", "/admin/tokens", url.Values{"role": {"reader"}}, nil); st != 403 {
		t.Errorf("without the form's token: %d", st)
	}
	if st, _, _ := ada.post("/admin/tokens", url.Values{"role": {"reader"}}, map[string]string{"Origin": "https://evil.example"}); st != 403 {
		t.Errorf("from a foreign origin: %d", st)
	}
	if n := tokens("org-a"); n != 1 {
		t.Fatalf("org-a has %d tokens after refused posts", n)
	}
	st, _, body := ada.post("/admin/tokens", url.Values{"role": {"god"}, "name": {"x"}}, nil)
	if st != 400 || !strings.Contains(body, `id="admin-error"`) || !strings.Contains(body, "god") {
		t.Errorf("a bad role: %d", st)
	}
	st, _, body = ada.post("/admin/tokens", url.Values{"role": {"sensor"}, "name": {"zeek box"}}, nil)
	m := tokenSecretShown.FindStringSubmatch(body)
	if st != 200 || m == nil {
		t.Fatalf("issuing a token: %d", st)
	}
	c, err := h.Hub.Authenticate(ctx, m[1])
	if err != nil || c.Org != "org-a" || c.Role != intel.RoleSensor {
		t.Fatalf("the token shown: %+v %v", c, err)
	}

	// The analyst: the 403 page, and every admin POST refused by the hub.
	ann := signInHTTP(t, h, "ann", pw, "ja")
	if body := ann.get("/admin", 403); !strings.Contains(body, `id="admin-forbidden"`) || strings.Contains(body, "user-ada") {
		t.Errorf("an analyst's /admin lists users or lacks the refusal")
	}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/admin/tokens", url.Values{"role": {"admin"}}},
		{"/admin/users", url.Values{"login": {"eve"}, "name": {"Eve"}, "role": {"admin"}, "password": {"eve's passphrase!"}}},
		{"/admin/users/ada/disable", url.Values{}},
		{"/admin/users/ada/sessions", url.Values{}},
		{"/admin/tokens/" + c.TokenID + "/revoke", url.Values{}},
	} {
		if st, _, _ := ann.post(p.path, p.form, nil); st != 403 {
			t.Errorf("an analyst's POST %s: %d", p.path, st)
		}
	}
	if n := tokens("org-a"); n != 2 {
		t.Errorf("org-a has %d tokens after the analyst's posts", n)
	}
	if _, err := h.Hub.Authenticate(ctx, m[1]); err != nil {
		t.Errorf("the analyst revoked the token: %v", err)
	}
	ada.get("/admin", 200) // ada's session survived the analyst's attempt

	// Another organization's admin: ada's users and tokens are not hers.
	bea := signInHTTP(t, h, "bea", pw, "en")
	if st, _, _ := bea.post("/admin/users/ann/disable", url.Values{}, nil); st != 404 {
		t.Errorf("org-b's admin disabling org-a's user: %d", st)
	}
	if st, _, _ := bea.post("/admin/tokens/"+c.TokenID+"/revoke", url.Values{}, nil); st != 404 {
		t.Errorf("org-b's admin revoking org-a's token: %d", st)
	}
	if _, err := h.Hub.Authenticate(ctx, m[1]); err != nil {
		t.Errorf("org-b's admin revoked org-a's token: %v", err)
	}
	if _, err := h.Hub.Login(ctx, "ann", pw, "", "127.0.0.9"); err != nil {
		t.Errorf("org-b's admin disabled org-a's user: %v", err)
	}
}
