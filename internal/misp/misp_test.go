package misp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// one parses data, which must hold exactly one event.
func one(t *testing.T, data string) Event {
	t.Helper()
	evs, err := ParseEvents([]byte(data))
	if err != nil {
		t.Fatalf("ParseEvents(%s): %v", data, err)
	}
	checkInvariants(t, evs)
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	return evs[0]
}

func TestEnvelopes(t *testing.T) {
	ev := `{"uuid":"5758ebf5-c898-48e6-9fe9-5665c0a83866","info":"x","Attribute":[{"type":"ip-dst","value":"192.0.2.1","to_ids":true}]}`
	for name, tc := range map[string]struct {
		body   string
		events int
	}{
		"wrapped":             {`{"Event":` + ev + `}`, 1},
		"bare":                {ev, 1},
		"restSearch":          {`{"response":[{"Event":` + ev + `},{"Event":` + ev + `}]}`, 2},
		"list of wrapped":     {`[{"Event":` + ev + `}]`, 1},
		"list of bare":        {`[` + ev + `,` + ev + `,` + ev + `]`, 3},
		"mixed list":          {`[` + ev + `,{"Event":` + ev + `}]`, 2},
		"empty list":          {`[]`, 0},
		"empty response":      {`{"response":[]}`, 0},
		"leading whitespace":  {"\n\t " + ev + "\n", 1},
		"event without attrs": {`{"Event":{"info":"only info"}}`, 1},
	} {
		t.Run(name, func(t *testing.T) {
			evs, err := ParseEvents([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tc.events {
				t.Fatalf("got %d events, want %d", len(evs), tc.events)
			}
			for _, e := range evs {
				if e.Refused != "" {
					t.Fatalf("refused: %s", e.Refused)
				}
			}
		})
	}
}

func TestEnvelopeErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		body, want string
		is         error
	}{
		"not JSON":          {`{"Event":`, "not JSON", nil},
		"empty":             {``, "not JSON", nil},
		"string":            {`"hello"`, "a JSON string", ErrNotEnvelope},
		"number":            {`42`, "a JSON number", ErrNotEnvelope},
		"other object":      {`{"name":"x","list":["a"]}`, `keys are "list", "name"`, ErrNotEnvelope},
		"Event not object":  {`{"Event":[1,2]}`, "Event: a JSON list, not an object", nil},
		"response not list": {`{"response":"nope"}`, "response is not a list of events", ErrNotEnvelope},
		"too big":           {`[` + strings.Repeat(" ", MaxBodyBytes) + `]`, "too large", ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEvents([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
}

func TestListItemNotEvent(t *testing.T) {
	evs, err := ParseEvents([]byte(`[{"info":"a"}, 7, {"SharingGroup":{"id":"1"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Refused != "" || !strings.Contains(evs[1].Refused, "[1]: not a MISP event") ||
		!strings.Contains(evs[2].Refused, `"SharingGroup"`) {
		t.Fatalf("got %+v", evs)
	}
}

func TestTooManyAttributes(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Event":{"uuid":"5758ebf5-c898-48e6-9fe9-5665c0a83866","Attribute":[`)
	for i := 0; i <= MaxAttributesPerEvent; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{}`)
	}
	b.WriteString(`]}}`)
	_, err := ParseEvents([]byte(b.String()))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), fmt.Sprint(MaxAttributesPerEvent+1)) {
		t.Fatalf("err = %v", err)
	}
}

func TestScalars(t *testing.T) {
	for _, tc := range []struct {
		toIDs, deleted, distribution, threat string
		wantToIDs, wantDeleted               bool
		wantDist, wantThreat                 int
		skipped                              int
	}{
		{`true`, `false`, `"0"`, `"1"`, true, false, 0, 1, 0},
		{`"1"`, `"0"`, `0`, `2`, true, false, 0, 2, 0},
		{`1`, `0`, `5`, `"4"`, true, false, 5, 4, 0},
		{`"true"`, `null`, `"3"`, `""`, true, false, 3, 0, 0},
		{`false`, `true`, `null`, `null`, false, true, -1, 0, 0},
		{`"0"`, `"1"`, `"9"`, `"high"`, false, true, -1, 0, 2},
	} {
		t.Run(tc.toIDs+"/"+tc.deleted+"/"+tc.distribution, func(t *testing.T) {
			e := one(t, `{"Event":{"distribution":`+tc.distribution+`,"threat_level_id":`+tc.threat+`,"timestamp":"1465681801",
				"Attribute":[{"type":"domain","value":"example.org","to_ids":`+tc.toIDs+`,"deleted":`+tc.deleted+`}]}}`)
			a := e.Attributes[0]
			if a.ToIDs != tc.wantToIDs || a.Deleted != tc.wantDeleted || e.Distribution != tc.wantDist || e.ThreatLevel != tc.wantThreat || len(e.Skipped) != tc.skipped {
				t.Fatalf("to_ids %v deleted %v distribution %d threat %d skipped %v", a.ToIDs, a.Deleted, e.Distribution, e.ThreatLevel, e.Skipped)
			}
		})
	}
	// A to_ids that is no boolean refuses the attribute, not the event.
	e := one(t, `{"Event":{"Attribute":[{"type":"domain","value":"example.org","to_ids":"maybe"},{"type":"domain","value":"example.com"}]}}`)
	if len(e.Attributes) != 1 || len(e.Skipped) != 1 || e.Skipped[0].Where != "Attribute[0]" || !strings.Contains(e.Skipped[0].Reason, `to_ids: "maybe" is not a boolean`) {
		t.Fatalf("attributes %+v skipped %+v", e.Attributes, e.Skipped)
	}
}

func TestSharingGroupShapes(t *testing.T) {
	for sg, want := range map[string]string{
		`[]`:                      "",
		`{}`:                      "",
		`{"id":null}`:             "",
		`{"id":null,"name":null}`: "",
		`null`:                    "",
		`{"id":"7","name":"x"}`:   "7",
		`{"id":7,"uuid":"5758EBF5-c898-48e6-9fe9-5665c0a83866"}`:     "5758ebf5-c898-48e6-9fe9-5665c0a83866",
		`[{"id":"2","uuid":"5758ebf5-c898-48e6-9fe9-5665c0a83866"}]`: "5758ebf5-c898-48e6-9fe9-5665c0a83866",
	} {
		e := one(t, `{"Event":{"info":"x","distribution":"4","SharingGroup":`+sg+`}}`)
		if e.SharingGroup != want || len(e.Skipped) != 0 {
			t.Errorf("SharingGroup %s: got %q skipped %v, want %q", sg, e.SharingGroup, e.Skipped, want)
		}
	}
	e := one(t, `{"Event":{"info":"x","SharingGroup":"weird"}}`)
	if len(e.Skipped) != 1 || e.Skipped[0].Where != "SharingGroup" {
		t.Errorf("string SharingGroup: skipped %v", e.Skipped)
	}
}

func TestTypes(t *testing.T) {
	for _, tc := range []struct {
		typ, value string
		want       observable.Type
		wantValue  string
		reason     string
	}{
		{"ip-src", "192.0.2.1", observable.IPv4, "192.0.2.1", ""},
		{"ip-dst", "2001:db8::1", observable.IPv6, "2001:db8::1", ""},
		{"ip-dst", "192.0.2.0/24", observable.CIDR, "192.0.2.0/24", ""},
		{"ip-dst", "not-an-ip", "", "", "is not an IP address"},
		{"domain", "example.org", observable.Domain, "example.org", ""},
		{"hostname", "www.example.org", observable.Domain, "www.example.org", ""},
		{"hostname", "expyuzz4wqqyqhjn.onion", observable.Onion, "expyuzz4wqqyqhjn.onion", ""},
		{"url", "http://example.org/x", observable.URL, "http://example.org/x", ""},
		{"uri", "http://example.org/y", observable.URL, "http://example.org/y", ""},
		{"md5", "0749bae92ca336a02c83d126e04ec628", observable.MD5, "0749bae92ca336a02c83d126e04ec628", ""},
		{"sha1", "77b0c41b7d340b8a3d903f21347bbf06aa766b5b", observable.SHA1, "77b0c41b7d340b8a3d903f21347bbf06aa766b5b", ""},
		{"sha512", strings.Repeat("a", 128), "", "", "context: type sha512 is not an observable"},
		{"email-src", "a@example.org", observable.Email, "a@example.org", ""},
		{"email-dst", "b@example.org", observable.Email, "b@example.org", ""},
		{"AS", "AS64496", observable.ASN, "AS64496", ""},
		{"btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", observable.BTC, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", ""},
		{"phone-number", "+41 44 668 18 00", observable.Phone, "+41 44 668 18 00", ""},
		{"filename|md5", "a.exe|0749bae92ca336a02c83d126e04ec628", observable.MD5, "0749bae92ca336a02c83d126e04ec628", ""},
		{"filename|sha256", "a|b.exe|" + strings.Repeat("b", 64), "", "", "more than one '|'"},
		{"ip-dst|port", "192.0.2.7|443", observable.IPv4, "192.0.2.7", ""},
		{"domain|ip", "example.org|192.0.2.8", observable.Domain, "example.org", ""},
		{"filename|md5", "no-bar", "", "", "value has no '|'"},
		{"regkey|value", `HKLM\Run|x.exe`, "", "", "context: type regkey|value is not an observable"},
		{"text", "hello", "", "", "context: type text is not an observable"},
		{"comment", "hello", "", "", "context: type comment is not an observable"},
		{"link", "http://example.org/", "", "", "context: type link is not an observable"},
		{"filename", "x.exe", "", "", "context: type filename is not an observable"},
		{"regkey", `HKLM\x`, "", "", "context: type regkey is not an observable"},
		{"domain", "  ", "", "", "value: empty"},
	} {
		t.Run(tc.typ+"="+tc.value, func(t *testing.T) {
			e := one(t, fmt.Sprintf(`{"Event":{"Attribute":[{"type":%q,"value":%q,"to_ids":true}]}}`, tc.typ, tc.value))
			a := e.Attributes[0]
			if tc.reason != "" {
				if a.Record != nil || !strings.Contains(a.Reason, tc.reason) {
					t.Fatalf("record %+v reason %q, want reason containing %q", a.Record, a.Reason, tc.reason)
				}
				return
			}
			if a.Record == nil {
				t.Fatalf("no record: %s", a.Reason)
			}
			if a.Record.Type != string(tc.want) || a.Record.Value != tc.wantValue {
				t.Fatalf("record %s %q, want %s %q", a.Record.Type, a.Record.Value, tc.want, tc.wantValue)
			}
		})
	}
}

func TestTLP(t *testing.T) {
	attr := func(tags string) string {
		return `{"type":"domain","value":"example.org","to_ids":true,"Tag":[` + tags + `]}`
	}
	for _, tc := range []struct {
		name, eventTags, attrTags string
		event, attribute          intel.TLP
		skipped                   int
	}{
		{"none: default amber", ``, ``, intel.Amber, intel.Amber, 0},
		{"white is clear", `{"name":"tlp:white"}`, ``, intel.Clear, intel.Clear, 0},
		{"upper case", `{"name":"TLP:GREEN"}`, ``, intel.Green, intel.Green, 0},
		{"amber+strict", `{"name":"tlp:amber+strict"}`, ``, intel.AmberStrict, intel.AmberStrict, 0},
		{"two tags: stricter", `{"name":"tlp:green"},{"name":"tlp:red"}`, ``, intel.Red, intel.Red, 0},
		{"attribute overrides", `{"name":"tlp:red"}`, `{"name":"tlp:clear"}`, intel.Red, intel.Clear, 0},
		{"attribute two tags", ``, `{"name":"tlp:amber"},{"name":"tlp:green"}`, intel.Amber, intel.Amber, 0},
		{"ex:chr refused", `{"name":"tlp:ex:chr"}`, ``, intel.Amber, intel.Amber, 1},
		{"unclear refused", `{"name":"tlp:green"},{"name":"tlp:unclear"}`, ``, intel.Green, intel.Green, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := one(t, `{"Event":{"Tag":[`+tc.eventTags+`],"Attribute":[`+attr(tc.attrTags)+`]}}`)
			a := e.Attributes[0]
			if e.TLP != tc.event || a.TLP != tc.attribute || a.Record.TLP != string(tc.attribute) || len(e.Skipped) != tc.skipped {
				t.Fatalf("event %s attribute %s record %s skipped %v", e.TLP, a.TLP, a.Record.TLP, e.Skipped)
			}
			for _, tag := range append(e.Tags, a.Record.Tags...) {
				if strings.HasPrefix(strings.ToLower(tag), "tlp:") {
					t.Fatalf("TLP kept as a tag: %q", tag)
				}
			}
		})
	}
}

func TestAttributeMapping(t *testing.T) {
	e := one(t, `{"Event":{
		"uuid":"5A3C2FCD-8328-42bb-a95e-4f4402de0b81","info":"test","date":"2017-12-22","threat_level_id":"3","analysis":"2",
		"Orgc":{"name":"CIRCL","uuid":"55f6ea5e-2c60-40e5-964f-47a8950d210f"},
		"Tag":[{"name":"tlp:green"},{"name":"circl:incident-classification=\"malware\""},{"name":"osint"}],
		"Galaxy":[{"type":"threat-actor","GalaxyCluster":[{"type":"threat-actor","value":"Sofacy"}]}],
		"Attribute":[
			{"uuid":"57c4448b-454c-4d17-90d1-4d2f950d210f","type":"domain","value":"example.org","to_ids":false,"comment":" seen in mail ",
			 "first_seen":"2019-06-25T15:13:44.000000+00:00","last_seen":"2019-06-26T00:00:00+00:00","Tag":[{"name":"OSINT"},{"name":"kill-chain:delivery"}]},
			{"uuid":"not-a-uuid","type":"md5","value":"0749bae92ca336a02c83d126e04ec628","to_ids":"1","deleted":"1"}
		],
		"Object":[{"name":"file","Attribute":[
			{"uuid":"5a3cd5b6-78a8-4e47-8333-4c62950d210f","type":"sha1","value":"68064fc152e23d56e541714af52651cb4ba81aaf","to_ids":true},
			{"type":"filename","value":"Bulletin.doc","to_ids":true}
		]}]
	}}`)
	if e.UUID != "5a3c2fcd-8328-42bb-a95e-4f4402de0b81" || e.Info != "test" || e.Date != "2017-12-22" || e.ThreatLevel != 3 || e.Analysis != 2 ||
		e.Orgc != (Org{Name: "CIRCL", UUID: "55f6ea5e-2c60-40e5-964f-47a8950d210f"}) || e.TLP != intel.Green {
		t.Fatalf("event %+v", e)
	}
	wantTags := []string{`circl:incident-classification="malware"`, "osint", `misp-galaxy:threat-actor="Sofacy"`}
	if !slices.Equal(e.Tags, wantTags) {
		t.Fatalf("event tags %q, want %q", e.Tags, wantTags)
	}
	if len(e.Attributes) != 4 {
		t.Fatalf("%d attributes", len(e.Attributes))
	}
	if c := e.Attributes[0]; c.Record != nil || !strings.HasPrefix(c.Reason, "context: to_ids is false") ||
		c.Comment != "seen in mail" || !slices.Equal(c.Tags, []string{"OSINT", "kill-chain:delivery"}) {
		t.Fatalf("to_ids false attribute %+v", c)
	}
	if d := e.Attributes[1]; d.Record != nil || !d.Deleted || !strings.HasPrefix(d.Reason, "deleted") || d.UUID != "" {
		t.Fatalf("deleted attribute %+v", d)
	}
	if !slices.Contains(e.Skipped, Skip{Where: "Attribute[1].uuid", Reason: `"not-a-uuid" is not a uuid`}) {
		t.Fatalf("skipped %+v", e.Skipped)
	}
	if o := e.Attributes[2]; o.Object != "file" || o.Record == nil || o.Record.Type != "sha1" || o.Record.TLP != "green" {
		t.Fatalf("object attribute %+v", o)
	}
	if o := e.Attributes[3]; o.Object != "file" || o.Record != nil || o.Reason != "context: type filename is not an observable" {
		t.Fatalf("object attribute %+v", o)
	}
	// Without an Orgc uuid the name is the reference.
	e = one(t, `{"Event":{"Orgc":{"name":"ORGNAME"},"Attribute":[{"type":"domain","value":"example.org","to_ids":true}]}}`)
	if e.Attributes[0].Record.Reference != "misp:ORGNAME" {
		t.Fatalf("reference %q", e.Attributes[0].Record.Reference)
	}
}

// TestRecordsAreValid runs every record of every fixture through
// intel.NewRecord, as the hub will: the parser must not hand it records
// it refuses.
func TestRecordsAreValid(t *testing.T) {
	c, err := observable.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range []string{
		"events/pymisp-circl-osint-57c4445b.json", "events/pymisp-existing_event.json",
		"events/pymisp-malware_exist-restsearch-response.json", "events/pymisp-sighting_1.json",
	} {
		evs, err := ParseEvents(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			for _, a := range e.Attributes {
				if a.Record == nil {
					continue
				}
				if _, err := intel.NewRecord(c, *a.Record); err != nil {
					t.Errorf("%s: %s %q: %v", name, a.Type, a.Value, err)
				}
				n++
			}
		}
	}
	if n != 3+68+3+5 {
		t.Fatalf("%d records checked", n)
	}
	// And a record with every field the mapping sets.
	e := one(t, `{"Event":{"Orgc":{"name":"CIRCL","uuid":"55f6ea5e-2c60-40e5-964f-47a8950d210f"},"Tag":[{"name":"tlp:amber+strict"},{"name":"osint"}],
		"Galaxy":[{"type":"tool","GalaxyCluster":[{"type":"tool","value":"X-Agent"}]}],
		"Attribute":[{"type":"ip-dst|port","value":"192.0.2.1|443","to_ids":"1","comment":"C2",
		"first_seen":"2019-06-25T15:13:44.000000+00:00","last_seen":"1561500000","Tag":[{"name":"kill-chain:c2"}]}]}}`)
	r, err := intel.NewRecord(c, *e.Attributes[0].Record)
	if err != nil {
		t.Fatal(err)
	}
	if r.TLP != intel.AmberStrict || r.Description != "C2" || !slices.Equal(r.Tags, []string{"kill-chain:c2", "misp-galaxy:tool=\"X-Agent\"", "osint"}) || r.Reference != "misp:55f6ea5e-2c60-40e5-964f-47a8950d210f" {
		t.Fatalf("record %+v", r)
	}
}
