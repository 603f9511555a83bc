package ui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// TestBrowserActionDay drives an action day through its pages in
// Chromium, in English and then in Japanese (each user switching the
// language on the page): the coordinator opens the day from the
// navigation with H1; air-fr uploads its flagged bookings as JSON lines
// and air-de as CSV, each seeing what was routed where; police-fr records
// an arrest and police-de a denied boarding from their packages; air-fr
// sees the arrest read-only; the coordinator's summary reads 6 → 2; and
// the coordinator adds H2 to the day's handling from its settings.
// Every page: the CSP, no missing key, no console problem; screenshots of
// each.
func TestBrowserActionDay(t *testing.T) {
	h := actionDayHub(t)
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var fr, de [][][2]string
	for i := range 3 {
		fr = append(fr, adFields(fmt.Sprintf("AF%d", i), "CDG", "FR", "AF", t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("MULE/%d", i)))
	}
	fr = append(fr, adFields("AF9", "MAD", "ES", "AF", t0.Add(5*time.Hour), "MULE/9"))
	for i := range 2 {
		de = append(de, adFields(fmt.Sprintf("LH%d", i), "FRA", "DE", "LH", t0.Add(time.Duration(i)*time.Hour+30*time.Minute), fmt.Sprintf("MULE/%d", 10+i)))
	}
	frFile, deFile := filepath.Join(dir, "flagged.jsonl"), filepath.Join(dir, "flagged.csv")
	if err := os.WriteFile(frFile, []byte(adJSONL(fr...)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(deFile, []byte(adCSV(de...)), 0o600); err != nil {
		t.Fatal(err)
	}

	tabs := map[string]*uitest.Tab{}
	for _, who := range []string{"coord", "air-fr", "air-de", "police-fr", "police-de"} {
		tabs[who] = signIn(t, h, "user-"+who, adPassword, "en")
	}
	text := func(tab *uitest.Tab) string { return uitest.Eval[string](tab, "document.body.innerText") }
	for _, lang := range []*ui.Lang{ui.LangByCode("en"), ui.LangByCode("ja")} {
		check := func(tab *uitest.Tab, csp, what string, wants ...string) {
			t.Helper()
			checkPage(t, tab, csp, lang)
			body := text(tab)
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("%s: %s lacks %q:\n%s", lang.Code, what, w, body)
				}
			}
			for _, clear := range []string{adCard[:10], "Dupont", "DUPONT", "MULE"} {
				if strings.Contains(body, clear) {
					t.Errorf("%s: %s shows %q", lang.Code, what, clear)
				}
			}
		}
		if lang.Code != "en" {
			for _, tab := range tabs {
				tab.Navigate(chromedp.Click(chromedp.CSS(`form.lang button[value="` + lang.Code + `"]`)))
			}
		}

		// The coordinator opens the day from the navigation.
		c := tabs["coord"]
		resp := c.Navigate(chromedp.Click(chromedp.CSS(`header.site a[href="/action-days"]`)))
		check(c, uitest.Header(resp, "Content-Security-Policy"), "the listing", lang.T("actionday.list.heading"), lang.T("actionday.new"))
		name := "Global Airline Action Day " + strings.ToUpper(lang.Code)
		c.Do(chromedp.SendKeys(chromedp.CSS("#ad-name"), name), chromedp.SetValue(chromedp.CSS("#ad-day"), "2026-12-01"),
			chromedp.SetValue(chromedp.CSS("#ad-group"), "g-ad"), chromedp.Click(chromedp.CSS(`input[name=handling][value=H1]`)))
		c.Screenshot("actiondays-form-" + lang.Code)
		resp = c.Navigate(chromedp.Click(chromedp.CSS(`#action-day-form button[type=submit]`)))
		check(c, uitest.Header(resp, "Content-Security-Policy"), "the new day", name, "H1: "+lang.T("handling.h1"), "TLP:AMBER",
			lang.T("actionday.role.coordinator"), lang.T("actionday.police.name"))
		dayPath := uitest.Eval[string](c, "location.pathname")
		if !strings.HasPrefix(dayPath, "/action-days/") {
			t.Fatalf("%s: opened the day, landed on %q", lang.Code, dayPath)
		}
		c.Screenshot("actionday-coordinator-" + lang.Code)

		// The airlines upload.
		for who, file := range map[string]string{"air-fr": frFile, "air-de": deFile} {
			a := tabs[who]
			a.Open(h.URL + "/action-days")
			resp = a.Navigate(chromedp.Click(chromedp.CSS(`a[href="` + dayPath + `"]`)))
			check(a, uitest.Header(resp, "Content-Security-Policy"), who+"'s day", lang.T("actionday.upload.heading"), lang.T("actionday.upload.privacy"))
			resp = a.Navigate(chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{file}), chromedp.Click(chromedp.CSS(`#upload-form button[type=submit]`)))
			n := map[string]int{"air-fr": 4, "air-de": 2}[who]
			check(a, uitest.Header(resp, "Content-Security-Policy"), who+"'s upload", lang.T("actionday.upload.done", filepath.Base(file), n, 0))
			if resp.Status != 200 {
				t.Errorf("%s: %s's upload: %d", lang.Code, who, resp.Status)
			}
			a.Screenshot("actionday-upload-" + who + "-" + lang.Code)
		}

		// The police record outcomes from their packages.
		for who, o := range map[string]struct{ country, outcome, note string }{
			"police-fr": {"FR", "arrest", "arrested at the gate"}, "police-de": {"DE", "denied-boarding", ""},
		} {
			p := tabs[who]
			p.Open(h.URL + dayPath)
			if n := uitest.Eval[int](p, "document.querySelectorAll('table.action-packages tbody tr').length"); n != 1 {
				t.Errorf("%s: %s sees %d packages, want 1", lang.Code, who, n)
			}
			resp = p.Navigate(chromedp.Click(chromedp.CSS(`a[href="` + dayPath + `/packages/` + o.country + `"]`)))
			check(p, uitest.Header(resp, "Content-Security-Policy"), who+"'s package", "H1: "+lang.T("handling.h1"), lang.T("actionday.col.outcome"))
			p.Screenshot("actionday-package-" + who + "-" + lang.Code)
			p.Do(chromedp.SetValue(chromedp.CSS("#booking-1-outcome"), o.outcome))
			if o.note != "" {
				p.Do(chromedp.SendKeys(chromedp.CSS("#booking-1-note"), o.note))
			}
			resp = p.Navigate(chromedp.Click(chromedp.CSS(`#booking-1 form.outcome-form button`)))
			check(p, uitest.Header(resp, "Content-Security-Policy"), who+"'s outcome", lang.T("actionday.outcome."+o.outcome))
			if got := uitest.Eval[string](p, "(document.getElementById('outcome-recorded') || {innerText: ''}).innerText"); got == "" {
				t.Errorf("%s: %s's notice: %q", lang.Code, who, got)
			}
			p.Screenshot("actionday-outcome-" + who + "-" + lang.Code)
		}

		// The airline sees the arrest, read-only.
		a := tabs["air-fr"]
		resp = a.Navigate(chromedp.Click(chromedp.CSS(`a[href="` + dayPath + `/packages/FR"]`)))
		check(a, uitest.Header(resp, "Content-Security-Policy"), "air-fr's package", lang.T("actionday.outcome.arrest"), "arrested at the gate")
		if n := uitest.Eval[int](a, "document.querySelectorAll('form.outcome-form').length"); n != 0 {
			t.Errorf("%s: air-fr has %d outcome forms", lang.Code, n)
		}
		a.Screenshot("actionday-package-air-fr-" + lang.Code)

		// The coordinator's summary.
		c.Open(h.URL + dayPath)
		resp = c.Navigate(chromedp.Click(chromedp.CSS(`#summary-link`)))
		check(c, uitest.Header(resp, "Content-Security-Policy"), "the summary", lang.T("actionday.summary.stopped"), lang.T("actionday.summary.csv"))
		if got := uitest.Eval[string](c, "Array.from(document.querySelectorAll('#summary-headline .figure')).map(e => e.innerText).join('→')"); got != "6→2" {
			t.Errorf("%s: the headline reads %q, want 6→2", lang.Code, got)
		}
		c.Screenshot("actionday-summary-" + lang.Code)
		c.Open(h.URL + dayPath)
		c.Screenshot("actionday-overview-" + lang.Code)

		// The coordinator adds H2 to the day's handling from its settings.
		resp = c.Navigate(chromedp.Click(chromedp.CSS(`#settings-form input[name=handling][value=H2]`)), chromedp.Click(chromedp.CSS(`#settings-form button[type=submit]`)))
		check(c, uitest.Header(resp, "Content-Security-Policy"), "the changed day", lang.T("actionday.settings.done"), "H1: "+lang.T("handling.h1"), "H2: "+lang.T("handling.h2"))
		c.Screenshot("actionday-settings-" + lang.Code)
	}
}
