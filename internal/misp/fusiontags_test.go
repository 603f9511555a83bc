package misp

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/intel"
)

func TestToIDsFalseIsContext(t *testing.T) {
	e := one(t, `{"Event":{"Attribute":[{"type":"domain","value":"example.org","to_ids":false},{"type":"domain","value":"example.com","to_ids":"1"}]}}`)
	if a := e.Attributes[0]; a.Record != nil || !strings.HasPrefix(a.Reason, "context: to_ids is false") {
		t.Fatalf("to_ids false: %+v", a)
	}
	if e.Attributes[1].Record == nil {
		t.Fatal("to_ids true: no record")
	}
}

func TestSightings(t *testing.T) {
	e := one(t, `{"Event":{"Attribute":[{"type":"domain","value":"example.org","to_ids":true,"Sighting":[
		{"uuid":"5C7641BF-a4e8-4d5d-a653-03240a00020f","type":"0","date_sighting":"1551253950","source":"","Organisation":{"name":"ORGNAME","uuid":"5c6983c8-3af8-4304-869c-4800d6c1883c"}},
		{"type":2,"date_sighting":1551253968,"source":" honeyp "},
		{"date_sighting":"1551253970"},
		{"type":"5","date_sighting":"1551253950"},
		{"type":"1"},
		{"type":"1","date_sighting":"yesterday"},
		7]}]}}`)
	got := e.Attributes[0].Sightings
	want := []Sighting{
		{UUID: "5c7641bf-a4e8-4d5d-a653-03240a00020f", Type: SightingSeen, Time: time.Unix(1551253950, 0).UTC(),
			Org: Org{Name: "ORGNAME", UUID: "5c6983c8-3af8-4304-869c-4800d6c1883c"}},
		{Type: SightingExpiration, Time: time.Unix(1551253968, 0).UTC(), Source: "honeyp"},
		{Type: SightingSeen, Time: time.Unix(1551253970, 0).UTC()},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sightings %+v, want %+v", got, want)
	}
	wantSkipped := []string{
		"Attribute[0].Sighting[3]: type: 5 is not a sighting type",
		"Attribute[0].Sighting[4]: date_sighting: is required",
		`Attribute[0].Sighting[5]: date_sighting: "yesterday" is not a time`,
		"Attribute[0].Sighting[6]: a JSON number, not an object",
	}
	if len(e.Skipped) != len(wantSkipped) {
		t.Fatalf("skipped %+v", e.Skipped)
	}
	for i, s := range e.Skipped {
		if !strings.HasPrefix(s.Where+": "+s.Reason, wantSkipped[i]) {
			t.Errorf("skipped %s: %s, want %s", s.Where, s.Reason, wantSkipped[i])
		}
	}
}

func TestSightingFixture(t *testing.T) {
	evs, err := ParseEvents(fixture(t, "events/pymisp-sighting_1.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	var types []int
	for _, a := range e.Attributes {
		for _, s := range a.Sightings {
			types = append(types, s.Type)
			if s.Org.Name != "ORGNAME" || s.UUID == "" || s.Time.Year() != 2019 {
				t.Errorf("sighting %+v", s)
			}
		}
	}
	if !slices.Equal(types, []int{0, 1, 1, 2, 1, 0}) || e.Timestamp != 1533306089 || e.PublishTimestamp != 1550506283 {
		t.Fatalf("sighting types %v, timestamp %d, publish %d", types, e.Timestamp, e.PublishTimestamp)
	}
	if a := e.Attributes[3]; a.Sightings[0].Source != "honeyp" || a.Sightings[1].Source != "dede" {
		t.Fatalf("sources %+v", a.Sightings)
	}
}

func TestEventTimestamps(t *testing.T) {
	for body, want := range map[string][2]int64{
		`{"Event":{"info":"x","timestamp":"1700000000","publish_timestamp":1700000100}}`: {1700000000, 1700000100},
		`{"Event":{"info":"x"}}`: {0, 0},
		`{"Event":{"info":"x","timestamp":"soon","publish_timestamp":"0"}}`: {0, 0},
	} {
		e := one(t, body)
		if e.Timestamp != want[0] || e.PublishTimestamp != want[1] {
			t.Errorf("%s: %d %d", body, e.Timestamp, e.PublishTimestamp)
		}
	}
}

// attr parses one attribute (to_ids true, a domain) with the given event
// and attribute tags.
func attr(t *testing.T, eventTags, attrTags string) (Event, Attribute) {
	t.Helper()
	e := one(t, `{"Event":{"Tag":[`+eventTags+`],"Attribute":[{"type":"domain","value":"example.org","to_ids":true,"Tag":[`+attrTags+`]}]}}`)
	return e, e.Attributes[0]
}

func tags(names ...string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"` + strings.ReplaceAll(n, `"`, `\"`) + `"}`)
	}
	return b.String()
}

func TestFusionTags(t *testing.T) {
	_, a := attr(t, "", tags(`fusion:handling="H0"`, `fusion:handling="h1"`, `fusion:purpose="fraud%22prevention%22"`,
		`fusion:handling="H3"`, `fusion:conditions="no publication"`, `fusion:discoverable="true"`, `fusion:personal="false"`,
		`fusion:audience-org="bank-1"`, `fusion:audience-group="g-1"`, `fusion:label="phishing"`, `fusion:confidence="75"`,
		`fusion:subdomains="true"`, `fusion:valid-until="2027-01-02T03:04:05+01:00"`, `admiralty-scale:source-reliability="c"`,
		`admiralty-scale:information-credibility="3"`, "PAP:AMBER", "osint"))
	r := a.Record
	if r == nil {
		t.Fatalf("no record: %s", a.Reason)
	}
	if !slices.Equal(r.Handling.Codes, []string{"H0", "H1", "H3"}) || r.Handling.Purpose != `fraud"prevention"` || r.Handling.Conditions != "no publication" ||
		!*r.Discoverable || *r.Personal || !slices.Equal(r.Audience.Orgs, []string{"bank-1"}) || !slices.Equal(r.Audience.Groups, []string{"g-1"}) ||
		!slices.Equal(r.Labels, []string{"phishing"}) || *r.Confidence != 75 || !*r.Subdomains || !r.ValidUntil.Equal(time.Date(2027, 1, 2, 2, 4, 5, 0, time.UTC)) ||
		*r.Evaluation != (intel.Evaluation{Reliability: "C", Credibility: 3}) {
		t.Fatalf("record %+v handling %+v audience %+v", r, r.Handling, r.Audience)
	}
	// PAP has no record field: it stays a tag (canonical: namespace lowercased).
	if !slices.Equal(r.Tags, []string{"pap:AMBER", "osint"}) || !slices.Equal(a.Tags, r.Tags) {
		t.Fatalf("tags %q, attribute tags %q", r.Tags, a.Tags)
	}
	if _, err := intel.NewRecord(canonicalizer(t), *r); err != nil {
		t.Fatal(err)
	}
}

func TestFusionTagsInherit(t *testing.T) {
	event := tags(`fusion:handling="H2"`, `fusion:audience-org="bank-1"`, `fusion:label="scam"`, `admiralty-scale:source-reliability="a"`,
		`admiralty-scale:information-credibility="2"`)
	for _, tc := range []struct {
		name, attrTags string
		codes, orgs    []string
		labels         []string
		eval           intel.Evaluation
	}{
		{"inherits", "", []string{"H2"}, []string{"bank-1"}, []string{"scam"}, intel.Evaluation{Reliability: "A", Credibility: 2}},
		{"own replaces", tags(`fusion:handling="H1"`, `fusion:audience-group="g"`, `fusion:label="spam"`, `admiralty-scale:information-credibility="5"`),
			[]string{"H1"}, nil, []string{"spam"}, intel.Evaluation{Reliability: "A", Credibility: 5}},
		{"none", tags(`fusion:handling="none"`, `fusion:audience="none"`, `fusion:label="none"`), nil, nil, []string{}, intel.Evaluation{Reliability: "A", Credibility: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, a := attr(t, event, tc.attrTags)
			r := a.Record
			if !slices.Equal(r.Handling.Codes, tc.codes) || !slices.Equal(r.Audience.Orgs, tc.orgs) || !slices.Equal(r.Labels, tc.labels) || *r.Evaluation != tc.eval {
				t.Fatalf("handling %+v audience %+v labels %q evaluation %+v", r.Handling, r.Audience, r.Labels, r.Evaluation)
			}
			if !slices.Equal(e.Handling.Codes, []string{"H2"}) || !slices.Equal(e.Audience.Orgs, []string{"bank-1"}) || !slices.Equal(e.Labels, []string{"scam"}) || len(e.Tags) != 0 {
				t.Fatalf("event handling %+v audience %+v labels %q tags %q", e.Handling, e.Audience, e.Labels, e.Tags)
			}
		})
	}
}

func TestFusionTagErrors(t *testing.T) {
	for _, tc := range []struct{ tag, reason string }{
		{`fusion:handling="H9"`, `"H9" is not a handling code`},
		{`fusion:confidence="101"`, `"101" is not a confidence`},
		{`fusion:discoverable="yes"`, `"yes" is not true or false`},
		{`fusion:label="nonsense"`, `"nonsense" is not in the label vocabulary`},
		{`fusion:valid-until="tomorrow"`, `"tomorrow" is not an RFC 3339 time`},
		{`fusion:to_ids="false"`, `"to_ids" is not a fusion tag`},
		{`fusion:audience="everyone"`, `only "none"`},
		{`fusion:handling`, `needs a value`},
		{`fusion:misp-tlp="clear"`, `set by a fusion hub`},
		{`admiralty-scale:source-reliability="g"`, `"g" is not a source reliability`},
		{`admiralty-scale:information-credibility="0"`, `"0" is not an information credibility`},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			_, a := attr(t, "", tags(tc.tag, "osint"))
			e, _ := attr(t, "", tags(tc.tag, "osint"))
			r := a.Record
			if r == nil || !slices.Equal(r.Tags, []string{"osint"}) || r.Handling != nil || r.Confidence != nil || r.Evaluation != nil || r.Labels != nil && len(r.Labels) != 0 {
				t.Fatalf("record %+v", r)
			}
			if len(e.Skipped) != 1 || e.Skipped[0].Where != "Attribute[0].Tag[0]" || !strings.Contains(e.Skipped[0].Reason, tc.reason) {
				t.Fatalf("skipped %+v, want %q", e.Skipped, tc.reason)
			}
		})
	}
}

// TestHandlingNeverLoosened: H3 and its conditions are kept together, the
// stricter way.
func TestHandlingNeverLoosened(t *testing.T) {
	e, a := attr(t, "", tags(`fusion:handling="H3"`))
	if h := a.Record.Handling; !h.Has(intel.H3) || h.Conditions != unknownConditions || len(e.Skipped) != 1 {
		t.Fatalf("H3 alone: %+v skipped %+v", h, e.Skipped)
	}
	e, a = attr(t, "", tags(`fusion:conditions="not before May"`))
	if h := a.Record.Handling; !h.Has(intel.H3) || h.Conditions != "not before May" || len(e.Skipped) != 1 {
		t.Fatalf("conditions alone: %+v skipped %+v", h, e.Skipped)
	}
	// Subdomains on an address is dropped (intel refuses it), noted.
	e = one(t, `{"Event":{"Attribute":[{"type":"ip-dst","value":"192.0.2.1","to_ids":true,"Tag":[{"name":"fusion:subdomains=\"true\""}]}]}}`)
	if r := e.Attributes[0].Record; r.Subdomains != nil || len(e.Skipped) != 1 {
		t.Fatalf("subdomains on ipv4: %+v skipped %+v", r, e.Skipped)
	}
}
