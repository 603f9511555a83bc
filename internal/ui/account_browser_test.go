package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"fusion/internal/intel"
	"fusion/internal/server/servertest"
	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// body is the tab's visible text.
func body(tab *uitest.Tab) string { return uitest.Eval[string](tab, "document.body.innerText") }

// TestBrowserAccountTOTPAndPassword: on a real hub, a user enrols a second
// factor through the account page (the code computed from the secret the
// page shows), signs out, and signing in again needs a code; then changes
// the password, which ends the session of another browser too, and the
// hub takes the new password and no longer the old one.
func TestBrowserAccountTOTPAndPassword(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	const pw, pw2 = "correct horse battery staple", "tr0ub4dor and three more words"
	if _, err := h.Hub.OperatorCreateUser(ctx, "org-a", "ann", "Ann", intel.RoleAnalyst, pw); err != nil {
		t.Fatal(err)
	}
	en := ui.LangByCode("en")
	other := signIn(t, h, "ann", pw, "en") // a second browser, whose session the password change ends
	tab := signIn(t, h, "ann", pw, "en")
	resp := tab.Open(h.URL + "/account")
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), en)
	facts := uitest.Eval[string](tab, "document.querySelector('#account-facts').innerText")
	for _, want := range []string{"ann", "org-a", en.T("role.analyst"), en.T("account.totp.off")} {
		if !strings.Contains(facts, want) {
			t.Errorf("the account facts lack %q:\n%s", want, facts)
		}
	}
	if n := uitest.Eval[int](tab, `document.querySelectorAll('nav a[href="/admin"]').length`); n != 0 {
		t.Errorf("an analyst's navigation links to /admin")
	}

	// Enrol: the page shows the secret, its otpauth:// URL and a QR code.
	resp = tab.Navigate(chromedp.Click(chromedp.CSS(`#totp-enrol button`)))
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), en)
	secret := uitest.Eval[string](tab, "document.querySelector('#totp-secret').innerText")
	otpURL := uitest.Eval[string](tab, "document.querySelector('#totp-url').innerText")
	if len(secret) < 32 || !strings.HasPrefix(otpURL, "otpauth://totp/") || !strings.Contains(otpURL, "secret="+secret) {
		t.Fatalf("enrolment shows secret %q, URL %q", secret, otpURL)
	}
	if n := uitest.Eval[int](tab, "document.querySelectorAll('figure.qr svg path').length"); n != 1 {
		t.Errorf("%d QR code paths", n)
	}
	if cc := uitest.Header(resp, "Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret has Cache-Control %q", cc)
	}
	tab.Screenshot("account-en")

	// A wrong code is refused in place; the right one turns the factor on.
	resp = tab.Navigate(chromedp.SendKeys(chromedp.CSS("#code"), "000000"), chromedp.Click(chromedp.CSS(`#totp-confirm button`)))
	tab.Problems() // the 400 is logged as a failed resource
	now := time.Now()
	code, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if code != "000000" && (resp.Status != 400 || uitest.Eval[int](tab, "document.querySelectorAll('#account-error').length") != 1) {
		t.Errorf("a wrong code: %d %s", resp.Status, body(tab))
	}
	tab.Navigate(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS(`#totp-confirm button`)))
	if loc := uitest.Eval[string](tab, "location.pathname+location.search"); loc != "/account?done=totp" {
		t.Fatalf("after confirming at %q: %s", loc, body(tab))
	}
	if got := uitest.Eval[string](tab, "document.querySelector('#totp-state').innerText"); got != en.T("account.totp.on") {
		t.Errorf("second factor state %q", got)
	}

	// Signing out and in again now needs a code.
	tab.Navigate(chromedp.Click(chromedp.CSS(`form.logout button`)))
	tab.Open(h.URL + "/login")
	tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#login"), "ann"),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
	)
	if n := uitest.Eval[int](tab, "document.querySelectorAll('#totp').length"); n != 1 {
		t.Fatalf("signing in after enrolment asks for no code: %s", body(tab))
	}
	next, err := totp.GenerateCode(secret, now.Add(30*time.Second)) // the confirmed step cannot be used again
	if err != nil {
		t.Fatal(err)
	}
	tab.Navigate(chromedp.SendKeys(chromedp.CSS("#totp"), next), chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/dashboard" {
		t.Fatalf("after both steps at %q: %s", loc, body(tab))
	}

	// The password change: a mismatch is refused in place; then the
	// session ends, here and in the other browser.
	tab.Open(h.URL + "/account")
	resp = tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#current"), pw),
		chromedp.SendKeys(chromedp.CSS("#new"), pw2),
		chromedp.SendKeys(chromedp.CSS("#repeat"), pw2+"x"),
		chromedp.Click(chromedp.CSS(`#password-form button`)),
	)
	tab.Problems()
	if resp.Status != 400 || !strings.Contains(body(tab), "repeat") {
		t.Errorf("a mismatched repeat: %d %s", resp.Status, body(tab))
	}
	tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#current"), pw),
		chromedp.SendKeys(chromedp.CSS("#new"), pw2),
		chromedp.SendKeys(chromedp.CSS("#repeat"), pw2),
		chromedp.Click(chromedp.CSS(`#password-form button`)),
	)
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/login" {
		t.Fatalf("after the password change at %q: %s", loc, body(tab))
	}
	if got := uitest.Eval[string](tab, "document.querySelector('#login-notice').innerText"); got != en.T("login.done.password") {
		t.Errorf("login notice %q", got)
	}
	other.Open(h.URL + "/account")
	if loc := uitest.Eval[string](other, "location.pathname"); loc != "/login" {
		t.Errorf("the other browser's session outlived the password change: at %q", loc)
	}
	if _, _, err := h.Hub.BeginLogin(ctx, "ann", pw, "127.0.0.2"); err == nil {
		t.Errorf("the old password still signs in")
	}
	if _, pending, err := h.Hub.BeginLogin(ctx, "ann", pw2, "127.0.0.3"); err != nil || pending == "" {
		t.Errorf("the new password: pending %q, %v", pending, err)
	}
}

// TestBrowserAccountAdmin: an admin creates a user (password generated,
// shown once) and a reader token (secret shown once) through the
// administration page, both of which the hub then takes; disables the
// user and revokes the token, which the hub then refuses; signs out
// everywhere from the account page. An analyst gets the 403 page and no
// link to it.
func TestBrowserAccountAdmin(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	const pw = "correct horse battery staple"
	for _, u := range []struct {
		login string
		role  intel.Role
	}{{"ada", intel.RoleAdmin}, {"ann", intel.RoleAnalyst}} {
		if _, err := h.Hub.OperatorCreateUser(ctx, "org-a", u.login, strings.ToUpper(u.login[:1])+u.login[1:], u.role, pw); err != nil {
			t.Fatal(err)
		}
	}
	en, ja := ui.LangByCode("en"), ui.LangByCode("ja")

	ada := signIn(t, h, "ada", pw, "en")
	resp := ada.Navigate(chromedp.Click(chromedp.CSS(`nav a[href="/admin"]`)))
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	if n := uitest.Eval[int](ada, "document.querySelectorAll('table.users tbody tr').length"); n != 2 {
		t.Errorf("%d users listed: %s", n, body(ada))
	}
	resp = ada.Navigate(
		chromedp.SendKeys(chromedp.CSS("#new-login"), "bob"),
		chromedp.SendKeys(chromedp.CSS("#new-name"), "Bob"),
		chromedp.SetValue(chromedp.CSS("#new-role"), "reader"),
		chromedp.Click(chromedp.CSS(`#user-form button`)),
	)
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	bobPW := uitest.Eval[string](ada, "document.querySelector('#new-password').innerText")
	if len(bobPW) < 26 {
		t.Fatalf("generated password %q: %s", bobPW, body(ada))
	}
	if s, err := h.Hub.Login(ctx, "bob", bobPW, "", "127.0.0.4"); err != nil || s.Token == "" {
		t.Errorf("bob cannot sign in with the password shown: %v", err)
	}
	// A taken login name is refused in place.
	resp = ada.Navigate(
		chromedp.SendKeys(chromedp.CSS("#new-login"), "bob"),
		chromedp.SendKeys(chromedp.CSS("#new-name"), "Bob again"),
		chromedp.Click(chromedp.CSS(`#user-form button`)),
	)
	ada.Problems()
	if resp.Status != 409 || uitest.Eval[int](ada, "document.querySelectorAll('#admin-error').length") != 1 {
		t.Errorf("a taken login name: %d %s", resp.Status, body(ada))
	}

	resp = ada.Navigate(
		chromedp.SendKeys(chromedp.CSS("#token-name"), "ci pipeline"),
		chromedp.SetValue(chromedp.CSS("#token-role"), "reader"),
		chromedp.Click(chromedp.CSS(`#token-form button`)),
	)
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	secret := uitest.Eval[string](ada, "document.querySelector('#token-secret').innerText")
	c, err := h.Hub.Authenticate(ctx, secret)
	if err != nil || c.Org != "org-a" || c.Role != intel.RoleReader {
		t.Fatalf("the token shown: %+v, %v", c, err)
	}
	ada.Screenshot("admin-en")

	ada.Navigate(chromedp.Click(chromedp.CSS(`#user-bob button[formaction$="/disable"]`)))
	if got := uitest.Eval[string](ada, "document.querySelector('#admin-done').innerText"); got != en.T("admin.done.disabled") {
		t.Errorf("after disabling: %q", got)
	}
	if _, err := h.Hub.Login(ctx, "bob", bobPW, "", "127.0.0.5"); err == nil {
		t.Errorf("a disabled user signs in")
	}
	ada.Navigate(chromedp.Click(chromedp.CSS(`#token-` + c.TokenID + ` button`)))
	if _, err := h.Hub.Authenticate(ctx, secret); err == nil {
		t.Errorf("a revoked token authenticates")
	}

	// The analyst: no link, and the hub's policy refuses the page.
	ann := signIn(t, h, "ann", pw, "ja")
	if n := uitest.Eval[int](ann, `document.querySelectorAll('nav a[href="/admin"]').length`); n != 0 {
		t.Errorf("an analyst's navigation links to /admin")
	}
	resp = ann.Open(h.URL + "/admin")
	ann.Problems() // the 403 is logged as a failed resource
	if resp.Status != 403 || uitest.Eval[string](ann, "document.querySelector('#admin-forbidden').innerText") != ja.T("admin.forbidden") ||
		strings.Contains(body(ann), "bob") {
		t.Errorf("an analyst's /admin: %d %s", resp.Status, body(ann))
	}
	// A forged form (the page's own CSRF token, aimed at /admin/tokens) is
	// refused by the hub's policy too, and issues nothing.
	ann.Open(h.URL + "/account")
	resp = ann.Navigate(
		chromedp.SetAttributeValue(chromedp.CSS("form.logout"), "action", "/admin/tokens"),
		chromedp.Click(chromedp.CSS("form.logout button")),
	)
	ann.Problems()
	if resp.Status != 403 {
		t.Errorf("an analyst's POST /admin/tokens: %d %s", resp.Status, body(ann))
	}
	if toks, err := h.Hub.OperatorTokens(ctx, "org-a"); err != nil || len(toks) != 2 {
		t.Errorf("org-a's tokens after the analyst's attempt: %d, %v", len(toks), err)
	}

	// Japanese pages, for the screenshots.
	adaJA := signIn(t, h, "ada", pw, "ja")
	resp = adaJA.Open(h.URL + "/admin")
	checkPage(t, adaJA, uitest.Header(resp, "Content-Security-Policy"), ja)
	adaJA.Screenshot("admin-ja")
	adaJA.Open(h.URL + "/account")
	resp = adaJA.Navigate(chromedp.Click(chromedp.CSS(`#totp-enrol button`)))
	checkPage(t, adaJA, uitest.Header(resp, "Content-Security-Policy"), ja)
	adaJA.Screenshot("account-ja")

	// Signing out everywhere ends both of ada's sessions.
	adaJA.Navigate(chromedp.Click(chromedp.CSS(`#sessions-form button`)))
	if got := uitest.Eval[string](adaJA, "document.querySelector('#login-notice').innerText"); got != ja.T("login.done.sessions") {
		t.Errorf("after signing out everywhere: %q", got)
	}
	ada.Open(h.URL + "/admin")
	if loc := uitest.Eval[string](ada, "location.pathname"); loc != "/login" {
		t.Errorf("ada's other session outlived signing out everywhere: at %q", loc)
	}
}
