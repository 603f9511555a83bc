package api

import (
	"errors"
	"net/http"
	"strconv"

	"fusion/internal/policy"
	"fusion/internal/screen"
)

// MaxScreenBody bounds one booking to screen: about 700 bytes of JSON for
// a booking of the transactions scenario, with room for long ids and
// clear names.
const MaxScreenBody = 8 << 10

// screenError makes a booking's parse error an API error: a bad field is
// invalid_field naming the field, the value (withheld for clear names and
// card numbers, as package screen does, and for unknown fields) and the
// reason; a missing field or
// a malformed object is invalid_json.
func screenError(err error) error {
	var le *screen.LineError
	if !errors.As(err, &le) {
		return err
	}
	if le.Field == "" {
		return &decodeError{"invalid_json", "booking: " + le.Reason}
	}
	if le.Reason == "unknown field" {
		// A misspelt card_number or cardholder_name would carry a clear
		// value: the field's name is enough.
		return &decodeError{"invalid_field", "booking: field " + strconv.Quote(le.Field) + ": unknown field"}
	}
	return &decodeError{"invalid_field", "booking: field " + strconv.Quote(le.Field) + ": value " + strconv.Quote(le.Value) + ": " + le.Reason}
}

// screenBooking answers POST /api/v1/screen with one booking (the fields
// of a bookings.jsonl line): flag or pass, the score, the rules that
// fired with their reasons, and the ring it is linked into. With
// ?package=ID it screens with that shared rule package (its current
// version visible to the caller), else with the built-in one.
func (s *Server) screenBooking(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "package")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.hub.ScreenWithPackage(r.Context(), c, q.Get("package"), body)
	if err != nil {
		s.fail(w, r, screenError(err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}
