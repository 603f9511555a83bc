package ui_test

import (
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// checkPage fails the test when the page in tab is not in lang, shows a
// missing translation, lacks the CSP header, or logged a problem.
func checkPage(t *testing.T, tab *uitest.Tab, csp string, lang *ui.Lang) {
	t.Helper()
	if csp != ui.ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if got := uitest.Eval[string](tab, "document.documentElement.lang"); got != lang.Code {
		t.Errorf("<html lang> = %q, want %q", got, lang.Code)
	}
	body := uitest.Eval[string](tab, "document.body.innerText")
	if strings.Contains(body, ui.MissingMarker) {
		t.Errorf("a translation is missing on the page:\n%s", body)
	}
	// The stylesheet loaded under the CSP (the header is dark).
	if bg := uitest.Eval[string](tab, "getComputedStyle(document.querySelector('header.site')).backgroundColor"); bg != "rgb(20, 33, 61)" {
		t.Errorf("the stylesheet did not apply: header background %q", bg)
	}
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("console or log problems: %q", p)
	}
	if d := tab.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs opened: %q", d)
	}
}

// TestBrowserLoginPage renders the login page of a real hub in Chromium in
// English and in Japanese, chosen by Accept-Language.
func TestBrowserLoginPage(t *testing.T) {
	hub, b := uitest.Start(t)
	for _, tc := range []struct{ accept, code string }{{"en-GB,en;q=0.9", "en"}, {"ja-JP,ja;q=0.9,en;q=0.5", "ja"}} {
		t.Run(tc.code, func(t *testing.T) {
			lang := ui.LangByCode(tc.code)
			tab := b.Tab(t, tc.accept)
			resp := tab.Open(hub.URL + "/login")
			if resp.Status != 200 {
				t.Fatalf("GET /login: %d", resp.Status)
			}
			checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), lang)
			if h1 := uitest.Eval[string](tab, "document.querySelector('h1').innerText"); h1 != lang.T("login.heading") {
				t.Errorf("h1 = %q, want %q", h1, lang.T("login.heading"))
			}
			// Every input has a label, and a hub signs its users in.
			if n := uitest.Eval[int](tab, `[...document.querySelectorAll('input:not([type=hidden])')].filter(i => !i.labels || i.labels.length === 0).length`); n != 0 {
				t.Errorf("%d inputs without a label", n)
			}
			if got := uitest.Eval[bool](tab, "document.getElementById('login-unavailable') !== null"); got {
				t.Errorf("a hub with users says sign-in is unavailable")
			}
			tab.Screenshot("login-" + tc.code)
			// The login name has the focus (autofocus); on a page without
			// a form, the first Tab key stop is the skip link.
			if got := uitest.Eval[string](tab, "document.activeElement.id"); got != "login" {
				t.Errorf("focus on %q, want the login name", got)
			}
			tab.Open(hub.URL + "/about")
			tab.Do(chromedp.KeyEvent("\t"))
			if got := uitest.Eval[string](tab, "document.activeElement.className"); got != "skip" {
				t.Errorf("first focus on %q, want the skip link", got)
			}
		})
	}
}

// TestBrowserLanguageSwitch uses the switch in the header: the page comes
// back in Japanese at the same path, and the choice sticks over
// Accept-Language on the next page.
func TestBrowserLanguageSwitch(t *testing.T) {
	hub, b := uitest.Start(t)
	tab := b.Tab(t, "en")
	tab.Open(hub.URL + "/login")
	if got := uitest.Eval[string](tab, "document.documentElement.lang"); got != "en" {
		t.Fatalf("lang %q before the switch", got)
	}
	resp := tab.Navigate(chromedp.Click(chromedp.CSS(`form.lang button[value="ja"]`)))
	ja := ui.LangByCode("ja")
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ja)
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/login" {
		t.Errorf("after the switch at %q, want /login", loc)
	}
	if pressed := uitest.Eval[string](tab, `document.querySelector('form.lang button[value="ja"]').getAttribute('aria-pressed')`); pressed != "true" {
		t.Errorf("the ja button is not pressed: %q", pressed)
	}
	resp = tab.Open(hub.URL + "/about")
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ja)
	// The copy button appears: app.js ran under the CSP.
	if hidden := uitest.Eval[bool](tab, "document.querySelector('button.copy').hidden"); hidden {
		t.Error("the copy button is still hidden: app.js did not run")
	}
	tab.Screenshot("about-ja")
	// Back to English with the switch (the cookie now outranks the
	// Accept-Language of every tab of this browser).
	resp = tab.Navigate(chromedp.Click(chromedp.CSS(`form.lang button[value="en"]`)))
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ui.LangByCode("en"))
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/about" {
		t.Errorf("after the switch at %q, want /about", loc)
	}
	tab.Screenshot("about-en")
}

// inert fails the test when anything in the page ran or was injected: a
// dialog, a script element besides app.js, an element a value could
// smuggle in, or a console problem (a CSP violation is one).
func inert(t *testing.T, tab *uitest.Tab) {
	t.Helper()
	tab.Do(chromedp.Sleep(300e6)) // let any injected handler fire
	if d := tab.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs opened: %q", d)
	}
	if n := uitest.Eval[int](tab, "document.scripts.length"); n != 1 {
		t.Errorf("%d script elements, want 1 (app.js)", n)
	}
	if src := uitest.Eval[string](tab, "document.scripts[0].getAttribute('src')"); src != ui.AssetURL("app.js") {
		t.Errorf("the script is %q", src)
	}
	if n := uitest.Eval[int](tab, "document.querySelectorAll('img, iframe, object, embed, style, base, meta[http-equiv]').length"); n != 0 {
		t.Errorf("%d injected elements", n)
	}
	if n := uitest.Eval[int](tab, `[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length`); n != 0 {
		t.Errorf("%d elements with an event handler attribute", n)
	}
	if v := uitest.Eval[bool](tab, "window.__pwned === undefined"); !v {
		t.Error("an injected script ran")
	}
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("console or log problems: %q", p)
	}
}

// hostile are record values an attacker might submit.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror="window.__pwned=1;alert(2)">`,
	`javascript:alert(3)`,
	`https://evil.example.com/"onmouseover="alert(4)`,
	"invoice\u202Efdp.exe",
	"\u2066admin\u2069\u200B",
	`</code></td><script>window.__pwned=1</script>`,
	"<svg onload=alert(5)>",
	"evil.example.com",
	"198.51.100.7",
	"https://evil.example.com/login.php?next=" + strings.Repeat("A", 400),
}

// TestBrowserHostileValuesInert renders hostile values through every
// helper (a test-only page in the real layout, with a chart whose labels
// are the values) and checks that nothing ran or was injected, and that
// the values show as text.
func TestBrowserHostileValuesInert(t *testing.T) {
	b := uitest.NewBrowser(t)
	srv := httptest.NewServer(ui.SpecimenHandler(hostile))
	t.Cleanup(srv.Close)
	tab := b.Tab(t, "en")
	resp := tab.Open(srv.URL + "/specimen")
	if csp := uitest.Header(resp, "Content-Security-Policy"); csp != ui.ContentSecurityPolicy {
		t.Errorf("CSP %q", csp)
	}
	inert(t, tab)
	text := uitest.Eval[string](tab, "document.querySelector('main').innerText")
	for _, want := range []string{"<script>alert(1)</script>", "invoice⟨U+202E⟩fdp.exe", "evil[.]example[.]com", "198.51.100[.]7", "hxxps://evil[.]example[.]com/login.php"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if strings.ContainsRune(text, '\u202E') {
		t.Error("a right-to-left override reached the page text")
	}
	// html/template neutralised the javascript: link.
	if n := uitest.Eval[int](tab, `[...document.querySelectorAll('a')].filter(a => a.protocol === 'javascript:').length`); n != 0 {
		t.Errorf("%d javascript: links", n)
	}
	tab.Screenshot("specimen-hostile-values")
}

// TestBrowserNotFoundHostilePath asks a real hub for a path that is a
// script: the 404 page shows it as text.
func TestBrowserNotFoundHostilePath(t *testing.T) {
	hub, b := uitest.Start(t)
	for _, code := range []string{"en", "ja"} {
		tab := b.Tab(t, code)
		resp := tab.Open(hub.URL + "/" + url.PathEscape("<script>alert(1)</script>"))
		if resp.Status != 404 {
			t.Errorf("status %d", resp.Status)
		}
		tab.Problems() // the 404 status itself is logged as a failed resource
		inert(t, tab)
		if got := uitest.Eval[string](tab, "document.getElementById('notfound-path').innerText"); got != "/<script>alert(1)</script>" {
			t.Errorf("404 page shows %q", got)
		}
		tab.Screenshot("notfound-" + code)
	}
}

// TestBrowserLoginSteps signs in through the form in the browser, in
// Japanese, against an Auth with a second factor: a wrong password shows
// the error, the right one the TOTP step, the right code the start page.
func TestBrowserLoginSteps(t *testing.T) {
	b := uitest.NewBrowser(t)
	srv := httptest.NewServer(ui.Handler(ui.Options{Auth: ui.NewTestAuth(true), Key: make([]byte, 32), Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	ja := ui.LangByCode("ja")
	tab := b.Tab(t, "ja")
	resp := tab.Open(srv.URL + "/login")
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ja)
	if n := uitest.Eval[int](tab, "document.querySelectorAll('#login-unavailable, fieldset[disabled]').length"); n != 0 {
		t.Errorf("the form is disabled with an Auth configured")
	}
	resp = tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#login"), "ann"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
	)
	if resp.Status != 401 {
		t.Errorf("wrong password: %d", resp.Status)
	}
	tab.Problems() // the 401 is logged as a failed resource
	if got := uitest.Eval[string](tab, "document.getElementById('login-error').innerText"); got != ja.T("login.error.credentials") {
		t.Errorf("error %q", got)
	}
	if got := uitest.Eval[string](tab, "document.getElementById('login').value"); got != "ann" {
		t.Errorf("login name not kept: %q", got)
	}
	tab.Screenshot("login-error-ja")
	resp = tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#password"), "pw"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
	)
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ja)
	if n := uitest.Eval[int](tab, "document.querySelectorAll('#totp, input[name=pending]').length"); n != 2 {
		t.Fatalf("no second step: %s", uitest.Eval[string](tab, "document.body.innerText"))
	}
	if n := uitest.Eval[int](tab, "document.querySelectorAll('#password').length"); n != 0 {
		t.Error("the second step asks for the password again")
	}
	tab.Screenshot("login-totp-ja")
	resp = tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#totp"), "123456"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
	)
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ja)
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/" {
		t.Errorf("after signing in at %q, want /", loc)
	}
	// The session cookie is HttpOnly: scripts cannot read it.
	if c := uitest.Eval[string](tab, "document.cookie"); strings.Contains(c, ui.SessionCookie) {
		t.Errorf("the session cookie is visible to scripts: %q", c)
	}
}
