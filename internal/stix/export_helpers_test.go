package stix

import "testing"

// What the external tests (package stix_test, which may import the hub)
// use of the package's test helpers.

// Validator validates objects against the OASIS schemas.
type Validator = validator

// NewValidator is newValidator.
func NewValidator(t *testing.T) *Validator { return newValidator(t) }

// Validate is validate.
func (v *validator) Validate(o Object) { v.validate(o) }

// MustJSON is mustJSON.
func MustJSON(t *testing.T, v any) []byte { return mustJSON(t, v) }
