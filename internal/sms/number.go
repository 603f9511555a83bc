package sms

import (
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// NumberType is libphonenumber's type of a number, in words.
type NumberType uint8

// Number types. Invalid covers numbers libphonenumber does not hold valid
// (unassigned ranges, wrong lengths); Unknown a valid number of no known
// type.
const (
	Invalid NumberType = iota
	Mobile
	FixedLine
	FixedOrMobile
	TollFree
	PremiumRate
	SharedCost
	VoIP
	PersonalNumber
	Pager
	UAN
	Voicemail
	Unknown
)

var typeNames = [...]string{"invalid", "mobile", "fixed-line", "fixed-line-or-mobile", "toll-free", "premium-rate",
	"shared-cost", "voip", "personal-number", "pager", "uan", "voicemail", "unknown"}

// String is the type's name ("mobile", "premium-rate", ...).
func (t NumberType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

func typeOf(t phonenumbers.PhoneNumberType) NumberType {
	switch t {
	case phonenumbers.MOBILE:
		return Mobile
	case phonenumbers.FIXED_LINE:
		return FixedLine
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return FixedOrMobile
	case phonenumbers.TOLL_FREE:
		return TollFree
	case phonenumbers.PREMIUM_RATE:
		return PremiumRate
	case phonenumbers.SHARED_COST:
		return SharedCost
	case phonenumbers.VOIP:
		return VoIP
	case phonenumbers.PERSONAL_NUMBER:
		return PersonalNumber
	case phonenumbers.PAGER:
		return Pager
	case phonenumbers.UAN:
		return UAN
	case phonenumbers.VOICEMAIL:
		return Voicemail
	}
	return Unknown
}

// Number is what the analysis says of an E.164 number.
type Number struct {
	// E164 is the canonical form.
	E164 string
	// Region is the ISO 3166-1 alpha-2 region ("001" for non-geographic
	// numbers, empty when invalid).
	Region string
	// Type is libphonenumber's number type.
	Type NumberType
	// Carrier is the mobile operator the number range was first assigned
	// to, from libphonenumber's carrier data (English names); empty where
	// the data has none (number portability means the real carrier may
	// differ).
	Carrier string
}

// Block prefixes: the number without its last 3 digits (a block of 1,000
// numbers) and without its last 4 (10,000). These are what detection
// counts and blocks by, and what findings name.
func prefix3(e164 string) string { return e164[:len(e164)-3] }
func prefix4(e164 string) string { return e164[:len(e164)-4] }

// Analyse parses and analyses an E.164 number with libphonenumber. It
// costs 10 to 30 µs; the engine caches its answers per block (see
// Analyser).
func Analyse(e164 string) (Number, error) {
	if !isE164(e164) {
		return Number{}, &FieldError{Field: "number", Value: quote(e164), Reason: "not an E.164 number"}
	}
	pn, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return Number{}, &FieldError{Field: "number", Value: quote(e164), Reason: err.Error()}
	}
	n := Number{E164: "+" + strconv.Itoa(int(pn.GetCountryCode())) + phonenumbers.GetNationalSignificantNumber(pn)}
	// libphonenumber holds a number valid when its calling code has a
	// region and its national number matches one of the region's types:
	// IsValidNumber is GetNumberType != UNKNOWN, so one call does both.
	n.Region = phonenumbers.GetRegionCodeForNumber(pn)
	t := phonenumbers.GetNumberType(pn)
	if n.Region == "" || t == phonenumbers.UNKNOWN {
		return Number{E164: n.E164, Type: Invalid}, nil
	}
	n.Type = typeOf(t)
	if n.Type == Mobile || n.Type == FixedOrMobile || n.Type == PersonalNumber || n.Type == Pager {
		n.Carrier, _ = phonenumbers.GetCarrierForNumber(pn, "en")
	}
	return n, nil
}

// An Analyser caches analyses per 1,000-number block and length: the
// region, type and carrier of the first number seen in a block stand for
// the block. libphonenumber decides them from leading-digit patterns and
// the length, which the last three digits almost never change (the sms
// scenario's generator proves it for every block it draws from); set
// Exact to analyse every number instead, at libphonenumber's cost.
//
// The cache holds at most Max blocks (default 1<<20, about 100 MB at
// the bound), and as many numbers that are not canonical E.164 (by the
// number as given); when full, each is emptied and refilled (a cold start
// costs one analysis per block). It is safe for concurrent use.
type Analyser struct {
	Exact bool
	Max   int

	mu    sync.RWMutex
	cache map[string]Number // by prefix3 (the E.164 length is implied by the key and Number.E164's length)
	// odd holds, by the whole number as given, the answers for numbers
	// that are not canonical E.164 or not numbers at all: they stand for
	// no block, but a stream repeats them (a pumping run's invalid
	// numbers), and each costs libphonenumber's 10 to 30 µs. Same bound.
	odd map[string]oddAnswer
	// analysed counts the calls that reached libphonenumber.
	analysed int64
}

type oddAnswer struct {
	n   Number
	err error
}

// Analyse returns the analysis of e164, from the cache when its block has
// been seen.
func (a *Analyser) Analyse(e164 string) (Number, error) {
	if a.Exact {
		return Analyse(e164)
	}
	canonical := isE164(e164)
	a.mu.RLock()
	if canonical {
		n, ok := a.cache[prefix3(e164)]
		if ok && len(n.E164) == len(e164) {
			a.mu.RUnlock()
			n.E164 = e164
			return n, nil
		}
	}
	if o, ok := a.odd[e164]; ok {
		a.mu.RUnlock()
		return o.n, o.err
	}
	a.mu.RUnlock()
	n, err := Analyse(e164)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.analysed++
	if err != nil || !canonical || n.E164 != e164 {
		if a.odd == nil || len(a.odd) >= a.max() {
			a.odd = make(map[string]oddAnswer)
		}
		a.odd[e164] = oddAnswer{n, err}
		return n, err
	}
	if a.cache == nil || len(a.cache) >= a.max() {
		a.cache = make(map[string]Number)
	}
	a.cache[prefix3(e164)] = n
	return n, nil
}

func (a *Analyser) max() int {
	if a.Max > 0 {
		return a.Max
	}
	return 1 << 20
}
