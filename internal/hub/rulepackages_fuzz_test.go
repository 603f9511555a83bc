package hub

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/screen"
)

// FuzzRulePackageInput: a posted package is read and compiled, or refused
// with a *intel.FieldError naming a member of package; never a panic, and
// a rule's refusal names the rule by its index.
func FuzzRulePackageInput(f *testing.F) {
	f.Add([]byte(`{"name":"n","threshold":0.5,"rules":[{"id":"r","expr":"third_party","score":1,"reason":"x"}]}`))
	f.Add([]byte(`{"name":"n","threshold":0.5,"rules":[{"id":"r","expr":"lead_hours < depart","score":1,"reason":"x"}]}`))
	f.Add([]byte(`{"name":"n","threshold":0,"rules":[]}`))
	f.Add([]byte(`{"rules":[{"id":"a","expr":"1 +","score":1,"reason":"x"},{"id":"a","expr":"true","score":1,"reason":"x"}],"threshold":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodeRulePackage(json.RawMessage(data))
		if err == nil {
			p.ID, p.Version = "p", 1
			err = compileField(p)
			if err == nil {
				if _, cerr := screen.Compile(p); cerr != nil {
					t.Fatalf("compileField passed what Compile refuses: %v", cerr)
				}
				return
			}
		}
		var fe *intel.FieldError
		if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "package") {
			t.Fatalf("%q: %v is not a field error on package", data, err)
		}
	})
}
