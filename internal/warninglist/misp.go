package warninglist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fusion/internal/observable"
)

// ErrUnrepresentable is wrapped by errors for MISP lists that fusion's
// lists cannot represent: substring and regex lists, and lists of which
// no entry is an address, prefix or domain fusion can list.
var ErrUnrepresentable = errors.New("not representable as a fusion warning list")

// MISPSkips counts the entries of a MISP list that were not loaded.
type MISPSkips struct {
	// Count is the number of entries skipped.
	Count int
	// Examples describes the first few skipped entries, each with its
	// index in the list, its value and the reason.
	Examples []string
}

const maxSkipExamples = 3

func (s *MISPSkips) add(i int, v, why string) {
	s.Count++
	if len(s.Examples) < maxSkipExamples {
		s.Examples = append(s.Examples, fmt.Sprintf("entry %d %q: %s", i, v, why))
	}
}

// String summarises the skips for a log line.
func (s MISPSkips) String() string {
	if s.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", s.Count, strings.Join(s.Examples, "; "))
}

// mispList is the JSON shape of a MISP warning list.
type mispList struct {
	Name               *string         `json:"name"`
	Description        string          `json:"description"`
	Type               json.RawMessage `json:"type"`
	MatchingAttributes []string        `json:"matching_attributes"`
	List               json.RawMessage `json:"list"`
}

// MISP attribute types whose values are addresses or contain one, and
// those whose values are or contain a domain name.
var (
	mispAddressTypes = []string{"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip", "ip"}
	mispDomainTypes  = []string{"domain", "hostname", "domain|ip", "hostname|port", "url", "uri", "link",
		"email", "email-src", "email-dst", "target-email", "whois-registrant-email", "dns-soa-email", "email-reply-to"}
)

// ParseMISP reads a list in MISP's misp-warninglists format from data.
// path names the file in errors. The list is named "misp-" and MISP's name
// folded to lowercase letters, digits and hyphens (at most 64
// characters), so that a MISP list never replaces a built-in one of the
// same name; its description is `on MISP warning list "NAME": ` and
// MISP's description, so that the reasons of its hits read well. Entries are canonicalized by c as
// submissions are; those fusion cannot represent are skipped and counted
// in the MISPSkips returned. A malformed file, a missing name, an
// unknown type and a list that cannot be represented (wrapping
// ErrUnrepresentable) are errors naming path.
//
// SPEC: https://github.com/MISP/misp-warninglists (list.json files) and
// MISP's app/Model/Warninglist.php, which decides what an entry matches.
//
// A MISP list is a JSON object: "name", "description", "version",
// "type", "matching_attributes" (the MISP attribute types it applies to;
// absent means all) and "list", an array of values or an object whose
// keys are the values and whose values are comments. MISP's types, and
// how fusion represents them:
//
//	cidr       an address or prefix matches the addresses in it. Each
//	           entry becomes a prefix (an address, a one-address prefix).
//	hostname   an entry matches the name and every name under it; MISP
//	           trims dots from both ends and lowercases. Each domain
//	           entry becomes a suffix (as "*.name" in a plain list); an
//	           address entry matches only itself.
//	string     exact match of the raw value. A domain entry becomes an
//	           exact name, an address a one-address prefix. A prefix is
//	           not loaded: MISP matches only that prefix written exactly,
//	           and fusion's prefixes match every address inside them.
//	substring  any value containing an entry, and
//	regex      any value matching a PCRE: neither can be represented by
//	           a List, whose entries are addresses, prefixes and domain
//	           names. ParseMISP refuses such a list with an error that
//	           wraps ErrUnrepresentable, rather than load a list that
//	           matches something else than what its authors wrote.
//
// Real lists hold entries fusion cannot represent among good ones: hashes
// and URLs in string lists, names with a leading dot or "*." (which a
// MISP string list never matches), domains under unknown top-level
// domains, public suffixes.
// Those entries are skipped and counted (see MISPSkips); a list of which
// no entry can be represented is refused, wrapping ErrUnrepresentable.
// Entries are also skipped when the list's matching_attributes do not
// cover their kind: the empty-hashes list applies to hashes only, and its
// ssdeep entry "3::" is not the IPv6 address it parses as.
//
// fusion applies a loaded list with its own rules (see the package
// comment): a listed domain also lists its "www." and a URL of the site
// itself; a suffix also lists e-mail addresses at that domain.
func ParseMISP(data []byte, path string, c *observable.Canonicalizer) (*List, MISPSkips, error) {
	var skips MISPSkips
	var m mispList
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, skips, fmt.Errorf("%s: not a MISP warning list: %w", path, err)
	}
	if dec.More() {
		return nil, skips, fmt.Errorf("%s: not a MISP warning list: data after the JSON object", path)
	}
	if m.Name == nil || strings.TrimSpace(*m.Name) == "" {
		return nil, skips, fmt.Errorf("%s: field \"name\": missing or empty", path)
	}
	name := mispName(*m.Name)
	if !validName(name) {
		return nil, skips, fmt.Errorf("%s: field \"name\" %q: has no letter or digit to name a list by", path, *m.Name)
	}
	typ, err := mispType(m.Type)
	if err != nil {
		return nil, skips, fmt.Errorf("%s: field \"type\": %w", path, err)
	}
	switch typ {
	case "cidr", "hostname", "string":
	case "substring", "regex":
		return nil, skips, fmt.Errorf("%s: list %q has type %q: it matches values by %s, which a fusion list (addresses, prefixes, domain names) cannot express: %w",
			path, *m.Name, typ, map[string]string{"substring": "any part of them", "regex": "regular expression"}[typ], ErrUnrepresentable)
	default:
		return nil, skips, fmt.Errorf("%s: field \"type\" %q: not a MISP warning list type (cidr, hostname, string, substring, regex)", path, typ)
	}
	entries, err := mispEntries(m.List)
	if err != nil {
		return nil, skips, fmt.Errorf("%s: field \"list\": %w", path, err)
	}
	// The description completes the reasons Check gives ("x is %s",
	// "x is in p (%s)"), as a plain list's "listed in FILE" does.
	desc := fmt.Sprintf("on MISP warning list %q", strings.TrimSpace(*m.Name))
	if d := strings.TrimSpace(m.Description); d != "" {
		desc += ": " + d
	}
	l := &List{Name: name, Description: desc, domains: map[string]bool{}}
	all := len(m.MatchingAttributes) == 0 || slices.Contains(m.MatchingAttributes, "ALL")
	addresses := all || typ == "cidr" || slices.ContainsFunc(m.MatchingAttributes, func(a string) bool { return slices.Contains(mispAddressTypes, a) })
	domains := all || slices.ContainsFunc(m.MatchingAttributes, func(a string) bool { return slices.Contains(mispDomainTypes, a) })
	loaded := 0
	for i, raw := range entries {
		v := strings.TrimSpace(raw)
		if v == "" {
			continue // MISP skips empty entries too
		}
		if typ == "hostname" {
			v = strings.Trim(v, ".")
		} else if strings.HasPrefix(v, ".") || strings.HasPrefix(v, "*") {
			skips.add(i, raw, "a "+typ+" list matches values exactly, and no value starts so")
			continue
		}
		o, err := c.Parse("", v)
		if err != nil {
			skips.add(i, raw, err.Error())
			continue
		}
		switch o.Type {
		case observable.IPv4, observable.IPv6:
			if !addresses {
				skips.add(i, raw, "an address, in a list for "+strings.Join(m.MatchingAttributes, ", "))
				continue
			}
			a := netip.MustParseAddr(o.Value)
			l.prefixes = append(l.prefixes, netip.PrefixFrom(a, a.BitLen()))
		case observable.CIDR:
			if typ != "cidr" {
				skips.add(i, raw, "a prefix in a "+typ+" list matches only itself, written so")
				continue
			}
			l.prefixes = append(l.prefixes, netip.MustParsePrefix(o.Value))
		case observable.Domain:
			switch {
			case typ == "cidr":
				skips.add(i, raw, "a domain in a cidr list")
				continue
			case !domains:
				skips.add(i, raw, "a domain, in a list for "+strings.Join(m.MatchingAttributes, ", "))
				continue
			case typ == "hostname":
				l.suffixes = append(l.suffixes, o.Value)
			default:
				l.domains[o.Value] = true
			}
		default:
			skips.add(i, raw, fmt.Sprintf("a %s; a fusion list holds addresses, prefixes and domains", o.Type))
			continue
		}
		loaded++
	}
	if loaded == 0 {
		return nil, skips, fmt.Errorf("%s: list %q (type %q): none of its %d entries is an address, prefix or domain fusion can list (skipped: %s): %w",
			path, *m.Name, typ, len(entries), skips, ErrUnrepresentable)
	}
	return l, skips, nil
}

// mispType reads the "type" field: a string, or (in some older lists) an
// array whose first element MISP takes; absent means "string", as in MISP.
func mispType(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "string", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var a []string
	if err := json.Unmarshal(raw, &a); err != nil || len(a) == 0 {
		return "", fmt.Errorf("%s: must be a string or an array of strings", clip(raw))
	}
	return a[0], nil
}

// mispEntries reads the "list" field: an array of strings, or an object
// whose keys are the entries (and whose values are comments).
func mispEntries(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("missing")
	}
	var a []string
	if err := json.Unmarshal(raw, &a); err == nil {
		return a, nil
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("%s: must be an array of strings or an object of entries and comments", clip(raw))
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a map has no order; the skip report should not wander
	return keys, nil
}

func clip(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// mispName folds a MISP list name into fusion's name rules: "misp-", then
// the name's ASCII letters and digits lowercased, every other run of
// characters one hyphen, cut to 64 characters at a hyphen where it can.
func mispName(s string) string {
	var b strings.Builder
	b.WriteString("misp-")
	hyphen := true
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			hyphen = false
		} else if !hyphen {
			b.WriteByte('-')
			hyphen = true
		}
	}
	n := strings.TrimRight(b.String(), "-")
	if len(n) > 64 {
		n = n[:64]
		if i := strings.LastIndexByte(n, '-'); i > len("misp-") {
			n = n[:i]
		}
		n = strings.TrimRight(n, "-")
	}
	if n == "misp" {
		return "" // nothing to name it by
	}
	return n
}

// MISPDir says what LoadMISPDir loaded.
type MISPDir struct {
	// Lists are the lists loaded, in path order.
	Lists []*List
	// Files are the list.json files found.
	Files int
	// Refused names the files whose list cannot be represented, each
	// with the reason.
	Refused []string
	// Skipped counts the entries skipped in the lists loaded.
	Skipped int
}

// LoadMISPDir loads every file named list.json under dir, as laid out in
// the misp-warninglists repository (lists/NAME/list.json); dir may be
// the repository, its lists directory or any directory above them. A list
// that cannot be represented (see ErrUnrepresentable) is left out and
// named in Refused: a repository of lists holds some. Any other error (a
// malformed file, two lists of the same fusion name) fails the whole
// load, and so does a directory without any list.json.
func LoadMISPDir(dir string, c *observable.Canonicalizer) (*MISPDir, error) {
	out := &MISPDir{}
	byName := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // .git and the like
		}
		if d.IsDir() || d.Name() != "list.json" {
			return nil
		}
		out.Files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		l, skips, err := ParseMISP(data, p, c)
		if errors.Is(err, ErrUnrepresentable) {
			out.Refused = append(out.Refused, err.Error())
			return nil
		}
		if err != nil {
			return err
		}
		if other, ok := byName[l.Name]; ok {
			return fmt.Errorf("%s and %s: both lists are named %s", other, p, l.Name)
		}
		byName[l.Name] = p
		out.Lists = append(out.Lists, l)
		out.Skipped += skips.Count
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.Files == 0 {
		return nil, fmt.Errorf("%s: no MISP warning list (no file named list.json under it)", dir)
	}
	return out, nil
}

// IsMISP reports whether data looks like a MISP warning list rather than
// a plain one: its first non-space byte is "{" (a plain list's entries
// and comments never start so).
func IsMISP(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}
