package hub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// HitAnswer is the answer for one value of a hit/no-hit query.
type HitAnswer struct {
	Value string `json:"value"`
	// Canonical and Type are the value as fusion reads it.
	Canonical string          `json:"canonical,omitempty"`
	Type      observable.Type `json:"type,omitempty"`
	// Records are the matching records the caller may see in full.
	Records []HitRecord `json:"records"`
	// Hits are matching records the caller may not see but whose owners let
	// them be discovered: only that a hit exists and whom to ask.
	Hits []Hit `json:"hits"`
	// Tor is set when the value is an address that is a Tor exit now.
	Tor *TorCaution `json:"tor,omitempty"`
	// Err refuses this value only (it is not a value fusion can read); the
	// interface says so in its own terms.
	Err error `json:"-"`
}

// HitRecord is a matching record the caller may see in full, and the rule
// by which it matched the value.
type HitRecord struct {
	intel.Record
	Rule match.Rule `json:"rule"`
}

// Hit says that owner holds a matching record; Ref is what an access
// request names it by. Rule is how the value matched it (the value asked
// itself, a name under the record's domain, a URL on the domain asked,
// ...): what the answer rests on, never the record's value.
type Hit struct {
	Hit   bool       `json:"hit"`
	Owner string     `json:"owner"`
	Ref   string     `json:"ref"`
	Rule  match.Rule `json:"rule"`
}

// Hits answers a hit/no-hit query. A value matches records as a sensor's
// observation of it would (the value itself, CIDRs holding an address,
// domains covering a name's parents, URLs of the same target and a URL's
// host) and, for a domain, the URL records on it or on a name under it
// (rule url-on-domain), each answer saying which rule matched. For each
// value: the matching records c may see in full; for the others, only those whose originator made them
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
	if err := h.limits().allowHits(c.Org, len(values)); err != nil {
		return nil, err
	}
	out := make([]HitAnswer, len(values))
	type cand struct {
		at   int // the answer whose value matched
		rule match.Rule
	}
	cands := map[string][]cand{} // record id -> answers whose value it matches
	hashes := make([][]byte, 0, len(values))
	for i, v := range values {
		a := &out[i]
		a.Value, a.Records, a.Hits = v, []HitRecord{}, []Hit{}
		obs, err := h.canon.Parse("", v)
		if err != nil {
			a.Err = err
			continue
		}
		a.Canonical, a.Type = obs.Value, obs.Type
		if obs.Type == observable.IPv4 || obs.Type == observable.IPv6 {
			a.Tor = h.torCaution(obs.Value, h.now())
		}
		mac := hmac.New(sha256.New, h.m.valueKey)
		mac.Write([]byte(string(obs.Type) + ":" + obs.Value))
		hashes = append(hashes, mac.Sum(nil)[:16])
		found := func(e match.Entry) bool {
			cands[e.ID()] = append(cands[e.ID()], cand{i, match.RuleOf(obs.Value, e)})
			return true
		}
		h.m.ix.Lookup(obs, found)
		if obs.Type == observable.Domain || obs.Type == observable.Onion {
			h.m.ix.LookupURLsOn(obs.Value, found)
		}
	}
	// Every candidate comes from the store and passes the gate as it stands
	// now: the index may trail the store by a moment (a record revoked or
	// narrowed since), and the answer must not. Every candidate costs the
	// same work, whatever the caller may know of it.
	ids := make([]string, 0, len(cands))
	for id := range cands {
		ids = append(ids, id)
	}
	recs, err := h.store.RecordsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b intel.Record) int { return strings.Compare(a.ID, b.ID) })
	var shown []intel.Record
	hits := map[string][]evidence.Object{} // owner -> discoverable records hit
	for i := range recs {
		r := &recs[i]
		if !r.Active() {
			continue
		}
		switch v, form := policy.RecordForm(c, r); {
		case form == policy.Full:
			shown = append(shown, v)
			for _, k := range cands[r.ID] {
				out[k.at].Records = append(out[k.at].Records, HitRecord{Record: v, Rule: k.rule})
			}
		case r.Discoverable:
			for _, k := range cands[r.ID] {
				out[k.at].Hits = append(out[k.at].Hits, Hit{Hit: true, Owner: r.Originator, Ref: h.m.sealRef(r.ID), Rule: k.rule})
			}
			hits[r.Originator] = append(hits[r.Originator], evidence.Object{Kind: evidence.KindRecord, ID: r.ID, Owner: r.Originator})
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
