package ui_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/server/servertest"
	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
)

// fetched is the answer to a GET made with a tab's session.
type fetched struct {
	Status      int
	Disposition string
	Body        string
}

// fetchAs GETs base+path with the session cookie of tab, read through the
// DevTools protocol (it is HttpOnly; the page's CSP forbids scripts to
// fetch), as a download of a link on its page would send it.
func fetchAs(t *testing.T, tab *uitest.Tab, base, path string) fetched {
	t.Helper()
	var cookies []*network.Cookie
	tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		cookies = res.Cookies
		return err
	}))
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, resp.Header.Get("Content-Disposition"), string(body)}
}

// TestBrowserEvidence: org A's amber IP record, shared with org B. B's
// user reads it; A's record page then shows, in its chain of custody (in
// Japanese), that B read it, and A downloads the record's evidence bundle,
// which checks offline (evidence.CheckBundle) and holds B's read. B, who
// may see the record but does not own it, is refused the bundle (403); C,
// who may not see it, finds no bundle (404) and no B read in its own
// view. B's sensor upload of a Zeek conn log naming A's address reports
// the match. The evidence page shows a signed checkpoint and the log as
// running.
func TestBrowserEvidence(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	const pw = "correct horse battery staple"
	tokens := map[string]string{}
	for _, o := range []string{"org-a", "org-b", "org-c"} {
		tokens[o] = h.Org(t, o, intel.RoleAnalyst)
		// Admins: only they may both read records and submit events.
		if _, err := h.Hub.OperatorCreateUser(ctx, o, "user-"+o, "User of "+o, intel.RoleAdmin, pw); err != nil {
			t.Fatal(err)
		}
	}
	const ip = "203.0.113.77"
	var id string
	{
		c, err := h.Hub.Authenticate(ctx, tokens["org-a"])
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.Hub.CreateRecords(ctx, c, []intel.RecordInput{
			{Value: ip, TLP: "amber", Labels: []string{"malware"}, Audience: &intel.Audience{Orgs: []string{"org-b"}}},
		})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		id = res[0].Value.ID
	}
	en, ja := ui.LangByCode("en"), ui.LangByCode("ja")

	// B reads A's record.
	b := signIn(t, h, "user-org-b", pw, "en")
	resp := b.Open(h.URL + "/records/" + id)
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	if resp.Status != 200 {
		t.Fatalf("org-b's record page: %d", resp.Status)
	}
	if n := uitest.Eval[int](b, "document.querySelectorAll('#bundle').length"); n != 0 {
		t.Errorf("org-b, not the owner, is offered the evidence bundle")
	}
	if f := fetchAs(t, b, h.URL, "/records/"+id+"/evidence.bundle"); f.Status != 403 || strings.Contains(f.Body, ip) {
		t.Errorf("LEAK: org-b gets the evidence bundle: %d %.200s", f.Status, f.Body)
	}

	// A's chain of custody shows B's read; A's bundle checks offline.
	a := signIn(t, h, "user-org-a", pw, "ja")
	resp = a.Open(h.URL + "/records/" + id)
	checkPage(t, a, uitest.Header(resp, "Content-Security-Policy"), ja)
	rows := uitest.Eval[[]string](a, "Array.from(document.querySelectorAll('#custody tbody tr')).map(r => r.innerText)")
	readByB := slices.ContainsFunc(rows, func(r string) bool {
		return strings.Contains(r, ja.T("custody.action.disclose")) && strings.Contains(r, "org-b")
	})
	created := slices.ContainsFunc(rows, func(r string) bool {
		return strings.Contains(r, ja.T("custody.action.record.create")) && strings.Contains(r, "org-a")
	})
	if !readByB || !created {
		t.Errorf("org-a's chain of custody lacks B's read (%v) or the creation (%v): %q", readByB, created, rows)
	}
	a.Screenshot("record-custody-ja")
	f := fetchAs(t, a, h.URL, uitest.Eval[string](a, "document.querySelector('#bundle').getAttribute('href')"))
	if f.Status != 200 || !strings.HasPrefix(f.Disposition, "attachment;") {
		t.Fatalf("org-a's bundle: %d %q %.300s", f.Status, f.Disposition, f.Body)
	}
	cust, err := evidence.CheckBundle([]byte(f.Body), "")
	if err != nil {
		t.Fatalf("org-a's bundle does not check: %v", err)
	}
	if cust.RecordID != id || cust.Record.Value != ip || !slices.ContainsFunc(cust.Leaves, func(l evidence.Leaf) bool {
		return l.Action == evidence.Disclose && l.Org == "org-b"
	}) {
		t.Errorf("org-a's bundle: record %s %q, %d leaves, none a read by org-b", cust.RecordID, cust.Record.Value, len(cust.Leaves))
	}

	// C may not see the record: no page, no bundle.
	c := signIn(t, h, "user-org-c", pw, "en")
	if f := fetchAs(t, c, h.URL, "/records/"+id+"/evidence.bundle"); f.Status != 404 || strings.Contains(f.Body, ip) {
		t.Errorf("LEAK: org-c's bundle request: %d %.200s", f.Status, f.Body)
	}

	// The evidence page: a signed checkpoint, the log running.
	resp = c.Open(h.URL + "/evidence")
	checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), en)
	note := uitest.Eval[string](c, "document.querySelector('pre.note').innerText")
	if _, err := evidence.OpenCheckpoint([]byte(note+"\n"), h.Hub.Evidence().Notary().Verifier()); err != nil || !strings.Contains(uitest.Eval[string](c, "document.body.innerText"), en.T("evidence.running")) {
		t.Errorf("the evidence page's checkpoint %q: %v", note, err)
	}
	c.Screenshot("evidence-en")
	cj := signIn(t, h, "user-org-c", pw, "ja")
	resp = cj.Open(h.URL + "/evidence")
	checkPage(t, cj, uitest.Header(resp, "Content-Security-Policy"), ui.LangByCode("ja"))
	cj.Screenshot("evidence-ja")

	// B's sensor upload of a conn log naming A's address matches it.
	conn, err := os.ReadFile("../zeek/testdata/conn.log")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conn), ip) {
		t.Fatalf("the conn log does not name %s", ip)
	}
	path := filepath.Join(t.TempDir(), "conn.log")
	if err := os.WriteFile(path, conn, 0o600); err != nil {
		t.Fatal(err)
	}
	b.Open(h.URL + "/sensors")
	resp = b.Navigate(
		chromedp.SetUploadFiles(chromedp.CSS("#log"), []string{path}),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
	)
	checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), en)
	row := uitest.Eval[string](b, "(document.querySelector('main table tbody tr') || {innerText: ''}).innerText")
	if resp.Status != 200 || !strings.Contains(row, id) || !strings.Contains(row, "203.0.113[.]77") {
		t.Errorf("org-b's sensor upload: %d %q: %s", resp.Status, row, uitest.Eval[string](b, "document.body.innerText"))
	}
	b.Screenshot("sensors-en")
	bj := signIn(t, h, "user-org-b", pw, "ja")
	bj.Open(h.URL + "/sensors")
	resp = bj.Navigate(
		chromedp.SetUploadFiles(chromedp.CSS("#log"), []string{path}),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
	)
	checkPage(t, bj, uitest.Header(resp, "Content-Security-Policy"), ui.LangByCode("ja"))
	bj.Screenshot("sensors-ja")
}
