package tor

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParsePortPolicy parses the arguments of a consensus "p" line:
// "accept" or "reject", whitespace, and a PortList such as
// "80,443,1000-2000". Ports are decimal, 1 to 65535, and every range must
// have Low <= High. Errors wrap [ErrSyntax].
func ParsePortPolicy(s string) (PortPolicy, error) {
	f := splitFields(nil, []byte(s))
	if len(f) != 2 {
		return PortPolicy{}, &SyntaxError{Doc: "port policy",
			Msg: fmt.Sprintf("%s has %d fields, want 2 (accept|reject PortList)", quote([]byte(s)), len(f))}
	}
	p, msg := parsePortPolicy(f[0], f[1])
	if msg != "" {
		return PortPolicy{}, &SyntaxError{Doc: "port policy", Msg: msg}
	}
	return p, nil
}

// parsePortPolicy parses the two arguments of a "p" line. On failure it
// returns a message saying what is wrong.
func parsePortPolicy(verb, list []byte) (PortPolicy, string) {
	var p PortPolicy
	switch string(verb) {
	case "accept":
		p.Accept = true
	case "reject":
	default:
		return PortPolicy{}, fmt.Sprintf("policy %s, want accept or reject", quote(verb))
	}
	p.Ranges = make([]PortRange, 0, bytes.Count(list, []byte{','})+1)
	for len(list) > 0 || len(p.Ranges) == 0 {
		item := list
		if i := bytes.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
			if len(list) == 0 {
				return PortPolicy{}, "port list ends with a comma"
			}
		} else {
			list = nil
		}
		r, msg := parsePortRange(item)
		if msg != "" {
			return PortPolicy{}, msg
		}
		p.Ranges = append(p.Ranges, r)
	}
	return p, ""
}

// parsePortRange parses "N" or "N-M".
func parsePortRange(b []byte) (PortRange, string) {
	if len(b) == 0 {
		return PortRange{}, "empty entry in port list"
	}
	lo, hi := b, b
	if i := bytes.IndexByte(b, '-'); i >= 0 {
		lo, hi = b[:i], b[i+1:]
	}
	l, ok1 := parsePort(lo)
	h, ok2 := parsePort(hi)
	switch {
	case !ok1 || !ok2:
		return PortRange{}, fmt.Sprintf("port list entry %s is not a port or port range", quote(b))
	case l == 0 || h == 0:
		return PortRange{}, fmt.Sprintf("port list entry %s: port 0 is out of range 1-65535", quote(b))
	case l > h:
		return PortRange{}, fmt.Sprintf("port list entry %s: range is backwards", quote(b))
	}
	return PortRange{Low: l, High: h}, ""
}

// Contains reports whether port is in the range.
func (r PortRange) Contains(port uint16) bool { return r.Low <= port && port <= r.High }

// Allows reports whether the policy lets a client exit to port. Port 0 is
// never allowed, and neither is any port when the policy has no ranges
// (see [PortPolicy]).
func (p PortPolicy) Allows(port uint16) bool {
	if port == 0 || len(p.Ranges) == 0 {
		return false
	}
	for _, r := range p.Ranges {
		if r.Contains(port) {
			return p.Accept
		}
	}
	return !p.Accept
}

// AllowsAny reports whether the policy allows at least one port from 1 to
// 65535, that is whether Allows is true for some port: an "accept" policy
// always does, a "reject" policy unless its ranges cover every port (as
// "reject 1-65535" does). A policy with no ranges allows nothing.
func (p PortPolicy) AllowsAny() bool {
	if len(p.Ranges) == 0 {
		return false
	}
	if p.Accept {
		for _, r := range p.Ranges {
			if r.High >= 1 && r.Low <= r.High {
				return true
			}
		}
		return false
	}
	rs := p.Ranges
	less := func(a, b PortRange) int { return int(a.Low) - int(b.Low) }
	if !slices.IsSortedFunc(rs, less) {
		rs = slices.Clone(rs)
		slices.SortFunc(rs, less)
	}
	next := 1 // lowest port not yet known to be rejected
	for _, r := range rs {
		if r.Low > r.High {
			continue
		}
		if int(r.Low) > next {
			return true // next falls in a gap
		}
		if int(r.High) >= next {
			next = int(r.High) + 1
		}
	}
	return next <= 65535
}

// String returns the policy as a "p" line writes it, such as
// "accept 80,443,1000-2000", or "" for a policy with no ranges.
// ParsePortPolicy(p.String()) returns p for every policy it produced.
func (p PortPolicy) String() string {
	if len(p.Ranges) == 0 {
		return ""
	}
	var b strings.Builder
	if p.Accept {
		b.WriteString("accept ")
	} else {
		b.WriteString("reject ")
	}
	for i, r := range p.Ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(r.Low)))
		if r.High != r.Low {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.High)))
		}
	}
	return b.String()
}
