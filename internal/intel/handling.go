package intel

import (
	"fmt"
	"slices"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 label.
//
// SPEC: https://www.first.org/tlp/
type TLP string

// The TLP 2.0 labels, from least to most restricted.
const (
	Clear       TLP = "clear"
	Green       TLP = "green"
	Amber       TLP = "amber"
	AmberStrict TLP = "amber+strict"
	Red         TLP = "red"
)

// TLPs lists every label from least to most restricted.
var TLPs = []TLP{Clear, Green, Amber, AmberStrict, Red}

// Rank orders t among TLPs, 0 for the least restricted; an unknown label
// ranks above red, so that it is never taken for a wider one.
func (t TLP) Rank() int {
	if i := slices.Index(TLPs, t); i >= 0 {
		return i
	}
	return len(TLPs)
}

// ParseTLP accepts a TLP 2.0 label in any case, with or without the "tlp:" prefix.
func ParseTLP(s string) (TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	if v == "white" {
		return "", fieldErr("tlp", s, "TLP 1.0 \"white\" is now \"clear\" in TLP 2.0")
	}
	for _, t := range TLPs {
		if string(t) == v {
			return t, nil
		}
	}
	return "", fieldErr("tlp", s, "not a TLP 2.0 label (clear, green, amber, amber+strict, red)")
}

// Audience names the organizations and sharing groups an originator chose.
// Group membership counts for amber and for the personal-value rule, never
// for amber+strict or red.
type Audience struct {
	Orgs   []string `json:"orgs"`
	Groups []string `json:"groups"`
}

func (a Audience) normalize() Audience {
	return Audience{Orgs: sortedUnique(a.Orgs), Groups: sortedUnique(a.Groups)}
}

// HasOrg reports whether org is named directly in the audience.
func (a Audience) HasOrg(org string) bool { return slices.Contains(a.Orgs, org) }

// HasGroup reports whether group is named in the audience.
func (a Audience) HasGroup(group string) bool { return slices.Contains(a.Groups, group) }

// Handling codes, SIENA-style.
const (
	H0 = "H0" // use for the stated purpose only
	H1 = "H1" // no judicial use without the originator's consent
	H2 = "H2" // no onward dissemination without the originator's consent
	H3 = "H3" // other conditions, stated in free text
)

var handlingCodes = []string{H0, H1, H2, H3}

// Handling carries the originator's conditions on use.
type Handling struct {
	Codes []string `json:"codes"`
	// Purpose is the stated purpose that H0 restricts use to.
	Purpose string `json:"purpose,omitempty"`
	// Conditions is the originator's text for H3; required with H3.
	Conditions string `json:"conditions,omitempty"`
}

// Has reports whether code is among the handling codes.
func (h Handling) Has(code string) bool { return slices.Contains(h.Codes, code) }

// normalize checks the codes and returns them sorted and unique, with H2
// added when tlp is red (TLP:RED implies no onward dissemination).
func (h Handling) normalize(tlp TLP) (Handling, error) {
	codes := make([]string, 0, len(h.Codes)+1)
	for _, c := range h.Codes {
		u := strings.ToUpper(strings.TrimSpace(c))
		if !slices.Contains(handlingCodes, u) {
			return h, fieldErr("handling.codes", c, "not a handling code (H0, H1, H2, H3)")
		}
		codes = append(codes, u)
	}
	if tlp == Red {
		codes = append(codes, H2)
	}
	h.Codes = sortedUnique(codes)
	h.Purpose = strings.TrimSpace(h.Purpose)
	h.Conditions = strings.TrimSpace(h.Conditions)
	if h.Has(H3) && h.Conditions == "" {
		return h, fieldErr("handling.conditions", "", "H3 needs the originator's conditions as text")
	}
	if !h.Has(H3) && h.Conditions != "" {
		return h, fieldErr("handling.conditions", h.Conditions, "conditions are only meaningful with H3")
	}
	if len(h.Purpose) > maxShortText || len(h.Conditions) > maxText {
		return h, fieldErr("handling", "", "purpose or conditions text is too long")
	}
	return h, nil
}

// Evaluation is an admiralty-style grading: source reliability A (completely
// reliable) to F (cannot be judged), information credibility 1 (confirmed)
// to 6 (cannot be judged). Zero values mean "not graded".
type Evaluation struct {
	Reliability string `json:"reliability,omitempty"`
	Credibility int    `json:"credibility,omitempty"`
}

func (e Evaluation) normalize() (Evaluation, error) {
	e.Reliability = strings.ToUpper(strings.TrimSpace(e.Reliability))
	if e.Reliability != "" && (len(e.Reliability) != 1 || e.Reliability[0] < 'A' || e.Reliability[0] > 'F') {
		return e, fieldErr("evaluation.reliability", e.Reliability, "source reliability is a letter A to F")
	}
	if e.Credibility < 0 || e.Credibility > 6 {
		return e, fieldErr("evaluation.credibility", fmt.Sprint(e.Credibility), "information credibility is a digit 1 to 6")
	}
	return e, nil
}

func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// applySharing applies the shared part of a record or report patch — TLP,
// audience and handling — and normalizes the three together: H2 follows a
// red TLP whichever of them the patch changed.
func applySharing(tlp *TLP, aud *Audience, h *Handling, pTLP *string, pAud *Audience, pH *Handling) error {
	if pTLP != nil {
		t, err := ParseTLP(*pTLP)
		if err != nil {
			return err
		}
		*tlp = t
	}
	if pAud != nil {
		*aud = *pAud
	}
	*aud = aud.normalize()
	if len(aud.Orgs)+len(aud.Groups) > maxAudience {
		return fieldErr("audience", "", "names more than 256 organizations and groups")
	}
	if pH != nil {
		*h = *pH
	}
	norm, err := h.normalize(*tlp)
	if err != nil {
		return err
	}
	*h = norm
	return nil
}

// Normalize checks h as for an object shared at tlp and returns it with
// its codes sorted and unique (H2 added for TLP:RED) and its texts
// trimmed; a bad code or text is a *FieldError under "handling".
func (h Handling) Normalize(tlp TLP) (Handling, error) { return h.normalize(tlp) }
