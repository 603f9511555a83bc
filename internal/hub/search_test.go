package hub_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestTagsAndSearch: tags filter and free text finds, on both stores,
// through the gate: a hidden record is never found, a redacted one only by
// what its redacted form shows.
func TestTagsAndSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b", "org-c")
		a, b, c := callers["org-a"], callers["org-b"], callers["org-c"]
		lazarus := `misp-galaxy:threat-actor="Lazarus Group"`
		res, err := h.CreateRecords(ctx, a, []intel.RecordInput{
			{Value: "phish-one.example.net", TLP: "green", Description: "Lazarus phishing kit aimed at banks", Tags: []string{lazarus, "APT38"}},
			{Value: "hidden.example.net", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Description: "Lazarus, in confidence", Tags: []string{lazarus}},
			{Value: "mule.one@example.org", TLP: "green", Personal: ptr(true), Audience: &intel.Audience{Orgs: []string{"org-b"}}, Description: "account of Jane Roe", Tags: []string{"mule-network"}},
			{Value: "board.example.org", TLP: "green", Description: "東京都庁の掲示板に脅迫の書き込み", Reference: "case NL-2026-0412"},
		})
		if err != nil {
			t.Fatal(err)
		}
		id := make([]string, len(res))
		for i, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			id[i] = r.Value.ID
		}
		// A change moves a record in and out of what it is found by.
		if _, err := h.UpdateRecord(ctx, a, id[0], intel.RecordPatch{Tags: &[]string{lazarus, "APT38", "mitre-attack:T1566"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.CreateReport(ctx, a, intel.ReportInput{Title: "Lazarus campaign against banks, 2026", TLP: "green", Tags: []string{"APT38"}, Records: []string{id[0]}}); err != nil {
			t.Fatal(err)
		}
		records := func(who *policy.Caller, f hub.RecordFilter) []string {
			t.Helper()
			page, err := h.ListRecords(ctx, who, f)
			if err != nil {
				t.Fatalf("%s %+v: %v", who.Org, f, err)
			}
			var got []string
			for _, r := range page.Items {
				i := slices.Index(id, r.ID)
				got = append(got, string(rune('0'+i)))
				if r.Redacted && r.Value != "" {
					t.Errorf("a redacted record with its value: %+v", r)
				}
			}
			return got
		}
		for _, tt := range []struct {
			who  *policy.Caller
			f    hub.RecordFilter
			want []string
		}{
			{c, hub.RecordFilter{Query: "lazarus"}, []string{"0"}},
			{b, hub.RecordFilter{Query: "lazarus"}, []string{"0", "1"}},
			{c, hub.RecordFilter{Query: "Lazarus Group"}, []string{"0"}},
			{c, hub.RecordFilter{Query: `"group lazarus"`}, nil}, // a phrase is in order
			{c, hub.RecordFilter{Tag: "misp-galaxy:threat-actor"}, []string{"0"}},
			{b, hub.RecordFilter{Tag: `MISP-galaxy:threat-actor="lazarus group"`}, []string{"0", "1"}},
			{c, hub.RecordFilter{Tag: "apt38"}, []string{"0"}},
			{c, hub.RecordFilter{Tag: "mitre-attack:T1566"}, []string{"0"}},
			{c, hub.RecordFilter{Query: "t1566"}, []string{"0"}},
			{c, hub.RecordFilter{Query: "jane"}, nil},                   // the description of a record c sees redacted
			{c, hub.RecordFilter{Query: "mule one"}, nil},               // its value
			{c, hub.RecordFilter{Query: "mule-network"}, []string{"2"}}, // its tag, which the redacted form shows
			{b, hub.RecordFilter{Query: "jane roe"}, []string{"2"}},
			{c, hub.RecordFilter{Query: "掲示板"}, []string{"3"}},
			{c, hub.RecordFilter{Query: "nl-2026-0412"}, []string{"3"}},
			{c, hub.RecordFilter{Query: "example", Tag: "apt38"}, []string{"0"}},
			{c, hub.RecordFilter{Query: "nothing-like-this"}, nil},
		} {
			if got := records(tt.who, tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("%s %+v: records %v, want %v", tt.who.Org, tt.f, got, tt.want)
			}
		}
		reports := func(f hub.ReportFilter) int {
			page, err := h.ListReports(ctx, c, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Items)
		}
		if reports(hub.ReportFilter{Query: "campaign banks"}) != 1 || reports(hub.ReportFilter{Tag: "APT38"}) != 1 || reports(hub.ReportFilter{Query: "phishing"}) != 0 {
			t.Error("report search")
		}
		for _, f := range []hub.RecordFilter{{Query: "--- ..."}, {Tag: "tlp:amber"}} {
			if _, err := h.ListRecords(ctx, c, f); !errors.Is(err, intel.ErrInvalid) {
				t.Errorf("%+v: %v, want a field error", f, err)
			}
		}
	})
}
