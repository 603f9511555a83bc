package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// schemasDir holds the OASIS STIX 2.1 JSON schemas (see
// ../shared/fixtures/README.md).
const schemasDir = "../../../shared/fixtures/stix/schemas"

// schemaIDBase is the $id prefix of the OASIS schemas; their $refs are
// relative to it.
const schemaIDBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// localLoader loads the OASIS schemas, named by their $id, from schemasDir
// through the library's file loader.
type localLoader struct{ dir string }

func (l localLoader) Load(u string) (any, error) {
	rel, ok := strings.CutPrefix(u, schemaIDBase)
	if !ok {
		return nil, fmt.Errorf("schema %s is not one of the OASIS STIX schemas", u)
	}
	abs, err := filepath.Abs(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	return jsonschema.FileLoader{}.Load((&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
}

// schemaFor is the schema file of a STIX type.
func schemaFor(typ string) string {
	switch typ {
	case "indicator", "report", "identity", "note":
		return "sdos/" + typ + ".json"
	case "relationship", "sighting":
		return "sros/" + typ + ".json"
	case "marking-definition", "extension-definition":
		return "common/" + typ + ".json"
	}
	return "observables/" + typ + ".json"
}

type validator struct {
	t       *testing.T
	c       *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
}

func newValidator(t *testing.T) *validator {
	c := jsonschema.NewCompiler()
	c.UseLoader(localLoader{schemasDir})
	return &validator{t: t, c: c, schemas: map[string]*jsonschema.Schema{}}
}

// validate checks one object against its type's schema, and the fusion
// extension in it against fusion-extension.schema.json.
func (v *validator) validate(o Object) {
	v.t.Helper()
	if err := v.check(o); err != nil {
		v.t.Errorf("%v\n%s", err, mustJSON(v.t, o))
	}
}

func (v *validator) check(o Object) error {
	typ := o.ObjectType()
	s, ok := v.schemas[typ]
	if !ok {
		var err error
		if s, err = v.c.Compile(schemaIDBase + schemaFor(typ)); err != nil {
			v.t.Fatalf("compile schema of %s: %v", typ, err)
		}
		v.schemas[typ] = s
	}
	doc := decoded(v.t, o)
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("%s %s does not validate against %s: %v", typ, o.ObjectID(), schemaFor(typ), err)
	}
	exts, _ := doc.(map[string]any)["extensions"].(map[string]any)
	ext, ok := exts[FusionExtensionID]
	if !ok {
		return nil
	}
	if err := v.extensionSchema().Validate(ext); err != nil {
		return fmt.Errorf("%s %s: fusion extension does not validate against fusion-extension.schema.json: %v", typ, o.ObjectID(), err)
	}
	return nil
}

func (v *validator) extensionSchema() *jsonschema.Schema {
	if s, ok := v.schemas["fusion-extension"]; ok {
		return s
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(FusionExtensionSchema))
	if err != nil {
		v.t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("fusion-extension.schema.json", doc); err != nil {
		v.t.Fatal(err)
	}
	s, err := c.Compile("fusion-extension.schema.json")
	if err != nil {
		v.t.Fatal(err)
	}
	v.schemas["fusion-extension"] = s
	return s
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decoded is an object as a STIX consumer reads it: its JSON, decoded.
func decoded(t *testing.T, v any) any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(mustJSON(t, v)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

var (
	t0 = time.Date(2026, 11, 2, 9, 30, 0, 123456000, time.UTC)
	t1 = t0.Add(36 * time.Hour)
)

func canon(t *testing.T) *observable.Canonicalizer {
	t.Helper()
	c, err := observable.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newRecord makes a record the way the hub does, then gives it the
// identity the store gives.
func newRecord(t *testing.T, c *observable.Canonicalizer, id string, in intel.RecordInput) intel.Record {
	t.Helper()
	r, err := intel.NewRecord(c, in)
	if err != nil {
		t.Fatalf("record %s: %v", in.Value, err)
	}
	r.ID, r.Originator, r.Created, r.Updated, r.Version = id, "org-bka", t0, t1, 2
	return r
}

// demoRecords is one record of every observable type, every TLP, every
// handling code, evaluations, personal and discoverable.
func demoRecords(t *testing.T) []intel.Record {
	c := canon(t)
	b := func(v bool) *bool { return &v }
	i := func(v int) *int { return &v }
	first, until := t0.Add(-72*time.Hour), t0.Add(30*24*time.Hour)
	ins := []intel.RecordInput{
		{Type: "ipv4", Value: "198.51.100.7", Labels: []string{"botnet-c2"}, TLP: "clear", FirstSeen: &first, ValidUntil: &until},
		{Type: "ipv6", Value: "2001:db8::1", Labels: []string{"scanning"}, TLP: "green", Confidence: i(80)},
		{Type: "cidr", Value: "203.0.113.0/24", Labels: []string{"bulletproof-hosting"}, TLP: "amber"},
		{Type: "cidr", Value: "2001:db8:1::/48", TLP: "amber+strict", Audience: &intel.Audience{Orgs: []string{"org-police-nl"}, Groups: []string{"grp-banks"}}},
		{Type: "domain", Value: "login-bank.com", Subdomains: b(true), Labels: []string{"phishing"}, Tags: []string{"campaign:spring"}, TLP: "red"},
		{Type: "onion", Value: "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion", Labels: []string{"data-leak"}, TLP: "amber",
			Handling: &intel.Handling{Codes: []string{"H0"}, Purpose: "ransomware investigation"}},
		{Type: "url", Value: "https://login-bank.com/verify?acct=1&x=<y>", Labels: []string{"phishing"}, TLP: "green",
			Handling: &intel.Handling{Codes: []string{"H1"}}, Evaluation: &intel.Evaluation{Reliability: "B", Credibility: 2}},
		{Type: "email", Value: "mule.recruiter@example.net", Labels: []string{"money-mule"}, TLP: "amber", Personal: b(true),
			Handling: &intel.Handling{Codes: []string{"H2"}}},
		{Type: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e", Labels: []string{"malware"}, TLP: "green",
			Handling: &intel.Handling{Codes: []string{"H3"}, Conditions: "only with a court order"}},
		{Type: "sha1", Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", Labels: []string{"malware"}, TLP: "clear", Evaluation: &intel.Evaluation{Reliability: "F"}},
		{Type: "sha256", Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Labels: []string{"ransomware"}, TLP: "amber+strict", Discoverable: b(true)},
		{Type: "asn", Value: "AS64500", Labels: []string{"bulletproof-hosting", "anonymizer"}, TLP: "green", Reference: "case 2026-114"},
		{Type: "ipv4", Value: "185.220.101.1", Labels: []string{"tor-exit"}, TLP: "clear"},
	}
	out := make([]intel.Record, len(ins))
	for n, in := range ins {
		out[n] = newRecord(t, c, fmt.Sprintf("rec-%02d", n), in)
	}
	revoked := t1
	out[2].Revoked, out[2].RevokedReason = &revoked, "sinkholed"
	last := t0
	out[0].LastSeen = &last
	out[0].Warnings = []string{"rfc5737"}
	return out
}

// noSTIX is one record of every type STIX has no observable for.
func noSTIX(t *testing.T) []intel.Record {
	c := canon(t)
	ins := []intel.RecordInput{
		{Type: "phone", Value: "+44 20 7946 0958", TLP: "green"},
		{Type: "btc", Value: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", TLP: "green"},
		{Type: "eth", Value: "0x52908400098527886E0F7030069857D2E4169EE7", TLP: "green"},
		{Type: "card", Value: "4111111111111111", TLP: "red"},
		{Type: "bin", Value: "411111", TLP: "amber"},
	}
	out := make([]intel.Record, len(ins))
	for n, in := range ins {
		out[n] = newRecord(t, c, fmt.Sprintf("nostix-%d", n), in)
	}
	return out
}

func demoOrgs() []intel.Org {
	return []intel.Org{
		{ID: "org-bka", Name: "Bundeskriminalamt", Country: "DE", Sector: "police", Created: t0.Add(-1000 * time.Hour)},
		{ID: "org-police-nl", Name: "Politie", Country: "NL", Sector: "police", Created: t0},
		{ID: "org-cert-fr", Name: "CERT-FR", Country: "FR", Sector: "cert", Created: t0},
		{ID: "org-bank", Name: "Example Bank", Country: "GB", Sector: "bank", Created: t0},
		{ID: "org-telco", Name: "Example Telco", Country: "ES", Sector: "telco", Created: t0},
		{ID: "org-air", Name: "Example Air", Country: "IE", Sector: "airline", Created: t0},
		{ID: "org-vendor", Name: "Example Vendor", Country: "US", Sector: "vendor", Created: t0},
		{ID: "org-other", Name: "Example NGO", Country: "CH", Sector: "other", Created: t0},
	}
}

func demoReports(recs []intel.Record) []intel.Report {
	return []intel.Report{
		{ID: "rep-1", Title: "Spring phishing wave", Description: "Kit hosted on bulletproof ranges.", Labels: []string{"phishing"},
			Tags: []string{"campaign:spring"}, TLP: intel.Amber, Handling: intel.Handling{Codes: []string{"H1"}},
			Records: []string{recs[4].ID, recs[6].ID, recs[2].ID, "nostix-3"}, Originator: "org-bka", Created: t0, Updated: t1, Version: 3},
		{ID: "rep-2", Title: "Only unexportable records", TLP: intel.Green, Records: []string{"nostix-0"},
			Originator: "org-bka", Created: t0, Updated: t0, Version: 1},
	}
}

// TestBundleValidates exports every record type, every TLP, every handling
// code, evaluations and reports, and checks every object against its own
// type's OASIS schema and the bundle against the rules the schemas cannot
// express.
func TestBundleValidates(t *testing.T) {
	recs := demoRecords(t)
	all := append(append([]intel.Record(nil), recs...), noSTIX(t)...)
	red := recs[7]
	red.ID = "rec-redacted"
	red.Redact()
	all = append(all, red)
	b, skipped := NewBundle(ExportInput{Records: all, Reports: demoReports(recs), Orgs: demoOrgs()})
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	types := map[string]int{}
	for _, o := range b.Objects {
		v.validate(o)
		types[o.ObjectType()]++
	}
	// The bundle itself: its envelope is valid, even though bundle.json's
	// fallback may reject extension-definition (see the fixtures README).
	want := map[string]int{
		"indicator": len(recs), "relationship": len(recs), "report": 1, "identity": len(demoOrgs()) + 1,
		"marking-definition": len(intel.TLPs), "extension-definition": 1,
		"ipv4-addr": 3, "ipv6-addr": 2, "domain-name": 2, "url": 1, "email-addr": 1, "file": 3, "autonomous-system": 1,
	}
	for typ, n := range want {
		if types[typ] != n {
			t.Errorf("%d objects of type %s, want %d", types[typ], typ, n)
		}
	}
	wantSkipped := map[string]string{
		"nostix-0":     "type phone has no STIX 2.1 cyber-observable object",
		"nostix-1":     "type btc has no STIX 2.1 cyber-observable object",
		"nostix-2":     "type eth has no STIX 2.1 cyber-observable object",
		"nostix-3":     "type card has no STIX 2.1 cyber-observable object",
		"nostix-4":     "type bin has no STIX 2.1 cyber-observable object",
		"rec-redacted": "the value is withheld from this caller",
		"rep-2":        "none of its 1 records is exported, and a STIX report refers to at least one object",
	}
	if len(skipped) != len(wantSkipped) {
		t.Errorf("skipped %v, want %d", skipped, len(wantSkipped))
	}
	for _, s := range skipped {
		if wantSkipped[s.ID] != s.Reason {
			t.Errorf("skipped %s %s: %q, want %q", s.Kind, s.ID, s.Reason, wantSkipped[s.ID])
		}
	}
	// Nothing of the redacted record is in the bundle, not even its id.
	js := string(mustJSON(t, b))
	if strings.Contains(js, IndicatorID("rec-redacted")) || strings.Contains(js, "rec-redacted") {
		t.Error("bundle refers to the redacted record")
	}
	if strings.Contains(js, "+44") || strings.Contains(js, "4111111111111111") {
		t.Error("bundle contains a value of a type STIX cannot carry")
	}
}

// TestRedactedRecordGetsNoObject: a record whose value the caller may not
// see yields nothing, not even an indicator without a value.
func TestRedactedRecordGetsNoObject(t *testing.T) {
	r := demoRecords(t)[7]
	r.Redact()
	ro, err := ForRecord(&r)
	if ro != nil || !errors.Is(err, ErrSkipped) {
		t.Fatalf("ForRecord(redacted) = %v, %v; want nothing and ErrSkipped", ro, err)
	}
	b, _ := NewBundle(ExportInput{Records: []intel.Record{r}})
	if len(b.Objects) != 0 {
		t.Fatalf("bundle of a redacted record has %d objects", len(b.Objects))
	}
}

// TestIndicatorMapping checks the properties of one indicator in full.
func TestIndicatorMapping(t *testing.T) {
	recs := demoRecords(t)
	ro, err := ForRecord(&recs[0])
	if err != nil {
		t.Fatal(err)
	}
	got := string(mustJSON(t, ro.Indicator))
	want := `{"type":"indicator","spec_version":"2.1","id":"` + IndicatorID("rec-00") + `",` +
		`"created_by_ref":"` + IdentityID("org-bka") + `","created":"2026-11-02T09:30:00.123456Z","modified":"2026-11-03T21:30:00.123456Z",` +
		`"labels":["botnet-c2"],"confidence":50,"object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],` +
		`"extensions":{"` + FusionExtensionID + `":{"discoverable":false,"extension_type":"property-extension","fusion_id":"rec-00","fusion_type":"ipv4",` +
		`"fusion_version":2,"last_seen":"2026-11-02T09:30:00.123456Z","originator":"org-bka","personal":false,"warnings":["rfc5737"]}},` +
		`"name":"198.51.100.7","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix",` +
		`"valid_from":"2026-10-30T09:30:00.123456Z","valid_until":"2026-12-02T09:30:00.123456Z"}`
	if got != want {
		t.Errorf("indicator\n got %s\nwant %s", got, want)
	}
	if ro.Relationship.SourceRef != ro.Indicator.ID || ro.Relationship.TargetRef != ro.Observable.ID || ro.Relationship.RelationshipType != "based-on" {
		t.Errorf("relationship %+v does not link the indicator to its observable", ro.Relationship)
	}
	// Types follow the labels: anonymizer → anonymization, the rest malicious.
	ro, _ = ForRecord(&recs[11])
	if got := strings.Join(ro.Indicator.IndicatorTypes, ","); got != "anonymization,malicious-activity" {
		t.Errorf("indicator_types of %v = %s", recs[11].Labels, got)
	}
}

// TestDeterministicIDs: exporting again gives the same objects and bundle
// id; a new version of a record keeps its ids and changes modified.
func TestDeterministicIDs(t *testing.T) {
	recs := demoRecords(t)
	in := ExportInput{Records: recs, Reports: demoReports(recs), Orgs: demoOrgs()}
	b1, _ := NewBundle(in)
	b2, _ := NewBundle(ExportInput{Records: demoRecords(t), Reports: demoReports(recs), Orgs: demoOrgs()})
	if !bytes.Equal(mustJSON(t, b1), mustJSON(t, b2)) {
		t.Fatal("two exports of the same input differ")
	}
	next := recs[0]
	next.Version, next.Updated = 3, t1.Add(time.Hour)
	a, _ := ForRecord(&recs[0])
	n, _ := ForRecord(&next)
	if a.Indicator.ID != n.Indicator.ID || a.Observable.ID != n.Observable.ID || a.Relationship.ID != n.Relationship.ID {
		t.Error("a new version of a record changed its STIX ids")
	}
	if a.Indicator.Modified == n.Indicator.Modified {
		t.Error("a new version of a record kept its modified time")
	}
	// Both versions in one bundle: two versions of the indicator, one
	// observable, and the bundle still checks.
	b, _ := NewBundle(ExportInput{Records: []intel.Record{recs[0], next, recs[0]}})
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, o := range b.Objects {
		count[o.ObjectType()]++
	}
	if count["indicator"] != 2 || count["ipv4-addr"] != 1 || count["relationship"] != 2 {
		t.Errorf("two versions (one given twice) gave %v", count)
	}
}

// TestSCOIDs holds the SCO ids to the STIX 2.1 rule, against the
// specification's own example (domain-name example.com, section 2.9) and
// python-stix2's ids for the other types, computed independently with
// Python's uuid.uuid5 over the canonical JSON.
func TestSCOIDs(t *testing.T) {
	cases := []struct {
		o    observable.Observable
		want string
	}{
		{observable.Observable{Type: observable.Domain, Value: "example.com"}, "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
		{observable.Observable{Type: observable.IPv4, Value: "198.51.100.3"}, "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
		{observable.Observable{Type: observable.ASN, Value: "AS15139"}, "autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff"},
		{observable.Observable{Type: observable.SHA256, Value: "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"},
			"file--b91bcf06-0d11-5a89-9c3a-8d4279aefe56"},
	}
	for _, c := range cases {
		sco, err := observableFor(c.o)
		if err != nil {
			t.Fatal(err)
		}
		if sco.ID != c.want {
			t.Errorf("%s %s: id %s, want %s", c.o.Type, c.o.Value, sco.ID, c.want)
		}
	}
}

func TestJCSString(t *testing.T) {
	for in, want := range map[string]string{
		"a\"b\\c":      `"a\"b\\c"`,
		"\n\t\x01\x1f": `"\n\t\u0001\u001f"`,
		"<&>\u2028é€":  "\"<&>\u2028é€\"",
	} {
		if got := jcsString(in); got != want {
			t.Errorf("jcsString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCheckFinds proves Check fails on each rule it holds.
func TestCheckFinds(t *testing.T) {
	recs := demoRecords(t)
	ro, err := ForRecord(&recs[1])
	if err != nil {
		t.Fatal(err)
	}
	green, _ := TLPMarking(intel.Green)
	older := *ro.Indicator
	older.Modified = "2020-01-01T00:00:00Z"
	cases := map[string][]Object{
		"is before created":           {&older, green},
		"is not a marking-definition": {ro.Indicator},
		"two objects with modified":   {ro.Indicator, ro.Indicator, green},
	}
	for want, objs := range cases {
		err := (&Bundle{Type: "bundle", ID: "bundle--x", Objects: objs}).Check()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want an error saying %q", err, want)
		}
	}
	if err := (&Bundle{Objects: []Object{ro.Indicator, green}}).Check(); err != nil {
		t.Errorf("Check of a good bundle: %v", err)
	}
}

// TestSkipsInvalidValidity: valid_until must be after valid_from.
func TestSkipsInvalidValidity(t *testing.T) {
	r := demoRecords(t)[0]
	early := r.FirstSeen.Add(-time.Hour)
	r.ValidUntil = &early
	if _, err := ForRecord(&r); !errors.Is(err, ErrSkipped) || !strings.Contains(err.Error(), "valid_until") {
		t.Fatalf("ForRecord with valid_until before valid_from: %v", err)
	}
}

// TestValidatorRejects proves the schema check can fail: objects missing
// what their schema requires are refused.
func TestValidatorRejects(t *testing.T) {
	recs := demoRecords(t)
	ro, err := ForRecord(&recs[0])
	if err != nil {
		t.Fatal(err)
	}
	noPattern := *ro.Indicator
	tooSure := 101
	noPattern.Confidence = &tooSure
	badID := *ro.Observable
	badID.ID = "ipv4-addr--not-a-uuid"
	badExt := *ro.Indicator
	badExt.Extensions = map[string]any{FusionExtensionID: map[string]any{"extension_type": "property-extension", "fusion_id": "x",
		"handling": map[string]any{"codes": []string{"H9"}}}}
	for name, o := range map[string]Object{"confidence 101": &noPattern, "bad id": &badID, "handling code H9": &badExt} {
		if err := newValidator(t).check(o); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

// TestSharedObservable: two records of one value share the observable,
// which the bundle holds once, marked with the more restrictive TLP.
func TestSharedObservable(t *testing.T) {
	c := canon(t)
	open := newRecord(t, c, "rec-open", intel.RecordInput{Type: "ipv4", Value: "192.0.2.9", TLP: "clear"})
	closed := newRecord(t, c, "rec-closed", intel.RecordInput{Type: "ipv4", Value: "192.0.2.9", TLP: "red"})
	for _, order := range [][]intel.Record{{open, closed}, {closed, open}} {
		b, _ := NewBundle(ExportInput{Records: order})
		if err := b.Check(); err != nil {
			t.Fatal(err)
		}
		var scos []*Observable
		for _, o := range b.Objects {
			if sco, ok := o.(*Observable); ok {
				scos = append(scos, sco)
			}
		}
		red, _ := TLPMarking(intel.Red)
		if len(scos) != 1 || scos[0].ObjectMarkingRefs[0] != red.ID {
			t.Errorf("records %s, %s: observables %+v, want one marked TLP:RED", order[0].ID, order[1].ID, scos)
		}
	}
}

func TestFusionRefReversesIDs(t *testing.T) {
	rec := "019a1b2c-3d4e-7f60-8a1b-2c3d4e5f6a7b"
	for _, tc := range []struct {
		id, kind string
	}{
		{IndicatorID(rec), "record"},
		{RelationshipID(rec), "record"},
		{ReportID(rec), "report"},
	} {
		ref, kind, ok := FusionRef(tc.id)
		if !ok || ref != rec || kind != tc.kind {
			t.Errorf("FusionRef(%s) = %q, %q, %v; want %q, %q", tc.id, ref, kind, ok, rec, tc.kind)
		}
	}
	if IndicatorID(rec) == "indicator--"+rec || RelationshipID(rec)[len("relationship--"):] == IndicatorID(rec)[len("indicator--"):] {
		t.Errorf("ids share the record's UUID: %s %s", IndicatorID(rec), RelationshipID(rec))
	}
	for _, id := range []string{
		IdentityID("org-a"), "indicator--" + rec, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f-", "indicator",
		"relationship--" + IndicatorID(rec)[len("indicator--"):], IndicatorID("not-a-uuid"), "",
	} {
		if ref, _, ok := FusionRef(id); ok {
			t.Errorf("FusionRef(%q) = %q, want no fusion id", id, ref)
		}
	}
}
