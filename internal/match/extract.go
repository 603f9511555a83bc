package match

import (
	"bytes"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"fusion/internal/zeek"
)

// Fields looked up in events, by name. Zeek's conn, dns and http logs use
// these names; generic JSON lines may carry "value" or "values" and a
// "time" (RFC 3339) instead of "ts".
var (
	ipFields     = []string{"id.resp_h", "id.orig_h", "src_ip", "dst_ip", "client_ip"}
	domainFields = []string{"query", "host", "server_name"}
	anyFields    = []string{"answers", "value", "values"}
)

// Extractor finds the values to look up in each row of a Zeek reader.
type Extractor struct {
	r      *zeek.Reader
	nField int
	ips    []field
	names  []field
	anys   []field
	host   int // http: host and uri make a URL
	uri    int
	port   int // id.resp_p: Zeek drops the port from the Host header
	tsv    int // "time" for generic JSON lines
	uid    int

	// Events makes Row name each observation's event (Observation.Event),
	// for counting each event once; it costs a hash per row.
	Events bool
}

type field struct {
	name string
	i    int
}

// NewExtractor returns an extractor over r.
func NewExtractor(r *zeek.Reader) *Extractor { return &Extractor{r: r, nField: -1} }

func (x *Extractor) index() {
	if len(x.r.Fields()) == x.nField {
		return
	}
	x.nField = len(x.r.Fields())
	find := func(names []string) []field {
		var out []field
		for _, n := range names {
			if i := x.r.Index(n); i >= 0 {
				out = append(out, field{n, i})
			}
		}
		return out
	}
	x.ips, x.names, x.anys = find(ipFields), find(domainFields), find(anyFields)
	x.host, x.uri, x.tsv = x.r.Index("host"), x.r.Index("uri"), x.r.Index("time")
	x.port = x.r.Index("id.resp_p")
	x.uid = x.r.Index("uid")
}

// Row calls emit for each value of the current row worth looking up. The
// observation's Value is valid only until emit returns (it points into the
// reader's buffer): copy it to keep it.
func (x *Extractor) Row(emit func(Observation)) {
	x.index()
	r := x.r
	t := r.Time()
	if t.IsZero() && x.tsv >= 0 && !r.Unset(x.tsv) {
		t, _ = time.Parse(time.RFC3339Nano, r.Field(x.tsv))
	}
	if x.Events {
		ev := x.event()
		inner := emit
		emit = func(o Observation) {
			o.Event = ev
			inner(o)
		}
	}
	for _, f := range x.ips {
		if b := r.Bytes(f.i); len(b) > 0 {
			emit(Observation{Time: t, Field: f.name, Kind: KindIP, Value: view(b)})
		}
	}
	for _, f := range x.names {
		v := view(r.Bytes(f.i))
		if v == "" {
			continue
		}
		kind := KindDomain
		if _, err := netip.ParseAddr(v); err == nil {
			kind = KindIP // an http host may be an address
		}
		emit(Observation{Time: t, Field: f.name, Kind: kind, Value: v})
	}
	if x.host >= 0 && x.uri >= 0 && !r.Unset(x.host) && !r.Unset(x.uri) {
		// An origin-form URI ("/path") is completed with the host; an
		// absolute one (to a proxy) is whole; CONNECT's "host:port" names
		// no URL.
		var u string
		switch uri := r.Bytes(x.uri); {
		case len(uri) > 0 && uri[0] == '/':
			u = x.origin() + string(uri)
		case bytes.HasPrefix(uri, []byte("http://")) || bytes.HasPrefix(uri, []byte("https://")):
			u = string(uri)
		}
		if u != "" {
			emit(Observation{Time: t, Field: "url", Kind: KindURL, Value: u})
		}
	}
	for _, f := range x.anys {
		if r.Unset(f.i) {
			continue
		}
		r.EachSet(f.i, func(b []byte) {
			v := strings.TrimSpace(view(b))
			if v == "" {
				return
			}
			kind := KindAny
			if _, err := netip.ParseAddr(v); err == nil {
				kind = KindIP
			} else if isCanonicalName(v) {
				kind = KindDomain
			}
			emit(Observation{Time: t, Field: f.name, Kind: kind, Value: v})
		})
	}
}

// event names the current row's event: its uid, or else the whole line.
func (x *Extractor) event() EventID {
	if x.uid >= 0 && !x.r.Unset(x.uid) {
		if uid := x.r.Bytes(x.uid); len(uid) > 0 {
			return UIDEvent(uid)
		}
	}
	return LineEvent(x.r.Raw())
}

// origin returns "http://host[:port]" for the current http row: Zeek logs
// the Host header without its port, so a port other than 80 is taken from
// the connection.
func (x *Extractor) origin() string {
	host := string(x.r.Bytes(x.host))
	if strings.IndexByte(host, ':') >= 0 && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // an IPv6 literal
	}
	if x.port >= 0 && !x.r.Unset(x.port) {
		if p := x.r.Bytes(x.port); string(p) != "80" && len(p) > 0 {
			return "http://" + host + ":" + string(p)
		}
	}
	return "http://" + host
}

// view returns b as a string without copying; it is valid while b is.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Own returns a copy of o whose Value does not point into a reader buffer.
func (o Observation) Own() Observation {
	o.Value = strings.Clone(o.Value)
	return o
}
