package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// Outcomes are what feedback may report.
var Outcomes = []string{"seen", "blocked", "false-positive", "takedown", "arrest", "case-opened"}

// FeedbackItem is one report of what a record led to, as given.
type FeedbackItem struct {
	ID      string    `json:"id"`
	Record  string    `json:"record"`
	Org     string    `json:"org"`
	Outcome string    `json:"outcome"`
	Note    string    `json:"note,omitempty"`
	Created time.Time `json:"created"`
}

// AddFeedback records what a record led to at c's organization. c must be
// able to see the record.
func (h *Hub) AddFeedback(ctx context.Context, c *policy.Caller, recordID, outcome, note string) (FeedbackItem, error) {
	if err := policy.Require(c, policy.GiveFeedback); err != nil {
		return FeedbackItem{}, err
	}
	if !slices.Contains(Outcomes, outcome) {
		return FeedbackItem{}, &intel.FieldError{Field: "outcome", Value: outcome, Reason: "not an outcome (" + strings.Join(Outcomes, ", ") + ")"}
	}
	if len(note) > 4096 {
		return FeedbackItem{}, &intel.FieldError{Field: "note", Reason: "longer than 4 KiB"}
	}
	r, err := h.store.Record(ctx, recordID)
	if err != nil {
		return FeedbackItem{}, err
	}
	if _, ok := policy.Record(c, &r); !ok {
		return FeedbackItem{}, fmt.Errorf("record %q: %w", recordID, intel.ErrNotFound)
	}
	f := store.Feedback{ID: newID(), RecordID: recordID, Owner: r.Originator, Org: c.Org, TokenID: c.TokenID, Outcome: outcome, Note: strings.TrimSpace(note), Created: h.now()}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertFeedback(f); err != nil {
			return err
		}
		return h.ev.Append(tx, actorOf(c).leaf(evidence.Feedback,
			evidence.Object{Kind: evidence.KindRecord, ID: recordID, Owner: r.Originator},
			evidence.ObjectOf(evidence.KindFeedback, f.ID, r.Originator, evidence.FeedbackContent(f))))
	})
	return FeedbackItem{ID: f.ID, Record: f.RecordID, Org: f.Org, Outcome: f.Outcome, Note: f.Note, Created: f.Created}, err
}

// Observer is how an organization appears in feedback to an originator:
// by id, or — if it chose to stay anonymous — by sector and country only.
type Observer struct {
	Org     string       `json:"org,omitempty"`
	Sector  intel.Sector `json:"sector"`
	Country string       `json:"country"`
}

// RecordFeedback is what one of c's records led to.
type RecordFeedback struct {
	Record   string         `json:"record"`
	Value    string         `json:"value"`
	Outcomes map[string]int `json:"outcomes"`
	// Sightings counts matches in partners' traffic; they count as "seen".
	Sightings int             `json:"sightings"`
	By        []FeedbackEntry `json:"by"`
}

// FeedbackEntry is one observer's report on a record.
type FeedbackEntry struct {
	Observer Observer  `json:"observer"`
	Outcome  string    `json:"outcome"`
	Count    int       `json:"count"`
	Note     string    `json:"note,omitempty"`
	Last     time.Time `json:"last"`
}

// FeedbackSummary is what c's records led to: totals over all of them,
// and one page of the records that led to anything. Next is the cursor of
// the following page, empty on the last.
type FeedbackSummary struct {
	Totals  map[string]int   `json:"totals"`
	Records []RecordFeedback `json:"records"`
	Next    string           `json:"next,omitempty"`
}

// Feedback returns, for the records c's organization originated, what they
// led to and where: totals over all of them, and a page (limit, cursor as
// in ListRecords) of the records with any feedback or sightings by other
// organizations, in id order. Observers appear as policy.Observer decides:
// by sector and country only, without their notes, when they chose
// anonymity. Everything is counted in SQL: the memory a call takes does
// not grow with the number of records.
func (h *Hub) Feedback(ctx context.Context, c *policy.Caller, limit int, cursor string) (FeedbackSummary, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return FeedbackSummary{}, err
	}
	limit, after, err := pageArgs(limit, cursor)
	if err != nil {
		return FeedbackSummary{}, err
	}
	sum := FeedbackSummary{Totals: map[string]int{}, Records: []RecordFeedback{}}
	outcomes, sighted, err := h.store.FeedbackTotals(ctx, c.Org)
	if err != nil {
		return sum, err
	}
	for _, o := range outcomes {
		sum.Totals[o.Outcome] += int(o.Count)
	}
	if sighted > 0 {
		sum.Totals["seen"] += int(sighted)
	}
	ids, err := h.store.RecordsWithFeedback(ctx, c.Org, after, limit+1)
	if err != nil {
		return sum, err
	}
	if len(ids) > limit {
		ids = ids[:limit]
		sum.Next = encodeCursor(ids[limit-1])
	}
	if len(ids) == 0 {
		return sum, nil
	}
	values, err := h.store.RecordValues(ctx, ids)
	if err != nil {
		return sum, err
	}
	fbs, err := h.store.FeedbackByObserver(ctx, ids)
	if err != nil {
		return sum, err
	}
	sights, err := h.store.SightingsByObserver(ctx, ids, c.Org)
	if err != nil {
		return sum, err
	}
	dir, err := h.directory(ctx)
	if err != nil {
		return sum, err
	}
	byID := make(map[string]*RecordFeedback, len(ids))
	for _, id := range ids {
		sum.Records = append(sum.Records, RecordFeedback{Record: id, Value: values[id], Outcomes: map[string]int{}, By: []FeedbackEntry{}})
	}
	for i := range sum.Records {
		byID[sum.Records[i].Record] = &sum.Records[i]
	}
	type key struct{ record, org, outcome string }
	entries := map[key]*FeedbackEntry{}
	var order []key
	add := func(t store.ObserverTotal, sighting bool) {
		rf := byID[t.RecordID]
		o := dir[t.Org]
		form := policy.Observer(c, c.Org, t.Org, o.AnonymousFeedback)
		if rf == nil || form == policy.Unseen {
			return
		}
		rf.Outcomes[t.Outcome] += int(t.Count)
		if sighting {
			rf.Sightings += int(t.Count)
		}
		k := key{t.RecordID, t.Org, t.Outcome}
		e := entries[k]
		if e == nil {
			e = &FeedbackEntry{Observer: Observer{Sector: intel.Sector(o.Sector), Country: o.Country}, Outcome: t.Outcome}
			if form == policy.Named {
				e.Observer.Org = t.Org
			}
			entries[k] = e
			order = append(order, k)
		}
		e.Count += int(t.Count)
		if t.Last.After(e.Last) {
			e.Last = t.Last
		}
		if form == policy.Named && t.Note != "" {
			e.Note = t.Note
		}
	}
	for _, t := range fbs {
		add(t, false)
	}
	for _, t := range sights {
		add(t, true)
	}
	slices.SortFunc(order, func(a, b key) int {
		if a.record != b.record {
			return strings.Compare(a.record, b.record)
		}
		if a.outcome != b.outcome {
			return strings.Compare(a.outcome, b.outcome)
		}
		return strings.Compare(a.org, b.org)
	})
	for _, k := range order {
		byID[k.record].By = append(byID[k.record].By, *entries[k])
	}
	return sum, nil
}

// directory returns every organization's row, by id.
func (h *Hub) directory(ctx context.Context) (map[string]store.OrgRow, error) {
	out := map[string]store.OrgRow{}
	err := h.store.ScanOrgRows(ctx, func(o store.OrgRow) error { out[o.ID] = o; return nil })
	return out, err
}

// OrgSettings are what an organization may change of itself.
type OrgSettings struct {
	// AnonymousFeedback: appear to originators, in feedback and sightings,
	// as sector and country only.
	AnonymousFeedback *bool `json:"anonymous_feedback"`
}

// OwnOrgSettings returns the settings of c's own organization, for any of
// its members who may read intel to see (changing them is UpdateOrg's, for
// its admins). No organization reads another's settings.
func (h *Hub) OwnOrgSettings(ctx context.Context, c *policy.Caller) (OrgSettings, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return OrgSettings{}, err
	}
	anon, err := h.store.AnonymousFeedback(ctx)
	if err != nil {
		return OrgSettings{}, err
	}
	a := anon[c.Org]
	return OrgSettings{AnonymousFeedback: &a}, nil
}

// UpdateOrg changes organization org's own settings, as c (an admin of it).
func (h *Hub) UpdateOrg(ctx context.Context, c *policy.Caller, org string, s OrgSettings) (intel.Org, error) {
	if err := policy.ChangeOrg(c, org); err != nil {
		return intel.Org{}, err
	}
	if s.AnonymousFeedback != nil {
		err := h.store.Update(ctx, func(tx *store.Tx) error {
			before, err := changing(tx, orgContent(tx, c.Org))
			if err != nil {
				return err
			}
			if cur, err := tx.OrgRow(c.Org); err != nil || cur.AnonymousFeedback == *s.AnonymousFeedback {
				return err // no change: nothing to log
			}
			if err := tx.SetAnonymousFeedback(c.Org, *s.AnonymousFeedback); err != nil {
				return err
			}
			return h.logged(tx, actorOf(c), evidence.OrgUpdate, evidence.KindOrg, c.Org, c.Org, before, orgContent(tx, c.Org))
		})
		if err != nil {
			return intel.Org{}, err
		}
	}
	return h.store.Org(ctx, org)
}
