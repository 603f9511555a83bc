package c2

import (
	"hash/maphash"
	"net/netip"
	"strings"

	"fusion/internal/finding"
	"fusion/internal/zeek"
)

// fieldSet notes the fields a log's indexes were looked up for, so that
// they are looked up again when the reader's fields change (a new header
// block, a JSON key first seen).
type fieldSet struct{ fields []string }

// stale reports whether zr's fields are not those last seen, and notes them.
func (c *fieldSet) stale(zr *zeek.Reader) bool {
	if fs := zr.Fields(); len(fs) == len(c.fields) && (len(fs) == 0 || &fs[0] == &c.fields[0]) {
		return false
	}
	c.fields = zr.Fields()
	return true
}

// connFields are a conn log's field indexes.
type connFields struct {
	fieldSet
	uid, orig, resp, bytes, ipBytes, du int
}

func (f *connFields) at(zr *zeek.Reader) {
	if !f.stale(zr) {
		return
	}
	f.uid, f.orig, f.resp = zr.Index("uid"), zr.Index("id.orig_h"), zr.Index("id.resp_h")
	f.bytes, f.ipBytes, f.du = zr.Index("orig_bytes"), zr.Index("orig_ip_bytes"), zr.Index("duration")
}

func (d *Detector) conn(zr *zeek.Reader, f *connFields) error {
	f.at(zr)
	t := zr.Time()
	if t.IsZero() {
		return nil
	}
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok {
		return err
	}
	dst, ok, err := zr.AddrField(f.resp)
	if err != nil || !ok {
		return err
	}
	if !d.internal(src) {
		return nil
	}
	// A connection is named by its TLS server name or HTTP host; through
	// a proxy (an internal address) only by its name.
	uid := zr.Bytes(f.uid)
	name := int32(-1)
	if len(uid) > 0 && len(d.byUID) > 0 {
		h := maphash.Bytes(d.seed, uid)
		if id, ok := d.byUID[h]; ok {
			delete(d.byUID, h)
			name = id
		}
	}
	toInternal := d.internal(dst)
	if toInternal && name < 0 {
		return nil
	}
	// RITA sizes a connection by orig_ip_bytes; orig_bytes when absent.
	n, ok, err := zr.CountField(f.ipBytes)
	if err != nil {
		return err
	}
	if !ok {
		if n, _, err = zr.CountField(f.bytes); err != nil {
			return err
		}
	}
	dur, hasDur, err := zr.IntervalField(f.du)
	if err != nil {
		return err
	}
	ts := t.Unix()
	d.seen(ts)
	size := ClampBytes(n)
	if !toInternal {
		k4, k6, is4 := pairKey(src, dst)
		var s *series
		if is4 {
			s = d.ips[k4]
		} else {
			s = d.ips6[k6]
		}
		if s == nil {
			s = newSeries(src, dst, -1, ts)
			if is4 {
				d.ips[k4] = s
			} else {
				d.ips6[k6] = s
			}
			swept := false
			if is4 {
				_, swept = d.swept4[k4]
			} else {
				_, swept = d.swept6[k6]
			}
			if !swept {
				d.ipPrev[dst]++
			}
			d.hosts[src] = struct{}{}
		}
		if name >= 0 {
			s.name = name
		}
		d.addTo(s, ts, size, uid, "")
		if hasDur {
			s.chain.add(t.UnixMicro(), dur.Microseconds(), n, d.chainGap, d.chainKeep, uid)
		}
	}
	if name >= 0 {
		ns := d.named[nameKey{src, name}]
		if ns == nil {
			ns = newSeries(src, dst, name, ts)
			d.named[nameKey{src, name}] = ns
			if _, ok := d.sweptNamed[nameKey{src, name}]; !ok {
				d.nmPrev[name]++
			}
			d.hosts[src] = struct{}{}
		}
		ns.reached(dst)
		d.addTo(ns, ts, size, uid, "")
	}
	return nil
}

type httpFields struct {
	fieldSet
	uid, orig, resp, method, host, uri, rbytes int
}

func (f *httpFields) at(zr *zeek.Reader) {
	if !f.stale(zr) {
		return
	}
	f.uid, f.orig, f.resp = zr.Index("uid"), zr.Index("id.orig_h"), zr.Index("id.resp_h")
	f.method, f.host, f.uri, f.rbytes = zr.Index("method"), zr.Index("host"), zr.Index("uri"), zr.Index("response_body_len")
}

// http takes a request: its connection is named by its Host header (or,
// for a proxied CONNECT, by the host it tunnels to), and a GET is a step
// of a possible poll of its URL.
func (d *Detector) http(zr *zeek.Reader, f *httpFields) error {
	f.at(zr)
	t := zr.Time()
	if t.IsZero() {
		return nil
	}
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok || !d.internal(src) {
		return err
	}
	dst, _, err := zr.AddrField(f.resp)
	if err != nil {
		return err
	}
	method := zr.Bytes(f.method)
	host := hostOnly(zr.Bytes(f.host))
	if string(method) == "CONNECT" {
		host = hostOnly(zr.Bytes(f.uri))
	}
	if len(host) == 0 {
		return nil // no name: the address pair covers it
	}
	if _, err := netip.ParseAddr(string(host)); err == nil {
		return nil // a literal address
	}
	id := d.name(strings.ToLower(string(host)))
	if uid := zr.Bytes(f.uid); len(uid) > 0 {
		d.byUID[maphash.Bytes(d.seed, uid)] = id
	}
	uri := zr.Bytes(f.uri)
	// A poll is a GET to the outside, or through a proxy (an absolute URI).
	if string(method) != "GET" || (dst.IsValid() && d.internal(dst) && !hasScheme(uri)) {
		return nil
	}
	rb, _, err := zr.CountField(f.rbytes)
	if err != nil {
		return err
	}
	ts := t.Unix()
	d.seen(ts)
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(d.names[id])
	h.WriteByte(0)
	h.Write(uri)
	k := pollKey{src, h.Sum64()}
	s := d.polls[k]
	if s == nil {
		s = newSeries(src, dst, id, ts)
		s.url, s.urlKey = d.names[id]+string(uri), k.url
		d.polls[k] = s
		if _, ok := d.sweptPolls[k]; !ok {
			d.urPrev[k.url]++
		}
	}
	d.addTo(s, ts, ClampBytes(rb), zr.Bytes(f.uid), finding.C2Poll)
	return nil
}

// hasScheme reports whether a URI is absolute (http://...), as a proxy
// is asked for it.
func hasScheme(uri []byte) bool {
	s := strings.ToLower(string(uri[:min(len(uri), 8)]))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// hostOnly returns a Host header or CONNECT target without its port.
func hostOnly(b []byte) []byte {
	if len(b) > 0 && b[0] == '[' { // [v6]:port
		if i := strings.IndexByte(string(b), ']'); i > 0 {
			return b[1:i]
		}
		return nil
	}
	if i := strings.LastIndexByte(string(b), ':'); i >= 0 && strings.Count(string(b), ":") == 1 {
		b = b[:i]
	}
	for len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

type sslFields struct {
	fieldSet
	uid, orig, sname int
}

func (f *sslFields) at(zr *zeek.Reader) {
	if !f.stale(zr) {
		return
	}
	f.uid, f.orig, f.sname = zr.Index("uid"), zr.Index("id.orig_h"), zr.Index("server_name")
}

// ssl names a TLS connection by its SNI.
func (d *Detector) ssl(zr *zeek.Reader, f *sslFields) error {
	f.at(zr)
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok || !d.internal(src) {
		return err
	}
	sni := hostOnly(zr.Bytes(f.sname))
	uid := zr.Bytes(f.uid)
	if len(sni) == 0 || len(uid) == 0 {
		return nil
	}
	if _, err := netip.ParseAddr(string(sni)); err == nil {
		return nil
	}
	d.byUID[maphash.Bytes(d.seed, uid)] = d.name(strings.ToLower(string(sni)))
	return nil
}

type dnsFields struct {
	fieldSet
	orig, query, qtypeN, answers int
}

func (f *dnsFields) at(zr *zeek.Reader) {
	if !f.stale(zr) {
		return
	}
	f.orig, f.query, f.qtypeN, f.answers = zr.Index("id.orig_h"), zr.Index("query"), zr.Index("qtype_name"), zr.Index("answers")
}

// dnsQuery feeds a lookup to the tunnel scorer.
func (d *Detector) dnsQuery(zr *zeek.Reader, f *dnsFields) error {
	f.at(zr)
	t := zr.Time()
	if t.IsZero() {
		return nil
	}
	src, ok, err := zr.AddrField(f.orig)
	if err != nil || !ok || !d.internal(src) {
		return err
	}
	q := zr.Bytes(f.query)
	if len(q) == 0 {
		return nil
	}
	d.seen(t.Unix())
	qtype := zr.Bytes(f.qtypeN)
	d.dns.Observe(t.UnixMicro(), src, string(q), string(qtype))
	// The addresses a name resolves to serve that name: a service on
	// several addresses (anycast, round robin) counts its hosts together.
	if string(qtype) == "A" || string(qtype) == "AAAA" {
		var name int32 = -1
		zr.EachSet(f.answers, func(b []byte) {
			if a, ok := parseAnswer(b); ok {
				if name < 0 {
					name = d.name(strings.ToLower(strings.TrimSuffix(string(q), ".")))
				}
				d.resolved[a] = name
			}
		})
	}
	return nil
}

// parseAnswer returns a dns.log answer that is an address.
func parseAnswer(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > 45 || !(b[0] >= '0' && b[0] <= '9' || b[0] >= 'a' && b[0] <= 'f' || b[0] == ':') {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}
