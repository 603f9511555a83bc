package match

import (
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
	tsv    int // "time" for generic JSON lines
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
	for _, f := range x.ips {
		if !r.Unset(f.i) {
			emit(Observation{Time: t, Field: f.name, Kind: KindIP, Value: view(r.Bytes(f.i))})
		}
	}
	for _, f := range x.names {
		if r.Unset(f.i) {
			continue
		}
		v := view(r.Bytes(f.i))
		kind := KindDomain
		if _, err := netip.ParseAddr(v); err == nil {
			kind = KindIP // an http host may be an address
		}
		emit(Observation{Time: t, Field: f.name, Kind: kind, Value: v})
	}
	if x.host >= 0 && x.uri >= 0 && !r.Unset(x.host) && !r.Unset(x.uri) {
		u := "http://" + string(r.Bytes(x.host)) + string(r.Bytes(x.uri))
		emit(Observation{Time: t, Field: "url", Kind: KindURL, Value: u})
	}
	for _, f := range x.anys {
		if r.Unset(f.i) {
			continue
		}
		for _, v := range r.Set(f.i) {
			v = strings.TrimSpace(v)
			kind := KindAny
			if _, err := netip.ParseAddr(v); err == nil {
				kind = KindIP
			}
			emit(Observation{Time: t, Field: f.name, Kind: kind, Value: v})
		}
	}
}

// view returns b as a string without copying; it is valid while b is.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Own returns a copy of o whose Value does not point into a reader buffer.
func (o Observation) Own() Observation {
	o.Value = strings.Clone(o.Value)
	return o
}
