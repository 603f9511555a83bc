package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// pkgJSON is a small package: a booking is flagged when it is bought
// last-minute by a third party.
const pkgJSON = `{"id":"paris-2026","version":1,"name":"Paris departures","threshold":0.5,"rules":[
 {"id":"last-minute","expr":"lead_hours >= 0 && lead_hours < 48","score":0.3,"reason":"bought less than 48 hours before departure"},
 {"id":"third-party","expr":"third_party","score":0.3,"reason":"cardholder is not the traveller"}]}`

// rulePackageWorld is police-fr, which owns group airlines with air-a and
// air-b; air-c and bank-x are outside it. Each caller is an analyst.
func rulePackageWorld(t *testing.T, st *store.Store) (*hub.Hub, map[string]*policy.Caller, string) {
	t.Helper()
	ctx := context.Background()
	h, admins := withOrgs(t, st, "police-fr", "air-a", "air-b", "air-c", "bank-x")
	g, err := h.CreateGroup(ctx, admins["police-fr"], "airlines")
	if err != nil {
		t.Fatal(err)
	}
	admins["police-fr"].Groups = []string{g.ID}
	for _, o := range []string{"air-a", "air-b"} {
		if _, err := h.AddGroupMember(ctx, admins["police-fr"], g.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	callers := map[string]*policy.Caller{}
	for o := range admins {
		c := &policy.Caller{Org: o, Role: intel.RoleAnalyst, TokenID: "tok-an-" + o}
		if o == "police-fr" || o == "air-a" || o == "air-b" {
			c.Groups = []string{g.ID}
		}
		callers[o] = c
	}
	return h, callers, g.ID
}

// TestRulePackageShared: police-fr publishes a package to its group of
// airlines (amber), revises and revokes it; who sees it across TLPs and
// audiences; a package that does not compile is refused naming the rule's
// expression; a revision by another organization is refused; every change
// is logged, a read by another organization is logged as a disclosure,
// and evidence verify catches an edit of the row outside fusion.
func TestRulePackageShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, cs, group := rulePackageWorld(t, st)
		police := cs["police-fr"]

		// Refusals.
		bad := strings.Replace(pkgJSON, "third_party", "third_party && depart", 1)
		_, err := h.CreateRulePackage(ctx, police, hub.RulePackageInput{Package: json.RawMessage(bad), TLP: "amber", Audience: &intel.Audience{Groups: []string{group}}})
		var fe *intel.FieldError
		if !errors.As(err, &fe) || fe.Field != "package.rules[1].expr" || fe.Value != "third_party && depart" || !strings.Contains(fe.Reason, "line 1, column 16") || !strings.Contains(fe.Reason, "depart") {
			t.Fatalf("a rule that does not compile: %v", err)
		}
		for _, tc := range []struct {
			in    hub.RulePackageInput
			field string
		}{
			{hub.RulePackageInput{Package: json.RawMessage(pkgJSON)}, "tlp"},
			{hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "white"}, "tlp"},
			{hub.RulePackageInput{TLP: "amber"}, "package"},
			{hub.RulePackageInput{Package: json.RawMessage(`{"rules":[],"extra":1}`), TLP: "amber"}, "package"},
			{hub.RulePackageInput{Package: json.RawMessage(strings.Replace(pkgJSON, "0.5", "0", 1)), TLP: "amber"}, "package.threshold"},
			{hub.RulePackageInput{Package: json.RawMessage(strings.Replace(pkgJSON, `"version":1`, `"version":3`, 1)), TLP: "amber"}, "package.version"},
			{hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "amber", Audience: &intel.Audience{Orgs: []string{"nobody"}}}, "audience.orgs"},
			{hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "amber", Audience: &intel.Audience{Groups: []string{"g-other"}}}, "audience.groups"},
			{hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "amber", Handling: &intel.Handling{Codes: []string{"H9"}}}, "handling.codes"},
		} {
			_, err := h.CreateRulePackage(ctx, police, tc.in)
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%s: got %v", tc.field, err)
			}
		}
		if _, err := h.CreateRulePackage(ctx, &policy.Caller{Org: "police-fr", Role: intel.RoleReader, TokenID: "r"}, hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "amber"}); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("a reader publishes: %v", err)
		}

		// Publish to the group, amber.
		p, err := h.CreateRulePackage(ctx, police, hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "amber",
			Audience: &intel.Audience{Groups: []string{group}}, Handling: &intel.Handling{Codes: []string{"H1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != 1 || p.ID == "paris-2026" || p.Package.ID != p.ID || p.Originator != "police-fr" || len(p.Package.Rules) != 2 {
			t.Fatalf("published: %+v", p)
		}
		sees := func(id string, want map[string]bool) {
			t.Helper()
			for org, c := range cs {
				got, err := h.GetRulePackage(ctx, c, id, 0)
				switch {
				case want[org] && (err != nil || got.ID != id):
					t.Errorf("%s does not see %s: %v", org, id, err)
				case !want[org] && !errors.Is(err, intel.ErrNotFound):
					t.Errorf("%s sees %s: %+v %v", org, id, got, err)
				}
				list, err := h.ListRulePackages(ctx, c)
				if err != nil {
					t.Fatal(err)
				}
				listed := false
				for _, l := range list {
					listed = listed || l.ID == id
				}
				if listed != want[org] {
					t.Errorf("%s lists %s: %v, want %v", org, id, listed, want[org])
				}
				if _, err := h.RulePackage(ctx, c, id); want[org] != (err == nil) {
					t.Errorf("%s screens with %s: %v", org, id, err)
				}
			}
		}
		members := map[string]bool{"police-fr": true, "air-a": true, "air-b": true}
		sees(p.ID, members)
		if got, _ := h.GetRulePackage(ctx, cs["air-a"], p.ID, 0); len(got.Audience.Groups) != 1 || got.Handling.Codes[0] != "H1" || got.TLP != intel.Amber {
			t.Errorf("air-a's view: %+v", got)
		}

		// The other TLPs and audiences.
		for _, tc := range []struct {
			tlp  string
			aud  intel.Audience
			want map[string]bool
		}{
			{"green", intel.Audience{}, map[string]bool{"police-fr": true, "air-a": true, "air-b": true, "air-c": true, "bank-x": true}},
			{"clear", intel.Audience{}, map[string]bool{"police-fr": true, "air-a": true, "air-b": true, "air-c": true, "bank-x": true}},
			{"amber", intel.Audience{Orgs: []string{"air-c"}}, map[string]bool{"police-fr": true, "air-c": true}},
			{"amber+strict", intel.Audience{Orgs: []string{"air-a"}, Groups: []string{group}}, map[string]bool{"police-fr": true, "air-a": true}},
			{"red", intel.Audience{Groups: []string{group}}, map[string]bool{"police-fr": true}},
		} {
			q, err := h.CreateRulePackage(ctx, police, hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: tc.tlp, Audience: &tc.aud})
			if err != nil {
				t.Fatal(err)
			}
			sees(q.ID, tc.want)
		}

		// Revision: the originator only.
		for _, org := range []string{"air-a", "air-c"} {
			_, err := h.ReviseRulePackage(ctx, cs[org], p.ID, hub.RulePackageInput{Package: json.RawMessage(pkgJSON)})
			if want := map[string]error{"air-a": intel.ErrForbidden, "air-c": intel.ErrNotFound}[org]; !errors.Is(err, want) {
				t.Errorf("%s revises: %v, want %v", org, err, want)
			}
		}
		rev := strings.Replace(strings.Replace(pkgJSON, `"version":1`, `"version":2`, 1), "0.5", "0.6", 1)
		p2, err := h.ReviseRulePackage(ctx, police, p.ID, hub.RulePackageInput{Package: json.RawMessage(rev), Audience: &intel.Audience{Orgs: []string{"air-c"}}})
		if err != nil {
			t.Fatal(err)
		}
		if p2.ID != p.ID || p2.Version != 2 || p2.Package.Threshold != 0.6 || p2.TLP != intel.Amber || p2.Handling.Codes[0] != "H1" {
			t.Fatalf("revised: %+v", p2)
		}
		if _, err := h.ReviseRulePackage(ctx, police, p.ID, hub.RulePackageInput{Package: json.RawMessage(rev)}); !errors.As(err, &fe) || fe.Field != "package.version" {
			t.Errorf("a revision from an old version: %v", err)
		}
		// Now air-c alone sees it; version 1 is shown to nobody outside
		// both audiences.
		sees(p.ID, map[string]bool{"police-fr": true, "air-c": true})
		if _, err := h.GetRulePackage(ctx, cs["air-c"], p.ID, 1); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("air-c reads version 1, made for the group: %v", err)
		}
		if v1, err := h.GetRulePackage(ctx, police, p.ID, 1); err != nil || v1.Package.Threshold != 0.5 {
			t.Errorf("police reads version 1: %+v %v", v1, err)
		}
		if c, err := h.RulePackage(ctx, cs["air-c"], p.ID); err != nil || c.Package.Version != 2 {
			t.Errorf("air-c compiles: %v", err)
		}

		// Revocation.
		if _, err := h.RevokeRulePackage(ctx, cs["air-c"], p.ID, "no"); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("air-c revokes: %v", err)
		}
		r, err := h.RevokeRulePackage(ctx, police, p.ID, "superseded")
		if err != nil || r.Revoked == nil || r.RevokedReason != "superseded" {
			t.Fatalf("revoke: %+v %v", r, err)
		}
		if _, err := h.RevokeRulePackage(ctx, police, p.ID, "again"); !errors.Is(err, intel.ErrConflict) {
			t.Errorf("revoked twice: %v", err)
		}
		if _, err := h.ReviseRulePackage(ctx, police, p.ID, hub.RulePackageInput{TLP: "green"}); !errors.Is(err, intel.ErrConflict) {
			t.Errorf("revised after revocation: %v", err)
		}
		if _, err := h.RulePackage(ctx, cs["air-c"], p.ID); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("a revoked package compiles: %v", err)
		}
		if got, err := h.GetRulePackage(ctx, cs["air-c"], p.ID, 0); err != nil || got.Revoked == nil {
			t.Errorf("air-c reads the revoked package: %+v %v", got, err)
		}

		// The log: three changes of p, and air-c's reads disclosed.
		entries, err := h.EvidenceEntries(ctx, &policy.Caller{Org: "police-fr", Role: intel.RoleAdmin, TokenID: "tok-police-fr"}, 0, 999)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[evidence.Action]int{}
		disclosedTo := map[string]bool{}
		for _, e := range entries {
			for _, o := range e.Leaf.Objects {
				if o.Kind == evidence.KindRulePackage && strings.HasPrefix(o.ID, p.ID+"@") {
					actions[e.Leaf.Action]++
					if e.Leaf.Action == evidence.Disclose {
						disclosedTo[e.Leaf.Org] = true
					}
				}
			}
		}
		if actions[evidence.RulePackageCreate] != 1 || actions[evidence.RulePackageRevise] != 1 || actions[evidence.RulePackageRevoke] != 1 || !disclosedTo["air-c"] || !disclosedTo["air-a"] || disclosedTo["police-fr"] {
			t.Errorf("leaves on %s: %v, disclosed to %v", p.ID, actions, disclosedTo)
		}
		verifyClean(t, h, st)

		// An edit of a stored package outside fusion is caught.
		if _, err := st.DB().Exec(`UPDATE rule_packages SET body = REPLACE(body, '0.6', '9') WHERE version = 2`); err != nil {
			t.Fatal(err)
		}
		n := h.Evidence().Notary()
		rep, err := evidence.Verify(ctx, st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
		if err != nil || rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "rule-package "+p.ID+"@2 was changed outside fusion") {
			t.Fatalf("evidence verify after an edit of rule_packages: %v %v", rep, err)
		}
	})
}

// hashedBooking is a booking with hashed names: cardholder ≠ traveller,
// departing 20 hours after it was booked.
func hashedBooking(id string, i int, booked time.Time) []byte {
	return fmt.Appendf(nil, `{"id":%q,"booked":%q,"departure":%q,"origin":"CDG","destination":"FCO","origin_country":"FR","destination_country":"IT",`+
		`"bin_country":"FR","ip_country":"TH","client_ip":"203.0.113.9","card_bin":"497010","cardholder":"%064x","traveller":"%064x",`+
		`"booker":"%064x","card":"%064x","amount":"200.00","currency":"EUR","channel":"web"}`,
		id, booked.Format(time.RFC3339), booked.Add(20*time.Hour).Format(time.RFC3339), 1, 100+i, 7, 9)
}

// TestScreenWithPackage: air-a's booking engine screens with police-fr's
// package (its current version), the first booking logging the use as a
// disclosure and the later ones not; the same booking engine without a
// package gets the built-in one, in a screener of its own; a revision
// starts a new screener on the new version; air-c, outside the audience,
// and a reader token are refused.
func TestScreenWithPackage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, cs, group := rulePackageWorld(t, st)
		p, err := h.CreateRulePackage(ctx, cs["police-fr"], hub.RulePackageInput{Package: json.RawMessage(pkgJSON), TLP: "amber", Audience: &intel.Audience{Groups: []string{group}}})
		if err != nil {
			t.Fatal(err)
		}
		engine := &policy.Caller{Org: "air-a", Role: intel.RoleSensor, TokenID: "tok-engine-a", Groups: cs["air-a"].Groups}
		start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		disclosures := func() int {
			t.Helper()
			entries, err := h.EvidenceEntries(ctx, &policy.Caller{Org: "police-fr", Role: intel.RoleAdmin, TokenID: "x"}, 0, 999)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if e.Leaf.Action == evidence.Disclose && e.Leaf.Token == "tok-engine-a" {
					n++
				}
			}
			return n
		}
		var r hub.ScreenResult
		for i := range 3 {
			if r, err = h.ScreenWithPackage(ctx, engine, p.ID, hashedBooking(fmt.Sprintf("BK%d", i), i, start.Add(time.Duration(i)*time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
		if r.Package != p.ID+"@1" || r.Decision != hub.ScreenFlag || r.Threshold != 0.5 || len(r.Reasons) != 2 || r.Ring == nil || r.Ring.Size != 3 {
			t.Fatalf("screened with the package: %+v", r)
		}
		if n := disclosures(); n != 1 {
			t.Errorf("%d disclosures of the package to air-a's engine, want 1 (its first use)", n)
		}
		if r, err = h.ScreenWithPackage(ctx, engine, "", hashedBooking("BK9", 9, start)); err != nil || r.Package != "action-day-default@1" || r.Ring != nil {
			t.Fatalf("without a package: %+v %v", r, err)
		}
		rev := strings.Replace(strings.Replace(pkgJSON, "0.5", "0.7", 1), `"version":1`, `"version":2`, 1)
		if _, err := h.ReviseRulePackage(ctx, cs["police-fr"], p.ID, hub.RulePackageInput{Package: json.RawMessage(rev)}); err != nil {
			t.Fatal(err)
		}
		if r, err = h.ScreenWithPackage(ctx, engine, p.ID, hashedBooking("BK3", 3, start.Add(3*time.Hour))); err != nil || r.Package != p.ID+"@2" || r.Threshold != 0.7 || r.Ring != nil {
			t.Fatalf("after the revision: %+v %v", r, err)
		}
		if n := disclosures(); n != 2 {
			t.Errorf("%d disclosures after the revision, want 2", n)
		}
		outsider := &policy.Caller{Org: "air-c", Role: intel.RoleSensor, TokenID: "tok-engine-c"}
		if _, err := h.ScreenWithPackage(ctx, outsider, p.ID, hashedBooking("BK4", 4, start)); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("air-c screens with the package: %v", err)
		}
		if _, err := h.ScreenWithPackage(ctx, &policy.Caller{Org: "air-a", Role: intel.RoleReader, TokenID: "r", Groups: engine.Groups}, p.ID, hashedBooking("BK5", 5, start)); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("a reader screens: %v", err)
		}
	})
}
