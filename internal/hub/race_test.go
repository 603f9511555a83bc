package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

// TestNoAnswerAfterAudienceNarrowed: the match index trails the store (the
// feed here is never polled after a record is first indexed, and the
// changes are made through another hub on the same store, as another
// process would: the worst case), while the originator narrows a record's
// audience or revokes it.
// Requests by the organization that lost the record run concurrently; any
// of them that started after the change returned must neither match the
// record as a sighting nor name it in a hit/no-hit answer.
func TestNoAnswerAfterAudienceNarrowed(t *testing.T) {
	iterations := 1000
	if testing.Short() {
		iterations = 100
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h := newHub(t, st)
		for _, o := range []string{"org-a", "org-b"} {
			if _, err := h.OperatorCreateOrg(ctx, o, o, "NL", "bank", false); err != nil {
				t.Fatal(err)
			}
		}
		a := &policy.Caller{Org: "org-a", Role: intel.RoleAdmin, TokenID: "tok-a"}
		b := &policy.Caller{Org: "org-b", Role: intel.RoleAdmin, TokenID: "tok-b"}
		ix := match.New(16)
		feed := match.NewFeed(st, ix, nil)
		if _, err := feed.Load(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := h.EnableMatching(ix, bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 1 << 30, HitValues: 1 << 30, Lookups: 1 << 30}); err != nil {
			t.Fatal(err)
		}
		other := hub.New(st, canonicalizer(t), h.Evidence(), quietLog) // no match index
		other.SetWarningLists(warninglist.Fictional())
		leaks, requests := 0, 0
		for i := range iterations {
			value := fmt.Sprintf("race-%d.example.com", i)
			res, err := h.CreateRecords(ctx, a, []intel.RecordInput{{Value: value, TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Discoverable: ptr(i%3 == 0)}})
			if err != nil || res[0].Err != nil {
				t.Fatal(err, res[0].Err)
			}
			id := res[0].Value.ID
			if _, err := feed.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			// b uses the record before the change: the index knows it.
			if got := sees(t, h, b, value, id, false); got == "" {
				t.Fatalf("iteration %d: org-b does not see its own audience's record before the change", i)
			}
			var changed time.Time
			var mu sync.Mutex
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						if n > 0 {
							return
						}
					default:
					}
					mu.Lock()
					after := !changed.IsZero() // the change returned before this request starts
					mu.Unlock()
					got := sees(t, h, b, value, id, after && i%2 == 1)
					mu.Lock()
					requests++
					if got != "" && after {
						leaks++
						t.Errorf("iteration %d: a request started after the change still got the record through %s", i, got)
					}
					mu.Unlock()
				}
			}()
			if i%2 == 0 {
				_, err = other.UpdateRecord(ctx, a, id, intel.RecordPatch{Audience: &intel.Audience{}})
			} else {
				_, err = other.RevokeRecord(ctx, a, id, "")
			}
			if err != nil {
				close(stop) // the reader must not outlive the test
				wg.Wait()
				t.Fatal(err)
			}
			mu.Lock()
			changed = time.Now()
			mu.Unlock()
			// Requests that certainly start after the change.
			for range 2 {
				if got := sees(t, h, b, value, id, i%2 == 1); got != "" {
					leaks++
					t.Errorf("iteration %d: after the change, org-b still got the record through %s", i, got)
				}
			}
			close(stop)
			wg.Wait()
		}
		t.Logf("%d iterations, %d concurrent requests, %d leaks", iterations, requests, leaks)
	})
}

// TestChangesThroughTheHubMatchAtOnce: a record created, shared by an
// approved access request, narrowed or revoked through the hub is matched
// (or not) by the very next request, before the feed has polled.
func TestChangesThroughTheHubMatchAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h := newHub(t, st)
		for _, o := range []string{"org-a", "org-b", "org-c"} {
			if _, err := h.OperatorCreateOrg(ctx, o, o, "NL", "bank", false); err != nil {
				t.Fatal(err)
			}
		}
		a := &policy.Caller{Org: "org-a", Role: intel.RoleAdmin, TokenID: "tok-a"}
		b := &policy.Caller{Org: "org-b", Role: intel.RoleAdmin, TokenID: "tok-b"}
		c := &policy.Caller{Org: "org-c", Role: intel.RoleAdmin, TokenID: "tok-c"}
		ix := match.New(16)
		if err := h.EnableMatching(ix, bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 100, HitValues: 1000, Lookups: 100}); err != nil {
			t.Fatal(err)
		}
		const value = "at-once.example.com"
		res, err := h.CreateRecords(ctx, a, []intel.RecordInput{{Value: value, TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Discoverable: ptr(true)}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		id := res[0].Value.ID
		if got := sees(t, h, b, value, id, false); got != "sighting" {
			t.Fatalf("org-b, in the audience, right after the record was created: %q, want a sighting", got)
		}
		if got := sees(t, h, c, value, id, false); got != "" {
			t.Fatalf("org-c, outside the audience: %q", got)
		}
		ans, err := h.Hits(ctx, c, []string{value})
		if err != nil || len(ans[0].Hits) != 1 {
			t.Fatalf("org-c's hit on the discoverable record: %+v %v", ans, err)
		}
		req, err := h.RequestAccess(ctx, c, ans[0].Hits[0].Ref, "case 1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.DecideAccess(ctx, a, req.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if got := sees(t, h, c, value, id, false); got != "sighting" {
			t.Fatalf("org-c right after its access request was approved: %q, want a sighting", got)
		}
		if _, err := h.UpdateRecord(ctx, a, id, intel.RecordPatch{Audience: &intel.Audience{Orgs: []string{"org-c"}}}); err != nil {
			t.Fatal(err)
		}
		if got := sees(t, h, b, value, id, false); got != "" {
			t.Fatalf("org-b right after it was dropped from the audience: %q", got)
		}
		if _, err := h.RevokeRecord(ctx, a, id, ""); err != nil {
			t.Fatal(err)
		}
		if got := sees(t, h, c, value, id, true); got != "" {
			t.Fatalf("org-c right after the record was revoked: %q", got)
		}
		if n := ix.Len(); n != 0 {
			t.Errorf("the index holds %d live entries after the only record was revoked", n)
		}
	})
}

// sees reports how b got record id when it asks about value now: as a
// sighting, as a record in a hit/no-hit answer or, once it is revoked, as a
// hit; or "" if it did not.
func sees(t *testing.T, h *hub.Hub, b *policy.Caller, value, id string, revoked bool) string {
	ctx := context.Background()
	res, err := h.RecordSightings(ctx, b, []match.Observation{{Time: time.Unix(1800000000, 0), Kind: match.KindDomain, Value: value}})
	if err != nil {
		t.Error(err)
		return ""
	}
	for _, r := range res.Records {
		if r.Record == id {
			return "sighting"
		}
	}
	ans, err := h.Hits(ctx, b, []string{value})
	if err != nil {
		t.Error(err)
		return ""
	}
	for _, r := range ans[0].Records {
		if r.ID == id {
			return "hit/no-hit record"
		}
	}
	if revoked && len(ans[0].Hits) > 0 {
		return "hit/no-hit hit on a revoked record"
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
