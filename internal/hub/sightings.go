package hub

import (
	"context"
	"slices"
	"strings"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// SightingResult says what a batch of events matched.
type SightingResult struct {
	Events int `json:"events"`
	// Matches counts each record once per event (Zeek uid, or else log
	// line) of the batch; AlreadyCounted is how many of those an earlier
	// request from the organization had counted already, and were not
	// counted again.
	Matches        int             `json:"matches"`
	AlreadyCounted int             `json:"already_counted"`
	Records        []SightingCount `json:"records"`
}

// SightingCount is how often one record was seen in the batch.
type SightingCount struct {
	Record string   `json:"record"`
	Value  string   `json:"value"`
	Labels []string `json:"labels"`
	Count  int      `json:"count"`
	// Rules are the rules by which the batch's values matched the record
	// (match.Rule: exact, cidr, subdomain, url, url-host), each once.
	Rules []match.Rule `json:"rules"`
	// Warnings are the warning lists the record's value is on (its
	// originator shared it anyway): a match on it may be benign.
	Warnings []string `json:"warnings,omitempty"`
	// TorExitEvents counts the matches on an address while it was a Tor
	// exit; Tor is the caution for the first of them.
	TorExitEvents int         `json:"tor_exit_events,omitempty"`
	Tor           *TorCaution `json:"tor,omitempty"`
}

// RecordSightings matches observations from c's traffic against the records
// c may see in full, and adds what matched to the hourly sightings of each
// record at c. Records c may not see in full are neither matched nor
// recorded: a sensor must not learn of them, and their owners must not learn
// of its traffic.
func (h *Hub) RecordSightings(ctx context.Context, c *policy.Caller, obs []match.Observation) (SightingResult, error) {
	return h.RecordSightingsKept(ctx, c, obs, nil)
}

// RecordSightingsKept is RecordSightings keeping the answer for a retry
// (keep may be nil); see CreateRecordsKept.
func (h *Hub) RecordSightingsKept(ctx context.Context, c *policy.Caller, obs []match.Observation, keep *Keep[SightingResult]) (SightingResult, error) {
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return SightingResult{}, err
	}
	if h.m == nil {
		return SightingResult{}, ErrNoIndex
	}
	// First what the index says, for records c may use now as far as it
	// knows; then each candidate as the store has it now, through the
	// gate: the index may trail a revocation or a narrowed audience by a
	// moment, and neither the sighting nor the answer may.
	type hit struct {
		obs  int
		id   string
		val  string
		rule match.Rule
	}
	var found []hit
	var forms match.Forms
	ob := match.Observer{Index: h.m.ix, Canon: h.canon}
	cands := map[string]bool{}
	for i, o := range obs {
		ob.Observe(o, func(value string, e match.Entry) bool {
			if e.Form(c, &forms) == policy.Full {
				found = append(found, hit{i, e.ID(), value, match.RuleOf(value, e)})
				cands[e.ID()] = true
			}
			return true
		})
	}
	res := SightingResult{Events: len(obs), Records: []SightingCount{}}
	if len(found) == 0 {
		return res, h.keepOnly(ctx, c, keep, res)
	}
	ids := make([]string, 0, len(cands))
	for id := range cands {
		ids = append(ids, id)
	}
	recs, err := h.store.RecordsByID(ctx, ids)
	if err != nil {
		return res, err
	}
	usable := make(map[string]*intel.Record, len(recs))
	for i := range recs {
		if _, form := policy.RecordForm(c, &recs[i]); form == policy.Full && recs[i].Active() {
			usable[recs[i].ID] = &recs[i]
		}
	}
	// Each event counts once per record: a value seen in two fields of
	// one event, or one connection in its conn and http lines, is one
	// sighting; so is an event sent again later (claimed in the store).
	type use struct {
		hit
		r       *intel.Record
		caution *TorCaution
		event   match.EventID
	}
	type eventKey struct {
		record string
		event  match.EventID
	}
	var uses []use
	seen := map[eventKey]bool{}
	cautions := map[int]*TorCaution{}
	rules := map[string][]match.Rule{} // by record, each once
	for _, f := range found {
		r := usable[f.id]
		if r == nil {
			continue
		}
		if !slices.Contains(rules[f.id], f.rule) {
			rules[f.id] = append(rules[f.id], f.rule)
		}
		o := obs[f.obs]
		if o.Event != (match.EventID{}) {
			k := eventKey{f.id, o.Event}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		caution, checked := cautions[f.obs]
		if !checked {
			caution = h.torCaution(f.val, o.Time)
			cautions[f.obs] = caution
		}
		uses = append(uses, use{f, r, caution, o.Event})
	}
	if len(uses) == 0 {
		return res, h.keepOnly(ctx, c, keep, res)
	}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		counted := uses
		var evs []store.SightingEvent
		var at []int
		for i, u := range uses {
			if u.event != (match.EventID{}) {
				evs = append(evs, store.SightingEvent{RecordID: u.id, Event: u.event, Hour: obs[u.obs].Time.Unix() / 3600})
				at = append(at, i)
			}
		}
		if len(evs) > 0 {
			fresh, err := tx.ClaimSightingEvents(c.Org, evs)
			if err != nil {
				return err
			}
			old := map[int]bool{}
			for j, ok := range fresh {
				if !ok {
					old[at[j]] = true
				}
			}
			counted = make([]use, 0, len(uses))
			for i, u := range uses {
				if !old[i] {
					counted = append(counted, u)
				}
			}
		}
		res = SightingResult{Events: len(obs), Records: []SightingCount{}, AlreadyCounted: len(uses) - len(counted)}
		type key struct {
			record string
			hour   int64
		}
		agg := map[key]*store.Sighting{}
		counts := map[string]*SightingCount{}
		owners := map[string]string{}
		for _, u := range counted {
			r, o := u.r, obs[u.obs]
			res.Matches++
			k := key{u.id, o.Time.Unix() / 3600}
			s := agg[k]
			if s == nil {
				s = &store.Sighting{RecordID: u.id, Owner: r.Originator, Org: c.Org, Hour: k.hour, First: o.Time, Last: o.Time}
				agg[k] = s
			}
			s.Count++
			s.First, s.Last = minTime(s.First, o.Time), maxTime(s.Last, o.Time)
			if counts[u.id] == nil {
				counts[u.id] = &SightingCount{Record: u.id, Value: r.Value, Labels: slices.Clone(r.Labels), Rules: rules[u.id], Warnings: r.Warnings}
				owners[u.id] = r.Originator
			}
			counts[u.id].Count++
			if u.caution != nil {
				counts[u.id].TorExitEvents++
				if counts[u.id].Tor == nil {
					counts[u.id].Tor = u.caution
				}
			}
		}
		for _, n := range counts {
			res.Records = append(res.Records, *n)
		}
		slices.SortFunc(res.Records, func(a, b SightingCount) int { return strings.Compare(a.Record, b.Record) })
		if len(agg) == 0 {
			return keepAnswer(h, tx, c, keep, res)
		}
		rows := make([]store.Sighting, 0, len(agg))
		for _, s := range agg {
			rows = append(rows, *s)
		}
		slices.SortFunc(rows, func(a, b store.Sighting) int {
			if a.RecordID != b.RecordID {
				return strings.Compare(a.RecordID, b.RecordID)
			}
			return int(a.Hour - b.Hour)
		})
		before, after, err := tx.AddSightings(rows)
		if err != nil {
			return err
		}
		// One leaf per owner: each record seen (named) and each of its
		// hourly rows as it is after the addition (changed).
		byOwner := map[string][]evidence.Object{}
		for i, s := range after {
			o := owners[s.RecordID]
			if i == 0 || after[i-1].RecordID != s.RecordID {
				byOwner[o] = append(byOwner[o], evidence.Object{Kind: evidence.KindRecord, ID: s.RecordID, Owner: o})
			}
			var prev []byte
			if before[i] != nil {
				prev = evidence.SightingContent(*before[i])
			}
			byOwner[o] = append(byOwner[o], evidence.ChangeOf(evidence.KindSighting, evidence.SightingID(s), o, prev, evidence.SightingContent(s)))
		}
		ownersSorted := make([]string, 0, len(byOwner))
		for o := range byOwner {
			ownersSorted = append(ownersSorted, o)
		}
		slices.Sort(ownersSorted)
		var leaves []evidence.Leaf
		for _, o := range ownersSorted {
			leaves = append(leaves, actorOf(c).leaf(evidence.Sighting, byOwner[o]...))
		}
		if err := h.ev.Append(tx, leaves...); err != nil {
			return err
		}
		return keepAnswer(h, tx, c, keep, res)
	})
	return res, err
}

// keepOnly keeps keep's answer to res when nothing else was written.
func (h *Hub) keepOnly(ctx context.Context, c *policy.Caller, keep *Keep[SightingResult], res SightingResult) error {
	if keep == nil {
		return nil
	}
	return h.store.Update(ctx, func(tx *store.Tx) error { return keepAnswer(h, tx, c, keep, res) })
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// OwnSighting is what c's traffic matched of one record, over every hour.
type OwnSighting struct {
	Record string    `json:"record"`
	Value  string    `json:"value"`
	Labels []string  `json:"labels"`
	Count  int64     `json:"count"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	// Warnings as in SightingCount.
	Warnings []string `json:"warnings,omitempty"`
}

// OwnSightings returns a page of what c's organization's traffic matched,
// per record, for the records policy.OwnSighting lets c still see.
func (h *Hub) OwnSightings(ctx context.Context, c *policy.Caller, limit int, cursor string) (Page[OwnSighting], error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return Page[OwnSighting]{}, err
	}
	limit, after, err := pageArgs(limit, cursor)
	if err != nil {
		return Page[OwnSighting]{}, err
	}
	page := Page[OwnSighting]{Items: []OwnSighting{}}
	for {
		totals, err := h.store.SightingsOf(ctx, c.Org, after, max(limit, 100))
		if err != nil {
			return page, err
		}
		ids := make([]string, len(totals))
		for i, t := range totals {
			ids[i] = t.RecordID
		}
		recs, err := h.store.RecordsByID(ctx, ids)
		if err != nil {
			return page, err
		}
		byID := make(map[string]*intel.Record, len(recs))
		for i := range recs {
			byID[recs[i].ID] = &recs[i]
		}
		for _, t := range totals {
			after = t.RecordID
			r := byID[t.RecordID]
			if r == nil || !policy.OwnSighting(c, r) {
				continue
			}
			page.Items = append(page.Items, OwnSighting{Record: r.ID, Value: r.Value, Labels: slices.Clone(r.Labels), Count: t.Count, First: t.First, Last: t.Last, Warnings: r.Warnings})
			if len(page.Items) == limit {
				page.Next = encodeCursor(r.ID)
				return page, nil
			}
		}
		if len(totals) < max(limit, 100) {
			return page, nil
		}
	}
}
