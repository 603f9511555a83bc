package match

import (
	"hash/maphash"
	"slices"
	"strings"

	"fusion/internal/finding"
	"fusion/internal/policy"
)

// Matcher matches events for one caller: only records the caller may see in
// full are matched. A nil Caller matches everything (offline matching of
// one's own indicator file). A Matcher is for one goroutine; it allocates
// nothing per event that matches nothing.
type Matcher struct {
	Observer
	Caller *policy.Caller
	forms  Forms
	found  []finding.Finding

	// Made once, so that an event costs no closures.
	emit    func(Observation)
	onEntry func(value string, e Entry) bool
	cur     Observation // the observation being looked up
	hit     bool        // it found an entry (visible or not)
	misses  *misses
	seen    int // observations, until misses is made
}

// Event looks up the observations of one event and returns its findings,
// one per matched indicator value (valid until the next call): kind
// intel-contact, the entity the indicator value that matched, with the
// value observed (the first time in the event), the rule by which it
// matched, the fields it was in and the records behind it.
func (m *Matcher) Event(obs func(emit func(Observation))) []finding.Finding {
	m.found = m.found[:0]
	if m.emit == nil {
		m.emit, m.onEntry = m.observe, m.entry
	}
	obs(m.emit)
	m.cur = Observation{}
	return m.found
}

// observe looks o up, unless it is a value that found nothing since the
// index last changed.
func (m *Matcher) observe(o Observation) {
	if m.misses == nil {
		if m.seen++; m.seen >= missesAfter {
			m.misses = newMisses()
		}
	}
	var slot *miss
	if m.misses != nil {
		if slot = m.misses.slot(m.Index, o); slot != nil && slot.is(o) {
			return
		}
	}
	m.cur, m.hit = o, false
	m.Observe(o, m.onEntry)
	if slot != nil && !m.hit {
		slot.set(o)
	}
}

func (m *Matcher) entry(value string, e Entry) bool {
	m.hit = true
	if m.Caller != nil && e.Form(m.Caller, &m.forms) != policy.Full {
		return true
	}
	o := &m.cur
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
}

// missesAfter is how many observations a Matcher looks up before it starts
// remembering misses: a short request does not pay for the table.
const missesAfter = 4096

// misses remembers values that matched nothing, in a direct-mapped table:
// logs repeat their values (a conn log's internal addresses in every
// other field), and a hit here costs a hash and a compare instead of an
// address parse, the lock and a probe of the index's large table. It is
// emptied whenever the index changes.
type misses struct {
	gen   uint64 // the index's change count the table holds for
	seed  maphash.Seed
	slots [1 << 13]miss
}

// miss is one remembered value: up to 46 bytes of it and its kind.
type miss struct {
	n    uint8 // length of v; 0 is empty
	kind Kind
	v    [46]byte
}

func newMisses() *misses { return &misses{seed: maphash.MakeSeed()} }

// slot returns o's slot, or nil for a value too long to remember.
func (ms *misses) slot(ix *Index, o Observation) *miss {
	if len(o.Value) == 0 || len(o.Value) > len(miss{}.v) {
		return nil
	}
	if g := ix.gen.Load(); g != ms.gen {
		ms.slots, ms.gen = [len(ms.slots)]miss{}, g
	}
	return &ms.slots[maphash.String(ms.seed, o.Value)&(uint64(len(ms.slots))-1)]
}

func (s *miss) is(o Observation) bool {
	return s.kind == o.Kind && int(s.n) == len(o.Value) && string(s.v[:s.n]) == o.Value
}

func (s *miss) set(o Observation) {
	s.kind, s.n = o.Kind, uint8(copy(s.v[:], o.Value))
}
