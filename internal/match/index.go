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

// Put adds r, replacing an older version of the same record; a revoked r
// removes it. Versions at or below the one indexed are ignored, so feeding
// the same change twice is harmless.
func (ix *Index) Put(r *intel.Record) error {
	id, err := uuid.Parse(r.ID)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	key, prefix, ok := recordKey(r)
	if !ok {
		return nil // a type the index does not match on
	}
	head := ix.head(key, prefix)
	// Changes may arrive out of order: an entry of this record, alive or
	// dead, at this version or later means r is stale.
	for i := head; i != 0; i = ix.next[i-1] {
		if e := &ix.entries[i-1]; e.id == id && uint32(r.Version) <= e.version {
			return nil
		}
	}
	for i := head; i != 0; i = ix.next[i-1] {
		e := &ix.entries[i-1]
		if e.id != id || e.flags&flagDead != 0 {
			continue
		}
		e.flags |= flagDead
		ix.live--
		if r.Revoked != nil {
			e.version = uint32(r.Version) // remember what killed it
		}
	}
	if r.Revoked != nil {
		return nil
	}
	e := entry{id: id, valOff: uint32(len(ix.values)), valLen: uint16(min(len(r.Value), 1<<16-1)),
		originator: ix.orgs.id(r.Originator), audience: ix.auds.id(r.Audience), labels: labelBits(r.Labels),
		version: uint32(r.Version), typ: uint8(slices.Index(types, r.Type)), tlp: uint8(slices.Index(intel.TLPs, r.TLP))}
	if r.Personal {
		e.flags |= flagPersonal
	}
	if r.Discoverable {
		e.flags |= flagDiscoverable
	}
	if r.Subdomains {
		e.flags |= flagSubdomains
	}
	ix.values = append(ix.values, r.Value[:e.valLen]...)
	ix.entries = append(ix.entries, e)
	n := uint32(len(ix.entries))
	ix.next = append(ix.next, head)
	if prefix.IsValid() {
		ix.cidrs.Insert(prefix, n)
	} else {
		h := ix.hash(key)
		ix.exact[h] = n
		if r.Subdomains {
			ix.parents[h] = struct{}{}
		}
	}
	if r.Type == observable.URL {
		ix.onHosts.add(ix, n, r.Value)
	}
	ix.live++
	return nil
}

func (ix *Index) head(key []byte, prefix netip.Prefix) uint32 {
	if prefix.IsValid() {
		h, _ := ix.cidrs.Get(prefix)
		return h
	}
	return ix.exact[ix.hash(key)]
}

func (ix *Index) hash(key []byte) uint64 { return maphash.Bytes(ix.seed, key) }

// recordKey returns the lookup key of a record's value, or its prefix for a CIDR.
func recordKey(r *intel.Record) ([]byte, netip.Prefix, bool) {
	switch r.Type {
	case observable.IPv4, observable.IPv6:
		a, err := netip.ParseAddr(r.Value)
		if err != nil {
			return nil, netip.Prefix{}, false
		}
		return ipKey(nil, a), netip.Prefix{}, true
	case observable.CIDR:
		p, err := netip.ParsePrefix(r.Value)
		if err != nil {
			return nil, netip.Prefix{}, false
		}
		return nil, p.Masked(), true
	}
	return valueKey(nil, r.Type, r.Value), netip.Prefix{}, true
}

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

func (a *audiences) id(aud intel.Audience) uint32 {
	k := strings.Join(aud.Orgs, ",") + "|" + strings.Join(aud.Groups, ",")
	if i, ok := a.ids[k]; ok {
		return i
	}
	i := uint32(len(a.list))
	a.ids[k] = i
	a.list = append(a.list, aud)
	return i
}
