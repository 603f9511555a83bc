package intel

import (
	"fmt"
	"strings"
)

// Source says where a report came from outside fusion: today a MISP event.
// It is kept in the report (so its versions and evidence cover it) for two
// things: importing the event again updates this report instead of making
// another, and exporting the report gives MISP back the event's own ids and
// the attributes that are not indicators.
type Source struct {
	Kind string `json:"kind"` // SourceMISP
	ID   string `json:"id"`   // the MISP event uuid
	// Org and OrgUUID are the event's creator organisation (MISP Orgc).
	Org     string `json:"org,omitempty"`
	OrgUUID string `json:"org_uuid,omitempty"`
	Info    string `json:"info,omitempty"`
	Date    string `json:"date,omitempty"` // YYYY-MM-DD
	// ThreatLevel is MISP's threat_level_id (1 high … 4 undefined) and
	// Analysis its analysis (0 initial, 1 ongoing, 2 completed); 0 when absent.
	ThreatLevel int `json:"threat_level,omitempty"`
	Analysis    int `json:"analysis,omitempty"`
	// Timestamp is the event's MISP timestamp (epoch seconds), 0 when absent.
	Timestamp int64 `json:"timestamp,omitempty"`
	// Attributes are the event's attributes in event order: one that became
	// a record names it (and keeps only its uuid besides: the record holds
	// the rest, under its own handling), one that did not is kept whole as
	// context.
	Attributes []SourceAttribute `json:"attributes,omitempty"`
}

// SourceMISP is the Kind of a Source that is a MISP event.
const SourceMISP = "misp"

// SourceAttribute is one attribute of a Source.
type SourceAttribute struct {
	UUID string `json:"uuid,omitempty"`
	// Record is the id of the record the attribute became. The fields
	// below are then empty.
	Record string `json:"record,omitempty"`

	Type     string   `json:"type,omitempty"`
	Category string   `json:"category,omitempty"`
	Value    string   `json:"value,omitempty"`
	ToIDs    bool     `json:"to_ids,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	Object   string   `json:"object,omitempty"` // the MISP object's name, for an object attribute
	Tags     []string `json:"tags,omitempty"`
	// Reason is why the attribute is context and not a record.
	Reason string `json:"reason,omitempty"`
}

// MaxSourceAttributes bounds the attributes a Source keeps (MISP's own
// limit on one event is far higher; fusion keeps the first ones).
const MaxSourceAttributes = 100_000

// Check validates s: a known kind, an id, and attributes that either name
// a record or carry a type.
func (s *Source) Check() error {
	if s == nil {
		return nil
	}
	if s.Kind != SourceMISP {
		return fieldErr("source.kind", s.Kind, `must be "misp"`)
	}
	if strings.TrimSpace(s.ID) == "" {
		return fieldErr("source.id", "", "is required")
	}
	if len(s.Attributes) > MaxSourceAttributes {
		return fieldErr("source.attributes", fmt.Sprint(len(s.Attributes)), "more than 100,000 attributes")
	}
	for i, a := range s.Attributes {
		if a.Record == "" && a.Type == "" {
			return fieldErr(fmt.Sprintf("source.attributes[%d]", i), a.UUID, "names neither a record nor a type")
		}
	}
	return nil
}

// OnlyRecords returns s with the attributes that became records other than
// those in keep removed: what a caller who may see only those records sees.
func (s *Source) OnlyRecords(keep func(id string) bool) *Source {
	if s == nil {
		return nil
	}
	out := *s
	out.Attributes = make([]SourceAttribute, 0, len(s.Attributes))
	for _, a := range s.Attributes {
		if a.Record == "" || keep(a.Record) {
			out.Attributes = append(out.Attributes, a)
		}
	}
	return &out
}
