package ui_test

import (
	"bytes"
	"context"
	"errors"
	"html"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/ui"
)

// upload posts file (named name) as the field "log" of /sensors with the
// session's CSRF token, and returns the status and the body.
func (c *uiClient) upload(name string, file []byte) (int, string) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("csrf", c.csrf()); err != nil {
		c.t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("log", name)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	r, err := http.NewRequest("POST", c.base+"/sensors", &b)
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Accept-Language", c.lang)
	r.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: c.token})
	resp, err := noRedirect.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

// TestEvidenceThroughTheUI, over HTTP against a real hub: the evidence
// page shows a checkpoint; org-c (in the amber record's audience) reads
// the record and is refused its bundle (403), org-b (not in it) finds no
// bundle (404), org-a (the owner) downloads one that checks offline and
// shows org-c's read in its chain of custody, which org-b's view of the
// green record does not. An analyst may not upload sensor logs (403); an
// admin's unreadable log is refused naming the field and the file (400);
// its readable log is matched. Once the log is halted, the evidence page
// says so with the hub's reason.
func TestEvidenceThroughTheUI(t *testing.T) {
	w := newWorld(t)
	a := signInHTTP(t, w.h, "user-org-a", w.pw, "en")
	b := signInHTTP(t, w.h, "user-org-b", w.pw, "ja")
	c := signInHTTP(t, w.h, "user-org-c", w.pw, "en")

	if body := c.get("/evidence", 200); !strings.Contains(body, "fusion evidence verify") || !strings.Contains(body, `<pre class="note">`) {
		t.Errorf("the evidence page:\n%s", body)
	}
	bundle := "/records/" + w.amber + "/evidence.bundle"
	if body := c.get("/records/"+w.amber, 200); strings.Contains(body, bundle) {
		t.Errorf("org-c, not the owner, is offered the bundle")
	}
	if st, _, body := c.do("GET", bundle, nil, nil); st != 403 || strings.Contains(body, "amber-kit") {
		t.Errorf("LEAK: org-c's bundle: %d %.200s", st, body)
	}
	if st, _, body := b.do("GET", bundle, nil, nil); st != 404 || strings.Contains(body, "amber-kit") {
		t.Errorf("LEAK: org-b's bundle: %d %.200s", st, body)
	}
	if body := a.get("/records/"+w.amber, 200); !strings.Contains(body, bundle) || !strings.Contains(body, "<td>org-c</td>") {
		t.Errorf("org-a's record page lacks the bundle link or org-c's read:\n%s", body)
	}
	st, _, body := a.do("GET", bundle, nil, nil)
	if st != 200 {
		t.Fatalf("org-a's bundle: %d %s", st, body)
	}
	cust, err := evidence.CheckBundle([]byte(body), "")
	if err != nil || cust.RecordID != w.amber || cust.Record.Value != "amber-kit.example.com" {
		t.Fatalf("org-a's bundle: %v %+v", err, cust)
	}
	if body := b.get("/records/"+w.green, 200); strings.Contains(body, "<td>org-c</td>") {
		t.Errorf("LEAK: org-b sees org-c's read of the green record in its chain of custody")
	}

	if st, body := c.upload("conn.log", []byte("x")); st != 403 {
		t.Errorf("an analyst's upload: %d %.300s", st, body)
	}
	if _, err := w.h.Hub.OperatorCreateUser(context.Background(), "org-c", "admin-org-c", "Admin of org-c", intel.RoleAdmin, w.pw); err != nil {
		t.Fatal(err)
	}
	adm := signInHTTP(t, w.h, "admin-org-c", w.pw, "en")
	if st, body := adm.upload("bad.log", []byte("#separator \\x09\n#fields\tts\n")); st != 400 || !strings.Contains(body, "log: bad.log") {
		t.Errorf("an unreadable log: %d %.2000s", st, body)
	}
	log := `{"ts":1710752404.5,"uid":"CaB1cD2eF3gH4iJ5kL","id.orig_h":"192.168.10.88","id.orig_p":50112,"query":"amber-kit.example.com","qtype_name":"A"}` + "\n"
	st, body = adm.upload("dns.json", []byte(log))
	if st != 200 || !strings.Contains(body, `href="/records/`+w.amber+`"`) {
		t.Errorf("a readable log: %d %.3000s", st, body)
	}

	// A halted log: the page says so, with the hub's reason, and signs no
	// checkpoint.
	w.h.Hub.Evidence().Halt(errors.New("leaf 3 does not match its MAC"))
	body = c.get("/evidence", 200)
	en := ui.LangByCode("en")
	if !strings.Contains(body, html.EscapeString(en.T("evidence.halted"))) || !strings.Contains(body, "leaf 3 does not match its MAC") || strings.Contains(body, `<pre class="note">`) {
		t.Errorf("the evidence page of a halted log:\n%s", body)
	}
}
