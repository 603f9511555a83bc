package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

const apiPkg = `{"name":"Police B","threshold":0.5,"rules":[{"id":"third-party","expr":"third_party","score":1,"reason":"cardholder is not the traveller"}]}`

// TestRulePackagesOverHTTP: org-b (police) publishes a rule package to
// grp-ab (amber); org-a reads it (the package under "package"), org-c
// gets 404; a rule that does not compile is 400 naming
// package.rules[0].expr and the position; a revision by org-a is 403, by
// org-b version 2; org-a's booking engine screens with it through
// ?package=ID and org-c's gets 404; after revocation screening with it
// is 404; a reader token may not publish.
func TestRulePackagesOverHTTP(t *testing.T) {
	f := newFixture(t)
	enableMatching(t, f, hub.DefaultLimits)
	ctx := context.Background()
	for _, o := range []string{"org-a", "org-c"} {
		secret, _, err := f.hub.OperatorIssueToken(ctx, o, intel.RoleSensor, "engine")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[o+"-sensor"] = secret
	}
	secret, _, err := f.hub.OperatorIssueToken(ctx, "org-b", intel.RoleReader, "reader")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens["org-b-reader"] = secret

	bad := strings.Replace(apiPkg, `"expr":"third_party"`, `"expr":"third_party && depart"`, 1)
	status, b := f.do("POST", "/api/v1/rule-packages", "org-b", `{"package":`+bad+`,"tlp":"amber","audience":{"groups":["grp-ab"]}}`, nil)
	if msg := errMessage(b); status != 400 || !strings.Contains(msg, "package.rules[0].expr") || !strings.Contains(msg, "line 1, column 16") || !strings.Contains(msg, "third_party && depart") {
		t.Fatalf("a rule that does not compile: %d %v", status, b)
	}
	if status, b := f.do("POST", "/api/v1/rule-packages", "org-b", `{"package":`+apiPkg+`,"tlp":"amber","audience":{"orgs":["nobody"]}}`, nil); status != 400 || !strings.Contains(errMessage(b), "audience.orgs") {
		t.Fatalf("an unknown organization: %d %v", status, b)
	}
	if status, _ := f.do("POST", "/api/v1/rule-packages", "org-b-reader", `{"package":`+apiPkg+`,"tlp":"amber"}`, nil); status != 403 {
		t.Fatalf("a reader publishes: %d", status)
	}
	var p hub.SharedPackage
	if status, b := f.do("POST", "/api/v1/rule-packages", "org-b", `{"package":`+apiPkg+`,"tlp":"amber","audience":{"groups":["grp-ab"]},"handling":{"codes":["H1"]}}`, &p); status != 201 || p.Version != 1 {
		t.Fatalf("publish: %d %v", status, b)
	}
	var got map[string]json.RawMessage
	if status, b := f.do("GET", "/api/v1/rule-packages/"+p.ID, "org-a", nil, &got); status != 200 || !strings.Contains(string(got["package"]), `"third_party"`) {
		t.Fatalf("org-a reads: %d %v", status, b)
	}
	if status, _ := f.do("GET", "/api/v1/rule-packages/"+p.ID, "org-c", nil, nil); status != 404 {
		t.Fatalf("org-c reads: %d", status)
	}
	if status, _ := f.do("GET", "/api/v1/rule-packages/"+p.ID+"?version=x", "org-a", nil, nil); status != 400 {
		t.Fatalf("version x: %d", status)
	}
	var list struct {
		RulePackages []hub.SharedPackage `json:"rule_packages"`
	}
	if status, _ := f.do("GET", "/api/v1/rule-packages", "org-c", nil, &list); status != 200 || len(list.RulePackages) != 0 {
		t.Fatalf("org-c lists: %d %+v", status, list)
	}
	if status, _ := f.do("GET", "/api/v1/rule-packages", "org-a", nil, &list); status != 200 || len(list.RulePackages) != 1 {
		t.Fatalf("org-a lists: %d %+v", status, list)
	}
	if status, _ := f.do("PUT", "/api/v1/rule-packages/"+p.ID, "org-a", `{"tlp":"green"}`, nil); status != 403 {
		t.Fatalf("org-a revises: %d", status)
	}
	if status, _ := f.do("PUT", "/api/v1/rule-packages/"+p.ID, "org-c", `{"tlp":"green"}`, nil); status != 404 {
		t.Fatalf("org-c revises: %d", status)
	}
	var p2 hub.SharedPackage
	if status, b := f.do("PUT", "/api/v1/rule-packages/"+p.ID, "org-b", `{"package":`+strings.Replace(apiPkg, "0.5", "0.9", 1)+`}`, &p2); status != 200 || p2.Version != 2 || p2.Package.Threshold != 0.9 {
		t.Fatalf("org-b revises: %d %v", status, b)
	}
	if status, _ := f.do("GET", "/api/v1/rule-packages/"+p.ID+"?version=1", "org-a", nil, &got); status != 200 || !strings.Contains(string(got["package"]), `"threshold":0.5`) {
		t.Fatalf("version 1: %d %s", status, got["package"])
	}

	// Screening with the package.
	booked := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var res hub.ScreenResult
	if status, b := f.do("POST", "/api/v1/screen?package="+p.ID, "org-a-sensor", screenBody("BK1", 1, booked), &res); status != 200 ||
		res.Package != p.ID+"@2" || res.Decision != "flag" || res.Threshold != 0.9 || len(res.Reasons) != 1 || res.Reasons[0].Rule != "third-party" {
		t.Fatalf("screen with the package: %d %v %+v", status, b, res)
	}
	if status, _ := f.do("POST", "/api/v1/screen", "org-a-sensor", screenBody("BK2", 2, booked.Add(time.Hour)), &res); status != 200 || res.Package != "action-day-default@1" {
		t.Fatalf("screen with the built-in package: %d %+v", status, res)
	}
	if status, _ := f.do("POST", "/api/v1/screen?package="+p.ID, "org-c-sensor", screenBody("BK3", 3, booked), nil); status != 404 {
		t.Fatalf("org-c screens with a package it may not see: %d", status)
	}
	if status, _ := f.do("POST", "/api/v1/screen?pkg="+p.ID, "org-a-sensor", screenBody("BK4", 4, booked), nil); status != 400 {
		t.Fatalf("an unknown parameter: %d", status)
	}
	if status, _ := f.do("DELETE", "/api/v1/rule-packages/"+p.ID+"?reason=ended", "org-a", nil, nil); status != 403 {
		t.Fatalf("org-a revokes: %d", status)
	}
	if status, b := f.do("DELETE", "/api/v1/rule-packages/"+p.ID+"?reason=ended", "org-b", nil, &p2); status != 200 || p2.Revoked == nil {
		t.Fatalf("org-b revokes: %d %v", status, b)
	}
	if status, b := f.do("POST", "/api/v1/screen?package="+p.ID, "org-a-sensor", screenBody("BK5", 5, booked.Add(2*time.Hour)), nil); status != 404 {
		t.Fatalf("screen with a revoked package: %d %v", status, b)
	}
	t.Log(fmt.Sprint("revoked: ", p2.RevokedReason))
}

// TestRulePackageReviseNull: a revision with "package": null keeps the
// rules, as one without the member does.
func TestRulePackageReviseNull(t *testing.T) {
	f := newFixture(t)
	var p hub.SharedPackage
	if status, b := f.do("POST", "/api/v1/rule-packages", "org-b", `{"package":`+apiPkg+`,"tlp":"green"}`, &p); status != 201 {
		t.Fatalf("publish: %d %v", status, b)
	}
	if status, b := f.do("PUT", "/api/v1/rule-packages/"+p.ID, "org-b", `{"package":null,"tlp":"amber","audience":{"orgs":["org-a"]}}`, &p); status != 200 || p.Version != 2 || p.TLP != "amber" || len(p.Package.Rules) != 1 {
		t.Fatalf("revise with a null package: %d %v %+v", status, b, p)
	}
}
