package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fusion/internal/intel"
)

// TestSMSShareOverHTTP: org-a's analyst shares the range its app was
// pumped on (POST /api/v1/sms/blocks/share), amber to org-c; the answer is
// the record, which org-c reads; org-c's guard blocks the range's first
// request with reason shared, org-b's (outside the audience) does not; a
// sensor cannot share; bad input is a 400 naming field, value and reason.
func TestSMSShareOverHTTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, org := range []string{"org-a", "org-b", "org-c"} {
		secret, _, err := f.hub.OperatorIssueToken(ctx, org, intel.RoleSensor, "backend")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[org+"-sensor"] = secret
	}
	start := time.Now().UTC().Add(-2 * time.Minute)
	smsBurst(t, f, "org-a-sensor", "shop", start, 40)

	var out struct {
		Record intel.Record `json:"record"`
	}
	status, b := f.do("POST", "/api/v1/sms/blocks/share", "org-a", `{"app":"shop","prefix":"`+smsPumped+`","tlp":"amber","audience":{"orgs":["org-c"]}}`, &out)
	if status != 200 {
		t.Fatalf("share: %d %v", status, b)
	}
	r := out.Record
	if r.ID == "" || r.Type != "phone-range" || r.Value != smsPumped || r.Region != "LV" || r.TLP != intel.Amber || len(r.Labels) != 1 || r.Labels[0] != "sms-pumping" ||
		!strings.Contains(r.Description, "confirmed from app shop's guard") {
		t.Fatalf("shared record: %+v", r)
	}
	if status, b := f.do("GET", "/api/v1/records/"+r.ID, "org-c", nil, nil); status != 200 {
		t.Fatalf("org-c reads the record: %d %v", status, b)
	}
	at := start.Add(time.Minute).Format(time.RFC3339Nano)
	for org, want := range map[string]bool{"org-c-sensor": true, "org-b-sensor": false} {
		var d smsDecision
		body := fmt.Sprintf(`{"app":"otp","number":"%s777","ip":"192.0.2.9","time":%q}`, smsPumped, at)
		if status, b := f.do("POST", "/api/v1/sms/check", org, body, &d); status != 200 {
			t.Fatalf("check as %s: %d %v", org, status, b)
		}
		if got := d.Decision == "block" && d.Rule == "shared-intelligence"; got != want {
			t.Errorf("%s's first request to the shared range: %+v, want a shared block %v", org, d, want)
		}
	}
	if status, b := f.do("POST", "/api/v1/sms/blocks/share", "org-a-sensor", `{"app":"shop","prefix":"`+smsPumped+`"}`, nil); status != 403 {
		t.Errorf("a sensor shares: %d %v", status, b)
	}
	for _, c := range []struct {
		body string
		says []string
	}{
		{`{"app":"shop","prefix":"+44"}`, []string{"prefix", "+44", "whole country code"}},
		{`{"app":"shop","prefix":"0044 x1"}`, []string{"prefix", "0044 x1", "digit after"}},
		{`{"app":"","prefix":"+3712123"}`, []string{"app", "1 to 128"}},
		{`{"app":"shop","prefix":"+3712123","tlp":"purple"}`, []string{"tlp", "purple"}},
	} {
		status, b := f.do("POST", "/api/v1/sms/blocks/share", "org-a", c.body, nil)
		if status != 400 {
			t.Errorf("%s: %d %v, want 400", c.body, status, b)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(errMessage(b), s) {
				t.Errorf("%s: message %q does not say %q", c.body, errMessage(b), s)
			}
		}
	}
}
