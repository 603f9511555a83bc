package misp

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// A MISP feed is a directory: manifest.json (one entry per event, keyed by
// event uuid), <uuid>.json per event, and optionally hashes.csv (one line
// "<md5 of a value>,<event uuid>" per attribute value, for fast lookups).
//
// SPEC: https://www.misp-project.org/feeds/ (PyMISP feed-generator writes
// both files as described here).

// Bounds on a manifest and a hashes file.
const (
	MaxManifestBytes   = 64 << 20
	MaxManifestEntries = 1_000_000
	MaxHashesBytes     = 256 << 20
	MaxHashLines       = 5_000_000
)

// ManifestEntry is one event of a feed's manifest.json.
type ManifestEntry struct {
	UUID        string
	Info        string
	Date        string // YYYY-MM-DD
	Orgc        Org
	Tags        []string // tag names as given (tlp:white included)
	Timestamp   int64
	ThreatLevel int // 1..4, 0 when absent
	Analysis    int // 0..2
	// Refused is set when the entry cannot be read; the fields above are
	// then only the uuid.
	Refused string
}

// ParseManifest reads manifest.json: {"<event uuid>": {...}, ...}, entries
// in uuid order. An entry that cannot be read comes back with Refused set;
// only a body that is not a JSON object, or too large, fails the call.
func ParseManifest(data []byte) ([]ManifestEntry, error) {
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("misp: manifest of %d bytes: %w (max %d)", len(data), ErrTooLarge, MaxManifestBytes)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, fmt.Errorf("misp: manifest: a JSON %s, not an object of events by uuid", jsonKind(data))
	}
	if len(m) > MaxManifestEntries {
		return nil, fmt.Errorf("misp: manifest: %d entries: %w (max %d)", len(m), ErrTooLarge, MaxManifestEntries)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ManifestEntry, 0, len(keys))
	for _, k := range keys {
		e, err := manifestEntry(k, m[k])
		if err != nil {
			e = ManifestEntry{UUID: clip(k), Refused: err.Error()}
		}
		out = append(out, e)
	}
	return out, nil
}

func manifestEntry(key string, raw json.RawMessage) (ManifestEntry, error) {
	if !isUUID(key) {
		return ManifestEntry{}, fmt.Errorf("key %q is not an event uuid", clip(key))
	}
	m, err := object(raw)
	if err != nil {
		return ManifestEntry{}, err
	}
	e := ManifestEntry{UUID: strings.ToLower(key)}
	var bad error
	skip := func(where, format string, a ...any) {
		if bad == nil {
			bad = fmt.Errorf("%s: %s", where, fmt.Sprintf(format, a...))
		}
	}
	e.Info, err = str(m["info"])
	if err != nil {
		skip("info", "%v", err)
	}
	if e.Date, err = str(m["date"]); err != nil {
		skip("date", "%v", err)
	} else if _, err := time.Parse("2006-01-02", e.Date); e.Date != "" && err != nil {
		skip("date", "%q is not a date (YYYY-MM-DD)", clip(e.Date))
	}
	e.Orgc = org(m["Orgc"], "Orgc", skip)
	e.Timestamp = epoch(m["timestamp"], "timestamp", skip)
	e.ThreatLevel = bounded(m["threat_level_id"], "threat_level_id", 1, 4, skip)
	e.Analysis = bounded(m["analysis"], "analysis", 0, 2, skip)
	e.Tags = tagNames(m["Tag"], skip)
	return e, bad
}

func bounded(raw json.RawMessage, where string, lo, hi int, skip func(string, string, ...any)) int {
	n, ok, err := intish(raw)
	if err != nil {
		skip(where, "%v", err)
		return 0
	}
	if ok && (n < lo || n > hi) {
		skip(where, "%d is not between %d and %d", n, lo, hi)
		return 0
	}
	return n
}

// tagNames reads Tag[].name as given.
func tagNames(raw json.RawMessage, skip func(string, string, ...any)) []string {
	items, err := list(raw)
	if err != nil {
		skip("Tag", "%v", err)
		return nil
	}
	var out []string
	for i, it := range items {
		tm, err := object(it)
		if err != nil {
			skip(fmt.Sprintf("Tag[%d]", i), "%v", err)
			continue
		}
		name, err := str(tm["name"])
		if err != nil || strings.TrimSpace(name) == "" {
			skip(fmt.Sprintf("Tag[%d].name", i), "missing or not a string")
			continue
		}
		out = append(out, strings.TrimSpace(name))
	}
	return out
}

type manifestOut struct {
	Orgc        outOrg   `json:"Orgc"`
	Tag         []outTag `json:"Tag"`
	Info        string   `json:"info"`
	Date        string   `json:"date"`
	Analysis    int      `json:"analysis"`
	ThreatLevel int      `json:"threat_level_id,omitempty"` // absent when unknown (0)
	Timestamp   int64    `json:"timestamp"`
}

// WriteManifest writes entries as manifest.json, with integers as PyMISP
// writes them. Entries that are refused or have no uuid are an error.
func WriteManifest(entries []ManifestEntry) ([]byte, error) {
	m := make(map[string]manifestOut, len(entries))
	for i, e := range entries {
		if e.Refused != "" || !isUUID(e.UUID) {
			return nil, fmt.Errorf("misp: manifest entry %d: uuid %q is not a uuid or the entry is refused", i, clip(e.UUID))
		}
		tags := make([]outTag, 0, len(e.Tags))
		for _, t := range e.Tags {
			tag := outTag{Name: t}
			if l, err := tlpLevel(strings.TrimPrefix(strings.ToLower(t), "tlp:")); err == nil && strings.HasPrefix(strings.ToLower(t), "tlp:") {
				tag.Colour = tlpColours[l]
			}
			tags = append(tags, tag)
		}
		m[strings.ToLower(e.UUID)] = manifestOut{Orgc: outOrg(e.Orgc), Tag: tags, Info: e.Info, Date: e.Date,
			Analysis: e.Analysis, ThreatLevel: e.ThreatLevel, Timestamp: e.Timestamp}
	}
	return json.Marshal(m)
}

// Hash is one line of hashes.csv: the md5 (lowercase hex) of an attribute
// value and the uuid of the event that holds it.
type Hash struct {
	MD5   string
	Event string
}

// ParseHashes reads hashes.csv. Empty lines are ignored; any other line
// that is not "<32 hex>,<uuid>" fails the call with its line number.
func ParseHashes(data []byte) ([]Hash, error) {
	if len(data) > MaxHashesBytes {
		return nil, fmt.Errorf("misp: hashes.csv of %d bytes: %w (max %d)", len(data), ErrTooLarge, MaxHashesBytes)
	}
	var out []Hash
	for n, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if l == "" {
			continue
		}
		if len(out) == MaxHashLines {
			return nil, fmt.Errorf("misp: hashes.csv: more than %d lines: %w", MaxHashLines, ErrTooLarge)
		}
		h, err := parseHash(l)
		if err != nil {
			return nil, fmt.Errorf("misp: hashes.csv line %d: %w", n+1, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func parseHash(l string) (Hash, error) {
	sum, ev, ok := strings.Cut(l, ",")
	sum, ev = strings.TrimSpace(sum), strings.TrimSpace(ev)
	if !ok {
		return Hash{}, fmt.Errorf("%q: want <md5>,<event uuid>", clip(l))
	}
	if b, err := hex.DecodeString(sum); err != nil || len(b) != md5.Size {
		return Hash{}, fmt.Errorf("%q is not an md5 (32 hex digits)", clip(sum))
	}
	if !isUUID(ev) {
		return Hash{}, fmt.Errorf("%q is not an event uuid", clip(ev))
	}
	return Hash{MD5: strings.ToLower(sum), Event: strings.ToLower(ev)}, nil
}

// WriteHashes writes hashes as hashes.csv, one "<md5>,<uuid>" line each.
func WriteHashes(hashes []Hash) ([]byte, error) {
	var b bytes.Buffer
	for i, h := range hashes {
		if _, err := parseHash(h.MD5 + "," + h.Event); err != nil {
			return nil, fmt.Errorf("misp: hash %d: %w", i, err)
		}
		b.WriteString(strings.ToLower(h.MD5) + "," + strings.ToLower(h.Event) + "\n")
	}
	return b.Bytes(), nil
}

// EventHashes returns the hashes.csv lines of a parsed event as PyMISP's
// feed generator computes them (MISPEvent.attributes_hashes("md5")): the
// md5 of each attribute's value, event attributes then object attributes;
// a composite type (a '|' in the type) or malware-sample has each
// '|'-separated part of its value hashed on its own. Deleted attributes
// are included, as PyMISP does; an event without a uuid has none.
func EventHashes(e Event) []Hash {
	if e.UUID == "" {
		return nil
	}
	var out []Hash
	for _, a := range e.Attributes {
		out = appendHashes(out, e.UUID, a.Type, a.Value)
	}
	return out
}

func appendHashes(out []Hash, event, typ, value string) []Hash {
	parts := []string{value}
	if strings.Contains(typ, "|") || typ == "malware-sample" {
		parts = strings.Split(value, "|")
	}
	for _, p := range parts {
		sum := md5.Sum([]byte(p))
		out = append(out, Hash{MD5: hex.EncodeToString(sum[:]), Event: event})
	}
	return out
}

// ExportedHashes returns the hashes.csv lines of an event EventFor wrote
// (flat attributes, no objects): EventHashes of it, without reading it
// as a whole (a feed's hashes.csv hashes every event it serves).
func ExportedHashes(data []byte) ([]Hash, error) {
	var ev struct {
		Event struct {
			UUID      string `json:"uuid"`
			Attribute []struct {
				Type  string `json:"type"`
				Value string `json:"value"`
			} `json:"Attribute"`
		} `json:"Event"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("misp: not an event EventFor wrote: %w", err)
	}
	if ev.Event.UUID == "" {
		return nil, nil
	}
	var out []Hash
	for _, a := range ev.Event.Attribute {
		out = appendHashes(out, ev.Event.UUID, a.Type, a.Value)
	}
	return out, nil
}
