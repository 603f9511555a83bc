package hub_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestResubmissionChangesTheRecord: one record per originator and value;
// submitting the value again merges into it, in the same batch or later,
// and a retry of a whole batch duplicates nothing.
func TestResubmissionChangesTheRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		a, b := callers["org-a"], callers["org-b"]
		day := func(d int) *time.Time { t := time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC); return &t }
		submit := func(c *policy.Caller, ins ...intel.RecordInput) []hub.Result[intel.Record] {
			t.Helper()
			res, err := h.CreateRecords(ctx, c, ins)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			return res
		}
		status := func(res []hub.Result[intel.Record]) []string {
			var out []string
			for _, r := range res {
				out = append(out, r.Status)
			}
			return out
		}
		first := submit(a,
			intel.RecordInput{Value: "hxxp://kit[.]example[.]net/a", TLP: "green", Labels: []string{"phishing"}, FirstSeen: day(10), LastSeen: day(12)},
			intel.RecordInput{Value: "http://KIT.example.net/a", TLP: "green", Labels: []string{"phishing-kit"}, LastSeen: day(11)}, // the same value, written otherwise
			intel.RecordInput{Value: "other.example.net", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}},
		)
		if !slices.Equal(status(first), []string{hub.Created, hub.Updated, hub.Created}) || first[0].Value.ID != first[1].Value.ID {
			t.Fatalf("first batch: %v, ids %s %s", status(first), first[0].Value.ID, first[1].Value.ID)
		}
		id := first[0].Value.ID
		got, err := h.GetRecord(ctx, a, id)
		if err != nil || !slices.Equal(got.Labels, []string{"phishing", "phishing-kit"}) || !got.FirstSeen.Equal(*day(10)) || !got.LastSeen.Equal(*day(12)) || got.Version != 2 {
			t.Fatalf("merged: labels %v first %v last %v version %d (%v)", got.Labels, got.FirstSeen, got.LastSeen, got.Version, err)
		}

		// The batch again, as a client whose answer was lost would send it.
		again := submit(a,
			intel.RecordInput{Value: "hxxp://kit[.]example[.]net/a", TLP: "green", Labels: []string{"phishing"}, FirstSeen: day(10), LastSeen: day(12)},
			intel.RecordInput{Value: "http://KIT.example.net/a", TLP: "green", Labels: []string{"phishing-kit"}, LastSeen: day(11)},
			intel.RecordInput{Value: "other.example.net", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}},
		)
		if !slices.Equal(status(again), []string{hub.Unchanged, hub.Unchanged, hub.Unchanged}) || again[0].Value.ID != id || again[2].Value.ID != first[2].Value.ID {
			t.Fatalf("the batch again: %v", status(again))
		}
		page, err := h.ListRecords(ctx, a, hub.RecordFilter{Originator: "org-a"})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("org-a holds %d records after a retry, want 2 (%v)", len(page.Items), err)
		}

		// Another organization's same value is its own record.
		theirs := submit(b, intel.RecordInput{Value: "http://kit.example.net/a", TLP: "green"})
		if theirs[0].Status != hub.Created || theirs[0].Value.ID == id {
			t.Fatalf("org-b's submission: %+v", theirs[0])
		}

		// A revoked record submitted again is shared again.
		if _, err := h.RevokeRecord(ctx, a, first[2].Value.ID, "mistake"); err != nil {
			t.Fatal(err)
		}
		back := submit(a, intel.RecordInput{Value: "other.example.net", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Tags: []string{"apt28"}})
		r, err := h.GetRecord(ctx, b, first[2].Value.ID)
		if back[0].Status != hub.Updated || err != nil || r.Revoked != nil || !slices.Equal(r.Tags, []string{"apt28"}) {
			t.Fatalf("resubmitted after revocation: %+v, %+v %v", back[0], r, err)
		}
		hist, err := h.RecordHistory(ctx, a, first[2].Value.ID)
		if err != nil || len(hist) != 3 {
			t.Errorf("history of the revoked and resubmitted record: %d versions, want 3 (%v)", len(hist), err)
		}
	})
}

// TestConcurrentSubmissionsMakeOneRecord: organizations' writers racing to
// submit the same new values still make one record of each.
func TestConcurrentSubmissionsMakeOneRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a")
		a := callers["org-a"]
		var ins []intel.RecordInput
		for i := range 300 {
			ins = append(ins, intel.RecordInput{Value: "race-" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.net", TLP: "green"})
		}
		var wg sync.WaitGroup
		created := make([]int, 4)
		for w := range created {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other := hub.New(st, canonicalizer(t), h.Evidence(), quietLog) // another hub on the same store
				other.SetWarningLists(nil)
				res, err := other.CreateRecords(ctx, a, ins)
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range res {
					if r.Err != nil {
						t.Error(r.Err)
					}
					if r.Status == hub.Created {
						created[w]++
					}
				}
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range created {
			total += n
		}
		page, err := h.ListRecords(ctx, a, hub.RecordFilter{Originator: "org-a", Limit: 1000})
		if err != nil || len(page.Items) != len(ins) || total != len(ins) {
			t.Errorf("%d records stored, %d answered created, from %d values submitted by 4 writers (%v)", len(page.Items), total, len(ins), err)
		}
	})
}

// TestKeptAnswerOnEveryStore: of concurrent requests with one
// Idempotency-Key, one does the work and keeps its answer; the others
// store nothing and are told to read it.
func TestKeptAnswerOnEveryStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a")
		a := callers["org-a"]
		ins := []intel.RecordInput{{Value: "kept.example.net", TLP: "green"}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		done, kept := 0, 0
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := &hub.Keep[[]hub.Result[intel.Record]]{Key: "k-1", Route: "POST /api/v1/records", Hash: []byte{1}, Render: func(res []hub.Result[intel.Record]) (int, []byte, error) {
					return 200, []byte(res[0].Status + " by writer " + string(rune('0'+w))), nil
				}}
				_, err := h.CreateRecordsKept(ctx, a, len(ins), func(i int) (intel.RecordInput, error) { return ins[i], nil }, k)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					done++
				case errors.Is(err, hub.ErrAnswerKept):
					kept++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		ans, ok, err := h.KeptAnswer(ctx, a, "k-1")
		if done != 1 || kept != 3 || !ok || err != nil || !strings.HasPrefix(string(ans.Answer), "created by writer ") {
			t.Errorf("%d did the work, %d were told an answer is kept; kept: %q %v %v", done, kept, ans.Answer, ok, err)
		}
		page, _ := h.ListRecords(ctx, a, hub.RecordFilter{})
		if len(page.Items) != 1 {
			t.Errorf("%d records", len(page.Items))
		}
	})
}
