package stix_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"fusion/internal/demo"
	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

// demoHub is a hub on SQLite seeded with the demo world and its activity.
func demoHub(t *testing.T) (*hub.Hub, *demo.Seeded) {
	t.Helper()
	st := storetest.SQLite(t)
	canon, err := observable.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(st, canon, evidencetest.Log(t, st), slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetWarningLists(warninglist.Fictional())
	if err := h.EnableMatching(match.New(0), bytes.Repeat([]byte{2}, 32), hub.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	seeded, err := demo.Seed(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return h, &seeded
}

// TestDemoBundlesValidate exports what each demo organization may see of
// the demo hub (records, redacted ones included, revoked ones, reports and
// organizations, as the hub gives them to a reader of that organization)
// and validates every object against its type's schema and each bundle
// with Check. Across the organizations every TLP level and handling code
// must have been exported, and every skip must be one of the two kinds.
func TestDemoBundlesValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a demo hub")
	}
	ctx := context.Background()
	h, seeded := demoHub(t)
	var err error
	v := stix.NewValidator(t)
	tlps, codes, types := map[string]bool{}, map[string]bool{}, map[string]bool{}
	reports, redacted := 0, 0
	for _, o := range seeded.Orgs {
		c := &policy.Caller{Org: o.ID, Role: intel.RoleReader}
		var in stix.ExportInput
		for cursor := ""; ; {
			page, err := h.ListRecords(ctx, c, hub.RecordFilter{IncludeRevoked: true, Limit: 500, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			in.Records = append(in.Records, page.Items...)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		for cursor := ""; ; {
			page, err := h.ListReports(ctx, c, hub.ReportFilter{IncludeRevoked: true, Limit: 500, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			in.Reports = append(in.Reports, page.Items...)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if in.Orgs, err = h.ListOrgs(ctx, c); err != nil {
			t.Fatal(err)
		}
		b, skipped := stix.NewBundle(in)
		if err := b.Check(); err != nil {
			t.Errorf("bundle of %s: %v", o.ID, err)
		}
		for _, obj := range b.Objects {
			v.Validate(obj)
			if ind, ok := obj.(*stix.Indicator); ok {
				ext := ind.Extensions[stix.FusionExtensionID].(map[string]any)
				if hm, ok := ext["handling"].(map[string]any); ok {
					for _, code := range hm["codes"].([]string) {
						codes[code] = true
					}
				}
			}
			if m, ok := obj.(*stix.MarkingDefinition); ok {
				tlps[m.Name] = true
			}
			if obj.ObjectType() == "report" {
				reports++
			}
			types[obj.ObjectType()] = true
		}
		for _, s := range skipped {
			switch {
			case s.Reason == "the value is withheld from this caller":
				redacted++
			case strings.HasSuffix(s.Reason, "has no STIX 2.1 cyber-observable object"),
				strings.HasPrefix(s.Reason, "none of its"):
			default:
				t.Errorf("%s: skipped %s %s: %s", o.ID, s.Kind, s.ID, s.Reason)
			}
		}
	}
	for _, tlp := range []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"} {
		if !tlps[tlp] {
			t.Errorf("no demo bundle used %s", tlp)
		}
	}
	for _, typ := range []string{"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "autonomous-system", "identity", "report"} {
		if !types[typ] {
			t.Errorf("no demo bundle held a %s", typ)
		}
	}
	for _, code := range []string{"H0", "H1", "H2", "H3"} {
		if !codes[code] {
			t.Errorf("no demo indicator carried handling code %s", code)
		}
	}
	if reports == 0 || redacted == 0 {
		t.Errorf("%d reports exported and %d redacted records skipped; the demo has both", reports, redacted)
	}
	t.Logf("demo: %d orgs, handling codes %v, %d reports, %d redacted records skipped", len(seeded.Orgs), codes, reports, redacted)
}

// TestDemoSightingsValidate exports the demo sensor's sightings (police-nl,
// through OwnSightings) as the bundle each record's originator would get,
// first with police-nl named, then after it chose anonymous feedback, the
// anonymity decided by policy.Observer as the hub decides it: every
// sighting validates, the bundle checks, and once anonymous police-nl is
// nowhere in it, as the hub's own feedback answer no longer names it.
func TestDemoSightingsValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a demo hub")
	}
	ctx := context.Background()
	h, _ := demoHub(t)
	const observer = "police-nl"
	reader := &policy.Caller{Org: observer, Role: intel.RoleReader}
	page, err := h.OwnSightings(ctx, reader, 500, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) == 0 {
		t.Fatal("the demo sensor sighted nothing")
	}
	v := stix.NewValidator(t)
	for _, anonymous := range []bool{false, true} {
		if _, err := h.UpdateOrg(ctx, &policy.Caller{Org: observer, Role: intel.RoleAdmin}, observer, hub.OrgSettings{AnonymousFeedback: &anonymous}); err != nil {
			t.Fatal(err)
		}
		byOriginator := map[string][]stix.SightingInput{}
		for _, s := range page.Items {
			r, err := h.GetRecord(ctx, reader, s.Record)
			if err != nil {
				t.Fatal(err)
			}
			recipient := &policy.Caller{Org: r.Originator, Role: intel.RoleReader}
			form := policy.Observer(recipient, r.Originator, observer, anonymous)
			if form == policy.Unseen {
				t.Fatalf("the originator %s may not see %s's sighting of its record", r.Originator, observer)
			}
			byOriginator[r.Originator] = append(byOriginator[r.Originator], stix.SightingInput{Record: r.ID, TLP: r.TLP, Observer: observer,
				Anonymous: form == policy.Anonymous, Key: bytes.Repeat([]byte{3}, 32), Count: s.Count, First: s.First, Last: s.Last})
		}
		for originator, sights := range byOriginator {
			b, skipped := stix.NewBundle(stix.ExportInput{Sightings: sights})
			if len(skipped) != 0 {
				t.Errorf("to %s: skipped %v", originator, skipped)
			}
			if err := b.Check(); err != nil {
				t.Errorf("to %s: %v", originator, err)
			}
			for _, o := range b.Objects {
				v.Validate(o)
			}
			named := strings.Contains(string(stix.MustJSON(t, b)), stix.IdentityID(observer))
			if named == anonymous {
				t.Errorf("to %s with %s anonymous=%v: observer named in the bundle: %v", originator, observer, anonymous, named)
			}
			// The hub's own answer to the originator agrees.
			sum, err := h.Feedback(ctx, &policy.Caller{Org: originator, Role: intel.RoleReader}, 500, "")
			if err != nil {
				t.Fatal(err)
			}
			hubNames := false
			for _, rf := range sum.Records {
				for _, e := range rf.By {
					hubNames = hubNames || e.Observer.Org == observer
				}
			}
			if hubNames == anonymous {
				t.Errorf("hub feedback to %s with %s anonymous=%v names it: %v", originator, observer, anonymous, hubNames)
			}
		}
	}
}
