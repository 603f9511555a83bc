package ui_test

import (
	"context"
	"os"
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

// signIn signs login in through the form in a browser of its own (each
// user its own cookie jar) and returns the tab, on the dashboard.
func signIn(t *testing.T, h *servertest.Hub, login, password, accept string) *uitest.Tab {
	t.Helper()
	tab := uitest.NewBrowser(t).Tab(t, accept)
	tab.Open(h.URL + "/login")
	tab.Navigate(
		chromedp.SendKeys(chromedp.CSS("#login"), login),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
	)
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/dashboard" {
		t.Fatalf("%s signed in, landed on %q: %s", login, loc, uitest.Eval[string](tab, "document.body.innerText"))
	}
	return tab
}

// TestBrowserRecordsThroughTheGate: org A shares a green record, one amber
// to org B and one whose value is hostile markup. B's user sees all three
// in the list, by search and on the record page; C's user sees the green
// ones and never the amber one (list, search, record page: not found); the
// hostile value renders inert; signing out ends the session.
func TestBrowserRecordsThroughTheGate(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	const pw = "correct horse battery staple"
	tokens := map[string]string{}
	for _, o := range []string{"org-a", "org-b", "org-c"} {
		tokens[o] = h.Org(t, o, intel.RoleAnalyst)
		if _, err := h.Hub.OperatorCreateUser(ctx, o, "user-"+o, "User of "+o, intel.RoleAnalyst, pw); err != nil {
			t.Fatal(err)
		}
	}
	{
		c, err := h.Hub.Authenticate(ctx, tokens["org-a"])
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.Hub.CreateRecords(ctx, c, []intel.RecordInput{
			{Value: "green-kit.example.com", TLP: "green", Labels: []string{"phishing"}},
			{Value: "amber-kit.example.com", TLP: "amber", Labels: []string{"phishing"}, Audience: &intel.Audience{Orgs: []string{"org-b"}}},
			{Value: `https://evil.example.com/"><script>alert(1)</script>`, TLP: "green", Description: "<img src=x onerror=alert(2)> \u202eexe.txt"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	amber := func(tab *uitest.Tab) bool {
		return strings.Contains(uitest.Eval[string](tab, "document.body.innerText"), "amber-kit[.]example[.]com")
	}
	en, ja := ui.LangByCode("en"), ui.LangByCode("ja")

	b := signIn(t, h, "user-org-b", pw, "en")
	resp := b.Open(h.URL + "/records")
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	body := uitest.Eval[string](b, "document.body.innerText")
	for _, want := range []string{"green-kit[.]example[.]com", "amber-kit[.]example[.]com", "User of org-b"} {
		if !strings.Contains(body, want) {
			t.Errorf("org-b's list lacks %q:\n%s", want, body)
		}
	}
	if n := uitest.Eval[int](b, "document.querySelectorAll('script').length"); n != 1 {
		t.Errorf("%d script elements: the hostile value was not rendered inert", n)
	}
	b.Screenshot("records-en")
	resp = b.Open(h.URL + "/records?q=amber")
	if !amber(b) {
		t.Errorf("org-b's search for amber finds nothing")
	}
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`table.records a`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if !amber(b) || !strings.Contains(uitest.Eval[string](b, "document.body.innerText"), "org-b") {
		t.Errorf("org-b's record page: %s", uitest.Eval[string](b, "document.body.innerText"))
	}
	amberURL := uitest.Eval[string](b, "location.href")

	c := signIn(t, h, "user-org-c", pw, "ja")
	resp = c.Open(h.URL + "/records")
	checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), ja)
	if amber(c) || !strings.Contains(uitest.Eval[string](c, "document.body.innerText"), "green-kit[.]example[.]com") {
		t.Errorf("org-c's list: %s", uitest.Eval[string](c, "document.body.innerText"))
	}
	c.Screenshot("records-ja")
	c.Open(h.URL + "/records?q=amber")
	if amber(c) {
		t.Errorf("LEAK: org-c's search finds the amber record")
	}
	if resp = c.Open(amberURL); resp.Status != 404 || amber(c) {
		t.Errorf("LEAK: org-c opens the amber record: %d", resp.Status)
	}
	c.Problems() // the 404 is logged as a failed resource
	if d := c.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs opened: %q", d)
	}

	// org-a's dashboard counts its three records, in SVG charts drawn
	// on the server (no script), in both languages.
	for _, code := range []string{"en", "ja"} {
		a := signIn(t, h, "user-org-a", pw, code)
		resp = a.Open(h.URL + "/dashboard")
		checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), ui.LangByCode(code))
		if n := uitest.Eval[int](a, "document.querySelectorAll('figure svg[role=img]').length"); n != 4 {
			t.Errorf("%d charts on the dashboard", n)
		}
		if got := uitest.Eval[string](a, "document.querySelector('ul.figures strong').innerText"); got != "3" {
			t.Errorf("org-a's dashboard counts %s records", got)
		}
		a.Screenshot("dashboard-" + code)
	}

	// Signing out ends the session: the records page sends back to login.
	c.Open(h.URL + "/records")
	c.Navigate(chromedp.Click(chromedp.CSS(`form.logout button`)))
	c.Open(h.URL + "/records")
	if loc := uitest.Eval[string](c, "location.pathname"); loc != "/login" {
		t.Errorf("after signing out, /records is at %q", loc)
	}
}

// TestBrowserTOTPSignIn: a user of a real hub with a confirmed second
// factor signs in through both steps of the form with a code from its
// authenticator (computed here from the secret, one period ahead, as a
// phone whose clock runs a little fast would); the same code again is
// refused.
func TestBrowserTOTPSignIn(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	const pw = "correct horse battery staple"
	if _, err := h.Hub.OperatorCreateUser(ctx, "org-a", "ann", "Ann", intel.RoleAnalyst, pw); err != nil {
		t.Fatal(err)
	}
	s, err := h.Hub.Login(ctx, "ann", pw, "", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := h.Hub.SessionCaller(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := h.Hub.EnrolTOTP(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Hub.ConfirmTOTP(ctx, c, code); err != nil {
		t.Fatal(err)
	}
	next, err := totp.GenerateCode(secret, now.Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ja := ui.LangByCode("ja")
	signInSteps := func(code string) *uitest.Tab {
		tab := uitest.NewBrowser(t).Tab(t, "ja")
		tab.Open(h.URL + "/login")
		resp := tab.Navigate(
			chromedp.SendKeys(chromedp.CSS("#login"), "ann"),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		)
		checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ja)
		if n := uitest.Eval[int](tab, "document.querySelectorAll('#totp').length"); n != 1 {
			t.Fatalf("no TOTP step: %s", uitest.Eval[string](tab, "document.body.innerText"))
		}
		tab.Navigate(
			chromedp.SendKeys(chromedp.CSS("#totp"), code),
			chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		)
		return tab
	}
	tab := signInSteps(next)
	if loc := uitest.Eval[string](tab, "location.pathname"); loc != "/dashboard" {
		t.Fatalf("after both steps at %q: %s", loc, uitest.Eval[string](tab, "document.body.innerText"))
	}
	again := signInSteps(next)
	again.Problems() // the 401 is logged as a failed resource
	if loc := uitest.Eval[string](again, "location.pathname"); loc != "/login" || !strings.Contains(uitest.Eval[string](again, "document.body.innerText"), ja.T("login.error.totp")) {
		t.Errorf("a reused code: at %q", loc)
	}
}

// TestBrowserExercise uploads a truth file and a findings file (one hit,
// one miss, one false alarm) and reads the score table; a file that is not
// findings is refused naming the field and the line.
func TestBrowserExercise(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	const pw = "correct horse battery staple"
	if _, err := h.Hub.OperatorCreateUser(ctx, "org-a", "ann", "Ann", intel.RoleAnalyst, pw); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	line := func(kind, entity string) string {
		return `{"kind":"` + kind + `","start":"2026-11-30T10:00:00Z","end":"2026-11-30T11:00:00Z","entity":"` + entity + `"}` + "\n"
	}
	truth, found, bad := dir+"/truth.jsonl", dir+"/found.jsonl", dir+"/bad.jsonl"
	for path, body := range map[string]string{
		truth: line("c2-beacon", "10.0.0.5") + line("c2-beacon", "10.0.0.6"),
		found: line("c2-beacon", "10.0.0.5") + line("c2-beacon", "10.0.0.9"),
		bad:   "not json\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tab := signIn(t, h, "ann", pw, "ja")
	tab.Open(h.URL + "/exercises")
	resp := tab.Navigate(
		chromedp.SetUploadFiles(chromedp.CSS("#truth"), []string{truth}),
		chromedp.SetUploadFiles(chromedp.CSS("#found"), []string{found}),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
	)
	checkPage(t, tab, uitest.Header(resp, "Content-Security-Policy"), ui.LangByCode("ja"))
	row := uitest.Eval[string](tab, "document.querySelector('table.score tbody tr').innerText")
	if !strings.Contains(row, "c2-beacon") || !strings.Contains(row, "0.500\t0.500\t0.500") {
		t.Errorf("score row %q", row)
	}
	tab.Screenshot("exercises-ja")
	te := signIn(t, h, "ann", pw, "en")
	te.Open(h.URL + "/exercises")
	resp = te.Navigate(
		chromedp.SetUploadFiles(chromedp.CSS("#truth"), []string{truth}),
		chromedp.SetUploadFiles(chromedp.CSS("#found"), []string{found}),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
	)
	checkPage(t, te, uitest.Header(resp, "Content-Security-Policy"), ui.LangByCode("en"))
	te.Screenshot("exercises-en")
	tab.Open(h.URL + "/exercises")
	resp = tab.Navigate(
		chromedp.SetUploadFiles(chromedp.CSS("#truth"), []string{bad}),
		chromedp.SetUploadFiles(chromedp.CSS("#found"), []string{found}),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
	)
	tab.Problems() // the 400 is logged as a failed resource
	if msg := uitest.Eval[string](tab, "document.querySelector('p.error').innerText"); resp.Status != 400 || !strings.Contains(msg, "truth: bad.jsonl") {
		t.Errorf("a bad truth file: %d %q", resp.Status, msg)
	}
}
