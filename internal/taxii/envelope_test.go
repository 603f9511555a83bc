package taxii

import (
	"bytes"
	"encoding/json"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/stix"
)

// envelope is TAXII's envelope of objects as encoding/json writes it.
type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// TestAppendEnvelope: the envelope written object by object is the bytes
// encoding/json gives for the whole envelope, HTML escaping included, with
// and without next and objects.
func TestAppendEnvelope(t *testing.T) {
	amber, err := stix.TLPMarking(intel.Amber)
	if err != nil {
		t.Fatal(err)
	}
	odd := stix.IdentityFor(&intel.Org{ID: "org-<b>&c", Name: "Banks & <Co> \u2028 \"quoted\"", Sector: "bank", Country: "NL"})
	objs := []hub.TAXIIObject{{Object: amber}, {Object: stix.FusionIdentity()}, {Object: odd}, {Object: stix.FusionExtension()}}
	for _, page := range []hub.ObjectPage{
		{},
		{More: true, Next: "MTIuMC4zNA<&>"},
		{Objects: objs},
		{Objects: objs[:1], More: true, Next: "abc"},
	} {
		want := envelope{More: page.More, Next: page.Next}
		for _, o := range page.Objects {
			raw, err := json.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			want.Objects = append(want.Objects, raw)
		}
		wantB, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		wantB = append(wantB, '\n')
		got, err := appendEnvelope(nil, page)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantB) {
			t.Errorf("page of %d objects, next %q:\n got %s\nwant %s", len(page.Objects), page.Next, got, wantB)
		}
	}
}
