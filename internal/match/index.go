// Package match keeps an in-memory index of indicator records and looks up
// the values seen in logs, sensor events and hit/no-hit queries in it:
// exact values by hash, IP addresses also against CIDR prefixes
// (github.com/gaissmai/bart), domains also against parent domains whose
// records match all subdomains, URLs by canonical form with fallback to their
// host.
//
// The index holds every active record; it decides nothing about visibility.
// Each lookup hands back entries, and the caller asks the policy gate which
// of them it may use (Entry.Shared). Memory is about 100 bytes per
// indicator plus its value.
package match

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gaissmai/bart"
	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
)

// Key classes: values of these classes share one key space, so that a value
// seen in a log finds records of any type it could be.
const (
	classIP     = 'i' // ipv4, ipv6: the 16-byte address
	classDomain = 'd' // domain, onion
	classURL    = 'u'
	classHash   = 'h' // md5, sha1, sha256
	classOther  = 'o' // every other type, prefixed with its type name
)

const (
	flagDead uint8 = 1 << iota
	flagPersonal
	flagDiscoverable
	flagSubdomains
)

// entry is one record, compactly.
type entry struct {
	id         [16]byte
	valOff     uint32
	valLen     uint16
	originator uint16
	audience   uint32
	labels     uint32 // bit i: intel.Labels[i]
	version    uint32
	typ        uint8 // index into observable.Types()
	tlp        uint8 // index into intel.TLPs
	flags      uint8
}

// Index is the match index. It is safe for concurrent use: lookups share a
// read lock, changes take the write lock.
type Index struct {
	mu    sync.RWMutex
	seed  maphash.Seed
	exact map[uint64]uint32 // key hash -> first entry + 1
	// parents holds the key hashes of domains some record matches with
	// all their subdomains (never removed: a superset is enough), so that
	// walking up a name's parents mostly consults this small set.
	parents map[uint64]struct{}
	next    []uint32 // entry -> next entry + 1 with the same key hash or prefix
	entries []entry
	values  []byte
	cidrs   bart.Table[uint32] // prefix -> first entry + 1
	onHosts urlHosts           // URL records by their host's domain and its parents
	orgs    interner
	auds    audiences
	live    int
	// gen counts changes, so that a Matcher's cache of misses knows when
	// to forget them.
	gen atomic.Uint64
}

var types = observable.Types()

// New returns an empty index sized for about n records.
func New(n int) *Index {
	return &Index{
		seed:    maphash.MakeSeed(),
		exact:   make(map[uint64]uint32, n),
		parents: map[uint64]struct{}{},
		next:    make([]uint32, 0, n),
		entries: make([]entry, 0, n),
		values:  make([]byte, 0, n*32),
		orgs:    interner{ids: map[string]uint16{}},
		auds:    audiences{ids: map[string]uint32{}},
	}
}

// Len returns the number of active records in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Grow makes room for n more records, so that loading them does not
// rehash the exact-value table or copy the entry arrays as they grow.
func (ix *Index) Grow(n int) {
	if n <= 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.grow(n, 32*n)
}

// grow reserves room for n more entries and values more value bytes.
func (ix *Index) grow(n, values int) {
	if want := len(ix.entries) + n; want > cap(ix.entries) {
		ix.entries = slices.Grow(ix.entries, n)
		ix.next = slices.Grow(ix.next, n)
		if len(ix.exact) < want/2 { // a table this much smaller would rehash a few times
			exact := make(map[uint64]uint32, want)
			for k, v := range ix.exact {
				exact[k] = v
			}
			ix.exact = exact
		}
	}
	ix.values = slices.Grow(ix.values, values)
}

// item is what the index keeps of a record — its value and what matching
// and the policy gate need — with its key worked out (prepare) outside
// the index's lock.
type item struct {
	id         [16]byte
	typ        observable.Type
	value      string // canonical
	labels     uint32 // bit i: intel.Labels[i]
	version    uint32
	flags      uint8 // flagPersonal, flagDiscoverable, flagSubdomains
	tlp        uint8 // index into intel.TLPs
	revoked    bool
	originator string
	audience   intel.Audience
	audKey     string // the audience as one string, for interning

	indexed bool         // a type the index matches on
	hash    uint64       // of the exact-value key
	prefix  netip.Prefix // a CIDR's, instead of hash
}

// itemOf returns the item of r, prepared.
func (ix *Index) itemOf(r *intel.Record) (item, error) {
	id, err := uuid.Parse(r.ID)
	if err != nil {
		return item{}, err
	}
	it := item{id: id, typ: r.Type, value: r.Value, labels: labelBits(r.Labels), version: uint32(r.Version),
		tlp: tlpIndex(r.TLP), revoked: r.Revoked != nil, originator: r.Originator, audience: r.Audience}
	it.flags = flagsOf(r.Personal, r.Discoverable, r.Subdomains)
	ix.prepare(&it)
	return it, nil
}

// flagsOf returns an entry's flags for a record's handling.
func flagsOf(personal, discoverable, subdomains bool) uint8 {
	var f uint8
	if personal {
		f |= flagPersonal
	}
	if discoverable {
		f |= flagDiscoverable
	}
	if subdomains {
		f |= flagSubdomains
	}
	return f
}

// tlpIndex returns t's index in intel.TLPs; an unknown label (which a
// validated record never has) is taken as red, the most restricted.
func tlpIndex(t intel.TLP) uint8 {
	if i := slices.Index(intel.TLPs, t); i >= 0 {
		return uint8(i)
	}
	return uint8(len(intel.TLPs) - 1)
}

// prepare works out its key and audience key. It reads only what never
// changes (the hash seed), so loaders call it on many goroutines.
func (ix *Index) prepare(it *item) {
	var kb [512]byte
	var key []byte
	switch it.typ {
	case observable.IPv4, observable.IPv6:
		a, err := netip.ParseAddr(it.value)
		if err != nil {
			return
		}
		key = ipKey(kb[:0], a)
	case observable.CIDR:
		p, err := netip.ParsePrefix(it.value)
		if err != nil {
			return
		}
		it.prefix = p.Masked()
	default:
		key = valueKey(kb[:0], it.typ, it.value)
	}
	it.indexed = true
	if key != nil {
		it.hash = ix.hash(key)
	}
	if len(it.audience.Orgs)+len(it.audience.Groups) > 0 {
		it.audKey = strings.Join(it.audience.Orgs, ",") + "|" + strings.Join(it.audience.Groups, ",")
	}
}

// Put adds r, replacing an older version of the same record; a revoked r
// removes it. Versions at or below the one indexed are ignored, so feeding
// the same change twice is harmless.
func (ix *Index) Put(r *intel.Record) error {
	it, err := ix.itemOf(r)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.put(&it)
	return nil
}

// putBatch puts prepared items in order under one lock.
func (ix *Index) putBatch(items []item) {
	values := 0
	for i := range items {
		values += len(items[i].value)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.grow(len(items), values)
	for i := range items {
		ix.put(&items[i])
	}
}

// put adds a prepared item; the caller holds the write lock.
func (ix *Index) put(it *item) {
	if !it.indexed {
		return // a type the index does not match on
	}
	ix.gen.Add(1)
	var head uint32
	if it.prefix.IsValid() {
		head, _ = ix.cidrs.Get(it.prefix)
	} else {
		head = ix.exact[it.hash]
	}
	// Changes may arrive out of order: an entry of this record, alive or
	// dead, at this version or later means it is stale.
	for i := head; i != 0; i = ix.next[i-1] {
		if e := &ix.entries[i-1]; e.id == it.id && it.version <= e.version {
			return
		}
	}
	for i := head; i != 0; i = ix.next[i-1] {
		e := &ix.entries[i-1]
		if e.id != it.id || e.flags&flagDead != 0 {
			continue
		}
		e.flags |= flagDead
		ix.live--
		if it.revoked {
			e.version = it.version // remember what killed it
		}
	}
	if it.revoked {
		return
	}
	e := entry{id: it.id, valOff: uint32(len(ix.values)), valLen: uint16(min(len(it.value), 1<<16-1)),
		originator: ix.orgs.id(it.originator), audience: ix.auds.id(it.audKey, it.audience), labels: it.labels,
		version: it.version, typ: uint8(slices.Index(types, it.typ)), tlp: it.tlp, flags: it.flags}
	ix.values = append(ix.values, it.value[:e.valLen]...)
	ix.entries = append(ix.entries, e)
	n := uint32(len(ix.entries))
	ix.next = append(ix.next, head)
	if it.prefix.IsValid() {
		ix.cidrs.Insert(it.prefix, n)
	} else {
		ix.exact[it.hash] = n
		if it.flags&flagSubdomains != 0 {
			ix.parents[it.hash] = struct{}{}
		}
	}
	if it.typ == observable.URL {
		ix.onHosts.add(ix, n, it.value)
	}
	ix.live++
}

func (ix *Index) hash(key []byte) uint64 { return maphash.Bytes(ix.seed, key) }

func ipKey(b []byte, a netip.Addr) []byte {
	a16 := a.Unmap().As16()
	return append(append(b, classIP), a16[:]...)
}

func valueKey(b []byte, t observable.Type, v string) []byte {
	switch t {
	case observable.Domain, observable.Onion:
		return append(append(b, classDomain), v...)
	case observable.URL:
		return append(append(b, classURL), observable.URLTarget(v)...) // scheme-insensitive: see LookupURL
	case observable.MD5, observable.SHA1, observable.SHA256:
		return append(append(b, classHash), v...)
	}
	b = append(append(b, classOther), t...)
	return append(append(b, 0), v...)
}

func labelBits(labels []string) uint32 {
	var bits uint32
	for _, l := range labels {
		if i := slices.IndexFunc(intel.Labels, func(x intel.Label) bool { return x.Name == l }); i >= 0 && i < 32 {
			bits |= 1 << i
		}
	}
	return bits
}

// Entry is a record found by a lookup, valid while the callback runs.
type Entry struct {
	ix *Index
	e  *entry
}

// ID returns the record's id.
func (m Entry) ID() string { return uuid.UUID(m.e.id).String() }

// Value returns the record's canonical value.
func (m Entry) Value() string { return string(m.ix.values[m.e.valOff : m.e.valOff+uint32(m.e.valLen)]) }

// Type returns the record's observable type.
func (m Entry) Type() observable.Type { return types[m.e.typ] }

// Labels returns the record's labels.
func (m Entry) Labels() []string {
	out := []string{}
	for i, l := range intel.Labels {
		if m.e.labels&(1<<i) != 0 {
			out = append(out, l.Name)
		}
	}
	return out
}

// Originator returns the organization that shared the record.
func (m Entry) Originator() string { return m.ix.orgs.names[m.e.originator] }

// Discoverable reports whether the originator allows hit/no-hit to reveal the record's existence.
func (m Entry) Discoverable() bool { return m.e.flags&flagDiscoverable != 0 }

// Shared returns what the policy gate needs to decide whether a caller may
// see the record, and in what form.
func (m Entry) Shared() policy.Shared {
	return policy.Shared{Originator: m.Originator(), TLP: intel.TLPs[m.e.tlp], Audience: m.ix.auds.list[m.e.audience], Personal: m.e.flags&flagPersonal != 0}
}

// Form asks the policy gate in which form c may see the record. Decisions
// depend only on the originator, TLP, audience and personal flag, which
// many records share; a Forms cache remembers them for one caller.
func (m Entry) Form(c *policy.Caller, cache *Forms) policy.Form {
	k := formKey{m.e.originator, m.e.audience, m.e.tlp, m.e.flags & flagPersonal}
	if f, ok := cache.m[k]; ok {
		return f
	}
	if cache.m == nil {
		cache.m = map[formKey]policy.Form{}
	}
	f := policy.Decide(c, m.Shared())
	cache.m[k] = f
	return f
}

type formKey struct {
	org      uint16
	audience uint32
	tlp      uint8
	personal uint8
}

// Forms caches the gate's decisions for one caller. The zero value is ready.
type Forms struct{ m map[formKey]policy.Form }

type interner struct {
	ids   map[string]uint16
	names []string
}

func (in *interner) id(s string) uint16 {
	if i, ok := in.ids[s]; ok {
		return i
	}
	i := uint16(len(in.names))
	in.ids[s] = i
	in.names = append(in.names, s)
	return i
}

type audiences struct {
	ids  map[string]uint32
	list []intel.Audience
}

// id interns an audience under k, its orgs and groups joined (prepare).
func (a *audiences) id(k string, aud intel.Audience) uint32 {
	if i, ok := a.ids[k]; ok {
		return i
	}
	i := uint32(len(a.list))
	a.ids[k] = i
	a.list = append(a.list, aud)
	return i
}
