package stix

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fusion/internal/observable"
)

// ErrNotValues is wrapped by every refusal of Values: the pattern is valid
// STIX but does not say "any of these values".
var ErrNotValues = errors.New("pattern is not a set of indicator values")

// Value is one value a pattern names, with the fusion observable type it is
// taken as. Value is as the pattern writes it, not yet canonical: it enters
// fusion through observable.Canonicalizer.Parse like any other submission.
type Value struct {
	Type  observable.Type
	Value string
}

// property is an object path fusion takes values from.
type property struct {
	path string // as ObjectPath.String writes it, for messages
	// key is the same for every spelling of the property ("file:hashes.md5"
	// and "file:hashes.MD5").
	key string
	// typeOf gives the observable type of one value, or a reason.
	typeOf func(Literal) (observable.Type, string, string)
}

// Values returns the values a pattern names when it is a set of indicator
// values: one observation of one comparison, or comparisons joined by OR
// (inside one observation or across observations), each "=" or IN, all on
// the same property of the same object type, a property that fusion keeps
// as records (see propertyFor). Duplicates are dropped; the order is the
// pattern's.
//
// Anything else is refused with an error wrapping ErrNotValues that names
// the reason: AND and FOLLOWEDBY join conditions that must hold together, a
// qualifier limits when a match counts, NOT, !=, <, LIKE, MATCHES and the
// like describe many values rather than name them, and other properties
// have no fusion observable type.
func Values(p *Pattern) ([]Value, error) {
	var cmps []*Comparison
	if err := collectObs(p.Expr, &cmps); err != nil {
		return nil, err
	}
	var (
		first *Comparison
		prop  property
		out   []Value
		seen  = map[Value]bool{}
	)
	for _, c := range cmps {
		if c.Not {
			return nil, refusef("comparison operator NOT %s on %s is not an exact value", c.Op, c.Path)
		}
		if c.Op != OpEQ && c.Op != OpIn {
			return nil, refusef("comparison operator %s on %s is not an exact value", c.Op, c.Path)
		}
		if first == nil {
			var ok bool
			prop, ok = propertyFor(c.Path)
			if !ok {
				return nil, refusef("%s is not a property fusion takes values from (%s)", c.Path, knownProperties)
			}
			first = c
		} else if p, ok := propertyFor(c.Path); !ok || p.key != prop.key {
			return nil, refusef("comparisons on %s and %s are not one observable type", first.Path, c.Path)
		}
		lits := c.Set
		if c.Op == OpEQ {
			lits = []Literal{c.Value}
		}
		if len(lits) == 0 {
			return nil, refusef("%s IN () names no value", c.Path)
		}
		for _, l := range lits {
			t, v, reason := prop.typeOf(l)
			if reason != "" {
				return nil, refusef("%s compared with %s: %s", prop.path, l, reason)
			}
			val := Value{Type: t, Value: v}
			if !seen[val] {
				seen[val] = true
				out = append(out, val)
			}
		}
	}
	return out, nil
}

// RefusalError says why a valid pattern is not a set of indicator values.
// It matches ErrNotValues under errors.Is.
type RefusalError struct {
	Reason string
}

func (e *RefusalError) Error() string { return "pattern: " + e.Reason }

// Is makes errors.Is(err, ErrNotValues) true.
func (e *RefusalError) Is(target error) bool { return target == ErrNotValues }

func refusef(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...)}
}

// collectObs gathers the comparisons of observations joined by OR.
func collectObs(e ObservationExpr, out *[]*Comparison) error {
	switch e := e.(type) {
	case *Observation:
		return collectCmp(e.Expr, out)
	case *ObservationBinary:
		if e.Op != ObsOr {
			return refusef("%s between observations is not a set of indicator values", e.Op)
		}
		if err := collectObs(e.Left, out); err != nil {
			return err
		}
		return collectObs(e.Right, out)
	case *Qualified:
		return refusef("qualifier %s is not a set of indicator values", e.Qualifier.Kind)
	}
	return refusef("unknown observation expression %T", e)
}

// collectCmp gathers the comparisons joined by OR inside an observation.
func collectCmp(e ComparisonExpr, out *[]*Comparison) error {
	switch e := e.(type) {
	case *Comparison:
		*out = append(*out, e)
		return nil
	case *ComparisonBinary:
		if e.Op != Or {
			return refusef("AND between comparisons is not a set of indicator values")
		}
		if err := collectCmp(e.Left, out); err != nil {
			return err
		}
		return collectCmp(e.Right, out)
	case *Exists:
		return refusef("EXISTS on %s is not an exact value", e.Path)
	}
	return refusef("unknown comparison expression %T", e)
}

// knownProperties lists the properties propertyFor knows, for messages.
const knownProperties = "fusion takes ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, email-addr:value, " +
	"file:hashes.MD5, file:hashes.'SHA-1', file:hashes.'SHA-256' and autonomous-system:number"

// propertyFor returns how values of an object path become fusion observables.
func propertyFor(p ObjectPath) (property, bool) {
	if len(p.Steps) == 1 && !p.Steps[0].IsIndex && !p.Steps[0].AnyIndex {
		name := p.ObjectType + ":" + p.Steps[0].Key
		switch name {
		case "ipv4-addr:value":
			return property{name, name, stringType(func(v string) observable.Type {
				if strings.Contains(v, "/") {
					return observable.CIDR
				}
				return observable.IPv4
			})}, true
		case "ipv6-addr:value":
			return property{name, name, stringType(func(v string) observable.Type {
				if strings.Contains(v, "/") {
					return observable.CIDR
				}
				return observable.IPv6
			})}, true
		case "domain-name:value":
			return property{name, name, stringType(func(v string) observable.Type {
				if isOnion(v) {
					return observable.Onion
				}
				return observable.Domain
			})}, true
		case "url:value":
			return property{name, name, stringType(func(string) observable.Type { return observable.URL })}, true
		case "email-addr:value":
			return property{name, name, stringType(func(string) observable.Type { return observable.Email })}, true
		case "autonomous-system:number":
			return property{name, name, asNumber}, true
		}
		return property{}, false
	}
	if p.ObjectType == "file" && len(p.Steps) == 2 && p.Steps[0].Key == "hashes" && !p.Steps[1].IsIndex && !p.Steps[1].AnyIndex {
		t, ok := hashType(p.Steps[1].Key)
		if !ok {
			return property{}, false
		}
		return property{p.String(), "file:hashes." + string(t), stringType(func(string) observable.Type { return t })}, true
	}
	return property{}, false
}

// hashType maps a STIX hash algorithm name (the hashing-algorithm-ov
// vocabulary, "MD5", "SHA-1", "SHA-256"; producers also write "md5",
// "sha256") to the fusion type.
func hashType(name string) (observable.Type, bool) {
	switch strings.ToUpper(strings.ReplaceAll(name, "-", "")) {
	case "MD5":
		return observable.MD5, true
	case "SHA1":
		return observable.SHA1, true
	case "SHA256":
		return observable.SHA256, true
	}
	return "", false
}

// isOnion reports whether a domain name is a Tor onion service address.
func isOnion(v string) bool {
	v = strings.TrimSuffix(v, ".")
	return len(v) > len(".onion") && strings.EqualFold(v[len(v)-len(".onion"):], ".onion")
}

// stringType makes a property whose values are strings typed by f.
func stringType(f func(string) observable.Type) func(Literal) (observable.Type, string, string) {
	return func(l Literal) (observable.Type, string, string) {
		if l.Kind != KindString {
			return "", "", "a " + string(l.Kind) + ", expected a string"
		}
		return f(l.Str), l.Str, ""
	}
}

// asNumber takes autonomous-system:number, an integer, as "AS" and the number.
func asNumber(l Literal) (observable.Type, string, string) {
	if l.Kind != KindInt {
		return "", "", "a " + string(l.Kind) + ", expected an integer"
	}
	if l.Int <= 0 || l.Int > 4294967294 {
		return "", "", "an AS number is from 1 to 4294967294"
	}
	return observable.ASN, "AS" + strconv.FormatInt(l.Int, 10), ""
}

// ErrNoPattern is wrapped by PatternFor for observable types STIX has no
// object for.
var ErrNoPattern = errors.New("observable type has no STIX pattern")

// PatternFor returns the STIX pattern that names one canonical fusion
// observable: "[ipv4-addr:value = '192.0.2.1']", "[file:hashes.'SHA-256' =
// '…']", "[autonomous-system:number = 64500]". Values(Parse(PatternFor(o)))
// gives back o's type and value.
//
// Phone numbers and ranges, wallets, card hashes and BINs have no STIX 2.1 object and
// are refused with an error wrapping ErrNoPattern; so are values whose shape
// does not fit their type (a "/" in an address, an ASN not written "AS" and
// a number, an onion without ".onion").
func PatternFor(o observable.Observable) (string, error) {
	str := func(path, v string) string { return "[" + path + " = " + quoteString(v) + "]" }
	bad := func(reason string) error {
		return fmt.Errorf("stix: %s %q: %s", o.Type, o.Value, reason)
	}
	switch o.Type {
	case observable.IPv4, observable.IPv6:
		if strings.Contains(o.Value, "/") {
			return "", bad("an address has no prefix length; that is a cidr")
		}
		return str(string(o.Type)+"-addr:value", o.Value), nil
	case observable.CIDR:
		if !strings.Contains(o.Value, "/") {
			return "", bad("a cidr has a prefix length")
		}
		if strings.Contains(o.Value, ":") {
			return str("ipv6-addr:value", o.Value), nil
		}
		return str("ipv4-addr:value", o.Value), nil
	case observable.Domain:
		if isOnion(o.Value) {
			return "", bad("a .onion name is of type onion")
		}
		return str("domain-name:value", o.Value), nil
	case observable.Onion:
		if !isOnion(o.Value) {
			return "", bad("an onion address ends in .onion")
		}
		return str("domain-name:value", o.Value), nil
	case observable.URL:
		return str("url:value", o.Value), nil
	case observable.Email:
		return str("email-addr:value", o.Value), nil
	case observable.MD5:
		return str("file:hashes.MD5", o.Value), nil
	case observable.SHA1:
		return str("file:hashes.'SHA-1'", o.Value), nil
	case observable.SHA256:
		return str("file:hashes.'SHA-256'", o.Value), nil
	case observable.ASN:
		digits, ok := strings.CutPrefix(o.Value, "AS")
		n, err := strconv.ParseInt(digits, 10, 64)
		if !ok || err != nil || n <= 0 || n > 4294967294 || strconv.FormatInt(n, 10) != digits {
			return "", bad(`an asn is "AS" and a number from 1 to 4294967294`)
		}
		return "[autonomous-system:number = " + digits + "]", nil
	}
	return "", fmt.Errorf("stix: %s: %w", o.Type, ErrNoPattern)
}
