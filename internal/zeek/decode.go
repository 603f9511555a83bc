package zeek

import (
	"net/netip"
	"time"
)

// decodeIndex caches, for one Log, the reader's index of each of the Log's
// fields (-1 when the log being read lacks it).
type decodeIndex struct {
	gen int
	idx []int
}

func (r *Reader) fieldIndex(l Log) []int {
	d := &r.decIdx[l]
	if d.idx == nil || d.gen != r.gen {
		d.idx = d.idx[:0]
		for _, name := range schemas[l].fields {
			d.idx = append(d.idx, r.Index(name))
		}
		d.gen = r.gen
	}
	return d.idx
}

// decoder reads typed values of the current row; the first bad value sets
// err, naming the line and field.
type decoder struct {
	r   *Reader
	l   Log
	idx []int
	err error
}

func (r *Reader) decoder(l Log) decoder {
	return decoder{r: r, l: l, idx: r.fieldIndex(l)}
}

// raw returns the value of the schema's field k, or nil when unset, absent
// or empty.
func (d *decoder) raw(k int) []byte {
	i := d.idx[k]
	if i < 0 || i >= len(d.r.vals) || d.r.vals[i].k == kUnset {
		return nil
	}
	return d.r.Bytes(i)
}

func (d *decoder) bad(k int, v []byte, what string) {
	if d.err == nil {
		d.err = syntaxErr(d.r.n, "%s: %s is not %s", schemas[d.l].fields[k], quote(v), what)
	}
}

func (d *decoder) str(k int) string {
	b := d.raw(k)
	if len(b) == 0 {
		return ""
	}
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}

func (d *decoder) strs(k int) []string {
	i := d.idx[k]
	if i < 0 {
		return nil
	}
	return d.r.Set(i)
}

func (d *decoder) count(k int) int64 {
	b := d.raw(k)
	if b == nil {
		return Unset
	}
	n, ok := parseCount(b)
	if !ok {
		d.bad(k, b, "a count")
		return Unset
	}
	return n
}

func (d *decoder) port(k int) uint16 {
	b := d.raw(k)
	if b == nil {
		return 0
	}
	p, ok := parsePort(b)
	if !ok {
		d.bad(k, b, "a port")
	}
	return p
}

func (d *decoder) addr(k int) netip.Addr {
	b := d.raw(k)
	if b == nil {
		return netip.Addr{}
	}
	a, ok := parseAddr(b)
	if !ok {
		d.bad(k, b, "an address")
	}
	return a
}

func (d *decoder) interval(k int) time.Duration {
	b := d.raw(k)
	if b == nil {
		return Unset
	}
	v, ok := parseInterval(b)
	if !ok || v < 0 {
		d.bad(k, b, "an interval")
		return Unset
	}
	return v
}

func (d *decoder) intervals(k int) []time.Duration {
	set := d.strs(k)
	if set == nil {
		return nil
	}
	out := make([]time.Duration, 0, len(set))
	for _, s := range set {
		v, ok := parseInterval([]byte(s))
		if !ok {
			d.bad(k, []byte(s), "an interval")
			return nil
		}
		out = append(out, v)
	}
	return out
}

func (d *decoder) boolean(k int) Bool {
	b := d.raw(k)
	if b == nil {
		return BoolUnset
	}
	v, ok := parseBool(b)
	if !ok {
		d.bad(k, b, "a bool")
	}
	return v
}

// Conn decodes the current record into c. Fields the log lacks are left
// unset; a value that does not parse is an error naming the line and field.
func (r *Reader) Conn(c *Conn) error {
	d := r.decoder(ConnLog)
	*c = Conn{
		TS:            r.ts,
		UID:           d.str(1),
		OrigH:         d.addr(2),
		OrigP:         d.port(3),
		RespH:         d.addr(4),
		RespP:         d.port(5),
		Proto:         d.str(6),
		Service:       d.str(7),
		Duration:      d.interval(8),
		OrigBytes:     d.count(9),
		RespBytes:     d.count(10),
		ConnState:     d.str(11),
		LocalOrig:     d.boolean(12),
		LocalResp:     d.boolean(13),
		MissedBytes:   d.count(14),
		History:       d.str(15),
		OrigPkts:      d.count(16),
		OrigIPBytes:   d.count(17),
		RespPkts:      d.count(18),
		RespIPBytes:   d.count(19),
		TunnelParents: d.strs(20),
	}
	return d.err
}

// DNS decodes the current record into q, as Conn does.
func (r *Reader) DNS(q *DNS) error {
	d := r.decoder(DNSLog)
	*q = DNS{
		TS:         r.ts,
		UID:        d.str(1),
		OrigH:      d.addr(2),
		OrigP:      d.port(3),
		RespH:      d.addr(4),
		RespP:      d.port(5),
		Proto:      d.str(6),
		TransID:    d.count(7),
		RTT:        d.interval(8),
		Query:      d.str(9),
		QClass:     d.count(10),
		QClassName: d.str(11),
		QType:      d.count(12),
		QTypeName:  d.str(13),
		RCode:      d.count(14),
		RCodeName:  d.str(15),
		AA:         d.boolean(16),
		TC:         d.boolean(17),
		RD:         d.boolean(18),
		RA:         d.boolean(19),
		Z:          d.count(20),
		Answers:    d.strs(21),
		TTLs:       d.intervals(22),
		Rejected:   d.boolean(23),
	}
	return d.err
}

// HTTP decodes the current record into h, as Conn does.
func (r *Reader) HTTP(h *HTTP) error {
	d := r.decoder(HTTPLog)
	*h = HTTP{
		TS:              r.ts,
		UID:             d.str(1),
		OrigH:           d.addr(2),
		OrigP:           d.port(3),
		RespH:           d.addr(4),
		RespP:           d.port(5),
		TransDepth:      d.count(6),
		Method:          d.str(7),
		Host:            d.str(8),
		URI:             d.str(9),
		Referrer:        d.str(10),
		Version:         d.str(11),
		UserAgent:       d.str(12),
		Origin:          d.str(13),
		RequestBodyLen:  d.count(14),
		ResponseBodyLen: d.count(15),
		StatusCode:      d.count(16),
		StatusMsg:       d.str(17),
		InfoCode:        d.count(18),
		InfoMsg:         d.str(19),
		Tags:            d.strs(20),
		Username:        d.str(21),
		Password:        d.str(22),
		Proxied:         d.strs(23),
		OrigFUIDs:       d.strs(24),
		OrigFilenames:   d.strs(25),
		OrigMIMETypes:   d.strs(26),
		RespFUIDs:       d.strs(27),
		RespFilenames:   d.strs(28),
		RespMIMETypes:   d.strs(29),
	}
	return d.err
}

// SSL decodes the current record into s, as Conn does.
func (r *Reader) SSL(s *SSL) error {
	d := r.decoder(SSLLog)
	*s = SSL{
		TS:                 r.ts,
		UID:                d.str(1),
		OrigH:              d.addr(2),
		OrigP:              d.port(3),
		RespH:              d.addr(4),
		RespP:              d.port(5),
		Version:            d.str(6),
		Cipher:             d.str(7),
		Curve:              d.str(8),
		ServerName:         d.str(9),
		Resumed:            d.boolean(10),
		LastAlert:          d.str(11),
		NextProtocol:       d.str(12),
		Established:        d.boolean(13),
		SSLHistory:         d.str(14),
		CertChainFPs:       d.strs(15),
		ClientCertChainFPs: d.strs(16),
		SNIMatchesCert:     d.boolean(17),
	}
	return d.err
}

// interned holds values that recur in nearly every record, so that decoding
// them does not allocate.
var interned = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"tcp", "udp", "icmp", "unknown_transport",
		"ssl", "http", "http,ssl", "dns", "ntp", "ssh", "smtp", "smb", "krb", "ldap", "imap", "quic",
		"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
		"D", "Dd", "S", "Sr", "ShADadFf", "ShADadfF", "ShADdaFf", "ShADadR", "ShADadr", "ShADad", "ShAdDaFf", "ShADadFfR",
		"C_INTERNET", "A", "AAAA", "CNAME", "PTR", "MX", "TXT", "SRV", "HTTPS", "NS", "SOA",
		"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED",
		"GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS", "1.0", "1.1",
		"TLSv10", "TLSv11", "TLSv12", "TLSv13", "DTLSv12",
		"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"x25519", "secp256r1", "secp384r1", "h2", "http/1.1",
		"CsiI", "CsxknGIi", "CsxknGIij", "CscxnGIi", "CsiIj",
		"OK", "Not Modified", "Found", "Moved Permanently", "Not Found", "No Content", "Connection established",
	} {
		m[s] = s
	}
	return m
}()
