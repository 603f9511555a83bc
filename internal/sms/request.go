package sms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// FieldError is a bad field of a request or verification: which field,
// the value found (JSON, shortened) and why it was refused.
type FieldError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s %s: %s", e.Field, e.Value, e.Reason)
}

// Request is one request to send a one-time code, as the sender's backend
// sees it before sending.
type Request struct {
	// ID names the request in the caller's log; optional.
	ID string
	// App is the application (or sender account) the request came to.
	App string
	// Number is the destination, E.164 ("+" and 8 to 15 digits).
	Number string
	// IP is the client's address.
	IP netip.Addr
	// UserAgent is the client's user agent; may be empty.
	UserAgent string
	// Time is when the request came.
	Time time.Time
	// VerifiedAt is when the code was entered, for recorded streams that
	// carry it (the sms scenario's requests.jsonl); zero otherwise.
	VerifiedAt time.Time
}

// Verified says that the code sent to Number for App was entered at Time.
type Verified struct {
	App    string
	Number string
	Time   time.Time
}

// requestJSON is the wire form of a request. client_ip is the sms
// scenario's name for ip; country and verified are the scenario's too, and
// are checked but not trusted (the engine finds the country itself).
type requestJSON struct {
	ID         *string          `json:"id"`
	App        *string          `json:"app"`
	Number     *string          `json:"number"`
	IP         *string          `json:"ip"`
	ClientIP   *string          `json:"client_ip"`
	UserAgent  *string          `json:"user_agent"`
	Time       *json.RawMessage `json:"time"`
	Country    *string          `json:"country"`
	Verified   *bool            `json:"verified"`
	VerifiedAt *json.RawMessage `json:"verified_at"`
}

type verifiedJSON struct {
	App    *string          `json:"app"`
	Number *string          `json:"number"`
	Time   *json.RawMessage `json:"time"`
}

// Limits on fields, so that a hostile caller cannot make the engine hold
// large strings.
const (
	maxApp       = 128
	maxUserAgent = 1024
	maxID        = 128
)

// ParseRequest reads one request, a JSON object:
//
//	{"app":"shop-android","number":"+37120000001","ip":"192.0.2.1",
//	 "user_agent":"...","time":"2026-11-02T00:00:10Z"}
//
// app, number, ip (or client_ip) and time are required; user_agent and id
// are optional, and so are the sms scenario's country, verified and
// verified_at. Unknown fields, a number not in E.164 form, an address that
// is not one and a time not in RFC 3339 are errors (*FieldError) naming
// the field, the value and the reason.
func ParseRequest(data []byte) (Request, error) {
	var raw requestJSON
	if err := decodeStrict(data, &raw); err != nil {
		return Request{}, err
	}
	var r Request
	var err error
	if r.App, err = appField(raw.App); err != nil {
		return Request{}, err
	}
	if r.Number, err = numberField("number", raw.Number); err != nil {
		return Request{}, err
	}
	ip, field := raw.IP, "ip"
	if ip == nil {
		ip, field = raw.ClientIP, "client_ip"
	} else if raw.ClientIP != nil {
		return Request{}, &FieldError{Field: "client_ip", Value: quote(*raw.ClientIP), Reason: "give ip or client_ip, not both"}
	}
	if ip == nil {
		return Request{}, &FieldError{Field: "ip", Reason: "is required"}
	}
	a, perr := netip.ParseAddr(*ip)
	if perr != nil || a.Zone() != "" {
		return Request{}, &FieldError{Field: field, Value: quote(*ip), Reason: "not an IPv4 or IPv6 address"}
	}
	r.IP = a.Unmap()
	if raw.UserAgent != nil {
		if len(*raw.UserAgent) > maxUserAgent {
			return Request{}, &FieldError{Field: "user_agent", Value: quote(*raw.UserAgent), Reason: fmt.Sprintf("longer than %d bytes", maxUserAgent)}
		}
		r.UserAgent = *raw.UserAgent
	}
	if raw.ID != nil {
		if len(*raw.ID) > maxID {
			return Request{}, &FieldError{Field: "id", Value: quote(*raw.ID), Reason: fmt.Sprintf("longer than %d bytes", maxID)}
		}
		r.ID = *raw.ID
	}
	if raw.Country != nil && !isRegion(*raw.Country) {
		return Request{}, &FieldError{Field: "country", Value: quote(*raw.Country), Reason: "not an ISO 3166-1 alpha-2 code"}
	}
	if r.Time, err = timeField("time", raw.Time, true); err != nil {
		return Request{}, err
	}
	if raw.VerifiedAt != nil {
		if r.VerifiedAt, err = timeField("verified_at", raw.VerifiedAt, true); err != nil {
			return Request{}, err
		}
		if raw.Verified != nil && !*raw.Verified {
			return Request{}, &FieldError{Field: "verified_at", Value: string(*raw.VerifiedAt), Reason: "given with verified false"}
		}
		if r.VerifiedAt.Before(r.Time) {
			return Request{}, &FieldError{Field: "verified_at", Value: string(*raw.VerifiedAt), Reason: "before the request's time"}
		}
	} else if raw.Verified != nil && *raw.Verified {
		return Request{}, &FieldError{Field: "verified", Value: "true", Reason: "needs verified_at"}
	}
	return r, nil
}

// ParseVerified reads one verification, a JSON object
// {"app":"...","number":"+...","time":"..."}; every field is required and
// no other is allowed.
func ParseVerified(data []byte) (Verified, error) {
	var raw verifiedJSON
	if err := decodeStrict(data, &raw); err != nil {
		return Verified{}, err
	}
	var v Verified
	var err error
	if v.App, err = appField(raw.App); err != nil {
		return Verified{}, err
	}
	if v.Number, err = numberField("number", raw.Number); err != nil {
		return Verified{}, err
	}
	if v.Time, err = timeField("time", raw.Time, true); err != nil {
		return Verified{}, err
	}
	return v, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return &FieldError{Field: ute.Field, Value: ute.Value, Reason: "must be a " + jsonKind(ute.Type.Kind().String())}
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return &FieldError{Field: strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), Reason: "unknown field"}
		}
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("not a JSON object: data after the object")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "bool":
		return "boolean"
	case "ptr":
		return "string"
	}
	return k
}

// CheckApp checks an app's name as ParseRequest does: 1 to 128 bytes
// without control characters.
func CheckApp(app string) error {
	_, err := appField(&app)
	return err
}

func appField(s *string) (string, error) {
	if s == nil {
		return "", &FieldError{Field: "app", Reason: "is required"}
	}
	if *s == "" || len(*s) > maxApp {
		return "", &FieldError{Field: "app", Value: quote(*s), Reason: fmt.Sprintf("must be 1 to %d bytes", maxApp)}
	}
	for _, c := range []byte(*s) {
		if c < 0x20 || c == 0x7f {
			return "", &FieldError{Field: "app", Value: quote(*s), Reason: "holds a control character"}
		}
	}
	return *s, nil
}

// numberField checks E.164 form: "+", a first digit 1 to 9, 8 to 15 digits
// in all. Whether the number exists is the analysis's business.
func numberField(field string, s *string) (string, error) {
	if s == nil {
		return "", &FieldError{Field: field, Reason: "is required"}
	}
	if !isE164(*s) {
		return "", &FieldError{Field: field, Value: quote(*s), Reason: "not an E.164 number (+ and 8 to 15 digits, the first not 0)"}
	}
	return *s, nil
}

func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isRegion(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func timeField(field string, raw *json.RawMessage, required bool) (time.Time, error) {
	if raw == nil {
		if required {
			return time.Time{}, &FieldError{Field: field, Reason: "is required"}
		}
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(*raw, &s); err != nil {
		return time.Time{}, &FieldError{Field: field, Value: shorten(string(*raw)), Reason: "must be an RFC 3339 time string"}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FieldError{Field: field, Value: quote(s), Reason: "not an RFC 3339 time"}
	}
	if y := t.Year(); y < 1970 || y > 9999 {
		return time.Time{}, &FieldError{Field: field, Value: quote(s), Reason: "outside the years 1970 to 9999"}
	}
	return t.UTC(), nil
}

func quote(s string) string { return shorten(fmt.Sprintf("%q", s)) }

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
