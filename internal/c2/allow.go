package c2

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/gaissmai/bart"
)

// An Allowlist names destinations that are never reported: addresses,
// networks, and domain names with all their subdomains. The zero value and
// nil allow nothing.
type Allowlist struct {
	nets  bart.Lite
	names map[string]bool
	n     int
}

// maxAllowLine bounds a line of an allowlist file.
const maxAllowLine = 4096

// ParseAllowlist reads an allowlist: one entry a line, an IP address, a
// CIDR network or a domain name (which allows its subdomains too); blank
// lines and text after # are ignored. An error names the line, the value
// and why it is not an entry.
func ParseAllowlist(r io.Reader) (*Allowlist, error) {
	a := &Allowlist{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxAllowLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := a.Add(line); err != nil {
			return nil, fmt.Errorf("allowlist line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allowlist line %d: %w", n+1, err)
	}
	return a, nil
}

// Add allows one entry: an address, a network or a domain name.
func (a *Allowlist) Add(v string) error {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return fmt.Errorf("%q is not a network: %v", v, err)
		}
		a.nets.Insert(p.Masked())
		a.n++
		return nil
	}
	if ip, err := netip.ParseAddr(v); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("%q is an address with a zone, which no connection log names", v)
		}
		a.nets.Insert(netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		a.n++
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(v), ".")
	name = strings.TrimPrefix(name, "*.")
	if err := checkName(name); err != nil {
		return fmt.Errorf("%q is not an address, network or domain name: %v", v, err)
	}
	if a.names == nil {
		a.names = map[string]bool{}
	}
	a.names[name] = true
	a.n++
	return nil
}

// checkName reports why s is not a domain name.
func checkName(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("a name has 1 to 253 characters")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("label %q is not 1 to 63 characters", label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("label %q has %q, not a letter, digit, hyphen or underscore", label, c)
			}
		}
	}
	return nil
}

// Len returns the number of entries.
func (a *Allowlist) Len() int {
	if a == nil {
		return 0
	}
	return a.n
}

// Addr reports whether an address is allowed.
func (a *Allowlist) Addr(ip netip.Addr) bool {
	if a == nil || !ip.IsValid() {
		return false
	}
	return a.nets.Lookup(ip.Unmap())
}

// Name reports whether a name, or a domain it is under, is allowed.
func (a *Allowlist) Name(name string) bool {
	if a == nil || len(a.names) == 0 {
		return false
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	for {
		if a.names[name] {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}

// Merge adds every entry of b to a.
func (a *Allowlist) Merge(b *Allowlist) {
	if b == nil {
		return
	}
	for p := range b.nets.All() {
		a.nets.Insert(p)
	}
	for n := range b.names {
		if a.names == nil {
			a.names = map[string]bool{}
		}
		a.names[n] = true
	}
	a.n += b.n
}

// DefaultAllowed are the destinations allowed by default: public time
// services, which every client polls like clockwork (NTP every 64 to 1,024
// seconds, from a fixed set of addresses) and which carry no data a C2
// channel could use unseen by NTP parsers. Their addresses are known from
// dns.log (names resolved before use); pool.ntp.org covers its numbered
// and vendor zones.
var DefaultAllowed = []string{
	"pool.ntp.org", "time.cloudflare.com", "time.google.com", "time.windows.com",
	"time.apple.com", "time.aws.com", "ntp.ubuntu.com", "time.nist.gov", "ptbtime1.ptb.de",
	"ptbtime2.ptb.de", "ntp.nict.jp",
}

// DefaultAllowlist returns a new Allowlist of DefaultAllowed.
func DefaultAllowlist() *Allowlist {
	a := &Allowlist{}
	for _, n := range DefaultAllowed {
		if err := a.Add(n); err != nil {
			panic("c2: DefaultAllowed: " + err.Error()) // a fixed list, checked by TestDefaultAllowlist
		}
	}
	return a
}
