package misp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/intel"
)

// The machine-tag namespaces the parser maps to record fields instead of
// keeping them as tags.
const (
	// NSFusion is the namespace of fusion's own handling in MISP
	// (docs/misp.md, "The fusion namespace").
	NSFusion = "fusion"
	// NSAdmiralty is MISP's admiralty-scale taxonomy.
	NSAdmiralty = "admiralty-scale"
)

// None is the value of fusion:handling, fusion:audience and fusion:label
// that says the item has none, so that it does not take the event's.
const None = "none"

// MISPTLPTag is the predicate of fusion:misp-tlp, the record tag the hub
// sets when it raised a clear or green MISP attribute to amber.
const MISPTLPTag = NSFusion + ":misp-tlp"

// unknownConditions is the H3 text given when a MISP item sets H3 without
// fusion:conditions: H3 is kept (dropping it would loosen handling).
const unknownConditions = "H3 was set in MISP without conditions: ask the originator before any use"

// meta is what an item's fusion and admiralty-scale tags say. A part is
// nil (or empty) when the item has no tag for it; an item's part replaces
// the event's whole.
type meta struct {
	handling     *intel.Handling
	audience     *intel.Audience
	labels       *[]string
	discoverable *bool
	personal     *bool
	subdomains   *bool
	confidence   *int
	validUntil   *time.Time
	reference    *string
	reliability  string
	credibility  int
}

// take maps tag (canonical, from intel.ParseTag) into m. It reports
// whether the tag belongs to a mapped namespace (and so is not kept as a
// tag) and, if its value is bad, why.
func (m *meta) take(tag string) (bool, error) {
	ns, rest, ok := strings.Cut(tag, ":")
	if !ok {
		return false, nil
	}
	switch ns {
	case NSFusion:
		return true, m.fusion(rest)
	case NSAdmiralty:
		pred, _, _ := strings.Cut(rest, "=")
		if pred != "source-reliability" && pred != "information-credibility" {
			return false, nil
		}
		return true, m.admiralty(rest)
	}
	return false, nil
}

// machine splits `pred="value"`; the value is required.
func machine(rest string) (pred, value string, err error) {
	pred, value, ok := strings.Cut(rest, "=")
	value = strings.Trim(value, `"`)
	if !ok || value == "" {
		return pred, "", fmt.Errorf("needs a value (%s=\"…\")", pred)
	}
	return pred, value, nil
}

func (m *meta) fusion(rest string) error {
	pred, v, err := machine(rest)
	if err != nil {
		return err
	}
	switch pred {
	case "handling":
		return m.handlingCode(v)
	case "reference":
		ref := unescapeTagValue(v)
		if v == None {
			ref = ""
		}
		m.reference = &ref
	case "purpose":
		m.h().Purpose = unescapeTagValue(v)
	case "conditions":
		m.h().Conditions = unescapeTagValue(v)
	case "audience":
		if v != None {
			return fmt.Errorf("%q: only %q (use audience-org and audience-group to name one)", v, None)
		}
		m.aud()
	case "audience-org":
		m.aud().Orgs = append(m.aud().Orgs, v)
	case "audience-group":
		m.aud().Groups = append(m.aud().Groups, v)
	case "label":
		return m.label(v)
	case "discoverable":
		return setBool(&m.discoverable, v)
	case "personal":
		return setBool(&m.personal, v)
	case "subdomains":
		return setBool(&m.subdomains, v)
	case "confidence":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return fmt.Errorf("%q is not a confidence (0 to 100)", clip(v))
		}
		m.confidence = &n
	case "valid-until":
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time", clip(v))
		}
		t = t.UTC()
		m.validUntil = &t
	case "misp-tlp":
		return fmt.Errorf("set by a fusion hub on its own records only; ignored in MISP data")
	default:
		return fmt.Errorf("%q is not a fusion tag (see docs/misp.md)", clip(pred))
	}
	return nil
}

func (m *meta) h() *intel.Handling {
	if m.handling == nil {
		m.handling = &intel.Handling{}
	}
	return m.handling
}

func (m *meta) aud() *intel.Audience {
	if m.audience == nil {
		m.audience = &intel.Audience{}
	}
	return m.audience
}

func (m *meta) handlingCode(v string) error {
	if v == None {
		m.h()
		return nil
	}
	code := strings.ToUpper(v)
	if !slices.Contains([]string{intel.H0, intel.H1, intel.H2, intel.H3}, code) {
		return fmt.Errorf("%q is not a handling code (H0, H1, H2, H3)", clip(v))
	}
	m.h().Codes = append(m.h().Codes, code)
	return nil
}

func (m *meta) label(v string) error {
	if m.labels == nil {
		m.labels = &[]string{}
	}
	if v == None {
		return nil
	}
	l := strings.ToLower(v)
	if !intel.IsLabel(l) {
		return fmt.Errorf("%q is not in the label vocabulary", clip(v))
	}
	*m.labels = append(*m.labels, l)
	return nil
}

func setBool(dst **bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return fmt.Errorf("%q is not true or false", clip(v))
	}
	*dst = &b
	return nil
}

// admiralty maps MISP's admiralty-scale taxonomy: source-reliability a–f,
// information-credibility 1–6.
func (m *meta) admiralty(rest string) error {
	pred, v, err := machine(rest)
	if err != nil {
		return err
	}
	if pred == "source-reliability" {
		r := strings.ToUpper(v)
		if len(r) != 1 || r[0] < 'A' || r[0] > 'F' {
			return fmt.Errorf("%q is not a source reliability (a to f)", clip(v))
		}
		m.reliability = r
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 6 {
		return fmt.Errorf("%q is not an information credibility (1 to 6)", clip(v))
	}
	m.credibility = n
	return nil
}

// finish makes the handling consistent, never looser: conditions without
// H3 add H3, and H3 without conditions gets unknownConditions. It returns
// what it changed, or "".
func (m *meta) finish() string {
	h := m.handling
	if h == nil {
		return ""
	}
	switch {
	case h.Conditions != "" && !h.Has(intel.H3):
		h.Codes = append(h.Codes, intel.H3)
		return "fusion:conditions without fusion:handling=\"H3\": H3 added"
	case h.Has(intel.H3) && h.Conditions == "":
		h.Conditions = unknownConditions
		return "fusion:handling=\"H3\" without fusion:conditions: H3 kept, the conditions say to ask the originator"
	}
	return ""
}

// over returns m with each part it lacks taken from base (the event's).
func (m meta) over(base meta) meta {
	if m.handling == nil {
		m.handling = base.handling
	}
	if m.audience == nil {
		m.audience = base.audience
	}
	if m.labels == nil {
		m.labels = base.labels
	}
	if m.discoverable == nil {
		m.discoverable = base.discoverable
	}
	if m.personal == nil {
		m.personal = base.personal
	}
	if m.subdomains == nil {
		m.subdomains = base.subdomains
	}
	if m.confidence == nil {
		m.confidence = base.confidence
	}
	if m.validUntil == nil {
		m.validUntil = base.validUntil
	}
	if m.reference == nil {
		m.reference = base.reference
	}
	if m.reliability == "" {
		m.reliability = base.reliability
	}
	if m.credibility == 0 {
		m.credibility = base.credibility
	}
	return m
}

// apply sets the record fields m has.
func (m meta) apply(in *intel.RecordInput) {
	if m.handling != nil {
		h := *m.handling
		h.Codes = slices.Clone(h.Codes)
		in.Handling = &h
	}
	if m.audience != nil {
		a := intel.Audience{Orgs: slices.Clone(m.audience.Orgs), Groups: slices.Clone(m.audience.Groups)}
		in.Audience = &a
	}
	if m.labels != nil {
		in.Labels = slices.Clone(*m.labels)
	}
	in.Discoverable, in.Personal, in.Subdomains = m.discoverable, m.personal, m.subdomains
	in.Confidence, in.ValidUntil = m.confidence, m.validUntil
	if m.reference != nil {
		in.Reference = *m.reference // a fusion export's: not misp:<creator>
	}
	if m.reliability != "" || m.credibility != 0 {
		in.Evaluation = &intel.Evaluation{Reliability: m.reliability, Credibility: m.credibility}
	}
}

// escapeTagValue makes free text fit in a machine tag's quoted value:
// '%', '"', tab, CR and LF are percent-encoded (MISP keeps tag names on
// one line; intel.ParseTag refuses '"' in a value). unescapeTagValue
// reverses it.
func escapeTagValue(s string) string { return tagEscaper.Replace(s) }

var (
	tagEscaper   = strings.NewReplacer("%", "%25", `"`, "%22", "\t", "%09", "\r", "%0D", "\n", "%0A")
	tagUnescaper = strings.NewReplacer("%22", `"`, "%09", "\t", "%0D", "\r", "%0A", "\n", "%0d", "\r", "%0a", "\n", "%25", "%")
)

func unescapeTagValue(s string) string { return tagUnescaper.Replace(s) }
