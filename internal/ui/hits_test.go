package ui_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/server/servertest"
	"fusion/internal/ui"
)

// uiClient is a signed-in user of a real hub's UI over plain HTTP: a
// program, so that it sends no Sec-Fetch-Site and, unless told, no Origin.
type uiClient struct {
	t     *testing.T
	base  string
	token string
	lang  string
}

// signInHTTP opens a session for login at the hub and returns a client
// that sends its cookie.
func signInHTTP(t *testing.T, h *servertest.Hub, login, pw, lang string) *uiClient {
	t.Helper()
	s, pending, err := h.Hub.BeginLogin(context.Background(), login, pw, "127.0.0.1")
	if err != nil || pending != "" {
		t.Fatalf("sign in %s: %v %q", login, err, pending)
	}
	return &uiClient{t: t, base: h.URL, token: s.Token, lang: lang}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}

// do sends method path (a form, for POST) with the session cookie and hdr,
// and returns the status, the Location and the body.
func (c *uiClient) do(method, path string, form url.Values, hdr map[string]string) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Header.Set("Accept-Language", c.lang)
	r.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: c.token})
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// get fetches a page, which must answer want and have no missing key.
func (c *uiClient) get(path string, want int) string {
	c.t.Helper()
	st, _, body := c.do("GET", path, nil, nil)
	if st != want {
		c.t.Fatalf("GET %s: %d, want %d:\n%s", path, st, want, body)
	}
	if strings.Contains(body, ui.MissingMarker) {
		c.t.Errorf("GET %s (%s): a translation is missing:\n%s", path, c.lang, body)
	}
	return body
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the client's session, as its pages carry
// it.
func (c *uiClient) csrf() string {
	c.t.Helper()
	m := csrfInput.FindStringSubmatch(c.get("/hits", 200))
	if m == nil {
		c.t.Fatal("no CSRF field on /hits")
	}
	return html.UnescapeString(m[1])
}

// post posts form with the session's CSRF token.
func (c *uiClient) post(path string, form url.Values, hdr map[string]string) (int, string, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf())
	return c.do("POST", path, form, hdr)
}

// world is a real hub with three organizations, a user and a caller each,
// and org-a's records: a discoverable amber record (audience org-c), an
// amber record that is not discoverable, and a green one.
type world struct {
	h                        *servertest.Hub
	callers                  map[string]*policy.Caller
	amber, hidden, green, pw string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{h: servertest.Start(t), callers: map[string]*policy.Caller{}, pw: "correct horse battery staple"}
	for _, o := range []string{"org-a", "org-b", "org-c"} {
		tok := w.h.Org(t, o, intel.RoleAnalyst)
		if _, err := w.h.Hub.OperatorCreateUser(ctx, o, "user-"+o, "User of "+o, intel.RoleAnalyst, w.pw); err != nil {
			t.Fatal(err)
		}
		c, err := w.h.Hub.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		w.callers[o] = c
	}
	yes, no := true, false
	res, err := w.h.Hub.CreateRecords(ctx, w.callers["org-a"], []intel.RecordInput{
		{Value: "amber-kit.example.com", TLP: "amber", Labels: []string{"phishing"}, Discoverable: &yes, Audience: &intel.Audience{Orgs: []string{"org-c"}}},
		{Value: "hidden-kit.example.com", TLP: "amber", Labels: []string{"phishing"}, Discoverable: &no, Audience: &intel.Audience{Orgs: []string{"org-c"}}},
		{Value: "green-kit.example.com", TLP: "green", Labels: []string{"phishing"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	w.amber, w.hidden, w.green = res[0].Value.ID, res[1].Value.ID, res[2].Value.ID
	w.waitIndexed(t, "amber-kit.example.com")
	return w
}

// waitIndexed waits until the hub's matching index holds value (it polls
// the store), asking as org-a, which sees its own records in full.
func (w *world) waitIndexed(t *testing.T, value string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		as, err := w.h.Hub.Hits(context.Background(), w.callers["org-a"], []string{value})
		if err == nil && len(as[0].Records) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index did not take %s within 15s: %v", value, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sent returns how many access requests org has sent, as the hub says.
func (w *world) sent(t *testing.T, org string) int {
	t.Helper()
	as, err := w.h.Hub.AccessRequests(context.Background(), w.callers[org], false)
	if err != nil {
		t.Fatal(err)
	}
	return len(as)
}

// TestHitsAccessThroughTheUI: org-b pastes three values (defanged, one
// unreadable) and sees only what the hub answers: a hit naming org-a with
// a request form for the discoverable record, no hit for the record that
// is not discoverable, and the green record as a link. A request with a
// foreign Origin or without the form's token is refused and changes
// nothing; the real form's request is sent; org-c (not the owner) cannot
// decide it; org-a approves it with a reason; org-b then reads the record.
func TestHitsAccessThroughTheUI(t *testing.T) {
	w := newWorld(t)
	b := signInHTTP(t, w.h, "user-org-b", w.pw, "en")
	a := signInHTTP(t, w.h, "user-org-a", w.pw, "ja")
	c := signInHTTP(t, w.h, "user-org-c", w.pw, "en")

	st, _, page := b.post("/hits", url.Values{"values": {"amber-kit[.]example[.]com\n\n  hidden-kit.example.com \ngreen-kit.example.com\nnot a value\n"}}, nil)
	if st != 200 {
		t.Fatalf("POST /hits: %d\n%s", st, page)
	}
	if strings.Contains(page, ui.MissingMarker) {
		t.Errorf("a translation is missing:\n%s", page)
	}
	rows := strings.Split(page, `<tr class="answer">`)[1:]
	if len(rows) != 4 {
		t.Fatalf("%d answers for 4 values:\n%s", len(rows), page)
	}
	for _, want := range []string{"Hit: org-a holds a matching record", `name="ref"`, "Request access"} {
		if !strings.Contains(rows[0], want) {
			t.Errorf("the discoverable record's answer lacks %q:\n%s", want, rows[0])
		}
	}
	if strings.Contains(rows[0], "/records/"+w.amber) || strings.Contains(page, w.hidden) {
		t.Errorf("LEAK: the answer names a record org-b may not see:\n%s", page)
	}
	if !strings.Contains(rows[1], "No hit.") || strings.Contains(rows[1], "org-a") {
		t.Errorf("LEAK: the record that is not discoverable shows:\n%s", rows[1])
	}
	if !strings.Contains(rows[2], `href="/records/`+w.green+`"`) {
		t.Errorf("the green record is not linked:\n%s", rows[2])
	}
	if !strings.Contains(rows[3], "Not a value fusion can read") {
		t.Errorf("the unreadable value:\n%s", rows[3])
	}
	ref := html.UnescapeString(regexp.MustCompile(`name="ref" value="([^"]+)"`).FindStringSubmatch(rows[0])[1])

	// Forged requests change nothing.
	form := url.Values{"ref": {ref}, "purpose": {"case 7"}}
	if st, _, body := b.post("/access-requests", form, map[string]string{"Origin": "https://evil.example"}); st != http.StatusForbidden {
		t.Errorf("POST with a foreign Origin: %d\n%s", st, body)
	}
	if st, _, body := b.post("/access-requests", form, map[string]string{"Sec-Fetch-Site": "same-site"}); st != http.StatusForbidden {
		t.Errorf("POST from a sibling site: %d\n%s", st, body)
	}
	if st, _, body := b.do("POST", "/access-requests", url.Values{"ref": {ref}, "purpose": {"case 7"}}, nil); st != http.StatusForbidden {
		t.Errorf("POST without the form's token: %d\n%s", st, body)
	}
	if n := w.sent(t, "org-b"); n != 0 {
		t.Fatalf("LEAK: a forged request was stored (%d sent)", n)
	}
	if st, _, body := b.post("/access-requests", url.Values{"ref": {"not-a-ref"}, "purpose": {"case 7"}}, nil); st != http.StatusBadRequest || !strings.Contains(body, "ref") {
		t.Errorf("a made-up ref: %d\n%s", st, body)
	}
	if st, _, body := b.post("/access-requests", url.Values{"ref": {ref}}, nil); st != http.StatusBadRequest || !strings.Contains(body, "purpose") {
		t.Errorf("no purpose: %d\n%s", st, body)
	}

	// The real request, then the inbox of each side.
	st, loc, body := b.post("/access-requests", form, nil)
	if st != http.StatusSeeOther || loc != "/access-requests?done=requested" {
		t.Fatalf("request access: %d %q\n%s", st, loc, body)
	}
	inbox := b.get(loc, 200)
	if !strings.Contains(inbox, "Your request was sent") || !strings.Contains(inbox, "Pending") || strings.Contains(inbox, w.amber) {
		t.Errorf("org-b's inbox after the request:\n%s", inbox)
	}
	if st, _, body := b.post("/access-requests", form, nil); st != http.StatusConflict {
		t.Errorf("a second request while one is pending: %d\n%s", st, body)
	}
	reqs, err := w.h.Hub.AccessRequests(context.Background(), w.callers["org-a"], true)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("org-a's received requests: %v %v", reqs, err)
	}
	id := reqs[0].ID
	inboxA := a.get("/access-requests", 200)
	for _, want := range []string{"org-b", "case 7", `formaction="/access-requests/` + id + `/approve"`, `formaction="/access-requests/` + id + `/deny"`, "/records/" + w.amber} {
		if !strings.Contains(inboxA, want) {
			t.Errorf("org-a's inbox lacks %q:\n%s", want, inboxA)
		}
	}
	if st, _, body := c.post("/access-requests/"+id+"/approve", url.Values{"reason": {"me too"}}, nil); st != http.StatusNotFound {
		t.Errorf("org-c approves org-a's request: %d\n%s", st, body)
	}
	if st, _, _ := b.get2("/records/" + w.amber); st != http.StatusNotFound {
		t.Fatalf("LEAK: org-b reads the amber record before approval: %d", st)
	}
	st, loc, body = a.post("/access-requests/"+id+"/approve", url.Values{"reason": {"joint case"}}, nil)
	if st != http.StatusSeeOther || loc != "/access-requests?done=approved" {
		t.Fatalf("approve: %d %q\n%s", st, loc, body)
	}
	if st, _, body := a.post("/access-requests/"+id+"/deny", url.Values{"reason": {"changed my mind"}}, nil); st != http.StatusConflict || !strings.Contains(body, "pending access request") {
		t.Errorf("deny after approval: %d\n%s", st, body)
	}
	inbox = b.get("/access-requests", 200)
	if !strings.Contains(inbox, "Approved") || !strings.Contains(inbox, "joint case") || !strings.Contains(inbox, `href="/records/`+w.amber+`"`) {
		t.Errorf("org-b's inbox after approval:\n%s", inbox)
	}
	if rec := b.get("/records/"+w.amber, 200); !strings.Contains(rec, "amber-kit[.]example[.]com") {
		t.Errorf("org-b's record page after approval:\n%s", rec)
	}

	// A denied request: the requester sees the reason, never the record.
	yes := true
	res, err := w.h.Hub.CreateRecords(context.Background(), w.callers["org-a"], []intel.RecordInput{
		{Value: "deny-kit.example.com", TLP: "amber", Discoverable: &yes, Audience: &intel.Audience{Orgs: []string{"org-c"}}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	denied := res[0].Value.ID
	w.waitIndexed(t, "deny-kit.example.com")
	_, _, page = b.post("/hits", url.Values{"values": {"deny-kit.example.com"}}, nil)
	ref = html.UnescapeString(regexp.MustCompile(`name="ref" value="([^"]+)"`).FindStringSubmatch(page)[1])
	if st, _, body := b.post("/access-requests", url.Values{"ref": {ref}, "purpose": {"case 8"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("request access: %d\n%s", st, body)
	}
	reqs, err = w.h.Hub.AccessRequests(context.Background(), w.callers["org-a"], true)
	if err != nil || len(reqs) != 2 || reqs[0].Record != denied {
		t.Fatalf("org-a's received requests: %+v %v", reqs, err)
	}
	if st, loc, body := a.post("/access-requests/"+reqs[0].ID+"/deny", url.Values{"reason": {"<i>not</i> shareable"}}, nil); st != http.StatusSeeOther || loc != "/access-requests?done=denied" {
		t.Fatalf("deny: %d %q\n%s", st, loc, body)
	}
	inbox = b.get("/access-requests", 200)
	if !strings.Contains(inbox, "Denied") || !strings.Contains(inbox, "&lt;i&gt;not&lt;/i&gt; shareable") || strings.Contains(inbox, denied) {
		t.Errorf("org-b's inbox after the denial:\n%s", inbox)
	}
	if st, _, _ := b.get2("/records/" + denied); st != http.StatusNotFound {
		t.Errorf("LEAK: org-b reads a record whose request was denied: %d", st)
	}
}

// get2 fetches path and returns its status, Location and body, whatever
// the status.
func (c *uiClient) get2(path string) (int, string, string) { return c.do("GET", path, nil, nil) }

// TestHitsPasteBounds: an empty paste and one of more than MaxHitLines
// values are refused on the page, naming the field.
func TestHitsPasteBounds(t *testing.T) {
	w := newWorld(t)
	b := signInHTTP(t, w.h, "user-org-b", w.pw, "ja")
	if st, _, body := b.post("/hits", url.Values{"values": {" \n\n"}}, nil); st != 400 || !strings.Contains(body, "values: no value") {
		t.Errorf("empty paste: %d\n%s", st, body)
	}
	many := strings.Repeat("x.example.com\n", ui.MaxHitLines+1)
	if st, _, body := b.post("/hits", url.Values{"values": {many}}, nil); st != 400 || !strings.Contains(body, "values: more than") {
		t.Errorf("%d values: %d\n%s", ui.MaxHitLines+1, st, body)
	}
	huge := strings.Repeat("y", ui.MaxHitsForm)
	if st, _, body := b.post("/hits", url.Values{"values": {huge}}, nil); st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "the form is larger than") {
		t.Errorf("a form over MaxHitsForm: %d %s", st, body)
	}
}

// TestFeedbackThroughTheUI: org-b sends feedback on org-a's green record
// from the record page; a bad outcome is shown on the form; org-a's
// feedback page shows it, in both languages; org-c cannot send feedback
// on a record it may not see.
func TestFeedbackThroughTheUI(t *testing.T) {
	w := newWorld(t)
	b := signInHTTP(t, w.h, "user-org-b", w.pw, "en")
	page := b.get("/records/"+w.green, 200)
	for _, want := range []string{`action="/records/` + w.green + `/feedback"`, `value="case-opened"`, "case opened"} {
		if !strings.Contains(page, want) {
			t.Errorf("the record page lacks %q", want)
		}
	}
	if st, _, body := b.post("/records/"+w.green+"/feedback", url.Values{"outcome": {"exploded"}, "note": {"x"}}, nil); st != 400 || !strings.Contains(body, "outcome: &#34;exploded&#34;") {
		t.Errorf("a bad outcome: %d\n%s", st, body)
	}
	st, loc, body := b.post("/records/"+w.green+"/feedback", url.Values{"outcome": {"blocked"}, "note": {"<b>blocked</b> at the proxy"}}, nil)
	if st != http.StatusSeeOther || loc != "/records/"+w.green+"?feedback=sent" {
		t.Fatalf("feedback: %d %q\n%s", st, loc, body)
	}
	if page := b.get(loc, 200); !strings.Contains(page, "your feedback was sent") {
		t.Errorf("no notice after feedback:\n%s", page)
	}
	c := signInHTTP(t, w.h, "user-org-c", w.pw, "en")
	if st, _, _ := c.post("/records/"+w.hidden+"/feedback", url.Values{"outcome": {"seen"}}, nil); st != http.StatusSeeOther {
		t.Errorf("org-c (the audience) gives feedback: %d", st)
	}
	if st, _, _ := b.post("/records/"+w.hidden+"/feedback", url.Values{"outcome": {"seen"}}, nil); st != http.StatusNotFound {
		t.Errorf("LEAK: org-b gives feedback on a record it may not see: %d", st)
	}
	for _, lang := range []string{"en", "ja"} {
		a := signInHTTP(t, w.h, "user-org-a", w.pw, lang)
		a.get("/records/"+w.green, 200) // the feedback form, with no missing key
		fb := a.get("/feedback", 200)
		for _, want := range []string{"org-b", "org-c", "&lt;b&gt;blocked&lt;/b&gt; at the proxy", `href="/records/` + w.green + `"`} {
			if !strings.Contains(fb, want) {
				t.Errorf("org-a's feedback page (%s) lacks %q:\n%s", lang, want, fb)
			}
		}
	}
	if fb := b.get("/feedback", 200); strings.Contains(fb, "org-c") || !strings.Contains(fb, "No feedback or sightings yet.") {
		t.Errorf("LEAK: org-b's feedback page shows another's feedback:\n%s", fb)
	}
}

// TestTorCheckThroughTheUI: the verdict on the page is the hub's, word for
// word; with no Tor data held it says "no data"; a bad address or time is
// shown on the form.
func TestTorCheckThroughTheUI(t *testing.T) {
	w := newWorld(t)
	at := time.Date(2026, 11, 30, 19, 5, 0, 0, time.UTC)
	want, err := w.h.Hub.TorCheck(context.Background(), w.callers["org-b"], netip.MustParseAddr("198.51.100.7"), at, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for lang, status := range map[string]string{"en": "no data", "ja": "データなし"} {
		b := signInHTTP(t, w.h, "user-org-b", w.pw, lang)
		b.get("/tor", 200)
		page := b.get("/tor?ip=198.51.100.7&time=2026-11-30T19:05", 200)
		if !strings.Contains(page, `<blockquote class="verdict" id="tor-verdict" lang="en" dir="ltr">`+html.EscapeString(want.Verdict)+`</blockquote>`) {
			t.Errorf("%s: the verdict is not the hub's %q:\n%s", lang, want.Verdict, page)
		}
		if !strings.Contains(page, `<span id="tor-status">`+status+`</span>`) {
			t.Errorf("%s: the status is not %q:\n%s", lang, status, page)
		}
		if page := b.get("/tor?ip=198.51.100.7&time=2026-12-01T04:05%2B09:00", 200); !strings.Contains(page, html.EscapeString(want.Verdict)) {
			t.Errorf("%s: the same instant with an offset answers differently", lang)
		}
		for _, q := range []string{"ip=198.51.100.300", "ip=fe80::1%25eth0", "ip=198.51.100.7&time=yesterday"} {
			if st, _, body := b.do("GET", "/tor?"+q, nil, nil); st != 400 || !strings.Contains(body, `id="tor-error"`) {
				t.Errorf("%s: %s: %d\n%s", lang, q, st, body)
			}
		}
	}
}

// TestPagesNeedASession: every new page sends a reader with no session to
// sign in, and every new form refuses a post without one.
func TestPagesNeedASession(t *testing.T) {
	w := newWorld(t)
	anon := &uiClient{t: t, base: w.h.URL, token: "not-a-session", lang: "en"}
	for _, p := range []string{"/hits", "/access-requests", "/feedback", "/tor?ip=192.0.2.1", "/evidence", "/sensors", "/detections", "/sms", "/sms/shop", "/records/" + w.amber + "/evidence.bundle",
		"/action-days", "/action-days/x", "/action-days/x/packages/FR", "/action-days/x/summary", "/action-days/x/summary.csv"} {
		if st, loc, _ := anon.do("GET", p, nil, nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("GET %s without a session: %d %q", p, st, loc)
		}
	}
	for _, p := range []string{"/hits", "/access-requests", "/access-requests/x/approve", "/access-requests/x/deny", "/records/" + w.green + "/feedback", "/sensors", "/sms/shop/release",
		"/action-days", "/action-days/x/bookings", "/action-days/x/police", "/action-days/x/outcomes"} {
		if st, loc, _ := anon.do("POST", p, url.Values{"values": {"a.example.com"}}, nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("POST %s without a session: %d %q", p, st, loc)
		}
	}
}
