package demo

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	scenariosms "fusion/internal/scenario/sms"
	"fusion/internal/sms"
)

// The demo's SMS traffic: airline-azure's backend asks the hub's SMS guard
// before each one-time code its three apps (azureskies-android, -ios and
// -web) send, as an sms scenario generates them: smsDemoCount requests
// (seed smsDemoSeed: about eight hours of the scenario's global users,
// with one pumping burst: 1,500 requests in 15 minutes to a block of
// Azerbaijani mobile numbers, which the guard blocks after a few). The
// demo feeds the stream up to smsDemoAfter past the burst's last request,
// about four and a half hours and 14,000 requests, shifted so that this
// is a minute ago: the block, placed for an hour at the burst's start, is
// then in force for about another half hour, and the SMS pages show it
// with its release button. Codes are entered as the scenario says, for requests not
// blocked. Like every scenario number, the numbers are valid mobile
// numbers drawn at random from real ranges; the demo shows only counts
// and 1,000-number blocks of them.
const (
	smsDemoCount = 30_000
	smsDemoSeed  = 2
	smsDemoAfter = 10 * time.Minute
)

// SMSDemo is what the demo's SMS traffic did.
type SMSDemo struct {
	Requests, Blocked, Verified int
	// Blocks are the blocks in force after it, with the app that placed
	// each: the burst's among them.
	Blocks []hub.SMSBlock
	// Campaign is the burst's block as the scenario's truth names it.
	Campaign string
}

// SMSTraffic generates the demo's sms scenario in a temporary directory
// and feeds it to the hub as a sensor of org (the demo's is
// airline-azure; the UI's browser test drives the SMS pages over it too),
// in time order: each request through SMSCheck, each code entered through
// SMSVerified. It issues the sensor's token.
func SMSTraffic(ctx context.Context, h *hub.Hub, org string, now time.Time) (SMSDemo, error) {
	var out SMSDemo
	dir, err := os.MkdirTemp("", "fusion-demo-sms-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	if err := scenario.Generate(ctx, scenario.Params{Kind: scenariosms.Kind.Name, Seed: smsDemoSeed, Count: smsDemoCount}, dir, nil); err != nil {
		return out, fmt.Errorf("demo sms scenario: %w", err)
	}
	cut, err := smsCampaignEnd(filepath.Join(dir, "truth.jsonl"), &out)
	if err != nil {
		return out, err
	}
	cut = cut.Add(smsDemoAfter)
	shift := now.Add(-time.Minute).Sub(cut)

	_, tok, err := h.OperatorIssueToken(ctx, org, intel.RoleSensor, "demo OTP backend")
	if err != nil {
		return out, err
	}
	sensor := &policy.Caller{Org: org, Role: intel.RoleSensor, TokenID: tok.ID}
	f, err := os.Open(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		return out, err
	}
	defer f.Close()
	var codes verifications
	enter := func(until time.Time) error {
		for len(codes) > 0 && !codes[0].Time.After(until) {
			v := heap.Pop(&codes).(sms.Verified)
			if err := h.SMSVerified(ctx, sensor, &v); err != nil {
				return fmt.Errorf("demo sms verification: %w", err)
			}
			out.Verified++
		}
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		r, err := sms.ParseRequest(sc.Bytes())
		if err != nil {
			return out, fmt.Errorf("demo sms request: %w", err)
		}
		if r.Time.After(cut) {
			break
		}
		r.Time = r.Time.Add(shift)
		if err := enter(r.Time); err != nil {
			return out, err
		}
		d, err := h.SMSCheck(ctx, sensor, &r)
		if err != nil {
			return out, fmt.Errorf("demo sms check: %w", err)
		}
		out.Requests++
		if d.Decision == sms.Block {
			out.Blocked++
		} else if !r.VerifiedAt.IsZero() {
			heap.Push(&codes, sms.Verified{App: r.App, Number: r.Number, Time: r.VerifiedAt.Add(shift)})
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if err := enter(now); err != nil {
		return out, err
	}
	out.Blocks, err = h.SMSBlocks(ctx, sensor)
	return out, err
}

// smsCampaignEnd reads the scenario's truth and returns the last request
// of its latest campaign, naming its block in out.
func smsCampaignEnd(path string, out *SMSDemo) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	var end time.Time
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var f finding.Finding
		if err := dec.Decode(&f); err != nil {
			return time.Time{}, fmt.Errorf("demo sms truth: %w", err)
		}
		if f.End.After(end) {
			end, out.Campaign = f.End, f.Entity
		}
	}
	if end.IsZero() {
		return time.Time{}, fmt.Errorf("demo sms scenario (seed %d, %d requests) has no campaign", smsDemoSeed, smsDemoCount)
	}
	return end, nil
}

// verifications is a min-heap of codes entered, by time.
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
