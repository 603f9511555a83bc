package misp

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

func canonicalizer(t testing.TB) *observable.Canonicalizer {
	t.Helper()
	c, err := observable.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hubImport does what the hub's MISP import does with a parsed event: a
// record per Attribute.Record (intel.NewRecord, a UUIDv7 id), and a report
// whose Source names those records and keeps the other attributes whole
// (with a tlp:* tag when the attribute's TLP is not the event's).
func hubImport(t testing.TB, c *observable.Canonicalizer, e Event) (*intel.Report, []intel.Record) {
	t.Helper()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	src := &intel.Source{Kind: intel.SourceMISP, ID: e.UUID, Org: e.Orgc.Name, OrgUUID: e.Orgc.UUID,
		Info: e.Info, Date: e.Date, ThreatLevel: e.ThreatLevel, Analysis: e.Analysis, Timestamp: e.Timestamp}
	var recs []intel.Record
	for _, a := range e.Attributes {
		if a.Record == nil {
			tags := slices.Clone(a.Tags)
			if a.TLP != e.TLP {
				tags = append(tags, "tlp:"+string(a.TLP))
			}
			src.Attributes = append(src.Attributes, intel.SourceAttribute{UUID: a.UUID, Type: a.Type, Category: a.Category,
				Value: a.Value, ToIDs: a.ToIDs, Comment: a.Comment, Object: a.Object, Tags: tags, Reason: a.Reason})
			continue
		}
		rec, err := intel.NewRecord(c, *a.Record)
		if err != nil {
			t.Fatalf("NewRecord(%+v): %v", a.Record, err)
		}
		rec.ID = uuid.Must(uuid.NewV7()).String()
		rec.Originator, rec.Created, rec.Updated, rec.Version = "org-a", now, now, 1
		recs = append(recs, rec)
		src.Attributes = append(src.Attributes, intel.SourceAttribute{UUID: a.UUID, Record: rec.ID})
	}
	r := &intel.Report{ID: uuid.Must(uuid.NewV7()).String(), Title: e.Info, Tags: e.Tags, Labels: e.Labels,
		TLP: e.TLP, Source: src, Originator: "org-a", Created: now, Updated: now, Version: 1}
	if e.Audience != nil {
		r.Audience = *e.Audience
	}
	if e.Handling != nil {
		r.Handling = *e.Handling
	}
	return r, recs
}

// normalisedTypes are the MISP types that come back as another type after
// import and export: the type export writes for the record's observable.
var normalisedTypes = map[string]string{
	"ip-src": "ip-dst", "hostname": "domain", "uri": "url",
	"email": "email-src", "email-dst": "email-src", "email-reply-to": "email-src",
	"target-email": "email-src", "whois-registrant-email": "email-src",
	"whois-registrant-phone": "phone-number",
	"filename|md5":           "md5", "filename|sha1": "sha1", "filename|sha256": "sha256",
	"ip-dst|port": "ip-dst", "ip-src|port": "ip-dst", "domain|ip": "domain",
}

func reparse(t testing.TB, r *intel.Report, recs []intel.Record, creator Org) Event {
	t.Helper()
	b, err := EventFor(r, recs, creator)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := ParseEvents(b)
	if err != nil || len(evs) != 1 {
		t.Fatalf("ParseEvents(EventFor): %d events, %v\n%s", len(evs), err, b)
	}
	checkInvariants(t, evs)
	if len(evs[0].Skipped) != 0 {
		t.Fatalf("re-parse skipped %+v\n%s", evs[0].Skipped, b)
	}
	return evs[0]
}

// TestRoundTripFixtures: every fixture event, imported as the hub does and
// exported, parses back with the same uuids, values, to_ids, tags and TLP
// for every attribute; record types come back as normalisedTypes says.
func TestRoundTripFixtures(t *testing.T) {
	c := canonicalizer(t)
	for _, name := range []string{
		"events/pymisp-attribute_del.json", "events/pymisp-circl-osint-57c4445b.json",
		"events/pymisp-existing_event.json", "events/pymisp-japanese_test.json",
		"events/pymisp-malware_exist-restsearch-response.json", "events/pymisp-sighting_1.json",
		"feeds/circl-misp-test-feed/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json",
	} {
		t.Run(name, func(t *testing.T) {
			evs, err := ParseEvents(fixture(t, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				r, recs := hubImport(t, c, e)
				hub := Org{Name: "HUB", UUID: "5758ebf5-c898-48e6-9fe9-5665c0a83866"}
				back := reparse(t, r, recs, hub)
				// Without a uuid or Orgc of its own, the event takes the
				// report's id and the creator.
				if e.UUID == "" {
					e.UUID = r.ID
				}
				if e.Orgc == (Org{}) {
					e.Orgc = hub
				}
				if back.UUID != e.UUID || back.TLP != e.TLP || back.Info != e.Info || back.Date != e.Date || back.Orgc != e.Orgc ||
					!slices.Equal(back.Tags, e.Tags) || len(back.Attributes) != len(e.Attributes) {
					t.Fatalf("event %s %s %q %s %+v tags %q (%d attributes), want %s %s %q %s %+v tags %q (%d)",
						back.UUID, back.TLP, back.Info, back.Date, back.Orgc, back.Tags, len(back.Attributes),
						e.UUID, e.TLP, e.Info, e.Date, e.Orgc, e.Tags, len(e.Attributes))
				}
				ids := map[string]intel.Record{}
				for _, rec := range recs {
					ids[rec.ID] = rec
				}
				for i, a := range e.Attributes {
					checkAttributeBack(t, c, a, back.Attributes[i], ids[r.Source.Attributes[i].Record])
				}
			}
		})
	}
}

func checkAttributeBack(t *testing.T, c *observable.Canonicalizer, a, b Attribute, rec intel.Record) {
	t.Helper()
	if a.UUID != "" && b.UUID != a.UUID || b.TLP != a.TLP {
		t.Fatalf("attribute %s %s: back as %s %s", a.UUID, a.TLP, b.UUID, b.TLP)
	}
	if a.Record == nil {
		if b.Record != nil || b.Type != a.Type || b.Category != a.Category || b.Value != a.Value || b.ToIDs != a.ToIDs ||
			b.Comment != a.Comment || !slices.Equal(b.Tags, a.Tags) || b.Deleted != a.Deleted || b.Reason != a.Reason {
			t.Fatalf("context attribute\n%+v\nback as\n%+v", a, b)
		}
		return
	}
	if b.Record == nil {
		t.Fatalf("record attribute %s %q back as context: %s", a.Type, a.Value, b.Reason)
	}
	if b.Type != a.Type && normalisedTypes[a.Type] != b.Type {
		t.Fatalf("type %s back as %s", a.Type, b.Type)
	}
	got, err := intel.NewRecord(c, *b.Record)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != rec.Type || got.Value != rec.Value || !b.ToIDs || got.TLP != rec.TLP || !slices.Equal(got.Tags, rec.Tags) ||
		got.Description != rec.Description || !timeEq(got.FirstSeen, rec.FirstSeen) || !timeEq(got.LastSeen, rec.LastSeen) {
		t.Fatalf("record\n%+v\nback as\n%+v", rec, got)
	}
}

func timeEq(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// TestRoundTripHandling: records with every handling feature, exported
// and parsed again, give back the same record fields.
func TestRoundTripHandling(t *testing.T) {
	c := canonicalizer(t)
	ptr := func(b bool) *bool { return &b }
	conf := 80
	first := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	last, until := first.Add(48*time.Hour), first.Add(90*24*time.Hour)
	inputs := []intel.RecordInput{
		{Type: "domain", Value: "evil.example.org", Subdomains: ptr(true), Labels: []string{"phishing", "botnet-c2"},
			Tags: []string{"PAP:RED", "osint", `misp-galaxy:tool="X-Agent"`}, Description: `seen in "mail", 100% sure`,
			Confidence: &conf, TLP: "amber", Audience: &intel.Audience{Orgs: []string{"bank-1", "cert-2"}, Groups: []string{"g-fraud"}},
			Handling:     &intel.Handling{Codes: []string{"H0", "H1", "H3"}, Purpose: "fraud prevention", Conditions: "no \"publication\"\nbefore 2027"},
			Discoverable: ptr(true), Personal: ptr(true), Evaluation: &intel.Evaluation{Reliability: "B", Credibility: 2},
			FirstSeen: &first, LastSeen: &last, ValidUntil: &until},
		// No labels, handling or audience of its own: it must not take the report's.
		{Type: "ipv4", Value: "192.0.2.7", TLP: "amber", Discoverable: ptr(false)},
		// Stricter than the report: its own TLP and distribution.
		{Type: "url", Value: "http://evil.example.org/x", TLP: "red", Evaluation: &intel.Evaluation{Credibility: 6}},
		{Type: "phone", Value: "+41446681800", TLP: "clear"},
		{Type: "bin", Value: "412345", TLP: "amber"},
		{Type: "asn", Value: "AS64496", TLP: "amber"},
		{Type: "sha256", Value: strings.Repeat("ab", 32), TLP: "amber"},
	}
	// Text too long for a MISP tag comes back as a note, the codes intact.
	long := intel.RecordInput{Type: "md5", Value: strings.Repeat("c", 32), TLP: "amber",
		Handling: &intel.Handling{Codes: []string{"H0", "H3"}, Purpose: strings.Repeat("p", 250), Conditions: strings.Repeat("c", 300)}}
	var recs []intel.Record
	for i, in := range inputs {
		rec, err := intel.NewRecord(c, in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		rec.ID = uuid.Must(uuid.NewV7()).String()
		recs = append(recs, rec)
	}
	r := &intel.Report{ID: uuid.Must(uuid.NewV7()).String(), Title: "handling", TLP: intel.Amber, Tags: []string{"campaign"},
		Labels: []string{"scam"}, Audience: intel.Audience{Orgs: []string{"police-9"}}, Handling: intel.Handling{Codes: []string{"H2"}}}
	longRec, err := intel.NewRecord(c, long)
	if err != nil {
		t.Fatal(err)
	}
	longRec.ID = uuid.Must(uuid.NewV7()).String()
	back := reparse(t, r, append(slices.Clone(recs), longRec), Org{Name: "HUB", UUID: "5758ebf5-c898-48e6-9fe9-5665c0a83866"})
	if h := back.Attributes[len(recs)].Record.Handling; !slices.Equal(h.Codes, []string{"H0", "H3"}) ||
		!strings.HasPrefix(h.Purpose, "too long") || !strings.HasPrefix(h.Conditions, "too long") {
		t.Fatalf("long handling text back as %+v", h)
	}
	back.Attributes = back.Attributes[:len(recs)]
	if back.UUID != r.ID || back.TLP != intel.Amber || back.Distribution != 0 || !slices.Equal(back.Labels, r.Labels) ||
		back.Audience == nil || !slices.Equal(back.Audience.Orgs, r.Audience.Orgs) || back.Handling == nil || !slices.Equal(back.Handling.Codes, r.Handling.Codes) {
		t.Fatalf("event %+v", back)
	}
	if len(back.Attributes) != len(recs) {
		t.Fatalf("%d attributes for %d records", len(back.Attributes), len(recs))
	}
	for i, a := range back.Attributes {
		want := recs[i]
		if a.UUID != want.ID || a.Record == nil {
			t.Fatalf("attribute %d: %+v", i, a)
		}
		got, err := intel.NewRecord(c, *a.Record)
		if err != nil {
			t.Fatalf("attribute %d: %v", i, err)
		}
		// The event's tags apply to its attributes in MISP: the report's
		// tag comes back on every record.
		want.Tags = append(slices.Clone(want.Tags), "campaign")
		got.ID, got.Reference = want.ID, want.Reference
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(normalized(t, want))
		if string(gj) != string(wj) {
			t.Errorf("record %d:\n got %s\nwant %s", i, gj, wj)
		}
	}
	if d := back.Attributes[2].Distribution; d != 0 {
		t.Errorf("red attribute distribution %d, want 0", d)
	}
	if d := back.Attributes[3].Distribution; d != 3 {
		t.Errorf("clear attribute distribution %d, want 3", d)
	}
}

// normalized runs rec through intel's normalization again (tags sorted).
func normalized(t *testing.T, rec intel.Record) intel.Record {
	t.Helper()
	tags := rec.Tags
	if err := (intel.RecordPatch{Tags: &tags}).ApplyTo(&rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestExportMISPTLP: a record the hub raised from clear to amber is
// exported as clear with distribution 0, without the fusion:misp-tlp tag;
// a fusion:misp-tlp tag in MISP data is ignored.
func TestExportMISPTLP(t *testing.T) {
	c := canonicalizer(t)
	rec, err := intel.NewRecord(c, intel.RecordInput{Type: "domain", Value: "x.example.org", TLP: "amber", Tags: []string{`fusion:misp-tlp="clear"`}})
	if err != nil {
		t.Fatal(err)
	}
	rec.ID = uuid.Must(uuid.NewV7()).String()
	r := &intel.Report{Title: "t", TLP: intel.Amber}
	b, err := EventFor(r, []intel.Record{rec}, Org{Name: "HUB"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "misp-tlp") {
		t.Fatalf("misp-tlp exported: %s", b)
	}
	e := one(t, string(b))
	a := e.Attributes[0]
	if a.TLP != intel.Clear || a.Distribution != 0 || e.Distribution != 0 || a.Record.TLP != "clear" {
		t.Fatalf("attribute %+v (event distribution %d)", a, e.Distribution)
	}
	e = one(t, `{"Event":{"Attribute":[{"type":"domain","value":"x.example.org","to_ids":true,"Tag":[{"name":"fusion:misp-tlp=\"clear\""}]}]}}`)
	if r := e.Attributes[0].Record; r == nil || len(r.Tags) != 0 || r.TLP != "amber" || len(e.Skipped) != 1 {
		t.Fatalf("record %+v skipped %+v", r, e.Skipped)
	}
}

func TestExportShape(t *testing.T) {
	c := canonicalizer(t)
	var recs []intel.Record
	for _, in := range []intel.RecordInput{
		{Type: "ipv4", Value: "192.0.2.1", TLP: "green"},
		{Type: "card", Value: "4111 1111 1111 1111", TLP: "green"},
		{Type: "eth", Value: "0x52908400098527886e0f7030069857d2e4169ee7", TLP: "green"},
	} {
		rec, err := intel.NewRecord(c, in)
		if err != nil {
			t.Fatal(err)
		}
		rec.ID = "not-a-uuid-" + string(rec.Type)
		rec.Updated = time.Unix(1700000000, 0)
		recs = append(recs, rec)
	}
	revoked := time.Unix(1700000100, 0)
	recs[0].Revoked = &revoked
	redacted := recs[0]
	redacted.ID, redacted.Value, redacted.Redacted = "redacted", "", true
	recs = append(recs, redacted)
	r := &intel.Report{Title: "search result"}
	b, err := EventFor(r, recs, Org{Name: "HUB", UUID: "5758ebf5-c898-48e6-9fe9-5665c0a83866"})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Event map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"distribution": `"3"`, "threat_level_id": `"4"`, "analysis": `"2"`, "timestamp": `"1700000000"`,
		"date": `"2023-11-14"`, "info": `"search result"`, "Orgc": `{"name":"HUB","uuid":"5758ebf5-c898-48e6-9fe9-5665c0a83866"}`,
		"Tag": `[{"name":"tlp:green","colour":"#339900"}]`,
	} {
		if string(got.Event[k]) != want {
			t.Errorf("%s = %s, want %s", k, got.Event[k], want)
		}
	}
	var attrs []map[string]any
	if err := json.Unmarshal(got.Event["Attribute"], &attrs); err != nil || len(attrs) != 1 {
		t.Fatalf("attributes %s (card, eth and redacted must be left out)", got.Event["Attribute"])
	}
	a := attrs[0]
	if a["type"] != "ip-dst" || a["category"] != "Network activity" || a["to_ids"] != true || a["deleted"] != true ||
		a["distribution"] != "5" || a["uuid"] != uuid.NewSHA1(uuidNamespace, []byte("record|not-a-uuid-ipv4")).String() {
		t.Fatalf("attribute %v", a)
	}
	// The same records give the same event uuid; others another.
	b2, _ := EventFor(r, recs, Org{})
	b3, _ := EventFor(r, recs[:1], Org{})
	if u := one(t, string(b2)).UUID; u != one(t, string(b)).UUID || u == one(t, string(b3)).UUID || !isUUID(u) {
		t.Fatalf("event uuids %s %s", u, one(t, string(b3)).UUID)
	}
	// A deleted attribute never comes back as a record.
	if e := one(t, string(b)); e.Attributes[0].Record != nil || !e.Attributes[0].Deleted {
		t.Fatalf("revoked record back as %+v", e.Attributes[0])
	}
}

func TestExportTypes(t *testing.T) {
	for _, typ := range observable.Types() {
		mt, cat, ok := ExportType(typ)
		if typ == observable.Card || typ == observable.ETH || typ == observable.PhoneRange {
			if ok {
				t.Errorf("%s exported as %s", typ, mt)
			}
			continue
		}
		if !ok || cat == "" {
			t.Errorf("%s: no MISP type", typ)
			continue
		}
		// Every exported type is read back as the same observable type
		// (ip-dst and domain decide by the value).
		if got := observableTypes[mt]; got != typ && got != ipType && !(mt == "domain" && typ == observable.Onion) {
			t.Errorf("%s exported as %s, read back as %s", typ, mt, got)
		}
	}
}

// TestExportedHashes: the hashes of an exported event, read the short way,
// are EventHashes of the event read back in full.
func TestExportedHashes(t *testing.T) {
	c := canonicalizer(t)
	for _, name := range []string{
		"events/pymisp-circl-osint-57c4445b.json", "events/pymisp-existing_event.json",
		"events/pymisp-malware_exist-restsearch-response.json", "events/pymisp-sighting_1.json",
	} {
		events, err := ParseEvents(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Refused != "" || e.UUID == "" {
				continue
			}
			r, recs := hubImport(t, c, e)
			data, err := EventFor(r, recs, Org{Name: "org-a"})
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseEvents(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ExportedHashes(data)
			if err != nil {
				t.Fatal(err)
			}
			if want := EventHashes(back[0]); !slices.Equal(got, want) || len(want) == 0 && len(e.Attributes) > 0 {
				t.Errorf("%s: %d hashes the short way, %d in full", name, len(got), len(want))
			}
		}
	}
}
