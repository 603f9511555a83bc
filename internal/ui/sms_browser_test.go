package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fusion/internal/demo"
	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// TestBrowserSMS: org-b's OTP backend feeds the guard the demo's few hours
// of an sms scenario, with a pumping burst blocked. Its user, in English
// and in Japanese, opens the SMS guard from the navigation: the three apps
// with their day's figures, then the app with the block: figures, the
// block with its reasons and release button, the charts per hour, country
// and block, no missing key, the CSP, no console problem. Then, in
// Japanese, the user releases the block with one click: the page says so
// in place and lists no block. org-c's user sees the empty state.
func TestBrowserSMS(t *testing.T) {
	w := newWorld(t)
	h := w.h
	fed, err := demo.SMSTraffic(context.Background(), h.Hub, "org-b", time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	if len(fed.Blocks) == 0 {
		t.Fatalf("the demo's traffic left no block in force: %+v", fed)
	}
	block := fed.Blocks[0]
	appPath := "/sms/" + block.App
	text := func(tab *uitest.Tab) string { return uitest.Eval[string](tab, "document.body.innerText") }
	var ja *uitest.Tab
	for _, lang := range []*ui.Lang{ui.LangByCode("en"), ui.LangByCode("ja")} {
		b := signIn(t, h, "user-org-b", w.pw, lang.Code)
		resp := b.Navigate(chromedp.Click(chromedp.CSS(`a[href="/sms"]`)))
		checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), lang)
		if n := uitest.Eval[int](b, "document.querySelectorAll('table.sms-apps tbody tr').length"); n != 3 {
			t.Errorf("%s: %d apps listed, want 3", lang.Code, n)
		}
		b.Screenshot("sms-" + lang.Code)

		resp = b.Navigate(chromedp.Click(chromedp.CSS(`a[href="` + appPath + `"]`)))
		checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), lang)
		body := text(b)
		for _, want := range []string{block.Prefix, lang.T("sms.blocks.heading"), lang.T("sms.reason." + block.Rule), lang.T("sms.release.button"), lang.T("sms.countries.heading")} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the app's page lacks %q:\n%s", lang.Code, want, body)
			}
		}
		if n := uitest.Eval[int](b, "document.querySelectorAll('figure.sms-chart svg').length"); n != 4 {
			t.Errorf("%s: %d charts, want 4", lang.Code, n)
		}
		if n := uitest.Eval[int](b, "document.querySelectorAll('#sms-hours-title ~ rect.seg-2, svg rect.seg-2').length"); n == 0 {
			t.Errorf("%s: no blocked requests drawn", lang.Code)
		}
		if n := uitest.Eval[int](b, "document.querySelectorAll('article.sms-block').length"); n != len(fed.Blocks) {
			t.Errorf("%s: %d blocks shown, want %d", lang.Code, n, len(fed.Blocks))
		}
		b.Screenshot("sms-app-" + lang.Code)
		ja = b

		c := signIn(t, h, "user-org-c", w.pw, lang.Code)
		resp = c.Navigate(chromedp.Click(chromedp.CSS(`a[href="/sms"]`)))
		checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), lang)
		if body := text(c); strings.Contains(body, block.App) || !strings.Contains(body, lang.T("sms.empty.heading")) {
			t.Errorf("%s: org-c's page:\n%s", lang.Code, body)
		}
	}

	// One click releases the block; the page says so in place.
	lang := ui.LangByCode("ja")
	resp := ja.Navigate(chromedp.Click(chromedp.CSS(`#block-1 form.release button`)))
	checkPage(t, ja, uitest.Header(resp, "Content-Security-Policy"), lang)
	if got := uitest.Eval[string](ja, "document.getElementById('sms-released').innerText"); got != lang.T("sms.release.done", block.Prefix) {
		t.Errorf("the notice after the release: %q", got)
	}
	if n := uitest.Eval[int](ja, "document.querySelectorAll('article.sms-block').length"); n != len(fed.Blocks)-1 {
		t.Errorf("%d blocks after the release, want %d", n, len(fed.Blocks)-1)
	}
	ja.Screenshot("sms-released-ja")
	bs, err := h.Hub.SMSBlocks(context.Background(), w.callers["org-b"])
	if err != nil || len(bs) != len(fed.Blocks)-1 {
		t.Errorf("org-b's blocks after the release: %+v %v", bs, err)
	}
}
