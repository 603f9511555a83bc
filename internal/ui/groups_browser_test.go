package ui_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fusion/internal/intel"
	"fusion/internal/server/servertest"
	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// TestBrowserDirectory: an admin reaches the organizations page from the
// navigation, makes the organization anonymous to originators, creates a
// sharing group, adds a member picked from the directory and removes it
// again, each step through the forms and each seen by the hub; the other
// member's admin sees the group read-only; an analyst sees the directory
// with the settings read-only and no link to the users page. Screenshots
// of the organizations, groups and group pages in both languages. A group
// named with markup shows it as text.
func TestBrowserDirectory(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	for _, o := range []struct {
		id, name, country string
		sector            intel.Sector
	}{
		{"jp-npa", "National Police Agency — Cyber Unit", "JP", "police"},
		{"jpcert", "JPCERT/CC", "JP", "cert"},
		{"nl-bank", "Example Bank N.V.", "NL", "bank"},
		{"de-telco", "Beispiel Telekom AG", "DE", "telco"},
	} {
		if _, err := h.Hub.OperatorCreateOrg(ctx, o.id, o.name, o.country, string(o.sector), o.id == "jp-npa"); err != nil {
			t.Fatal(err)
		}
	}
	const pw = "correct horse battery staple"
	for _, u := range []struct {
		org, login, name string
		role             intel.Role
	}{{"jp-npa", "ada", "Ada Admin", intel.RoleAdmin}, {"jp-npa", "ann", "Ann Analyst", intel.RoleAnalyst}, {"jpcert", "bea", "Bea Admin", intel.RoleAdmin}} {
		if _, err := h.Hub.OperatorCreateUser(ctx, u.org, u.login, u.name, u.role, pw); err != nil {
			t.Fatal(err)
		}
	}
	en, ja := ui.LangByCode("en"), ui.LangByCode("ja")
	text := func(tab *uitest.Tab, css string) string {
		t.Helper()
		return uitest.Eval[string](tab, "(document.querySelector('"+css+"')||{innerText:''}).innerText")
	}
	count := func(tab *uitest.Tab, css string) int {
		t.Helper()
		return uitest.Eval[int](tab, "document.querySelectorAll('"+css+"').length")
	}
	members := func(group string) []string {
		t.Helper()
		c, _, err := h.Hub.SessionCaller(ctx, mustSession(t, h, "ada", pw))
		if err != nil {
			t.Fatal(err)
		}
		g, err := h.Hub.GetGroup(ctx, c, group)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(g.Members)
		return g.Members
	}

	// The organizations page, from the navigation and the section links.
	ada := signIn(t, h, "ada", pw, "en")
	ada.Navigate(chromedp.Click(chromedp.CSS(`header nav a[href="/admin"]`)))
	resp := ada.Navigate(chromedp.Click(chromedp.CSS(`nav.subnav a[href="/admin/orgs"]`)))
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	if n := count(ada, "table.orgs tbody tr"); n != 4 {
		t.Errorf("%d organizations listed: %s", n, body(ada))
	}
	if got := text(ada, "#anonymous-state"); got != en.T("orgs.anonymous.off") {
		t.Errorf("the setting shows %q", got)
	}
	resp = ada.Navigate(chromedp.Click(chromedp.CSS(`#settings-form input[value="true"]`)), chromedp.Click(chromedp.CSS(`#settings-form button`)))
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	if got := text(ada, "#anonymous-state"); got != en.T("orgs.anonymous.on") || text(ada, "#orgs-done") != en.T("orgs.done.settings") {
		t.Errorf("after saving the setting: %q, notice %q", got, text(ada, "#orgs-done"))
	}
	ada.Screenshot("orgs-en")

	// A group: created, given a member from the directory, which is removed.
	ada.Navigate(chromedp.Click(chromedp.CSS(`nav.subnav a[href="/admin/groups"]`)))
	if text(ada, "#groups-none") == "" {
		t.Errorf("a new organization's groups page does not say it has none: %s", body(ada))
	}
	resp = ada.Navigate(chromedp.SendKeys(chromedp.CSS("#group-name"), "Phishing takedown JP–NL"), chromedp.Click(chromedp.CSS(`#group-form button`)))
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	path := uitest.Eval[string](ada, "location.pathname")
	id := strings.TrimPrefix(path, "/admin/groups/")
	if !strings.HasPrefix(id, "g-") || text(ada, "#group-done") != en.T("group.done.created") {
		t.Fatalf("after creating a group at %q: %s", path, body(ada))
	}
	for _, org := range []string{"nl-bank", "jpcert"} {
		resp = ada.Navigate(chromedp.SetValue(chromedp.CSS("#member-org"), org), chromedp.Click(chromedp.CSS(`#member-form button`)))
		checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
		if count(ada, "#member-"+org) != 1 || text(ada, "#group-done") != en.T("group.done.added") {
			t.Errorf("after adding %s: %s", org, body(ada))
		}
	}
	if m := members(id); !slices.Equal(m, []string{"jp-npa", "jpcert", "nl-bank"}) {
		t.Errorf("the hub's members after adding: %v", m)
	}
	if n := count(ada, `#member-jp-npa button`); n != 0 {
		t.Errorf("the owner's row offers Remove")
	}
	ada.Screenshot("group-en")
	resp = ada.Navigate(chromedp.Click(chromedp.CSS(`#member-nl-bank button`)))
	checkPage(t, ada, uitest.Header(resp, "Content-Security-Policy"), en)
	if count(ada, "#member-nl-bank") != 0 || text(ada, "#group-done") != en.T("group.done.removed") {
		t.Errorf("after removing nl-bank: %s", body(ada))
	}
	if m := members(id); !slices.Equal(m, []string{"jp-npa", "jpcert"}) {
		t.Errorf("the hub's members after removing: %v", m)
	}
	ada.Open(h.URL + "/admin/groups")
	if n := count(ada, "table.groups tbody tr"); n != 1 {
		t.Errorf("%d groups listed", n)
	}
	ada.Screenshot("groups-en")

	// The other member's admin: the group, read-only, in Japanese.
	bea := signIn(t, h, "bea", pw, "ja")
	resp = bea.Open(h.URL + path)
	checkPage(t, bea, uitest.Header(resp, "Content-Security-Policy"), ja)
	if count(bea, "#member-form") != 0 || count(bea, "table.members button") != 0 || text(bea, "#group-readonly") != ja.T("group.readonly") {
		t.Errorf("org jpcert's admin is offered the owner's forms: %s", body(bea))
	}

	// An analyst: the directory, the settings read-only, no users page.
	ann := signIn(t, h, "ann", pw, "ja")
	resp = ann.Navigate(chromedp.Click(chromedp.CSS(`header nav a[href="/admin/orgs"]`)))
	checkPage(t, ann, uitest.Header(resp, "Content-Security-Policy"), ja)
	if count(ann, "#settings-form") != 0 || text(ann, "#anonymous-state") != ja.T("orgs.anonymous.on") || count(ann, `a[href="/admin"]`) != 0 {
		t.Errorf("an analyst's organizations page: %s", body(ann))
	}
	ann.Open(h.URL + "/admin/groups")
	if count(ann, "#group-form") != 0 {
		t.Errorf("an analyst is offered the group form")
	}

	// The Japanese pages of the admin, for the screenshots.
	adaJA := signIn(t, h, "ada", pw, "ja")
	for _, p := range []struct{ path, shot string }{{"/admin/orgs", "orgs-ja"}, {"/admin/groups", "groups-ja"}, {path, "group-ja"}} {
		resp = adaJA.Open(h.URL + p.path)
		checkPage(t, adaJA, uitest.Header(resp, "Content-Security-Policy"), ja)
		adaJA.Screenshot(p.shot)
	}

	// A hostile group name is text on both pages: no element, no script
	// run, no dialog, no CSP report.
	const hostile = `<img src=x onerror=alert(1)><script>alert(2)</script>`
	adaJA.Navigate(chromedp.Click(chromedp.CSS(`nav.subnav a[href="/admin/groups"]`)))
	resp = adaJA.Navigate(chromedp.SendKeys(chromedp.CSS("#group-name"), hostile), chromedp.Click(chromedp.CSS(`#group-form button`)))
	checkPage(t, adaJA, uitest.Header(resp, "Content-Security-Policy"), ja)
	if got := text(adaJA, "h1"); got != ja.T("group.heading", hostile) || count(adaJA, "main img, main script") != 0 {
		t.Errorf("a hostile group name: heading %q, %d elements", got, count(adaJA, "main img, main script"))
	}
	resp = adaJA.Open(h.URL + "/admin/groups")
	checkPage(t, adaJA, uitest.Header(resp, "Content-Security-Policy"), ja)
	if count(adaJA, "main img, main script") != 0 || !strings.Contains(body(adaJA), hostile) {
		t.Errorf("the groups page with a hostile name: %s", body(adaJA))
	}
}

// mustSession opens a session for login at the hub and returns its token.
func mustSession(t *testing.T, h *servertest.Hub, login, pw string) string {
	t.Helper()
	s, pending, err := h.Hub.BeginLogin(context.Background(), login, pw, "127.0.0.1")
	if err != nil || pending != "" {
		t.Fatalf("sign in %s: %v %q", login, err, pending)
	}
	return s.Token
}
