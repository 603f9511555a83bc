package observable

import (
	"net/netip"
	"strconv"
	"strings"
)

// parseIP parses an IPv4 or IPv6 address as type t. IPv4-mapped IPv6
// addresses become ipv4 whichever of the two was asked for; zones are refused.
func parseIP(t Type, s string) (Observable, string) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return Observable{}, netipReason(err.Error(), "ParseAddr("+strconv.Quote(s)+"): ")
	}
	if a.Zone() != "" {
		return Observable{}, "zoned addresses are not accepted (zone " + strconv.Quote(a.Zone()) + ")"
	}
	a = a.Unmap()
	if a.Is4() {
		if t == IPv6 && strings.IndexByte(s, ':') < 0 {
			return Observable{}, "is an IPv4 address, not IPv6"
		}
		return Observable{Type: IPv4, Value: a.String()}, ""
	}
	if t == IPv4 {
		return Observable{}, "is an IPv6 address, not IPv4"
	}
	return Observable{Type: IPv6, Value: a.String()}, ""
}

// parseCIDR parses a network prefix. Host bits must be clear; an IPv4-mapped
// IPv6 prefix of at least /96 becomes the IPv4 prefix it maps.
func parseCIDR(s string) (Observable, string) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		r := netipReason(err.Error(), "netip.ParsePrefix("+strconv.Quote(s)+"): ")
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			r = netipReason(r, "ParseAddr("+strconv.Quote(s[:i])+"): ")
		}
		return Observable{}, r
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return Observable{}, "an IPv4-mapped prefix must be at least /96"
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	if m := p.Masked(); m != p {
		return Observable{}, "host bits are set (network is " + m.String() + ")"
	}
	return Observable{Type: CIDR, Value: p.String()}, ""
}

// netipReason turns a net/netip error message into a reason by removing the
// "ParseAddr(...): " style prefix that repeats the input.
func netipReason(msg, prefix string) string {
	if r, ok := strings.CutPrefix(msg, prefix); ok && r != "" {
		return r
	}
	return msg
}
