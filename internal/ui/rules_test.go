package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/ui"
)

// uiPkg is a package whose name and reason try to attack the page.
const uiPkg = `{"name":"Paris <script>alert(1)</script>","threshold":0.5,"rules":[` +
	`{"id":"last-minute","expr":"lead_hours >= 0 && lead_hours < 48","score":0.35,"reason":"bought <b>late</b>"},` +
	`{"id":"third-party","expr":"third_party","score":0.3,"reason":"cardholder is not the traveller"}]}`

// TestRulesThroughTheUI: org-a's analyst publishes a rule package to
// org-c (amber) through the form; a rule that does not compile is shown
// again with the field, the position and the reason. org-a and org-c see
// it listed and open it (rules, threshold, version, originator, TLP), in
// both languages, the name and reasons inert; org-b neither lists nor
// opens it; a reader sees no form and is refused.
func TestRulesThroughTheUI(t *testing.T) {
	w := newWorld(t)
	a := signInHTTP(t, w.h, "user-org-a", w.pw, "en")
	form := url.Values{"package": {strings.Replace(uiPkg, `"expr":"third_party"`, `"expr":"third_party && depart"`, 1)}, "tlp": {"amber"}, "orgs": {"org-c"}}
	st, _, body := a.post("/rules", form, nil)
	if st != 400 || !strings.Contains(body, `id="rules-error"`) || !strings.Contains(body, "package.rules[1].expr") || !strings.Contains(body, "line 1, column 16") || !strings.Contains(body, "third_party &amp;&amp; depart") {
		t.Fatalf("a rule that does not compile: %d\n%s", st, body)
	}
	form.Set("package", uiPkg)
	form.Set("codes", "H1")
	st, loc, body := a.post("/rules", form, nil)
	if st != 303 || !strings.HasPrefix(loc, "/rules/") {
		t.Fatalf("publish: %d %s\n%s", st, loc, body)
	}
	id := strings.TrimPrefix(loc, "/rules/")
	for _, lang := range []string{"en", "ja"} {
		l := ui.LangByCode(lang)
		for _, org := range []string{"org-a", "org-c"} {
			c := signInHTTP(t, w.h, "user-"+org, w.pw, lang)
			list := c.get("/rules", 200)
			for _, want := range []string{`<a href="/rules" aria-current="page">`, l.T("rules.heading"), `href="/rules/` + id + `"`, "Paris &lt;script&gt;", `id="rules-form"`} {
				if !strings.Contains(list, want) {
					t.Errorf("%s %s: /rules lacks %q:\n%s", lang, org, want, list)
				}
			}
			page := c.get(loc, 200)
			for _, want := range []string{l.T("rule.heading"), `<code dir="ltr">` + id + `</code>`, `id="rule-threshold">0.5<`, `<code dir="ltr">lead_hours &gt;= 0 &amp;&amp; lead_hours &lt; 48</code>`,
				"bought &lt;b&gt;late&lt;/b&gt;", `id="rule-version">1<`, "<dd>org-a</dd>", "/api/v1/screen?package=" + id} {
				if !strings.Contains(page, want) {
					t.Errorf("%s %s: %s lacks %q:\n%s", lang, org, loc, want, page)
				}
			}
			if strings.Contains(page, "<script>alert") || strings.Contains(list, "<script>alert") || strings.Contains(page, "<b>late") {
				t.Errorf("%s %s: markup from the package got onto the page", lang, org)
			}
		}
		b := signInHTTP(t, w.h, "user-org-b", w.pw, lang)
		if list := b.get("/rules", 200); strings.Contains(list, id) || !strings.Contains(list, `id="rules-empty"`) {
			t.Errorf("LEAK: %s: org-b's /rules:\n%s", lang, list)
		}
		b.get(loc, 404)
	}
	if _, err := w.h.Hub.OperatorCreateUser(context.Background(), "org-c", "reader-org-c", "Reader of org-c", intel.RoleReader, w.pw); err != nil {
		t.Fatal(err)
	}
	rd := signInHTTP(t, w.h, "reader-org-c", w.pw, "en")
	if list := rd.get("/rules", 200); strings.Contains(list, `id="rules-form"`) || !strings.Contains(list, id) {
		t.Errorf("the reader's /rules:\n%s", list)
	}
	if st, _, _ := rd.post("/rules", url.Values{"package": {uiPkg}, "tlp": {"green"}}, nil); st != 403 {
		t.Errorf("the reader publishes: %d, want 403", st)
	}
}
