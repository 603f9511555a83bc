package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"fusion/internal/intel"
)

var testKey = []byte("0123456789abcdef-hub-secret")

// demoSightings are sightings of the demo records by a named observer
// (org-bank) and an anonymous one (org-telco), on every TLP.
func demoSightings(recs []intel.Record) []SightingInput {
	var out []SightingInput
	for i, r := range recs {
		out = append(out, SightingInput{Record: r.ID, TLP: r.TLP, Observer: "org-bank", Count: int64(i + 1),
			First: t0, Last: t0.Add(time.Duration(i) * time.Hour)})
		if i%3 == 0 {
			out = append(out, SightingInput{Record: r.ID, TLP: r.TLP, Observer: "org-telco", Anonymous: true, Key: testKey,
				Count: 7, First: t0.Add(time.Minute), Last: t1})
		}
	}
	return out
}

// demoFeedback is feedback on demo records: named with and without a
// note, and anonymous with a note (which must not travel).
func demoFeedback(recs []intel.Record) []FeedbackInput {
	return []FeedbackInput{
		{ID: "fb-1", Record: recs[0].ID, TLP: recs[0].TLP, Observer: "org-bank", Outcome: "blocked", Note: "blocked at the perimeter, 40 hosts", Created: t1},
		{ID: "fb-2", Record: recs[4].ID, TLP: recs[4].TLP, Observer: "org-bank", Outcome: "takedown", Created: t1},
		{ID: "fb-3", Record: recs[4].ID, TLP: recs[4].TLP, Observer: "org-telco", Anonymous: true, Outcome: "false-positive",
			Note: "our telco's own CDN range, ask Maria at Example Telco", Created: t1.Add(time.Hour)},
	}
}

// TestSightingsValidate: every sighting and note of a bundle validates
// against its OASIS schema, and the bundle passes Check.
func TestSightingsValidate(t *testing.T) {
	recs := demoRecords(t)
	sights, fbs := demoSightings(recs), demoFeedback(recs)
	b, skipped := NewBundle(ExportInput{Records: recs, Orgs: demoOrgs(), Sightings: sights, Feedback: fbs})
	if len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	types := map[string]int{}
	for _, o := range b.Objects {
		v.validate(o)
		types[o.ObjectType()]++
	}
	if types["sighting"] != len(sights) || types["note"] != len(fbs) {
		t.Errorf("%d sightings and %d notes, want %d and %d", types["sighting"], types["note"], len(sights), len(fbs))
	}
	// Sightings and notes alone (the bundle a hub posts to an originator's
	// inbox): markings and fusion's identity come with them.
	b, _ = NewBundle(ExportInput{Sightings: sights, Feedback: fbs})
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	types = map[string]int{}
	for _, o := range b.Objects {
		v.validate(o)
		types[o.ObjectType()]++
	}
	if types["identity"] != 1 || types["extension-definition"] != 0 || types["marking-definition"] != len(intel.TLPs) {
		t.Errorf("sightings alone: %v; want fusion's identity, every TLP marking and no extension-definition", types)
	}
}

// TestSightingMapping checks a named observer's sighting and note in full.
func TestSightingMapping(t *testing.T) {
	s, err := ForSighting(&SightingInput{Record: "rec-00", TLP: intel.Green, Observer: "org-bank", Count: 12, First: t0, Last: t1})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"sighting","spec_version":"2.1","id":"` + SightingID("rec-00", "org-bank") + `","created_by_ref":"` + IdentityID("org-bank") + `",` +
		`"created":"2026-11-02T09:30:00.123456Z","modified":"2026-11-03T21:30:00.123456Z",` +
		`"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],"count":12,` +
		`"first_seen":"2026-11-02T09:30:00.123456Z","last_seen":"2026-11-03T21:30:00.123456Z","sighting_of_ref":"` + IndicatorID("rec-00") + `",` +
		`"where_sighted_refs":["` + IdentityID("org-bank") + `"]}`
	if got := string(mustJSON(t, s)); got != want {
		t.Errorf("sighting\n got %s\nwant %s", got, want)
	}
	// A federated record: the originator's own indicator id.
	s, err = ForSighting(&SightingInput{Record: "rec-00", Indicator: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", TLP: intel.Green,
		Observer: "org-bank", Count: 1, First: t0, Last: t0})
	if err != nil || s.SightingOfRef != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" {
		t.Errorf("sighting of a given indicator: %+v, %v", s, err)
	}
	n, err := ForFeedback(&demoFeedback(demoRecords(t))[0])
	if err != nil {
		t.Fatal(err)
	}
	want = `{"type":"note","spec_version":"2.1","id":"` + NoteID("fb-1", false) + `","created_by_ref":"` + IdentityID("org-bank") + `",` +
		`"created":"2026-11-03T21:30:00.123456Z","modified":"2026-11-03T21:30:00.123456Z",` +
		`"object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],"abstract":"blocked",` +
		`"content":"blocked\n\nblocked at the perimeter, 40 hosts","authors":["org-bank"],"object_refs":["` + IndicatorID("rec-00") + `"]}`
	if got := string(mustJSON(t, n)); got != want {
		t.Errorf("note\n got %s\nwant %s", got, want)
	}
}

// TestAnonymousObserverNowhere: an anonymous observer's organization id,
// identity id, named sighting id and note text appear nowhere in the
// bundle, while the named observer's do.
func TestAnonymousObserverNowhere(t *testing.T) {
	recs := demoRecords(t)
	var orgs []intel.Org
	for _, o := range demoOrgs() {
		if o.ID != "org-telco" { // the caller describes only whom it may name
			orgs = append(orgs, o)
		}
	}
	b, _ := NewBundle(ExportInput{Records: recs, Orgs: orgs, Sightings: demoSightings(recs), Feedback: demoFeedback(recs)})
	js := string(mustJSON(t, b))
	for _, leak := range []string{"org-telco", IdentityID("org-telco"), SightingID(recs[0].ID, "org-telco"),
		NoteID("fb-3", false), "Maria", "CDN range"} {
		if strings.Contains(js, leak) {
			t.Errorf("LEAK: the bundle contains %q of the anonymous observer", leak)
		}
	}
	for _, named := range []string{IdentityID("org-bank"), SightingID(recs[0].ID, "org-bank"), "blocked at the perimeter"} {
		if !strings.Contains(js, named) {
			t.Errorf("the bundle lacks %q of the named observer", named)
		}
	}
	var anon []*Sighting
	for _, o := range b.Objects {
		if s, ok := o.(*Sighting); ok && s.CreatedByRef == FusionIdentityID {
			anon = append(anon, s)
		}
	}
	if len(anon) != 5 {
		t.Fatalf("%d anonymous sightings, want 5", len(anon))
	}
	for _, s := range anon {
		if len(s.WhereSightedRefs) != 0 || s.Count != 7 {
			t.Errorf("anonymous sighting %+v", s)
		}
	}
	n, err := ForFeedback(&demoFeedback(recs)[2])
	if err != nil {
		t.Fatal(err)
	}
	if n.Authors != nil || n.Content != "false-positive" || n.Abstract != "false-positive" || n.CreatedByRef != FusionIdentityID {
		t.Errorf("anonymous note %+v", n)
	}
}

// TestSightingIDs: ids are deterministic; a later export with more matches
// is a new version of the same sighting; an anonymous sighting's id
// depends on the hub's key and differs from the named one.
func TestSightingIDs(t *testing.T) {
	recs := demoRecords(t)
	in := ExportInput{Sightings: demoSightings(recs), Feedback: demoFeedback(recs)}
	b1, _ := NewBundle(in)
	b2, _ := NewBundle(ExportInput{Sightings: demoSightings(recs), Feedback: demoFeedback(recs)})
	if !bytes.Equal(mustJSON(t, b1), mustJSON(t, b2)) {
		t.Fatal("two exports of the same sightings differ")
	}
	s := SightingInput{Record: "rec-1", TLP: intel.Amber, Observer: "org-a", Count: 3, First: t0, Last: t0.Add(time.Hour)}
	a, _ := ForSighting(&s)
	more := s
	more.Count, more.Last = 9, t1
	m, _ := ForSighting(&more)
	if a.ID != m.ID || a.Modified == m.Modified {
		t.Errorf("more matches: id %s → %s, modified %s → %s; want the same id, a later modified", a.ID, m.ID, a.Modified, m.Modified)
	}
	// A hub that keeps when it recorded the sighting gives those times.
	kept := more
	kept.Created, kept.Modified = t0.Add(time.Minute), t1.Add(time.Minute)
	if k, err := ForSighting(&kept); err != nil || k.ID != a.ID || k.Created != stamp(kept.Created) || k.Modified != stamp(kept.Modified) || k.FirstSeen != stamp(t0) {
		t.Errorf("sighting with created and modified: %+v, %v", k, err)
	}
	b, _ := NewBundle(ExportInput{Sightings: []SightingInput{s, more, s}})
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	if len(b.Objects) != 3 { // two versions and the amber marking
		t.Errorf("two versions (one twice) gave %d objects", len(b.Objects))
	}
	ids := map[string]string{}
	for name, in := range map[string]SightingInput{
		"named":          s,
		"other observer": {Record: "rec-1", TLP: intel.Amber, Observer: "org-b", First: t0, Last: t0},
		"other record":   {Record: "rec-2", TLP: intel.Amber, Observer: "org-a", First: t0, Last: t0},
		"anonymous":      {Record: "rec-1", TLP: intel.Amber, Observer: "org-a", Anonymous: true, Key: testKey, First: t0, Last: t0},
		"other key":      {Record: "rec-1", TLP: intel.Amber, Observer: "org-a", Anonymous: true, Key: []byte("another-secret-of-16"), First: t0, Last: t0},
		"anon other org": {Record: "rec-1", TLP: intel.Amber, Observer: "org-b", Anonymous: true, Key: testKey, First: t0, Last: t0},
	} {
		o, err := ForSighting(&in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other, dup := ids[o.ID]; dup {
			t.Errorf("%s and %s share id %s", name, other, o.ID)
		}
		ids[o.ID] = name
	}
	if NoteID("fb-1", true) == NoteID("fb-1", false) || NoteID("fb-1", false) == NoteID("fb-2", false) {
		t.Error("note ids do not tell feedback or anonymity apart")
	}
}

// TestSightingSkips: bad sightings and feedback are refused with the field,
// value and reason, and never with the observer's name.
func TestSightingSkips(t *testing.T) {
	ok := SightingInput{Record: "rec-1", TLP: intel.Amber, Observer: "org-secret", Count: 1, First: t0, Last: t1}
	cases := []struct {
		edit func(*SightingInput)
		want string
	}{
		{func(s *SightingInput) { s.Record = "" }, "record: required"},
		{func(s *SightingInput) { s.Observer = "" }, "observer: required"},
		{func(s *SightingInput) { s.Count = -1 }, "count -1: STIX takes 0 to 999999999"},
		{func(s *SightingInput) { s.Count = MaxSightingCount + 1 }, "count 1000000000"},
		{func(s *SightingInput) { s.Last = time.Time{} }, "first and last: required"},
		{func(s *SightingInput) { s.Last = t0.Add(-time.Second) }, "last 2026-11-02T09:29:59.123456Z is before first"},
		{func(s *SightingInput) { s.TLP = "white" }, `tlp "white": not a TLP 2.0 level`},
		{func(s *SightingInput) { s.Created = t1.Add(time.Hour) }, "modified 2026-11-03T21:30:00.123456Z is before created 2026-11-03T22:30:00.123456Z"},
		{func(s *SightingInput) { s.Indicator = "malware--1" }, `indicator "malware--1": not an indicator id`},
		{func(s *SightingInput) { s.Anonymous, s.Key = true, []byte("short") }, "key: an anonymous observer's sighting needs a key of at least 16 bytes for its id, 5 given"},
	}
	for _, c := range cases {
		s := ok
		c.edit(&s)
		_, err := ForSighting(&s)
		var se *SkipError
		if !errors.As(err, &se) || !errors.Is(err, ErrSkipped) || se.Kind != "sighting" || !strings.Contains(se.Reason, c.want) {
			t.Errorf("ForSighting(%+v) = %v, want a sighting skip saying %q", s, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "org-secret") {
			t.Errorf("skip names the observer: %v", err)
		}
	}
	fok := FeedbackInput{ID: "fb-1", Record: "rec-1", TLP: intel.Red, Observer: "org-secret", Outcome: "seen", Created: t0}
	fcases := []struct {
		edit func(*FeedbackInput)
		want string
	}{
		{func(f *FeedbackInput) { f.ID = "" }, "id: required"},
		{func(f *FeedbackInput) { f.Record = "" }, "record: required"},
		{func(f *FeedbackInput) { f.Observer = "" }, "observer: required"},
		{func(f *FeedbackInput) { f.Outcome = " " }, "outcome: required"},
		{func(f *FeedbackInput) { f.Created = time.Time{} }, "created: required"},
		{func(f *FeedbackInput) { f.TLP = "" }, `tlp "": not a TLP 2.0 level`},
		{func(f *FeedbackInput) { f.Indicator = "report--1" }, `indicator "report--1": not an indicator id`},
	}
	for _, c := range fcases {
		f := fok
		c.edit(&f)
		_, err := ForFeedback(&f)
		var se *SkipError
		if !errors.As(err, &se) || se.Kind != "feedback" || !strings.Contains(se.Reason, c.want) {
			t.Errorf("ForFeedback(%+v) = %v, want a feedback skip saying %q", f, err, c.want)
		}
	}
	// NewBundle lists them, in order, and writes the rest.
	bad := ok
	bad.Count = -5
	b, skipped := NewBundle(ExportInput{Sightings: []SightingInput{bad, ok}, Feedback: []FeedbackInput{{ID: "fb-x", Record: "rec-1"}}})
	if len(skipped) != 2 || skipped[0].Kind != "sighting" || skipped[0].ID != "rec-1" || skipped[1].Kind != "feedback" || skipped[1].ID != "fb-x" {
		t.Errorf("skipped %+v", skipped)
	}
	if err := b.Check(); err != nil || len(b.Objects) != 2 { // the sighting and its marking
		t.Errorf("bundle of one good sighting: %d objects, %v", len(b.Objects), err)
	}
}

// TestCheckFindsSightingWindow: Check refuses last_seen before first_seen.
func TestCheckFindsSightingWindow(t *testing.T) {
	s, err := ForSighting(&SightingInput{Record: "r", TLP: intel.Clear, Observer: "o", First: t0, Last: t1})
	if err != nil {
		t.Fatal(err)
	}
	clear, _ := TLPMarking(intel.Clear)
	back := *s
	back.FirstSeen, back.LastSeen = s.LastSeen, s.FirstSeen
	err = (&Bundle{Objects: []Object{&back, clear}}).Check()
	if err == nil || !strings.Contains(err.Error(), "last_seen") {
		t.Errorf("Check = %v, want last_seen before first_seen", err)
	}
	if err := (&Bundle{Objects: []Object{s, clear}}).Check(); err != nil {
		t.Error(err)
	}
}

// TestSightingRoundTrip exports sightings and feedback with the records and
// organizations, imports the bundle, and gets the same fields back.
func TestSightingRoundTrip(t *testing.T) {
	recs := demoRecords(t)
	sights, fbs := demoSightings(recs), demoFeedback(recs)
	b, _ := NewBundle(ExportInput{Records: recs, Orgs: demoOrgs(), Sightings: sights, Feedback: fbs})
	data := mustJSON(t, b)
	objs, err := ImportBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ImportedObject{}
	for _, o := range objs {
		byID[o.ID] = o
	}
	for _, in := range sights {
		exp, _ := ForSighting(&in)
		got, ok := byID[exp.ID]
		if !ok || got.Status != ObjectTaken || got.Sighting == nil {
			t.Errorf("sighting %s: %+v", exp.ID, got)
			continue
		}
		s := got.Sighting
		if s.Indicator != IndicatorID(in.Record) || s.Count == nil || *s.Count != in.Count || s.TLP != string(in.TLP) ||
			s.FirstSeen == nil || !s.FirstSeen.Equal(in.First) || s.LastSeen == nil || !s.LastSeen.Equal(in.Last) {
			t.Errorf("sighting of %s by %s came back as %+v", in.Record, in.Observer, s)
		}
		wantSource := IdentityID(in.Observer)
		if in.Anonymous {
			wantSource = FusionIdentityID
			if s.WhereSighted != nil || s.Observers != nil {
				t.Errorf("anonymous sighting came back with observers %v %v", s.WhereSighted, s.Observers)
			}
		} else if len(s.Observers) != 1 || s.Observers[0] != in.Observer || len(s.WhereSighted) != 1 || s.WhereSighted[0] != IdentityID(in.Observer) {
			t.Errorf("named sighting came back with observers %v %v", s.WhereSighted, s.Observers)
		}
		if got.Source != wantSource {
			t.Errorf("sighting source %s, want %s", got.Source, wantSource)
		}
	}
	for _, in := range fbs {
		exp, _ := ForFeedback(&in)
		got, ok := byID[exp.ID]
		if !ok || got.Status != ObjectTaken || got.Note == nil {
			t.Errorf("note %s: %+v", exp.ID, got)
			continue
		}
		n := got.Note
		wantText, wantAuthors := in.Note, []string{in.Observer}
		if in.Anonymous {
			wantText, wantAuthors = "", nil
		}
		if len(n.Refs) != 1 || n.Refs[0] != IndicatorID(in.Record) || n.Abstract != in.Outcome || n.Text != wantText ||
			strings.Join(n.Authors, ",") != strings.Join(wantAuthors, ",") || n.Created == nil || !n.Created.Equal(in.Created) || n.TLP != string(in.TLP) {
			t.Errorf("feedback %s came back as %+v", in.ID, n)
		}
	}
}

// TestImportSightingRules covers what the import takes and refuses of
// sightings and notes from any producer.
func TestImportSightingRules(t *testing.T) {
	ind := "indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"
	cases := []struct {
		name, obj, want string // want: "" taken, else the reason
	}{
		{"minimal sighting", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `"}`, ""},
		{"sighting of malware", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"malware--1"}`,
			`sighting_of_ref "malware--1": only sightings of indicators are taken`},
		{"no sighting_of_ref", `{"type":"sighting","id":"sighting--1"}`, "sighting_of_ref: only sightings of indicators are taken"},
		{"negative count", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `","count":-1}`, `count "-1": must be 0 to 999999999`},
		{"count a string", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `","count":"3"}`, `count "string": not a int64`},
		{"bad first_seen", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `","first_seen":"yesterday"}`,
			`first_seen "yesterday": not an RFC 3339 timestamp`},
		{"last before first", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `","first_seen":"2026-01-02T00:00:00Z","last_seen":"2026-01-01T00:00:00Z"}`,
			`last_seen "2026-01-01T00:00:00Z": before first_seen 2026-01-02T00:00:00Z`},
		{"where sighted a malware", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `","where_sighted_refs":["malware--1"]}`,
			`where_sighted_refs "malware--1": not an identity or location id`},
		{"revoked sighting", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind + `","revoked":true}`, "revoked \"true\": the producer revoked the sighting"},
		{"note", `{"type":"note","id":"note--1","content":"seen","object_refs":["` + ind + `","malware--1"]}`, ""},
		{"note without content", `{"type":"note","id":"note--1","object_refs":["` + ind + `"]}`, "content: required, a non-empty string"},
		{"note on malware", `{"type":"note","id":"note--1","content":"x","object_refs":["malware--1"]}`,
			`object_refs "malware--1": no indicator: only notes on indicators are taken`},
		{"note authors not strings", `{"type":"note","id":"note--1","content":"x","object_refs":["` + ind + `"],"authors":[1]}`, `authors "number": not a string`},
		{"note bad created", `{"type":"note","id":"note--1","content":"x","object_refs":["` + ind + `"],"created":"now"}`, `created "now": not an RFC 3339 timestamp`},
	}
	for _, c := range cases {
		objs, err := ImportBundle([]byte(`{"type":"bundle","id":"bundle--1","objects":[` + c.obj + `]}`))
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %v, %d objects", c.name, err, len(objs))
		}
		o := objs[0]
		switch {
		case c.want == "" && (o.Status != ObjectTaken || (o.Sighting == nil) == (o.Note == nil)):
			t.Errorf("%s: %+v, want taken", c.name, o)
		case c.want != "" && (o.Status != ObjectSkipped || o.Reason != c.want || o.Sighting != nil || o.Note != nil):
			t.Errorf("%s: %s %q, want skipped: %q", c.name, o.Status, o.Reason, c.want)
		}
	}
	// A producer's sighting: count absent stays absent, TLP defaults to
	// amber, a location is kept as where sighted but names no org.
	objs, _ := ImportBundle([]byte(`{"type":"bundle","id":"bundle--1","objects":[{"type":"sighting","id":"sighting--1","sighting_of_ref":"` + ind +
		`","where_sighted_refs":["location--1","identity--2"],"description":"seen twice"}]}`))
	s := objs[0].Sighting
	if s == nil || s.Count != nil || s.TLP != "amber" || len(s.WhereSighted) != 2 || s.Observers != nil || s.Description != "seen twice" {
		t.Errorf("producer's sighting: %+v", s)
	}
	// A producer's note: Text is the content when no abstract leads it.
	objs, _ = ImportBundle([]byte(`{"type":"bundle","id":"bundle--1","objects":[{"type":"note","id":"note--1","abstract":"Analysis","content":"It is a C2.","object_refs":["` + ind + `"]}]}`))
	if n := objs[0].Note; n == nil || n.Text != "It is a C2." || n.Abstract != "Analysis" {
		t.Errorf("producer's note: %+v", n)
	}
}

// TestImportedSightingJSON: the answer lists a sighting and a note under
// their own keys, so an API can return ImportBundle's outcome as it is.
func TestImportedSightingJSON(t *testing.T) {
	b, _ := NewBundle(ExportInput{Sightings: demoSightings(demoRecords(t))[:1]})
	objs, err := ImportBundle(mustJSON(t, b))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, o := range objs {
		if o.Type != "sighting" {
			continue
		}
		var back map[string]json.RawMessage
		if err := json.Unmarshal(mustJSON(t, o), &back); err != nil {
			t.Fatal(err)
		}
		_, found = back["sighting"]
	}
	if !found {
		t.Error("no sighting in the JSON of the import outcome")
	}
}

// FuzzForSightingAndFeedback feeds ForSighting and ForFeedback arbitrary
// ids, counts, outcomes and notes: they never panic, refuse only by
// skipping, and an anonymous observer's identity and note are never in
// what they write, which passes Check.
func FuzzForSightingAndFeedback(f *testing.F) {
	f.Add("rec-1", "org-a", int64(3), int64(3600), true, "blocked", "at the edge")
	f.Add("", "org-a", int64(-1), int64(-5), false, "", "")
	f.Add("r\"\\", "o\n", int64(MaxSightingCount), int64(0), false, "seen", "\x00é")
	f.Fuzz(func(t *testing.T, record, observer string, count, window int64, anonymous bool, outcome, note string) {
		s := SightingInput{Record: record, TLP: intel.Amber, Observer: observer, Anonymous: anonymous, Key: testKey,
			Count: count, First: t0, Last: t0.Add(time.Duration(window) * time.Second)}
		fb := FeedbackInput{ID: "fb-" + record, Record: record, TLP: intel.Red, Observer: observer, Anonymous: anonymous,
			Outcome: outcome, Note: note, Created: t0}
		b, _ := NewBundle(ExportInput{Sightings: []SightingInput{s}, Feedback: []FeedbackInput{fb}})
		if err := b.Check(); err != nil {
			t.Fatal(err)
		}
		if _, err := ForSighting(&s); err != nil && !errors.Is(err, ErrSkipped) {
			t.Fatalf("ForSighting: %v is not a skip", err)
		}
		n, err := ForFeedback(&fb)
		if err != nil && !errors.Is(err, ErrSkipped) {
			t.Fatalf("ForFeedback: %v is not a skip", err)
		}
		if !anonymous {
			return
		}
		js := string(mustJSON(t, b))
		if strings.Contains(js, IdentityID(observer)) || strings.Contains(js, SightingID(record, observer)) {
			t.Fatalf("LEAK: anonymous observer %q in %s", observer, js)
		}
		if n != nil && (n.Authors != nil || n.Content != outcome) {
			t.Fatalf("LEAK: anonymous note %+v", n)
		}
	})
}
