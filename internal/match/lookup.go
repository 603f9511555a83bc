package match

import (
	"bytes"
	"net/netip"
	"strings"

	"fusion/internal/observable"
)

// LookupIP calls fn for each active record matching address a: records of
// the address itself, then of every CIDR containing it, longest prefix
// first. fn returns false to stop.
func (ix *Index) LookupIP(a netip.Addr, fn func(Entry) bool) {
	a = a.Unmap()
	var kb [17]byte
	key := ipKey(kb[:0], a)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if !ix.chain(ix.exact[ix.hash(key)], key, fn) {
		return
	}
	if ix.cidrs.Size() == 0 || !ix.cidrs.Contains(a) {
		return // the common case: no prefix holds a
	}
	var heads []uint32
	for _, h := range ix.cidrs.Supernets(netip.PrefixFrom(a, a.BitLen())) {
		heads = append(heads, h)
	}
	for _, h := range heads { // Supernets yields longest first
		if !ix.chain(h, nil, fn) {
			return
		}
	}
}

// LookupDomain calls fn for each active record matching name: records of
// the name itself, then records of each parent domain that match all their
// subdomains. name must be canonical (lowercase A-labels, no trailing dot).
func (ix *Index) LookupDomain(name string, fn func(Entry) bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ix.lookupDomain(name, fn)
}

func (ix *Index) lookupDomain(name string, fn func(Entry) bool) bool {
	var kb [256]byte
	key := append(append(kb[:0], classDomain), name...)
	if !ix.chain(ix.exact[ix.hash(key)], key, fn) {
		return false
	}
	for {
		dot := strings.IndexByte(name, '.')
		if dot < 0 {
			return true
		}
		name = name[dot+1:]
		if strings.IndexByte(name, '.') < 0 {
			return true // a bare TLD holds no records
		}
		key = append(append(kb[:0], classDomain), name...)
		h := ix.hash(key)
		if _, ok := ix.parents[h]; !ok {
			continue
		}
		cont := ix.chain(ix.exact[h], key, func(m Entry) bool {
			if m.e.flags&flagSubdomains == 0 {
				return true
			}
			return fn(m)
		})
		if !cont {
			return false
		}
	}
}

// LookupURL calls fn for each active record matching a canonical URL: URL
// records of the same target whatever their scheme and userinfo (host,
// port as written, path and query: observable.URLTarget), then its host as
// a domain (with parents) or an address.
//
// The port is part of the target as the URL writes it, and canonical URLs
// drop their scheme's default port, so "https://h/kit/" and "http://h/kit/"
// match each other and "http://h:8080/kit/" matches neither — as Zeek's
// Intel framework compares URL indicators (no scheme, ":port" unless 80)
// with what HTTP::build_url makes of an http.log line, which the Extractor
// follows.
func (ix *Index) LookupURL(url string, fn func(Entry) bool) {
	ix.mu.RLock()
	var kb [512]byte
	key := append(append(kb[:0], classURL), observable.URLTarget(url)...)
	cont := ix.chain(ix.exact[ix.hash(key)], key, fn)
	ix.mu.RUnlock()
	if !cont {
		return
	}
	host := observable.URLHost(url)
	if host == "" {
		return
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ix.LookupIP(a, fn)
		return
	}
	ix.LookupDomain(host, fn)
}

// Lookup calls fn for each active record matching a canonical observable,
// whatever its type: addresses also against CIDRs, domains against parents
// that match subdomains, URLs with fallback to their host. A CIDR value
// finds records of that exact prefix.
func (ix *Index) Lookup(o observable.Observable, fn func(Entry) bool) {
	switch o.Type {
	case observable.IPv4, observable.IPv6:
		if a, err := netip.ParseAddr(o.Value); err == nil {
			ix.LookupIP(a, fn)
		}
		return
	case observable.CIDR:
		p, err := netip.ParsePrefix(o.Value)
		if err != nil {
			return
		}
		ix.mu.RLock()
		defer ix.mu.RUnlock()
		h, _ := ix.cidrs.Get(p.Masked())
		ix.chain(h, nil, fn)
		return
	case observable.Domain, observable.Onion:
		ix.LookupDomain(o.Value, fn)
		return
	case observable.URL:
		ix.LookupURL(o.Value, fn)
		return
	}
	key := valueKey(nil, o.Type, o.Value)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ix.chain(ix.exact[ix.hash(key)], key, fn)
}

// chain walks the entries from head, skipping dead ones and — when key is
// not nil — those whose key differs (a hash collision or another value).
func (ix *Index) chain(head uint32, key []byte, fn func(Entry) bool) bool {
	var kb [512]byte
	for i := head; i != 0; i = ix.next[i-1] {
		e := &ix.entries[i-1]
		if e.flags&flagDead != 0 {
			continue
		}
		if key != nil && !bytes.Equal(ix.entryKey(kb[:0], e), key) {
			continue
		}
		if !fn(Entry{ix: ix, e: e}) {
			return false
		}
	}
	return true
}

// entryKey recomputes the lookup key of an entry.
func (ix *Index) entryKey(b []byte, e *entry) []byte {
	v := ix.values[e.valOff : e.valOff+uint32(e.valLen)]
	t := types[e.typ]
	if t == observable.IPv4 || t == observable.IPv6 {
		a, err := netip.ParseAddr(string(v))
		if err != nil {
			return nil
		}
		return ipKey(b, a)
	}
	return valueKey(b, t, string(v))
}
