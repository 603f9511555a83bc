package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fusion/internal/cli"
	"fusion/internal/hub"
	"fusion/internal/match"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/zeek"
)

// enableMatching indexes the fixture's records and keeps the index current
// by polling, as fusion serve does.
func enableMatching(t *testing.T, f *fixture, limits hub.Limits) *match.Feed {
	ix := match.New(16)
	feed := f.hub.NewFeed(ix, nil)
	if _, err := feed.Load(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.hub.EnableMatching(ix, bytes.Repeat([]byte{5}, 32), limits); err != nil {
		t.Fatal(err)
	}
	return feed
}

func create(t *testing.T, f *fixture, org, body string) []string {
	var ans struct{ Results []struct{ ID string } }
	if status, b := f.do("POST", "/api/v1/records", org, `{"records":[`+body+`]}`, &ans); status != 200 {
		t.Fatalf("create: %d %v", status, b)
	}
	var ids []string
	for _, r := range ans.Results {
		if r.ID == "" {
			t.Fatalf("a record was refused: %s", body)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func TestHitNoHitAndAccessRequest(t *testing.T) {
	f := newFixture(t)
	ids := create(t, f, "org-a", `{"value":"c2.example.com","tlp":"red","audience":{"orgs":["org-b"]},"discoverable":true,"labels":["botnet-c2"]}`)
	feed := enableMatching(t, f, hub.DefaultLimits)
	_ = feed

	var ans struct{ Results []hitResult }
	if status, b := f.do("POST", "/api/v1/hits", "org-c", `{"values":["c2[.]example[.]com","clean.example.org","not a value"]}`, &ans); status != 200 {
		t.Fatalf("hits: %d %v", status, b)
	}
	r := ans.Results
	if len(r[0].Records) != 0 || len(r[0].Hits) != 1 || r[0].Hits[0].Owner != "org-a" || r[0].Canonical != "c2.example.com" {
		t.Fatalf("discoverable red record: %+v", r[0])
	}
	if len(r[1].Hits)+len(r[1].Records) != 0 || r[2].Error == nil || r[2].Error.Code != "invalid_value" {
		t.Errorf("other values: %+v %+v", r[1], r[2])
	}
	if strings.Contains(r[0].Hits[0].Ref, ids[0]) {
		t.Fatal("the reference names the record")
	}
	var asB struct{ Results []hitResult }
	f.do("POST", "/api/v1/hits", "org-b", `{"values":["c2.example.com"]}`, &asB)
	if len(asB.Results[0].Records) != 1 || asB.Results[0].Records[0].ID != ids[0] || asB.Results[0].Records[0].Rule != match.RuleExact || r[0].Hits[0].Rule != match.RuleExact {
		t.Errorf("the audience sees the record itself: %+v", asB.Results[0])
	}

	// org-c asks for access; it cannot see the record until org-a approves.
	var req hub.AccessView
	if status, b := f.do("POST", "/api/v1/access-requests", "org-c", map[string]string{"ref": r[0].Hits[0].Ref, "purpose": "botnet takedown"}, &req); status != 201 {
		t.Fatalf("access request: %d %v", status, b)
	}
	if req.Record != "" || req.Status != "pending" || req.Owner != "org-a" {
		t.Errorf("requester's view before approval: %+v", req)
	}
	if status, _ := f.do("GET", "/api/v1/records/"+ids[0], "org-c", nil, nil); status != 404 {
		t.Fatal("the requester sees the record before approval")
	}
	// One pending request per requester and record.
	if status, b := f.do("POST", "/api/v1/access-requests", "org-c", map[string]string{"ref": r[0].Hits[0].Ref, "purpose": "again"}, nil); status != 409 || !strings.Contains(errMessage(b), req.ID) {
		t.Errorf("a second pending request for the same record: %d %v", status, b)
	}
	var list struct {
		AccessRequests []hub.AccessView `json:"access_requests"`
	}
	f.do("GET", "/api/v1/access-requests?as=owner", "org-a", nil, &list)
	if len(list.AccessRequests) != 1 || list.AccessRequests[0].Record != ids[0] || list.AccessRequests[0].Purpose != "botnet takedown" {
		t.Fatalf("owner's list: %+v", list)
	}
	// A decision's reason is optional: an empty body is a decision without one.
	if status, _ := f.do("POST", "/api/v1/access-requests/"+req.ID+"/approve", "org-c", nil, nil); status != 404 {
		t.Errorf("the requester approving its own request with no body: %d, want 404", status)
	}
	var decided hub.AccessView
	if status, b := f.do("POST", "/api/v1/access-requests/"+req.ID+"/approve", "org-a", `{"reason":"agreed for the takedown"}`, &decided); status != 200 {
		t.Fatalf("approve: %d %v", status, b)
	}
	if status, _ := f.do("POST", "/api/v1/access-requests/"+req.ID+"/deny", "org-a", `{}`, nil); status != 409 {
		t.Error("a decided request was decided again")
	}
	f.do("GET", "/api/v1/access-requests?as=requester", "org-c", nil, &list)
	if len(list.AccessRequests) != 1 || list.AccessRequests[0].Status != "approved" || list.AccessRequests[0].Record != ids[0] {
		t.Errorf("requester told the outcome: %+v", list)
	}
	if status, _ := f.do("GET", "/api/v1/records/"+ids[0], "org-c", nil, nil); status != 200 {
		t.Error("the requester cannot read the record after approval")
	}
	if status, b := f.do("POST", "/api/v1/access-requests", "org-c", map[string]string{"ref": r[0].Hits[0].Ref, "purpose": "once more"}, nil); status != 409 || !strings.Contains(errMessage(b), "already sees this record") {
		t.Errorf("a request for a record the requester already sees: %d %v", status, b)
	}
	// Its evidence shows the request to the owner, never the record id to the requester.
	var ents entriesAnswer
	f.do("GET", "/api/v1/evidence/entries?from=0&to=1000", "org-c", nil, &ents)
	for _, e := range ents.Entries {
		if (e.Leaf.Action == "hit" || e.Leaf.Action == "access.request") && strings.Contains(e.Data, ids[0]) {
			t.Errorf("the asker sees an entry naming the record: %s", e.Data)
		}
	}
}

// TestHitsURLOnDomainOverHTTP: a domain finds the URL records on it, each
// flagged with its rule in the answer's JSON.
func TestHitsURLOnDomainOverHTTP(t *testing.T) {
	f := newFixture(t)
	ids := create(t, f, "org-a", `{"value":"hxxps://login-bank-a[.]example[.]com/kit/","tlp":"amber","audience":{"orgs":["org-b"]},"discoverable":true}`)
	enableMatching(t, f, hub.DefaultLimits)
	var asB, asC struct {
		Results []struct {
			Records []struct{ ID, Value, Rule string }
			Hits    []struct{ Owner, Rule string }
		}
	}
	body := `{"values":["login-bank-a.example.com","example.com","http://login-bank-a.example.com/kit/"]}`
	if status, b := f.do("POST", "/api/v1/hits", "org-b", body, &asB); status != 200 {
		t.Fatalf("hits: %d %v", status, b)
	}
	f.do("POST", "/api/v1/hits", "org-c", body, &asC)
	for i, want := range []string{"url-on-domain", "url-on-domain", "url"} {
		if r := asB.Results[i].Records; len(r) != 1 || r[0].ID != ids[0] || r[0].Value != "https://login-bank-a.example.com/kit/" || r[0].Rule != want {
			t.Errorf("org-b, value %d: %+v, want the record by rule %s", i, asB.Results[i], want)
		}
		if r := asC.Results[i]; len(r.Records) != 0 || len(r.Hits) != 1 || r.Hits[0].Owner != "org-a" || r.Hits[0].Rule != want {
			t.Errorf("org-c, value %d: %+v, want a hit by rule %s", i, r, want)
		}
	}
}

// TestHitAnswerDoesNotDependOnHiddenRecords: the answer about a value is the
// same bytes whether or not a record the caller may not know of matches it.
func TestHitAnswerDoesNotDependOnHiddenRecords(t *testing.T) {
	answer := func(withHidden bool) string {
		f := newFixture(t)
		if withHidden {
			create(t, f, "org-a", `{"value":"secret.example.com","tlp":"red","audience":{"orgs":["org-b"]},"discoverable":false}`)
		}
		enableMatching(t, f, hub.DefaultLimits)
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/hits", strings.NewReader(`{"values":["secret.example.com"]}`))
		req.Header.Set("Authorization", "Bearer "+f.tokens["org-c"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.Status + " " + b.String()
	}
	if with, without := answer(true), answer(false); with != without {
		t.Errorf("answers differ:\n%s\n%s", with, without)
	}
}

func TestHitsRateLimited(t *testing.T) {
	f := newFixture(t)
	enableMatching(t, f, hub.Limits{HitRequests: 2, HitValues: 1000, Lookups: 1000})
	for i, want := range []int{200, 200, 429} {
		if status, b := f.do("POST", "/api/v1/hits", "org-c", `{"values":["a.example.com"]}`, nil); status != want {
			t.Errorf("request %d: %d %v", i, status, b)
		}
	}
}

func TestEventsBecomeSightingsAndFeedback(t *testing.T) {
	f := newFixture(t)
	ids := create(t, f, "org-a", `{"value":"203.0.113.50","tlp":"green","labels":["botnet-c2"]},{"value":"203.0.113.51","tlp":"amber","audience":{"orgs":["org-c"]}}`)
	enableMatching(t, f, hub.DefaultLimits)
	secret, _, _ := f.hub.OperatorIssueToken(context.Background(), "org-b", "sensor", "zeek")
	f.tokens["sensor-b"] = secret

	// A Zeek conn.log as Zeek writes it: three connections to the green
	// record within one hour, one to the amber record org-b may not see.
	var log bytes.Buffer
	w := zeek.NewWriter(&log, zeek.ConnLog, zeek.TSV, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	for i, dst := range []string{"203.0.113.50", "203.0.113.50", "203.0.113.51", "203.0.113.50"} {
		c := zeek.Conn{TS: time.Date(2026, 11, 2, 10, i, 0, 0, time.UTC), UID: "C" + strings.Repeat(string(rune('a'+i)), 17), OrigH: netip.MustParseAddr("10.0.0.5"), OrigP: 50000, RespH: netip.MustParseAddr(dst), RespP: 443, Proto: "tcp", Duration: zeek.Unset, OrigBytes: zeek.Unset, RespBytes: zeek.Unset, MissedBytes: zeek.Unset, OrigPkts: zeek.Unset, OrigIPBytes: zeek.Unset, RespPkts: zeek.Unset, RespIPBytes: zeek.Unset}
		if err := w.WriteConn(&c); err != nil {
			t.Fatal(err)
		}
	}
	w.Close(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC))
	var res hub.SightingResult
	if status, b := f.do("POST", "/api/v1/events", "sensor-b", log.Bytes(), &res); status != 200 {
		t.Fatalf("events: %d %v", status, b)
	}
	if res.Events != 4 || res.Matches != 3 || len(res.Records) != 1 || res.Records[0].Record != ids[0] || res.Records[0].Count != 3 {
		t.Fatalf("sightings: %+v", res)
	}
	reader, _, _ := f.hub.OperatorIssueToken(context.Background(), "org-b", "reader", "")
	f.tokens["reader-b"] = reader
	if status, _ := f.do("POST", "/api/v1/events", "reader-b", log.Bytes(), nil); status != 403 {
		t.Error("a reader token submitted events")
	}

	// Feedback, and org-b's choice to stay anonymous.
	if status, b := f.do("POST", "/api/v1/records/"+ids[0]+"/feedback", "org-c", `{"outcome":"blocked","note":"on all border routers"}`, nil); status != 201 {
		t.Fatalf("feedback: %d %v", status, b)
	}
	if status, _ := f.do("POST", "/api/v1/records/"+ids[0]+"/feedback", "org-c", `{"outcome":"arrested"}`, nil); status != 400 {
		t.Error("an unknown outcome was accepted")
	}
	if status, _ := f.do("POST", "/api/v1/records/"+ids[1]+"/feedback", "org-b", `{"outcome":"seen"}`, nil); status != 404 {
		t.Error("feedback on a record the caller cannot see")
	}
	f.do("POST", "/api/v1/records/"+ids[0]+"/feedback", "org-b", `{"outcome":"takedown","note":"hoster informed by Bank B"}`, nil)
	if status, b := f.do("PATCH", "/api/v1/orgs/org-b", "org-b", `{"anonymous_feedback":true}`, nil); status != 200 {
		t.Fatalf("anonymity: %d %v", status, b)
	}
	var sum hub.FeedbackSummary
	f.do("GET", "/api/v1/feedback", "org-a", nil, &sum)
	if sum.Totals["seen"] != 3 || sum.Totals["blocked"] != 1 || sum.Totals["takedown"] != 1 {
		t.Fatalf("totals %v", sum.Totals)
	}
	raw, _ := json.Marshal(sum)
	if strings.Contains(string(raw), `"org":"org-b"`) || strings.Contains(string(raw), "Bank B") {
		t.Errorf("the anonymous observer is named: %s", raw)
	}
	if !strings.Contains(string(raw), `"org":"org-c"`) || !strings.Contains(string(raw), "border routers") || !strings.Contains(string(raw), `"sector":"police"`) {
		t.Errorf("summary: %s", raw)
	}
	var other hub.FeedbackSummary
	f.do("GET", "/api/v1/feedback", "org-c", nil, &other)
	if len(other.Records) != 0 {
		t.Error("an organization sees feedback on records it did not originate")
	}
}

// TestEventsCountOnce: an event sent again (the same conn.log posted
// twice, the same connection's http line, the same JSON line) adds no
// sighting; new events still do.
func TestEventsCountOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixtureOn(t, st)
		ids := create(t, f, "org-a", `{"value":"203.0.113.60","tlp":"green"},{"value":"c2.example.net","tlp":"green"}`)
		enableMatching(t, f, hub.DefaultLimits)
		day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		connLog := func(uids ...string) []byte {
			var log bytes.Buffer
			w := zeek.NewWriter(&log, zeek.ConnLog, zeek.TSV, day)
			for i, uid := range uids {
				c := zeek.Conn{TS: day.Add(time.Duration(10*60+i) * time.Minute), UID: uid, OrigH: netip.MustParseAddr("10.0.0.5"), OrigP: 50000, RespH: netip.MustParseAddr("203.0.113.60"), RespP: 80, Proto: "tcp", Duration: zeek.Unset, OrigBytes: zeek.Unset, RespBytes: zeek.Unset, MissedBytes: zeek.Unset, OrigPkts: zeek.Unset, OrigIPBytes: zeek.Unset, RespPkts: zeek.Unset, RespIPBytes: zeek.Unset}
				if err := w.WriteConn(&c); err != nil {
					t.Fatal(err)
				}
			}
			w.Close(day.Add(24 * time.Hour))
			return log.Bytes()
		}
		post := func(body []byte) hub.SightingResult {
			t.Helper()
			var res hub.SightingResult
			if status, b := f.do("POST", "/api/v1/events", "org-b", body, &res); status != 200 {
				t.Fatalf("events: %d %v", status, b)
			}
			return res
		}
		seen := func() int {
			t.Helper()
			var sum hub.FeedbackSummary
			f.do("GET", "/api/v1/feedback", "org-a", nil, &sum)
			return sum.Totals["seen"]
		}
		size := func() int64 {
			n, err := f.hub.Evidence().Size(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		log := connLog("CAAAAAAAAAAAAAAAAA", "CBBBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCCCC")
		if res := post(log); res.Matches != 3 || res.AlreadyCounted != 0 {
			t.Fatalf("first post: %+v", res)
		}
		logged := size()
		if res := post(log); res.Matches != 0 || res.AlreadyCounted != 3 || len(res.Records) != 0 {
			t.Errorf("the same conn.log again: %+v", res)
		}
		if n := seen(); n != 3 {
			t.Errorf("seen %d after posting the same conn.log twice, want 3", n)
		}
		if size() != logged {
			t.Error("a repeated log changed the evidence log")
		}
		// One new connection among old ones counts once.
		if res := post(connLog("CAAAAAAAAAAAAAAAAA", "CDDDDDDDDDDDDDDDDD")); res.Matches != 1 || res.AlreadyCounted != 1 {
			t.Errorf("one new connection: %+v", res)
		}
		// The http line of a counted connection is the same event; a
		// line without a uid is named by its text.
		http := "{\"ts\":1793613600.0,\"uid\":\"CAAAAAAAAAAAAAAAAA\",\"id.orig_h\":\"10.0.0.5\",\"id.resp_h\":\"203.0.113.60\",\"id.resp_p\":80,\"host\":\"c2.example.net\",\"uri\":\"/\"}\n"
		if res := post([]byte(http)); res.Matches != 1 || res.AlreadyCounted != 1 || len(res.Records) != 1 || res.Records[0].Record != ids[1] {
			t.Errorf("http line of a counted connection: %+v", res)
		}
		plain := "{\"time\":\"2026-11-02T12:00:00Z\",\"value\":\"c2.example.net\"}\n"
		if res := post([]byte(plain + plain)); res.Matches != 1 || res.AlreadyCounted != 0 {
			t.Errorf("one JSON line twice in a batch: %+v", res)
		}
		if res := post([]byte(plain)); res.Matches != 0 || res.AlreadyCounted != 1 {
			t.Errorf("the JSON line again: %+v", res)
		}
		if n := seen(); n != 6 {
			t.Errorf("seen %d, want 6", n)
		}
		// Another organization's sensor seeing the same events is its own
		// sighting.
		var res hub.SightingResult
		f.do("POST", "/api/v1/events", "org-c", log, &res)
		if res.Matches != 3 {
			t.Errorf("org-c's sensor: %+v", res)
		}
	})
}

func TestExportIsFiltered(t *testing.T) {
	f := newFixture(t)
	create(t, f, "org-a", `{"value":"pub.example.com","tlp":"green"},{"value":"priv.example.com","tlp":"red","audience":{"orgs":["org-b"]}},{"value":"+12025550142","tlp":"green","personal":true}`)
	body := get(t, f, "/api/v1/records/export", "org-c")
	if !strings.Contains(body, "pub.example.com") || strings.Contains(body, "priv.example.com") || strings.Contains(body, "2025550142") || strings.Count(body, "\n") != 1 {
		t.Errorf("export for org-c:\n%s", body)
	}
}

// TestMatchCommandAgainstHub runs `fusion match --server` against the
// API: the log is matched only against what the token's organization may
// see in full.
func TestMatchCommandAgainstHub(t *testing.T) {
	f := newFixture(t)
	create(t, f, "org-a", `{"value":"192.0.2.7","tlp":"green","labels":["botnet-c2"]},`+
		`{"value":"192.0.2.8","tlp":"red","audience":{"orgs":["org-b"]}},`+
		`{"value":"192.0.2.9","tlp":"amber","audience":{"orgs":["org-b"]},"discoverable":true}`)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "conn.json")
	var lines strings.Builder
	for _, ip := range []string{"192.0.2.7", "192.0.2.8", "192.0.2.9", "192.0.2.10"} {
		fmt.Fprintf(&lines, `{"ts":1714557600.0,"uid":"C%s","id.orig_h":"10.0.0.1","id.resp_h":%q,"conn_state":"SF"}`+"\n", strings.ReplaceAll(ip, ".", ""), ip)
	}
	if err := os.WriteFile(logFile, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(org string) string {
		var out, errOut bytes.Buffer
		env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		if code := cli.Main([]string{"match", "--in", logFile, "--server", f.srv.URL, "--token", f.tokens[org]}, env); code != 0 {
			t.Fatalf("match as %s: exit %d: %s", org, code, errOut.String())
		}
		return out.String()
	}
	if got := run("org-c"); !strings.Contains(got, `"entity":"192.0.2.7"`) || strings.Contains(got, "192.0.2.8") || strings.Contains(got, "192.0.2.9") {
		t.Errorf("org-c matched:\n%s", got)
	}
	if got := run("org-b"); strings.Count(got, "\n") != 3 || strings.Contains(got, "192.0.2.10") {
		t.Errorf("org-b matched:\n%s", got)
	}

	var out, errOut bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := cli.Main([]string{"match", "--in", logFile, "--server", f.srv.URL, "--token", "fsn_wrong"}, env); code != 1 || !strings.Contains(errOut.String(), "401") {
		t.Errorf("a bad token: exit %d, %s", code, errOut.String())
	}
}

// TestEventsSayTheirRules: a sensor's http.log line (no scheme) matches an
// https URL record and the domain record of its host; the answer says by
// which rules.
func TestEventsSayTheirRules(t *testing.T) {
	f := newFixture(t)
	ids := create(t, f, "org-a", `{"value":"https://login-bank-a.example.com/kit/","tlp":"green"},{"value":"example.com","subdomains":true,"tlp":"green"}`)
	enableMatching(t, f, hub.DefaultLimits)
	secret, _, _ := f.hub.OperatorIssueToken(context.Background(), "org-b", "sensor", "zeek")
	f.tokens["sensor-b"] = secret
	log := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\n" +
		"1764500000.0\tC1\t10.0.0.5\t50000\t192.0.2.9\t80\tGET\tlogin-bank-a.example.com\t/kit/\n"
	var res hub.SightingResult
	if status, b := f.do("POST", "/api/v1/events", "sensor-b", []byte(log), &res); status != 200 {
		t.Fatalf("events: %d %v", status, b)
	}
	got := map[string]string{}
	for _, r := range res.Records {
		got[r.Record] = fmt.Sprint(r.Rules)
	}
	// The URL by its target; the domain by the host field (a subdomain)
	// and by the URL's host (also under it).
	if want := map[string]string{ids[0]: "[url]", ids[1]: "[subdomain]"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rules %v, want %v (%+v)", got, want, res)
	}
}
