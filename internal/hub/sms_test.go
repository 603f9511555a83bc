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
