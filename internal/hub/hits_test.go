package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestHitsURLsOnDomain: a domain asked about finds the URL records on it and
// on names under it, flagged url-on-domain, under the same gate as every
// other hit; a URL finds URL records of the same target over another
// scheme (rule url) and records of its host (url-host).
func TestHitsURLsOnDomain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b", "org-c")
		ix := match.New(16)
		if err := h.EnableMatching(ix, bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 100}); err != nil {
			t.Fatal(err)
		}
		res, err := h.CreateRecords(ctx, callers["org-a"], []intel.RecordInput{
			// In org-b's audience, discoverable by the others.
			{Value: "https://login-bank-a.example.com/kit/", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Discoverable: ptr(true)},
			// org-a's alone, and not discoverable: nobody else may learn of it.
			{Value: "http://www.shop.example.net/pay", TLP: "red"},
			// A URL on a parent of the name asked about is not on it.
			{Value: "https://example.com/parent", TLP: "green"},
			{Value: "login-bank-a.example.com", TLP: "green"},
			// Revoked below: found by nothing.
			{Value: "https://gone.example.com/old", TLP: "green"},
		})
		if err != nil {
			t.Fatal(err)
		}
		id := map[string]string{}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			id[r.Value.Value] = r.Value.ID
		}
		if _, err := h.RevokeRecord(ctx, callers["org-a"], id["https://gone.example.com/old"], "taken down"); err != nil {
			t.Fatal(err)
		}
		kit, shop, parent, name := id["https://login-bank-a.example.com/kit/"], id["http://www.shop.example.net/pay"], id["https://example.com/parent"], id["login-bank-a.example.com"]

		// answers lists "record-id rule" for records and "hit:owner rule"
		// for hits, per value.
		answers := func(org string, values ...string) [][]string {
			t.Helper()
			ans, err := h.Hits(ctx, callers[org], values)
			if err != nil {
				t.Fatal(err)
			}
			out := make([][]string, len(ans))
			for i, a := range ans {
				out[i] = []string{}
				for _, r := range a.Records {
					out[i] = append(out[i], r.ID+" "+string(r.Rule))
				}
				for _, x := range a.Hits {
					if !x.Hit || x.Ref == "" {
						t.Fatalf("hit without reference: %+v", x)
					}
					out[i] = append(out[i], "hit:"+x.Owner+" "+string(x.Rule))
				}
				slices.Sort(out[i])
			}
			return out
		}
		sorted := func(s ...string) []string { slices.Sort(s); return s }
		for _, tt := range []struct {
			org    string
			values []string
			want   [][]string
		}{
			{"org-b", []string{"login-bank-a.example.com", "example.com", "www.login-bank-a.example.com", "http://login-bank-a.example.com/kit/", "shop.example.net", "gone.example.com"}, [][]string{
				sorted(kit+" url-on-domain", name+" exact"),
				sorted(kit+" url-on-domain", parent+" url-on-domain"),
				{},
				sorted(kit+" url", name+" url-host"),
				{}, // org-a's red record is not discoverable
				{},
			}},
			{"org-c", []string{"LOGIN-BANK-A.example[.]com", "hxxp://login-bank-a.example.com/kit/", "example.net"}, [][]string{
				sorted("hit:org-a url-on-domain", name+" exact"),
				sorted("hit:org-a url", name+" url-host"),
				{},
			}},
			{"org-a", []string{"shop.example.net", "www.shop.example.net", "example.net", "https://www.shop.example.net/pay"}, [][]string{
				{shop + " url-on-domain"}, {shop + " url-on-domain"}, {shop + " url-on-domain"}, {shop + " url"},
			}},
		} {
			if got := answers(tt.org, tt.values...); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s asks %q:\n got %v\nwant %v", tt.org, tt.values, got, tt.want)
			}
		}
		// The gate decides at the row: narrowing the kit record's audience
		// turns org-b's record into a hit.
		if _, err := h.UpdateRecord(ctx, callers["org-a"], kit, intel.RecordPatch{Audience: &intel.Audience{Orgs: []string{"org-c"}}}); err != nil {
			t.Fatal(err)
		}
		if got, want := answers("org-b", "example.com")[0], sorted("hit:org-a url-on-domain", parent+" url-on-domain"); !slices.Equal(got, want) {
			t.Errorf("after the audience changed, org-b gets %v, want %v", got, want)
		}
	})
}

// TestValueSearchURLsOnDomain: a value search for a domain lists the URL
// records on it and on names under it that the caller may see in full,
// flagged url-on-domain, merged with the domain's own records in id order
// across pages, and filtered like them.
func TestValueSearchURLsOnDomain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		if err := h.EnableMatching(match.New(16), bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 1000}); err != nil {
			t.Fatal(err)
		}
		create := func(org string, ins ...intel.RecordInput) {
			t.Helper()
			res, err := h.CreateRecords(ctx, callers[org], ins)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
		}
		green := func(v string, labels ...string) intel.RecordInput {
			return intel.RecordInput{Value: v, TLP: "green", Labels: labels}
		}
		create("org-a", green("https://login-bank-a.example.com/kit/", "phishing"), green("login-bank-a.example.com"),
			green("http://a.login-bank-a.example.com/x"), intel.RecordInput{Value: "http://b.login-bank-a.example.com/secret", TLP: "red"},
			green("https://example.com/elsewhere"))
		create("org-b", green("http://c.login-bank-a.example.com/y?z=1", "phishing"), green("login-bank-a.example.com"))

		list := func(org string, f hub.RecordFilter) []string {
			t.Helper()
			var out []string
			f.Limit = 2
			for range 10 {
				page, err := h.ListRecords(ctx, callers[org], f)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Rules) != len(page.Items) {
					t.Fatalf("%d rules for %d items", len(page.Rules), len(page.Items))
				}
				for i, r := range page.Items {
					out = append(out, r.Originator+" "+r.Value+" "+string(page.Rules[i]))
				}
				if page.Next == "" {
					slices.Sort(out)
					return out
				}
				f.Cursor = page.Next
			}
			t.Fatal("pagination does not end")
			return nil
		}
		for _, tt := range []struct {
			org  string
			f    hub.RecordFilter
			want []string
		}{
			{"org-b", hub.RecordFilter{Value: "LOGIN-BANK-A.example[.]com"}, []string{
				"org-a http://a.login-bank-a.example.com/x url-on-domain",
				"org-a https://login-bank-a.example.com/kit/ url-on-domain",
				"org-a login-bank-a.example.com exact",
				"org-b http://c.login-bank-a.example.com/y?z=1 url-on-domain",
				"org-b login-bank-a.example.com exact",
			}},
			{"org-a", hub.RecordFilter{Value: "b.login-bank-a.example.com", Type: "domain"}, []string{
				"org-a http://b.login-bank-a.example.com/secret url-on-domain",
			}},
			{"org-b", hub.RecordFilter{Value: "b.login-bank-a.example.com"}, nil}, // red, org-a's alone
			{"org-b", hub.RecordFilter{Value: "login-bank-a.example.com", Label: "phishing"}, []string{
				"org-a https://login-bank-a.example.com/kit/ url-on-domain",
				"org-b http://c.login-bank-a.example.com/y?z=1 url-on-domain",
			}},
			{"org-b", hub.RecordFilter{Value: "login-bank-a.example.com", Originator: "org-b"}, []string{
				"org-b http://c.login-bank-a.example.com/y?z=1 url-on-domain",
				"org-b login-bank-a.example.com exact",
			}},
			{"org-b", hub.RecordFilter{Value: "https://login-bank-a.example.com/kit/"}, []string{
				"org-a https://login-bank-a.example.com/kit/ exact",
			}},
		} {
			if got := list(tt.org, tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("%s lists %+v:\n got %q\nwant %q", tt.org, tt.f, got, tt.want)
			}
		}
	})
}
