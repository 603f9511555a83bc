package match

import (
	"net/netip"
	"strings"

	"fusion/internal/observable"
)

// Rule names how a value matched a record, so that an answer says what it
// rests on.
type Rule string

// The rules.
const (
	// RuleExact: the value is the record's value.
	RuleExact Rule = "exact"
	// RuleCIDR: an address (or a URL's host address) is in the record's
	// CIDR range.
	RuleCIDR Rule = "cidr"
	// RuleSubdomain: a name (or a URL's host) is under the record's
	// domain, which covers its subdomains.
	RuleSubdomain Rule = "subdomain"
	// RuleURL: a URL names the record's URL with another scheme or
	// userinfo: host, port, path and query are the same.
	RuleURL Rule = "url"
	// RuleURLHost: a URL's host is the record's domain or address.
	RuleURLHost Rule = "url-host"
	// RuleURLOnDomain: hit/no-hit only — the record is a URL whose host
	// is the domain asked about or a name under it.
	RuleURLOnDomain Rule = "url-on-domain"
)

// Rules lists every rule.
var Rules = []Rule{RuleExact, RuleCIDR, RuleSubdomain, RuleURL, RuleURLHost, RuleURLOnDomain}

// RuleOf returns the rule by which the canonical value observed matched
// record e (as Observer.Observe, Index.Lookup or Index.LookupURLsOn found
// it).
func RuleOf(observed string, e Entry) Rule {
	v := e.Value()
	if observed == v {
		return RuleExact
	}
	isURL := strings.Contains(observed, "://")
	switch e.Type() {
	case observable.CIDR:
		return RuleCIDR
	case observable.URL:
		if !isURL {
			return RuleURLOnDomain
		}
		return RuleURL
	}
	if !isURL {
		return RuleSubdomain // the only other way a name or address matches
	}
	host := observable.URLHost(observed)
	if host == v {
		return RuleURLHost
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && a.Unmap().String() == v {
		return RuleURLHost
	}
	return RuleSubdomain
}
