package observable

import (
	"strings"
)

// Defang makes a canonical value of type t unclickable for display, the way
// analysts write indicators in reports, so that Refang(Defang(t, v)) == v:
//
//	ipv4, cidr (IPv4)  the last dot bracketed          198.51.100[.]7
//	domain, onion      every dot bracketed             evil[.]example[.]com
//	email              "@" and the domain's dots       a[@]evil[.]example
//	url                hxxp, hxxps, fxp schemes and    hxxps://evil[.]example/a.php
//	                   the host's dots bracketed
//
// Other types (hashes, phone numbers, wallets, IPv6) are returned as they
// are: nothing in them is a link. An empty t is taken from Detect. Defang
// does not validate v; a value that is not of type t is defanged as far as
// it has the shape of one.
func Defang(t Type, v string) string {
	if t == "" {
		t, _ = Detect(v)
	}
	switch t {
	case IPv4:
		return defangLastDot(v)
	case CIDR:
		addr, bits, ok := strings.Cut(v, "/")
		if ok && !strings.Contains(addr, ":") {
			return defangLastDot(addr) + "/" + bits
		}
		return v
	case Domain, Onion:
		return defangDots(v)
	case Email:
		local, domain, ok := cutLast(v, '@')
		if !ok {
			return v
		}
		return local + "[@]" + defangDots(domain)
	case URL:
		return defangURL(v)
	}
	return v
}

// defangURL brackets the dots of the host and replaces the scheme of an
// http, https or ftp URL.
func defangURL(v string) string {
	i := strings.Index(v, "://")
	if i < 0 {
		return v
	}
	scheme, rest := v[:i], v[i+3:]
	switch strings.ToLower(scheme) {
	case "http":
		scheme = "hxxp"
	case "https":
		scheme = "hxxps"
	case "ftp":
		scheme = "fxp"
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return scheme + "://" + defangDots(rest[:end]) + rest[end:]
}

func defangDots(s string) string { return strings.ReplaceAll(s, ".", "[.]") }

func defangLastDot(s string) string {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s
	}
	return s[:i] + "[.]" + s[i+1:]
}

func cutLast(s string, sep byte) (string, string, bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}
