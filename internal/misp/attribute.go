package misp

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// observableTypes maps a MISP attribute type to the fusion observable type
// it carries. ipType marks the types whose fusion type depends on the value
// (ipv4, ipv6 or cidr).
var observableTypes = map[string]observable.Type{
	"ip-src": ipType, "ip-dst": ipType,
	"domain": observable.Domain, "hostname": observable.Domain,
	"url": observable.URL, "uri": observable.URL, "link": "",
	"md5": observable.MD5, "sha1": observable.SHA1, "sha256": observable.SHA256,
	"email": observable.Email, "email-src": observable.Email, "email-dst": observable.Email,
	"email-reply-to": observable.Email, "target-email": observable.Email,
	"whois-registrant-email": observable.Email,
	"AS":                     observable.ASN,
	"bin":                    observable.BIN,
	"btc":                    observable.BTC,
	"phone-number":           observable.Phone, "whois-registrant-phone": observable.Phone,
	"port": "",
}

// ipType is a placeholder: the value decides between ipv4, ipv6 and cidr.
const ipType observable.Type = "ip"

// mapType returns the fusion type and value an attribute of MISP type typ
// carries, splitting composite types (filename|md5, ip-dst|port, domain|ip)
// on the first '|' and taking the first part that is an observable.
func mapType(typ, value string) (observable.Type, string, string) {
	if strings.Contains(typ, "|") {
		t1, t2, _ := strings.Cut(typ, "|")
		v1, v2, ok := strings.Cut(value, "|")
		if !ok {
			return "", "", fmt.Sprintf("composite type %s: value has no '|'", typ)
		}
		if strings.Contains(v2, "|") {
			return "", "", fmt.Sprintf("composite type %s: value %q has more than one '|'", typ, clip(value))
		}
		for _, p := range [][2]string{{t1, v1}, {t2, v2}} {
			if t, v, reason := mapType(p[0], p[1]); reason == "" {
				return t, v, ""
			}
		}
		return "", "", fmt.Sprintf("context: type %s is not an observable", typ)
	}
	t := observableTypes[typ]
	if t == "" {
		return "", "", fmt.Sprintf("context: type %s is not an observable", typ)
	}
	value = strings.TrimSpace(value)
	if t == ipType {
		if a, err := netip.ParseAddr(value); err == nil {
			if a.Is4() || a.Is4In6() {
				return observable.IPv4, value, ""
			}
			return observable.IPv6, value, ""
		}
		if _, err := netip.ParsePrefix(value); err == nil {
			return observable.CIDR, value, ""
		}
		return "", "", fmt.Sprintf("value %q of type %s is not an IP address or CIDR", clip(value), typ)
	}
	if t == observable.Domain && strings.HasSuffix(strings.ToLower(strings.TrimSuffix(value, ".")), ".onion") {
		t = observable.Onion
	}
	return t, value, ""
}

func parseAttribute(raw json.RawMessage, where, objName string, e *Event, evMeta meta, ref string, eskip func(string, string, ...any)) (Attribute, error) {
	m, err := object(raw)
	if err != nil {
		return Attribute{}, err
	}
	a := Attribute{Object: strings.TrimSpace(objName), Distribution: -1}
	skip := func(field, format string, args ...any) { eskip(where+"."+field, format, args...) }
	if a.Type, err = str(m["type"]); err != nil {
		return Attribute{}, fmt.Errorf("type: %v", err)
	}
	a.Type = strings.TrimSpace(a.Type)
	if a.Type == "" {
		return Attribute{}, fmt.Errorf("type: is required")
	}
	if a.Value, err = str(m["value"]); err != nil {
		return Attribute{}, fmt.Errorf("value: %v", err)
	}
	if u, err := str(m["uuid"]); err != nil {
		skip("uuid", "%v", err)
	} else if u = strings.TrimSpace(u); u != "" {
		if isUUID(u) {
			a.UUID = strings.ToLower(u)
		} else {
			skip("uuid", "%q is not a uuid", clip(u))
		}
	}
	a.Category, _ = str(m["category"])
	if a.Comment, err = str(m["comment"]); err != nil {
		skip("comment", "%v", err)
	}
	a.Comment = strings.TrimSpace(a.Comment)
	if a.ToIDs, err = boolish(m["to_ids"]); err != nil {
		return Attribute{}, fmt.Errorf("to_ids: %v", err)
	}
	if a.Deleted, err = boolish(m["deleted"]); err != nil {
		return Attribute{}, fmt.Errorf("deleted: %v", err)
	}
	if d, ok, err := intish(m["distribution"]); err != nil || ok && (d < 0 || d > 5) {
		skip("distribution", "not a distribution (0 to 5): %s", clip(strings.TrimSpace(string(m["distribution"]))))
	} else if ok {
		a.Distribution = d
	}
	first, last := seenRange(m, skip)
	a.Sightings = sightings(m["Sighting"], where+".Sighting", eskip)
	var md meta
	tags, tlps := tagList(m, where+".", &md, eskip)
	tags = append(tags, galaxies(m["Galaxy"], where+".Galaxy", eskip)...)
	a.Tags = dedupe(tags)
	a.TLP = e.TLP
	if t, ok := strictest(tlps); ok {
		a.TLP = t
	}

	t, v, reason := recordOf(a)
	if reason != "" {
		a.Reason = reason
		return a, nil
	}
	rtags := dedupe(append(append([]string(nil), e.Tags...), a.Tags...))
	if len(rtags) > maxRecordTags {
		skip("Tag", "%d tags with the event's; the first %d kept", len(rtags), maxRecordTags)
		rtags = rtags[:maxRecordTags]
	}
	in := &intel.RecordInput{
		Type: string(t), Value: v, Tags: rtags, Description: a.Comment,
		TLP: string(a.TLP), Reference: ref, FirstSeen: first, LastSeen: last,
	}
	md.over(evMeta).apply(in)
	if in.Subdomains != nil && *in.Subdomains && t != observable.Domain {
		skip("Tag", "fusion:subdomains=\"true\" on a %s record: ignored (only a domain matches its subdomains)", t)
		in.Subdomains = nil
	}
	if in.Audience != nil && len(in.Audience.Orgs)+len(in.Audience.Groups) > maxAudience {
		a.Reason = fmt.Sprintf("audience: %d organizations and groups, at most %d", len(in.Audience.Orgs)+len(in.Audience.Groups), maxAudience)
		return a, nil
	}
	a.Record = in
	return a, nil
}

// maxAudience is intel's bound on a record's audience.
const maxAudience = 256

// recordOf returns the observable type and value attribute a becomes, or
// why it does not become a record.
func recordOf(a Attribute) (observable.Type, string, string) {
	if a.Deleted {
		return "", "", "deleted: the attribute is deleted in MISP (never an active indicator)"
	}
	t, v, reason := mapType(a.Type, a.Value)
	switch {
	case reason != "":
		return "", "", reason
	case !a.ToIDs:
		return "", "", "context: to_ids is false (not for detection)"
	case strings.TrimSpace(v) == "":
		return "", "", fmt.Sprintf("value: empty for type %s", a.Type)
	}
	return t, v, ""
}

// seenRange reads first_seen and last_seen; both are dropped (and noted)
// when last is before first.
func seenRange(m map[string]json.RawMessage, skip func(string, string, ...any)) (first, last *time.Time) {
	first, err := seen(m["first_seen"])
	if err != nil {
		skip("first_seen", "%v", err)
	}
	last, err = seen(m["last_seen"])
	if err != nil {
		skip("last_seen", "%v", err)
	}
	if first != nil && last != nil && last.Before(*first) {
		skip("last_seen", "is before first_seen; both dropped")
		return nil, nil
	}
	return first, last
}
