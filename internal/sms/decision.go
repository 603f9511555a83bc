package sms

import (
	"encoding/json"
	"fmt"
	"math/bits"
)

// Mode is what an app lets the engine do.
type Mode uint8

// Modes: RecordOnly decides and records but always answers allow (the
// decision it would have taken is in Decision.Would); ChallengeOnly turns
// every block into a challenge; Enforce blocks and challenges.
const (
	Enforce Mode = iota
	ChallengeOnly
	RecordOnly
)

var modeNames = [...]string{"block", "challenge", "record-only"}

// String is the mode's name: block, challenge or record-only.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", m)
}

// ParseMode reads a mode's name.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("mode %q: not block, challenge or record-only", s)
}

// Verdict is the answer to a request.
type Verdict uint8

// Verdicts: send the code, send it only after a challenge the client must
// pass (a CAPTCHA, an app attestation), or do not send it.
const (
	Allow Verdict = iota
	Challenge
	Block
)

var verdictNames = [...]string{"allow", "challenge", "block"}

// String is the verdict's name.
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", v)
}

// MarshalText writes the verdict's name.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// ParseVerdict reads a verdict's name.
func ParseVerdict(s string) (Verdict, error) {
	for i, n := range verdictNames {
		if s == n {
			return Verdict(i), nil
		}
	}
	return 0, fmt.Errorf("verdict %q: not allow, challenge or block", s)
}

// MarshalText writes the type's name.
func (t NumberType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Reasons is a set of reasons, one bit each; it costs no allocation to
// build, and writes itself as a JSON list of names.
type Reasons uint32

// The reasons a decision gives.
const (
	ReasonSafeList             Reasons = 1 << iota // the number or its prefix is on the app's safe list
	ReasonInvalid                                  // libphonenumber does not hold the number valid
	ReasonPremiumRate                              // a premium-rate number
	ReasonRiskyType                                // toll-free, shared-cost, VoIP, UAN, pager, voicemail or unknown type
	ReasonGeo                                      // the destination country is not among the app's allowed ones
	ReasonShared                                   // the prefix is in the shared intelligence set
	ReasonBlocked                                  // the prefix is blocked (an earlier decision)
	ReasonNextToBlocked                            // the 10,000-number block holds a blocked 1,000-number block
	ReasonLowConversion                            // the prefix's codes are not entered
	ReasonBurst                                    // many distinct numbers of one prefix within a minute
	ReasonSequential                               // numbers one after another within the prefix
	ReasonClustered                                // numbers packed in a narrow part of the prefix
	ReasonIPRotation                               // every request to the prefix from another address
	ReasonUARotation                               // changing user agents within the prefix
	ReasonCountryLowConversion                     // the country's codes are not entered
	ReasonCountrySurge                             // the country's volume is far above its baseline
	ReasonNewCountry                               // a country the app has not seen
	ReasonCarrierLowConversion                     // the carrier's codes are not entered
	ReasonIPCountries                              // the client address asked for numbers in many countries
)

var reasonNames = []string{"safe-list", "invalid-number", "premium-rate", "risky-number-type", "country-not-allowed",
	"shared-intelligence", "prefix-blocked", "next-to-blocked", "low-conversion", "prefix-burst", "sequential-numbers",
	"clustered-numbers", "ip-rotation", "user-agent-rotation", "country-low-conversion", "country-surge", "new-country",
	"carrier-low-conversion", "ip-many-countries"}

// Has reports whether r holds every reason of q.
func (r Reasons) Has(q Reasons) bool { return r&q == q }

// Names lists the reasons' names in a fixed order.
func (r Reasons) Names() []string {
	out := make([]string, 0, bits.OnesCount32(uint32(r)))
	for i, n := range reasonNames {
		if r&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String joins the names with commas.
func (r Reasons) String() string {
	s := ""
	for i, n := range r.Names() {
		if i > 0 {
			s += ","
		}
		s += n
	}
	return s
}

// MarshalJSON writes the reasons as a list of names.
func (r Reasons) MarshalJSON() ([]byte, error) { return json.Marshal(r.Names()) }

// Decision is the engine's answer to a request.
type Decision struct {
	Decision Verdict `json:"decision"`
	// Would is the verdict the engine reached before the app's mode
	// softened it (record-only answers allow, challenge turns blocks
	// into challenges).
	Would   Verdict `json:"would"`
	Reasons Reasons `json:"reasons"`
	// Rule is the rule that decided: the strongest reason's name, or
	// empty for a plain allow.
	Rule       string     `json:"rule,omitempty"`
	Country    string     `json:"country,omitempty"`
	Prefix     string     `json:"prefix"`
	Carrier    string     `json:"carrier,omitempty"`
	NumberType NumberType `json:"number_type"`
}

func ruleName(r Reasons) string {
	for i, n := range reasonNames {
		if r&(1<<i) != 0 {
			return n
		}
	}
	return ""
}
