package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fusion/internal/authztest"
	"fusion/internal/evidence"
	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// tour drives routes through the fixture and remembers which route
// patterns it visited.
type tour struct {
	t       *testing.T
	f       *fixture
	visited map[string]bool
}

// step sends method path (which matches pattern) as org and fails the test
// unless the answer has status want; out, if not nil, receives the body.
func (tr *tour) step(method, pattern, path, org string, body, out any, want int) map[string]any {
	tr.t.Helper()
	tr.visited[method+" "+pattern] = true
	status, b := tr.f.do(method, path, org, body, out)
	if status != want {
		tr.t.Fatalf("%s %s as %s: status %d, want %d: %v", method, path, org, status, want, b)
	}
	return b
}

// TestTourThenEvidenceVerifies drives every read and write route of the
// API, then checks the whole evidence log and, for every record the tour
// touched, an exported bundle: an ordinary hub must never look tampered.
func TestTourThenEvidenceVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixtureOn(t, st)
		feed := enableMatching(t, f, hub.DefaultLimits)
		tr := &tour{t: t, f: f, visited: map[string]bool{}}
		ctx := context.Background()

		tr.step("GET", "/healthz", "/healthz", "", nil, nil, 200)
		tr.step("GET", "/metrics", "/metrics", "", nil, nil, 200)
		tr.step("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", nil, nil, 200)
		tr.step("GET", "/api/v1/vocabulary", "/api/v1/vocabulary", "", nil, nil, 200)
		tr.step("GET", "/api/v1/whoami", "/api/v1/whoami", "org-a", nil, nil, 200)

		// records
		var created struct{ Results []struct{ ID string } }
		tr.step("POST", "/api/v1/records", "/api/v1/records", "org-a", `{"records":[
			{"value":"hxxps://login-bank-a[.]example[.]com/kit/","tlp":"amber","labels":["phishing"],"audience":{"groups":["grp-ab"]},"handling":{"codes":["H2"]}},
			{"value":"c2.example.net","tlp":"red","discoverable":true,"labels":["botnet-c2"]},
			{"value":"+1 202 555 0142","tlp":"green","labels":["money-mule"],"personal":true},
			{"value":"198.51.100.7","tlp":"green","labels":["botnet-c2"]}]}`, &created, 200)
		var ids []string
		for _, r := range created.Results {
			if r.ID == "" {
				t.Fatalf("a record was refused: %+v", created)
			}
			ids = append(ids, r.ID)
		}
		tr.step("GET", "/api/v1/records", "/api/v1/records", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/records", "/api/v1/records?value=198.51.100.7", "org-c", nil, nil, 200)
		tr.step("GET", "/api/v1/records/{id}", "/api/v1/records/"+ids[0], "org-b", nil, nil, 200)
		tr.step("PATCH", "/api/v1/records/{id}", "/api/v1/records/"+ids[0], "org-a", `{"confidence":85}`, nil, 200)
		tr.step("GET", "/api/v1/records/{id}/history", "/api/v1/records/"+ids[0]+"/history", "org-b", nil, nil, 200)
		tr.step("DELETE", "/api/v1/records/{id}", "/api/v1/records/"+ids[3]+"?reason=false+positive", "org-a", nil, nil, 200)

		// reports
		var rep intel.Report
		tr.step("POST", "/api/v1/reports", "/api/v1/reports", "org-a", map[string]any{"title": "Phishing wave", "tlp": "amber",
			"audience": map[string]any{"orgs": []string{"org-b"}}, "records": ids[:2]}, &rep, 201)
		tr.step("GET", "/api/v1/reports", "/api/v1/reports", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/reports/{id}", "/api/v1/reports/"+rep.ID, "org-b", nil, nil, 200)
		tr.step("PATCH", "/api/v1/reports/{id}", "/api/v1/reports/"+rep.ID, "org-a", `{"title":"Phishing wave, week 48"}`, nil, 200)
		tr.step("DELETE", "/api/v1/reports/{id}", "/api/v1/reports/"+rep.ID+"?reason=merged", "org-a", nil, nil, 200)

		// directory
		tr.step("GET", "/api/v1/orgs", "/api/v1/orgs", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/orgs/{id}", "/api/v1/orgs/org-a", "org-b", nil, nil, 200)
		tr.step("PATCH", "/api/v1/orgs/{id}", "/api/v1/orgs/org-c", "org-c", `{"anonymous_feedback":true}`, nil, 200)
		tr.step("GET", "/api/v1/groups", "/api/v1/groups", "org-b", nil, nil, 200)
		var grp intel.Group
		tr.step("POST", "/api/v1/groups", "/api/v1/groups", "org-b", `{"name":"Law enforcement"}`, &grp, 201)
		tr.step("GET", "/api/v1/groups/{id}", "/api/v1/groups/"+grp.ID, "org-b", nil, nil, 200)
		tr.step("POST", "/api/v1/groups/{id}/members", "/api/v1/groups/"+grp.ID+"/members", "org-b", `{"org":"org-c"}`, nil, 200)
		tr.step("DELETE", "/api/v1/groups/{id}/members/{org}", "/api/v1/groups/"+grp.ID+"/members/org-c", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/tokens", "/api/v1/tokens", "org-b", nil, nil, 200)
		var tok struct{ ID string }
		tr.step("POST", "/api/v1/tokens", "/api/v1/tokens", "org-b", `{"role":"sensor","name":"zeek box"}`, &tok, 201)
		tr.step("DELETE", "/api/v1/tokens/{id}", "/api/v1/tokens/"+tok.ID, "org-b", nil, nil, 204)

		// Tor data
		consensus, err := os.ReadFile(torFixture)
		if err != nil {
			t.Skipf("Tor fixture not available: %v", err)
		}
		tr.step("POST", "/api/v1/tor/import", "/api/v1/tor/import?name=2017-04-15-00-00-00-consensus", "hub-op", consensus, nil, 200)
		tr.step("GET", "/api/v1/tor/check", "/api/v1/tor/check?ip=91.197.131.152&time=2017-04-15T00:30:00Z", "org-c", nil, nil, 200)

		// matching
		if _, err := feed.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		tr.step("GET", "/api/v1/records/export", "/api/v1/records/export", "org-b", nil, nil, 200)
		var hits struct{ Results []hitResult }
		tr.step("POST", "/api/v1/hits", "/api/v1/hits", "org-c", `{"values":["c2.example.net","login-bank-a.example.com","clean.example.org"]}`, &hits, 200)
		if len(hits.Results[0].Hits) != 1 {
			t.Fatalf("no hit on the discoverable record: %+v", hits.Results[0])
		}
		var bHits struct{ Results []hitResult }
		tr.step("POST", "/api/v1/hits", "/api/v1/hits", "org-b", `{"values":["c2.example.net"]}`, &bHits, 200)
		events := `{"time":"2026-11-20T10:15:00Z","value":"login-bank-a.example.com"}` + "\n" + `{"time":"2026-11-20T10:16:00Z","value":"login-bank-a.example.com"}` + "\n"
		tr.step("POST", "/api/v1/events", "/api/v1/events", "org-b", events, nil, 200)
		tr.step("POST", "/api/v1/events", "/api/v1/events", "org-b", events, nil, 200)
		tr.step("GET", "/api/v1/sightings", "/api/v1/sightings", "org-b", nil, nil, 200)
		beacon := string(authztest.BeaconLog("10.0.0.5", "198.18.0.9", time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), 288, 5*time.Minute))
		tr.step("POST", "/api/v1/events", "/api/v1/events", "org-b", beacon, nil, 200)
		tr.step("GET", "/api/v1/detections", "/api/v1/detections", "org-b", nil, nil, 200)
		// the SMS-pumping guard: a burst blocked, listed, released (an
		// sms.release leaf)
		smsStart := time.Now().UTC().Add(-2 * time.Minute)
		smsBurst(t, f, "org-b", "tour-app", smsStart, 30)
		tr.step("POST", "/api/v1/sms/check", "/api/v1/sms/check", "org-b",
			fmt.Sprintf(`{"app":"tour-app","number":"%s999","ip":"192.0.2.9","time":%q}`, smsPumped, smsStart.Add(time.Minute).Format(time.RFC3339)), nil, 200)
		tr.step("POST", "/api/v1/sms/verified", "/api/v1/sms/verified", "org-b",
			fmt.Sprintf(`{"app":"tour-app","number":"%s999","time":%q}`, smsPumped, smsStart.Add(time.Minute+10*time.Second).Format(time.RFC3339)), nil, 200)
		tr.step("GET", "/api/v1/sms/blocks", "/api/v1/sms/blocks", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/sms/apps", "/api/v1/sms/apps", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/sms/apps/{app}", "/api/v1/sms/apps/tour-app", "org-b", nil, nil, 200)
		// inline screening: nothing stored, nothing logged
		tr.step("POST", "/api/v1/screen", "/api/v1/screen", "org-b", screenBody("BK-TOUR", 1, time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)), nil, 200)
		// an action day: org-b (police, DE) coordinates for grp-ab and is
		// its German police; org-a submits a booking leaving Frankfurt
		var day hub.ActionDay
		tr.step("POST", "/api/v1/action-days", "/api/v1/action-days", "org-b", `{"name":"tour day","day":"2026-12-01","group":"grp-ab","handling":{"codes":["H1"]}}`, &day, 201)
		tr.step("GET", "/api/v1/action-days", "/api/v1/action-days", "org-a", nil, nil, 200)
		tr.step("GET", "/api/v1/action-days/{id}", "/api/v1/action-days/"+day.ID, "org-a", nil, nil, 200)
		tr.step("PATCH", "/api/v1/action-days/{id}", "/api/v1/action-days/"+day.ID, "org-b", `{"name":"tour action day"}`, nil, 200)
		fra := strings.NewReplacer(`"origin":"CDG"`, `"origin":"FRA"`, `"origin_country":"FR"`, `"origin_country":"DE"`)
		tr.step("POST", "/api/v1/action-days/{id}/bookings", "/api/v1/action-days/"+day.ID+"/bookings", "org-a",
			fra.Replace(screenBody("BK-DAY", 2, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))), nil, 200)
		tr.step("GET", "/api/v1/action-days/{id}/bookings", "/api/v1/action-days/"+day.ID+"/bookings?country=DE", "org-b", nil, nil, 200)
		tr.step("POST", "/api/v1/action-days/{id}/outcomes", "/api/v1/action-days/"+day.ID+"/outcomes", "org-b", `{"airline":"org-a","booking":"BK-DAY","outcome":"denied-boarding"}`, nil, 200)
		tr.step("GET", "/api/v1/action-days/{id}/summary", "/api/v1/action-days/"+day.ID+"/summary?format=csv", "org-a", nil, nil, 200)
		// a rule package published by org-b (police) to grp-ab, read by
		// org-a (a disclosure), screened with, revised and revoked
		var rp hub.SharedPackage
		tr.step("POST", "/api/v1/rule-packages", "/api/v1/rule-packages", "org-b", `{"package":`+apiPkg+`,"tlp":"amber","audience":{"groups":["grp-ab"]}}`, &rp, 201)
		tr.step("GET", "/api/v1/rule-packages", "/api/v1/rule-packages", "org-a", nil, nil, 200)
		tr.step("GET", "/api/v1/rule-packages/{id}", "/api/v1/rule-packages/"+rp.ID, "org-a", nil, nil, 200)
		tr.step("POST", "/api/v1/screen", "/api/v1/screen?package="+rp.ID, "org-a", screenBody("BK-TOUR-2", 2, time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)), nil, 200)
		tr.step("PUT", "/api/v1/rule-packages/{id}", "/api/v1/rule-packages/"+rp.ID, "org-b", `{"handling":{"codes":["H1"]}}`, nil, 200)
		tr.step("DELETE", "/api/v1/rule-packages/{id}", "/api/v1/rule-packages/"+rp.ID+"?reason=tour", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/rule-packages/{id}", "/api/v1/rule-packages/"+rp.ID+"?version=1", "org-a", nil, nil, 200)
		tr.step("POST", "/api/v1/sms/blocks/release", "/api/v1/sms/blocks/release", "org-b", fmt.Sprintf(`{"app":"tour-app","prefix":%q}`, smsPumped), nil, 200)
		// the range shared as a record (record.create), which org-a's guard,
		// made by its first check, holds (a disclosure to org-a)
		tr.step("POST", "/api/v1/sms/blocks/share", "/api/v1/sms/blocks/share", "org-b", fmt.Sprintf(`{"app":"tour-app","prefix":%q}`, smsPumped), nil, 200)
		tr.step("POST", "/api/v1/sms/check", "/api/v1/sms/check", "org-a",
			fmt.Sprintf(`{"app":"tour-app","number":"%s998","ip":"192.0.2.9","time":%q}`, smsPumped, smsStart.Add(time.Minute).Format(time.RFC3339)), nil, 200)
		tr.step("PUT", "/api/v1/sms/apps/{app}/settings", "/api/v1/sms/apps/tour-app/settings", "org-b", `{"mode":"challenge","allowed":["LV","DE"]}`, nil, 200)
		tr.step("GET", "/api/v1/sms/apps/{app}/settings", "/api/v1/sms/apps/tour-app/settings", "org-b", nil, nil, 200)
		var granted, denied hub.AccessView
		tr.step("POST", "/api/v1/access-requests", "/api/v1/access-requests", "org-c", map[string]string{"ref": hits.Results[0].Hits[0].Ref, "purpose": "takedown"}, &granted, 201)
		tr.step("POST", "/api/v1/access-requests", "/api/v1/access-requests", "org-b", map[string]string{"ref": bHits.Results[0].Hits[0].Ref, "purpose": "case 2026-114"}, &denied, 201)
		tr.step("GET", "/api/v1/access-requests", "/api/v1/access-requests?as=owner", "org-a", nil, nil, 200)
		tr.step("POST", "/api/v1/access-requests/{id}/approve", "/api/v1/access-requests/"+granted.ID+"/approve", "org-a", `{"reason":"for the takedown"}`, nil, 200)
		tr.step("POST", "/api/v1/access-requests/{id}/deny", "/api/v1/access-requests/"+denied.ID+"/deny", "org-a", `{"reason":"not yet"}`, nil, 200)
		tr.step("POST", "/api/v1/records/{id}/feedback", "/api/v1/records/"+ids[0]+"/feedback", "org-b", `{"outcome":"blocked","note":"mail gateway"}`, nil, 201)
		tr.step("POST", "/api/v1/records/{id}/feedback", "/api/v1/records/"+ids[1]+"/feedback", "org-c", `{"outcome":"takedown"}`, nil, 201)
		tr.step("GET", "/api/v1/feedback", "/api/v1/feedback", "org-a", nil, nil, 200)

		// STIX: org-b's view as a bundle (disclosures), imported back by
		// org-a, which is in the audience it names (a resubmission)
		bundle := tr.step("GET", "/api/v1/stix/bundle", "/api/v1/stix/bundle", "org-b", nil, nil, 200)
		var imported hub.STIXImport
		tr.step("POST", "/api/v1/stix/import", "/api/v1/stix/import", "org-a", bundle, &imported, 200)
		if t := imported.Totals.Records; t.Submitted == 0 || t.Refused != 0 {
			tr.t.Fatalf("org-a's import of org-b's bundle: %+v", imported)
		}

		// MISP: an event with one indicator and one context attribute,
		// imported by org-c
		var fromMISP hub.MISPImport
		tr.step("POST", "/api/v1/misp/import", "/api/v1/misp/import", "org-c",
			`{"Event":{"uuid":"7d1f2c3b-1234-4a5b-8c9d-0e1f2a3b4c5d","info":"tour","Tag":[{"name":"tlp:amber"}],"Attribute":[`+
				`{"uuid":"7d1f2c3b-0001-4a5b-8c9d-0e1f2a3b4c5d","type":"ip-dst","value":"203.0.113.77","to_ids":true},`+
				`{"uuid":"7d1f2c3b-0002-4a5b-8c9d-0e1f2a3b4c5d","type":"text","value":"seen in a phishing run","to_ids":false}]}}`, &fromMISP, 200)
		if a := fromMISP.Totals.Attributes; fromMISP.Totals.Created != 1 || a.Created != 1 || a.Context != 1 {
			tr.t.Fatalf("org-c's MISP import: %+v", fromMISP)
		}
		tr.step("GET", "/api/v1/reports/{id}/misp", "/api/v1/reports/7d1f2c3b-1234-4a5b-8c9d-0e1f2a3b4c5d/misp", "org-c", nil, nil, 200)
		tr.step("GET", "/api/v1/misp/event", "/api/v1/misp/event?limit=5", "org-b", nil, nil, 200)

		// evidence
		tr.step("GET", "/api/v1/evidence/checkpoint", "/api/v1/evidence/checkpoint", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/evidence/key", "/api/v1/evidence/key", "", nil, nil, 200)
		tr.step("GET", "/api/v1/evidence/entries", "/api/v1/evidence/entries?from=0&to=1000", "hub-op", nil, nil, 200)
		tr.step("GET", "/api/v1/evidence/proof/inclusion", "/api/v1/evidence/proof/inclusion?index=0", "hub-op", nil, nil, 200)
		tr.step("GET", "/api/v1/evidence/bundle", "/api/v1/evidence/bundle?record="+ids[0], "org-a", nil, nil, 200)
		tr.step("GET", "/api/v1/evidence/bundle", "/api/v1/evidence/bundle?record="+ids[0], "org-b", nil, nil, 403) // reads it, does not own it
		tr.step("GET", "/api/v1/evidence/proof/consistency", "/api/v1/evidence/proof/consistency?old=1", "org-b", nil, nil, 200)
		tr.step("GET", "/api/v1/records/{id}", "/api/v1/records/"+ids[1], "org-c", nil, nil, 200) // granted, a disclosure after the checkpoint

		for _, r := range server.Routes() {
			if !tr.visited[r] && !strings.HasPrefix(r, "POST /api/v1/witness/") && r != "GET /api/v1/witness/key" {
				t.Errorf("the tour does not visit %s", r)
			}
		}

		n := f.hub.Evidence().Notary()
		rep2, err := evidence.Verify(ctx, st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
		if err != nil {
			t.Fatal(err)
		}
		if !rep2.OK() || len(rep2.Unchecked) > 0 {
			t.Fatalf("after an ordinary tour: problems %v, unchecked %v", rep2.Problems, rep2.Unchecked)
		}
		for _, id := range ids {
			b, err := f.hub.Evidence().Export(ctx, id)
			if err != nil {
				t.Fatalf("export %s: %v", id, err)
			}
			data, _ := json.Marshal(b)
			c, err := evidence.CheckBundle(data, n.VerifierKey())
			if err != nil {
				t.Fatalf("bundle of %s does not check: %v", id, err)
			}
			var out bytes.Buffer
			c.Print(&out)
			if !strings.Contains(out.String(), "= bundled record") {
				t.Errorf("custody of %s:\n%s", id, out.String())
			}
		}
	})
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFailClosedOverHTTP: when the running hub finds its log rolled back
// under it, every write and every read that would log a disclosure answers
// 503 evidence_inconsistent, /healthz says why, reads that disclose nothing
// still work, and the log names the fault at ERROR once.
func TestFailClosedOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var logs lockedBuffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		ev := evidence.New(st, evidencetest.Notary(t), evidence.Config{Anchor: evidence.NewAnchor(filepath.Join(t.TempDir(), "checkpoints")), Logger: logger})
		t.Cleanup(ev.Close)
		f := newFixtureLog(t, st, ev)
		ids := create(t, f, "org-a", `{"value":"evil.example.com","tlp":"amber","audience":{"orgs":["org-b"]}},{"value":"own.example.com","tlp":"amber"}`)
		if status, _ := f.do("GET", "/api/v1/evidence/checkpoint", "org-a", nil, nil); status != 200 {
			t.Fatal("no checkpoint")
		}
		if status, _ := f.do("GET", "/api/v1/records/"+ids[0], "org-b", nil, nil); status != 200 {
			t.Fatal("no disclosure")
		}
		// Someone with database access drops the newest leaves and lowers the size.
		size, _ := st.EvidenceSize(context.Background())
		exec(t, st, fmt.Sprintf("DELETE FROM evidence_leaves WHERE seq >= %d", size-1))
		exec(t, st, fmt.Sprintf("UPDATE evidence_head SET size = %d", size-1))

		status, b := f.do("GET", "/api/v1/evidence/checkpoint", "org-a", nil, nil) // the self-check finds it
		if status != 503 || errCode(b) != "evidence_inconsistent" || !strings.Contains(errMessage(b), fmt.Sprintf("holds %d entries, but this hub saw it hold %d", size-1, size)) {
			t.Fatalf("checkpoint on a rolled-back log: %d %v", status, b)
		}
		for _, r := range []struct{ method, path, org, body string }{
			{"POST", "/api/v1/records", "org-a", `{"records":[{"value":"new.example.com","tlp":"green"}]}`},
			{"PATCH", "/api/v1/records/" + ids[0], "org-a", `{"confidence":10}`},
			{"GET", "/api/v1/records/" + ids[0], "org-b", ""},
			{"GET", "/api/v1/records", "org-b", ""},
			{"POST", "/api/v1/groups", "org-a", `{"name":"Late"}`},
			{"POST", "/api/v1/tokens", "org-a", `{"role":"reader"}`},
			{"GET", "/api/v1/evidence/checkpoint", "org-a", ""},
		} {
			var body any
			if r.body != "" {
				body = r.body
			}
			status, b := f.do(r.method, r.path, r.org, body, nil)
			if status != 503 || errCode(b) != "evidence_inconsistent" {
				t.Errorf("%s %s as %s on a halted log: %d %v", r.method, r.path, r.org, status, b)
			}
		}
		if status, _ := f.do("GET", "/api/v1/records/"+ids[1], "org-a", nil, nil); status != 200 {
			t.Errorf("reading one's own record (no disclosure) on a halted log: %d", status)
		}
		resp, err := http.Get(f.srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || !bytes.Contains(raw, []byte("evidence_inconsistent")) || !bytes.Contains(raw, []byte("leaves were removed")) {
			t.Errorf("/healthz on a halted log: %d %s", resp.StatusCode, raw)
		}
		if n := strings.Count(logs.String(), "level=ERROR msg=\"evidence log is inconsistent"); n != 1 {
			t.Errorf("the fault was logged at ERROR %d times, want once:\n%s", n, logs.String())
		}
	})
}

func exec(t *testing.T, st *store.Store, q string) {
	t.Helper()
	if _, err := st.DB().Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestWitnessCosigns: a second hub witnesses the first over HTTP. It
// co-signs checkpoints consistent with the last it saw, keeps its state
// under its own evidence log, answers the protocol's errors, and refuses a
// forked log signed with the same key (an attacker holding every secret of
// the first hub).
func TestWitnessCosigns(t *testing.T) {
	ctx := context.Background()
	// The witnessed hub.
	logDir := t.TempDir()
	st := storetest.SQLite(t)
	ev := evidence.New(st, evidencetest.Notary(t), evidence.Config{Anchor: evidence.NewAnchor(filepath.Join(logDir, "checkpoints"))})
	t.Cleanup(ev.Close)
	f := newFixtureLog(t, st, ev)
	// The witness: another hub configured with the first one's key.
	wst := storetest.SQLite(t)
	wev := evidencetest.Log(t, wst)
	wskey, wvkey, err := evidence.GenerateWitnessKey("witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	witness, err := evidence.NewWitness(wev, wskey, []string{ev.Notary().VerifierKey()})
	if err != nil {
		t.Fatal(err)
	}
	wsrv := httptest.NewServer(server.New(server.Config{Hub: newHub(t, wst, wev), Witness: witness, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	t.Cleanup(wsrv.Close)
	wv, err := evidence.NewWitnessVerifier(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	client := &evidence.WitnessClient{URL: wsrv.URL + "/api/v1/witness", Verifier: wv}

	create(t, f, "org-a", `{"value":"one.example.com","tlp":"green"}`)
	first, err := ev.Witness(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first, "— witness.test/w1 ") || !strings.Contains(first, "— fusion.test/hub ") {
		t.Fatalf("co-signed checkpoint:\n%s", first)
	}
	create(t, f, "org-a", `{"value":"two.example.com","tlp":"green"}`)
	// A new client knows nothing of the witness's state: it learns it (409) and proves consistency.
	second, err := ev.Witness(ctx, &evidence.WitnessClient{URL: client.URL, Verifier: wv})
	if err != nil {
		t.Fatal(err)
	}
	cps, _, err := ev.Anchor().Read(ev.Notary().Verifier())
	if err != nil || len(cps) != 4 || cps[3].Note != second {
		t.Fatalf("the checkpoint file after two co-signings: %d entries, %v", len(cps), err)
	}
	// The witness logged both co-signings in its own log, and its state verifies.
	rep, err := evidence.Verify(ctx, wst, evidence.VerifyOptions{Verifier: wev.Notary().Verifier(), MACKey: wev.Notary().MACKey()})
	if err != nil || !rep.OK() {
		t.Fatalf("the witness's own log: %v %+v", err, rep)
	}
	exec(t, wst, "UPDATE witness_logs SET size = size + 5")
	if rep, _ := evidence.Verify(ctx, wst, evidence.VerifyOptions{Verifier: wev.Notary().Verifier(), MACKey: wev.Notary().MACKey()}); rep.OK() ||
		!strings.Contains(strings.Join(rep.Problems, "\n"), "witness-log fusion.test/hub was changed outside fusion") {
		t.Errorf("an edit of the witness's state: %+v", rep)
	}
	exec(t, wst, "UPDATE witness_logs SET size = size - 5")

	// Protocol answers.
	post := func(body string) (int, string) {
		resp, err := http.Post(client.URL+"/add-checkpoint", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	signedText := second[:strings.Index(second, "— witness.test/w1")]
	if status, body := post("old 0\n\n" + signedText); status != 409 || strings.TrimSpace(body) == "0" {
		t.Errorf("stale old size: %d %q", status, body)
	}
	if status, _ := post("bogus\n\n" + signedText); status != 400 {
		t.Errorf("malformed request: %d", status)
	}
	if status, _ := post("old 0\n\nstranger.test/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— stranger.test/log AAAA\n"); status != 404 {
		t.Errorf("unknown log: %d", status)
	}
	forged := strings.Replace(signedText, "\n\n— fusion.test/hub ", "\n\n— fusion.test/hub A", 1)
	if status, _ := post(fmt.Sprintf("old %d\n\n%s", cps[3].Size, forged)); status != 403 {
		t.Errorf("forged signature: %d", status)
	}

	// A fork: another log under the same key, grown past the witnessed size.
	fst := storetest.SQLite(t)
	fev := evidence.New(fst, ev.Notary(), evidence.Config{})
	t.Cleanup(fev.Close)
	ff := newFixtureLog(t, fst, fev)
	for i := 0; ; i++ {
		create(t, ff, "org-a", fmt.Sprintf(`{"value":"fork-%d.example.com","tlp":"green"}`, i))
		if n, _ := fst.EvidenceSize(ctx); n > cps[3].Size+2 {
			break
		}
	}
	if _, err := fev.Witness(ctx, &evidence.WitnessClient{URL: client.URL, Verifier: wv}); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("the witness co-signed a fork: %v", err)
	}
}
