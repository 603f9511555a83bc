package misp

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestManifestFixture(t *testing.T) {
	entries, err := ParseManifest(fixture(t, "feeds/circl-misp-test-feed/manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := ManifestEntry{
		UUID: "56bf399d-c46c-4fdb-a9cf-d9bb02de0b81", Info: "OSINT - Hunting for Malware with Machine Learning",
		Date: "2015-12-18", Orgc: Org{Name: "CIRCL", UUID: "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
		Tags: []string{"type:OSINT", "tlp:white"}, Timestamp: 1455373240, ThreatLevel: 3, Analysis: 2,
	}
	if len(entries) != 1 || !reflect.DeepEqual(entries[0], want) {
		t.Fatalf("entries %+v, want [%+v]", entries, want)
	}
	// What is written parses back the same.
	b, err := WriteManifest(entries)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseManifest(b)
	if err != nil || !reflect.DeepEqual(back, entries) {
		t.Fatalf("back %+v, %v\n%s", back, err, b)
	}
}

func TestManifestEntries(t *testing.T) {
	const u = "56bf399d-c46c-4fdb-a9cf-d9bb02de0b81"
	for _, tc := range []struct {
		name, body, refused string
		want                ManifestEntry
	}{
		{"strings", `{"` + u + `":{"info":"x","date":"2020-01-02","analysis":"1","threat_level_id":"2","timestamp":"17"}}`, "",
			ManifestEntry{UUID: u, Info: "x", Date: "2020-01-02", Analysis: 1, ThreatLevel: 2, Timestamp: 17}},
		{"upper-case key", `{"` + strings.ToUpper(u) + `":{"info":"x"}}`, "", ManifestEntry{UUID: u, Info: "x"}},
		{"bad key", `{"nope":{"info":"x"}}`, `key "nope" is not an event uuid`, ManifestEntry{}},
		{"not an object", `{"` + u + `":[1]}`, "not an object", ManifestEntry{}},
		{"bad date", `{"` + u + `":{"date":"2020-13-45"}}`, `date: "2020-13-45" is not a date`, ManifestEntry{}},
		{"bad threat", `{"` + u + `":{"threat_level_id":9}}`, "threat_level_id: 9 is not between 1 and 4", ManifestEntry{}},
		{"bad timestamp", `{"` + u + `":{"timestamp":"soon"}}`, `timestamp: "soon" is not epoch seconds`, ManifestEntry{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, err := ParseManifest([]byte(tc.body))
			if err != nil || len(es) != 1 {
				t.Fatalf("%v %+v", err, es)
			}
			if tc.refused != "" {
				if !strings.Contains(es[0].Refused, tc.refused) {
					t.Fatalf("refused %q, want %q", es[0].Refused, tc.refused)
				}
				return
			}
			if !reflect.DeepEqual(es[0], tc.want) {
				t.Fatalf("%+v, want %+v", es[0], tc.want)
			}
		})
	}
	for _, body := range []string{`[]`, `"x"`, `null`, `{`} {
		if _, err := ParseManifest([]byte(body)); err == nil {
			t.Errorf("ParseManifest(%s): no error", body)
		}
	}
	if _, err := WriteManifest([]ManifestEntry{{UUID: "x"}}); err == nil {
		t.Error("WriteManifest of a bad uuid: no error")
	}
}

func TestHashes(t *testing.T) {
	const u = "56bf399d-c46c-4fdb-a9cf-d9bb02de0b81"
	hs, err := ParseHashes([]byte("0749BAE92CA336A02C83D126E04EC628," + strings.ToUpper(u) + "\r\n\n5d41402abc4b2a76b9719d911017c592," + u))
	if err != nil {
		t.Fatal(err)
	}
	want := []Hash{{"0749bae92ca336a02c83d126e04ec628", u}, {"5d41402abc4b2a76b9719d911017c592", u}}
	if !slices.Equal(hs, want) {
		t.Fatalf("%+v", hs)
	}
	b, err := WriteHashes(hs)
	if err != nil || string(b) != "0749bae92ca336a02c83d126e04ec628,"+u+"\n5d41402abc4b2a76b9719d911017c592,"+u+"\n" {
		t.Fatalf("%q %v", b, err)
	}
	for body, want := range map[string]string{
		"abc," + u:                                    `line 1: "abc" is not an md5`,
		"\n5d41402abc4b2a76b9719d911017c592":          "line 2: ",
		"5d41402abc4b2a76b9719d911017c592,not-uuid":   `"not-uuid" is not an event uuid`,
		"5d41402abc4b2a76b9719d911017c59z," + u:       "is not an md5",
		"5d41402abc4b2a76b9719d911017c592," + u + ",": "is not an event uuid",
	} {
		if _, err := ParseHashes([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseHashes(%q): %v, want %q", body, err, want)
		}
	}
	if _, err := WriteHashes([]Hash{{"x", u}}); err == nil {
		t.Error("WriteHashes of a bad md5: no error")
	}
	big := make([]byte, MaxHashesBytes+1)
	if _, err := ParseHashes(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too big: %v", err)
	}
}

func TestEventHashes(t *testing.T) {
	md := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	e := one(t, `{"Event":{"uuid":"56bf399d-c46c-4fdb-a9cf-d9bb02de0b81","Attribute":[
		{"type":"domain","value":"example.org","to_ids":true},
		{"type":"filename|md5","value":"a.exe|0749bae92ca336a02c83d126e04ec628"},
		{"type":"text","value":"hello","deleted":true}],
		"Object":[{"name":"x","Attribute":[{"type":"regkey|value","value":"HKLM\\Run|x|y"}]}]}}`)
	var got []string
	for _, h := range EventHashes(e) {
		if h.Event != e.UUID {
			t.Fatalf("event %s", h.Event)
		}
		got = append(got, h.MD5)
	}
	want := []string{md("example.org"), md("a.exe"), md("0749bae92ca336a02c83d126e04ec628"), md("hello"), md(`HKLM\Run`), md("x"), md("y")}
	if !slices.Equal(got, want) {
		t.Fatalf("hashes %q, want %q", got, want)
	}
	// The fixture feed's event: one hash per attribute value.
	evs, err := ParseEvents(fixture(t, "feeds/circl-misp-test-feed/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json"))
	if err != nil {
		t.Fatal(err)
	}
	if hs := EventHashes(evs[0]); len(hs) != 1 || hs[0].MD5 != md(evs[0].Attributes[0].Value) {
		t.Fatalf("fixture hashes %+v", hs)
	}
}
