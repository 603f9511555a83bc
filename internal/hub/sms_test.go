package hub_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// smsPump sends c's app a pumping burst: n consecutive Latvian mobile
// numbers of one block, two seconds apart, each from another address,
// no code entered. It returns the last decision.
func smsPump(t *testing.T, h interface {
	SMSCheck(context.Context, *policy.Caller, *sms.Request) (sms.Decision, error)
}, c *policy.Caller, app string, start time.Time, n int) sms.Decision {
	t.Helper()
	var d sms.Decision
	for i := range n {
		req := sms.Request{App: app, Number: fmt.Sprintf("+37121234%03d", 100+i), IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i%250 + 1)}),
			Time: start.Add(time.Duration(i) * 2 * time.Second)}
		var err error
		if d, err = h.SMSCheck(context.Background(), c, &req); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestSMSGuardPerOrganization: each organization's apps have a guard of
// their own: a block placed for org-a's app is not org-b's, even for an
// app of the same name; blocks are listed with their reasons to their
// organization only; the roles are as docs/policy.md states; a release is
// logged (sms.release) and lifts the block, and releasing what is not
// blocked is not found and logs nothing.
func TestSMSGuardPerOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		a, b := callers["org-a"], callers["org-b"]
		start := time.Now().UTC().Add(-2 * time.Minute)

		if bs, err := h.SMSBlocks(ctx, a); err != nil || bs == nil || len(bs) != 0 {
			t.Fatalf("blocks before any check: %v %v", bs, err)
		}
		sensor := &policy.Caller{Org: "org-a", Role: intel.RoleSensor, TokenID: "tok-sensor"}
		if d := smsPump(t, h, sensor, "shop", start, 30); d.Decision != sms.Block || d.Prefix != "+37121234" {
			t.Fatalf("the burst's last decision: %+v", d)
		}
		d, err := h.SMSCheck(ctx, b, &sms.Request{App: "shop", Number: "+37121234990", IP: netip.MustParseAddr("192.0.2.1"), Time: start.Add(time.Minute)})
		if err != nil || d.Decision != sms.Allow {
			t.Fatalf("org-b's first request to the block org-a blocks: %+v %v", d, err)
		}
		bs, err := h.SMSBlocks(ctx, sensor)
		if err != nil || len(bs) != 1 || bs[0].App != "shop" || bs[0].Prefix != "+37121234" || bs[0].Rule == "" || len(bs[0].Reasons) == 0 || bs[0].Country != "LV" {
			t.Fatalf("org-a's blocks: %+v %v", bs, err)
		}
		if bs, err := h.SMSBlocks(ctx, b); err != nil || len(bs) != 0 {
			t.Fatalf("LEAK: org-b sees %+v (%v)", bs, err)
		}
		if s, err := h.SMSStats(ctx, sensor); err != nil || s.Apps != 1 || s.Blocks != 1 || s.Numbers != 16 || s.Requests != 16 {
			t.Fatalf("org-a's guard state: %+v %v", s, err)
		}
		if s, err := h.SMSStats(ctx, b); err != nil || s.Blocks != 1 || s.Numbers != 1 {
			t.Fatalf("org-b's guard state (one request): %+v %v", s, err)
		}
		if _, err := h.SMSStats(ctx, &policy.Caller{Org: "org-a", Role: intel.RolePartner, TokenID: "tok-x"}); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("a partner hub's token reads the guard's state: %v", err)
		}

		for _, c := range []struct {
			role intel.Role
			do   func(*policy.Caller) error
		}{
			{intel.RoleReader, func(c *policy.Caller) error { _, err := h.SMSCheck(ctx, c, &sms.Request{App: "shop"}); return err }},
			{intel.RolePartner, func(c *policy.Caller) error { return h.SMSVerified(ctx, c, &sms.Verified{App: "shop"}) }},
			{intel.RolePartner, func(c *policy.Caller) error { _, err := h.SMSBlocks(ctx, c); return err }},
			{intel.RoleSensor, func(c *policy.Caller) error { _, err := h.SMSRelease(ctx, c, "shop", "+37121234"); return err }},
			{intel.RoleReader, func(c *policy.Caller) error { _, err := h.SMSRelease(ctx, c, "shop", "+37121234"); return err }},
			{intel.RolePartner, func(c *policy.Caller) error { _, err := h.SMSRelease(ctx, c, "shop", "+37121234"); return err }},
		} {
			if err := c.do(&policy.Caller{Org: "org-a", Role: c.role, TokenID: "tok-x"}); !errors.Is(err, intel.ErrForbidden) {
				t.Errorf("%s: %v, want forbidden", c.role, err)
			}
		}

		size := func() int64 {
			n, err := h.Evidence().Size(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := size()
		if _, err := h.SMSRelease(ctx, b, "shop", "+37121234"); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("org-b releasing org-a's block: %v, want not found", err)
		}
		var fe *intel.FieldError
		if _, err := h.SMSRelease(ctx, a, "shop", "37121234"); !errors.As(err, &fe) || fe.Field != "prefix" {
			t.Errorf("a prefix without +: %v", err)
		}
		if _, err := h.SMSRelease(ctx, a, "", "+37121234"); !errors.As(err, &fe) || fe.Field != "app" {
			t.Errorf("no app: %v", err)
		}
		if size() != before {
			t.Fatal("refused releases were logged")
		}
		analyst := &policy.Caller{Org: "org-a", Role: intel.RoleAnalyst, TokenID: "tok-analyst", Purpose: "launch in Latvia"}
		rel, err := h.SMSRelease(ctx, analyst, "shop", "+37121234")
		if err != nil || rel.Prefix != "+37121234" {
			t.Fatalf("the analyst's release: %+v %v", rel, err)
		}
		if bs, err := h.SMSBlocks(ctx, a); err != nil || len(bs) != 0 {
			t.Fatalf("blocks after the release: %+v %v", bs, err)
		}
		if size() != before+1 {
			t.Fatalf("the release logged %d leaves, want 1", size()-before)
		}
		es, err := h.EvidenceEntries(ctx, a, before, before+1)
		if err != nil || len(es) != 1 {
			t.Fatalf("the release's leaf: %+v %v", es, err)
		}
		l := es[0].Leaf
		if l.Action != evidence.SMSRelease || l.Org != "org-a" || l.Token != "tok-analyst" || l.Purpose != "launch in Latvia" ||
			len(l.Objects) != 1 || l.Objects[0].ID != "shop +37121234" || l.Objects[0].Owner != "org-a" {
			t.Fatalf("the release's leaf: %+v", l)
		}
		if _, err := h.SMSRelease(ctx, analyst, "shop", "+37121234"); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("releasing twice: %v, want not found", err)
		}
	})
}

// TestSMSStateSurvivesRestart: a hub that saved its guards' state and a
// new hub over the same store (a restart) has the same blocks in force
// with their reasons, goes on blocking the campaign, and keeps each
// organization's state its own; a hub that saved nothing starts afresh.
func TestSMSStateSurvivesRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		a, b := callers["org-a"], callers["org-b"]
		start := time.Now().UTC().Add(-2 * time.Minute)
		sensor := &policy.Caller{Org: "org-a", Role: intel.RoleSensor, TokenID: "tok-sensor"}
		if d := smsPump(t, h, sensor, "shop", start, 30); d.Decision != sms.Block {
			t.Fatalf("the burst's last decision: %+v", d)
		}
		before, err := h.SMSBlocks(ctx, a)
		if err != nil || len(before) == 0 {
			t.Fatalf("blocks: %v %v", before, err)
		}
		if n, size, err := h.SaveSMS(ctx); err != nil || n != 1 || size == 0 {
			t.Fatalf("SaveSMS: %d guards, %d bytes, %v", n, size, err)
		}
		// Nothing changed since: nothing is written again.
		if n, _, err := h.SaveSMS(ctx); err != nil || n != 0 {
			t.Fatalf("SaveSMS with nothing new: %d guards, %v", n, err)
		}

		h2 := newHub(t, st)
		after, err := h2.SMSBlocks(ctx, a)
		if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("after the restart: %v %v, want %v", after, err, before)
		}
		d, err := h2.SMSCheck(ctx, sensor, &sms.Request{App: "shop", Number: "+37121234990", IP: netip.MustParseAddr("192.0.2.1"), Time: start.Add(2 * time.Minute)})
		if err != nil || d.Decision != sms.Block || d.Rule != "prefix-blocked" {
			t.Fatalf("after the restart, a number of the blocked range: %+v %v", d, err)
		}
		if bs, err := h2.SMSBlocks(ctx, b); err != nil || len(bs) != 0 {
			t.Fatalf("org-b after the restart: %v %v", bs, err)
		}

		// A store with no saved state: the guard starts afresh.
		st2 := storetest.SQLite(t)
		h3, c3 := withOrgs(t, st2, "org-a")
		if bs, err := h3.SMSBlocks(ctx, c3["org-a"]); err != nil || len(bs) != 0 {
			t.Fatalf("a new store: %v %v", bs, err)
		}
	})
}

// TestSMSConfigure: an organization's admin sets an app's settings (an
// analyst, a sensor and a reader may not), they take effect at once and
// after a restart, are logged (sms.configure) so that evidence verify
// passes and catches an edit of the stored settings, and another
// organization neither sees nor is affected by them.
func TestSMSConfigure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		a, b := callers["org-a"], callers["org-b"]
		start := time.Now().UTC().Add(-time.Minute)
		sensor := &policy.Caller{Org: "org-a", Role: intel.RoleSensor, TokenID: "tok-sensor"}
		lv := &sms.Request{App: "shop", Number: "+37121234567", IP: netip.MustParseAddr("192.0.2.1"), Time: start}
		if d, err := h.SMSCheck(ctx, sensor, lv); err != nil || d.Decision != sms.Allow {
			t.Fatalf("before: %+v %v", d, err)
		}
		if got, err := h.SMSAppSettings(ctx, a, "shop"); err != nil || string(got.Settings.JSON()) != string(sms.DefaultSettings().JSON()) || !got.Updated.IsZero() {
			t.Fatalf("settings before: %+v %v", got, err)
		}
		set := sms.Settings{Mode: "block", Shared: "challenge", Allowed: []string{"GB", "IE"}, SafeNumbers: []string{"+37120000001"}}
		for _, role := range []intel.Role{intel.RoleAnalyst, intel.RoleSensor, intel.RoleReader} {
			c := &policy.Caller{Org: "org-a", Role: role, TokenID: "tok-" + string(role)}
			if _, err := h.SMSConfigure(ctx, c, "shop", set); !errors.Is(err, intel.ErrForbidden) {
				t.Errorf("%s configures: %v", role, err)
			}
		}
		if _, err := h.SMSConfigure(ctx, a, "shop", sms.Settings{Mode: "loud", Shared: "block"}); err == nil {
			t.Error("a mode that does not exist was taken")
		}
		got, err := h.SMSConfigure(ctx, a, "shop", set)
		if err != nil || got.Updated.IsZero() || got.Settings.Shared != "challenge" {
			t.Fatalf("configure: %+v %v", got, err)
		}
		if _, err := h.SMSConfigure(ctx, a, "shop", set); err != nil { // unchanged: nothing logged
			t.Fatal(err)
		}
		lv.Time = start.Add(time.Second)
		if d, _ := h.SMSCheck(ctx, sensor, lv); d.Decision != sms.Block || d.Rule != "country-not-allowed" {
			t.Fatalf("after allowing GB and IE only, a Latvian number: %+v", d)
		}
		lv.Number = "+37120000001" // on the safe list
		if d, _ := h.SMSCheck(ctx, sensor, lv); d.Decision != sms.Allow {
			t.Fatalf("a safe number: %+v", d)
		}
		// org-b's app of the same name keeps the defaults.
		if d, _ := h.SMSCheck(ctx, b, &sms.Request{App: "shop", Number: "+37121234567", IP: netip.MustParseAddr("192.0.2.1"), Time: start}); d.Decision != sms.Allow {
			t.Fatalf("org-b: %+v", d)
		}
		if got, _ := h.SMSAppSettings(ctx, b, "shop"); !got.Updated.IsZero() {
			t.Fatalf("org-b sees settings: %+v", got)
		}
		verifyClean(t, h, st)

		// A restart: the guard is rebuilt with the settings.
		h2 := newHub(t, st)
		lv.Number, lv.Time = "+37121234568", start.Add(2*time.Second)
		if d, _ := h2.SMSCheck(ctx, sensor, lv); d.Rule != "country-not-allowed" {
			t.Fatalf("after a restart: %+v", d)
		}

		// An edit of the stored settings outside fusion is caught.
		if _, err := st.DB().Exec(`UPDATE sms_apps SET settings = '{"mode":"record-only","allowed":[],"shared":"block","safe_numbers":[],"safe_prefixes":[]}'`); err != nil {
			t.Fatal(err)
		}
		n := h.Evidence().Notary()
		rep, err := evidence.Verify(ctx, st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
		if err != nil || rep.OK() {
			t.Fatalf("evidence verify after an edit of sms_apps: %v %v", rep, err)
		}
	})
}
