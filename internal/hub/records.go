package hub

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/search"
	"fusion/internal/store"
)

// CreateRecords validates and stores a batch in one transaction. The result
// has one entry per input, in order: the stored record, or the error that
// refused that input. A refused input does not spoil the others; an error
// returned as the second value means nothing was stored.
func (h *Hub) CreateRecords(ctx context.Context, c *policy.Caller, ins []intel.RecordInput) ([]Result[intel.Record], error) {
	return h.CreateRecordsFrom(ctx, c, len(ins), func(i int) (intel.RecordInput, error) { return ins[i], nil })
}

// ingestChunk is how many items one worker prepares at a time.
const ingestChunk = 256

// CreateRecordsFrom is CreateRecords for n inputs produced by input, which
// may fail per item (a body that does not decode, say) and must be safe to
// call from several goroutines. Inputs are decoded, validated, canonicalized
// and encoded by parallel workers, chunk by chunk, while the transaction
// inserts the chunks already prepared, in order.
func (h *Hub) CreateRecordsFrom(ctx context.Context, c *policy.Caller, n int, input func(i int) (intel.RecordInput, error)) ([]Result[intel.Record], error) {
	return h.CreateRecordsKept(ctx, c, n, input, nil)
}

// CreateRecordsKept is CreateRecordsFrom keeping the answer for a retry
// (keep may be nil). It fails with ErrAnswerKept, storing nothing, when an
// answer is kept already for keep.Key.
func (h *Hub) CreateRecordsKept(ctx context.Context, c *policy.Caller, n int, input func(i int) (intel.RecordInput, error), keep *Keep[[]Result[intel.Record]]) ([]Result[intel.Record], error) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		return nil, err
	}
	if err := CheckBatch(n); err != nil {
		return nil, err
	}
	if h.canon == nil {
		return nil, errNoCanonicalizer
	}
	now := h.now()
	out := make([]Result[intel.Record], n)
	inputs := make([]intel.RecordInput, n)
	encoded := make([]store.Encoded, n)
	ids := make([]string, n) // drawn in input order, so that a batch lists in the order it was sent
	for i := range ids {
		ids[i] = newID()
	}
	chunks := (n + ingestChunk - 1) / ingestChunk
	ready := make([]chan struct{}, chunks)
	for k := range ready {
		ready[k] = make(chan struct{})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait() // no worker may outlive the call, even when the transaction fails
	stop := make(chan struct{})
	defer close(stop)
	// One core is left to the goroutine that writes: the insert is the critical path.
	for range min(max(1, runtime.GOMAXPROCS(0)-1), chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= chunks {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				for i := k * ingestChunk; i < min(n, (k+1)*ingestChunk); i++ {
					out[i].Err = h.prepareRecord(c, input, i, ids[i], now, &inputs[i], &out[i].Value, &encoded[i])
				}
				close(ready[k])
			}
		}()
	}
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		aud := newAudienceCheck(tx, c)
		held := map[store.RecordKey]string{} // the record this batch has made or found for a value
		batch := make([]store.Encoded, 0, ingestChunk)
		for k := range chunks {
			select {
			case <-ready[k]:
			case <-ctx.Done():
				return ctx.Err()
			}
			// New values become new records, unless the organization
			// already holds one (made earlier in this request, or by
			// another, claimed first in the store); the others change the
			// record that is there.
			batch = batch[:0]
			var claim []store.RecordKey
			var claimIDs []string
			var again, claimAt []int
			claiming := map[store.RecordKey]bool{}
			for i := k * ingestChunk; i < min(n, (k+1)*ingestChunk); i++ {
				if out[i].Err != nil {
					continue
				}
				if err := aud.check(out[i].Value.Audience); err != nil {
					if !IsInputError(err) {
						return err
					}
					out[i].Err = err
					continue
				}
				key := keyOf(&out[i].Value)
				if held[key] != "" || claiming[key] {
					again = append(again, i)
					continue
				}
				claiming[key] = true
				claim, claimIDs, claimAt = append(claim, key), append(claimIDs, ids[i]), append(claimAt, i)
			}
			taken, err := tx.ClaimRecordKeys(c.Org, claim, claimIDs)
			if err != nil {
				return err
			}
			isTaken := make(map[store.RecordKey]bool, len(taken))
			if len(taken) > 0 {
				found, err := tx.RecordIDs(c.Org, taken)
				if err != nil {
					return err
				}
				maps.Copy(held, found)
				for _, key := range taken {
					isTaken[key] = true
				}
			}
			for _, i := range claimAt {
				key := keyOf(&out[i].Value)
				if isTaken[key] {
					again = append(again, i)
					continue
				}
				held[key] = ids[i]
				out[i].Status = Created
				batch = append(batch, encoded[i])
			}
			slices.Sort(again)
			if err := tx.InsertRecords(batch); err != nil {
				return err
			}
			if len(batch) > 0 {
				// One leaf per chunk: one submission, each record with its own content hash.
				objs := make([]evidence.Object, len(batch))
				recs := make([]*intel.Record, len(batch))
				for j, enc := range batch {
					objs[j], recs[j] = recordObject(enc), enc.Record
				}
				h.indexOnCommit(tx, recs...)
				leaf := actorOf(c).leaf(evidence.RecordCreate, objs...)
				leaf.Time = now
				if err := h.ev.Append(tx, leaf); err != nil {
					return err
				}
			}
			for _, i := range again {
				if err := h.resubmit(tx, c, held[keyOf(&out[i].Value)], &inputs[i], &out[i], now); err != nil {
					return err
				}
			}
		}
		return keepAnswer(h, tx, c, keep, out)
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Err != nil {
			out[i].Value = intel.Record{}
		}
	}
	return out, nil
}

// prepareRecord turns input i into a new record of c's organization and its
// stored form; the error, if any, refuses that input only.
func (h *Hub) prepareRecord(c *policy.Caller, input func(int) (intel.RecordInput, error), i int, id string, now time.Time, in *intel.RecordInput, r *intel.Record, enc *store.Encoded) error {
	var err error
	if *in, err = input(i); err != nil {
		return err
	}
	if *r, err = intel.NewRecord(h.canon, *in); err != nil {
		return err
	}
	if hits := h.warn.Load().Check(observable.Observable{Type: r.Type, Value: r.Value}); len(hits) > 0 {
		if !in.Force {
			return &WarningListError{Value: in.Value, Hits: hits}
		}
		for _, w := range hits {
			r.Warnings = append(r.Warnings, w.List)
		}
	}
	r.ID, r.Originator, r.Created, r.Updated, r.Version = id, c.Org, now, now, 1
	*enc, err = store.Encode(r)
	return err
}

// CheckBatch refuses a batch of more than MaxBatch records.
func CheckBatch(n int) error {
	if n > MaxBatch {
		return fmt.Errorf("%w: %d records in one batch, the limit is %d", ErrTooMany, n, MaxBatch)
	}
	return nil
}

// Result is the outcome for one item of a batch.
type Result[T any] struct {
	Value T
	Err   error
	// Status says what became of an item that did not fail: Created,
	// Updated or Unchanged.
	Status string
}

// What became of a submitted record: a new record, a change to the
// record its originator already had for the value, or nothing new.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// audienceCheck validates an audience chosen by c: organizations must exist,
// and groups must be groups c belongs to. Unknown groups and groups c is not
// in get the same answer, so that nobody learns of a group by probing.
type audienceCheck struct {
	tx    *store.Tx
	c     *policy.Caller
	known map[string]bool
}

func newAudienceCheck(tx *store.Tx, c *policy.Caller) *audienceCheck {
	return &audienceCheck{tx: tx, c: c, known: map[string]bool{}}
}

func (a *audienceCheck) check(aud intel.Audience) error {
	var unknown []string
	for _, o := range aud.Orgs {
		if _, seen := a.known[o]; !seen {
			unknown = append(unknown, o)
		}
	}
	if len(unknown) > 0 {
		missing, err := a.tx.MissingOrgs(unknown)
		if err != nil {
			return err
		}
		for _, o := range unknown {
			a.known[o] = true
		}
		for _, o := range missing {
			a.known[o] = false
		}
	}
	for _, o := range aud.Orgs {
		if !a.known[o] {
			return &intel.FieldError{Field: "audience.orgs", Value: o, Reason: "no such organization"}
		}
	}
	for _, g := range aud.Groups {
		if !a.c.InGroup(g) {
			return &intel.FieldError{Field: "audience.groups", Value: g, Reason: "not a group your organization belongs to"}
		}
	}
	return nil
}

// GetRecord returns the record as c may see it, or ErrNotFound.
func (h *Hub) GetRecord(ctx context.Context, c *policy.Caller, id string) (intel.Record, error) {
	_, v, err := h.lookupRecord(ctx, c, id)
	if err != nil {
		return intel.Record{}, err
	}
	if err := h.discloseRecords(ctx, c, []intel.Record{v}); err != nil {
		return intel.Record{}, err
	}
	return v, nil
}

// lookupRecord returns record id as stored and as c may see it. A hidden
// record and one that does not exist take the same path — the same
// rate-limited lookup, the same prefiltered query — and give the same
// ErrNotFound.
func (h *Hub) lookupRecord(ctx context.Context, c *policy.Caller, id string) (stored, view intel.Record, err error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return stored, view, err
	}
	defer h.padLookup(time.Now())
	if err := h.limits().allowLookup(c.Org); err != nil {
		return stored, view, err
	}
	if stored, err = h.store.RecordVisible(ctx, id, visibility(c)); err != nil {
		return stored, view, err
	}
	view, ok := policy.Record(c, &stored)
	if !ok {
		return stored, view, fmt.Errorf("record %q: %w", id, intel.ErrNotFound)
	}
	return stored, view, nil
}

// RecordFilter selects records for a list.
type RecordFilter struct {
	// Value is looked up after canonicalization (with Type if given, else
	// detected), so a defanged or differently written value finds the record.
	Value string
	Type  string
	Label string
	// Tag keeps records with this tag (case ignored); a machine tag's
	// namespace:predicate keeps every value of it.
	Tag string
	// Query is a free-text search (package search) over values,
	// descriptions, labels, tags and references; a record seen redacted
	// is found only by what its redacted form shows.
	Query          string
	Originator     string
	Since          time.Time
	IncludeRevoked bool
	Limit          int
	Cursor         string
}

// Page is one page of a list. Next is empty on the last page; a full page
// always carries Next, so its presence says nothing about hidden objects.
type Page[T any] struct {
	Items []T
	Next  string
	// Rules, for a value search, says by which rule each item matched
	// the value (exact, or url-on-domain: see ListRecords); nil otherwise.
	Rules []match.Rule
}

// ListRecords returns the records matching f that c may see, in storage
// order. A value search returns only records whose value c may see in full:
// matching a personal record's value would disclose it. A value search for
// a domain also lists the URL records on it and on names under it (rule
// url-on-domain; see listWithURLs).
func (h *Hub) ListRecords(ctx context.Context, c *policy.Caller, f RecordFilter) (Page[intel.Record], error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return Page[intel.Record]{}, err
	}
	q := store.RecordQuery{Label: f.Label, Originator: f.Originator, IncludeRevoked: f.IncludeRevoked}
	if f.Type != "" {
		t, err := observable.ParseType(f.Type)
		if err != nil {
			return Page[intel.Record]{}, &intel.FieldError{Field: "type", Value: f.Type, Reason: "not an observable type"}
		}
		q.Type = string(t)
	}
	if f.Label != "" && !intel.IsLabel(f.Label) {
		return Page[intel.Record]{}, &intel.FieldError{Field: "label", Value: f.Label, Reason: "not in the label vocabulary"}
	}
	var pad func()
	var err error
	q.Tag, q.Search, pad, err = h.listFilters(c, f.Tag, f.Query)
	defer pad()
	if err != nil {
		return Page[intel.Record]{}, err
	}
	if f.Value != "" {
		defer h.padLookup(time.Now())
		if err := h.limits().allowLookup(c.Org); err != nil {
			return Page[intel.Record]{}, err
		}
		obs, err := h.canon.Parse(observable.Type(q.Type), f.Value)
		if err != nil {
			return Page[intel.Record]{}, err
		}
		q.Type, q.Value = string(obs.Type), obs.Value
	}
	if !f.Since.IsZero() {
		q.Since = f.Since.UnixMicro()
	}
	limit, after, err := pageArgs(f.Limit, f.Cursor)
	if err != nil {
		return Page[intel.Record]{}, err
	}
	q.After = after
	if q.Value != "" && (q.Type == string(observable.Domain) || q.Type == string(observable.Onion)) && q.Tag == "" && q.Search == nil && h.m != nil {
		return h.listWithURLs(ctx, c, q, limit)
	}
	var page Page[intel.Record]
	for len(page.Items) < limit {
		q.Limit = max(limit, 100)
		rows, err := h.store.FindRecords(ctx, q, visibility(c))
		if err != nil {
			return page, err
		}
		for i := range rows {
			q.After = rows[i].Record.ID
			v, form := policy.RecordForm(c, &rows[i].Record)
			if !policy.Searched(form, q.Value != "", rows[i].Redacted) {
				continue
			}
			page.Items = append(page.Items, v)
			if q.Value != "" {
				page.Rules = append(page.Rules, match.RuleExact)
			}
			if len(page.Items) == limit {
				page.Next = encodeCursor(v.ID)
				return page, h.discloseRecords(ctx, c, page.Items)
			}
		}
		if len(rows) < q.Limit {
			break
		}
	}
	if page.Items == nil {
		page.Items = []intel.Record{}
	}
	return page, h.discloseRecords(ctx, c, page.Items)
}

func pageArgs(limit int, cursor string) (int, string, error) {
	switch {
	case limit == 0:
		limit = DefaultPage
	case limit < 0 || limit > MaxPage:
		return 0, "", &intel.FieldError{Field: "limit", Value: strconv.Itoa(limit), Reason: fmt.Sprintf("must be 1 to %d", MaxPage)}
	}
	after, err := decodeCursor(cursor)
	return limit, after, err
}

// A cursor is the id of the last object of a page, which the caller has
// seen: it tells nothing about objects the caller may not see.
func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + id))
}

func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if id, ok := strings.CutPrefix(string(b), "after:"); err == nil && ok && uuid.Validate(id) == nil {
		return id, nil
	}
	return "", &intel.FieldError{Field: "cursor", Value: c, Reason: "not a cursor this server issued"}
}

// UpdateRecord applies p to a record of c's organization.
func (h *Hub) UpdateRecord(ctx context.Context, c *policy.Caller, id string, p intel.RecordPatch) (intel.Record, error) {
	return h.changeRecord(ctx, c, id, evidence.RecordUpdate, func(tx *store.Tx, r *intel.Record) error {
		if err := p.ApplyTo(r); err != nil {
			return err
		}
		return newAudienceCheck(tx, c).check(r.Audience)
	})
}

// RevokeRecord withdraws a record of c's organization; its history is kept
// and it stays readable, marked revoked, by those who could read it.
func (h *Hub) RevokeRecord(ctx context.Context, c *policy.Caller, id, reason string) (intel.Record, error) {
	if len(reason) > 1024 {
		return intel.Record{}, &intel.FieldError{Field: "reason", Reason: "longer than 1 KiB"}
	}
	return h.changeRecord(ctx, c, id, evidence.RecordRevoke, func(_ *store.Tx, r *intel.Record) error {
		now := h.now()
		r.Revoked, r.RevokedReason = &now, reason
		return nil
	})
}

func (h *Hub) changeRecord(ctx context.Context, c *policy.Caller, id string, action evidence.Action, change func(*store.Tx, *intel.Record) error) (intel.Record, error) {
	var next intel.Record
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		prev, prevBody, err := tx.RecordWithBody(id)
		if err != nil {
			return err
		}
		if err := policy.Change(c, "record", id, policy.RecordShared(&prev)); err != nil {
			return err
		}
		if !prev.Active() {
			return fmt.Errorf("%w: record %s was revoked", intel.ErrConflict, id)
		}
		next = prev
		if err := change(tx, &next); err != nil {
			return err
		}
		if same, err := unchanged(&next, prevBody); err != nil || same {
			next = prev // an empty or idempotent patch: no new version, nothing to log
			return err
		}
		return h.writeVersion(tx, c, action, &prev, prevBody, &next, h.now())
	})
	return next, err
}

// unchanged reports whether next, at its current version, encodes to
// prevBody: whether a change left the record as it was.
func unchanged(next *intel.Record, prevBody []byte) (bool, error) {
	enc, err := store.Encode(next)
	if err != nil {
		return false, err
	}
	return bytes.Equal(enc.Body, prevBody), nil
}

// writeVersion stores next as the version of prev (whose stored body is
// prevBody) that follows it, changed by c at now: the previous version
// goes to the history, the change to the evidence log, and the new one to
// the match index once tx commits.
func (h *Hub) writeVersion(tx *store.Tx, c *policy.Caller, action evidence.Action, prev *intel.Record, prevBody []byte, next *intel.Record, now time.Time) error {
	next.Version, next.Updated = prev.Version+1, now
	enc, err := store.Encode(next)
	if err != nil {
		return err
	}
	if err := tx.UpdateRecord(prev, enc); err != nil {
		return err
	}
	h.indexOnCommit(tx, enc.Record)
	return h.ev.Append(tx, actorOf(c).leaf(action, recordChange(prevBody, enc)))
}

// RecordHistory returns the earlier versions of a record that c may see,
// oldest first, followed by the current one.
func (h *Hub) RecordHistory(ctx context.Context, c *policy.Caller, id string) ([]intel.Record, error) {
	stored, now, err := h.lookupRecord(ctx, c, id)
	if err != nil {
		return nil, err
	}
	cur := &stored
	olds, err := h.store.RecordVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]intel.Record, 0, len(olds)+1)
	for i := range olds {
		if v, ok := policy.Version(c, cur, &olds[i]); ok {
			out = append(out, v)
		}
	}
	out = append(out, now)
	return out, h.discloseRecords(ctx, c, out)
}

// IsInputError reports whether err refuses the caller's input (as opposed
// to a failure of the hub itself).
func IsInputError(err error) bool {
	var oe *observable.Error
	return errors.Is(err, intel.ErrInvalid) || errors.As(err, &oe)
}

// listFilters reads a list's tag filter and free-text search. A search is
// a lookup: it reaches text the caller may not see, like a value search,
// so it is rate limited, and pad, which the caller defers, makes it take
// the least lookup time.
func (h *Hub) listFilters(c *policy.Caller, tag, q string) (key string, query search.Query, pad func(), err error) {
	pad = func() {}
	if key, err = tagKey(tag); err != nil || q == "" {
		return key, nil, pad, err
	}
	start := time.Now()
	pad = func() { h.padLookup(start) }
	if err = h.limits().allowLookup(c.Org); err != nil {
		return key, nil, pad, err
	}
	if query, err = search.Parse(q); err != nil {
		err = &intel.FieldError{Field: "q", Value: q, Reason: err.Error()}
	}
	return key, query, pad, err
}

// tagKey returns the key a tag filter looks up, or "" for none.
func tagKey(tag string) (string, error) {
	if tag == "" {
		return "", nil
	}
	t, err := intel.ParseTag(tag)
	if err != nil {
		return "", &intel.FieldError{Field: "tag", Value: tag, Reason: "not a tag: " + err.Error()}
	}
	return intel.TagKeys(t)[0], nil
}

func keyOf(r *intel.Record) store.RecordKey {
	return store.RecordKey{Type: string(r.Type), Value: r.Value}
}

// resubmit applies a second submission of a value (in, prepared as res)
// to the record id that c's organization already has for it, in tx. An
// error returned is the hub's; one that refuses the input goes to res.
func (h *Hub) resubmit(tx *store.Tx, c *policy.Caller, id string, in *intel.RecordInput, res *Result[intel.Record], now time.Time) error {
	submitted := res.Value
	prev, prevBody, err := tx.RecordWithBody(id)
	if err != nil {
		return err
	}
	if prev.Originator != c.Org || keyOf(&prev) != keyOf(&submitted) {
		// The key table names a record that is not this value's: it was
		// edited outside fusion. Refuse rather than change that record.
		return fmt.Errorf("%w: the record key of %s %q names record %s, which is not that value of %s", evidence.ErrInconsistent, submitted.Type, submitted.Value, id, c.Org)
	}
	next := prev
	if err := in.Resubmission(&prev).ApplyTo(&next); err != nil {
		res.Err, res.Value = err, intel.Record{}
		return nil
	}
	next.Revoked, next.RevokedReason = nil, "" // shared again
	next.Warnings = submitted.Warnings
	if submitted.Origin != nil {
		next.Origin = submitted.Origin
	}
	if same, err := unchanged(&next, prevBody); err != nil {
		return err
	} else if same {
		res.Value, res.Status = prev, Unchanged
		return nil
	}
	if err := h.writeVersion(tx, c, evidence.RecordUpdate, &prev, prevBody, &next, now); err != nil {
		return err
	}
	res.Value, res.Status = next, Updated
	return nil
}
