package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"fusion/internal/finding"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/store"
)

// Sharing pumped ranges. An analyst who confirms a range an app's guard
// blocked (or one it knows of otherwise) shares it as a record: type
// phone-range, label sms-pumping, made through CreateRecords like any
// other record, so the gate, the evidence log and disclosures apply as
// they do to every record. Each organization's guard then holds, in its
// Shared set, the prefixes of the active phone-range records labelled
// sms-pumping that are addressed to it (policy.Addressed: visible to it
// in full, and it is the originator, named in the audience or a member
// of an audience group where the TLP lets groups count). A green record
// is readable by every member, but only those it was sent to have their
// senders' traffic blocked by it.
//
// The sets are built from the store when a guard is made and rebuilt,
// for every guard, once a write of a phone-range record or a change of
// group membership commits through this hub. Changes made by another
// process on a shared PostgreSQL store reach this hub's guards at its
// next such write or restart.

// SMSShareLabel is the label of shared pumped ranges.
const SMSShareLabel = "sms-pumping"

// SMSShareSector is the sector a shared range goes to by default.
const SMSShareSector intel.Sector = "telco"

// SMSShareOptions are an operator's choices when sharing a range; zero
// fields take the defaults.
type SMSShareOptions struct {
	// TLP defaults to green.
	TLP string
	// Audience defaults to every member organization of sector telco
	// (as the directory stands when the range is shared: a telco that
	// joins later is not added) and the sharing organization's groups.
	Audience *intel.Audience
}

// smsSharing is the state of the guards' Shared sets.
type smsSharing struct {
	// mu serializes rebuilds and the making of guards, so that a rebuild
	// started after a commit sees every guard and its set the commit.
	mu sync.Mutex
	// given holds, per organization, the records whose prefixes its
	// guard holds, at the version disclosed to it.
	given map[string]map[string]int
}

// SMSShare shares prefix, a range c's organization's app was pumped on,
// as a record: type phone-range, label sms-pumping, at opts' TLP and
// audience (green to the sector telco and c's groups by default), its
// description naming what the app's guard saw of the range (the rule,
// reasons and requests of its latest finding for it) or, when the guard
// has none, that it rests on the operator's word. It needs
// policy.ChangeIntel and policy.ReadVerdicts, as SMSRelease does, and
// then policy.CreateRecords. The answer is the record as stored; sharing
// a range again updates the organization's record for it.
func (h *Hub) SMSShare(ctx context.Context, c *policy.Caller, app, prefix string, opts SMSShareOptions) (intel.Record, error) {
	for _, a := range []policy.Action{policy.ChangeIntel, policy.ReadVerdicts, policy.CreateRecords} {
		if err := policy.Require(c, a); err != nil {
			return intel.Record{}, err
		}
	}
	if err := checkSMSApp(app); err != nil {
		return intel.Record{}, err
	}
	if h.canon == nil {
		return intel.Record{}, errNoCanonicalizer
	}
	obs, err := h.canon.Parse(observable.PhoneRange, prefix)
	if err != nil {
		var oe *observable.Error
		if errors.As(err, &oe) {
			return intel.Record{}, &intel.FieldError{Field: "prefix", Value: prefix, Reason: oe.Reason}
		}
		return intel.Record{}, err
	}
	in := intel.RecordInput{Type: string(observable.PhoneRange), Value: obs.Value, Labels: []string{SMSShareLabel},
		TLP: opts.TLP, Audience: opts.Audience, Reference: "sms:" + app}
	if in.TLP == "" {
		in.TLP = string(intel.Green)
	}
	if in.Audience == nil {
		aud, err := h.smsShareAudience(ctx, c)
		if err != nil {
			return intel.Record{}, err
		}
		in.Audience = &aud
	}
	g, err := h.smsGuard(ctx, c.Org, false)
	if err != nil {
		return intel.Record{}, err
	}
	var f *finding.Finding
	if g != nil {
		for _, x := range g.Findings() { // oldest first: the last is the latest
			if x.Detail["app"] == app && x.Entity == obs.Value {
				f = &x
			}
		}
	}
	in.Description = smsShareDescription(app, obs, f)
	if f != nil {
		first, last := f.Start, f.End
		in.FirstSeen, in.LastSeen = &first, &last
	}
	res, err := h.CreateRecords(ctx, c, []intel.RecordInput{in})
	if err != nil {
		return intel.Record{}, err
	}
	return res[0].Value, res[0].Err
}

// smsShareAudience is the default audience of a shared range: the member
// organizations of sector telco other than c's, and c's groups.
func (h *Hub) smsShareAudience(ctx context.Context, c *policy.Caller) (intel.Audience, error) {
	orgs, err := h.store.Orgs(ctx)
	if err != nil {
		return intel.Audience{}, err
	}
	aud := intel.Audience{Orgs: []string{}, Groups: append([]string{}, c.Groups...)}
	for _, o := range orgs {
		if o.Sector == SMSShareSector && o.ID != c.Org {
			aud.Orgs = append(aud.Orgs, o.ID)
		}
	}
	return aud, nil
}

// smsShareDescription says what a shared range rests on: the guard's
// latest finding for it, or the operator's word.
func smsShareDescription(app string, obs observable.Observable, f *finding.Finding) string {
	where := obs.Value
	var facts []string
	for _, f := range []string{obs.Region, obs.Carrier} {
		if f != "" {
			facts = append(facts, f)
		}
	}
	if len(facts) > 0 {
		where += " (" + strings.Join(facts, ", ") + ")"
	}
	if f == nil {
		return fmt.Sprintf("SMS pumping range %s, shared on the operator's word: app %s's guard holds no block or finding for it.", where, app)
	}
	reasons := strings.ReplaceAll(f.Detail["reasons"], ",", ", ")
	return fmt.Sprintf("SMS pumping range %s, confirmed from app %s's guard: rule %s; reasons %s; %.0f requests in the evidence, %.0f of %.0f codes entered, %.0f refused while blocked, from %s to %s. The guard's finding: %s",
		where, app, f.Detail["rule"], reasons, f.Stats["evidence_requests"], f.Stats["entered"], f.Stats["matured"], f.Stats["refused"],
		f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339), f.Explanation)
}

// newSMSGuard makes org's guard (rebuilt from its saved state, with its
// apps' settings; or, with create, new), its Shared set built from the store,
// unless another call made it first. When the set cannot be built (the
// store or the evidence log fails), the guard is made with what could be
// given and the failure logged: a sender's checks do not fail for it.
func (h *Hub) newSMSGuard(ctx context.Context, org string, create bool) (*sms.Guard, error) {
	h.smsShare.mu.Lock()
	defer h.smsShare.mu.Unlock()
	h.sms.mu.Lock()
	g := h.sms.orgs[org]
	h.sms.mu.Unlock()
	if g != nil {
		return g, nil
	}
	data, saved, ok, err := h.store.SMSState(ctx, org)
	if err != nil {
		return nil, err
	}
	if !ok && !create {
		return nil, nil
	}
	cfg, err := h.smsConfig(ctx, org)
	if err != nil {
		return nil, err
	}
	if g, err = sms.New(cfg, nil); err != nil {
		return nil, err
	}
	// A saved state that does not load is logged and set aside (the
	// guard starts afresh and the next save replaces it): the senders'
	// one-time codes depend on the guard answering.
	if ok {
		if err := g.Load(data); err != nil {
			h.log.Error("sms guard state not loaded; the guard starts afresh", "org", org, "saved", saved, "err", err)
		} else {
			h.log.Info("sms guard state loaded", "org", org, "saved", saved, "bytes", len(data))
		}
	}
	if err := h.refreshShared(ctx, org, g); err != nil {
		// The sender's checks go on without the shared ranges (none was
		// given undisclosed); the next rebuild brings them.
		h.log.Warn("sms guard: made without shared ranges", "org", org, "err", err)
	}
	h.sms.mu.Lock()
	defer h.sms.mu.Unlock()
	if h.sms.orgs == nil {
		h.sms.orgs = map[string]*sms.Guard{}
	}
	h.sms.orgs[org] = g
	return g, nil
}

// smsShareOnCommit rebuilds every guard's Shared set once tx commits, if
// it wrote a phone-range record (whatever its labels: a change may have
// taken sms-pumping off).
func (h *Hub) smsShareOnCommit(tx *store.Tx, recs ...*intel.Record) {
	if !slices.ContainsFunc(recs, func(r *intel.Record) bool { return r.Type == observable.PhoneRange }) {
		return
	}
	tx.OnCommit(h.refreshAllShared)
}

// refreshAllShared rebuilds every guard's Shared set from the store. A
// failure is logged; that guard keeps at most the ranges it had.
func (h *Hub) refreshAllShared() {
	h.smsShare.mu.Lock()
	defer h.smsShare.mu.Unlock()
	h.sms.mu.Lock()
	guards := make(map[string]*sms.Guard, len(h.sms.orgs))
	for org, g := range h.sms.orgs {
		guards[org] = g
	}
	h.sms.mu.Unlock()
	for org, g := range guards {
		if err := h.refreshShared(context.Background(), org, g); err != nil {
			h.log.Warn("sms guard: shared ranges not rebuilt", "org", org, "err", err)
		}
	}
}

// refreshShared sets g's Shared set to the prefixes of the active
// phone-range records labelled sms-pumping addressed to org. Records of
// other organizations that g did not hold at their current version are
// logged as disclosed to org first; if that fails, g only loses prefixes.
// h.smsShare.mu must be held.
func (h *Hub) refreshShared(ctx context.Context, org string, g *sms.Guard) error {
	groups, err := h.store.GroupsOf(ctx, org)
	if err != nil {
		return err
	}
	c := &policy.Caller{Org: org, Groups: groups, Purpose: "sms guard: shared pumped ranges"}
	q := store.RecordQuery{Type: string(observable.PhoneRange), Label: SMSShareLabel, Limit: MaxPage}
	given := map[string]int{}
	var prefixes []string
	var fresh []intel.Record
	old := h.smsShare.given[org]
	for {
		rows, err := h.store.Records(ctx, q, visibility(c))
		if err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			q.After = r.ID
			if !r.Active() || !slices.Contains(r.Labels, SMSShareLabel) || !policy.Addressed(c, policy.RecordShared(r)) {
				continue
			}
			given[r.ID] = r.Version
			prefixes = append(prefixes, r.Value)
			if old[r.ID] != r.Version {
				fresh = append(fresh, *r)
			}
		}
		if len(rows) < q.Limit {
			break
		}
	}
	if err := h.discloseRecords(ctx, c, fresh); err != nil {
		// Only what was given before and is still given stays.
		var kept []string
		for id := range given {
			if old[id] == 0 {
				delete(given, id)
				continue
			}
			given[id] = old[id]
		}
		for _, r := range g.Shared().List() {
			if slices.Contains(prefixes, r) {
				kept = append(kept, r)
			}
		}
		_ = g.Shared().Replace(kept)
		h.setGiven(org, given)
		return err
	}
	if err := g.Shared().Replace(prefixes); err != nil {
		return err
	}
	h.setGiven(org, given)
	return nil
}

func (h *Hub) setGiven(org string, given map[string]int) {
	if h.smsShare.given == nil {
		h.smsShare.given = map[string]map[string]int{}
	}
	h.smsShare.given[org] = given
}
