package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// TestBrowserHitAccessApproval: org-a holds a discoverable amber record not
// shared with org-b. B's user pastes its value (defanged) into hit/no-hit
// and sees a hit naming org-a and nothing more; a page of another origin
// then tries to request access in B's name, by a form and by fetch, and is
// refused with nothing stored; B requests access with a purpose in one
// click; A's user, in Japanese, approves it in the inbox with a reason; B
// then opens the record's page with its full value, and sends feedback on
// it, which A's feedback page shows. The Tor check answers "no data" with
// the hub's verdict. Every page: the CSP, no missing key, no console
// problem.
func TestBrowserHitAccessApproval(t *testing.T) {
	w := newWorld(t)
	h := w.h
	en, ja := ui.LangByCode("en"), ui.LangByCode("ja")
	text := func(tab *uitest.Tab) string { return uitest.Eval[string](tab, "document.body.innerText") }

	// B: hit/no-hit.
	b := signIn(t, h, "user-org-b", w.pw, "en")
	resp := b.Navigate(chromedp.Click(chromedp.CSS(`a[href="/hits"]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	b.Do(chromedp.SendKeys(chromedp.CSS("#values"), "amber-kit[.]example[.]com\nhidden-kit.example.com\ngreen-kit.example.com\n"))
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`#hits-form button[type=submit]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	body := text(b)
	if !strings.Contains(body, "Hit: org-a holds a matching record you may not see.") {
		t.Fatalf("B's answer lacks the hit naming org-a:\n%s", body)
	}
	if n := uitest.Eval[int](b, "document.querySelectorAll('.hit-other').length"); n != 1 {
		t.Errorf("%d discoverable hits, want 1 (the record that is not discoverable must not show)", n)
	}
	if n := uitest.Eval[int](b, `document.querySelectorAll('a[href="/records/`+w.amber+`"], a[href="/records/`+w.hidden+`"]').length`); n != 0 {
		t.Errorf("LEAK: %d links to records B may not see", n)
	}
	b.Screenshot("hits-en")
	ref := uitest.Eval[string](b, `document.querySelector('.hit-other input[name=ref]').value`)

	// Another origin tries to request access in B's name: a form B is
	// lured into submitting, and a fetch with B's cookies.
	evil := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(rw, `<!doctype html><title>prize</title><link rel="icon" href="data:,">
<form id="f" method="post" action="%[1]s/access-requests"><input type="hidden" name="ref" value="%[2]s"><input type="hidden" name="purpose" value="forged"><button id="go">Claim your prize</button></form>
<script>
window.forged = "pending";
const body = new URLSearchParams({ref: %[3]q, purpose: "forged by fetch"});
fetch(%[4]q, {method: "POST", credentials: "include", mode: "no-cors", body}).then(() => window.forged = "sent", e => window.forged = "refused: " + e);
</script>`, h.URL, html.EscapeString(ref), ref, h.URL+"/access-requests")
	}))
	defer evil.Close()
	b.Open(evil.URL)
	for deadline := time.Now().Add(10 * time.Second); uitest.Eval[string](b, "window.forged") == "pending"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the forged fetch did not settle")
		}
	}
	resp = b.Navigate(chromedp.Click(chromedp.CSS("#go")))
	if resp.Status != http.StatusForbidden || !strings.Contains(text(b), "cross-origin request refused") {
		t.Errorf("the forged form: %d %s", resp.Status, text(b))
	}
	// The 403s are logged as failed resources, and so is the favicon the
	// browser then asks the hub for (the refusal is plain text): wait for
	// that, then forget them.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if p := b.Problems(); strings.Contains(strings.Join(p, " "), "favicon.ico") {
			break
		}
	}
	if n := w.sent(t, "org-b"); n != 0 {
		t.Fatalf("LEAK: a forged request was stored (%d sent by org-b)", n)
	}

	// B asks for access in one click, with a purpose.
	b.Open(h.URL + "/hits")
	b.Do(chromedp.SendKeys(chromedp.CSS("#values"), "amber-kit.example.com"))
	b.Navigate(chromedp.Click(chromedp.CSS(`#hits-form button[type=submit]`)))
	b.Do(chromedp.SendKeys(chromedp.CSS(`.hit-other input[name=purpose]`), "case 2026-114: phishing against our customers"))
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`.hit-other button[type=submit]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if body := text(b); !strings.Contains(body, "Your request was sent") || !strings.Contains(body, "Pending") {
		t.Errorf("B's inbox after the request:\n%s", body)
	}
	if n := w.sent(t, "org-b"); n != 1 {
		t.Fatalf("org-b sent %d requests, want 1", n)
	}

	// A approves it, in Japanese, with a reason.
	a := signIn(t, h, "user-org-a", w.pw, "ja")
	resp = a.Navigate(chromedp.Click(chromedp.CSS(`a[href="/access-requests"]`)))
	checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), ja)
	if body := text(a); !strings.Contains(body, "org-b") || !strings.Contains(body, "case 2026-114") || !strings.Contains(body, "審査中") {
		t.Errorf("A's inbox:\n%s", body)
	}
	a.Do(chromedp.SendKeys(chromedp.CSS(`form.decide input[name=reason]`), "合同捜査のため"))
	a.Screenshot("access-ja")
	resp = a.Navigate(chromedp.Click(chromedp.CSS(`form.decide button[formaction$="/approve"]`)))
	checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), ja)
	if body := text(a); !strings.Contains(body, "承認しました") || !strings.Contains(body, "合同捜査のため") {
		t.Errorf("A's inbox after approval:\n%s", body)
	}
	a.Screenshot("access-approved-ja")

	// B reads the record, and says what it led to.
	resp = b.Open(h.URL + "/access-requests")
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if body := text(b); !strings.Contains(body, "Approved") || !strings.Contains(body, "合同捜査のため") {
		t.Errorf("B's inbox after approval:\n%s", body)
	}
	b.Screenshot("access-en")
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`table.sent a[href^="/records/"]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if loc := uitest.Eval[string](b, "location.pathname"); loc != "/records/"+w.amber {
		t.Fatalf("B followed the approved request to %q", loc)
	}
	if body := text(b); !strings.Contains(body, "amber-kit[.]example[.]com") || !strings.Contains(body, "org-b") {
		t.Errorf("B's page of the amber record:\n%s", body)
	}
	b.Do(chromedp.SetValue(chromedp.CSS("#outcome"), "blocked"), chromedp.SendKeys(chromedp.CSS("#note"), "blocked at the proxy"))
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`#feedback-form button[type=submit]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if body := text(b); !strings.Contains(body, "your feedback was sent") {
		t.Errorf("no notice after feedback:\n%s", body)
	}
	b.Screenshot("record-feedback-en")

	resp = a.Navigate(chromedp.Click(chromedp.CSS(`a[href="/feedback"]`)))
	checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), ja)
	if body := text(a); !strings.Contains(body, "org-b: 遮断 × 1") || !strings.Contains(body, "blocked at the proxy") {
		t.Errorf("A's feedback page:\n%s", body)
	}
	a.Screenshot("feedback-ja")

	// The Tor check, with no Tor data held.
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`a[href="/tor"]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	b.Do(chromedp.SendKeys(chromedp.CSS("#ip"), "198.51.100.7"), chromedp.SendKeys(chromedp.CSS("#time"), "2026-11-30T19:05"))
	resp = b.Navigate(chromedp.Click(chromedp.CSS(`#tor-form button[type=submit]`)))
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if st := uitest.Eval[string](b, "document.querySelector('#tor-status').innerText"); st != "no data" {
		t.Errorf("Tor status %q", st)
	}
	if v := uitest.Eval[string](b, "document.querySelector('#tor-verdict').innerText"); !strings.HasPrefix(v, "No data for 2026-11-30 19:05 UTC (± 1h): no Tor consensus or exit list has been imported") {
		t.Errorf("Tor verdict %q", v)
	}
	b.Screenshot("tor-en")

	// C, in the record's audience, sees it in full in hit/no-hit; C's
	// pages in Japanese.
	c := signIn(t, h, "user-org-c", w.pw, "ja")
	c.Open(h.URL + "/hits")
	c.Do(chromedp.SendKeys(chromedp.CSS("#values"), "amber-kit[.]example[.]com\nhxxps://green-kit[.]example[.]com/login\n192.0.2.1\n"))
	resp = c.Navigate(chromedp.Click(chromedp.CSS(`#hits-form button[type=submit]`)))
	checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), ja)
	if n := uitest.Eval[int](c, `document.querySelectorAll('a[href="/records/`+w.amber+`"]').length`); n != 1 {
		t.Errorf("C's answer links the amber record %d times", n)
	}
	c.Screenshot("hits-ja")
	resp = c.Open(h.URL + "/tor?ip=198.51.100.7&time=2026-11-30T19:05")
	checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), ja)
	c.Screenshot("tor-ja")
	resp = c.Open(h.URL + "/access-requests")
	checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), ja)
	resp = b.Open(h.URL + "/feedback")
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	b.Screenshot("feedback-en")
}
