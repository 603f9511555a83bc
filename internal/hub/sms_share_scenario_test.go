package hub_test

import (
	"bufio"
	"container/heap"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/sms" // the sms kind
	"fusion/internal/sms"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// verifications orders entered codes by time, as `fusion sms replay`
// feeds them back.
type verifications []sms.Verified

func (v verifications) Len() int           { return len(v) }
func (v verifications) Less(i, j int) bool { return v[i].Time.Before(v[j].Time) }
func (v verifications) Swap(i, j int)      { v[i], v[j] = v[j], v[i] }
func (v *verifications) Push(x any)        { *v = append(*v, x.(sms.Verified)) }
func (v *verifications) Pop() any {
	old := *v
	x := old[len(old)-1]
	*v = old[:len(old)-1]
	return x
}

// TestSMSShareStopsCampaignsElsewhere measures issue 17's "a second app
// that receives the first app's shared ranges blocks the same campaign
// from its first request", through the hub: a bank's guard sees a
// generated sms stream (seed 1, 200,000 requests, nine campaigns) with its
// codes entered as the stream says, through SMSCheck and SMSVerified; its
// analyst shares every prefix the guard blocked a campaign's requests on
// (SMSShare, the defaults: green to the telcos); then a telco's guard,
// which has seen nothing, is asked about each shared campaign's first
// request. Every one must be blocked, with reason shared.
func TestSMSShareStopsCampaignsElsewhere(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and replays 200,000 requests")
	}
	dir := t.TempDir()
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 1, Count: 200_000}, dir, nil); err != nil {
		t.Fatal(err)
	}
	tf, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := finding.Read(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, analysts, sensors := smsOrgs(t, st, map[string]string{"bank-a": "bank", "telco-b": "telco"})
		type share struct{ app, prefix string }
		first := make([]*sms.Request, len(truth)) // each campaign's first request
		blocked := make([]map[share]bool, len(truth))
		var pending verifications
		f, err := os.Open(filepath.Join(dir, "requests.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var reqs, legit int
		var legitNumbers []string
		for sc.Scan() {
			req, err := sms.ParseRequest(sc.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			reqs++
			for len(pending) > 0 && !pending[0].Time.After(req.Time) {
				v := heap.Pop(&pending).(sms.Verified)
				if err := h.SMSVerified(ctx, sensors["bank-a"], &v); err != nil {
					t.Fatal(err)
				}
			}
			d, err := h.SMSCheck(ctx, sensors["bank-a"], &req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != sms.Block && !req.VerifiedAt.IsZero() {
				heap.Push(&pending, sms.Verified{App: req.App, Number: req.Number, Time: req.VerifiedAt})
			}
			campaign := -1
			for i, c := range truth {
				if strings.HasPrefix(req.Number, c.Entity) && !req.Time.Before(c.Start) && !req.Time.After(c.End) {
					campaign = i
				}
			}
			if campaign < 0 {
				legit++
				legitNumbers = append(legitNumbers, req.Number)
				continue
			}
			if first[campaign] == nil {
				r := req
				first[campaign] = &r
			}
			if d.Decision == sms.Block && !d.Reasons.Has(sms.ReasonInvalid) {
				if blocked[campaign] == nil {
					blocked[campaign] = map[share]bool{}
				}
				blocked[campaign][share{req.App, d.Prefix}] = true
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}

		shared, stopped := 0, 0
		prefixes := sms.NewShared()
		for i, c := range truth {
			if len(blocked[i]) == 0 {
				t.Logf("campaign %s (%s, %s): not blocked by the bank's guard, so not shared", c.Entity, c.Detail["campaign"], c.Detail["country"])
				continue
			}
			shared++
			for s := range blocked[i] {
				if _, err := h.SMSShare(ctx, analysts["bank-a"], s.app, s.prefix, hub.SMSShareOptions{}); err != nil {
					t.Fatalf("share %s of %s: %v", s.prefix, s.app, err)
				}
				if err := prefixes.Add(s.prefix); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, c := range truth {
			if len(blocked[i]) == 0 {
				continue
			}
			req := *first[i]
			req.App = "telco-otp"
			d, err := h.SMSCheck(ctx, sensors["telco-b"], &req)
			if err != nil {
				t.Fatal(err)
			}
			if sharedBlock(d) {
				stopped++
			} else {
				t.Errorf("campaign %s (%s): the telco's guard answers its first request (%s at %s) %+v", c.Entity, c.Detail["campaign"], req.Number, req.Time.Format(time.RFC3339), d)
			}
		}
		// What sharing costs the legitimate traffic: its requests to a
		// shared range (the telco would block them too).
		collateral := 0
		for _, n := range legitNumbers {
			if _, ok := prefixes.Match(n); ok {
				collateral++
			}
		}
		t.Logf("%d requests, %d campaigns; %d blocked by the bank's guard and shared (%d prefixes); the telco's guard blocked %d of %d from their first request; %d of %d legitimate requests fall in a shared range",
			reqs, len(truth), shared, len(prefixes.List()), stopped, shared, collateral, legit)
		if shared == 0 {
			t.Fatal("the bank's guard blocked no campaign: nothing was measured")
		}
	})
}
