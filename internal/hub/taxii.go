package hub

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
)

// TAXII collections. Every caller sees the same collection ids; what a
// collection holds depends on the caller.
var (
	collectionNamespace = uuid.MustParse("0b5d2a3e-5f0c-4b7e-9a61-3c1f8e4d2b70")
	// CollectionVisible holds everything the caller may receive as STIX.
	CollectionVisible = collectionID("visible")
	// CollectionOwn holds what the caller's organization originated; posting
	// to it submits records, as the inbox does.
	CollectionOwn = collectionID("own")
	// CollectionInbox only takes objects: STIX submitted as records of the
	// caller's organization.
	CollectionInbox = collectionID("inbox")
)

func collectionID(name string) string {
	return uuid.NewSHA1(collectionNamespace, []byte("collection|"+name)).String()
}

// GroupCollectionID is the collection of what is shared with a group.
func GroupCollectionID(group string) string { return collectionID("group|" + group) }

// Collection is a TAXII collection as one caller sees it.
type Collection struct {
	ID, Title, Description string
	CanRead, CanWrite      bool
	// what it holds: the records and reports of one originator, or of one
	// group's audience (neither: everything visible).
	originator, group string
}

// canRead reports whether c may read collections at all: every reading
// role, and a partner hub.
func canRead(c *policy.Caller) bool {
	return policy.Can(c, policy.ReadIntel) || policy.Can(c, policy.Federate)
}

// Collections lists the TAXII collections c has: everything it may see, its
// own records, one per sharing group it belongs to, and an inbox.
func (h *Hub) Collections(ctx context.Context, c *policy.Caller) ([]Collection, error) {
	read, write := canRead(c), policy.Can(c, policy.CreateRecords)
	if !read && !write {
		return nil, policy.Require(c, policy.ReadIntel)
	}
	var out []Collection
	if read {
		desc := "Every record and report your organization may see in full, the organizations of the directory, and the markings they use."
		if c.Role == intel.RolePartner {
			desc = "What this hub may forward to your hub: clear and green records and reports, amber ones that name your organization; never personal, H2, amber+strict or red."
		}
		out = append(out, Collection{ID: CollectionVisible, Title: "Visible to " + c.Org, Description: desc, CanRead: true})
	}
	if c.Role != intel.RolePartner {
		out = append(out, Collection{ID: CollectionOwn, Title: "Originated by " + c.Org,
			Description: "The records and reports your organization originated; objects posted here are submitted as its records.",
			CanRead:     read, CanWrite: write, originator: c.Org})
		if read {
			for _, g := range c.Groups {
				gr, err := h.store.Group(ctx, g)
				if err != nil {
					return nil, err
				}
				out = append(out, Collection{ID: GroupCollectionID(g), Title: "Shared with " + gr.Name,
					Description: "Records and reports whose audience names the sharing group " + g + ".", CanRead: true, group: g})
			}
		}
	}
	if write {
		out = append(out, Collection{ID: CollectionInbox, Title: "Inbox of " + c.Org,
			Description: "Objects posted here are submitted as records and reports of your organization; sightings and notes on this hub's indicators reach their originators.",
			CanWrite:    true})
	}
	return out, nil
}

// GetCollection returns one of c's collections, or ErrNotFound.
func (h *Hub) GetCollection(ctx context.Context, c *policy.Caller, id string) (Collection, error) {
	all, err := h.Collections(ctx, c)
	if err != nil {
		return Collection{}, err
	}
	for _, col := range all {
		if col.ID == id {
			return col, nil
		}
	}
	return Collection{}, fmt.Errorf("collection %q: %w", id, intel.ErrNotFound)
}

// ObjectQuery selects objects of a collection (TAXII's filters).
type ObjectQuery struct {
	// Next is the cursor a previous page returned ("" for the first page).
	Next string
	// AddedAfter keeps objects added after it (zero: all).
	AddedAfter time.Time
	Limit      int
	// IDs, Types and SpecVersions are match[id], match[type] and
	// match[spec_version] (none: any).
	IDs, Types, SpecVersions []string
	// Versions is match[version]: "last" (the default), "first", "all", or
	// modified timestamps.
	Versions []string
}

// MaxObjectsPage bounds a page of objects; DefaultObjectsPage is a page
// when the client gives no limit.
const (
	MaxObjectsPage     = 10000
	DefaultObjectsPage = 1000
)

// TAXIIObject is one object of a page, with when the hub added it.
type TAXIIObject struct {
	Object stix.Object
	Added  time.Time
}

// Version is the object's version for manifests and version lists: its
// modified time, else its created time, else when it was added.
func (o *TAXIIObject) Version() string {
	if m := o.Object.ObjectModified(); m != "" {
		return m
	}
	if c := o.Object.ObjectCreated(); c != "" {
		return c
	}
	return o.Added.UTC().Format(stixTime)
}

const stixTime = "2006-01-02T15:04:05.000000Z"

// ObjectPage is a page of objects; Next is set when More is.
type ObjectPage struct {
	Objects []TAXIIObject
	More    bool
	Next    string
}

// cursor is a position in a collection: the next object is the Skip-th
// (from 0) of the feed row Seq (Seq 0: the markings and definitions every
// collection starts with), in a pagination that stops at the feed row Until
// (what was added after the first page waits for the next poll).
type cursor struct{ Seq, Skip, Until int64 }

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d.%d", c.Seq, c.Skip, c.Until))
}

func parseCursor(s string) (cursor, error) {
	bad := fmt.Errorf("%w: next: %q is not a cursor this hub gave", intel.ErrInvalid, s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 {
		return cursor{}, bad
	}
	var n [3]int64
	for i, p := range parts {
		if n[i], err = strconv.ParseInt(p, 10, 64); err != nil || n[i] < 0 {
			return cursor{}, bad
		}
	}
	return cursor{n[0], n[1], n[2]}, nil
}

// versionFilter is match[version] decided per object.
type versionFilter struct {
	last, first, all bool
	times            []time.Time
}

func parseVersions(vs []string) (versionFilter, error) {
	var f versionFilter
	if len(vs) == 0 {
		f.last = true
	}
	for _, v := range vs {
		switch v {
		case "last":
			f.last = true
		case "first":
			f.first = true
		case "all":
			f.all = true
		default:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, fmt.Errorf("%w: match[version]: %q is not last, first, all or a timestamp", intel.ErrInvalid, v)
			}
			f.times = append(f.times, t)
		}
	}
	return f, nil
}

// onlyLast reports whether only current versions are wanted.
func (f versionFilter) onlyLast() bool { return f.last && !f.first && !f.all && len(f.times) == 0 }

func (f versionFilter) keeps(it *store.FeedItem, o stix.Object) bool {
	if f.all {
		return true
	}
	if f.last && it.CurrentRecord == nil && it.CurrentReport == nil {
		return true
	}
	if f.first && feedVersion(it) == 1 {
		return true
	}
	if m := o.ObjectModified(); m != "" && len(f.times) > 0 {
		t, err := time.Parse(time.RFC3339Nano, m)
		for _, want := range f.times {
			if err == nil && t.Equal(want) {
				return true
			}
		}
	}
	return false
}

func feedVersion(it *store.FeedItem) int {
	switch {
	case it.Record != nil:
		return it.Record.Version
	case it.Report != nil:
		return it.Report.Version
	}
	return 1
}

// preludeAdded is when the objects every collection starts with were added.
var preludeAdded = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// prelude returns the objects every collection starts with: the TLP
// marking-definitions, fusion's identity and the fusion extension-definition.
func prelude() []stix.Object {
	var out []stix.Object
	for _, t := range intel.TLPs {
		if m, err := stix.TLPMarking(t); err == nil {
			out = append(out, m)
		}
	}
	return append(out, stix.FusionIdentity(), stix.FusionExtension())
}

// kindsOf returns the feed kinds that can give objects of the types asked
// for (none: every kind), and whether the prelude can.
func kindsOf(types []string) (kinds []string, preludeToo bool) {
	if len(types) == 0 {
		return nil, true
	}
	for _, t := range types {
		switch t {
		case "report":
			kinds = append(kinds, store.FeedReport)
		case "identity":
			kinds = append(kinds, store.FeedOrg)
			preludeToo = true
		case "marking-definition", "extension-definition":
			preludeToo = true
		default: // indicator, relationship and every observable type
			kinds = append(kinds, store.FeedRecord)
		}
	}
	slices.Sort(kinds)
	return slices.Compact(kinds), preludeToo
}

// objectFilter holds what a query keeps of each object.
type objectFilter struct {
	ids, types map[string]bool
	versions   versionFilter
	specOK     bool
}

func (f *objectFilter) keeps(it *store.FeedItem, o stix.Object) bool {
	if !f.specOK || (f.ids != nil && !f.ids[o.ObjectID()]) || (f.types != nil && !f.types[o.ObjectType()]) {
		return false
	}
	if it == nil {
		return f.versions.keepsOnly(o)
	}
	return f.versions.keeps(it, o)
}

// keepsOnly decides an object that has a single version (the markings,
// fusion's identity and extension-definition): its modified time, else its
// created time.
func (f versionFilter) keepsOnly(o stix.Object) bool {
	if f.last || f.first || f.all {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, cmp.Or(o.ObjectModified(), o.ObjectCreated()))
	return err == nil && slices.ContainsFunc(f.times, t.Equal)
}

func setOf(vs []string) map[string]bool {
	if len(vs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// Objects returns a page of the objects of collection id that c may
// receive, in the order the hub added them. Every record and report shown
// is logged as a disclosure.
func (h *Hub) Objects(ctx context.Context, c *policy.Caller, id string, q ObjectQuery) (ObjectPage, error) {
	col, err := h.GetCollection(ctx, c, id)
	if err != nil {
		return ObjectPage{}, err
	}
	if !col.CanRead {
		return ObjectPage{}, fmt.Errorf("%w: collection %s (%s) cannot be read", intel.ErrForbidden, col.ID, col.Title)
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultObjectsPage
	case limit < 0 || limit > MaxObjectsPage:
		return ObjectPage{}, fmt.Errorf("%w: limit: %d is out of range (1 to %d)", intel.ErrInvalid, q.Limit, MaxObjectsPage)
	}
	vf, err := parseVersions(q.Versions)
	if err != nil {
		return ObjectPage{}, err
	}
	f := objectFilter{ids: setOf(q.IDs), types: setOf(q.Types), versions: vf,
		specOK: len(q.SpecVersions) == 0 || slices.Contains(q.SpecVersions, stix.SpecVersion)}
	cur := cursor{}
	if q.Next != "" {
		if cur, err = parseCursor(q.Next); err != nil {
			return ObjectPage{}, err
		}
	} else if cur.Until, _, err = h.store.FeedHead(ctx); err != nil {
		return ObjectPage{}, err
	}
	kinds, preludeToo := kindsOf(q.Types)
	var page ObjectPage
	full := func(seq int64, skip int) bool {
		if len(page.Objects) < limit {
			return false
		}
		page.More, page.Next = true, cursor{seq, int64(skip), cur.Until}.encode()
		return true
	}
	if cur.Seq == 0 {
		if preludeToo && (q.AddedAfter.IsZero() || preludeAdded.After(q.AddedAfter)) {
			var pre []stix.Object
			for _, o := range prelude() {
				if f.keeps(nil, o) {
					pre = append(pre, o)
				}
			}
			for i := int(cur.Skip); i < len(pre); i++ {
				if full(0, i) {
					return page, nil
				}
				page.Objects = append(page.Objects, TAXIIObject{pre[i], preludeAdded})
			}
		}
		cur.Skip = 0
	}
	fq := store.FeedQuery{After: cur.Seq, Until: cur.Until, Originator: col.originator, Group: col.group, Kinds: kinds,
		AllVersions: !vf.onlyLast(), First: vf.first && !vf.last && !vf.all && len(vf.times) == 0}
	if len(kinds) == 0 && len(q.Types) > 0 {
		return page, nil // only prelude types were asked for
	}
	if !q.AddedAfter.IsZero() {
		fq.AddedAfter = q.AddedAfter.UnixMicro()
	}
	if cur.Seq > 0 {
		// The next object is in row Seq itself, even when it is the row's
		// first (Skip 0: the last page ended exactly at a row boundary).
		fq.After = cur.Seq - 1
	}
	var fetch func(store.FeedQuery) ([]store.FeedItem, error)
	if f.ids != nil && !slices.ContainsFunc(q.IDs, isObservableID) {
		items, err := h.feedByIDs(ctx, c, fq, q.IDs)
		if err != nil {
			return ObjectPage{}, err
		}
		fetch = func(fq store.FeedQuery) ([]store.FeedItem, error) {
			i, _ := slices.BinarySearchFunc(items, fq.After+1, func(it store.FeedItem, seq int64) int { return int(it.Seq - seq) })
			return items[i:min(len(items), i+fq.Limit)], nil
		}
	} else {
		fetch = func(fq store.FeedQuery) ([]store.FeedItem, error) { return h.store.Feed(ctx, fq, visibility(c)) }
	}
	var shown []intel.Record
	var shownReports []intel.Report
	finish := func() (ObjectPage, error) {
		if err := h.discloseRecords(ctx, c, shown); err != nil {
			return ObjectPage{}, err
		}
		for _, r := range shownReports {
			if err := h.discloseReport(ctx, c, r); err != nil {
				return ObjectPage{}, err
			}
		}
		return page, nil
	}
	for {
		// A record gives three objects (indicator, observable, based-on
		// relationship): fetching more rows than fill the page decodes
		// rows only the next page shows. Too few costs one more query.
		fq.Limit = max(16, (limit-len(page.Objects))/3+1)
		items, err := fetch(fq)
		if err != nil {
			return ObjectPage{}, err
		}
		exportable, err := h.reportRecordsExported(ctx, c, items)
		if err != nil {
			return ObjectPage{}, err
		}
		for i := range items {
			it := &items[i]
			objs, rec, rep := h.feedObjects(c, it, exportable)
			kept := objs[:0]
			for _, o := range objs {
				if f.keeps(it, o) {
					kept = append(kept, o)
				}
			}
			skip := 0
			if it.Seq == cur.Seq && cur.Skip > 0 {
				skip = int(min(cur.Skip, int64(len(kept))))
			}
			added := time.UnixMicro(it.Added).UTC()
			for j := skip; j < len(kept); j++ {
				if full(it.Seq, j) {
					return finish()
				}
				page.Objects = append(page.Objects, TAXIIObject{kept[j], added})
				if j == skip {
					if rec != nil {
						shown = append(shown, *rec)
					}
					if rep != nil {
						shownReports = append(shownReports, *rep)
					}
				}
			}
		}
		if len(items) < fq.Limit {
			return finish()
		}
		fq.After = items[len(items)-1].Seq
	}
}

// isObservableID reports whether a STIX id names an object no feed row is
// found by: an observable of a type fusion writes, whose id comes from its
// value. A query for one reads the collection through, keeping the objects
// with that id; any other id is looked up by its row (and an id that names
// none is not found at once).
func isObservableID(id string) bool {
	typ, _, _ := strings.Cut(id, "--")
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "autonomous-system":
		return true
	}
	return false
}

// feedByIDs returns the feed rows of the objects named by STIX ids, in
// feed order: records and reports by the ids fusion gives them
// (stix.FusionRef), organizations by their identity ids. Observable ids
// name no row: an observable is found through its indicator.
func (h *Hub) feedByIDs(ctx context.Context, c *policy.Caller, fq store.FeedQuery, ids []string) ([]store.FeedItem, error) {
	var orgs map[string]string
	var out []store.FeedItem
	for _, id := range ids {
		ref, kind, ok := stix.FusionRef(id)
		if !ok && strings.HasPrefix(id, "identity--") {
			if orgs == nil {
				all, err := h.store.Orgs(ctx)
				if err != nil {
					return nil, err
				}
				orgs = map[string]string{}
				for _, o := range all {
					orgs[stix.IdentityID(o.ID)] = o.ID
				}
			}
			ref, ok = orgs[id]
			kind = store.FeedOrg
		}
		if !ok || (len(fq.Kinds) > 0 && !slices.Contains(fq.Kinds, kind)) {
			continue
		}
		q := fq
		q.After, q.Ref, q.Kinds, q.Limit = 0, ref, []string{kind}, MaxObjectsPage
		items, err := h.store.Feed(ctx, q, visibility(c))
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	slices.SortFunc(out, func(a, b store.FeedItem) int { return int(a.Seq - b.Seq) })
	return slices.CompactFunc(out, func(a, b store.FeedItem) bool { return a.Seq == b.Seq }), nil
}

// reportRecordsExported returns which records of the reports among items c
// may receive (a report refers only to those).
func (h *Hub) reportRecordsExported(ctx context.Context, c *policy.Caller, items []store.FeedItem) (map[string]bool, error) {
	var ids []string
	for i := range items {
		if r := items[i].Report; r != nil {
			ids = append(ids, r.Records...)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := h.store.RecordsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(recs))
	for i := range recs {
		if _, ok := policy.Export(c, &recs[i]); ok {
			out[recs[i].ID] = true
		}
	}
	return out, nil
}

// feedObjects returns the STIX objects of one feed row that c may receive
// (none when the gate says no, or when STIX has no form for it), and the
// record or report they show.
func (h *Hub) feedObjects(c *policy.Caller, it *store.FeedItem, exportable map[string]bool) ([]stix.Object, *intel.Record, *intel.Report) {
	switch {
	case it.Record != nil:
		var v intel.Record
		var ok bool
		if it.CurrentRecord != nil {
			v, ok = policy.ExportVersion(c, it.CurrentRecord, it.Record)
		} else {
			v, ok = policy.Export(c, it.Record)
		}
		if !ok || v.Redacted {
			return nil, nil, nil
		}
		ro, err := stix.ForRecord(&v)
		if err != nil {
			return nil, nil, nil // no STIX form (stix.ErrSkipped)
		}
		out := []stix.Object{ro.Indicator}
		if ro.Observable != nil {
			out = append(out, ro.Observable)
		}
		if ro.Relationship != nil {
			out = append(out, ro.Relationship)
		}
		return out, &v, nil
	case it.Report != nil:
		if it.CurrentReport != nil {
			if _, ok := policy.ExportReport(c, it.CurrentReport); !ok {
				return nil, nil, nil
			}
		}
		v, ok := policy.ExportReport(c, it.Report)
		if !ok {
			return nil, nil, nil
		}
		rep, err := stix.ForReport(&v, func(id string) bool { return exportable[id] })
		if err != nil {
			return nil, nil, nil
		}
		v.Records = slices.DeleteFunc(slices.Clone(v.Records), func(id string) bool { return !exportable[id] })
		v.RecordCount = len(v.Records)
		return []stix.Object{rep}, nil, &v
	case it.Org != nil:
		return []stix.Object{stix.IdentityFor(it.Org)}, nil, nil
	}
	return nil, nil, nil
}

// Object returns the objects of collection id with STIX id objectID (its
// versions, as q.Versions asks), or ErrNotFound when c may receive none.
func (h *Hub) Object(ctx context.Context, c *policy.Caller, id, objectID string, q ObjectQuery) (ObjectPage, error) {
	q.IDs = []string{objectID}
	page, err := h.Objects(ctx, c, id, q)
	if err == nil && len(page.Objects) == 0 && q.Next == "" {
		err = fmt.Errorf("object %q in collection %s: %w", objectID, id, intel.ErrNotFound)
	}
	return page, err
}

// ObjectVersions returns the versions of object objectID of collection id
// that c may receive, a page at a time (their Version and Added).
func (h *Hub) ObjectVersions(ctx context.Context, c *policy.Caller, id, objectID string, q ObjectQuery) (ObjectPage, error) {
	q.Versions = []string{"all"}
	return h.Object(ctx, c, id, objectID, q)
}

// DeleteObject revokes the record or report a STIX object of collection id
// stands for, when c may change it: TAXII's delete, recorded like any
// revocation.
func (h *Hub) DeleteObject(ctx context.Context, c *policy.Caller, id, objectID string) error {
	col, err := h.GetCollection(ctx, c, id)
	if err != nil {
		return err
	}
	if !col.CanWrite || !col.CanRead {
		return fmt.Errorf("%w: collection %s (%s) does not allow deleting objects", intel.ErrForbidden, col.ID, col.Title)
	}
	if _, err := h.Object(ctx, c, id, objectID, ObjectQuery{Limit: 1}); err != nil {
		return err
	}
	ref, kind, ok := stix.FusionRef(objectID)
	if !ok {
		return fmt.Errorf("%w: object %s is not a record's or report's: only those can be deleted", intel.ErrForbidden, objectID)
	}
	const reason = "deleted through TAXII"
	if kind == store.FeedReport {
		_, err = h.RevokeReport(ctx, c, ref, reason)
	} else {
		_, err = h.RevokeRecord(ctx, c, ref, reason)
	}
	return err
}
