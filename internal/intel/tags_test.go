package intel_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"fusion/internal/intel"
)

func TestParseTag(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"APT28", "APT28", ""},
		{"  Operation   Dream\tJob ", "Operation Dream Job", ""},
		{`misp-galaxy:threat-actor="Lazarus Group"`, `misp-galaxy:threat-actor="Lazarus Group"`, ""},
		{`MISP-Galaxy:threat-actor = "Lazarus  Group" `, `misp-galaxy:threat-actor="Lazarus Group"`, ""},
		{`misp-galaxy:threat-actor=Lazarus`, `misp-galaxy:threat-actor="Lazarus"`, ""},
		{"mitre-attack:T1566", "mitre-attack:T1566", ""},
		{"admiralty-scale:source-reliability=\"a\"", "admiralty-scale:source-reliability=\"a\"", ""},
		{"https://example.org/report", "https://example.org/report", ""},
		{"case: 2026-114", "case: 2026-114", ""},
		{"", "", "empty"},
		{"   ", "", "empty"},
		{"tlp:amber", "", "TLP is the record's tlp field"},
		{`misp-galaxy:threat actor="x"`, "", "predicate"},
		{`misp-galaxy:threat-actor=""`, "", "value must be non-empty"},
		{`misp-galaxy:threat-actor="a"b"`, "", `without inner '"'`},
		{`say "hi"`, "", `a plain tag cannot contain '"'`},
		{"bell\a", "", "control character U+0007"},
		{strings.Repeat("x", 257), "", "longer than 256 bytes"},
		{"a:b=" + strings.Repeat("x", 251), "", "longer than 256 bytes"}, // 258 once quoted
	} {
		got, err := intel.ParseTag(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseTag(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTag(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if keys := intel.TagKeys(`misp-galaxy:threat-actor="Lazarus Group"`); !slices.Equal(keys, []string{`misp-galaxy:threat-actor="lazarus group"`, "misp-galaxy:threat-actor"}) {
		t.Errorf("keys: %q", keys)
	}
}

func TestRecordTags(t *testing.T) {
	c := canon(t)
	r, err := intel.NewRecord(c, intel.RecordInput{Value: "x.example.net", TLP: "green", Tags: []string{"apt28", "APT28", "mitre-attack:T1566", "Fancy Bear"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Tags, []string{"apt28", "Fancy Bear", "mitre-attack:T1566"}) {
		t.Errorf("tags: %q", r.Tags)
	}
	_, err = intel.NewRecord(c, intel.RecordInput{Value: "x.example.net", TLP: "green", Tags: []string{"ok", "tlp:red"}})
	if err == nil || err.Error() != `tags: "tlp:red": not a tag: TLP is the record's tlp field, not a tag` {
		t.Errorf("a TLP tag: %v", err)
	}
}

// FuzzParseTag: a tag parses to a canonical form that parses to itself,
// valid UTF-8 within the size limit; or it is refused. Never a panic.
func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"APT28", `misp-galaxy:threat-actor="Lazarus Group"`, "mitre-attack:T1566", "a:b=c", `x:"y"`, " : ", "é:é=\"é\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := intel.ParseTag(in)
		if err != nil {
			return
		}
		if !utf8.ValidString(got) || got == "" || len(got) > 256 {
			t.Fatalf("ParseTag(%q) = %q", in, got)
		}
		again, err := intel.ParseTag(got)
		if err != nil || again != got {
			t.Fatalf("ParseTag(%q) = %q, but that parses to %q, %v", in, got, again, err)
		}
	})
}
