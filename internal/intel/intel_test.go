package intel_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

func canon(t *testing.T) *observable.Canonicalizer {
	c, err := observable.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestNewRecord(t *testing.T) {
	c := canon(t)
	tests := []struct {
		name  string
		in    intel.RecordInput
		field string // empty: valid
		check func(t *testing.T, r intel.Record)
	}{
		{"defanged url is canonical", intel.RecordInput{Value: "hxxps://Evil[.]Example[.]com:443/a/../b#frag", TLP: "AMBER"}, "", func(t *testing.T, r intel.Record) {
			if r.Type != observable.URL || r.Value != "https://evil.example.com/b" || r.TLP != intel.Amber || r.Confidence != 50 {
				t.Errorf("got %s %q %s %d", r.Type, r.Value, r.TLP, r.Confidence)
			}
		}},
		{"red implies H2", intel.RecordInput{Value: "192.0.2.1", TLP: "tlp:red", Handling: &intel.Handling{Codes: []string{"h1"}}}, "", func(t *testing.T, r intel.Record) {
			if !slices.Equal(r.Handling.Codes, []string{"H1", "H2"}) {
				t.Errorf("codes %v", r.Handling.Codes)
			}
		}},
		{"card is personal by default and never clear", intel.RecordInput{Value: "4111 1111 1111 1111", Type: "card", TLP: "amber"}, "", func(t *testing.T, r intel.Record) {
			if !r.Personal || r.BIN != "411111" || strings.Contains(r.Value, "4111111111111111") {
				t.Errorf("card record %+v", r)
			}
		}},
		{"labels normalised", intel.RecordInput{Value: "a.example.com", TLP: "green", Labels: []string{"Phishing", "phishing", " scam "}}, "", func(t *testing.T, r intel.Record) {
			if !slices.Equal(r.Labels, []string{"phishing", "scam"}) {
				t.Errorf("labels %v", r.Labels)
			}
		}},
		{"tlp required", intel.RecordInput{Value: "a.example.com"}, "tlp", nil},
		{"tlp white is 1.0", intel.RecordInput{Value: "a.example.com", TLP: "white"}, "tlp", nil},
		{"unknown label", intel.RecordInput{Value: "a.example.com", TLP: "green", Labels: []string{"apt"}}, "labels", nil},
		{"confidence range", intel.RecordInput{Value: "a.example.com", TLP: "green", Confidence: ptr(101)}, "confidence", nil},
		{"H3 needs text", intel.RecordInput{Value: "a.example.com", TLP: "green", Handling: &intel.Handling{Codes: []string{"H3"}}}, "handling.conditions", nil},
		{"bad handling code", intel.RecordInput{Value: "a.example.com", TLP: "green", Handling: &intel.Handling{Codes: []string{"H9"}}}, "handling.codes", nil},
		{"reliability letter", intel.RecordInput{Value: "a.example.com", TLP: "green", Evaluation: &intel.Evaluation{Reliability: "G"}}, "evaluation.reliability", nil},
		{"credibility digit", intel.RecordInput{Value: "a.example.com", TLP: "green", Evaluation: &intel.Evaluation{Credibility: 7}}, "evaluation.credibility", nil},
		{"value required", intel.RecordInput{TLP: "green"}, "value", nil},
		{"unknown type", intel.RecordInput{Type: "iban", Value: "x", TLP: "green"}, "type", nil},
		{"last before first", intel.RecordInput{Value: "a.example.com", TLP: "green", FirstSeen: ptrTime("2026-02-01T00:00:00Z"), LastSeen: ptrTime("2026-01-01T00:00:00Z")}, "last_seen", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := intel.NewRecord(c, tt.in)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, r)
				return
			}
			var fe *intel.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, intel.ErrInvalid) {
				t.Fatalf("err = %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
}

func TestBadObservableErrorNamesValueAndType(t *testing.T) {
	_, err := intel.NewRecord(canon(t), intel.RecordInput{Type: "ipv4", Value: "300.1.2.3", TLP: "green"})
	var oe *observable.Error
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "300.1.2.3") || !strings.Contains(err.Error(), "ipv4") {
		t.Fatalf("err = %v", err)
	}
}

func TestPatchLeavesRecordOnError(t *testing.T) {
	r, err := intel.NewRecord(canon(t), intel.RecordInput{Value: "a.example.com", TLP: "green", Labels: []string{"scam"}})
	if err != nil {
		t.Fatal(err)
	}
	before := r
	if err := (intel.RecordPatch{TLP: ptr("red"), Confidence: ptr(-1)}).ApplyTo(&r); err == nil {
		t.Fatal("bad patch accepted")
	}
	if r.TLP != before.TLP || r.Confidence != before.Confidence {
		t.Errorf("record changed by a refused patch: %+v", r)
	}
}

func TestNewOrg(t *testing.T) {
	if _, err := intel.NewOrg("nl-police", "Politie", "nl", "Police"); err != nil {
		t.Errorf("valid org refused: %v", err)
	}
	for _, tc := range []struct{ id, country, sector, field string }{
		{"NL Police", "NL", "police", "id"}, {"x", "NL", "police", "id"}, {"nl-police", "XX", "police", "country"},
		{"nl-police", "NLD", "police", "country"}, {"nl-police", "NL", "army", "sector"},
	} {
		_, err := intel.NewOrg(tc.id, "name", tc.country, tc.sector)
		var fe *intel.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("NewOrg(%q, %q, %q) err = %v, want field %s", tc.id, tc.country, tc.sector, err, tc.field)
		}
	}
}

func TestCountryCodes(t *testing.T) {
	for _, cc := range []string{"NL", "DE", "JP", "US", "ZW", "AD", "GB"} {
		if !intel.IsCountry(cc) {
			t.Errorf("%s refused", cc)
		}
	}
	for _, cc := range []string{"UK", "EU", "XX", "D ", "ADA", "E", ""} {
		if intel.IsCountry(cc) {
			t.Errorf("%q accepted", cc)
		}
	}
}

// TestLabelsDocumented keeps docs/labels.md in step with the vocabulary.
func TestLabelsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/labels.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range intel.Labels {
		row := "| `" + l.Name + "` | " + l.Description + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/labels.md lacks the row %s", row)
		}
	}
	if n := strings.Count(string(doc), "\n| `"); n != len(intel.Labels) {
		t.Errorf("docs/labels.md has %d label rows, the vocabulary %d", n, len(intel.Labels))
	}
}

func TestSubdomainsOnlyForDomains(t *testing.T) {
	c := canon(t)
	yes := true
	if r, err := intel.NewRecord(c, intel.RecordInput{Value: "evil.example.com", TLP: "green", Subdomains: &yes}); err != nil || !r.Subdomains {
		t.Errorf("domain with subdomains: %+v %v", r, err)
	}
	_, err := intel.NewRecord(c, intel.RecordInput{Value: "192.0.2.1", TLP: "green", Subdomains: &yes})
	var fe *intel.FieldError
	if !errors.As(err, &fe) || fe.Field != "subdomains" {
		t.Errorf("ipv4 with subdomains: %v", err)
	}
}
