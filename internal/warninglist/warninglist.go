// Package warninglist holds the lists of values that are almost never
// indicators of crime, as MISP's warning lists do: private, reserved and
// documentation address ranges, very wide prefixes, special-use domain
// names, the most popular benign domains and the public DNS resolvers. A
// record whose value is on a list is refused unless its submitter insists
// (the hub then stores it marked with the lists it is on).
//
// A List is matched against canonical observables (package observable):
//
//	ipv4, ipv6  the address lies in a listed prefix, or is a listed address
//	cidr        the prefix lies wholly in a listed prefix, or is wider than
//	            the set's limits (/8 for IPv4, /24 for IPv6 by default)
//	domain      the name is listed (or is "www." and a listed name), or lies
//	            under a listed suffix ("*.example" lists example and below)
//	url         its host, as a domain or address; a listed domain only when
//	            the URL is the site itself (no path beyond "/", no query)
//	email       its domain, against suffixes only (a mailbox at a popular
//	            provider is a fine indicator; one at example.com is not)
//
// Other types (hashes, phone numbers, wallets, cards) are never listed.
//
// Lists are built in (Default), read from fusion's plain format (Parse),
// or read from MISP's misp-warninglists JSON (ParseMISP, LoadMISPDir).
package warninglist

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"fusion/internal/observable"
)

// A List is one named warning list.
type List struct {
	Name        string
	Description string
	prefixes    []netip.Prefix
	domains     map[string]bool // exact names
	suffixes    []string        // names listed with everything under them
}

// Hit says that a value is on a list, and why.
type Hit struct {
	List   string `json:"list"`
	Reason string `json:"reason"`
}

// Set is the lists a hub checks submissions against, and the widest
// prefixes it accepts. The zero Set lists nothing.
type Set struct {
	lists []*List
	// MinBitsV4 and MinBitsV6 are the shortest prefix lengths a CIDR may
	// have; shorter ones are on the list "wide-prefix". Zero means no limit.
	MinBitsV4, MinBitsV6 int
}

// Default returns the built-in lists and prefix limits.
func Default() *Set {
	s := &Set{MinBitsV4: 8, MinBitsV6: 24}
	for _, b := range builtins {
		s.lists = append(s.lists, b.build())
	}
	return s
}

// Names returns the names of the lists in s, wide-prefix included when it
// applies.
func (s *Set) Names() []string {
	var out []string
	for _, l := range s.lists {
		out = append(out, l.Name)
	}
	if s.MinBitsV4 > 0 || s.MinBitsV6 > 0 {
		out = append(out, WidePrefix)
	}
	return out
}

// WidePrefix names the rule on prefixes wider than the set's limits.
const WidePrefix = "wide-prefix"

// Without returns a copy of s without the named lists. Naming a list that
// is neither in s nor built in is an error, so that a typo does not leave
// a list on.
func (s *Set) Without(names ...string) (*Set, error) {
	out := &Set{MinBitsV4: s.MinBitsV4, MinBitsV6: s.MinBitsV6}
	known := s.Names()
	for _, b := range builtins {
		if !slices.Contains(known, b.name) {
			known = append(known, b.name) // switched off already: not a typo
		}
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("warning list %q: no such list (known: %s)", n, strings.Join(known, ", "))
		}
	}
	for _, l := range s.lists {
		if !slices.Contains(names, l.Name) {
			out.lists = append(out.lists, l)
		}
	}
	if slices.Contains(names, WidePrefix) {
		out.MinBitsV4, out.MinBitsV6 = 0, 0
	}
	return out, nil
}

// With returns a copy of s with l added; l replaces a list of its name.
func (s *Set) With(l *List) *Set {
	out := &Set{MinBitsV4: s.MinBitsV4, MinBitsV6: s.MinBitsV6}
	for _, have := range s.lists {
		if have.Name != l.Name {
			out.lists = append(out.lists, have)
		}
	}
	out.lists = append(out.lists, l)
	return out
}

// Check returns the lists o is on, in the set's order; none for a value
// that may be shared.
func (s *Set) Check(o observable.Observable) []Hit {
	if s == nil {
		return nil
	}
	var hits []Hit
	add := func(l *List, reason string) {
		if len(hits) == 0 || hits[len(hits)-1].List != l.Name {
			hits = append(hits, Hit{List: l.Name, Reason: reason})
		}
	}
	switch o.Type {
	case observable.IPv4, observable.IPv6:
		a, err := netip.ParseAddr(o.Value)
		if err != nil {
			return nil
		}
		for _, l := range s.lists {
			if p, ok := l.containsAddr(a); ok {
				add(l, fmt.Sprintf("%s is in %s (%s)", a, p, l.Description))
			}
		}
	case observable.CIDR:
		p, err := netip.ParsePrefix(o.Value)
		if err != nil {
			return nil
		}
		min := s.MinBitsV4
		if p.Addr().Is6() {
			min = s.MinBitsV6
		}
		if p.Bits() < min {
			hits = append(hits, Hit{List: WidePrefix, Reason: fmt.Sprintf("%s is wider than /%d: it would match far more than one actor's infrastructure", p, min)})
		}
		for _, l := range s.lists {
			if q, ok := l.containsPrefix(p); ok {
				add(l, fmt.Sprintf("%s lies in %s (%s)", p, q, l.Description))
			}
		}
	case observable.Domain:
		for _, l := range s.lists {
			if why, ok := l.containsDomain(o.Value, true); ok {
				add(l, why)
			}
		}
	case observable.URL:
		u, err := url.Parse(o.Value)
		if err != nil {
			return nil
		}
		host := u.Hostname()
		if a, err := netip.ParseAddr(host); err == nil {
			for _, l := range s.lists {
				if p, ok := l.containsAddr(a.Unmap()); ok {
					add(l, fmt.Sprintf("its host %s is in %s (%s)", a, p, l.Description))
				}
			}
			break
		}
		site := (u.Path == "" || u.Path == "/") && u.RawQuery == ""
		for _, l := range s.lists {
			if why, ok := l.containsDomain(host, site); ok {
				add(l, "its host: "+why)
			}
		}
	case observable.Email:
		if at := strings.LastIndexByte(o.Value, '@'); at >= 0 {
			for _, l := range s.lists {
				if why, ok := l.containsDomain(o.Value[at+1:], false); ok {
					add(l, "its domain: "+why)
				}
			}
		}
	}
	return hits
}

func (l *List) containsAddr(a netip.Addr) (netip.Prefix, bool) {
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func (l *List) containsPrefix(p netip.Prefix) (netip.Prefix, bool) {
	for _, q := range l.prefixes {
		if q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return q, true
		}
	}
	return netip.Prefix{}, false
}

// containsDomain reports whether name is on l: under a listed suffix, or,
// when exact is true, a listed name itself or its "www.".
func (l *List) containsDomain(name string, exact bool) (string, bool) {
	for _, s := range l.suffixes {
		if name == s || strings.HasSuffix(name, "."+s) {
			return fmt.Sprintf("%s is under %s (%s)", name, s, l.Description), true
		}
	}
	if exact && (l.domains[name] || l.domains[strings.TrimPrefix(name, "www.")]) {
		return fmt.Sprintf("%s is %s", name, l.Description), true
	}
	return "", false
}

// Parse reads a list from r: one entry per line, an address, a prefix, a
// domain name, or "*." and a domain for the domain and everything under
// it; "#" starts a comment. The list is named after path (its base name
// without extension) unless a "# name: NAME" line says otherwise, and
// described by a "# description: TEXT" line. Entries are canonicalized as
// submissions are, by c; an entry that is not a valid address, prefix or
// domain is an error naming its line.
func Parse(r io.Reader, path string, c *observable.Canonicalizer) (*List, error) {
	base := filepath.Base(path)
	l := &List{Name: strings.TrimSuffix(base, filepath.Ext(base)), Description: "listed in " + base, domains: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			rest = strings.TrimSpace(rest)
			if v, ok := strings.CutPrefix(rest, "name:"); ok {
				l.Name = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(rest, "description:"); ok {
				l.Description = strings.TrimSpace(v)
			}
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		suffix := false
		if rest, ok := strings.CutPrefix(line, "*."); ok {
			line, suffix = rest, true
		}
		o, err := c.Parse("", line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		switch {
		case o.Type == observable.IPv4 || o.Type == observable.IPv6:
			a := netip.MustParseAddr(o.Value)
			l.prefixes = append(l.prefixes, netip.PrefixFrom(a, a.BitLen()))
		case o.Type == observable.CIDR:
			l.prefixes = append(l.prefixes, netip.MustParsePrefix(o.Value))
		case o.Type == observable.Domain && suffix:
			l.suffixes = append(l.suffixes, o.Value)
		case o.Type == observable.Domain:
			l.domains[o.Value] = true
		default:
			return nil, fmt.Errorf("%s line %d: %q is a %s; a warning list holds addresses, prefixes and domains", path, n, line, o.Type)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !validName(l.Name) {
		return nil, fmt.Errorf("%s: list name %q: must be lowercase letters, digits and hyphens", path, l.Name)
	}
	return l, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Fictional returns the default lists without "documentation" and
// "special-domains": for demos, tours and tests, whose values are taken
// from the ranges and names set aside for examples precisely so that they
// point at nobody.
func Fictional() *Set {
	s, err := Default().Without("documentation", "special-domains")
	if err != nil {
		panic(err) // the built-in names are known
	}
	return s
}
