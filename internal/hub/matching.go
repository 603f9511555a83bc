package hub

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// Limits bound how much hit/no-hit one organization may ask.
type Limits struct {
	// HitRequests per minute, and HitValues per hour, per organization.
	HitRequests int
	HitValues   int
}

// DefaultLimits allow a partner to check a day's worth of indicators in a
// few requests, but not to enumerate a hub's holdings.
var DefaultLimits = Limits{HitRequests: 60, HitValues: 2_000_000}

// MaxHitValues is the most values one hit/no-hit request may carry.
const MaxHitValues = 100_000

// ErrRateLimited means an organization asked more than its limits allow.
var ErrRateLimited = errors.New("rate limited")

// matching is the state the matching features need.
type matching struct {
	ix       *match.Index
	refKey   cipher.AEAD // seals opaque references to records
	valueKey []byte      // keys the hashes of hit/no-hit values
	limits   Limits

	mu       sync.Mutex
	limiters map[string]*orgLimits
}

type orgLimits struct{ requests, values *rate.Limiter }

// EnableMatching gives the hub an index of its records (kept current by a
// match.Feed) and the secret its opaque references and value hashes are
// keyed with. Until it is called, the matching features answer that the hub
// has no index.
func (h *Hub) EnableMatching(ix *match.Index, secret []byte, limits Limits) error {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(purpose))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("fusion/access-ref/v1"))
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	h.m = &matching{ix: ix, refKey: aead, valueKey: derive("fusion/hit-values/v1"), limits: limits, limiters: map[string]*orgLimits{}}
	return nil
}

// ErrNoIndex means the hub was started without a match index.
var ErrNoIndex = errors.New("hub: matching is not enabled on this hub")

// Index returns the hub's match index, or nil.
func (h *Hub) Index() *match.Index {
	if h.m == nil {
		return nil
	}
	return h.m.ix
}

func (m *matching) allow(org string, values int) error {
	m.mu.Lock()
	l, ok := m.limiters[org]
	if !ok {
		l = &orgLimits{
			requests: rate.NewLimiter(rate.Limit(float64(m.limits.HitRequests)/60), max(1, m.limits.HitRequests)),
			values:   rate.NewLimiter(rate.Limit(float64(m.limits.HitValues)/3600), max(MaxHitValues, m.limits.HitValues)),
		}
		m.limiters[org] = l
	}
	m.mu.Unlock()
	now := time.Now()
	if !l.requests.AllowN(now, 1) || !l.values.AllowN(now, values) {
		return fmt.Errorf("%w: organization %s may ask %d hit/no-hit requests a minute and %d values an hour", ErrRateLimited, org, m.limits.HitRequests, m.limits.HitValues)
	}
	return nil
}

// sealRef returns an opaque reference to a record: sealed with the hub's
// key and a fresh nonce, so two answers about one record cannot be linked.
func (m *matching) sealRef(recordID string) string {
	nonce := make([]byte, m.refKey.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(m.refKey.Seal(nonce, nonce, []byte(recordID), []byte("ref")))
}

func (m *matching) openRef(ref string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(ref)
	if err != nil || len(b) < m.refKey.NonceSize() {
		return "", false
	}
	id, err := m.refKey.Open(nil, b[:m.refKey.NonceSize()], b[m.refKey.NonceSize():], []byte("ref"))
	return string(id), err == nil
}

// HitAnswer is the answer for one value of a hit/no-hit query.
type HitAnswer struct {
	Value string `json:"value"`
	// Canonical and Type are the value as fusion reads it.
	Canonical string          `json:"canonical,omitempty"`
	Type      observable.Type `json:"type,omitempty"`
	// Records are the matching records the caller may see in full.
	Records []intel.Record `json:"records"`
	// Hits are matching records the caller may not see but whose owners let
	// them be discovered: only that a hit exists and whom to ask.
	Hits []Hit `json:"hits"`
	// Tor is set when the value is an address that is a Tor exit now.
	Tor   *TorCaution `json:"tor,omitempty"`
	Error *apiError   `json:"error,omitempty"`
}

// Hit says that owner holds a matching record; Ref is what an access
// request names it by.
type Hit struct {
	Hit   bool   `json:"hit"`
	Owner string `json:"owner"`
	Ref   string `json:"ref"`
}

// apiError mirrors the API's error shape for per-value errors.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Hits answers a hit/no-hit query. For each value: the matching records c
// may see in full; for the others, only those whose originator made them
// discoverable, as {hit, owner, ref}; nothing at all for records that are
// neither — not a count, not an error, and the same work per record, so
// that the answer does not depend on records c may not know of. The query
// is written to the evidence log with the values as keyed hashes.
func (h *Hub) Hits(ctx context.Context, c *policy.Caller, values []string) ([]HitAnswer, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	if h.m == nil {
		return nil, ErrNoIndex
	}
	if len(values) > MaxHitValues {
		return nil, fmt.Errorf("%w: %d values in one query, the limit is %d", ErrTooMany, len(values), MaxHitValues)
	}
	if err := h.m.allow(c.Org, len(values)); err != nil {
		return nil, err
	}
	out := make([]HitAnswer, len(values))
	var forms match.Forms
	full := map[string][]int{}             // record id -> answers naming it
	hits := map[string][]evidence.Object{} // owner -> discoverable records hit
	hashes := make([][]byte, 0, len(values))
	for i, v := range values {
		a := &out[i]
		a.Value, a.Records, a.Hits = v, []intel.Record{}, []Hit{}
		obs, err := h.canon.Parse("", v)
		if err != nil {
			a.Error = &apiError{"invalid_value", err.Error()}
			continue
		}
		a.Canonical, a.Type = obs.Value, obs.Type
		if obs.Type == observable.IPv4 || obs.Type == observable.IPv6 {
			a.Tor = h.torCaution(obs.Value, h.now())
		}
		mac := hmac.New(sha256.New, h.m.valueKey)
		mac.Write([]byte(string(obs.Type) + ":" + obs.Value))
		hashes = append(hashes, mac.Sum(nil)[:16])
		h.m.ix.Lookup(obs, func(e match.Entry) bool {
			switch e.Form(c, &forms) {
			case policy.Full:
				full[e.ID()] = append(full[e.ID()], i)
			default:
				if e.Discoverable() {
					a.Hits = append(a.Hits, Hit{Hit: true, Owner: e.Originator(), Ref: h.m.sealRef(e.ID())})
					hits[e.Originator()] = append(hits[e.Originator()], evidence.Object{Kind: evidence.KindRecord, ID: e.ID(), Owner: e.Originator()})
				}
			}
			return true
		})
	}
	// Full records come from the store and pass the gate again: the index
	// may trail the store by a moment, the gate has the last word.
	ids := make([]string, 0, len(full))
	for id := range full {
		ids = append(ids, id)
	}
	recs, err := h.store.RecordsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var shown []intel.Record
	for i := range recs {
		v, form := policy.RecordForm(c, &recs[i])
		if form != policy.Full || !recs[i].Active() {
			continue
		}
		shown = append(shown, v)
		for _, at := range full[v.ID] {
			out[at].Records = append(out[at].Records, v)
		}
	}
	if err := h.logHitQuery(ctx, c, hashes, hits); err != nil {
		return nil, err
	}
	return out, h.discloseRecords(ctx, c, shown)
}

// logHitQuery stores the keyed value hashes and writes the query's leaf and
// one hit notice per owner of discoverable records that matched.
func (h *Hub) logHitQuery(ctx context.Context, c *policy.Caller, hashes [][]byte, hits map[string][]evidence.Object) error {
	sorted := slices.Clone(hashes)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i], sorted[j]) < 0 })
	q := store.HitQuery{ID: newID(), Org: c.Org, TokenID: c.TokenID, Created: h.now(), Hashes: bytes.Join(sorted, nil)}
	leaves := []evidence.Leaf{actorOf(c).leaf(evidence.HitQuery, evidence.ObjectOf(evidence.KindHitQuery, q.ID, c.Org, evidence.HitQueryContent(q)))}
	owners := make([]string, 0, len(hits))
	for o := range hits {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	for _, o := range owners {
		leaves = append(leaves, actorOf(c).leaf(evidence.Hit, hits[o]...))
	}
	return h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertHitQuery(q); err != nil {
			return err
		}
		return h.ev.Append(tx, leaves...)
	})
}

// SightingResult says what a batch of events matched.
type SightingResult struct {
	Events  int             `json:"events"`
	Matches int             `json:"matches"`
	Records []SightingCount `json:"records"`
}

// SightingCount is how often one record was seen in the batch.
type SightingCount struct {
	Record string   `json:"record"`
	Value  string   `json:"value"`
	Labels []string `json:"labels"`
	Count  int      `json:"count"`
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
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return SightingResult{}, err
	}
	if h.m == nil {
		return SightingResult{}, ErrNoIndex
	}
	type key struct {
		record string
		hour   int64
	}
	agg := map[key]*store.Sighting{}
	counts := map[string]*SightingCount{}
	owners := map[string]string{}
	var forms match.Forms
	res := SightingResult{Events: len(obs), Records: []SightingCount{}}
	ob := match.Observer{Index: h.m.ix, Canon: h.canon}
	for _, o := range obs {
		var caution *TorCaution
		checked := false
		ob.Observe(o, func(value string, e match.Entry) bool {
			if e.Form(c, &forms) != policy.Full {
				return true
			}
			if !checked {
				caution, checked = h.torCaution(value, o.Time), true
			}
			res.Matches++
			id := e.ID()
			k := key{id, o.Time.Unix() / 3600}
			s := agg[k]
			if s == nil {
				s = &store.Sighting{RecordID: id, Org: c.Org, Hour: k.hour, First: o.Time, Last: o.Time}
				agg[k] = s
			}
			s.Count++
			s.First, s.Last = minTime(s.First, o.Time), maxTime(s.Last, o.Time)
			if counts[id] == nil {
				counts[id] = &SightingCount{Record: id, Value: e.Value(), Labels: e.Labels()}
				owners[id] = e.Originator()
			}
			counts[id].Count++
			if caution != nil {
				counts[id].TorExitEvents++
				if counts[id].Tor == nil {
					counts[id].Tor = caution
				}
			}
			return true
		})
	}
	if len(agg) == 0 {
		return res, nil
	}
	rows := make([]store.Sighting, 0, len(agg))
	for _, s := range agg {
		rows = append(rows, *s)
	}
	slices.SortFunc(rows, func(a, b store.Sighting) int { return strings.Compare(a.RecordID, b.RecordID) })
	for _, n := range counts {
		res.Records = append(res.Records, *n)
	}
	slices.SortFunc(res.Records, func(a, b SightingCount) int { return strings.Compare(a.Record, b.Record) })
	slices.SortFunc(rows, func(a, b store.Sighting) int {
		if a.RecordID != b.RecordID {
			return strings.Compare(a.RecordID, b.RecordID)
		}
		return int(a.Hour - b.Hour)
	})
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		after, err := tx.AddSightings(rows)
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
			byOwner[o] = append(byOwner[o], evidence.ObjectOf(evidence.KindSighting, evidence.SightingID(s), o, evidence.SightingContent(s)))
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
		return h.ev.Append(tx, leaves...)
	})
	return res, err
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

// Outcomes are what feedback may report.
var Outcomes = []string{"seen", "blocked", "false-positive", "takedown", "arrest", "case-opened"}

// AddFeedback records what a record led to at c's organization. c must be
// able to see the record.
func (h *Hub) AddFeedback(ctx context.Context, c *policy.Caller, recordID, outcome, note string) (store.Feedback, error) {
	if err := policy.Require(c, policy.GiveFeedback); err != nil {
		return store.Feedback{}, err
	}
	if !slices.Contains(Outcomes, outcome) {
		return store.Feedback{}, &intel.FieldError{Field: "outcome", Value: outcome, Reason: "not an outcome (" + strings.Join(Outcomes, ", ") + ")"}
	}
	if len(note) > 4096 {
		return store.Feedback{}, &intel.FieldError{Field: "note", Reason: "longer than 4 KiB"}
	}
	r, err := h.store.Record(ctx, recordID)
	if err != nil {
		return store.Feedback{}, err
	}
	if _, ok := policy.Record(c, &r); !ok {
		return store.Feedback{}, fmt.Errorf("record %q: %w", recordID, intel.ErrNotFound)
	}
	f := store.Feedback{ID: newID(), RecordID: recordID, Org: c.Org, TokenID: c.TokenID, Outcome: outcome, Note: strings.TrimSpace(note), Created: h.now()}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertFeedback(f); err != nil {
			return err
		}
		return h.ev.Append(tx, actorOf(c).leaf(evidence.Feedback,
			evidence.Object{Kind: evidence.KindRecord, ID: recordID, Owner: r.Originator},
			evidence.ObjectOf(evidence.KindFeedback, f.ID, r.Originator, evidence.FeedbackContent(f))))
	})
	return f, err
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

// FeedbackSummary is what c's records led to, per record and in total.
type FeedbackSummary struct {
	Totals  map[string]int   `json:"totals"`
	Records []RecordFeedback `json:"records"`
}

// Feedback returns, for the records c's organization originated, what they
// led to and where. Observers that chose anonymity appear as their sector
// and country only, and their notes are left out.
func (h *Hub) Feedback(ctx context.Context, c *policy.Caller) (FeedbackSummary, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return FeedbackSummary{}, err
	}
	sum := FeedbackSummary{Totals: map[string]int{}, Records: []RecordFeedback{}}
	var own []intel.Record
	q := store.RecordQuery{Originator: c.Org, IncludeRevoked: true, Limit: 1000}
	for {
		rows, err := h.store.Records(ctx, q, visibility(c))
		if err != nil {
			return sum, err
		}
		own = append(own, rows...)
		if len(rows) < q.Limit {
			break
		}
		q.After = rows[len(rows)-1].ID
	}
	ids := make([]string, len(own))
	byID := map[string]*RecordFeedback{}
	for i, r := range own {
		ids[i] = r.ID
	}
	fbs, err := h.store.FeedbackFor(ctx, ids)
	if err != nil {
		return sum, err
	}
	sights, err := h.store.Sightings(ctx, ids)
	if err != nil {
		return sum, err
	}
	orgs, err := h.store.Orgs(ctx)
	if err != nil {
		return sum, err
	}
	anon, err := h.store.AnonymousFeedback(ctx)
	if err != nil {
		return sum, err
	}
	dir := map[string]intel.Org{}
	for _, o := range orgs {
		dir[o.ID] = o
	}
	observer := func(org string) Observer {
		o := dir[org]
		if anon[org] {
			return Observer{Sector: o.Sector, Country: o.Country}
		}
		return Observer{Org: org, Sector: o.Sector, Country: o.Country}
	}
	get := func(id string) *RecordFeedback {
		rf := byID[id]
		if rf == nil {
			rf = &RecordFeedback{Record: id, Outcomes: map[string]int{}, By: []FeedbackEntry{}}
			for _, r := range own {
				if r.ID == id {
					rf.Value = r.Value
				}
			}
			byID[id] = rf
		}
		return rf
	}
	type byKey struct{ record, org, outcome string }
	entries := map[byKey]*FeedbackEntry{}
	add := func(record, org, outcome, note string, n int, at time.Time) {
		rf := get(record)
		rf.Outcomes[outcome] += n
		sum.Totals[outcome] += n
		k := byKey{record, org, outcome}
		e := entries[k]
		if e == nil {
			e = &FeedbackEntry{Observer: observer(org), Outcome: outcome}
			entries[k] = e
		}
		e.Count += n
		if at.After(e.Last) {
			e.Last = at
			if !anon[org] && note != "" {
				e.Note = note
			}
		}
	}
	for _, f := range fbs {
		add(f.RecordID, f.Org, f.Outcome, f.Note, 1, f.Created)
	}
	for _, s := range sights {
		if s.Org == c.Org {
			continue
		}
		add(s.RecordID, s.Org, "seen", "", int(s.Count), s.Last)
		get(s.RecordID).Sightings += int(s.Count)
	}
	keys := make([]byKey, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.record != b.record {
			return a.record < b.record
		}
		if a.outcome != b.outcome {
			return a.outcome < b.outcome
		}
		return a.org < b.org
	})
	for _, k := range keys {
		get(k.record).By = append(get(k.record).By, *entries[k])
	}
	for _, id := range ids {
		if rf := byID[id]; rf != nil {
			sum.Records = append(sum.Records, *rf)
		}
	}
	return sum, nil
}

// SetAnonymousFeedback records c's organization's choice to appear to
// originators as its sector and country only.
func (h *Hub) SetAnonymousFeedback(ctx context.Context, c *policy.Caller, anonymous bool) error {
	if err := policy.Require(c, policy.ManageTokens); err != nil {
		return err
	}
	return h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetAnonymousFeedback(c.Org, anonymous); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), evidence.OrgUpdate, evidence.KindOrg, c.Org, c.Org, orgContent(tx, c.Org))
	})
}

// RequestAccess asks the owner of the record behind ref for access.
func (h *Hub) RequestAccess(ctx context.Context, c *policy.Caller, ref, purpose string) (AccessView, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return AccessView{}, err
	}
	if h.m == nil {
		return AccessView{}, ErrNoIndex
	}
	purpose = strings.TrimSpace(purpose)
	if purpose == "" || len(purpose) > 1024 {
		return AccessView{}, &intel.FieldError{Field: "purpose", Reason: "is required, at most 1 KiB"}
	}
	id, ok := h.m.openRef(ref)
	if !ok {
		return AccessView{}, &intel.FieldError{Field: "ref", Value: ref, Reason: "not a reference this hub gave out"}
	}
	r, err := h.store.Record(ctx, id)
	if err != nil {
		return AccessView{}, &intel.FieldError{Field: "ref", Value: ref, Reason: "the record it names no longer exists"}
	}
	a := store.AccessRequest{ID: newID(), RecordID: id, Owner: r.Originator, Requester: c.Org, Purpose: purpose, Status: "pending", Created: h.now()}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAccessRequest(a); err != nil {
			return err
		}
		return h.logAccess(tx, actorOf(c), evidence.AccessRequest, a)
	})
	return accessView(c, a), err
}

func (h *Hub) logAccess(tx *store.Tx, a actor, action evidence.Action, req store.AccessRequest) error {
	content := evidence.AccessRequestContent(req)
	// The request names the record only for its owner: the leaf's objects
	// are owned by the record's owner, and the requester appears as actor.
	return h.ev.Append(tx, a.leaf(action,
		evidence.Object{Kind: evidence.KindRecord, ID: req.RecordID, Owner: req.Owner},
		evidence.ObjectOf(evidence.KindAccessRequest, req.ID, req.Owner, content)))
}

// AccessView is an access request as one side sees it: the owner always
// sees the record it is about; the requester only once access is granted.
type AccessView struct {
	store.AccessRequest
	Record string `json:"record,omitempty"`
}

func accessView(c *policy.Caller, a store.AccessRequest) AccessView {
	v := AccessView{AccessRequest: a}
	if a.Owner == c.Org || a.Status == "approved" {
		v.Record = a.RecordID
	}
	return v
}

// AccessRequests lists the requests c's organization received
// (received=true) or made, newest first.
func (h *Hub) AccessRequests(ctx context.Context, c *policy.Caller, received bool) ([]AccessView, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	as, err := h.store.AccessRequests(ctx, c.Org, !received)
	out := make([]AccessView, len(as))
	for i, a := range as {
		out[i] = accessView(c, a)
	}
	return out, err
}

// DecideAccess approves or denies a pending request made to c's
// organization. Approval adds the requester to the record's audience (a new
// version of the record, logged like any change).
func (h *Hub) DecideAccess(ctx context.Context, c *policy.Caller, id string, approve bool, reason string) (AccessView, error) {
	if err := policy.Require(c, policy.ChangeIntel); err != nil {
		return AccessView{}, err
	}
	if len(reason) > 1024 {
		return AccessView{}, &intel.FieldError{Field: "reason", Reason: "longer than 1 KiB"}
	}
	var out store.AccessRequest
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.AccessRequest(id)
		if err != nil || a.Owner != c.Org {
			return fmt.Errorf("access request %q: %w", id, intel.ErrNotFound)
		}
		status, action := "denied", evidence.AccessDeny
		if approve {
			status, action = "approved", evidence.AccessGrant
		}
		now := h.now()
		if err := tx.DecideAccessRequest(id, status, reason, now); err != nil {
			return err
		}
		a.Status, a.Reason, a.Decided = status, reason, &now
		if approve {
			prev, err := tx.Record(a.RecordID)
			if err != nil {
				return err
			}
			if !prev.Audience.HasOrg(a.Requester) {
				next := prev
				next.Audience.Orgs = append(slices.Clone(prev.Audience.Orgs), a.Requester)
				slices.Sort(next.Audience.Orgs)
				next.Version, next.Updated = prev.Version+1, now
				enc, err := store.Encode(&next)
				if err != nil {
					return err
				}
				if err := tx.UpdateRecord(&prev, enc); err != nil {
					return err
				}
				if err := h.ev.Append(tx, actorOf(c).leaf(evidence.RecordUpdate, recordObject(enc))); err != nil {
					return err
				}
			}
		}
		out = a
		return h.logAccess(tx, actorOf(c), action, a)
	})
	return accessView(c, out), err
}

// ExportRecords calls fn with every active record c may see in full, in
// batches, for matching at the partner's side (fusion match --server). Each
// batch is logged as a disclosure before fn sees it.
func (h *Hub) ExportRecords(ctx context.Context, c *policy.Caller, fn func([]intel.Record) error) error {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return err
	}
	q := store.RecordQuery{Limit: 1000}
	for {
		rows, err := h.store.Records(ctx, q, visibility(c))
		if err != nil {
			return err
		}
		batch := make([]intel.Record, 0, len(rows))
		for i := range rows {
			if v, form := policy.RecordForm(c, &rows[i]); form == policy.Full {
				batch = append(batch, v)
			}
		}
		if len(batch) > 0 {
			if err := h.discloseRecords(ctx, c, batch); err != nil {
				return err
			}
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(rows) < q.Limit {
			return nil
		}
		q.After = rows[len(rows)-1].ID
	}
}
