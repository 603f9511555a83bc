package match

import (
	"slices"
	"strings"

	"fusion/internal/finding"
	"fusion/internal/policy"
)

// Matcher matches events for one caller: only records the caller may see in
// full are matched. A nil Caller matches everything (offline matching of
// one's own indicator file).
type Matcher struct {
	Observer
	Caller *policy.Caller
	forms  Forms
	found  []finding.Finding
}

// Event looks up the observations of one event and returns its findings,
// one per matched indicator value (valid until the next call): kind
// intel-contact, the entity the indicator value that matched, with the
// value observed (the first time in the event), the rule by which it
// matched, the fields it was in and the records behind it.
func (m *Matcher) Event(obs func(emit func(Observation))) []finding.Finding {
	m.found = m.found[:0]
	obs(func(o Observation) {
		m.Observe(o, func(value string, e Entry) bool {
			if m.Caller != nil && e.Form(m.Caller, &m.forms) != policy.Full {
				return true
			}
			entity := e.Value()
			i := slices.IndexFunc(m.found, func(f finding.Finding) bool { return f.Entity == entity })
			if i < 0 {
				m.found = append(m.found, finding.Finding{Kind: finding.IntelContact, Start: o.Time, End: o.Time, Entity: entity,
					Observed: strings.Clone(value), Rule: string(RuleOf(value, e))})
				i = len(m.found) - 1
			}
			f := &m.found[i]
			if !slices.Contains(f.Fields, o.Field) {
				f.Fields = append(f.Fields, o.Field)
			}
			id := e.ID()
			if !slices.ContainsFunc(f.Records, func(r finding.Record) bool { return r.ID == id }) {
				f.Records = append(f.Records, finding.Record{ID: id, Type: string(e.Type()), Value: entity, Labels: e.Labels()})
			}
			return true
		})
	})
	return m.found
}
