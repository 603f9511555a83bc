package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/stix"
)

// apiError is the body of every error answer.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Error apiError `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{apiError{Code: code, Message: msg}})
}

// classify maps an error to a status and an error code. It is the only
// place errors become HTTP.
func classify(err error) (int, apiError) {
	var (
		oe  *observable.Error
		fe  *intel.FieldError
		we  *hub.WarningListError
		de  *decodeError
		mbe *http.MaxBytesError
		ie  *stix.ImportError
	)
	switch {
	case errors.As(err, &de):
		return http.StatusBadRequest, apiError{de.code, de.msg}
	case errors.As(err, &ie):
		return http.StatusBadRequest, apiError{"invalid_bundle", ie.Error()}
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, apiError{"body_too_large", fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}
	case errors.As(err, &oe):
		return http.StatusBadRequest, apiError{"invalid_value", err.Error()} // with the field a caller named, if any
	case errors.As(err, &we):
		return http.StatusBadRequest, apiError{"warning_list", err.Error()}
	case errors.As(err, &fe):
		return http.StatusBadRequest, apiError{"invalid_field", fe.Error()}
	case errors.Is(err, hub.ErrUnauthenticated):
		return http.StatusUnauthorized, apiError{"unauthorized", err.Error()}
	case errors.Is(err, hub.ErrNoIndex):
		return http.StatusServiceUnavailable, apiError{"unavailable", err.Error()}
	case errors.Is(err, hub.ErrRateLimited):
		return http.StatusTooManyRequests, apiError{"rate_limited", err.Error()}
	case errors.Is(err, hub.ErrTooMany):
		return http.StatusRequestEntityTooLarge, apiError{"batch_too_large", err.Error()}
	case errors.Is(err, intel.ErrForbidden):
		return http.StatusForbidden, apiError{"forbidden", err.Error()}
	case errors.Is(err, intel.ErrNotFound):
		return http.StatusNotFound, apiError{"not_found", err.Error()}
	case errors.Is(err, intel.ErrConflict):
		return http.StatusConflict, apiError{"conflict", err.Error()}
	case errors.Is(err, evidence.ErrInconsistent):
		return http.StatusServiceUnavailable, apiError{"evidence_inconsistent", err.Error()}
	case errors.Is(err, evidence.ErrRange):
		return http.StatusBadRequest, apiError{"invalid_field", err.Error()}
	}
	return http.StatusInternalServerError, apiError{"internal", "internal error"}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, e := classify(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fusion"`)
	}
	writeJSON(w, status, errorBody{e})
}

// itemError is the error form inside a batch answer.
func itemError(err error) *apiError {
	_, e := classify(err)
	return &e
}

// decodeError is a body that could not be decoded into the expected shape.
type decodeError struct {
	code, msg string
}

func (e *decodeError) Error() string { return e.msg }

// decode reads one JSON value from r.Body into v, refusing unknown fields
// and trailing data.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

// decodeOptional is decode for bodies whose fields are all optional: an
// empty body is the empty object.
func decodeOptional(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeBytes(body, v)
}

// readBody reads a request body that must not be empty.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &decodeError{"invalid_json", "request body is empty; a JSON object is expected"}
	}
	return body, nil
}

func decodeBytes(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, b)
	}
	if dec.More() {
		return &decodeError{"invalid_json", "unexpected data after the JSON value"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &decodeError{"invalid_json", "unexpected data after the JSON value"}
	}
	return nil
}

// jsonError turns encoding/json's errors into messages that name the
// field, the value (read back from raw, the body that failed) and the
// reason.
func jsonError(err error, raw []byte) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
		pe *time.ParseError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		return &decodeError{"invalid_json", fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return &decodeError{"invalid_json", "invalid JSON: unexpected end of input"}
	case errors.As(err, &te):
		want := jsonKind(te.Type.Kind().String())
		if te.Field == "" {
			return &decodeError{"invalid_json", fmt.Sprintf("expected a JSON %s, got %s", want, te.Value)}
		}
		return &decodeError{"invalid_field", fmt.Sprintf("%s: %s: expected %s", te.Field, shown(valueAt(raw, te.Field)), want)}
	case errors.As(err, &pe):
		field := fieldHolding(raw, pe.Value)
		if field == "" {
			field = "time"
		}
		return &decodeError{"invalid_field", fmt.Sprintf("%s: %q: not an RFC 3339 time (such as 2026-11-30T09:15:00Z)", field, pe.Value)}
	case strings.HasPrefix(msg, "json: unknown field "):
		name := strings.TrimPrefix(msg, "json: unknown field ")
		return &decodeError{"unknown_field", "unknown field " + name}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	// Other UnmarshalJSON methods report their own errors.
	return &decodeError{"invalid_field", strings.TrimPrefix(msg, "json: ")}
}

// valueAt returns the JSON text at a dotted path of object keys in raw
// (as encoding/json names a field: "audience.orgs"), or nil.
func valueAt(raw []byte, path string) json.RawMessage {
	cur := json.RawMessage(raw)
	for _, key := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return nil
		}
		next, ok := obj[key]
		if !ok {
			for k, v := range obj { // encoding/json matches names case-insensitively
				if strings.EqualFold(k, key) {
					next, ok = v, true
				}
			}
		}
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// fieldHolding returns the path of the first member of raw, at any depth,
// whose value is the string s, or "".
func fieldHolding(raw []byte, s string) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var str string
		if json.Unmarshal(obj[k], &str) == nil && str == s {
			return k
		}
		if sub := fieldHolding(obj[k], s); sub != "" {
			return k + "." + sub
		}
	}
	return ""
}

// shown is a JSON value as an error message quotes it: at most 64 bytes.
func shown(v json.RawMessage) string {
	s := string(bytes.TrimSpace(v))
	if s == "" {
		return "?"
	}
	if len(s) > 64 {
		s = s[:61] + "..."
	}
	return s
}

func jsonKind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int64", "int32", "int16", "int8", "uint", "uint64", "uint32", "uint16", "uint8":
		return "a whole number"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return k
}
