package stix

import "testing"

// NewValidatorForTest gives the external tests (demo_test.go, which seeds
// a hub, and the hub imports this package) the schema validation of
// export_test.go: it validates an object against its type's schema.
func NewValidatorForTest(t *testing.T) func(Object) {
	v := newValidator(t)
	return v.validate
}
