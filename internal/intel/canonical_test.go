package intel_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// TestCanonicalKnowsEveryField fails when Record, or a struct inside it,
// gains a field: MarshalCanonical must then be taught it.
func TestCanonicalKnowsEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[intel.Record](): 31, reflect.TypeFor[intel.Audience](): 2, reflect.TypeFor[intel.Origin](): 3,
		reflect.TypeFor[intel.Handling](): 3, reflect.TypeFor[intel.Evaluation](): 2,
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields, MarshalCanonical writes %d: update internal/intel/canonical.go", typ, typ.NumField(), n)
		}
	}
}

func FuzzMarshalCanonical(f *testing.F) {
	f.Add("id", "1.2.3.4", "desc \u2028 \"q\" \\ \x01 é \xff", "H3", "ref", "grp", int64(1732000000123456), 50, true, false, 3, "B")
	f.Add("", "", "", "", "", "", int64(0), 0, false, true, 0, "")
	f.Add("x", "", "", "", "", "", int64(0), 1<<60+1, false, false, 0, "")
	f.Fuzz(func(t *testing.T, id, value, text, code, ref, group string, us int64, conf int, personal, redacted bool, cred int, rel string) {
		ts := time.UnixMicro(us).UTC()
		if ts.Year() < 0 || ts.Year() > 9999 {
			return
		}
		at := func(b bool) *time.Time {
			if b {
				return &ts
			}
			return nil
		}
		r := intel.Record{ID: id, Type: observable.Type(code), Value: value, Region: ref, NumberType: group, Carrier: text, BIN: value,
			Labels: []string{text, value}, Description: text, Confidence: conf, TLP: intel.TLP(rel),
			Audience: intel.Audience{Orgs: []string{id}, Groups: nil}, Handling: intel.Handling{Codes: []string{code}, Purpose: ref, Conditions: text},
			Discoverable: !personal, Personal: personal, Evaluation: intel.Evaluation{Reliability: rel, Credibility: cred},
			Reference: ref, FirstSeen: at(personal), LastSeen: at(redacted), ValidUntil: at(personal != redacted),
			Originator: group, Created: ts, Updated: ts.Add(time.Second), Version: conf, Revoked: at(redacted), RevokedReason: text, Redacted: redacted, Subdomains: personal}
		if personal {
			r.Labels, r.Audience.Groups = nil, []string{}
		}
		if redacted {
			r.Warnings = []string{ref, text}
		}
		if !personal {
			r.Tags = []string{text, ref}
		}
		if conf%2 == 1 {
			r.Origin = &intel.Origin{Hub: group, Org: value, ID: text}
		}
		raw, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.MarshalCanonical(); string(got) != string(want) {
			t.Fatalf("MarshalCanonical\n%s\ndiffers from JCS\n%s", got, want)
		}
	})
}
