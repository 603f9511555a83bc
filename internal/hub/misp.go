package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/misp"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// MISPOptions says how an import maps MISP's distribution levels, which
// name MISP communities, to fusion audiences. MISP's distribution is
// honoured by narrowing, never widened: a level with no mapping keeps the
// data to the importing organization.
type MISPOptions struct {
	// Community is the fusion group that distribution 1 ("this
	// community") and 2 ("connected communities") map to; empty keeps
	// such data to the importing organization.
	Community string `json:"community,omitempty"`
	// SharingGroups maps a MISP sharing group (uuid, or id when it has
	// none) to a fusion group, for distribution 4.
	SharingGroups map[string]string `json:"sharing_groups,omitempty"`
	// CreateGroups creates, for a sharing group SharingGroups does not
	// map, a fusion group owned by the importing organization, named
	// "misp-sg:<uuid>", and found by that name on the next import.
	CreateGroups bool `json:"create_groups,omitempty"`
}

// MISPEvent is what became of one MISP event of an import.
type MISPEvent struct {
	UUID string `json:"uuid,omitempty"`
	Info string `json:"info,omitempty"`
	// Status is created, updated or unchanged (what became of the event's
	// report and records), skipped (not an event) or failed.
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Report is the id of the report the event is.
	Report     string              `json:"report,omitempty"`
	Attributes MISPAttributeTotals `json:"attributes"`
	// Refused lists attributes that gave a record the hub refused, and
	// what the parser skipped; at most MaxMISPRefusals.
	Refused []MISPRefusal `json:"refused,omitempty"`
}

// MaxMISPRefusals bounds the refusals listed per event; the totals count all.
const MaxMISPRefusals = 100

// MISPAttributeTotals counts an event's attributes by what became of them.
type MISPAttributeTotals struct {
	Total     int `json:"total"`
	Created   int `json:"created"`   // gave a new record
	Updated   int `json:"updated"`   // changed a record
	Unchanged int `json:"unchanged"` // gave a record that was already so
	Refused   int `json:"refused"`   // gave a record the hub refused (a warning list, a bad value)
	Context   int `json:"context"`   // not an indicator: kept in the report's source
	Deleted   int `json:"deleted"`   // deleted in MISP: not imported
	Revoked   int `json:"revoked"`   // deleted in MISP, and the record it gave before revoked
	Dropped   int `json:"dropped"`   // context stricter than its event's TLP: not kept
	Sightings int `json:"sightings"` // MISP sightings of its records: seen → a sighting, false positive → feedback, expiration → valid_until
}

// MISPRefusal is one attribute an import refused, and why.
type MISPRefusal struct {
	UUID   string `json:"uuid,omitempty"`
	Type   string `json:"type,omitempty"`
	Where  string `json:"where,omitempty"`
	Reason string `json:"reason"`
}

// MISPTotals counts the events of an import by status, and sums their
// attribute totals.
type MISPTotals struct {
	Events     int                 `json:"events"`
	Created    int                 `json:"created"`
	Updated    int                 `json:"updated"`
	Unchanged  int                 `json:"unchanged"`
	Skipped    int                 `json:"skipped"`
	Failed     int                 `json:"failed"`
	Attributes MISPAttributeTotals `json:"attributes"`
}

// MISPImport is what ImportMISP made of a body: one entry per event, in
// order, and the totals.
type MISPImport struct {
	Events []MISPEvent `json:"events"`
	Totals MISPTotals  `json:"totals"`
}

// ImportMISP imports MISP events (any envelope misp.ParseEvents reads) as
// c. Each event becomes a report whose Source keeps the event's uuid and
// its context attributes; each indicator attribute a record, submitted as
// by CreateRecords (the policy gate, the warning lists, the merge with the
// records c's organization holds and the evidence log all apply). Importing
// an event again updates its report and records rather than adding new
// ones; an attribute deleted in MISP revokes the record it gave before.
//
// Only a body that is not MISP JSON fails as a whole (an *intel.FieldError
// on "body"), storing nothing; docs/misp.md describes the mapping.
func (h *Hub) ImportMISP(ctx context.Context, c *policy.Caller, data []byte, opt MISPOptions) (MISPImport, error) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		return MISPImport{}, err
	}
	events, err := misp.ParseEvents(data)
	if err != nil {
		return MISPImport{}, &intel.FieldError{Field: "body", Value: "", Reason: err.Error()}
	}
	return h.ImportMISPEvents(ctx, c, events, opt)
}

// ImportMISPEvents is ImportMISP for events parsed already (a feed read
// file by file).
func (h *Hub) ImportMISPEvents(ctx context.Context, c *policy.Caller, events []misp.Event, opt MISPOptions) (MISPImport, error) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		return MISPImport{}, err
	}
	imp := &mispImport{h: h, c: c, opt: opt, out: MISPImport{Events: make([]MISPEvent, len(events))}}
	for i := range events {
		imp.plan(ctx, i, &events[i])
	}
	if err := imp.loadReports(ctx, events); err != nil {
		return MISPImport{}, err
	}
	for i := range events {
		imp.mapAttributes(ctx, i, &events[i])
	}
	if err := imp.submit(ctx); err != nil {
		return MISPImport{}, err
	}
	for i := range events {
		imp.finish(ctx, i, &events[i])
	}
	imp.makeReports(ctx, events)
	imp.total()
	return imp.out, nil
}

// mispImport is the state of one ImportMISPEvents call.
type mispImport struct {
	h   *Hub
	c   *policy.Caller
	opt MISPOptions
	out MISPImport

	reports map[string]*intel.Report // c's reports by MISP event uuid, made before or by this import
	groups  map[string]string        // sharing group → fusion group, created or found

	ins  []intel.RecordInput
	at   map[string]int // type|value → index in ins
	from [][]attrRef    // per input, the attributes it came from
	res  []Result[intel.Record]

	plans []eventPlan
}

// attrRef names one attribute of one event of the import.
type attrRef struct{ event, attr int }

// eventPlan is what an event gives before anything is stored.
type eventPlan struct {
	skip     bool
	audience *intel.Audience // nil: the TLP decides alone
	tlp      intel.TLP
	tags     []string
	inputs   []int // per attribute: the index of its record input, or -1
	context  []bool
	dropped  []bool
	notes    []string
	revoke   []string // ids of records of deleted attributes
	handling *intel.Handling
	labels   []string
	report   intel.ReportInput
	changed  bool // a record of the event was created, updated or revoked
}

// loadReports finds the reports c's organization made of the events
// before.
func (m *mispImport) loadReports(ctx context.Context, events []misp.Event) error {
	m.reports = map[string]*intel.Report{}
	m.at = map[string]int{}
	for i := range events {
		u := events[i].UUID
		if u == "" || m.reports[u] != nil {
			continue
		}
		r, err := m.h.ownReportBySource(ctx, m.c, intel.SourceMISP, u)
		if err != nil {
			return err
		}
		if r != nil {
			m.reports[u] = r
		}
	}
	return nil
}

// ownReportBySource returns the report of c's organization that has the
// source kind:id, or nil.
func (h *Hub) ownReportBySource(ctx context.Context, c *policy.Caller, kind, id string) (*intel.Report, error) {
	rows, err := h.store.Reports(ctx, store.ReportQuery{Originator: c.Org, Source: kind + ":" + id, Limit: 1}, visibility(c))
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// plan reads event i's uuid (deriving one when it has none) and decides
// its audience.
func (m *mispImport) plan(ctx context.Context, i int, e *misp.Event) {
	o := &m.out.Events[i]
	o.UUID, o.Info = e.UUID, e.Info
	m.plans = append(m.plans, eventPlan{})
	p := &m.plans[i]
	if e.Refused != "" {
		p.skip = true
		o.Status, o.Reason = Skipped, e.Refused
		return
	}
	if e.UUID == "" {
		// MISP gives such an event a uuid of its own when it stores it;
		// fusion derives one, so that importing the event again finds it.
		e.UUID = uuid.NewSHA1(mispEventSpace, []byte(e.Orgc.UUID+"\n"+e.Orgc.Name+"\n"+e.Info+"\n"+e.Date)).String()
		o.UUID = e.UUID
		p.notes = append(p.notes, "uuid: the event has none (or not a valid one); keyed by a uuid derived from its creator, info and date")
	}
	for _, s := range e.Skipped {
		m.refuse(o, "", "", s.Where, s.Reason)
	}
	aud, note := m.audience(ctx, e.Distribution, e.SharingGroup)
	p.handling, p.labels = e.Handling, e.Labels
	p.audience, p.tags = aud, e.Tags
	p.tlp = e.TLP
	if e.Audience != nil {
		// The event's fusion tags name its audience (a fusion export):
		// that, not the distribution fusion wrote beside it, and its TLP
		// as it is.
		p.audience, note = e.Audience, ""
		if len(e.Audience.Orgs)+len(e.Audience.Groups) == 0 {
			p.audience = nil
		}
	} else if aud != nil && (p.tlp == intel.Clear || p.tlp == intel.Green) {
		p.tags = append(slices.Clone(p.tags), mispTLPTag(p.tlp))
		p.tlp = intel.Amber
	}
	if note != "" {
		p.notes = append(p.notes, note)
	}
}

// mapAttributes maps event i's attributes: records to submit, context,
// and deleted attributes whose records to revoke.
func (m *mispImport) mapAttributes(ctx context.Context, i int, e *misp.Event) {
	p, o := &m.plans[i], &m.out.Events[i]
	if p.skip {
		return
	}
	var prev map[string]string // attribute uuid → record, from the report made before
	if r := m.reports[e.UUID]; r != nil {
		prev = map[string]string{}
		for _, a := range r.Source.Attributes {
			if a.Record != "" && a.UUID != "" {
				prev[a.UUID] = a.Record
			}
		}
	}
	p.inputs = make([]int, len(e.Attributes))
	p.context = make([]bool, len(e.Attributes))
	p.dropped = make([]bool, len(e.Attributes))
	o.Attributes.Total = len(e.Attributes)
	for j := range e.Attributes {
		a := &e.Attributes[j]
		p.inputs[j] = -1
		switch {
		case a.Deleted:
			o.Attributes.Deleted++
			if id := prev[a.UUID]; id != "" {
				p.revoke = append(p.revoke, id)
			}
		case a.Record == nil:
			if a.TLP.Rank() > e.TLP.Rank() {
				p.dropped[j] = true
				o.Attributes.Dropped++
				continue
			}
			p.context[j] = true
			o.Attributes.Context++
		default:
			in := *a.Record
			aud := p.audience
			switch a.Distribution {
			case 0:
				aud = &intel.Audience{Orgs: []string{m.c.Org}}
			case 1, 2, 4:
				if aud == nil { // MISP takes the narrower of the event's and the attribute's
					aud, _ = m.audience(ctx, a.Distribution, "")
				}
			}
			if in.ValidUntil == nil {
				in.ValidUntil = expiry(a.Sightings)
			}
			if in.Audience == nil && aud != nil {
				in.Audience = aud
				if t := intel.TLP(in.TLP); t == intel.Clear || t == intel.Green {
					in.Tags = append(slices.Clone(in.Tags), mispTLPTag(t))
					in.TLP = string(intel.Amber)
				}
			}
			p.inputs[j] = m.add(in, attrRef{i, j})
		}
	}
}

// add puts in among the import's record inputs, merged with an input of
// the same value, and returns its index.
func (m *mispImport) add(in intel.RecordInput, from attrRef) int {
	key := strings.ToLower(in.Type) + "|" + in.Value
	if k, ok := m.at[key]; ok {
		m.ins[k] = mergeInputs(m.ins[k], in)
		m.from[k] = append(m.from[k], from)
		return k
	}
	m.at[key] = len(m.ins)
	m.ins = append(m.ins, in)
	m.from = append(m.from, []attrRef{from})
	return len(m.ins) - 1
}

// submit stores the records, in batches of MaxBatch.
func (m *mispImport) submit(ctx context.Context) error {
	m.res = make([]Result[intel.Record], 0, len(m.ins))
	for start := 0; start < len(m.ins); start += MaxBatch {
		res, err := m.h.CreateRecords(ctx, m.c, m.ins[start:min(len(m.ins), start+MaxBatch)])
		if err != nil {
			return err
		}
		m.res = append(m.res, res...)
	}
	return nil
}

// finish counts what became of event i's attributes, revokes the records
// of its deleted attributes and makes the input of its report.
func (m *mispImport) finish(ctx context.Context, i int, e *misp.Event) {
	p, o := &m.plans[i], &m.out.Events[i]
	if p.skip {
		return
	}
	changed := false
	src := &intel.Source{Kind: intel.SourceMISP, ID: e.UUID, Org: e.Orgc.Name, OrgUUID: e.Orgc.UUID, Info: e.Info,
		Date: e.Date, ThreatLevel: e.ThreatLevel, Analysis: e.Analysis}
	var records []string
	for j := range e.Attributes {
		a := &e.Attributes[j]
		switch {
		case p.context[j]:
			tags := a.Tags
			if a.TLP != e.TLP { // less strict (stricter ones were dropped): kept for the export
				tags = append(slices.Clone(tags), "tlp:"+string(a.TLP))
			}
			src.Attributes = append(src.Attributes, intel.SourceAttribute{UUID: a.UUID, Type: a.Type, Category: a.Category,
				Value: a.Value, ToIDs: a.ToIDs, Comment: a.Comment, Object: a.Object, Tags: tags, Reason: a.Reason})
		case p.inputs[j] >= 0:
			res := m.res[p.inputs[j]]
			if res.Err != nil {
				o.Attributes.Refused++
				m.refuse(o, a.UUID, a.Type, "", refusal(res.Err))
				continue
			}
			switch res.Status {
			case Created:
				o.Attributes.Created++
				changed = true
			case Updated:
				o.Attributes.Updated++
				changed = true
			default:
				o.Attributes.Unchanged++
			}
			src.Attributes = append(src.Attributes, intel.SourceAttribute{UUID: a.UUID, Record: res.Value.ID})
			o.Attributes.Sightings += m.sightings(ctx, o, a, &res.Value)
			if !slices.Contains(records, res.Value.ID) {
				records = append(records, res.Value.ID)
			}
		}
	}
	if len(records) > intel.MaxReportRecords {
		p.notes = append(p.notes, fmt.Sprintf("the report groups the first %d of the event's %d records (a report's limit); the others are imported", intel.MaxReportRecords, len(records)))
		records = records[:intel.MaxReportRecords]
	}
	for _, id := range p.revoke {
		if m.revoke(ctx, id, e.UUID) {
			o.Attributes.Revoked++
			changed = true
		}
	}
	title := strings.TrimSpace(e.Info)
	if title == "" {
		title = "MISP event " + e.UUID
	}
	if len(title) > 256 {
		title = strings.ToValidUTF8(title[:253], "") + "…"
	}
	p.report = intel.ReportInput{Title: title, Tags: p.tags, TLP: string(p.tlp), Audience: p.audience, Records: records, Source: src,
		Labels: p.labels, Handling: p.handling}
	p.changed = changed
}

// reportsBatch is how many new reports one transaction creates.
const reportsBatch = 500

// makeReports creates the reports of the events imported for the first
// time, reportsBatch to a transaction, updates the others, and sets each
// event's status.
func (m *mispImport) makeReports(ctx context.Context, events []misp.Event) {
	status := make([]string, len(events))
	errs := make([]error, len(events))
	var creates []int
	first := map[string]bool{}
	for i := range events {
		if m.plans[i].skip {
			continue
		}
		if u := events[i].UUID; m.reports[u] == nil && !first[u] {
			first[u] = true
			creates = append(creates, i)
		}
	}
	for start := 0; start < len(creates); start += reportsBatch {
		part := creates[start:min(len(creates), start+reportsBatch)]
		ins := make([]intel.ReportInput, len(part))
		for k, i := range part {
			ins[k] = m.plans[i].report
		}
		made, err := m.h.createReports(ctx, m.c, ins, true)
		if err != nil {
			// One refused report refuses the transaction: make them one
			// by one to tell which.
			made = make([]intel.Report, len(part))
			for k, i := range part {
				one, err := m.h.createReports(ctx, m.c, ins[k:k+1], true)
				if err != nil {
					errs[i] = err
					continue
				}
				made[k] = one[0]
			}
		}
		for k, i := range part {
			if errs[i] == nil {
				m.reports[events[i].UUID] = &made[k]
				status[i] = Created
			}
		}
	}
	for i := range events {
		if m.plans[i].skip || status[i] != "" || errs[i] != nil {
			continue
		}
		status[i], errs[i] = m.update(ctx, events[i].UUID, m.plans[i].report)
	}
	for i := range events {
		p, o := &m.plans[i], &m.out.Events[i]
		if p.skip {
			continue
		}
		if r := m.reports[events[i].UUID]; r != nil {
			o.Report = r.ID
		}
		notes := p.notes
		switch {
		case errs[i] != nil:
			o.Status = Failed
			notes = append([]string{"report: " + refusal(errs[i])}, notes...)
		case status[i] == Created:
			o.Status = Created
		case status[i] == Updated || p.changed:
			o.Status = Updated
		default:
			o.Status = Unchanged
		}
		o.Reason = strings.Join(notes, "; ")
	}
}

// update updates the report made of an event before, and says whether
// that changed it.
func (m *mispImport) update(ctx context.Context, event string, in intel.ReportInput) (string, error) {
	prev := m.reports[event]
	patch := intel.ReportPatch{Title: &in.Title, Description: &prev.Description, Labels: &in.Labels, Tags: &in.Tags, TLP: &in.TLP,
		Audience: orEmptyAudience(in.Audience), Handling: in.Handling, Records: &in.Records, Source: in.Source}
	if patch.Handling == nil {
		patch.Handling = &intel.Handling{}
	}
	r, err := m.h.UpdateReport(ctx, m.c, prev.ID, patch)
	if err != nil {
		return "", err
	}
	m.reports[event] = &r
	if r.Version != prev.Version {
		return Updated, nil
	}
	return Unchanged, nil
}

func orEmptyAudience(a *intel.Audience) *intel.Audience {
	if a == nil {
		return &intel.Audience{}
	}
	return a
}

// revoke revokes record id, deleted in MISP event, if it is c's and
// active; it says whether it did.
func (m *mispImport) revoke(ctx context.Context, id, event string) bool {
	r, err := m.h.GetRecord(ctx, m.c, id)
	if err != nil || r.Originator != m.c.Org || r.Revoked != nil {
		return false
	}
	_, err = m.h.RevokeRecord(ctx, m.c, id, "deleted in MISP event "+event)
	return err == nil
}

// audience maps a MISP distribution to the audience of what it covers:
// nil when the TLP alone decides (3, all communities; or no distribution
// given, as in public feeds), else the mapped group or c's organization
// alone; the note says when a level had no mapping.
func (m *mispImport) audience(ctx context.Context, dist int, group string) (*intel.Audience, string) {
	own := &intel.Audience{Orgs: []string{m.c.Org}}
	switch dist {
	case -1, 3, 5:
		return nil, ""
	case 1, 2:
		if m.opt.Community != "" {
			return &intel.Audience{Groups: []string{m.opt.Community}}, ""
		}
		return own, fmt.Sprintf("distribution %d (community): no community group given, kept to %s", dist, m.c.Org)
	case 4:
		if g := m.sharingGroup(ctx, group); g != "" {
			return &intel.Audience{Groups: []string{g}}, ""
		}
		return own, fmt.Sprintf("distribution 4 (sharing group %q): not mapped to a fusion group, kept to %s", group, m.c.Org)
	default:
		return own, ""
	}
}

// sharingGroup returns the fusion group for a MISP sharing group: mapped,
// found by name, or created when the options say so; "" when none.
func (m *mispImport) sharingGroup(ctx context.Context, sg string) string {
	if sg == "" {
		return ""
	}
	if g := m.opt.SharingGroups[sg]; g != "" {
		return g
	}
	if !m.opt.CreateGroups {
		return ""
	}
	if g, ok := m.groups[sg]; ok {
		return g
	}
	if m.groups == nil {
		m.groups = map[string]string{}
	}
	name := "misp-sg:" + sg
	groups, err := m.h.ListGroups(ctx, m.c)
	if err != nil {
		return ""
	}
	for _, g := range groups {
		if g.Name == name && g.Owner == m.c.Org {
			m.groups[sg] = g.ID
			return g.ID
		}
	}
	g, err := m.h.CreateGroup(ctx, m.c, name)
	if err != nil {
		m.groups[sg] = ""
		return ""
	}
	// The caller was made before the group: it belongs to it now.
	c := *m.c
	c.Groups = append(slices.Clone(c.Groups), g.ID)
	m.c = &c
	m.groups[sg] = g.ID
	return g.ID
}

// refuse lists one refusal of event o, up to MaxMISPRefusals.
func (m *mispImport) refuse(o *MISPEvent, uuid, typ, where, reason string) {
	if len(o.Refused) < MaxMISPRefusals {
		o.Refused = append(o.Refused, MISPRefusal{UUID: uuid, Type: typ, Where: where, Reason: reason})
	}
}

// total sums the events' outcomes.
func (m *mispImport) total() {
	t := &m.out.Totals
	for i := range m.out.Events {
		e := &m.out.Events[i]
		t.Events++
		switch e.Status {
		case Created:
			t.Created++
		case Updated:
			t.Updated++
		case Unchanged:
			t.Unchanged++
		case Failed:
			t.Failed++
		default:
			t.Skipped++
		}
		a, s := &t.Attributes, e.Attributes
		a.Total += s.Total
		a.Created += s.Created
		a.Updated += s.Updated
		a.Unchanged += s.Unchanged
		a.Refused += s.Refused
		a.Context += s.Context
		a.Deleted += s.Deleted
		a.Revoked += s.Revoked
		a.Dropped += s.Dropped
		a.Sightings += s.Sightings
	}
}

// mispEventSpace is the UUIDv5 namespace of the uuids fusion derives for
// MISP events that have none.
var mispEventSpace = uuid.MustParse("0a6c1d52-5b1e-4a57-9a3f-6d1f3c1a7e10")

// mispTLPTag records the TLP MISP gave a value that fusion had to raise
// to amber so that an audience can hold it (misp.EventFor gives it back).
func mispTLPTag(t intel.TLP) string { return `fusion:misp-tlp="` + string(t) + `"` }
