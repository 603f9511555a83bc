package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fusion/internal/intel"
	"fusion/internal/jsonscan"
	"fusion/internal/observable"
)

// Limits of one imported bundle.
const (
	// maxImportLabels bounds the labels and indicator types of one object
	// (a record keeps at most 32 labels and 64 tags).
	maxImportLabels = 256
	// MaxImportBytes bounds the JSON text of a bundle.
	MaxImportBytes = 32 << 20
	// MaxImportObjects bounds the objects of a bundle.
	MaxImportObjects = 100_000
)

// DefaultImportTLP is the TLP of an imported object that carries no TLP
// marking (TLP 1.0 or 2.0): amber, so that nothing a producer did not mark
// is shared more widely than with the importing hub's members who need it.
const DefaultImportTLP = intel.Amber

// Outcomes of one object of an imported bundle.
const (
	ObjectTaken   = "taken"   // the object gives records, a report, a sighting or a note
	ObjectUsed    = "used"    // identities and marking-definitions: read to resolve refs, not stored
	ObjectSkipped = "skipped" // the object gives nothing; Reason says why
)

// ImportedObject is what one object of a bundle becomes.
type ImportedObject struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Source is the object's created_by_ref: the external source, kept as
	// the record's reference "stix:<identity id>" unless the fusion
	// extension gives a reference of its own.
	Source  string              `json:"source,omitempty"`
	Records []intel.RecordInput `json:"records,omitempty"`
	Report  *ImportedReport     `json:"report,omitempty"`
	// Sighting and Note are a sighting of an indicator and a note on
	// indicators (feedback): the hub maps their indicator ids back to its
	// records (IndicatorID of its own record ids).
	Sighting *ImportedSighting `json:"sighting,omitempty"`
	Note     *ImportedNote     `json:"note,omitempty"`
}

// ImportedReport is a report of the bundle. Input.Records is empty: the
// records do not exist yet. Refs are the object_refs that the import took as
// records (their ImportedObject gives them), in the report's order; Others
// are the object_refs that gave no record.
type ImportedReport struct {
	Input  intel.ReportInput `json:"input"`
	Refs   []string          `json:"refs"`
	Others []string          `json:"others,omitempty"`
}

// ImportError is an error of a whole bundle: not JSON, not a bundle, too
// large. One bad object never gives it; the object is skipped instead.
type ImportError struct {
	Field, Value, Reason string
}

func (e *ImportError) Error() string {
	if e.Value == "" {
		return "stix: bundle: " + e.Field + ": " + e.Reason
	}
	return fmt.Sprintf("stix: bundle: %s %q: %s", e.Field, e.Value, e.Reason)
}

// tlp1Markings are the TLP 1.0 marking-definitions of STIX 2.1 (section
// 7.2.1.4), white taken as clear.
var tlp1Markings = map[string]intel.TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": intel.Clear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": intel.Green,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": intel.Amber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": intel.Red,
}

// scoTypes are the cyber-observable types taken as records.
var scoTypes = []string{"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "autonomous-system"}

// rawObject holds the properties the import reads.
type rawObject struct {
	Type              string                     `json:"type"`
	ID                string                     `json:"id"`
	CreatedByRef      string                     `json:"created_by_ref"`
	Revoked           bool                       `json:"revoked"`
	Labels            []string                   `json:"labels"`
	Confidence        *int                       `json:"confidence"`
	ObjectMarkingRefs []string                   `json:"object_marking_refs"`
	Extensions        map[string]json.RawMessage `json:"extensions"`
	// indicator
	Description    string   `json:"description"`
	IndicatorTypes []string `json:"indicator_types"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidUntil     string   `json:"valid_until"`
	// report
	Name       string   `json:"name"`
	ObjectRefs []string `json:"object_refs"`
	// SCOs
	Value  json.RawMessage   `json:"value"`
	Number json.RawMessage   `json:"number"`
	Hashes map[string]string `json:"hashes"`
	// relationship
	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
	// marking-definition
	DefinitionType string          `json:"definition_type"`
	Definition     json.RawMessage `json:"definition"`
}

// fusionExt is the fusion extension as the import reads it.
type fusionExt struct {
	Handling     *intel.Handling   `json:"handling"`
	Audience     *extAudience      `json:"audience"`
	Evaluation   *intel.Evaluation `json:"evaluation"`
	Discoverable *bool             `json:"discoverable"`
	Personal     *bool             `json:"personal"`
	Subdomains   *bool             `json:"subdomains"`
	Reference    string            `json:"reference"`
	LastSeen     string            `json:"last_seen"`
	FusionID     string            `json:"fusion_id"`
}

type extAudience struct {
	IdentityRefs []string `json:"identity_refs"`
	Groups       []string `json:"groups"`
}

// objectSkip is why one object gives nothing.
type objectSkip struct{ field, value, reason string }

func (s *objectSkip) Error() string {
	if s.field == "" {
		return s.reason
	}
	if s.value == "" {
		return s.field + ": " + s.reason
	}
	return fmt.Sprintf("%s %q: %s", s.field, s.value, s.reason)
}

func skipf(field, value, format string, args ...any) error {
	if len(value) > 200 {
		value = value[:200] + "…"
	}
	return &objectSkip{field: field, value: value, reason: fmt.Sprintf(format, args...)}
}

// ImportBundle reads a STIX 2.1 bundle from any producer and says, object
// by object in bundle order, what it becomes: the record inputs of an
// indicator (pattern_type stix, a pattern Values accepts: one per value) or
// of a cyber-observable, the report input of a report, a sighting of an
// indicator (ImportedSighting), a note on indicators (ImportedNote), "used"
// for identities and marking-definitions, or skipped with the reason. Values
// are as the bundle writes them; canonicalizing them is the hub's business.
//
// The error is an *ImportError only when the body is not a bundle: not
// JSON, type not "bundle", objects not an array, or beyond MaxImportBytes or
// MaxImportObjects. docs/stix.md gives the mapping.
func ImportBundle(data []byte) ([]ImportedObject, error) {
	if len(data) > MaxImportBytes {
		return nil, &ImportError{Field: "body", Reason: fmt.Sprintf("%d bytes, more than the %d a bundle may have", len(data), MaxImportBytes)}
	}
	var b struct {
		Type    json.RawMessage
		Objects []json.RawMessage
	}
	var err error
	if b.Type, b.Objects, err = splitBundle(data); err != nil {
		return nil, err
	}
	var typ string
	if err := json.Unmarshal(b.Type, &typ); err != nil || typ != "bundle" {
		// A lone STIX object (some producers write one per file) is
		// taken as a bundle of that object.
		var one struct {
			ID string `json:"id"`
		}
		if err == nil && typ != "" && json.Unmarshal(data, &one) == nil && strings.HasPrefix(one.ID, typ+"--") {
			b.Objects = []json.RawMessage{data}
		} else {
			return nil, &ImportError{Field: "type", Value: string(b.Type), Reason: `a STIX bundle has type "bundle" (or is one STIX object with type and id)`}
		}
	}
	if len(b.Objects) > MaxImportObjects {
		return nil, &ImportError{Field: "objects", Reason: fmt.Sprintf("%d objects, more than the %d a bundle may have", len(b.Objects), MaxImportObjects)}
	}
	objs := make([]rawObject, len(b.Objects))
	bad := make([]error, len(b.Objects))
	// Objects decode independently: in parallel, chunk by chunk. Their
	// JSON syntax is checked here (splitBundle only found where each
	// ends): one that is not JSON fails the bundle.
	const chunk = 512
	var next atomic.Int64
	var wg sync.WaitGroup
	invalid := make([]bool, len(objs))
	for range min(runtime.GOMAXPROCS(0), (len(objs)+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)-1) * chunk
				if k >= len(objs) {
					return
				}
				for i := k; i < min(len(objs), k+chunk); i++ {
					bad[i] = decodeObject(b.Objects[i], &objs[i])
					invalid[i] = bad[i] != nil && !json.Valid(b.Objects[i])
				}
			}
		})
	}
	wg.Wait()
	if i := slices.Index(invalid, true); i >= 0 {
		var v any
		err := json.Unmarshal(b.Objects[i], &v)
		return nil, &ImportError{Field: fmt.Sprintf("objects[%d]", i), Reason: "not valid JSON: " + strings.TrimPrefix(fmt.Sprint(err), "json: ")}
	}
	im := importer{markings: map[string]intel.TLP{}, identities: map[string]string{}}
	basedOn := map[string]string{} // observable id → indicator id, from based-on relationships
	// First pass: markings and identities that other objects refer to.
	for i := range objs {
		if bad[i] != nil {
			continue
		}
		o := &objs[i]
		switch o.Type {
		case "marking-definition":
			if t, ok := markingTLP(o); ok {
				im.markings[o.ID] = t
			}
		case "relationship":
			if o.RelationshipType == "based-on" && strings.HasPrefix(o.SourceRef, "indicator--") {
				basedOn[o.TargetRef] = o.SourceRef
			}
		case "identity":
			if raw, ok := o.Extensions[FusionExtensionID]; ok {
				var ext fusionExt
				if json.Unmarshal(raw, &ext) == nil && ext.FusionID != "" {
					im.identities[o.ID] = ext.FusionID
				}
			}
		}
	}
	out := make([]ImportedObject, len(objs))
	byID := map[string]int{}
	for i := range objs {
		if bad[i] == nil {
			byID[objs[i].ID] = i
		}
	}
	taken := map[string]string{} // type|value of an indicator's record → indicator id
	// Second pass: indicators before observables, so that an observable
	// repeating an indicator's value (an export's based-on pair) is not a
	// second record.
	for _, pass := range []func(*rawObject) bool{
		func(o *rawObject) bool { return o.Type == "indicator" },
		func(o *rawObject) bool { return o.Type != "indicator" && o.Type != "report" },
		func(o *rawObject) bool { return o.Type == "report" },
	} {
		for i := range objs {
			o := &objs[i]
			if bad[i] != nil || !pass(o) {
				continue
			}
			res := ImportedObject{ID: o.ID, Type: o.Type, Source: o.CreatedByRef}
			var err error
			switch {
			case o.Type == "indicator":
				res.Records, err = im.indicator(o)
				for _, r := range res.Records {
					taken[r.Type+"|"+r.Value] = o.ID
				}
			case slices.Contains(scoTypes, o.Type):
				res.Records, err = im.observable(o)
				if ind, ok := basedOn[o.ID]; ok {
					if _, inBundle := byID[ind]; inBundle {
						res.Records = nil
						err = skipf("", "", "the observable of indicator %s (based-on), which stands for it", ind)
					}
				}
				if err == nil && len(res.Records) == 1 {
					if ind, ok := taken[res.Records[0].Type+"|"+res.Records[0].Value]; ok {
						res.Records = nil
						err = skipf("", "", "the same value as indicator %s, which gives the record", ind)
					}
				}
			case o.Type == "report":
				res.Report, err = im.report(o, out, byID)
			case o.Type == "sighting":
				res.Sighting, err = im.sighting(o, b.Objects[i])
			case o.Type == "note":
				res.Note, err = im.note(o, b.Objects[i])
			case o.Type == "identity" || o.Type == "marking-definition":
				res.Status = ObjectUsed
			default:
				err = skipf("", "", "type %s is not taken as a record", o.Type)
			}
			switch {
			case err != nil:
				res.Status, res.Reason, res.Records, res.Report = ObjectSkipped, err.Error(), nil, nil
				res.Sighting, res.Note = nil, nil
			case res.Status == "":
				res.Status = ObjectTaken
			}
			out[i] = res
		}
	}
	for i, err := range bad {
		if err != nil {
			out[i] = ImportedObject{ID: objs[i].ID, Type: objs[i].Type, Status: ObjectSkipped, Reason: err.Error()}
		}
	}
	return out, nil
}

// decodeObject reads one object; an error names the field at fault.
func decodeObject(raw json.RawMessage, o *rawObject) error {
	// The common case in one pass; anything amiss is read again, slowly,
	// for the reason.
	if json.Unmarshal(raw, o) == nil && o.Type != "" && strings.HasPrefix(o.ID, o.Type+"--") {
		return nil
	}
	*o = rawObject{}
	var head struct {
		Type any `json:"type"`
		ID   any `json:"id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return skipf("", "", "not a JSON object")
	}
	o.Type, _ = head.Type.(string)
	o.ID, _ = head.ID.(string)
	if o.Type == "" {
		return skipf("type", fmt.Sprint(head.Type), "required, a non-empty string")
	}
	if o.ID == "" || !strings.HasPrefix(o.ID, o.Type+"--") {
		return skipf("id", fmt.Sprint(head.ID), "required, %q followed by a UUID", o.Type+"--")
	}
	typ, id := o.Type, o.ID
	if err := json.Unmarshal(raw, o); err != nil {
		o.Type, o.ID = typ, id
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return skipf(te.Field, te.Value, "not a %s", te.Type)
		}
		return skipf("", "", "%v", err)
	}
	return nil
}

// markingTLP is the TLP of a marking-definition: a TLP 1.0 or 2.0 one by
// its fixed id, or one of the bundle that says it is TLP (definition_type
// "tlp", or the TLP 2.0 extension).
func markingTLP(o *rawObject) (intel.TLP, bool) {
	if t, ok := tlp1Markings[o.ID]; ok {
		return t, true
	}
	for t, m := range tlpMarkings {
		if m.id == o.ID {
			return t, true
		}
	}
	if o.DefinitionType == "tlp" {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(o.Definition, &d) == nil {
			return tlpWord(d.TLP)
		}
	}
	if raw, ok := o.Extensions[tlp2ExtensionID]; ok {
		var d struct {
			TLP string `json:"tlp_2_0"`
		}
		if json.Unmarshal(raw, &d) == nil {
			return tlpWord(d.TLP)
		}
	}
	return "", false
}

func tlpWord(s string) (intel.TLP, bool) {
	if strings.EqualFold(strings.TrimSpace(s), "white") {
		return intel.Clear, true
	}
	t, err := intel.ParseTLP(s)
	return t, err == nil
}

type importer struct {
	markings   map[string]intel.TLP // marking-definition id → TLP
	identities map[string]string    // identity id → fusion org id (fusion identities only)
}

// tlp is the strictest TLP among an object's markings, or the default.
func (im *importer) tlp(o *rawObject) intel.TLP {
	best, found := DefaultImportTLP, false
	for _, ref := range o.ObjectMarkingRefs {
		t, ok := im.markings[ref]
		if !ok {
			t, ok = tlp1Markings[ref]
		}
		if !ok {
			for l, m := range tlpMarkings {
				if m.id == ref {
					t, ok = l, true
				}
			}
		}
		if ok && (!found || slices.Index(intel.TLPs, t) > slices.Index(intel.TLPs, best)) {
			best, found = t, true
		}
	}
	return best
}

// common fills what every record input of an object shares: TLP, labels
// and tags, confidence, the source, and the fusion extension.
func (im *importer) common(o *rawObject) (intel.RecordInput, error) {
	in := intel.RecordInput{TLP: string(im.tlp(o))}
	if n := len(o.Labels) + len(o.IndicatorTypes); n > maxImportLabels {
		return in, skipf("labels", "", "%d labels and indicator types, more than the %d taken", n, maxImportLabels)
	}
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			return in, skipf("confidence", strconv.Itoa(*o.Confidence), "must be 0 to 100")
		}
		c := *o.Confidence
		in.Confidence = &c
	}
	hasExt, err := im.extension(o, &in)
	if err != nil {
		return in, err
	}
	for _, l := range o.Labels {
		if err := labelOrTag(&in, l, "labels"); err != nil {
			return in, err
		}
	}
	if !hasExt { // fusion's export derives indicator_types from the labels
		for _, t := range o.IndicatorTypes {
			if err := labelOrTag(&in, t, "indicator_types"); err != nil {
				return in, err
			}
		}
	}
	if in.Reference == "" && o.CreatedByRef != "" {
		in.Reference = "stix:" + o.CreatedByRef
	}
	return in, nil
}

// labelOrTag adds a STIX label or indicator type as a fusion label when it
// is in the vocabulary, else as a tag.
func labelOrTag(in *intel.RecordInput, s, field string) error {
	n := strings.ToLower(strings.TrimSpace(s))
	if intel.IsLabel(n) {
		if !slices.Contains(in.Labels, n) {
			in.Labels = append(in.Labels, n)
		}
		return nil
	}
	t, err := intel.ParseTag(s)
	if err != nil {
		return skipf(field, s, "neither a fusion label nor a tag: %v", err)
	}
	if !slices.ContainsFunc(in.Tags, func(x string) bool { return strings.EqualFold(x, t) }) {
		in.Tags = append(in.Tags, t)
	}
	return nil
}

// extension reads the fusion extension into in.
func (im *importer) extension(o *rawObject, in *intel.RecordInput) (bool, error) {
	raw, ok := o.Extensions[FusionExtensionID]
	if !ok {
		return false, nil
	}
	var ext fusionExt
	if err := json.Unmarshal(raw, &ext); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return true, skipf("extensions.fusion."+te.Field, te.Value, "not a %s", te.Type)
		}
		return true, skipf("extensions.fusion", "", "%v", err)
	}
	in.Handling, in.Evaluation = ext.Handling, ext.Evaluation
	in.Discoverable, in.Personal, in.Subdomains = ext.Discoverable, ext.Personal, ext.Subdomains
	in.Reference = ext.Reference
	if ext.LastSeen != "" {
		t, err := time.Parse(time.RFC3339Nano, ext.LastSeen)
		if err != nil {
			return true, skipf("extensions.fusion.last_seen", ext.LastSeen, "not an RFC 3339 timestamp")
		}
		in.LastSeen = &t
	}
	if ext.Audience != nil {
		a := &intel.Audience{Groups: ext.Audience.Groups}
		for _, ref := range ext.Audience.IdentityRefs {
			org, ok := im.identities[ref]
			if !ok {
				return true, skipf("extensions.fusion.audience.identity_refs", ref,
					"not a fusion organization's identity in the bundle: the audience cannot be kept")
			}
			a.Orgs = append(a.Orgs, org)
		}
		in.Audience = a
	}
	return true, nil
}

func (im *importer) indicator(o *rawObject) ([]intel.RecordInput, error) {
	if o.Revoked {
		return nil, skipf("revoked", "true", "the producer revoked the indicator")
	}
	if o.PatternType != "stix" {
		return nil, skipf("pattern_type", o.PatternType, "only STIX patterns are read")
	}
	p, err := Parse(o.Pattern)
	if err != nil {
		return nil, skipf("pattern", o.Pattern, "%v", err)
	}
	vals, err := Values(p)
	if err != nil {
		return nil, skipf("pattern", o.Pattern, "%v", err)
	}
	base, err := im.common(o)
	if err != nil {
		return nil, err
	}
	if o.Description != "" {
		base.Description = o.Description
	}
	if o.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339Nano, o.ValidUntil)
		if err != nil {
			return nil, skipf("valid_until", o.ValidUntil, "not an RFC 3339 timestamp")
		}
		base.ValidUntil = &t
	}
	out := make([]intel.RecordInput, 0, len(vals))
	for _, v := range vals {
		in := base
		in.Type, in.Value = string(v.Type), v.Value
		in.Labels, in.Tags = slices.Clone(base.Labels), slices.Clone(base.Tags)
		out = append(out, in)
	}
	return out, nil
}

// observable maps a cyber-observable to its record input.
func (im *importer) observable(o *rawObject) ([]intel.RecordInput, error) {
	in, err := im.common(o)
	if err != nil {
		return nil, err
	}
	switch o.Type {
	case "file":
		for _, alg := range []string{"SHA-256", "SHA-1", "MD5"} {
			for k, v := range o.Hashes {
				if t, ok := hashType(k); ok && strings.EqualFold(strings.ReplaceAll(k, "-", ""), strings.ReplaceAll(alg, "-", "")) {
					in.Type, in.Value = string(t), v
					return []intel.RecordInput{in}, nil
				}
			}
		}
		return nil, skipf("hashes", "", "no MD5, SHA-1 or SHA-256 hash")
	case "autonomous-system":
		var n int64
		if err := json.Unmarshal(o.Number, &n); err != nil || n <= 0 || n > 1<<32-1 {
			return nil, skipf("number", string(o.Number), "an autonomous system number is 1 to 4294967295")
		}
		in.Type, in.Value = string(observable.ASN), "AS"+strconv.FormatInt(n, 10)
		return []intel.RecordInput{in}, nil
	}
	var v string
	if err := json.Unmarshal(o.Value, &v); err != nil || strings.TrimSpace(v) == "" {
		return nil, skipf("value", string(o.Value), "required, a non-empty string")
	}
	if in.Type == "" {
		in.Type = string(map[string]observable.Type{
			"ipv4-addr": observable.IPv4, "ipv6-addr": observable.IPv6, "domain-name": observable.Domain,
			"url": observable.URL, "email-addr": observable.Email,
		}[o.Type])
		if strings.Contains(v, "/") && (o.Type == "ipv4-addr" || o.Type == "ipv6-addr") {
			in.Type = string(observable.CIDR)
		}
		if o.Type == "domain-name" && isOnion(v) {
			in.Type = string(observable.Onion)
		}
	}
	in.Value = v
	return []intel.RecordInput{in}, nil
}

// report maps a report; its records are the object_refs taken as records.
func (im *importer) report(o *rawObject, done []ImportedObject, byID map[string]int) (*ImportedReport, error) {
	if o.Revoked {
		return nil, skipf("revoked", "true", "the producer revoked the report")
	}
	if strings.TrimSpace(o.Name) == "" {
		return nil, skipf("name", "", "required: it is the report's title")
	}
	rec, err := im.common(o)
	if err != nil {
		return nil, err
	}
	rep := &ImportedReport{Input: intel.ReportInput{
		Title: o.Name, Description: o.Description, Labels: rec.Labels, Tags: rec.Tags, TLP: rec.TLP,
		Audience: rec.Audience, Handling: rec.Handling,
	}, Refs: []string{}}
	for _, ref := range o.ObjectRefs {
		if i, ok := byID[ref]; ok && done[i].Status == ObjectTaken && len(done[i].Records) > 0 {
			rep.Refs = append(rep.Refs, ref)
		} else {
			rep.Others = append(rep.Others, ref)
		}
	}
	return rep, nil
}

// splitBundle reads the envelope of a bundle, a JSON object, and returns
// its "type" as JSON text and the elements of its "objects" array (nil
// when absent or null), without decoding them: the elements are decoded,
// and their syntax checked, in parallel by the caller. Everything else of
// the envelope is checked here. Keys match as encoding/json matches them
// (case ignored; the last of a repeated key wins).
func splitBundle(data []byte) (json.RawMessage, []json.RawMessage, error) {
	typ, objs, err := scanBundle(data)
	var se *jsonscan.Error
	switch {
	case !errors.As(err, &se):
		return typ, objs, err
	case se.EOF:
		return nil, nil, &ImportError{Field: "body", Reason: "not a JSON object: unexpected end of input"}
	}
	return nil, nil, &ImportError{Field: "body", Reason: fmt.Sprintf("not a JSON object: at byte %d: %s", se.At, se.What)}
}

func scanBundle(data []byte) (json.RawMessage, []json.RawMessage, error) {
	p := &jsonscan.Scanner{B: data}
	p.WS()
	if !p.Eat('{') {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			return nil, nil, &ImportError{Field: "body", Reason: "not a JSON object"}
		}
		return nil, nil, &ImportError{Field: "body", Reason: "not a JSON object: " + err.Error()}
	}
	fail := func(what string) error { return &jsonscan.Error{At: p.I, What: what, EOF: p.I >= len(data)} }
	var typ json.RawMessage
	var objs []json.RawMessage
	for first := true; ; first = false {
		p.WS()
		if p.Eat('}') {
			break
		}
		if !first && !p.Eat(',') {
			return nil, nil, fail("expected , or } after an object member")
		}
		p.WS()
		key, err := p.Key()
		if err != nil {
			return nil, nil, err
		}
		p.WS()
		if !p.Eat(':') {
			return nil, nil, fail("expected : after an object key")
		}
		p.WS()
		if strings.EqualFold(key, "objects") && p.I < len(data) && data[p.I] == '[' {
			elems, err := p.Elements("objects")
			if err != nil {
				return nil, nil, err
			}
			objs = make([]json.RawMessage, len(elems))
			for i, e := range elems {
				objs[i] = e
			}
			continue
		}
		val, err := p.Skip()
		if err != nil {
			return nil, nil, err
		}
		if !json.Valid(val) {
			var v any
			err := json.Unmarshal(val, &v)
			return nil, nil, &ImportError{Field: key, Reason: "not valid JSON: " + strings.TrimPrefix(fmt.Sprint(err), "json: ")}
		}
		switch {
		case strings.EqualFold(key, "type"):
			typ = val
		case strings.EqualFold(key, "objects"):
			if string(val) != "null" {
				return nil, nil, &ImportError{Field: "objects", Value: string(val[:min(len(val), 40)]), Reason: "not the JSON type a bundle has there: an array"}
			}
			objs = nil
		}
	}
	p.WS()
	if p.I < len(data) {
		return nil, nil, &ImportError{Field: "body", Reason: "more than one JSON value"}
	}
	return typ, objs, nil
}
