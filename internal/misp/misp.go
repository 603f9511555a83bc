// Package misp reads MISP events (the JSON MISP and PyMISP produce) into
// what fusion keeps: one Event per MISP event, and per attribute either a
// record to submit (intel.RecordInput) or the reason it is not one. It
// also writes a report and its records as a MISP event (EventFor) and
// reads and writes a MISP feed's manifest.json and hashes.csv.
//
// Real MISP data is messier than MISP's own JSON schemas: scalars arrive as
// strings or numbers ("to_ids": "1", true or 1; "distribution": "0" or 0),
// SharingGroup as [], {} or {"id": null}, uuids may be missing. The parser
// accepts what MISP accepts and refuses the rest per item with a reason;
// only a body that is not JSON, or not an event envelope, fails the call.
// The mapping is documented in docs/misp.md.
//
// SPEC: https://www.misp-project.org/datamodels/
package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fusion/internal/intel"
)

// Bounds on what one call reads.
const (
	MaxBodyBytes          = 64 << 20
	MaxEvents             = 10_000
	MaxAttributesPerEvent = 100_000
)

// ErrNotEnvelope is wrapped by ParseEvents when the body is JSON but not a
// MISP event envelope; ErrTooLarge when it exceeds a bound.
var (
	ErrNotEnvelope = errors.New("not a MISP event envelope")
	ErrTooLarge    = errors.New("too large")
)

// Event is one MISP event as fusion keeps it.
type Event struct {
	UUID        string
	Info        string
	Date        string // YYYY-MM-DD as MISP gives it, or empty
	ThreatLevel int    // threat_level_id: 1 high … 4 undefined; 0 when absent
	Analysis    int    // 0 initial, 1 ongoing, 2 completed
	// Distribution is MISP's 0..5, or -1 when absent; SharingGroup is the
	// sharing group's uuid (or id when it has no uuid) for distribution 4.
	Distribution int
	SharingGroup string
	Orgc         Org
	// Timestamp and PublishTimestamp are MISP's timestamp and
	// publish_timestamp (epoch seconds), 0 when absent.
	Timestamp        int64
	PublishTimestamp int64
	// Tags are the canonical tags, galaxies included; TLP and the mapped
	// namespaces (fusion, admiralty-scale reliability and credibility) are
	// not among them.
	Tags []string
	TLP  intel.TLP // from the event's tlp:* tags; amber when none
	// Handling, Audience and Labels are what the event's fusion tags say,
	// for the report (nil when it has none); its attributes take them too
	// unless they have their own.
	Handling   *intel.Handling
	Audience   *intel.Audience
	Labels     []string
	Attributes []Attribute
	// Skipped names what was refused in this event (undecodable attributes,
	// tags that are not tags, fields with bad values) and why.
	Skipped []Skip
	// Refused is set when a list item is not a MISP event at all; the
	// rest of the Event is then empty.
	Refused string
}

// Org is a MISP organisation.
type Org struct {
	Name string
	UUID string
}

// Attribute is one MISP attribute (of the event or of one of its objects).
// Exactly one of Record and Reason is set.
type Attribute struct {
	UUID     string
	Type     string // the MISP type, e.g. "ip-dst" or "filename|md5"
	Value    string
	Category string
	Object   string // the MISP object's name when the attribute is in one
	ToIDs    bool
	Deleted  bool
	Comment  string
	Tags     []string // its own tags, without TLP and the mapped namespaces
	TLP      intel.TLP
	// Distribution is the attribute's MISP distribution 0..5, or -1 when
	// absent (5 and absent both mean the event's).
	Distribution int
	Sightings    []Sighting
	// Record is the record the attribute becomes (to_ids true, an
	// observable type, not deleted); Reason says why it is not one.
	Record *intel.RecordInput
	Reason string
}

// The MISP sighting types.
const (
	SightingSeen          = 0
	SightingFalsePositive = 1
	SightingExpiration    = 2
)

// Sighting is one MISP sighting of an attribute.
type Sighting struct {
	UUID   string
	Type   int // SightingSeen, SightingFalsePositive or SightingExpiration
	Time   time.Time
	Source string
	Org    Org
}

// Skip is something refused, where it was and why.
type Skip struct {
	Where  string // e.g. "Attribute[3]", "Object[1].Attribute[0].Tag[2]"
	Reason string
}

// ParseEvents reads every MISP event in data: {"Event":{...}}, a bare event,
// restSearch {"response":[...]}, or a JSON list of either form.
func ParseEvents(data []byte) ([]Event, error) {
	if len(data) > MaxBodyBytes {
		return nil, fmt.Errorf("misp: body of %d bytes: %w (max %d)", len(data), ErrTooLarge, MaxBodyBytes)
	}
	data = bytes.TrimSpace(data)
	// A list or an object is checked by its first decoding (one pass over
	// the body fewer than json.Valid first: feeds are big).
	notJSON := func(err error) error { return fmt.Errorf("misp: body is not JSON: %v", err) }
	switch {
	case len(data) > 0 && data[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return nil, notJSON(err)
		}
		return parseTop(items, "")
	case len(data) > 0 && data[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, notJSON(err)
		}
		if r, ok := obj["response"]; ok {
			if b := bytes.TrimSpace(r); len(b) > 0 && b[0] == '[' {
				return parseList(b, "response")
			}
			if ev, ok, err := unwrap(r); err == nil && ok {
				return parseTop([]json.RawMessage{ev}, "response")
			}
			return nil, fmt.Errorf("misp: %w: response is not a list of events", ErrNotEnvelope)
		}
		ev, ok, err := unwrap(data)
		if err != nil {
			return nil, fmt.Errorf("misp: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("misp: %w: the object has none of Event, response or the event fields (%s); its keys are %s",
				ErrNotEnvelope, strings.Join(eventKeys, ", "), keyList(obj))
		}
		return parseTop([]json.RawMessage{ev}, "")
	case !json.Valid(data):
		var v any
		return nil, notJSON(json.Unmarshal(data, &v))
	default:
		return nil, fmt.Errorf("misp: %w: a JSON %s, not an object or a list", ErrNotEnvelope, jsonKind(data))
	}
}

// eventKeys are the fields whose presence makes an object a bare event.
var eventKeys = []string{"info", "uuid", "Attribute", "Object", "Orgc", "date", "threat_level_id", "analysis"}

// unwrap returns the event object inside {"Event":{...}} or a bare event,
// and whether raw is an event at all.
func unwrap(raw json.RawMessage) (json.RawMessage, bool, error) {
	obj, err := object(raw)
	if err != nil {
		return nil, false, err
	}
	if ev, ok := obj["Event"]; ok {
		// ev is valid JSON (raw was): its kind is all there is to check.
		if k := jsonKind(ev); k != "object" {
			return nil, false, fmt.Errorf("Event: a JSON %s, not an object", k)
		}
		return ev, true, nil
	}
	for _, k := range eventKeys {
		if _, ok := obj[k]; ok {
			return raw, true, nil
		}
	}
	return nil, false, nil
}

func parseList(data []byte, where string) ([]Event, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("misp: %s: %w: %v", orTop(where), ErrNotEnvelope, err)
	}
	return parseTop(items, where)
}

func orTop(where string) string {
	if where == "" {
		return "the list"
	}
	return where
}

func parseTop(items []json.RawMessage, where string) ([]Event, error) {
	if len(items) > MaxEvents {
		return nil, fmt.Errorf("misp: %d events: %w (max %d per call)", len(items), ErrTooLarge, MaxEvents)
	}
	// Events are independent: a list of many (a feed, a restSearch page)
	// is read on every core, each event into its own slot.
	out := make([]Event, len(items))
	errs := make([]error, len(items))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(items); i = int(next.Add(1) - 1) {
				out[i], errs[i] = parseItem(items[i], i, where)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseItem reads item i of a list of events.
func parseItem(it json.RawMessage, i int, where string) (Event, error) {
	at := fmt.Sprintf("[%d]", i)
	if where != "" {
		at = where + at
	}
	ev, ok, err := unwrap(it)
	if err != nil || !ok {
		reason := "not a MISP event"
		if err != nil {
			reason += ": " + err.Error()
		} else if obj, err := object(it); err == nil {
			reason += "; its keys are " + keyList(obj)
		}
		return Event{Distribution: -1, Refused: at + ": " + reason}, nil
	}
	e, err := parseEvent(ev)
	if err != nil {
		return Event{}, fmt.Errorf("misp: %s: %w", at, err)
	}
	return e, nil
}

// object decodes raw as a JSON object, keeping its members raw.
func object(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("a JSON %s, not an object", jsonKind(raw))
	}
	return m, nil
}

func keyList(m map[string]json.RawMessage) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "…")
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

func jsonKind(raw []byte) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "empty value"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "list"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
