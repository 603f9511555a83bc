package misp

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MISP writes scalars as strings in event files and as numbers or booleans
// elsewhere; these helpers accept every form MISP itself accepts.

// str reads a string or a number as text; null and absence are "".
func str(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("a JSON %s, not a string", jsonKind(raw))
}

// boolish reads true/false, 1/0, "1"/"0" and "true"/"false".
func boolish(raw json.RawMessage) (bool, error) {
	if isNull(raw) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	s, err := str(raw)
	if err != nil {
		return false, fmt.Errorf("a JSON %s, not a boolean", jsonKind(raw))
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true":
		return true, nil
	case "0", "false", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true, false, 1, 0)", clip(s))
}

// intish reads a number or a numeric string; ok is false when absent.
func intish(raw json.RawMessage) (n int, ok bool, err error) {
	if isNull(raw) {
		return 0, false, nil
	}
	s, err := str(raw)
	if err != nil {
		return 0, false, fmt.Errorf("a JSON %s, not a number", jsonKind(raw))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.Atoi(s)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not an integer", clip(s))
	}
	return n, true, nil
}

// seen reads first_seen/last_seen: RFC 3339 with or without fraction
// (MISP writes "2019-06-25T15:13:44.000000+00:00"), or epoch seconds.
func seen(raw json.RawMessage) (*time.Time, error) {
	s, err := str(raw)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 253402300799 {
			return nil, fmt.Errorf("%q is out of range", clip(s))
		}
		t := time.Unix(n, 0).UTC()
		return &t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("%q is not a time (RFC 3339 or epoch seconds)", clip(s))
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// list reads a list of objects; [] , {} and null are empty. A single
// object is accepted as a list of one, as MISP's own parser does.
func list(raw json.RawMessage) ([]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err == nil {
		return items, nil
	}
	m, err := object(raw)
	if err != nil {
		return nil, fmt.Errorf("a JSON %s, not a list", jsonKind(raw))
	}
	if len(m) == 0 {
		return nil, nil
	}
	return []json.RawMessage{raw}, nil
}

// isUUID reports whether s has the 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// epoch reads epoch seconds as a string or a number; absent is 0. A bad
// value is noted through skip and read as 0.
func epoch(raw json.RawMessage, where string, skip func(string, string, ...any)) int64 {
	s, err := str(raw)
	if err != nil {
		skip(where, "%v", err)
		return 0
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 253402300799 {
		skip(where, "%q is not epoch seconds", clip(s))
		return 0
	}
	return n
}
