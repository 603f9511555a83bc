package intel

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tags are free, beside the label vocabulary: the names partners already
// use for actors, malware families, campaigns and techniques. A tag is
// either plain ("Lazarus", "Operation Dream Job") or a MISP-style machine
// tag, namespace:predicate or namespace:predicate="value"
// ("misp-galaxy:threat-actor=\"Lazarus Group\"", "mitre-attack:T1566").
//
// Canonical form: surrounding space trimmed and inner runs of space made
// one; a machine tag's namespace lowercased and its value double-quoted;
// predicate, value and plain tags keep their case. Two tags that differ
// only in case are the same tag (the first one given is kept), and
// filtering by tag ignores case.
const (
	maxTags     = 64
	maxTagBytes = 256
)

// ParseTag returns the canonical form of one tag, or why it is not one.
func ParseTag(s string) (string, error) {
	t, err := parseTag(s)
	if err == nil && len(t) > maxTagBytes {
		return "", fmt.Errorf("longer than %d bytes", maxTagBytes)
	}
	return t, err
}

func parseTag(s string) (string, error) {
	if len(s) > 4*maxTagBytes {
		return "", fmt.Errorf("longer than %d bytes", maxTagBytes)
	}
	t := strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	switch {
	case t == "":
		return "", fmt.Errorf("empty")
	case !utf8.ValidString(t):
		return "", fmt.Errorf("not valid UTF-8")
	}
	for _, r := range t {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", fmt.Errorf("contains the control character %U", r)
		}
	}
	ns, rest, ok := strings.Cut(t, ":")
	if !ok || !isNamespace(ns) || rest == "" || strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "/") {
		if strings.ContainsRune(t, '"') {
			return "", fmt.Errorf(`a plain tag cannot contain '"'`)
		}
		return t, nil // a plain tag
	}
	ns = strings.ToLower(ns)
	if ns == "tlp" {
		return "", fmt.Errorf("TLP is the record's tlp field, not a tag")
	}
	pred, value, hasValue := strings.Cut(rest, "=")
	pred = strings.TrimSpace(pred)
	if pred == "" || strings.ContainsAny(pred, ` "`) {
		return "", fmt.Errorf("a machine tag's predicate (after %q) must be one word without quotes", ns+":")
	}
	if !hasValue {
		return ns + ":" + pred, nil
	}
	value = strings.TrimSpace(value)
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = strings.TrimSpace(value[1 : len(value)-1])
	}
	if value == "" || strings.ContainsRune(value, '"') {
		return "", fmt.Errorf(`a machine tag's value must be non-empty and without inner '"'`)
	}
	return ns + ":" + pred + `="` + value + `"`, nil
}

// isNamespace reports whether s can be a machine tag's namespace:
// letters, digits, ".", "_" and "-", starting with a letter or digit.
func isNamespace(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		ok := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || i > 0 && strings.ContainsRune("._-", r))
		if !ok {
			return false
		}
	}
	return true
}

// TagKeys returns what a tag is found by, lowercased: the tag itself and,
// for a machine tag with a value, its namespace:predicate.
func TagKeys(tag string) []string {
	lower := strings.ToLower(tag)
	keys := []string{lower}
	if i := strings.Index(lower, `="`); i > 0 {
		if ns, _, ok := strings.Cut(lower[:i], ":"); ok && isNamespace(ns) {
			keys = append(keys, lower[:i])
		}
	}
	return keys
}

// normalizeTags returns tags in canonical form, without duplicates (by
// case), sorted.
func normalizeTags(field string, in []string) ([]string, error) {
	if len(in) > maxTags {
		return nil, fieldErr(field, "", fmt.Sprintf("%d tags, at most %d", len(in), maxTags))
	}
	out := make([]string, 0, len(in))
	for _, raw := range in {
		t, err := ParseTag(raw)
		if err != nil {
			return nil, fieldErr(field, raw, "not a tag: "+err.Error())
		}
		if !slices.ContainsFunc(out, func(have string) bool { return strings.EqualFold(have, t) }) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out, nil
}

// applyTags sets *dst to the canonical form of a patch's tags, if it has
// any (none is nil, so that a record without tags encodes as before).
func applyTags(dst *[]string, patch *[]string) error {
	if patch == nil {
		return nil
	}
	tags, err := normalizeTags("tags", *patch)
	if err != nil {
		return err
	}
	*dst = nil
	if len(tags) > 0 {
		*dst = tags
	}
	return nil
}
