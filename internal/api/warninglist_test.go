package api_test

import (
	"strings"
	"testing"

	"fusion/internal/hub"
)

// TestWarningLists: a value on a warning list is refused, naming the list
// and why, unless its submitter forces it; a forced record carries the
// lists, and so does every match on it.
func TestWarningLists(t *testing.T) {
	f := newFixture(t)
	enableMatching(t, f, hub.DefaultLimits)
	var ans struct {
		Results []struct {
			ID    string
			Error *struct{ Code, Message string }
		}
	}
	f.do("POST", "/api/v1/records", "org-a", `{"records":[
		{"value":"0.0.0.0/0","tlp":"green"},
		{"value":"10.1.2.3","tlp":"green"},
		{"value":"127.0.0.1","tlp":"green"},
		{"value":"8.8.8.8","tlp":"green"},
		{"value":"www.google.com","tlp":"green"},
		{"value":"10.9.9.9","tlp":"amber","audience":{"orgs":["org-b"]},"force":true,"labels":["botnet-c2"]},
		{"value":"11.9.9.9","tlp":"green","force":true}
	]}`, &ans)
	want := []struct{ code, mention string }{
		{"warning_list", `value: "0.0.0.0/0": on the warning list "wide-prefix" (0.0.0.0/0 is wider than /8`},
		{"warning_list", `value: "10.1.2.3": on the warning list "private" (10.1.2.3 is in 10.0.0.0/8`},
		{"warning_list", `"loopback"`},
		{"warning_list", `"public-resolvers"`},
		{"warning_list", `"popular-domains"`},
		{"", ""},
		{"", ""},
	}
	if len(ans.Results) != len(want) {
		t.Fatalf("%d results: %+v", len(ans.Results), ans)
	}
	for i, w := range want {
		r := ans.Results[i]
		switch {
		case w.code == "" && r.Error != nil:
			t.Errorf("item %d refused: %+v", i, r.Error)
		case w.code != "" && (r.Error == nil || r.Error.Code != w.code || !strings.Contains(r.Error.Message, w.mention)):
			t.Errorf("item %d: %+v, want %s mentioning %s", i, r.Error, w.code, w.mention)
		case w.code != "" && !strings.Contains(r.Error.Message, `send "force": true`):
			t.Errorf("item %d: the message does not say how to share it anyway: %s", i, r.Error.Message)
		}
	}
	forced, clean := ans.Results[5].ID, ans.Results[6].ID

	var rec struct{ Warnings []string }
	f.do("GET", "/api/v1/records/"+forced, "org-b", nil, &rec)
	if len(rec.Warnings) != 1 || rec.Warnings[0] != "private" {
		t.Errorf("the forced record's warnings: %v", rec.Warnings)
	}
	rec.Warnings = nil
	f.do("GET", "/api/v1/records/"+clean, "org-b", nil, &rec)
	if rec.Warnings != nil {
		t.Errorf("a forced value on no list got warnings: %v", rec.Warnings)
	}

	// A match on the forced record shows its warnings, in the answer and in the sightings.
	var seen struct {
		Records []struct {
			Record   string
			Warnings []string
		}
	}
	f.do("POST", "/api/v1/events", "org-b", `{"time":"2026-11-30T10:00:00Z","value":"10.9.9.9"}`+"\n", &seen)
	if len(seen.Records) != 1 || seen.Records[0].Record != forced || len(seen.Records[0].Warnings) != 1 {
		t.Errorf("events answer: %+v", seen)
	}
	var own struct {
		Sightings []struct {
			Record   string
			Warnings []string
		}
	}
	f.do("GET", "/api/v1/sightings", "org-b", nil, &own)
	if len(own.Sightings) != 1 || own.Sightings[0].Warnings[0] != "private" {
		t.Errorf("own sightings: %+v", own)
	}
}
