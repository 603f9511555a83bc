// Package observable parses, validates and canonicalizes the values that
// intelligence records are about: addresses, domains, URLs, hashes, phone
// numbers, wallets, card numbers and the like.
//
// Every value enters fusion through this package exactly once, on the way in
// (design rule 2); everything inside works on the canonical form, so two
// partners who write the same indicator differently still match.
//
// # Canonical forms
//
//	ipv4, ipv6  RFC 5952 text; IPv4-mapped IPv6 becomes ipv4; zones are refused
//	cidr        network address and prefix length; host bits set is an error
//	domain      IDNA A-labels, lowercase, no trailing dot, under a public suffix
//	url         scheme and host lowercased, default port dropped, fragment
//	            dropped, percent-encoding normalised (RFC 3986 section 6.2.2)
//	email       local part and domain lowercased, domain as for domain
//	phone       E.164 (+CCNNN...), with region and number type kept beside it
//	phone-range an E.164 prefix (+CC and 1 or more digits, 14 digits at most),
//	            with its country (Region) and carrier kept beside it; never
//	            detected, since a prefix is also the start of a number: it
//	            must be named
//	md5, sha1, sha256  lowercase hex
//	asn         "AS" and the decimal number
//	btc         base58check (P2PKH, P2SH) or bech32/bech32m (segwit), mainnet
//	eth         0x and 40 lowercase hex digits, EIP-55 checksum checked if mixed case
//	onion       the 56-character v3 address with ".onion", checksum checked
//	card        never kept in clear: the keyed HMAC-SHA256 of the PAN, hex, with
//	            the BIN (first six digits) kept beside it
//	bin         6 to 8 digits
//
// Defanged input ("hxxp://evil[.]example") is refanged before parsing.
package observable

import (
	"errors"
	"fmt"
)

// Type names the kind of an observable.
type Type string

// The observable types fusion understands.
const (
	IPv4   Type = "ipv4"
	IPv6   Type = "ipv6"
	CIDR   Type = "cidr"
	Domain Type = "domain"
	URL    Type = "url"
	Email  Type = "email"
	Phone  Type = "phone"
	MD5    Type = "md5"
	SHA1   Type = "sha1"
	SHA256 Type = "sha256"
	ASN    Type = "asn"
	BTC    Type = "btc"
	ETH    Type = "eth"
	Onion  Type = "onion"
	Card   Type = "card"
	BIN    Type = "bin"
	// PhoneRange is an E.164 prefix: a range of numbers (sms-pumping).
	PhoneRange Type = "phone-range"
)

var allTypes = []Type{IPv4, IPv6, CIDR, Domain, URL, Email, Phone, MD5, SHA1, SHA256, ASN, BTC, ETH, Onion, Card, BIN, PhoneRange}

// Types returns every observable type in a fixed order.
func Types() []Type { return append([]Type(nil), allTypes...) }

// ParseType checks that s names an observable type.
func ParseType(s string) (Type, error) {
	for _, t := range allTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w: %q is not an observable type", ErrUnknownType, s)
}

// ErrUnknownType is wrapped by ParseType for names that are not a Type.
var ErrUnknownType = errors.New("unknown observable type")

// Observable is a canonical value of a known type.
type Observable struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`

	// Region is the ISO 3166-1 alpha-2 region of a phone number or of a
	// phone range (see parsePhoneRange for what it rests on).
	Region string `json:"region,omitempty"`
	// NumberType is the libphonenumber type of a phone number, in lowercase
	// with hyphens: "mobile", "fixed-line", "toll-free", "premium-rate", ...
	NumberType string `json:"number_type,omitempty"`
	// Carrier is the carrier libphonenumber names for a phone range,
	// empty when it knows none.
	Carrier string `json:"carrier,omitempty"`
	// BIN is the issuer identification number (first six digits) of a card.
	BIN string `json:"bin,omitempty"`
}

// Error reports a value that is not a valid observable. Value is the input as
// given, except for card numbers, which are masked (first six and last four
// digits) so that a PAN never reaches a log or an API answer in clear.
type Error struct {
	Value  string
	Type   Type // the type tried; empty when detection found no type
	Reason string
}

func (e *Error) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("%q is not a recognisable observable: %s", e.Value, e.Reason)
	}
	return fmt.Sprintf("%q is not a valid %s: %s", e.Value, e.Type, e.Reason)
}
