package hub_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestSMSApps: an organization's apps show the traffic its guard decided
// on — requests by verdict, codes entered, per country and per block —
// and their blocks in force, to roles that read verdicts; another
// organization sees no app of it, even by name, and its own app of the
// same name is its own.
func TestSMSApps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		a, b := callers["org-a"], callers["org-b"]
		start := time.Now().UTC().Add(-10 * time.Minute)
		if apps, err := h.SMSApps(ctx, a); err != nil || apps == nil || len(apps) != 0 {
			t.Fatalf("apps before any check: %v %v", apps, err)
		}
		sensor := &policy.Caller{Org: "org-a", Role: intel.RoleSensor, TokenID: "tok-sensor"}
		// A German user who enters the code, then a pumping burst.
		legit := sms.Request{App: "shop", Number: "+4915112345678", IP: netip.MustParseAddr("192.0.2.9"), Time: start}
		if d, err := h.SMSCheck(ctx, sensor, &legit); err != nil || d.Decision != sms.Allow {
			t.Fatalf("the legitimate request: %+v %v", d, err)
		}
		if err := h.SMSVerified(ctx, sensor, &sms.Verified{App: "shop", Number: legit.Number, Time: start.Add(20 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		smsPump(t, h, sensor, "shop", start.Add(time.Minute), 30)

		apps, err := h.SMSApps(ctx, a)
		if err != nil || len(apps) != 1 || apps[0].App != "shop" || apps[0].Total.Requests != 31 || apps[0].Total.Entered != 1 ||
			apps[0].Total.Blocked == 0 || len(apps[0].Blocks) != 1 || apps[0].Blocks[0].Prefix != "+37121234" || len(apps[0].Countries) != 0 {
			t.Fatalf("org-a's apps: %+v %v", apps, err)
		}
		app, err := h.SMSApp(ctx, sensor, "shop")
		if err != nil || app.Total != apps[0].Total || len(app.Blocks) != 1 {
			t.Fatalf("org-a's shop: %+v %v", app, err)
		}
		byKey := map[string]sms.Tally{}
		for _, l := range append(app.Countries, app.Prefixes...) {
			byKey[l.Key] = l.Total
		}
		if lv, de, p := byKey["LV"], byKey["DE"], byKey["+37121234"]; lv.Requests != 30 || lv.Blocked != app.Total.Blocked || de.Requests != 1 || de.Entered != 1 || p != lv {
			t.Errorf("per country and prefix: %v", byKey)
		}
		if app.Prefixes[0].Key != "+37121234" || app.Prefixes[0].Country != "LV" {
			t.Errorf("the busiest prefix: %+v", app.Prefixes[0])
		}

		// org-b: nothing of org-a's, by listing or by name; its own shop
		// is its own.
		if apps, err := h.SMSApps(ctx, b); err != nil || len(apps) != 0 {
			t.Fatalf("LEAK: org-b lists %+v (%v)", apps, err)
		}
		if got, err := h.SMSApp(ctx, b, "shop"); !errors.Is(err, intel.ErrNotFound) {
			t.Fatalf("LEAK: org-b reads org-a's shop: %+v %v", got, err)
		}
		if _, err := h.SMSCheck(ctx, b, &sms.Request{App: "shop", Number: "+4915112345679", IP: netip.MustParseAddr("192.0.2.10"), Time: start}); err != nil {
			t.Fatal(err)
		}
		if got, err := h.SMSApp(ctx, b, "shop"); err != nil || got.Total.Requests != 1 || len(got.Blocks) != 0 {
			t.Fatalf("org-b's own shop: %+v %v", got, err)
		}

		// The roles: a partner hub's token reads no verdicts; a bad name
		// is a field error.
		partner := &policy.Caller{Org: "org-a", Role: intel.RolePartner, TokenID: "tok-p"}
		if _, err := h.SMSApps(ctx, partner); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("partner lists apps: %v", err)
		}
		if _, err := h.SMSApp(ctx, partner, "shop"); !errors.Is(err, intel.ErrForbidden) {
			t.Errorf("partner reads an app: %v", err)
		}
		var fe *intel.FieldError
		if _, err := h.SMSApp(ctx, a, "sh\x00op"); !errors.As(err, &fe) || fe.Field != "app" {
			t.Errorf("a name with a control character: %v", err)
		}

		// Released, the block leaves the app; the traffic stays.
		if _, err := h.SMSRelease(ctx, a, "shop", "+37121234"); err != nil {
			t.Fatal(err)
		}
		if app, err := h.SMSApp(ctx, a, "shop"); err != nil || len(app.Blocks) != 0 || app.Total.Requests != 31 {
			t.Fatalf("after the release: %+v %v", app, err)
		}
	})
}
