package stix

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// SpecVersion is the STIX version of every object fusion writes.
const SpecVersion = "2.1"

// timeFormat writes STIX timestamps in UTC with microseconds, the precision
// fusion keeps, so two versions of a record never share a modified time.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// Namespaces of the deterministic ids.
var (
	// fusionNamespace names fusion's own objects (indicator, relationship,
	// report, identity): UUIDv5 over "kind|fusion id".
	fusionNamespace = uuid.MustParse("6c46c01e-5934-4fd8-8e2e-434ce5907cd7")
	// scoNamespace is the STIX 2.1 namespace for cyber-observable ids
	// (section 2.9): UUIDv5 over the JCS-canonical JSON of the object's
	// ID-contributing properties.
	scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")
)

// FusionExtensionID is the id of the extension-definition that carries what
// STIX has no property for: handling codes, audience, evaluation,
// discoverable, personal, and an organization's country and sector.
const FusionExtensionID = "extension-definition--74bf89a6-a0ed-4cac-8550-eec84046eeae"

// FusionIdentityID is the identity of fusion itself, the creator of the
// extension-definition.
const FusionIdentityID = "identity--13782793-b47c-44ff-a846-5546321405e3"

// tlp2ExtensionID is the OASIS TLP 2.0 extension the TLP 2.0
// marking-definitions use (cti-stix-common-objects,
// extension-definition-specifications/tlp-2.0).
const tlp2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// FusionExtensionSchema is the JSON schema of the fusion extension's
// property object (fusion-extension.schema.json, documented in docs/stix.md).
//
//go:embed fusion-extension.schema.json
var FusionExtensionSchema string

// reversibleID is kind--id with id's version digit replaced by version,
// when id is a UUIDv7; else fusionID.
func reversibleID(kind, id string, version byte) string {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != id {
		return fusionID(kind, id)
	}
	u[6] = u[6]&0x0f | version<<4
	return kind + "--" + u.String()
}

// FusionRef returns the fusion record or report id a STIX id of
// IndicatorID, RelationshipID or ReportID names, and its kind ("record" or
// "report"); ok is false for any other id.
func FusionRef(stixID string) (ref, kind string, ok bool) {
	typ, rest, found := strings.Cut(stixID, "--")
	if !found {
		return "", "", false
	}
	var want byte
	switch typ {
	case "indicator":
		want, kind = 4, "record"
	case "relationship":
		want, kind = 5, "record"
	case "report":
		want, kind = 4, "report"
	default:
		return "", "", false
	}
	u, err := uuid.Parse(rest)
	if err != nil || u.Version() != uuid.Version(want) || u.String() != rest {
		return "", "", false
	}
	u[6] = u[6]&0x0f | 7<<4
	return u.String(), kind, true
}

func fusionID(kind, id string) string {
	return kind + "--" + uuid.NewSHA1(fusionNamespace, []byte(kind+"|"+id)).String()
}

// IndicatorID, RelationshipID, ReportID and IdentityID are the STIX ids of
// a fusion record's indicator and based-on relationship, a report and an
// organization. They depend on the fusion id only: a new version of a
// record is a new STIX version (same id, later modified) of the same object,
// as STIX versioning requires.
//
// Record and report ids are UUIDv7; their STIX ids carry the same UUID with
// the version digit set to 4 (indicator, report) or 5 (relationship), which
// the schemas accept and FusionRef reverses, so that a TAXII lookup by STIX
// id finds its record without an index of its own. Other ids (and
// organizations) get a UUIDv5 over "kind|fusion id".
func IndicatorID(recordID string) string    { return reversibleID("indicator", recordID, 4) }
func RelationshipID(recordID string) string { return reversibleID("relationship", recordID, 5) }
func ReportID(reportID string) string       { return reversibleID("report", reportID, 4) }
func IdentityID(orgID string) string        { return fusionID("identity", orgID) }

// Object is one STIX object fusion writes.
type Object interface {
	// ObjectType is the STIX type, ObjectID the id, ObjectCreated and
	// ObjectModified the created and modified timestamps ("" when the type
	// has none: an SCO has neither, a marking-definition no modified).
	ObjectType() string
	ObjectID() string
	ObjectCreated() string
	ObjectModified() string
	// Markings lists the object_marking_refs.
	Markings() []string
}

// Common holds the properties STIX domain and relationship objects share.
type Common struct {
	Type              string         `json:"type"`
	SpecVersion       string         `json:"spec_version"`
	ID                string         `json:"id"`
	CreatedByRef      string         `json:"created_by_ref,omitempty"`
	Created           string         `json:"created"`
	Modified          string         `json:"modified"`
	Revoked           bool           `json:"revoked,omitempty"`
	Labels            []string       `json:"labels,omitempty"`
	Confidence        *int           `json:"confidence,omitempty"`
	ObjectMarkingRefs []string       `json:"object_marking_refs,omitempty"`
	Extensions        map[string]any `json:"extensions,omitempty"`
}

func (c *Common) ObjectType() string     { return c.Type }
func (c *Common) ObjectID() string       { return c.ID }
func (c *Common) ObjectCreated() string  { return c.Created }
func (c *Common) ObjectModified() string { return c.Modified }
func (c *Common) Markings() []string     { return c.ObjectMarkingRefs }

// Indicator is a STIX indicator: one fusion record.
type Indicator struct {
	Common
	Name           string   `json:"name,omitempty"`
	Description    string   `json:"description,omitempty"`
	IndicatorTypes []string `json:"indicator_types,omitempty"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     string   `json:"valid_until,omitempty"`
}

// Relationship is a STIX relationship; fusion writes "based-on" from an
// indicator to its observable.
type Relationship struct {
	Common
	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// Report is a STIX report: one fusion report.
type Report struct {
	Common
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Published   string   `json:"published"`
	ObjectRefs  []string `json:"object_refs"`
}

// Identity is a STIX identity: an organization, or fusion itself.
type Identity struct {
	Common
	Name          string   `json:"name"`
	IdentityClass string   `json:"identity_class"`
	Sectors       []string `json:"sectors,omitempty"`
}

// ExtensionDefinition is a STIX extension-definition.
type ExtensionDefinition struct {
	Common
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Schema         string   `json:"schema"`
	Version        string   `json:"version"`
	ExtensionTypes []string `json:"extension_types"`
}

// MarkingDefinition is a STIX marking-definition; fusion writes the TLP 2.0
// ones only.
type MarkingDefinition struct {
	Type        string         `json:"type"`
	SpecVersion string         `json:"spec_version"`
	ID          string         `json:"id"`
	Created     string         `json:"created"`
	Name        string         `json:"name"`
	Extensions  map[string]any `json:"extensions"`
}

func (m *MarkingDefinition) ObjectType() string     { return m.Type }
func (m *MarkingDefinition) ObjectID() string       { return m.ID }
func (m *MarkingDefinition) ObjectCreated() string  { return m.Created }
func (m *MarkingDefinition) ObjectModified() string { return "" }
func (m *MarkingDefinition) Markings() []string     { return nil }

// Observable is a STIX cyber-observable object (SCO) of one of the types
// fusion writes: ipv4-addr, ipv6-addr, domain-name, url, email-addr, file
// (hashes only) and autonomous-system.
type Observable struct {
	Type              string            `json:"type"`
	SpecVersion       string            `json:"spec_version"`
	ID                string            `json:"id"`
	Value             string            `json:"value,omitempty"`
	Number            int64             `json:"number,omitempty"`
	Hashes            map[string]string `json:"hashes,omitempty"`
	ObjectMarkingRefs []string          `json:"object_marking_refs,omitempty"`
}

func (o *Observable) ObjectType() string     { return o.Type }
func (o *Observable) ObjectID() string       { return o.ID }
func (o *Observable) ObjectCreated() string  { return "" }
func (o *Observable) ObjectModified() string { return "" }
func (o *Observable) Markings() []string     { return o.ObjectMarkingRefs }

// tlpMarkings are the OASIS TLP 2.0 marking-definitions, with the ids the
// TLP 2.0 extension fixes.
var tlpMarkings = map[intel.TLP]struct{ id, name string }{
	intel.Clear:       {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
	intel.Green:       {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"},
	intel.Amber:       {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"},
	intel.AmberStrict: {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT"},
	intel.Red:         {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
}

// TLPMarking returns the OASIS TLP 2.0 marking-definition of a TLP level.
func TLPMarking(t intel.TLP) (*MarkingDefinition, error) {
	m, ok := tlpMarkings[t]
	if !ok {
		return nil, fmt.Errorf("stix: tlp %q: not a TLP 2.0 level (clear, green, amber, amber+strict, red)", t)
	}
	return &MarkingDefinition{
		Type: "marking-definition", SpecVersion: SpecVersion, ID: m.id,
		Created: "2022-10-01T00:00:00.000Z", Name: m.name,
		Extensions: map[string]any{tlp2ExtensionID: map[string]any{
			"extension_type": "property-extension", "tlp_2_0": string(t),
		}},
	}, nil
}

// FusionIdentity is the identity of fusion itself (identity_class system),
// the creator of the fusion extension-definition.
func FusionIdentity() *Identity {
	return &Identity{
		Common: Common{Type: "identity", SpecVersion: SpecVersion, ID: FusionIdentityID,
			Created: "2026-11-30T00:00:00.000000Z", Modified: "2026-11-30T00:00:00.000000Z"},
		Name: "fusion", IdentityClass: "system",
	}
}

// FusionExtension returns the fusion extension-definition, its schema the
// text of fusion-extension.schema.json.
func FusionExtension() *ExtensionDefinition {
	return &ExtensionDefinition{
		Common: Common{Type: "extension-definition", SpecVersion: SpecVersion, ID: FusionExtensionID,
			CreatedByRef: FusionIdentityID,
			Created:      "2026-11-30T00:00:00.000000Z", Modified: "2026-11-30T00:00:00.000000Z"},
		Name: "fusion sharing",
		Description: "What a fusion centre says about sharing and trusting an object beyond TLP: handling codes " +
			"(H0 purpose only, H1 no judicial use, H2 no onward dissemination, H3 stated conditions), " +
			"the audience, the source evaluation (reliability A-F, credibility 1-6), whether the value may be " +
			"discovered and whether it is personal data; for an organization its country and sector.",
		Schema:         FusionExtensionSchema,
		Version:        "1.0.0",
		ExtensionTypes: []string{"property-extension"},
	}
}

// sectorOf maps a fusion sector to STIX's industry-sector-ov, where one fits.
var sectorOf = map[intel.Sector]string{
	"police":  "government",
	"bank":    "financial-services",
	"telco":   "telecommunications",
	"airline": "transportation",
	"vendor":  "technology",
}

// IdentityFor returns the identity of an organization: identity_class
// organization, the sector in STIX's vocabulary where one fits (police →
// government, bank → financial-services, telco → telecommunications,
// airline → transportation, vendor → technology; cert and other have none),
// and its country and fusion sector in the fusion extension.
func IdentityFor(o *intel.Org) *Identity {
	ext := map[string]any{"extension_type": "property-extension", "fusion_id": o.ID}
	if o.Country != "" {
		ext["country"] = o.Country
	}
	if o.Sector != "" {
		ext["sector"] = string(o.Sector)
	}
	id := &Identity{
		Common: Common{Type: "identity", SpecVersion: SpecVersion, ID: IdentityID(o.ID),
			Created: stamp(o.Created), Modified: stamp(o.Created),
			Extensions: map[string]any{FusionExtensionID: ext}},
		Name: o.Name, IdentityClass: "organization",
	}
	if s, ok := sectorOf[o.Sector]; ok {
		id.Sectors = []string{s}
	}
	if id.Name == "" {
		id.Name = o.ID
	}
	return id
}

// ErrSkipped is wrapped by the error of a record, report, sighting or
// feedback that gets no STIX object; the error says why.
var ErrSkipped = errors.New("not exported")

// SkipError says why a record, report, sighting or feedback was not
// exported.
type SkipError struct {
	Kind   string // "record", "report", "sighting" or "feedback"
	ID     string
	Reason string
}

func (e *SkipError) Error() string { return "stix: " + e.Kind + " " + e.ID + ": " + e.Reason }

// Is makes errors.Is(err, ErrSkipped) true.
func (e *SkipError) Is(target error) bool { return target == ErrSkipped }

// RecordObjects are the objects of one record.
type RecordObjects struct {
	Indicator    *Indicator
	Observable   *Observable
	Relationship *Relationship
}

// anonymizing labels give the indicator type "anonymization"; every other
// label of the vocabulary describes crime, "malicious-activity".
var anonymizing = []string{"tor-exit", "anonymizer"}

// ForRecord maps one record to its indicator (pattern from PatternFor on the
// canonical value), its observable and the based-on relationship between
// them, all marked with the record's TLP and the indicator carrying the
// fusion extension.
//
// A record whose value the caller may not see (Redacted) gets no object;
// nor does one of a type STIX has no observable for (phone, btc, eth, card,
// bin), nor one whose valid_until is not after its valid_from. These are
// *SkipError values.
func ForRecord(r *intel.Record) (*RecordObjects, error) {
	skip := func(format string, args ...any) error {
		return &SkipError{Kind: "record", ID: r.ID, Reason: fmt.Sprintf(format, args...)}
	}
	if r.Redacted {
		return nil, skip("the value is withheld from this caller")
	}
	marking, err := TLPMarking(r.TLP)
	if err != nil {
		return nil, skip("%v", err)
	}
	obs := observable.Observable{Type: r.Type, Value: r.Value}
	pattern, err := PatternFor(obs)
	if errors.Is(err, ErrNoPattern) {
		return nil, skip("type %s has no STIX 2.1 cyber-observable object", r.Type)
	}
	if err != nil {
		return nil, skip("%v", err)
	}
	sco, err := observableFor(obs)
	if err != nil {
		return nil, skip("%v", err)
	}
	validFrom := r.Created
	if r.FirstSeen != nil {
		validFrom = *r.FirstSeen
	}
	modified := r.Updated
	if modified.Before(r.Created) {
		modified = r.Created
	}
	marks := []string{marking.ID}
	ind := &Indicator{
		Common: Common{
			Type: "indicator", SpecVersion: SpecVersion, ID: IndicatorID(r.ID),
			Created: stamp(r.Created), Modified: stamp(modified),
			Revoked: r.Revoked != nil, Confidence: &r.Confidence, ObjectMarkingRefs: marks,
			Extensions: map[string]any{FusionExtensionID: recordExtension(r)},
		},
		Name: r.Value, Description: r.Description, IndicatorTypes: indicatorTypes(r.Labels),
		Pattern: pattern, PatternType: "stix", ValidFrom: stamp(validFrom),
	}
	if r.Originator != "" {
		ind.CreatedByRef = IdentityID(r.Originator)
	}
	ind.Labels = append(append([]string(nil), r.Labels...), r.Tags...)
	if len(ind.Labels) == 0 {
		ind.Labels = nil
	}
	if r.ValidUntil != nil {
		if !r.ValidUntil.After(validFrom) {
			return nil, skip("valid_until %s is not after valid_from %s (first_seen or created), which STIX requires",
				stamp(*r.ValidUntil), stamp(validFrom))
		}
		ind.ValidUntil = stamp(*r.ValidUntil)
	}
	sco.ObjectMarkingRefs = marks
	rel := &Relationship{
		Common: Common{
			Type: "relationship", SpecVersion: SpecVersion, ID: RelationshipID(r.ID),
			CreatedByRef: ind.CreatedByRef, Created: ind.Created, Modified: ind.Modified,
			Revoked: ind.Revoked, ObjectMarkingRefs: marks,
		},
		RelationshipType: "based-on", SourceRef: ind.ID, TargetRef: sco.ID,
	}
	return &RecordObjects{Indicator: ind, Observable: sco, Relationship: rel}, nil
}

func indicatorTypes(labels []string) []string {
	var out []string
	for _, l := range labels {
		t := "malicious-activity"
		if slices.Contains(anonymizing, l) {
			t = "anonymization"
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []string{"unknown"}
	}
	slices.Sort(out)
	return out
}

// sharingExtension holds what records and reports share: handling and
// audience.
func sharingExtension(id string, version int, h intel.Handling, a intel.Audience) map[string]any {
	ext := map[string]any{"extension_type": "property-extension", "fusion_id": id, "fusion_version": version}
	if len(h.Codes) > 0 || h.Purpose != "" || h.Conditions != "" {
		hm := map[string]any{}
		if len(h.Codes) > 0 {
			hm["codes"] = h.Codes
		}
		if h.Purpose != "" {
			hm["purpose"] = h.Purpose
		}
		if h.Conditions != "" {
			hm["conditions"] = h.Conditions
		}
		ext["handling"] = hm
	}
	if len(a.Orgs) > 0 || len(a.Groups) > 0 {
		am := map[string]any{}
		if len(a.Orgs) > 0 {
			refs := make([]string, len(a.Orgs))
			for i, o := range a.Orgs {
				refs[i] = IdentityID(o)
			}
			am["identity_refs"] = refs
		}
		if len(a.Groups) > 0 {
			am["groups"] = a.Groups
		}
		ext["audience"] = am
	}
	return ext
}

func recordExtension(r *intel.Record) map[string]any {
	ext := sharingExtension(r.ID, r.Version, r.Handling, r.Audience)
	ext["discoverable"] = r.Discoverable
	ext["personal"] = r.Personal
	ext["fusion_type"] = string(r.Type)
	if r.Originator != "" {
		ext["originator"] = r.Originator
	}
	if r.Evaluation.Reliability != "" || r.Evaluation.Credibility != 0 {
		em := map[string]any{}
		if r.Evaluation.Reliability != "" {
			em["reliability"] = r.Evaluation.Reliability
		}
		if r.Evaluation.Credibility != 0 {
			em["credibility"] = r.Evaluation.Credibility
		}
		ext["evaluation"] = em
	}
	if r.Subdomains {
		ext["subdomains"] = true
	}
	if r.Reference != "" {
		ext["reference"] = r.Reference
	}
	if r.LastSeen != nil {
		ext["last_seen"] = stamp(*r.LastSeen)
	}
	if r.RevokedReason != "" {
		ext["revoked_reason"] = r.RevokedReason
	}
	if len(r.Warnings) > 0 {
		ext["warnings"] = r.Warnings
	}
	return ext
}

// observableFor returns the SCO of a canonical observable, its id the
// deterministic one of STIX 2.1 section 2.9.
func observableFor(o observable.Observable) (*Observable, error) {
	sco := &Observable{SpecVersion: SpecVersion}
	switch o.Type {
	case observable.IPv4, observable.IPv6, observable.CIDR:
		sco.Type = "ipv4-addr"
		if strings.Contains(o.Value, ":") {
			sco.Type = "ipv6-addr"
		}
		sco.Value = o.Value
	case observable.Domain, observable.Onion:
		sco.Type, sco.Value = "domain-name", o.Value
	case observable.URL:
		sco.Type, sco.Value = "url", o.Value
	case observable.Email:
		sco.Type, sco.Value = "email-addr", o.Value
	case observable.MD5, observable.SHA1, observable.SHA256:
		alg := map[observable.Type]string{observable.MD5: "MD5", observable.SHA1: "SHA-1", observable.SHA256: "SHA-256"}[o.Type]
		sco.Type, sco.Hashes = "file", map[string]string{alg: o.Value}
		sco.ID = scoID("file", `{"hashes":{`+jcsString(alg)+`:`+jcsString(o.Value)+`}}`)
		return sco, nil
	case observable.ASN:
		n, err := strconv.ParseInt(strings.TrimPrefix(o.Value, "AS"), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("stix: asn %q: not AS and a number", o.Value)
		}
		sco.Type, sco.Number = "autonomous-system", n
		sco.ID = scoID(sco.Type, `{"number":`+strconv.FormatInt(n, 10)+`}`)
		return sco, nil
	default:
		return nil, fmt.Errorf("stix: %s: %w", o.Type, ErrNoPattern)
	}
	sco.ID = scoID(sco.Type, `{"value":`+jcsString(sco.Value)+`}`)
	return sco, nil
}

// scoID is the deterministic id of an SCO: UUIDv5 in the STIX namespace
// over the JCS-canonical (RFC 8785) JSON of its ID-contributing properties.
// For the types fusion writes these are value (addresses, domain-name, url,
// email-addr), number (autonomous-system) and hashes (file, which fusion
// writes with one hash, so the spec's choice of one hash among several does
// not arise).
func scoID(typ, canonicalJSON string) string {
	return typ + "--" + uuid.NewSHA1(scoNamespace, []byte(canonicalJSON)).String()
}

// jcsString writes a string as RFC 8785 (JCS) does, which is ECMAScript's
// JSON.stringify: '"' and '\' escaped, the control characters \b \t \n \f
// \r by name and the rest of U+0000..U+001F as \u00xx in lower-case hex,
// everything else as itself in UTF-8.
func jcsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ForReport maps a report to a STIX report: published is when it was
// created, object_refs the indicators of its records for which exported
// says true (the records in the same bundle), marked with its TLP and
// carrying its handling and audience in the fusion extension. A report with
// no exported record is a *SkipError: STIX requires at least one ref.
func ForReport(rep *intel.Report, exported func(recordID string) bool) (*Report, error) {
	skip := func(format string, args ...any) error {
		return &SkipError{Kind: "report", ID: rep.ID, Reason: fmt.Sprintf(format, args...)}
	}
	marking, err := TLPMarking(rep.TLP)
	if err != nil {
		return nil, skip("%v", err)
	}
	var refs []string
	for _, id := range rep.Records {
		if exported(id) {
			refs = append(refs, IndicatorID(id))
		}
	}
	if len(refs) == 0 {
		return nil, skip("none of its %d records is exported, and a STIX report refers to at least one object", len(rep.Records))
	}
	modified := rep.Updated
	if modified.Before(rep.Created) {
		modified = rep.Created
	}
	out := &Report{
		Common: Common{
			Type: "report", SpecVersion: SpecVersion, ID: ReportID(rep.ID),
			Created: stamp(rep.Created), Modified: stamp(modified), Revoked: rep.Revoked != nil,
			ObjectMarkingRefs: []string{marking.ID},
			Extensions:        map[string]any{FusionExtensionID: reportExtension(rep)},
		},
		Name: rep.Title, Description: rep.Description, Published: stamp(rep.Created), ObjectRefs: refs,
	}
	if rep.Originator != "" {
		out.CreatedByRef = IdentityID(rep.Originator)
	}
	out.Labels = append(append([]string(nil), rep.Labels...), rep.Tags...)
	if len(out.Labels) == 0 {
		out.Labels = nil
	}
	return out, nil
}

func reportExtension(rep *intel.Report) map[string]any {
	ext := sharingExtension(rep.ID, rep.Version, rep.Handling, rep.Audience)
	if rep.RevokedReason != "" {
		ext["revoked_reason"] = rep.RevokedReason
	}
	return ext
}
