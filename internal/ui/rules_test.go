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
// opens it; a reader sees no form and is refused. org-a revises it
// through the form on its page (a refused expression shown in place, the
// form as sent), org-c now sees version 2 but no revise form, and a
// second form opened on version 1 is refused rather than applied; org-a
// revokes it, after which nobody is offered either form and a second
// revocation is a conflict.
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
	if page := rd.get(loc, 200); strings.Contains(page, `id="rule-revise"`) || strings.Contains(page, `id="rule-revoke"`) {
		t.Errorf("the reader is offered to change org-a's package:\n%s", page)
	}

	// Revise.
	page := a.get(loc, 200)
	for _, want := range []string{`id="rule-revise"`, `action="/rules/` + id + `/revise"`, `id="rule-revoke"`, `&#34;name&#34;: &#34;Paris &lt;script&gt;`, `value="org-c"`, `value="H1"`} {
		if !strings.Contains(page, want) {
			t.Errorf("org-a's own package lacks %q:\n%s", want, page)
		}
	}
	c := signInHTTP(t, w.h, "user-org-c", w.pw, "en")
	if page := c.get(loc, 200); strings.Contains(page, `id="rule-revise"`) || strings.Contains(page, `id="rule-revoke"`) {
		t.Errorf("org-c is offered to change org-a's package:\n%s", page)
	}
	if st, _, _ := c.post(loc+"/revise", url.Values{"package": {uiPkg}, "base": {"1"}, "tlp": {"amber"}, "orgs": {"org-c"}}, nil); st != 403 {
		t.Errorf("org-c revises org-a's package: %d, want 403", st)
	}
	revised := strings.Replace(uiPkg, `"threshold":0.5`, `"threshold":0.6`, 1)
	bad := strings.Replace(revised, `"expr":"third_party"`, `"expr":"third_party +"`, 1)
	st, _, body = a.post(loc+"/revise", url.Values{"package": {bad}, "base": {"1"}, "tlp": {"amber"}, "orgs": {"org-c"}, "codes": {"H1"}}, nil)
	if st != 400 || !strings.Contains(body, `id="rule-error"`) || !strings.Contains(body, "package.rules[1].expr") || !strings.Contains(body, "third_party &#43;") || !strings.Contains(body, `id="rule-version">1<`) {
		t.Fatalf("a revision that does not compile: %d\n%s", st, body)
	}
	if st, loc2, body := a.post(loc+"/revise", url.Values{"package": {revised}, "base": {"1"}, "tlp": {"amber"}, "orgs": {"org-c"}, "codes": {"H1"}}, nil); st != 303 || loc2 != loc {
		t.Fatalf("revise: %d %s\n%s", st, loc2, body)
	}
	// A second form opened on version 1 is refused, not applied over
	// version 2.
	if st, _, body := a.post(loc+"/revise", url.Values{"package": {uiPkg}, "base": {"1"}, "tlp": {"amber"}, "orgs": {"org-c"}}, nil); st != 400 || !strings.Contains(body, "revised since this form was opened") || !strings.Contains(body, `id="rule-version">2 `) {
		t.Errorf("a stale revision: %d\n%s", st, body)
	}
	page = c.get(loc, 200)
	for _, want := range []string{`id="rule-version">2 · <a href="?version=1">1</a>`, `id="rule-threshold">0.6<`} {
		if !strings.Contains(page, want) {
			t.Errorf("org-c's view of the revision lacks %q:\n%s", want, page)
		}
	}
	if page := a.get(loc+"?version=1", 200); strings.Contains(page, `id="rule-revise"`) || !strings.Contains(page, `id="rule-threshold">0.5<`) {
		t.Errorf("version 1 offers the revise form or lost its threshold:\n%s", page)
	}

	// Revoke.
	if st, loc2, body := a.post(loc+"/revoke", url.Values{"reason": {"superseded <b>by</b> the spring package"}}, nil); st != 303 || loc2 != loc {
		t.Fatalf("revoke: %d %s\n%s", st, loc2, body)
	}
	page = a.get(loc, 200)
	if !strings.Contains(page, `id="rule-revoked"`) || !strings.Contains(page, "superseded &lt;b&gt;by&lt;/b&gt;") || strings.Contains(page, `id="rule-revise"`) || strings.Contains(page, `id="rule-revoke"`) {
		t.Errorf("the revoked package:\n%s", page)
	}
	if st, _, body := a.post(loc+"/revoke", url.Values{"reason": {"again"}}, nil); st != 409 || !strings.Contains(body, "revoked already") {
		t.Errorf("a second revocation: %d %s", st, body)
	}
	if st, _, body := a.post(loc+"/revise", url.Values{"package": {revised}, "base": {"2"}}, nil); st != 409 {
		t.Errorf("revising a revoked package: %d %s", st, body)
	}
}
