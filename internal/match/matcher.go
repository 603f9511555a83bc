package match

import (
	"slices"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/policy"
)

// Finding is one matched value in one event, in the findings format that
// `fusion exercise score` reads (kind intel-contact), with what matched.
type Finding struct {
	Kind  string    `json:"kind"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Entity is the indicator value that matched (what truth lines name).
	Entity string `json:"entity"`
	// Observed is the value as seen in the event, canonical.
	Observed string        `json:"observed"`
	Fields   []string      `json:"fields"`
	Records  []FoundRecord `json:"records"`
	// UID identifies the event in its log (Zeek's uid), if it has one.
	UID string `json:"uid,omitempty"`
}

// FoundRecord is a matched record as the caller may see it.
type FoundRecord struct {
	ID     string   `json:"id"`
	Type   string   `json:"type"`
	Value  string   `json:"value"`
	Labels []string `json:"labels"`
}

// Matcher matches events for one caller: only records the caller may see in
// full are matched. A nil Caller matches everything (offline matching of
// one's own indicator file).
type Matcher struct {
	Observer
	Caller *policy.Caller
	forms  Forms
	found  []Finding
}

// Event looks up the observations of one event and returns its findings,
// one per matched indicator value (valid until the next call).
func (m *Matcher) Event(obs func(emit func(Observation))) []Finding {
	m.found = m.found[:0]
	obs(func(o Observation) {
		m.Observe(o, func(value string, e Entry) bool {
			if m.Caller != nil && e.Form(m.Caller, &m.forms) != policy.Full {
				return true
			}
			entity := e.Value()
			i := slices.IndexFunc(m.found, func(f Finding) bool { return f.Entity == entity })
			if i < 0 {
				m.found = append(m.found, Finding{Kind: finding.IntelContact, Start: o.Time, End: o.Time, Entity: entity, Observed: strings.Clone(value)})
				i = len(m.found) - 1
			}
			f := &m.found[i]
			if !slices.Contains(f.Fields, o.Field) {
				f.Fields = append(f.Fields, o.Field)
			}
			id := e.ID()
			if !slices.ContainsFunc(f.Records, func(r FoundRecord) bool { return r.ID == id }) {
				f.Records = append(f.Records, FoundRecord{ID: id, Type: string(e.Type()), Value: entity, Labels: e.Labels()})
			}
			return true
		})
	})
	return m.found
}
