package match

import (
	"net/netip"
	"strings"

	"fusion/internal/observable"
)

// urlHosts finds URL records by the domain their host is or is under, for
// hit/no-hit's url-on-domain rule: a URL record whose host is a name is
// listed under that name and each of its parents but a bare TLD
// ("https://a.b.example.com/kit/" under a.b.example.com, b.example.com and
// example.com). A URL whose host is an address is not listed. Nodes of
// replaced or revoked records stay, like their entries, and are skipped.
type urlHosts struct {
	heads map[uint64]uint32 // key hash of a name -> first node + 1
	nodes []hostNode
}

type hostNode struct {
	entry uint32 // entry + 1
	next  uint32 // next node + 1 under the same key hash
}

// add lists entry n (its index + 1), a URL record of value url, under its
// host's names. The caller holds the write lock.
func (u *urlHosts) add(ix *Index, n uint32, url string) {
	name := observable.URLHost(url)
	if name == "" || name[0] == '[' {
		return
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return
	}
	if u.heads == nil {
		u.heads = map[uint64]uint32{}
	}
	var kb [256]byte
	for strings.IndexByte(name, '.') >= 0 {
		h := ix.hash(append(append(kb[:0], classDomain), name...))
		u.nodes = append(u.nodes, hostNode{entry: n, next: u.heads[h]})
		u.heads[h] = uint32(len(u.nodes))
		name = name[strings.IndexByte(name, '.')+1:]
	}
}

// LookupURLsOn calls fn for each active URL record whose host is name or a
// name under it: the URL records on a domain, which hit/no-hit answers for
// a domain under the rule url-on-domain. name must be a canonical domain
// or onion name. fn returns false to stop.
func (ix *Index) LookupURLsOn(name string, fn func(Entry) bool) {
	var kb [256]byte
	key := append(append(kb[:0], classDomain), name...)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for i := ix.onHosts.heads[ix.hash(key)]; i != 0; i = ix.onHosts.nodes[i-1].next {
		e := &ix.entries[ix.onHosts.nodes[i-1].entry-1]
		if e.flags&flagDead != 0 {
			continue
		}
		m := Entry{ix: ix, e: e}
		host := observable.URLHost(m.Value())
		if host != name && !strings.HasSuffix(host, "."+name) {
			continue // another name with the same hash
		}
		if !fn(m) {
			return
		}
	}
}
