package intel

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fusion/internal/observable"
)

// Limits on free text and lists in a record; they keep one record small
// enough that a batch of 10,000 fits the API's body limit.
const (
	maxText           = 8 << 10
	maxShortText      = 256
	maxLabels         = 32
	maxAudience       = 256
	DefaultConfidence = 50
)

// Record is one observable with what its originator says about it and the
// conditions under which it is shared.
type Record struct {
	ID    string          `json:"id"`
	Type  observable.Type `json:"type"`
	Value string          `json:"value,omitempty"`
	// Facts derived from the value when it was canonicalized.
	Region     string `json:"region,omitempty"`
	NumberType string `json:"number_type,omitempty"`
	// Carrier is a phone range's carrier, as libphonenumber names it.
	Carrier string `json:"carrier,omitempty"`
	BIN     string `json:"bin,omitempty"`

	// Subdomains makes a domain record match every name under the domain too.
	Subdomains   bool       `json:"subdomains,omitempty"`
	Labels       []string   `json:"labels"`
	Tags         []string   `json:"tags,omitempty"`
	Description  string     `json:"description,omitempty"`
	Confidence   int        `json:"confidence"`
	TLP          TLP        `json:"tlp"`
	Audience     Audience   `json:"audience"`
	Handling     Handling   `json:"handling"`
	Discoverable bool       `json:"discoverable"`
	Personal     bool       `json:"personal"`
	Evaluation   Evaluation `json:"evaluation"`
	Reference    string     `json:"reference,omitempty"`
	FirstSeen    *time.Time `json:"first_seen,omitempty"`
	LastSeen     *time.Time `json:"last_seen,omitempty"`
	ValidUntil   *time.Time `json:"valid_until,omitempty"`

	Originator string `json:"originator"`
	// Origin is where a record received from a partner hub (federation)
	// came from; Originator is then the organization standing for that hub.
	Origin        *Origin    `json:"origin,omitempty"`
	Created       time.Time  `json:"created"`
	Updated       time.Time  `json:"updated"`
	Version       int        `json:"version"`
	Revoked       *time.Time `json:"revoked,omitempty"`
	RevokedReason string     `json:"revoked_reason,omitempty"`

	// Warnings names the warning lists (package warninglist) the value was
	// on when its originator shared it anyway ("force"). Whoever sees the
	// record, or a match on it, sees them.
	Warnings []string `json:"warnings,omitempty"`

	// Redacted is set on the copy shown to a caller outside the audience of
	// a personal record: value, derived facts and description are removed.
	Redacted bool `json:"redacted,omitempty"`
}

// Active reports whether the record is not revoked.
func (r *Record) Active() bool { return r.Revoked == nil }

// Redact removes everything that could identify the person a personal record
// is about. It is called by the policy gate only.
func (r *Record) Redact() {
	r.Value, r.Region, r.NumberType, r.Carrier, r.BIN, r.Description = "", "", "", "", "", ""
	r.Redacted = true
}

// Origin names where a federated record came from: the partner hub (as
// this hub calls it), the organization that originated it there, and the
// STIX id the partner gave it (what sightings sent back name).
type Origin struct {
	Hub string `json:"hub"`
	Org string `json:"org"`
	ID  string `json:"id"`
}

// RecordInput is a record as submitted. Type may be empty: it is then detected.
type RecordInput struct {
	Type         string      `json:"type"`
	Value        string      `json:"value"`
	Subdomains   *bool       `json:"subdomains"`
	Labels       []string    `json:"labels"`
	Tags         []string    `json:"tags"`
	Description  string      `json:"description"`
	Confidence   *int        `json:"confidence"`
	TLP          string      `json:"tlp"`
	Audience     *Audience   `json:"audience"`
	Handling     *Handling   `json:"handling"`
	Discoverable *bool       `json:"discoverable"`
	Personal     *bool       `json:"personal"`
	Evaluation   *Evaluation `json:"evaluation"`
	Reference    string      `json:"reference"`
	FirstSeen    *time.Time  `json:"first_seen"`
	LastSeen     *time.Time  `json:"last_seen"`
	ValidUntil   *time.Time  `json:"valid_until"`
	// Force shares a value that is on a warning list; the record is marked
	// with the lists (Record.Warnings).
	Force bool `json:"force"`
	// Origin is set by the hub's federation import only, never from JSON.
	Origin *Origin `json:"-"`
}

// NewRecord validates in and returns the record it describes, without id,
// originator or timestamps. The audience is checked for shape only; whether
// the named organizations and groups exist is the caller's business.
func NewRecord(c *observable.Canonicalizer, in RecordInput) (Record, error) {
	var t observable.Type
	if in.Type != "" {
		var err error
		if t, err = observable.ParseType(strings.ToLower(strings.TrimSpace(in.Type))); err != nil {
			return Record{}, fieldErr("type", in.Type, "not an observable type")
		}
	}
	if strings.TrimSpace(in.Value) == "" {
		return Record{}, fieldErr("value", "", "is required")
	}
	obs, err := c.Parse(t, in.Value)
	if err != nil {
		return Record{}, fmt.Errorf("value: %w", err)
	}
	r := Record{
		Type: obs.Type, Value: obs.Value, Region: obs.Region, NumberType: obs.NumberType, Carrier: obs.Carrier, BIN: obs.BIN,
		Confidence: DefaultConfidence,
		Personal:   obs.Type == observable.Card, // a card belongs to a person unless the originator says otherwise
	}
	patch := RecordPatch{
		Subdomains: in.Subdomains,
		Labels:     &in.Labels, Tags: &in.Tags, Description: &in.Description, Confidence: in.Confidence,
		Audience: in.Audience, Handling: in.Handling, Discoverable: in.Discoverable, Personal: in.Personal,
		Evaluation: in.Evaluation, Reference: &in.Reference,
		FirstSeen: in.FirstSeen, LastSeen: in.LastSeen, ValidUntil: in.ValidUntil,
	}
	if in.TLP == "" {
		return Record{}, fieldErr("tlp", "", "is required")
	}
	patch.TLP = &in.TLP
	if err := patch.ApplyTo(&r); err != nil {
		return Record{}, err
	}
	if in.Origin != nil {
		o := *in.Origin
		r.Origin = &o
	}
	return r, nil
}

// RecordPatch is a partial update; nil fields are left as they are. Type and
// value are not part of it: a different observable is a different record.
type RecordPatch struct {
	Subdomains   *bool       `json:"subdomains"`
	Labels       *[]string   `json:"labels"`
	Tags         *[]string   `json:"tags"`
	Description  *string     `json:"description"`
	Confidence   *int        `json:"confidence"`
	TLP          *string     `json:"tlp"`
	Audience     *Audience   `json:"audience"`
	Handling     *Handling   `json:"handling"`
	Discoverable *bool       `json:"discoverable"`
	Personal     *bool       `json:"personal"`
	Evaluation   *Evaluation `json:"evaluation"`
	Reference    *string     `json:"reference"`
	FirstSeen    *time.Time  `json:"first_seen"`
	LastSeen     *time.Time  `json:"last_seen"`
	ValidUntil   *time.Time  `json:"valid_until"`
}

// ApplyTo validates the patch and applies it to r; on error r is unchanged.
func (p RecordPatch) ApplyTo(r *Record) error {
	n := *r
	n.Labels = append([]string(nil), r.Labels...)
	if p.Subdomains != nil {
		if *p.Subdomains && n.Type != observable.Domain {
			return fieldErr("subdomains", "", "only a domain record can match its subdomains")
		}
		n.Subdomains = *p.Subdomains
	}
	if p.Labels != nil {
		labels, err := normalizeLabels(*p.Labels)
		if err != nil {
			return err
		}
		n.Labels = labels
	}
	if n.Labels == nil {
		n.Labels = []string{}
	}
	if err := applyTags(&n.Tags, p.Tags); err != nil {
		return err
	}
	if p.Description != nil {
		n.Description = strings.TrimSpace(*p.Description)
		if len(n.Description) > maxText {
			return fieldErr("description", "", "longer than 8 KiB")
		}
	}
	if p.Confidence != nil {
		if *p.Confidence < 0 || *p.Confidence > 100 {
			return fieldErr("confidence", itoa(*p.Confidence), "must be 0 to 100")
		}
		n.Confidence = *p.Confidence
	}
	if err := applySharing(&n.TLP, &n.Audience, &n.Handling, p.TLP, p.Audience, p.Handling); err != nil {
		return err
	}
	if p.Discoverable != nil {
		n.Discoverable = *p.Discoverable
	}
	if p.Personal != nil {
		n.Personal = *p.Personal
	}
	if p.Evaluation != nil {
		n.Evaluation = *p.Evaluation
	}
	var err error
	if n.Evaluation, err = n.Evaluation.normalize(); err != nil {
		return err
	}
	if p.Reference != nil {
		n.Reference = strings.TrimSpace(*p.Reference)
		if len(n.Reference) > maxShortText {
			return fieldErr("reference", "", "longer than 256 bytes")
		}
	}
	if p.FirstSeen != nil {
		n.FirstSeen = utc(p.FirstSeen)
	}
	if p.LastSeen != nil {
		n.LastSeen = utc(p.LastSeen)
	}
	if p.ValidUntil != nil {
		n.ValidUntil = utc(p.ValidUntil)
	}
	if n.FirstSeen != nil && n.LastSeen != nil && n.LastSeen.Before(*n.FirstSeen) {
		return fieldErr("last_seen", n.LastSeen.Format(time.RFC3339), "is before first_seen")
	}
	*r = n
	return nil
}

func utc(t *time.Time) *time.Time {
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// Resubmission returns the change a second submission in of a record's
// value by its originator makes to existing: labels and tags are added to
// the record's, first_seen moves earlier and last_seen later, a given
// description or reference replaces the record's, and everything else the
// submission gives (TLP, audience, handling, confidence, evaluation,
// discoverable, personal, subdomains, valid_until) replaces what it had:
// the originator's latest word on how it shares the value counts.
func (in RecordInput) Resubmission(existing *Record) RecordPatch {
	labels := append(slices.Clone(existing.Labels), in.Labels...)
	tags := append(slices.Clone(existing.Tags), in.Tags...)
	p := RecordPatch{
		Subdomains: in.Subdomains, Labels: &labels, Tags: &tags, Confidence: in.Confidence, TLP: &in.TLP,
		Audience: in.Audience, Handling: in.Handling, Discoverable: in.Discoverable, Personal: in.Personal,
		Evaluation: in.Evaluation, ValidUntil: in.ValidUntil,
	}
	if in.Description != "" {
		p.Description = &in.Description
	}
	if in.Reference != "" {
		p.Reference = &in.Reference
	}
	if in.FirstSeen != nil {
		p.FirstSeen = in.FirstSeen
		if existing.FirstSeen != nil && existing.FirstSeen.Before(*in.FirstSeen) {
			p.FirstSeen = existing.FirstSeen
		}
	}
	if in.LastSeen != nil {
		p.LastSeen = in.LastSeen
		if existing.LastSeen != nil && existing.LastSeen.After(*in.LastSeen) {
			p.LastSeen = existing.LastSeen
		}
	}
	return p
}
