package observable

import "errors"

// minCardKey is the shortest card key New accepts: 256 bits.
const minCardKey = 32

// maxRawInput bounds what Parse looks at before refanging; every type's own
// limit (maxInput) is far below it.
const maxRawInput = 64 << 10

// Canonicalizer parses, validates and canonicalizes observables. It holds the
// hub's secret key for card numbers, which are kept only as a keyed hash. A
// Canonicalizer is safe for concurrent use.
type Canonicalizer struct {
	cardKey []byte
}

// New returns a Canonicalizer that hashes card numbers under cardKey. The key
// must be at least 32 bytes; New keeps its own copy.
func New(cardKey []byte) (*Canonicalizer, error) {
	if len(cardKey) < minCardKey {
		return nil, errors.New("observable: card key must be at least 32 bytes")
	}
	return &Canonicalizer{cardKey: append([]byte(nil), cardKey...)}, nil
}

// Parse refangs raw (see Refang), then validates and canonicalizes it as type
// t. When t is empty the type is detected first (see Detect).
//
// On failure the error is always an *Error carrying the value, the type tried
// (empty when no type could be detected) and a lowercase reason, for instance
//
//	"10.0.0.1/8" is not a valid cidr: host bits are set (network is 10.0.0.0/8)
//
// The *Error never holds a card number in clear: for type card the value is
// masked, and for every other type any Luhn-valid run of 12 to 19 digits in
// it is masked too.
//
// IPv4-mapped IPv6 addresses ("::ffff:1.2.3.4") are returned as type ipv4,
// even when t is ipv6, so that an address has one canonical form whatever its
// spelling; callers must use the returned Observable's Type.
func (c *Canonicalizer) Parse(t Type, raw string) (Observable, error) {
	if len(raw) > maxRawInput {
		return Observable{}, newError(t, raw, tooLongReason(maxRawInput), true)
	}
	s := Refang(raw)
	if t == "" {
		dt, ok := detect(s)
		if !ok {
			reason, long := detectFailure(s)
			return Observable{}, newError("", raw, reason, long)
		}
		t = dt
	}
	limit := maxInput(t)
	if limit == 0 {
		return Observable{}, newError(t, raw, "unknown observable type", false)
	}
	if len(s) > limit {
		return Observable{}, newError(t, raw, tooLongReason(limit), true)
	}
	if s == "" {
		return Observable{}, newError(t, raw, "empty value", false)
	}
	o, reason := c.parse(t, s)
	if reason != "" {
		return Observable{}, newError(t, raw, reason, false)
	}
	return o, nil
}

// parse dispatches to the parser for t. s is refanged, non-empty and within
// t's length limit. It returns the observable or a reason.
func (c *Canonicalizer) parse(t Type, s string) (Observable, string) {
	switch t {
	case IPv4, IPv6:
		return parseIP(t, s)
	case CIDR:
		return parseCIDR(s)
	case Domain:
		return parseDomainType(s)
	case URL:
		return parseURL(s)
	case Email:
		return parseEmail(s)
	case Phone:
		return parsePhone(s)
	case PhoneRange:
		return parsePhoneRange(s)
	case MD5, SHA1, SHA256:
		return parseHash(t, s)
	case ASN:
		return parseASN(s)
	case BTC:
		return parseBTC(s)
	case ETH:
		return parseETH(s)
	case Onion:
		return parseOnionType(s)
	case Card:
		return c.parseCard(s)
	case BIN:
		return parseBIN(s)
	}
	return Observable{}, "unknown observable type"
}

// maxInput is the longest refanged input accepted for t, in bytes, or 0 when
// t is not a Type.
func maxInput(t Type) int {
	switch t {
	case IPv4, IPv6, CIDR, Phone, PhoneRange, ETH, Card:
		return 64
	case Domain, Email:
		// Generous: a name in U-labels can be longer than its A-label form,
		// which is held to 253 bytes (254 for an address).
		return 1024
	case URL:
		return maxURLInput
	case MD5, SHA1, SHA256, BTC:
		return 128
	case ASN, BIN:
		return 32
	case Onion:
		return 512
	}
	return 0
}
