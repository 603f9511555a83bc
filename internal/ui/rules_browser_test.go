package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// TestBrowserRules: org-a's user, in English and in Japanese, opens the
// Screening rules page from the navigation and publishes a package to
// org-c by pasting it; a rule that does not compile is shown in place with
// its position, then the corrected package opens on its own page with
// its rules table, and a revision from its page is version 2. org-c's
// user finds it listed and opens it; org-b's
// user sees the empty list. No missing key, the CSP, no console problem.
func TestBrowserRules(t *testing.T) {
	w := newWorld(t)
	for _, lang := range []*ui.Lang{ui.LangByCode("en"), ui.LangByCode("ja")} {
		a := signIn(t, w.h, "user-org-a", w.pw, lang.Code)
		resp := a.Navigate(chromedp.Click(chromedp.CSS(`a[href="/rules"]`)))
		checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), lang)
		bad := strings.Replace(uiPkg, `"expr":"third_party"`, `"expr":"third_party && depart"`, 1)
		resp = a.Navigate(
			chromedp.SetValue(chromedp.CSS("#package"), bad),
			chromedp.SetValue(chromedp.CSS("#orgs"), "org-c"),
			chromedp.Click(chromedp.CSS(`#rules-form button[type=submit]`)),
		)
		a.Problems() // the 400 is logged as a failed resource
		if resp.Status != 400 {
			t.Errorf("%s: the refused package: status %d", lang.Code, resp.Status)
		}
		checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), lang)
		if msg := uitest.Eval[string](a, "document.getElementById('rules-error').innerText"); !strings.Contains(msg, "package.rules[1].expr") || !strings.Contains(msg, "line 1, column 16") {
			t.Errorf("%s: the refusal: %q", lang.Code, msg)
		}
		a.Screenshot("rules-refused-" + lang.Code)
		resp = a.Navigate(
			chromedp.SetValue(chromedp.CSS("#package"), uiPkg),
			chromedp.Click(chromedp.CSS(`#rules-form button[type=submit]`)),
		)
		checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), lang)
		path := uitest.Eval[string](a, "location.pathname")
		if !strings.HasPrefix(path, "/rules/") || uitest.Eval[int](a, "document.querySelectorAll('#rule-rules tbody tr').length") != 2 {
			t.Fatalf("%s: after publishing, %s:\n%s", lang.Code, path, uitest.Eval[string](a, "document.body.innerText"))
		}
		a.Screenshot("rule-" + lang.Code)
		// Revise it from its page: the form starts from the package as
		// published; a threshold raised is version 2.
		uitest.Eval[string](a, `document.getElementById('package').value = document.getElementById('package').value.replace('"threshold": 0.5', '"threshold": 0.65')`)
		resp = a.Navigate(chromedp.Click(chromedp.CSS(`#rule-revise button[type=submit]`)))
		checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), lang)
		if v, th := uitest.Eval[string](a, "document.getElementById('rule-version').innerText"), uitest.Eval[string](a, "document.getElementById('rule-threshold').innerText"); !strings.HasPrefix(v, "2") || th != "0.65" {
			t.Errorf("%s: after the revision, version %q threshold %q", lang.Code, v, th)
		}
		a.Screenshot("rule-revised-" + lang.Code)

		c := signIn(t, w.h, "user-org-c", w.pw, lang.Code)
		c.Navigate(chromedp.Click(chromedp.CSS(`a[href="/rules"]`)))
		resp = c.Navigate(chromedp.Click(chromedp.CSS(`a[href="` + path + `"]`)))
		checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), lang)
		if got := uitest.Eval[string](c, "document.getElementById('rule-threshold').innerText"); got != "0.65" {
			t.Errorf("%s: org-c's view of the threshold: %q", lang.Code, got)
		}

		b := signIn(t, w.h, "user-org-b", w.pw, lang.Code)
		resp = b.Navigate(chromedp.Click(chromedp.CSS(`a[href="/rules"]`)))
		checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), lang)
		if body := uitest.Eval[string](b, "document.body.innerText"); strings.Contains(body, "Paris") || !strings.Contains(body, lang.T("rules.empty")) {
			t.Errorf("%s: org-b's /rules:\n%s", lang.Code, body)
		}
	}
}
