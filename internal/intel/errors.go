package intel

import (
	"errors"
	"fmt"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrInvalid is wrapped by every validation error (see FieldError).
	ErrInvalid = errors.New("invalid")
	// ErrNotFound means the object does not exist, or the caller may not know that it does.
	ErrNotFound = errors.New("not found")
	// ErrForbidden means the caller may see the object but not do this to it.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict means the object already exists or changed underneath.
	ErrConflict = errors.New("conflict")
)

// FieldError names the field, the value given and the reason it was refused.
type FieldError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: %q: %s", e.Field, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, value, reason string) error {
	return &FieldError{Field: field, Value: value, Reason: reason}
}
