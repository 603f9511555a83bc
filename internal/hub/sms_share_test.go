package hub_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// smsOrgs returns a hub over st holding the organizations, each of its
// sector (id → sector), an analyst caller of each and a sensor caller of
// each (the token on its sender's backend).
func smsOrgs(t *testing.T, st *store.Store, sectors map[string]string) (*hub.Hub, map[string]*policy.Caller, map[string]*policy.Caller) {
	t.Helper()
	h := newHub(t, st)
	analysts, sensors := map[string]*policy.Caller{}, map[string]*policy.Caller{}
	for o, sector := range sectors {
		if _, err := h.OperatorCreateOrg(context.Background(), o, o, "NL", sector, false); err != nil {
			t.Fatal(err)
		}
		analysts[o] = &policy.Caller{Org: o, Role: intel.RoleAnalyst, TokenID: "tok-" + o}
		sensors[o] = &policy.Caller{Org: o, Role: intel.RoleSensor, TokenID: "tok-sensor-" + o}
	}
	return h, analysts, sensors
}

// smsFirst asks c's guard about one number of app and returns the decision.
func smsFirst(t *testing.T, h *hub.Hub, c *policy.Caller, app, number string, at time.Time) sms.Decision {
	t.Helper()
	d, err := h.SMSCheck(context.Background(), c, &sms.Request{App: app, Number: number, IP: netip.MustParseAddr("192.0.2.10"), Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sharedBlock(d sms.Decision) bool {
	return d.Decision == sms.Block && d.Reasons.Has(sms.ReasonShared)
}

// TestSMSShareReachesOnlyItsAudience: a bank shares the range its app was
// pumped on, green to the telcos and its groups by default. A telco's
// guard (made before the share) blocks the campaign's first request with
// reason shared, as does the guard of a member of the bank's group (made
// after it); an airline, neither in the audience nor in the group, is not
// blocked by it though it may read the green record. Widening the
// audience to the airline blocks it there; revoking the record lifts
// every shared block. The share itself is a record.create in the evidence
// log, and the telco's guard's use of it a disclosure to the telco.
func TestSMSShareReachesOnlyItsAudience(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, analysts, sensors := smsOrgs(t, st, map[string]string{"bank-a": "bank", "telco-b": "telco", "airline-c": "airline", "police-d": "police"})
		if _, err := h.OperatorCreateGroup(ctx, "g-fraud", "fraud desk", "bank-a"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.OperatorAddMember(ctx, "g-fraud", "police-d"); err != nil {
			t.Fatal(err)
		}
		bank := analysts["bank-a"]
		bank.Groups = []string{"g-fraud"}
		start := time.Now().UTC().Add(-10 * time.Minute)

		// The telco's and the airline's guards exist before the share.
		for _, o := range []string{"telco-b", "airline-c"} {
			if d := smsFirst(t, h, sensors[o], "otp", "+31612345678", start); d.Decision != sms.Allow {
				t.Fatalf("%s's first request: %+v", o, d)
			}
		}
		if d := smsPump(t, h, sensors["bank-a"], "shop", start, 30); d.Decision != sms.Block || d.Prefix != "+37121234" {
			t.Fatalf("the bank's burst: %+v", d)
		}
		rec, err := h.SMSShare(ctx, bank, "shop", "+371 2123 4xxx", hub.SMSShareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type != observable.PhoneRange || rec.Value != "+37121234" || rec.Region != "LV" || !slices.Equal(rec.Labels, []string{"sms-pumping"}) ||
			rec.TLP != intel.Green || !slices.Equal(rec.Audience.Orgs, []string{"telco-b"}) || !slices.Equal(rec.Audience.Groups, []string{"g-fraud"}) ||
			!strings.Contains(rec.Description, "confirmed from app shop's guard: rule ") || rec.FirstSeen == nil || rec.Originator != "bank-a" {
			t.Fatalf("shared record: %+v", rec)
		}
		at := start.Add(5 * time.Minute)
		if d := smsFirst(t, h, sensors["telco-b"], "otp", "+37121234555", at); !sharedBlock(d) || d.Rule != "shared-intelligence" || d.Prefix != "+37121234" {
			t.Fatalf("the telco's first request to the shared range: %+v", d)
		}
		if d := smsFirst(t, h, sensors["police-d"], "otp", "+37121234556", at); !sharedBlock(d) {
			t.Fatalf("the bank's group member's first request to the shared range: %+v", d)
		}
		if d := smsFirst(t, h, sensors["airline-c"], "otp", "+37121234557", at); d.Reasons.Has(sms.ReasonShared) {
			t.Fatalf("LEAK: the airline, outside the audience, is blocked by the bank's range: %+v", d)
		}
		if _, err := h.GetRecord(ctx, analysts["airline-c"], rec.ID); err != nil {
			t.Fatalf("the airline cannot read the green record: %v", err)
		}

		// The telco's guard's use of the record is a disclosure to it.
		entries, err := h.EvidenceEntries(ctx, bank, 0, hub.MaxEntries)
		if err != nil {
			t.Fatal(err)
		}
		var created, disclosed bool
		for _, e := range entries {
			for _, o := range e.Leaf.Objects {
				if o.ID == rec.ID {
					created = created || e.Leaf.Action == evidence.RecordCreate
					disclosed = disclosed || e.Leaf.Action == evidence.Disclose && e.Leaf.Org == "telco-b"
				}
			}
		}
		if !created || !disclosed {
			t.Fatalf("evidence: created %v, disclosed to the telco %v", created, disclosed)
		}

		// Widening the audience reaches the airline; narrowing it again does not.
		aud := intel.Audience{Orgs: []string{"telco-b", "airline-c"}, Groups: []string{"g-fraud"}}
		if _, err := h.UpdateRecord(ctx, bank, rec.ID, intel.RecordPatch{Audience: &aud}); err != nil {
			t.Fatal(err)
		}
		if d := smsFirst(t, h, sensors["airline-c"], "otp", "+37121234558", at); !sharedBlock(d) {
			t.Fatalf("the airline, added to the audience: %+v", d)
		}
		aud.Orgs = []string{"telco-b"}
		if _, err := h.UpdateRecord(ctx, bank, rec.ID, intel.RecordPatch{Audience: &aud}); err != nil {
			t.Fatal(err)
		}
		if d := smsFirst(t, h, sensors["airline-c"], "otp", "+37121234559", at); d.Reasons.Has(sms.ReasonShared) {
			t.Fatalf("LEAK: the airline, taken out of the audience, is still blocked: %+v", d)
		}
		// Leaving the group takes the range from the group's member.
		bankAdmin := *bank
		bankAdmin.Role = intel.RoleAdmin
		if _, err := h.RemoveGroupMember(ctx, &bankAdmin, "g-fraud", "police-d"); err != nil {
			t.Fatal(err)
		}
		if d := smsFirst(t, h, sensors["police-d"], "otp", "+37121234560", at); d.Reasons.Has(sms.ReasonShared) {
			t.Fatalf("LEAK: police-d left the group and is still blocked: %+v", d)
		}

		if _, err := h.RevokeRecord(ctx, bank, rec.ID, "range holder reclaimed it"); err != nil {
			t.Fatal(err)
		}
		if d := smsFirst(t, h, sensors["telco-b"], "otp", "+37121234561", at); d.Reasons.Has(sms.ReasonShared) {
			t.Fatalf("the telco is still blocked by a revoked range: %+v", d)
		}
	})
}

// TestSMSShareAmberAndOwn: an amber range reaches only its audience (the
// gate hides it from the others); the sharer's own guard holds its own
// range, for its other apps too.
func TestSMSShareAmberAndOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, analysts, sensors := smsOrgs(t, st, map[string]string{"bank-a": "bank", "telco-b": "telco", "telco-c": "telco"})
		at := time.Now().UTC()
		rec, err := h.SMSShare(ctx, analysts["bank-a"], "shop", "+4479460", hub.SMSShareOptions{TLP: "amber", Audience: &intel.Audience{Orgs: []string{"telco-c"}}})
		if err != nil {
			t.Fatal(err)
		}
		if rec.TLP != intel.Amber || rec.Carrier != "EE" || !strings.Contains(rec.Description, "on the operator's word") || rec.FirstSeen != nil {
			t.Fatalf("record: %+v", rec)
		}
		for o, want := range map[string]bool{"bank-a": true, "telco-b": false, "telco-c": true} {
			if d := smsFirst(t, h, sensors[o], "login", "+447946012345", at); sharedBlock(d) != want {
				t.Errorf("%s: %+v, want shared block %v", o, d, want)
			}
		}
		if _, err := h.GetRecord(ctx, analysts["telco-b"], rec.ID); !errors.Is(err, intel.ErrNotFound) {
			t.Fatalf("telco-b reads the amber record: %v", err)
		}
	})
}

// TestSMSShareInput: bad input names the field, the value and the
// reason; only analysts and admins share.
func TestSMSShareInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, analysts, sensors := smsOrgs(t, st, map[string]string{"bank-a": "bank"})
		a := analysts["bank-a"]
		for _, tc := range []struct {
			app, prefix, tlp string
			aud              *intel.Audience
			field, value     string
		}{
			{"", "+4479460", "", nil, "app", ""},
			{"shop", "+44", "", nil, "prefix", "+44"},
			{"shop", "4479460", "", nil, "prefix", "4479460"},
			{"shop", "+44" + strings.Repeat("7", 13), "", nil, "prefix", "+44" + strings.Repeat("7", 13)},
			{"shop", "+4479460", "purple", nil, "tlp", "purple"},
			{"shop", "+4479460", "", &intel.Audience{Orgs: []string{"nobody"}}, "audience", ""},
		} {
			_, err := h.SMSShare(ctx, a, tc.app, tc.prefix, hub.SMSShareOptions{TLP: tc.tlp, Audience: tc.aud})
			var fe *intel.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, tc.field) || !strings.Contains(fe.Value, tc.value) || fe.Reason == "" {
				t.Errorf("SMSShare(%q, %q, tlp %q, %v): %v, want a field error on %s", tc.app, tc.prefix, tc.tlp, tc.aud, err, tc.field)
			}
		}
		for _, role := range []intel.Role{intel.RoleSensor, intel.RoleReader, intel.RolePartner} {
			c := &policy.Caller{Org: "bank-a", Role: role, TokenID: "tok"}
			if _, err := h.SMSShare(ctx, c, "shop", "+4479460", hub.SMSShareOptions{}); !errors.Is(err, intel.ErrForbidden) {
				t.Errorf("a %s token shares: %v", role, err)
			}
		}
		_ = sensors
	})
}

// TestSMSShareTakedownFeedback: a telco confirms a shared range with
// feedback (takedown: the range holder was contacted), and the bank sees it.
func TestSMSShareTakedownFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, analysts, _ := smsOrgs(t, st, map[string]string{"bank-a": "bank", "telco-b": "telco"})
		rec, err := h.SMSShare(ctx, analysts["bank-a"], "shop", "+3712123", hub.SMSShareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.AddFeedback(ctx, analysts["telco-b"], rec.ID, "takedown", "range holder contacted, range withdrawn"); err != nil {
			t.Fatal(err)
		}
		sum, err := h.Feedback(ctx, analysts["bank-a"], 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Totals["takedown"] != 1 || len(sum.Records) != 1 || sum.Records[0].Record != rec.ID || sum.Records[0].Outcomes["takedown"] != 1 {
			t.Fatalf("the bank's feedback: %+v", sum)
		}
	})
}
