package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/sms"
)

// smsDecision is an answer of POST /api/v1/sms/check as a client reads it.
type smsDecision struct {
	Decision   string   `json:"decision"`
	Reasons    []string `json:"reasons"`
	Rule       string   `json:"rule"`
	Country    string   `json:"country"`
	Prefix     string   `json:"prefix"`
	Carrier    string   `json:"carrier"`
	NumberType string   `json:"number_type"`
}

// smsPumped is the block the tests pump: Latvian mobile numbers
// +37121234000 to +37121234999.
const smsPumped = "+37121234"

// smsBurst posts a pumping burst as org for app: n consecutive numbers in
// one 1,000-number block, two seconds apart from start, each from another
// client address, no code ever entered. It returns the decisions.
func smsBurst(t *testing.T, f *fixture, org, app string, start time.Time, n int) []smsDecision {
	t.Helper()
	out := make([]smsDecision, 0, n)
	for i := range n {
		body := fmt.Sprintf(`{"app":%q,"number":"%s%03d","ip":"203.0.113.%d","user_agent":"okhttp/4.%d","time":%q}`,
			app, smsPumped, 100+i, i%250+1, i%7, start.Add(time.Duration(i)*2*time.Second).Format(time.RFC3339Nano))
		var d smsDecision
		if status, b := f.do("POST", "/api/v1/sms/check", org, body, &d); status != 200 {
			t.Fatalf("check %d as %s: %d %v", i, org, status, b)
		}
		out = append(out, d)
	}
	return out
}

// TestSMSPumpingOverHTTP: a sensor token on org-a's backend posts a burst
// to consecutive numbers of one block from rotating addresses, codes never
// entered: the guard challenges, then blocks the block; GET
// /api/v1/sms/blocks lists the block with its reasons to org-a alone;
// org-c's checks of an app of the same name are its own; a sensor cannot
// release and a partner cannot list; an analyst releases, and the release
// is in the evidence log.
func TestSMSPumpingOverHTTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, role := range []intel.Role{intel.RoleSensor, intel.RolePartner, intel.RoleAnalyst, intel.RoleReader} {
		secret, _, err := f.hub.OperatorIssueToken(ctx, "org-a", role, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens["org-a-"+string(role)] = secret
	}
	start := time.Now().UTC().Add(-2 * time.Minute)

	// Legitimate users first: codes sent and entered.
	for i := range 20 {
		at := start.Add(-time.Hour + time.Duration(i)*time.Minute)
		num := fmt.Sprintf("+3712%07d", 6000000+i*7919)
		var d smsDecision
		if status, b := f.do("POST", "/api/v1/sms/check", "org-a-sensor", fmt.Sprintf(`{"app":"shop","number":%q,"ip":"198.51.100.%d","time":%q}`, num, i+1, at.Format(time.RFC3339)), &d); status != 200 || d.Decision != "allow" {
			t.Fatalf("legitimate request %d: %d %v %+v", i, status, b, d)
		}
		if status, b := f.do("POST", "/api/v1/sms/verified", "org-a-sensor", fmt.Sprintf(`{"app":"shop","number":%q,"time":%q}`, num, at.Add(15*time.Second).Format(time.RFC3339)), nil); status != 200 {
			t.Fatalf("verified %d: %d %v", i, status, b)
		}
	}

	ds := smsBurst(t, f, "org-a-sensor", "shop", start, 40)
	firstChallenge, firstBlock := -1, -1
	for i, d := range ds {
		if d.Decision == "challenge" && firstChallenge < 0 {
			firstChallenge = i
		}
		if d.Decision == "block" && firstBlock < 0 {
			firstBlock = i
		}
	}
	if firstChallenge < 0 || firstBlock < 0 || firstChallenge > firstBlock || firstBlock > 20 {
		t.Fatalf("first challenge at %d, first block at %d: want challenged, then blocked within 20: %+v", firstChallenge, firstBlock, ds)
	}
	last := ds[len(ds)-1]
	if last.Decision != "block" || last.Prefix != smsPumped || last.Country != "LV" || last.NumberType != "mobile" || last.Rule == "" || len(last.Reasons) == 0 {
		t.Fatalf("last decision %+v", last)
	}

	// Another organization's guard is its own: the same app name and
	// block are new to it.
	var other smsDecision
	if status, b := f.do("POST", "/api/v1/sms/check", "org-c", fmt.Sprintf(`{"app":"shop","number":"%s950","ip":"192.0.2.1","time":%q}`, smsPumped, start.Add(2*time.Minute).Format(time.RFC3339)), &other); status != 200 || other.Decision != "allow" {
		t.Fatalf("org-c's check: %d %v %+v", status, b, other)
	}

	type blocks struct {
		Blocks []hub.SMSBlock `json:"blocks"`
	}
	var got blocks
	for _, who := range []string{"org-a", "org-a-analyst", "org-a-reader", "org-a-sensor"} {
		if status, b := f.do("GET", "/api/v1/sms/blocks", who, nil, &got); status != 200 || len(got.Blocks) != 1 {
			t.Fatalf("%s's blocks: %d %v %+v", who, status, b, got)
		}
	}
	bl := got.Blocks[0]
	if bl.App != "shop" || bl.Prefix != smsPumped || bl.Rule == "" || len(bl.Reasons) == 0 || bl.Explanation == "" || !bl.Until.After(time.Now()) {
		t.Fatalf("block %+v", bl)
	}
	for _, who := range []string{"org-c", "org-b"} {
		if status, _ := f.do("GET", "/api/v1/sms/blocks", who, nil, &got); status != 200 || len(got.Blocks) != 0 {
			t.Errorf("LEAK: %s sees %d of org-a's blocks", who, len(got.Blocks))
		}
	}
	if status, _ := f.do("GET", "/api/v1/sms/blocks", "org-a-partner", nil, nil); status != 403 {
		t.Errorf("a partner listing blocks: %d, want 403", status)
	}
	release := fmt.Sprintf(`{"app":"shop","prefix":%q}`, smsPumped)
	for _, who := range []string{"org-a-sensor", "org-a-reader", "org-a-partner"} {
		if status, _ := f.do("POST", "/api/v1/sms/blocks/release", who, release, nil); status != 403 {
			t.Errorf("%s releasing: %d, want 403", who, status)
		}
	}
	if status, _ := f.do("POST", "/api/v1/sms/blocks/release", "org-c", release, nil); status != 404 {
		t.Errorf("org-c releasing org-a's block: %d, want 404", status)
	}
	if status, _ := f.do("POST", "/api/v1/sms/check", "org-a-reader", `{"app":"shop","number":"+37121234999","ip":"192.0.2.1","time":"2026-11-30T10:00:00Z"}`, nil); status != 403 {
		t.Errorf("a reader checking: %d, want 403", status)
	}
	var rel struct {
		Released hub.SMSBlock `json:"released"`
	}
	if status, b := f.do("POST", "/api/v1/sms/blocks/release", "org-a-analyst", release, &rel); status != 200 || rel.Released.Prefix != smsPumped {
		t.Fatalf("the analyst's release: %d %v %+v", status, b, rel)
	}
	if status, b := f.do("GET", "/api/v1/sms/blocks", "org-a", nil, &got); status != 200 || len(got.Blocks) != 0 {
		t.Fatalf("blocks after the release: %d %v %+v", status, b, got)
	}
	if status, _ := f.do("POST", "/api/v1/sms/blocks/release", "org-a-analyst", release, nil); status != 404 {
		t.Errorf("releasing again: %d, want 404", status)
	}
	var entries struct {
		Entries []hub.Entry `json:"entries"`
	}
	if status, b := f.do("GET", "/api/v1/evidence/entries?from=0&to=1000", "hub-op", nil, &entries); status != 200 {
		t.Fatalf("evidence entries: %d %v", status, b)
	}
	var released []evidence.Leaf
	for _, e := range entries.Entries {
		if e.Leaf.Action == evidence.SMSRelease {
			released = append(released, e.Leaf)
		}
	}
	if len(released) != 1 || released[0].Org != "org-a" || len(released[0].Objects) != 1 ||
		released[0].Objects[0].Kind != evidence.KindSMSBlock || released[0].Objects[0].ID != "shop "+smsPumped || released[0].Objects[0].SHA256 != "" {
		t.Errorf("sms.release leaves in the evidence log: %+v, want org-a's one of shop %s", released, smsPumped)
	}
}

// TestSMSBadRequests: bad fields are 400s naming the field, the value and
// the reason; an oversized body is 413.
func TestSMSBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		path, body, code string
		says             []string
	}{
		{"/api/v1/sms/check", `{"app":"shop","number":"0044 20","ip":"192.0.2.1","time":"2026-11-30T10:00:00Z"}`, "invalid_field", []string{"number", "0044 20", "E.164"}},
		{"/api/v1/sms/check", `{"app":"shop","number":"+37121234100","ip":"300.1.1.1","time":"2026-11-30T10:00:00Z"}`, "invalid_field", []string{"ip", "300.1.1.1", "not an IPv4"}},
		{"/api/v1/sms/check", `{"app":"shop","number":"+37121234100","ip":"192.0.2.1","time":"yesterday"}`, "invalid_field", []string{"time", "yesterday", "RFC 3339"}},
		{"/api/v1/sms/check", `{"app":"shop","number":"+37121234100","ip":"192.0.2.1","time":"2026-11-30T10:00:00Z","x":1}`, "invalid_field", []string{"x", "unknown field"}},
		{"/api/v1/sms/check", `{"app":"shop"`, "invalid_json", []string{"JSON"}},
		{"/api/v1/sms/check", ``, "invalid_json", []string{"empty"}},
		{"/api/v1/sms/verified", `{"app":"","number":"+37121234100","time":"2026-11-30T10:00:00Z"}`, "invalid_field", []string{"app", "1 to 128"}},
		{"/api/v1/sms/blocks/release", `{"app":"shop","prefix":"371"}`, "invalid_field", []string{"prefix", "371", "E.164 prefix"}},
		{"/api/v1/sms/blocks/release", `{"app":"shop","prefix":"+371","until":1}`, "unknown_field", []string{"until"}},
		{"/api/v1/sms/check", `{"app":"shop","number":"+37121234100","ip":"192.0.2.1","user_agent":"` + strings.Repeat("a", 10_000) + `","time":"2026-11-30T10:00:00Z"}`, "body_too_large", []string{fmt.Sprint(8 << 10)}},
	} {
		status, b := f.do("POST", c.path, "org-a", c.body, nil)
		want := 400
		if c.code == "body_too_large" {
			want = 413
		}
		if status != want || errCode(b) != c.code {
			t.Errorf("%s %s: %d %v, want %d %s", c.path, c.body[:min(len(c.body), 80)], status, b, want, c.code)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(errMessage(b), s) {
				t.Errorf("%s %s: message %q does not say %q", c.path, c.body[:min(len(c.body), 80)], errMessage(b), s)
			}
		}
	}
}

// TestSMSSettingsOverHTTP: an admin sets an app's settings with PUT and
// reads them back with GET; bad settings are 400 naming the field and the
// value; an analyst may read but not set them.
func TestSMSSettingsOverHTTP(t *testing.T) {
	f := newFixture(t)
	secret, _, err := f.hub.OperatorIssueToken(context.Background(), "org-a", intel.RoleAnalyst, "test")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens["org-a-analyst"] = secret
	var got struct {
		App      string
		Settings sms.Settings
		Updated  time.Time
	}
	if status, b := f.do("GET", "/api/v1/sms/apps/shop/settings", "org-a", nil, &got); status != 200 || got.Settings.Mode != "block" || !got.Updated.IsZero() {
		t.Fatalf("defaults: %d %v %+v", status, b, got)
	}
	body := `{"mode":"challenge","allowed":["IE","GB"]}`
	if status, b := f.do("PUT", "/api/v1/sms/apps/shop/settings", "org-a", body, &got); status != 200 || got.Settings.Mode != "challenge" || len(got.Settings.Allowed) != 2 || got.Updated.IsZero() {
		t.Fatalf("put: %d %v %+v", status, b, got)
	}
	if status, _ := f.do("GET", "/api/v1/sms/apps/shop/settings", "org-a-analyst", nil, &got); status != 200 || got.Settings.Mode != "challenge" {
		t.Fatalf("get as analyst: %d %+v", status, got)
	}
	if status, b := f.do("PUT", "/api/v1/sms/apps/shop/settings", "org-a-analyst", body, nil); status != 403 {
		t.Fatalf("put as analyst: %d %v", status, b)
	}
	for in, want := range map[string]string{
		`{"allowed":["Latvia"]}`: `allowed "Latvia": not an ISO 3166-1 alpha-2 code`,
		`{"mode":"loud"}`:        `mode "loud"`,
		`{"colour":"red"}`:       `unknown field "colour"`,
	} {
		status, b := f.do("PUT", "/api/v1/sms/apps/shop/settings", "org-a", in, nil)
		e, _ := b["error"].(map[string]any)
		if msg, _ := e["message"].(string); status != 400 || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %v, want 400 with %q", in, status, b, want)
		}
	}
}

// TestSMSAppsOverHTTP: GET /api/v1/sms/apps lists org-a's app with its
// hourly counts and block, and GET /api/v1/sms/apps/{app} adds its
// countries and blocks; org-c sees no app and org-a's by name is 404; a
// name with a control character is a 400 naming the field.
func TestSMSAppsOverHTTP(t *testing.T) {
	f := newFixture(t)
	smsBurst(t, f, "org-a", "shop", time.Now().UTC().Add(-5*time.Minute), 30)
	var list struct {
		Apps []hub.SMSApp `json:"apps"`
	}
	if status, b := f.do("GET", "/api/v1/sms/apps", "org-a", nil, &list); status != 200 || len(list.Apps) != 1 {
		t.Fatalf("org-a's apps: %d %v", status, b)
	}
	a := list.Apps[0]
	if a.App != "shop" || len(a.Hours) != 48 || a.Total.Requests != 30 || a.Total.Blocked == 0 || len(a.Blocks) != 1 || a.Blocks[0].Prefix != smsPumped || len(a.Countries) != 0 {
		t.Errorf("org-a's app in the listing: %+v", a)
	}
	var one hub.SMSApp
	if status, b := f.do("GET", "/api/v1/sms/apps/shop", "org-a", nil, &one); status != 200 || one.Total != a.Total || len(one.Countries) != 1 || one.Countries[0].Key != "LV" || len(one.Prefixes) != 1 || one.Prefixes[0].Key != smsPumped {
		t.Errorf("org-a's shop: %d %v %+v", status, b, one)
	}
	if status, b := f.do("GET", "/api/v1/sms/apps", "org-c", nil, &list); status != 200 || len(list.Apps) != 0 {
		t.Errorf("LEAK: org-c's apps: %d %v", status, b)
	}
	if status, _ := f.do("GET", "/api/v1/sms/apps/shop", "org-c", nil, nil); status != 404 {
		t.Errorf("LEAK: org-c reads org-a's shop: %d", status)
	}
	if status, b := f.do("GET", "/api/v1/sms/apps/sh%01op", "org-a", nil, nil); status != 400 || errCode(b) != "invalid_field" || !strings.Contains(errMessage(b), "app") {
		t.Errorf("a control character in the name: %d %v", status, b)
	}
	if status, b := f.do("GET", "/api/v1/sms/apps?x=1", "org-a", nil, nil); status != 400 {
		t.Errorf("an unknown parameter: %d %v", status, b)
	}
}
