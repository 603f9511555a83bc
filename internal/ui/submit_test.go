package ui_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server/servertest"
)

const testPassword = "correct horse battery staple"

// webUser is a signed-in user of a real hub, driven over HTTP without a
// browser: its own cookie jar, and the CSRF token of its session.
type webUser struct {
	t      *testing.T
	h      *servertest.Hub
	c      *http.Client
	csrf   string
	caller string // the organization, for reading through the hub
}

// threeOrgs makes org-a, org-b and org-c, each with an analyst user
// "user-<org>", and returns the hub.
func threeOrgs(t *testing.T) *servertest.Hub {
	t.Helper()
	h := servertest.Start(t)
	for _, o := range []string{"org-a", "org-b", "org-c"} {
		h.Org(t, o, intel.RoleAnalyst)
		if _, err := h.Hub.OperatorCreateUser(context.Background(), o, "user-"+o, "User of "+o, intel.RoleAnalyst, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in the user of org through the login form.
func login(t *testing.T, h *servertest.Hub, org string) *webUser {
	t.Helper()
	return loginAs(t, h, "user-"+org, org)
}

// loginAs signs in the user name of org through the login form.
func loginAs(t *testing.T, h *servertest.Hub, name, org string) *webUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &webUser{t: t, h: h, c: &http.Client{Jar: jar}, caller: org}
	resp, err := u.c.PostForm(h.URL+"/login", url.Values{"login": {name}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, body := u.get("/submit")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s: no CSRF token on /submit after signing in:\n%s", org, body)
	}
	u.csrf = html.UnescapeString(m[1])
	return u
}

func (u *webUser) get(path string) (int, string) {
	u.t.Helper()
	resp, err := u.c.Get(u.h.URL + path)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends form with the session's CSRF token; the final page's status
// and body (after any redirect) and its path.
func (u *webUser) post(path string, form url.Values) (int, string, string) {
	u.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", u.csrf)
	}
	resp, err := u.c.PostForm(u.h.URL+path, form)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

// text is body with its tags removed and entities decoded, for matching
// what a reader sees.
func text(body string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, ""))
}

// records lists what org holds of its own, through the hub.
func records(t *testing.T, h *servertest.Hub, org string) map[string]intel.Record {
	t.Helper()
	ctx := context.Background()
	c, err := h.Hub.Authenticate(ctx, h.Token(t, org, intel.RoleAnalyst))
	if err != nil {
		t.Fatal(err)
	}
	page, err := h.Hub.ListRecords(ctx, c, hub.RecordFilter{Originator: org, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]intel.Record{}
	for _, r := range page.Items {
		out[r.Value] = r
	}
	return out
}

// TestSubmitBulkPerLine: a paste with good values, a bad one and one on a
// warning list stores the good ones only, answers every line in place,
// keeps the refused lines, and stores the listed value once "share anyway"
// is ticked.
func TestSubmitBulkPerLine(t *testing.T) {
	h := threeOrgs(t)
	a := login(t, h, "org-a")
	paste := "hxxp://kit[.]example[.]com/login\n\n198.51.100[.]7\nnot a value at all\n8.8.8.8\n"
	status, body, _ := a.post("/submit", url.Values{"form": {"bulk"}, "paste": {paste}, "tlp": {"green"}, "label": {"phishing"}})
	if status != http.StatusOK {
		t.Fatalf("POST /submit: %d\n%s", status, body)
	}
	shown := text(body)
	for _, want := range []string{"Values sent: 4; refused: 2", "Created", `value: "not a value at all"`, "public-resolvers: 8.8.8.8 is in 8.8.8.8/32", "Share anyway", "kit[.]example[.]com"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the results lack %q:\n%s", want, shown)
		}
	}
	// Line numbers are the paste box's, blank lines counted.
	if !regexp.MustCompile(`<td>4</td>\s*<td><code dir="ltr">not a value at all</code>`).MatchString(body) {
		t.Errorf("the bad value is not shown on its line 4:\n%s", body)
	}
	// The paste box keeps the refused lines only.
	if !strings.Contains(body, ">not a value at all\n8.8.8.8</textarea>") {
		t.Errorf("the paste box does not keep the refused lines:\n%s", body)
	}
	held := records(t, h, "org-a")
	for _, v := range []string{"http://kit.example.com/login", "198.51.100.7"} {
		if r, ok := held[v]; !ok || r.TLP != "green" || len(r.Labels) != 1 {
			t.Errorf("%s not stored as sent: %+v", v, r)
		}
	}
	if len(held) != 2 {
		t.Errorf("stored %d records, want the 2 good ones: %v", len(held), held)
	}

	// Again with "share anyway": the listed value is stored, marked.
	status, body, _ = a.post("/submit", url.Values{"form": {"bulk"}, "paste": {"8.8.8.8"}, "tlp": {"green"}, "force": {"1"}})
	if status != http.StatusOK || !strings.Contains(text(body), "Values sent: 1; refused: 0") {
		t.Fatalf("forced: %d\n%s", status, text(body))
	}
	if r, ok := records(t, h, "org-a")["8.8.8.8"]; !ok || len(r.Warnings) == 0 {
		t.Errorf("the forced value is not stored with its warning lists: %+v", r)
	}

	// Sent again: unchanged, nothing new.
	_, body, _ = a.post("/submit", url.Values{"form": {"bulk"}, "paste": {"198.51.100.7"}, "tlp": {"green"}, "label": {"phishing"}})
	if !strings.Contains(text(body), "Unchanged") {
		t.Errorf("a value sent twice is not unchanged:\n%s", text(body))
	}
}

// TestSubmitOne: the single form with audience and handling; a bad TLP is
// refused naming the field, and nothing is stored.
func TestSubmitOne(t *testing.T) {
	h := threeOrgs(t)
	a := login(t, h, "org-a")
	status, body, _ := a.post("/submit", url.Values{"form": {"one"}, "value": {"amber-kit[.]example[.]net"}, "type": {"domain"},
		"tlp": {"amber"}, "orgs": {"org-b"}, "handling": {"H1", "H2"}, "tags": {"kit, campaign-x"}, "description": {"a kit"}})
	if status != http.StatusOK || !strings.Contains(text(body), "Created") {
		t.Fatalf("POST /submit one: %d\n%s", status, text(body))
	}
	r, ok := records(t, h, "org-a")["amber-kit.example.net"]
	if !ok || r.TLP != "amber" || !r.Audience.HasOrg("org-b") || !r.Handling.Has("H1") || !r.Handling.Has("H2") || len(r.Tags) != 2 || r.Description != "a kit" {
		t.Errorf("stored %+v", r)
	}
	_, body, _ = a.post("/submit", url.Values{"form": {"one"}, "value": {"other.example.net"}, "tlp": {"purple"}})
	if !strings.Contains(text(body), `tlp: "purple"`) {
		t.Errorf("a bad TLP is not named:\n%s", text(body))
	}
	if _, ok := records(t, h, "org-a")["other.example.net"]; ok {
		t.Errorf("a refused record was stored")
	}
	_, body, _ = a.post("/submit", url.Values{"form": {"one"}, "value": {"x.example.net"}, "tlp": {"amber"}, "orgs": {"no-such-org"}})
	if !strings.Contains(text(body), "no-such-org") {
		t.Errorf("an unknown audience is not named:\n%s", text(body))
	}
}

// TestSubmitBounds: the CSRF token, the size of the paste and the number
// of lines are checked before anything is stored.
func TestSubmitBounds(t *testing.T) {
	h := threeOrgs(t)
	a := login(t, h, "org-a")
	if status, _, _ := a.post("/submit", url.Values{"form": {"bulk"}, "paste": {"evil.example"}, "tlp": {"green"}, "csrf": {"forged"}}); status != http.StatusForbidden {
		t.Errorf("a forged CSRF token: %d, want 403", status)
	}
	many := strings.Repeat("a.example\n", hub.MaxBatch+1)
	if status, body, _ := a.post("/submit", url.Values{"form": {"bulk"}, "paste": {many}, "tlp": {"green"}}); status != http.StatusBadRequest || !strings.Contains(body, "more than the limit of 10000") {
		t.Errorf("%d lines: %d %s", hub.MaxBatch+1, status, text(body))
	}
	huge := strings.Repeat("x", 1<<20+1)
	if status, _, _ := a.post("/submit", url.Values{"form": {"bulk"}, "paste": {huge}, "tlp": {"green"}}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a paste over 1 MiB: %d, want 413", status)
	}
	if status, _, _ := a.post("/submit", url.Values{"form": {"what"}}); status != http.StatusBadRequest {
		t.Errorf("an unknown form: %d, want 400", status)
	}
	if n := len(records(t, h, "org-a")); n != 0 {
		t.Errorf("%d records stored by refused forms", n)
	}
	// Signed out, the page sends to the login page.
	resp, err := http.Get(h.URL + "/submit")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Errorf("/submit signed out: at %s", resp.Request.URL.Path)
	}
}

// TestSubmitReaderRole: a user whose role may only read sees the forms
// disabled with a notice, and a POST is refused with nothing stored.
func TestSubmitReaderRole(t *testing.T) {
	h := threeOrgs(t)
	if _, err := h.Hub.OperatorCreateUser(context.Background(), "org-a", "reader-a", "Reader of org-a", intel.RoleReader, testPassword); err != nil {
		t.Fatal(err)
	}
	r := loginAs(t, h, "reader-a", "org-a")
	for path, notice := range map[string]string{"/submit": `id="submit-role"`, "/reports/new": `id="report-role"`} {
		if _, body := r.get(path); !strings.Contains(body, notice) || !strings.Contains(body, "disabled") {
			t.Errorf("%s for a reader: no notice or the form is not disabled", path)
		}
	}
	if status, _, _ := r.post("/submit", url.Values{"form": {"one"}, "value": {"reader.example.com"}, "tlp": {"green"}}); status != http.StatusForbidden {
		t.Errorf("a reader submits: %d, want 403", status)
	}
	if status, _, _ := r.post("/reports/new", url.Values{"title": {"t"}, "tlp": {"green"}}); status != http.StatusForbidden {
		t.Errorf("a reader writes a report: %d, want 403", status)
	}
	if n := len(records(t, h, "org-a")); n != 0 {
		t.Errorf("%d records stored by a reader", n)
	}
}

var reportIDRE = regexp.MustCompile(`^/reports/([0-9a-f-]{36})$`)

// TestReportsThroughTheGate: org A writes a report amber to org B from
// pasted values and ids, and adds records to it; B sees it in the list and
// on its page, with the records it may see; C does not (list: absent;
// page: 404). Records of another organization cannot be grouped, and only
// the originator adds records.
func TestReportsThroughTheGate(t *testing.T) {
	h := threeOrgs(t)
	a, b, c := login(t, h, "org-a"), login(t, h, "org-b"), login(t, h, "org-c")
	a.post("/submit", url.Values{"form": {"bulk"}, "paste": {"one.example.com\ntwo.example.com\nthree.example.com"}, "tlp": {"green"}})
	b.post("/submit", url.Values{"form": {"one"}, "value": {"bee.example.com"}, "tlp": {"green"}})
	held := records(t, h, "org-a")
	bees := records(t, h, "org-b")

	status, body, path := a.post("/reports/new", url.Values{"title": {"Kit <b>wave</b>"}, "description": {"two of three"},
		"tlp": {"amber"}, "orgs": {"org-b"}, "label": {"phishing"}, "records": {"one[.]example[.]com\n" + held["two.example.com"].ID}})
	m := reportIDRE.FindStringSubmatch(path)
	if status != http.StatusOK || m == nil {
		t.Fatalf("POST /reports/new: %d at %s\n%s", status, path, text(body))
	}
	id := m[1]
	if !strings.Contains(body, "Kit &lt;b&gt;wave&lt;/b&gt;") || !strings.Contains(text(body), "one[.]example[.]com") {
		t.Errorf("the new report's page:\n%s", body)
	}

	// Another organization's record, and a value not held: refused, nothing stored.
	_, body, _ = a.post("/reports/new", url.Values{"title": {"bad"}, "tlp": {"green"}, "records": {bees["bee.example.com"].ID}})
	if !strings.Contains(text(body), "not a record of your organization") {
		t.Errorf("a foreign record id:\n%s", text(body))
	}
	_, body, _ = a.post("/reports/new", url.Values{"title": {"bad"}, "tlp": {"green"}, "records": {"one.example.com\nnine.example.com"}})
	if !strings.Contains(text(body), `line 2: records: "nine.example.com": no record of your organization has this value`) {
		t.Errorf("a value not held:\n%s", text(body))
	}

	// Add the third record.
	status, body, _ = a.post("/reports/"+id+"/records", url.Values{"records": {"three.example.com"}})
	if status != http.StatusOK || !strings.Contains(text(body), "Records added to the report: 1.") || !strings.Contains(text(body), "three[.]example[.]com") {
		t.Errorf("adding a record: %d\n%s", status, text(body))
	}
	if status, body, _ = b.post("/reports/"+id+"/records", url.Values{"records": {bees["bee.example.com"].ID}}); status != http.StatusForbidden {
		t.Errorf("org-b adds to org-a's report: %d\n%s", status, text(body))
	}

	// The hub refuses it too, whatever the page offers.
	ctx := context.Background()
	cb, err := h.Hub.Authenticate(ctx, h.Token(t, "org-b", intel.RoleAnalyst))
	if err != nil {
		t.Fatal(err)
	}
	theirs := []string{bees["bee.example.com"].ID}
	if _, err := h.Hub.UpdateReport(ctx, cb, id, intel.ReportPatch{Records: &theirs}); err == nil {
		t.Errorf("the hub lets org-b change org-a's report")
	}

	_, list := b.get("/reports")
	if !strings.Contains(list, "/reports/"+id) {
		t.Errorf("org-b's report list lacks the report:\n%s", text(list))
	}
	status, page := b.get("/reports/" + id)
	if status != http.StatusOK || !strings.Contains(text(page), "three[.]example[.]com") || strings.Contains(page, `id="add-records"`) {
		t.Errorf("org-b's report page: %d\n%s", status, text(page))
	}
	_, list = c.get("/reports")
	if strings.Contains(list, id) || strings.Contains(list, "wave") {
		t.Errorf("LEAK: org-c's report list shows the amber report")
	}
	if status, page = c.get("/reports/" + id); status != http.StatusNotFound || strings.Contains(page, "wave") {
		t.Errorf("LEAK: org-c opens the amber report: %d", status)
	}
	if status, _, _ = c.post("/reports/"+id+"/records", url.Values{"records": {"x.example.com"}}); status == http.StatusOK {
		t.Errorf("org-c posts to the amber report: %d", status)
	}
}

// TestReportFromMISP: a report imported from a real MISP event shows the
// event's uuid, creator and context attributes.
func TestReportFromMISP(t *testing.T) {
	data, err := os.ReadFile("../../../shared/fixtures/misp/events/pymisp-circl-osint-57c4445b.json")
	if err != nil {
		t.Skipf("the MISP fixtures are not there: %v", err)
	}
	h := threeOrgs(t)
	ctx := context.Background()
	cl, err := h.Hub.Authenticate(ctx, h.Token(t, "org-a", intel.RoleAnalyst))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := h.Hub.ImportMISP(ctx, cl, data, hub.MISPOptions{})
	if err != nil || len(imp.Events) != 1 || imp.Events[0].Report == "" {
		t.Fatalf("import: %+v %v", imp, err)
	}
	a := login(t, h, "org-a")
	status, page := a.get("/reports/" + imp.Events[0].Report)
	shown := text(page)
	if status != http.StatusOK {
		t.Fatalf("the imported report: %d\n%s", status, shown)
	}
	for _, want := range []string{"Imported from MISP", "57c4445b-c548-4654-af0b-4be3950d210f", "CIRCL", "Context attributes of the event"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the imported report's page lacks %q:\n%s", want, shown)
		}
	}
}
