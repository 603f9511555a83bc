package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

func TestBadInputGetsDocumented4xx(t *testing.T) {
	f := newFixture(t)
	huge := `{"records":[{"value":"a.example.com","tlp":"green","description":"` + strings.Repeat("x", 33<<20) + `"}]}`
	var many strings.Builder
	many.WriteString(`{"records":[`)
	for i := range 10001 {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`{}`)
	}
	many.WriteString(`]}`)
	tests := []struct {
		name, method, path, org string
		body                    any
		status                  int
		code, mention           string
	}{
		{"no token", "GET", "/api/v1/records", "", nil, 401, "unauthorized", "no token"},
		{"malformed JSON", "POST", "/api/v1/records", "org-a", `{"records":[{"value":`, 400, "invalid_json", "unexpected end"},
		{"not JSON", "POST", "/api/v1/records", "org-a", `hello`, 400, "invalid_json", "invalid JSON"},
		{"empty body", "POST", "/api/v1/records", "org-a", ``, 400, "invalid_json", "empty"},
		{"trailing data", "POST", "/api/v1/records", "org-a", `{"records":[]} {}`, 400, "invalid_json", "after"},
		{"records missing", "POST", "/api/v1/records", "org-a", `{}`, 400, "invalid_field", "records"},
		{"records wrong type", "POST", "/api/v1/records", "org-a", `{"records":{}}`, 400, "invalid_field", "records"},
		{"unknown top-level field", "POST", "/api/v1/records", "org-a", `{"records":[],"recrods":[]}`, 400, "unknown_field", `"recrods"`},
		{"oversized body", "POST", "/api/v1/records", "org-a", huge, 413, "body_too_large", "larger than"},
		{"too many records", "POST", "/api/v1/records", "org-a", many.String(), 413, "batch_too_large", "10000"},
		{"unknown field in patch", "PATCH", "/api/v1/records/x", "org-a", `{"colour":"red"}`, 400, "unknown_field", `"colour"`},
		{"value in patch", "PATCH", "/api/v1/records/x", "org-a", `{"value":"b.example.com"}`, 400, "invalid_field", "cannot change"},
		{"unknown query parameter", "GET", "/api/v1/records?lable=phishing", "org-a", nil, 400, "unknown_field", `"lable"`},
		{"bad label filter", "GET", "/api/v1/records?label=evil", "org-a", nil, 400, "invalid_field", `"evil"`},
		{"bad value search", "GET", "/api/v1/records?value=999.1.1.1&type=ipv4", "org-a", nil, 400, "invalid_value", "999.1.1.1"},
		{"bad limit", "GET", "/api/v1/records?limit=5000", "org-a", nil, 400, "invalid_field", "limit"},
		{"bad cursor", "GET", "/api/v1/records?cursor=zzz", "org-a", nil, 400, "invalid_field", "cursor"},
		{"bad since", "GET", "/api/v1/records?since=yesterday", "org-a", nil, 400, "invalid_field", "since"},
		{"search without words", "GET", "/api/v1/records?q=---", "org-a", nil, 400, "invalid_field", `q: "---": has no words to search for`},
		{"TLP as a tag filter", "GET", "/api/v1/reports?tag=tlp:red", "org-a", nil, 400, "invalid_field", `tag: "tlp:red": not a tag: TLP is the record's tlp field`},
		{"TLP as a tag", "POST", "/api/v1/reports", "org-a", `{"title":"t","tlp":"green","tags":["TLP:AMBER"]}`, 400, "invalid_field", `tags: "TLP:AMBER": not a tag`},
		{"unknown record", "GET", "/api/v1/records/nope", "org-a", nil, 404, "not_found", "nope"},
		{"unknown route", "GET", "/api/v1/nothing", "org-a", nil, 404, "not_found", "/api/v1/nothing"},
		{"wrong method", "PUT", "/api/v1/records", "org-a", `{}`, 405, "method_not_allowed", "PUT"},
		{"report without title", "POST", "/api/v1/reports", "org-a", `{"tlp":"green"}`, 400, "invalid_field", "title"},
		{"report with foreign record", "POST", "/api/v1/reports", "org-a", `{"title":"t","tlp":"green","records":["nope"]}`, 400, "invalid_field", "nope"},
		{"bad role", "POST", "/api/v1/tokens", "org-a", `{"role":"god"}`, 400, "invalid_field", `"god"`},
		{"group of others", "GET", "/api/v1/groups/grp-ab", "org-c", nil, 404, "not_found", "grp-ab"},
		{"group id chosen by a member", "POST", "/api/v1/groups", "org-a", `{"id":"grp-ab","name":"x"}`, 400, "invalid_field", "chosen by the hub"},
		{"group without name", "POST", "/api/v1/groups", "org-a", `{"name":""}`, 400, "invalid_field", "name"},
		{"wrong type in field", "POST", "/api/v1/reports", "org-a", `{"title":"t","tlp":"green","labels":"phishing"}`, 400, "invalid_field", "labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(tt.method, tt.path, tt.org, tt.body, nil)
			if status != tt.status || errCode(body) != tt.code {
				t.Fatalf("got %d %q (%s), want %d %q", status, errCode(body), errMessage(body), tt.status, tt.code)
			}
			if !strings.Contains(errMessage(body), tt.mention) {
				t.Errorf("message %q does not mention %q", errMessage(body), tt.mention)
			}
		})
	}
}

func TestBatchAnswersPerItem(t *testing.T) {
	f := newFixture(t)
	var ans struct {
		Results []struct {
			ID    string
			Error *struct{ Code, Message string }
		}
		Created, Failed int
	}
	body := `{"records":[
		{"value":"hxxps://login-alpha[.]example[.]com/kit/","tlp":"green","labels":["phishing"]},
		{"value":"10.0.0.1/8","type":"cidr","tlp":"green"},
		{"value":"a.example.com","tlp":"green","colour":"red"},
		{"value":"b.example.com","tlp":"orange"},
		{"value":"c.example.com","tlp":"amber","audience":{"groups":["no-such-group"]}},
		{"value":"d.example.com","tlp":"green","labels":["evil"]},
		[1,2],
		{"value":"+12025550142","tlp":"amber","audience":{"orgs":["org-b"]},"personal":true}
	]}`
	status, raw := f.do("POST", "/api/v1/records", "org-a", body, &ans)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, raw)
	}
	want := []string{"", "invalid_value", "unknown_field", "invalid_field", "invalid_field", "invalid_field", "invalid_json", ""}
	mention := []string{"", "host bits", `"colour"`, `"orange"`, "no-such-group", `"evil"`, "", ""}
	if len(ans.Results) != len(want) {
		t.Fatalf("got %d results, want %d", len(ans.Results), len(want))
	}
	for i, r := range ans.Results {
		got := ""
		if r.Error != nil {
			got = r.Error.Code
			if !strings.Contains(r.Error.Message, mention[i]) {
				t.Errorf("item %d: message %q does not mention %q", i, r.Error.Message, mention[i])
			}
		} else if r.ID == "" {
			t.Errorf("item %d: neither id nor error", i)
		}
		if got != want[i] {
			t.Errorf("item %d: code %q, want %q", i, got, want[i])
		}
	}
	if ans.Created != 2 || ans.Failed != 6 {
		t.Errorf("created %d failed %d, want 2 and 6", ans.Created, ans.Failed)
	}
	// The good ones were stored; the defanged value is found written differently.
	var list struct{ Records []map[string]any }
	f.do("GET", "/api/v1/records?value=https://LOGIN-ALPHA.example.com:443/kit/", "org-c", nil, &list)
	if len(list.Records) != 1 || list.Records[0]["value"] != "https://login-alpha.example.com/kit/" {
		t.Errorf("value search found %v", list.Records)
	}
}

func TestRevokedTokenIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, tok, err := f.hub.OperatorIssueToken(ctx, "org-c", "reader", "short-lived")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens["short"] = secret
	if status, _ := f.do("GET", "/api/v1/whoami", "short", nil, nil); status != 200 {
		t.Fatalf("fresh token: %d", status)
	}
	if err := f.hub.OperatorRevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	status, body := f.do("GET", "/api/v1/whoami", "short", nil, nil)
	if status != 401 || !strings.Contains(errMessage(body), "revoked") {
		t.Errorf("revoked token: %d %v", status, body)
	}
	f.tokens["bogus"] = "fsn_not-a-token"
	if status, _ := f.do("GET", "/api/v1/whoami", "bogus", nil, nil); status != 401 {
		t.Errorf("unknown token: %d", status)
	}
}

func TestRolesLimitActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, role := range []string{"reader", "sensor", "analyst"} {
		secret, _, err := f.hub.OperatorIssueToken(ctx, "org-a", intel.Role(role), role)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = secret
	}
	rec := `{"records":[{"value":"x.example.com","tlp":"green"}]}`
	tests := []struct {
		role, method, path string
		body               any
		want               int
	}{
		{"reader", "POST", "/api/v1/records", rec, 403},
		{"sensor", "POST", "/api/v1/records", rec, 200},
		{"sensor", "POST", "/api/v1/reports", `{"title":"t","tlp":"green"}`, 403},
		{"analyst", "POST", "/api/v1/tokens", `{"role":"admin"}`, 403},
		{"analyst", "POST", "/api/v1/groups", `{"name":"n"}`, 403},
		{"reader", "GET", "/api/v1/records", nil, 200},
		// A sensor submits what it sees and reads verdicts, never the records.
		{"sensor", "GET", "/api/v1/records", nil, 403},
		{"sensor", "GET", "/api/v1/records/export", nil, 403},
		{"sensor", "POST", "/api/v1/hits", `{"values":["192.0.2.1"]}`, 403},
		{"sensor", "GET", "/api/v1/reports", nil, 403},
		{"sensor", "GET", "/api/v1/feedback", nil, 403},
		{"sensor", "GET", "/api/v1/evidence/entries", nil, 403},
		{"sensor", "GET", "/api/v1/tor/check?ip=192.0.2.1", nil, 200},
		{"sensor", "POST", "/api/v1/events", `{"time":"2026-11-20T10:00:00Z","value":"192.0.2.1"}`, 503}, // allowed; this fixture has no index
		{"reader", "POST", "/api/v1/events", `{"time":"2026-11-20T10:00:00Z","value":"192.0.2.1"}`, 403},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s", tt.role, tt.method, tt.path), func(t *testing.T) {
			if status, body := f.do(tt.method, tt.path, tt.role, tt.body, nil); status != tt.want {
				t.Errorf("got %d (%v), want %d", status, body, tt.want)
			}
		})
	}
}

// TestLookupsAreRateLimited: getting records and searching by value count
// against one per-organization limit, whether the record exists, is hidden
// or is absent — each answered the same way until the limit, then 429.
func TestLookupsAreRateLimited(t *testing.T) {
	f := newFixture(t)
	ids := create(t, f, "org-a", `{"value":"hidden.example.com","tlp":"red"},{"value":"shared.example.com","tlp":"green"}`)
	f.hub.SetLimits(hub.Limits{HitRequests: 60, HitValues: 1000, Lookups: 4})
	for i, r := range []struct {
		path string
		want int
	}{
		{"/api/v1/records/" + ids[1], 200},
		{"/api/v1/records/" + ids[0], 404},                            // hidden from org-c
		{"/api/v1/records/01a22c00-0000-7000-8000-000000000000", 404}, // absent
		{"/api/v1/records?value=hidden.example.com", 200},             // an empty page, as for an absent value
		{"/api/v1/records/" + ids[1], 429},
		{"/api/v1/records?value=shared.example.com", 429},
	} {
		status, body := f.do("GET", r.path, "org-c", nil, nil)
		if status != r.want || (status == 429 && errCode(body) != "rate_limited") {
			t.Errorf("lookup %d %s: %d %v, want %d", i, r.path, status, body, r.want)
		}
	}
	if status, _ := f.do("GET", "/api/v1/records/"+ids[1], "org-a", nil, nil); status != 200 {
		t.Errorf("another organization's limit is its own: %d", status)
	}
}

// TestErrorsNameFieldValueAndReason: a refused record says which field,
// which value and why, in one message, whatever kind of mistake it is.
func TestErrorsNameFieldValueAndReason(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		item string
		want string // the whole message
	}{
		{`{"value":"999.1.1.1","tlp":"green"}`, `value: "999.1.1.1" is not a valid ipv4: IPv4 field has value >255`},
		{`{"value":"x.example.com","tlp":"green","first_seen":"yesterday"}`, `first_seen: "yesterday": not an RFC 3339 time (such as 2026-11-30T09:15:00Z)`},
		{`{"value":"x.example.com","tlp":"green","valid_until":"2027-01-01"}`, `valid_until: "2027-01-01": not an RFC 3339 time (such as 2026-11-30T09:15:00Z)`},
		{`{"value":"x.example.com","tlp":"green","confidence":50.5}`, `confidence: 50.5: expected a whole number`},
		{`{"value":"x.example.com","tlp":"green","confidence":"high"}`, `confidence: "high": expected a whole number`},
		{`{"value":"x.example.com","tlp":"green","audience":{"orgs":"org-b"}}`, `audience.orgs: "org-b": expected an array`},
		{`{"value":"x.example.com","tlp":"green","subdomains":"yes"}`, `subdomains: "yes": expected true or false`},
		{`{"value":"x.example.com","tlp":"green","labels":["evil"]}`, `labels: "evil": not in the label vocabulary (see GET /api/v1/vocabulary)`},
		{`{"value":"x.example.com","tlp":"purple"}`, `tlp: "purple": not a TLP 2.0 label (clear, green, amber, amber+strict, red)`},
		{`{"value":"x.example.com","tlp":"green","evaluation":{"credibility":9}}`, `evaluation.credibility: "9": information credibility is a digit 1 to 6`},
	} {
		var ans struct {
			Results []struct {
				Error *struct{ Code, Message string }
			}
		}
		f.do("POST", "/api/v1/records", "org-a", `{"records":[`+tt.item+`]}`, &ans)
		if len(ans.Results) != 1 || ans.Results[0].Error == nil {
			t.Errorf("%s: accepted: %+v", tt.item, ans)
			continue
		}
		if got := ans.Results[0].Error.Message; got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.item, got, tt.want)
		}
	}
	for _, q := range []string{"limit=0", "limit=-5", "limit=1001", "limit=ten"} {
		status, body := f.do("GET", "/api/v1/records?"+q, "org-a", nil, nil)
		if status != 400 || !strings.Contains(errMessage(body), "limit: ") || !strings.Contains(errMessage(body), "must be a whole number from 1 to 1000") {
			t.Errorf("?%s: %d %s", q, status, errMessage(body))
		}
	}
}

// TestEmptyPatchChangesNothing: a patch that changes nothing makes no new
// version and no evidence entry.
func TestEmptyPatchChangesNothing(t *testing.T) {
	f := newFixture(t)
	var created struct{ Results []struct{ ID string } }
	f.do("POST", "/api/v1/records", "org-a", `{"records":[{"value":"same.example.com","tlp":"green","labels":["phishing"]}]}`, &created)
	id := created.Results[0].ID
	var rep struct{ ID string }
	f.do("POST", "/api/v1/reports", "org-a", `{"title":"t","tlp":"green","records":["`+id+`"]}`, &rep)
	size := func() int64 {
		n, err := f.hub.Evidence().Size(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := size()
	for _, p := range []struct{ path, body string }{
		{"/api/v1/records/" + id, `{}`},
		{"/api/v1/records/" + id, `{"tlp":"green","labels":["phishing"]}`},
		{"/api/v1/reports/" + rep.ID, `{}`},
		{"/api/v1/reports/" + rep.ID, `{"title":"t"}`},
	} {
		var got struct{ Version int }
		if status, body := f.do("PATCH", p.path, "org-a", p.body, &got); status != 200 || got.Version != 1 {
			t.Errorf("PATCH %s %s: %d, version %d: %v", p.path, p.body, status, got.Version, body)
		}
	}
	if status, body := f.do("PATCH", "/api/v1/orgs/org-a", "org-a", `{"anonymous_feedback":false}`, nil); status != 200 {
		t.Errorf("PATCH org: %d %v", status, body)
	}
	if after := size(); after != before {
		t.Errorf("the evidence log grew from %d to %d entries on patches that changed nothing", before, after)
	}
	var hist struct{ Versions []any }
	f.do("GET", "/api/v1/records/"+id+"/history", "org-a", nil, &hist)
	if len(hist.Versions) != 1 {
		t.Errorf("history has %d versions, want 1", len(hist.Versions))
	}
}
