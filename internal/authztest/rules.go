package authztest

import (
	"net/url"
	"strings"
)

// The matching rules, modelled apart from package match: which records a
// value of the pool matches, and by which rule. Pool values are canonical,
// and no record of the pool covers subdomains.

// sensorRule returns the rule by which a sensor's observation of v matches
// a record of value rec, or "": the value itself (exact), the same URL
// over another scheme — host, port, path and query equal (url) — or a URL
// whose host is the record's value (url-host).
func sensorRule(v, rec string) string {
	if v == rec {
		return "exact"
	}
	vu, vErr := url.Parse(v)
	ru, rErr := url.Parse(rec)
	vIsURL, recIsURL := vErr == nil && vu.Host != "", rErr == nil && ru.Host != ""
	switch {
	case vIsURL && recIsURL:
		if vu.Host == ru.Host && vu.EscapedPath() == ru.EscapedPath() && vu.RawQuery == ru.RawQuery {
			return "url"
		}
	case vIsURL && vu.Hostname() == rec:
		return "url-host"
	}
	return ""
}

// hitRule is sensorRule for hit/no-hit, where a domain also matches the URL
// records on it or on a name under it (url-on-domain).
func hitRule(v, rec string) string {
	if r := sensorRule(v, rec); r != "" {
		return r
	}
	if ru, err := url.Parse(rec); err == nil && ru.Host != "" && !strings.Contains(v, "://") && strings.Contains(v, ".") {
		if h := ru.Hostname(); h == v || strings.HasSuffix(h, "."+v) {
			return "url-on-domain"
		}
	}
	return ""
}
