package zeek

import (
	"net/netip"
	"strconv"
	"time"
)

// Typed access to single fields of the current record, for readers that
// need a few fields of many records and cannot afford to decode whole
// records (Conn allocates its strings). Each returns ok false when the
// field is unset, absent or empty, and err non-nil, naming the line, the
// field and the value, when it is set but does not parse.

// AddrField returns field i as an address.
func (r *Reader) AddrField(i int) (a netip.Addr, ok bool, err error) {
	b := r.Bytes(i)
	if len(b) == 0 {
		return netip.Addr{}, false, nil
	}
	a, ok = parseAddr(b)
	if !ok {
		return netip.Addr{}, false, r.badField(i, b, "an address")
	}
	return a, true, nil
}

// CountField returns field i as a count.
func (r *Reader) CountField(i int) (n int64, ok bool, err error) {
	b := r.Bytes(i)
	if len(b) == 0 {
		return 0, false, nil
	}
	n, ok = parseCount(b)
	if !ok {
		return 0, false, r.badField(i, b, "a count")
	}
	return n, true, nil
}

// PortField returns field i as a port.
func (r *Reader) PortField(i int) (p uint16, ok bool, err error) {
	b := r.Bytes(i)
	if len(b) == 0 {
		return 0, false, nil
	}
	p, ok = parsePort(b)
	if !ok {
		return 0, false, r.badField(i, b, "a port")
	}
	return p, true, nil
}

// IntervalField returns field i as an interval; a negative interval is an
// error.
func (r *Reader) IntervalField(i int) (d time.Duration, ok bool, err error) {
	b := r.Bytes(i)
	if len(b) == 0 {
		return 0, false, nil
	}
	d, ok = parseInterval(b)
	if !ok || d < 0 {
		return 0, false, r.badField(i, b, "an interval")
	}
	return d, true, nil
}

// badField is the error for field i holding b, which is not what.
func (r *Reader) badField(i int, b []byte, what string) error {
	name := "field " + strconv.Itoa(i)
	if i >= 0 && i < len(r.fields) {
		name = r.fields[i]
	}
	return syntaxErr(r.n, "%s: %s is not %s", name, quote(b), what)
}
