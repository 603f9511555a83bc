package stix

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/intel"
)

// MaxSightingCount is the largest count a STIX sighting may carry.
const MaxSightingCount = 999_999_999

// minAnonymityKey is the shortest key ForSighting takes for an anonymous
// observer's sighting.
const minAnonymityKey = 16

// SightingInput is what one organization's traffic matched of one record,
// as the hub hands it to ForSighting: the total of its hourly sightings
// (store.SightingTotal, hub.OwnSighting), with the record's TLP and how the
// observer appears to the recipient.
//
// The hub decides anonymity, not this package: Anonymous is true when
// policy.Observer gives policy.Anonymous for the recipient (the record's
// originator, when a sighting flows back to it), that is when the observer
// set anonymous_feedback. An anonymous observer is then written nowhere in
// the object: not in where_sighted_refs, not in created_by_ref, not in a
// form of the id the recipient could compute from the organization ids it
// knows (the id of an anonymous sighting is keyed by Key, a secret of the
// exporting hub).
type SightingInput struct {
	// Record is the fusion id of the record sighted; sighting_of_ref is
	// IndicatorID(Record) unless Indicator gives another indicator id (a
	// federated record, known to the originator by its own indicator id).
	Record    string
	Indicator string
	// TLP is the record's: the sighting is marked with it.
	TLP intel.TLP
	// Observer is the organization whose traffic matched; Anonymous says
	// the recipient may not learn it.
	Observer  string
	Anonymous bool
	// Key keys the id of an anonymous observer's sighting: a secret of the
	// exporting hub, at least 16 bytes, the same on every export (else the
	// id changes). Not read for a named observer.
	Key []byte
	// Count is the number of matches (0 to MaxSightingCount), First and
	// Last the first and last of them.
	Count       int64
	First, Last time.Time
	// Created and Modified are the sighting object's created and modified
	// times; zero means First and Last. STIX forbids created to change
	// between versions of an object, and First moves back when a late
	// event older than it is counted: a hub that keeps when it first and
	// last recorded the sighting should give those.
	Created, Modified time.Time
}

// FeedbackInput is one report by an organization of what a record led to
// (hub.FeedbackItem), with the record's TLP and how the observer appears to
// the recipient, decided by the hub as for SightingInput. The note of an
// anonymous observer leaves out its text too, as policy.Anonymous says: a
// note's words can name who wrote them.
type FeedbackInput struct {
	// ID is the feedback's id in the hub that holds it (random: the note's
	// id, derived from it, says nothing about the observer).
	ID string
	// Record and Indicator as in SightingInput.
	Record    string
	Indicator string
	TLP       intel.TLP
	Observer  string
	Anonymous bool
	// Outcome is what the record led to (seen, blocked, false-positive,
	// takedown, arrest, case-opened); Note the observer's words.
	Outcome string
	Note    string
	Created time.Time
}

// Sighting is a STIX sighting: what one organization's traffic matched of
// one record.
type Sighting struct {
	Common
	Count            int64    `json:"count"`
	FirstSeen        string   `json:"first_seen"`
	LastSeen         string   `json:"last_seen"`
	SightingOfRef    string   `json:"sighting_of_ref"`
	WhereSightedRefs []string `json:"where_sighted_refs,omitempty"`
}

// Note is a STIX note: one organization's feedback on a record.
type Note struct {
	Common
	Abstract   string   `json:"abstract"`
	Content    string   `json:"content"`
	Authors    []string `json:"authors,omitempty"`
	ObjectRefs []string `json:"object_refs"`
}

// SightingID is the id of a named observer's sighting of a record: UUIDv5
// in fusion's namespace over "sighting|record|observer". An anonymous
// observer's sighting has another id (see ForSighting).
func SightingID(recordID, observer string) string {
	return fusionID("sighting", recordID+"|"+observer)
}

// anonymousSightingID keys the id with the exporting hub's secret, so that
// the recipient, who knows the record and every organization id, cannot
// find which organization it was by computing SightingID for each.
func anonymousSightingID(recordID, observer string, key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(recordID + "|" + observer))
	return fusionID("sighting", "anonymous|"+hex.EncodeToString(m.Sum(nil)))
}

// NoteID is the id of the note of one feedback: UUIDv5 in fusion's
// namespace over "note|feedback id" (named) or "note|anonymous|feedback id".
func NoteID(feedbackID string, anonymous bool) string {
	if anonymous {
		return fusionID("note", "anonymous|"+feedbackID)
	}
	return fusionID("note", feedbackID)
}

// ForSighting maps one organization's sighting of a record to a STIX
// sighting: sighting_of_ref the record's indicator, count, first_seen and
// last_seen, created the first match and modified the last unless Created
// and Modified say otherwise (a later export with more matches is a later
// version of the same object), marked
// with the record's TLP. A named observer is where_sighted_refs and
// created_by_ref (its identity); an anonymous one is neither: the sighting
// has no where_sighted_refs, created_by_ref is fusion's identity and the id
// is keyed by Key.
//
// A sighting with no record, a TLP that is not one, a count outside 0 to
// MaxSightingCount, a zero first or last time, last before first,
// modified before created, or an
// anonymous observer without a key of at least 16 bytes is a *SkipError
// (kind "sighting", the record's id; the observer is not named).
func ForSighting(s *SightingInput) (*Sighting, error) {
	skip := func(format string, args ...any) error {
		return &SkipError{Kind: "sighting", ID: s.Record, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case s.Record == "":
		return nil, skip("record: required, the id of the record sighted")
	case s.Indicator != "" && !strings.HasPrefix(s.Indicator, "indicator--"):
		return nil, skip("indicator %q: not an indicator id", s.Indicator)
	case s.Observer == "":
		return nil, skip("observer: required, the organization whose traffic matched")
	case s.Count < 0 || s.Count > MaxSightingCount:
		return nil, skip("count %d: STIX takes 0 to %d", s.Count, MaxSightingCount)
	case s.First.IsZero() || s.Last.IsZero():
		return nil, skip("first and last: required, the times of the first and last match")
	case s.Last.Before(s.First):
		return nil, skip("last %s is before first %s", stamp(s.Last), stamp(s.First))
	case s.Anonymous && len(s.Key) < minAnonymityKey:
		return nil, skip("key: an anonymous observer's sighting needs a key of at least %d bytes for its id, %d given", minAnonymityKey, len(s.Key))
	}
	created, modified := s.First, s.Last
	if !s.Created.IsZero() {
		created = s.Created
	}
	if !s.Modified.IsZero() {
		modified = s.Modified
	}
	if modified.Before(created) {
		return nil, skip("modified %s is before created %s", stamp(modified), stamp(created))
	}
	marking, err := TLPMarking(s.TLP)
	if err != nil {
		return nil, skip("%v", err)
	}
	out := &Sighting{
		Common: Common{Type: "sighting", SpecVersion: SpecVersion,
			Created: stamp(created), Modified: stamp(modified), ObjectMarkingRefs: []string{marking.ID}},
		Count: s.Count, FirstSeen: stamp(s.First), LastSeen: stamp(s.Last), SightingOfRef: s.Indicator,
	}
	if out.SightingOfRef == "" {
		out.SightingOfRef = IndicatorID(s.Record)
	}
	if s.Anonymous {
		out.ID = anonymousSightingID(s.Record, s.Observer, s.Key)
		out.CreatedByRef = FusionIdentityID
	} else {
		out.ID = SightingID(s.Record, s.Observer)
		out.CreatedByRef = IdentityID(s.Observer)
		out.WhereSightedRefs = []string{IdentityID(s.Observer)}
	}
	return out, nil
}

// ForFeedback maps one feedback to a STIX note on the record's indicator
// (object_refs): abstract the outcome, content the outcome and, after a
// blank line, the observer's note, created and modified when it was given,
// marked with the record's TLP. A named observer is the note's author
// (authors, its organization id) and created_by_ref (its identity); an
// anonymous one is neither, created_by_ref is fusion's identity, and the
// content is the outcome alone.
//
// Feedback with no id, no record, no outcome, a zero time or a TLP that is
// not one is a *SkipError (kind "feedback", the feedback's id).
func ForFeedback(f *FeedbackInput) (*Note, error) {
	skip := func(format string, args ...any) error {
		return &SkipError{Kind: "feedback", ID: f.ID, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case f.ID == "":
		return nil, skip("id: required, the feedback's id")
	case f.Record == "":
		return nil, skip("record: required, the id of the record the feedback is on")
	case f.Indicator != "" && !strings.HasPrefix(f.Indicator, "indicator--"):
		return nil, skip("indicator %q: not an indicator id", f.Indicator)
	case f.Observer == "":
		return nil, skip("observer: required, the organization that gave the feedback")
	case strings.TrimSpace(f.Outcome) == "":
		return nil, skip("outcome: required")
	case f.Created.IsZero():
		return nil, skip("created: required, when the feedback was given")
	}
	marking, err := TLPMarking(f.TLP)
	if err != nil {
		return nil, skip("%v", err)
	}
	ref := f.Indicator
	if ref == "" {
		ref = IndicatorID(f.Record)
	}
	out := &Note{
		Common: Common{Type: "note", SpecVersion: SpecVersion, ID: NoteID(f.ID, f.Anonymous),
			Created: stamp(f.Created), Modified: stamp(f.Created), ObjectMarkingRefs: []string{marking.ID}},
		Abstract: f.Outcome, Content: f.Outcome, ObjectRefs: []string{ref},
	}
	if f.Anonymous {
		out.CreatedByRef = FusionIdentityID
		return out, nil
	}
	out.CreatedByRef = IdentityID(f.Observer)
	out.Authors = []string{f.Observer}
	if note := strings.TrimSpace(f.Note); note != "" {
		out.Content = f.Outcome + "\n\n" + note
	}
	return out, nil
}

// ImportedSighting is a sighting of an indicator from a bundle: what a
// partner hub's (or any producer's) observers saw of it. The hub that
// originated the indicator knows it by its id (IndicatorID of its record).
type ImportedSighting struct {
	// Indicator is the sighting_of_ref.
	Indicator string `json:"indicator"`
	// Count is nil when the producer gave none (STIX leaves it optional).
	Count     *int64     `json:"count,omitempty"`
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	// WhereSighted are the where_sighted_refs as given (identity and
	// location ids), absent for an anonymous observer; Observers the
	// fusion organizations among them, resolved through the identities
	// of the bundle that carry the fusion extension's fusion_id.
	WhereSighted []string `json:"where_sighted,omitempty"`
	Observers    []string `json:"observers,omitempty"`
	Description  string   `json:"description,omitempty"`
	TLP          string   `json:"tlp"`
}

// ImportedNote is a note on indicators from a bundle: fusion writes one per
// feedback, abstract the outcome.
type ImportedNote struct {
	// Refs are the object_refs that are indicators, Others the rest.
	Refs   []string `json:"refs"`
	Others []string `json:"others,omitempty"`
	// Abstract and Content as given; Text is Content without a first
	// paragraph equal to Abstract, which is how fusion writes the outcome
	// before the observer's note (empty when the note is the outcome
	// alone).
	Abstract string     `json:"abstract,omitempty"`
	Content  string     `json:"content"`
	Text     string     `json:"text,omitempty"`
	Authors  []string   `json:"authors,omitempty"`
	Created  *time.Time `json:"created,omitempty"`
	TLP      string     `json:"tlp"`
}

// importTime reads an optional STIX timestamp property.
func importTime(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, skipf(field, v, "not an RFC 3339 timestamp")
	}
	return &t, nil
}

// typeSkip names the field of a JSON type error.
func typeSkip(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return skipf(te.Field, te.Value, "not a %s", te.Type)
	}
	return skipf("", "", "%v", err)
}

// sighting maps a sighting of an indicator.
func (im *importer) sighting(o *rawObject, raw json.RawMessage) (*ImportedSighting, error) {
	var s struct {
		SightingOfRef    string   `json:"sighting_of_ref"`
		Count            *int64   `json:"count"`
		FirstSeen        string   `json:"first_seen"`
		LastSeen         string   `json:"last_seen"`
		WhereSightedRefs []string `json:"where_sighted_refs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, typeSkip(err)
	}
	if o.Revoked {
		return nil, skipf("revoked", "true", "the producer revoked the sighting")
	}
	if !strings.HasPrefix(s.SightingOfRef, "indicator--") {
		return nil, skipf("sighting_of_ref", s.SightingOfRef, "only sightings of indicators are taken")
	}
	if s.Count != nil && (*s.Count < 0 || *s.Count > MaxSightingCount) {
		return nil, skipf("count", strconv.FormatInt(*s.Count, 10), "must be 0 to %d", MaxSightingCount)
	}
	first, err := importTime("first_seen", s.FirstSeen)
	if err != nil {
		return nil, err
	}
	last, err := importTime("last_seen", s.LastSeen)
	if err != nil {
		return nil, err
	}
	if first != nil && last != nil && last.Before(*first) {
		return nil, skipf("last_seen", s.LastSeen, "before first_seen %s", s.FirstSeen)
	}
	out := &ImportedSighting{Indicator: s.SightingOfRef, Count: s.Count, FirstSeen: first, LastSeen: last,
		Description: o.Description, TLP: string(im.tlp(o))}
	if len(s.WhereSightedRefs) > maxImportLabels {
		return nil, skipf("where_sighted_refs", "", "%d refs, more than the %d taken", len(s.WhereSightedRefs), maxImportLabels)
	}
	for _, ref := range s.WhereSightedRefs {
		if !strings.HasPrefix(ref, "identity--") && !strings.HasPrefix(ref, "location--") {
			return nil, skipf("where_sighted_refs", ref, "not an identity or location id")
		}
		out.WhereSighted = append(out.WhereSighted, ref)
		if org, ok := im.identities[ref]; ok && !slices.Contains(out.Observers, org) {
			out.Observers = append(out.Observers, org)
		}
	}
	return out, nil
}

// note maps a note on indicators.
func (im *importer) note(o *rawObject, raw json.RawMessage) (*ImportedNote, error) {
	var n struct {
		Abstract string   `json:"abstract"`
		Content  string   `json:"content"`
		Authors  []string `json:"authors"`
		Created  string   `json:"created"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, typeSkip(err)
	}
	if o.Revoked {
		return nil, skipf("revoked", "true", "the producer revoked the note")
	}
	if strings.TrimSpace(n.Content) == "" {
		return nil, skipf("content", "", "required, a non-empty string")
	}
	out := &ImportedNote{Refs: []string{}, Abstract: n.Abstract, Content: n.Content, Authors: n.Authors, TLP: string(im.tlp(o))}
	for _, ref := range o.ObjectRefs {
		if strings.HasPrefix(ref, "indicator--") {
			out.Refs = append(out.Refs, ref)
		} else {
			out.Others = append(out.Others, ref)
		}
	}
	if len(out.Refs) == 0 {
		return nil, skipf("object_refs", strings.Join(o.ObjectRefs, ", "), "no indicator: only notes on indicators are taken")
	}
	var err error
	if out.Created, err = importTime("created", n.Created); err != nil {
		return nil, err
	}
	if n.Abstract != "" {
		if rest, ok := strings.CutPrefix(n.Content, n.Abstract+"\n\n"); ok {
			out.Text = rest
		} else if n.Content != n.Abstract {
			out.Text = n.Content
		}
	} else {
		out.Text = n.Content
	}
	return out, nil
}
