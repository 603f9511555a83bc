package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
)

// What became of one object of an imported STIX bundle, beyond Created,
// Updated and Unchanged (which say what became of its records or report).
const (
	// Skipped: the object gives nothing fusion keeps (a relationship, an
	// identity, a pattern fusion cannot hold as values, ...); the reason says why.
	Skipped = "skipped"
	// Failed: the object gave records or a report, and the hub refused
	// every one of them (a warning list, an audience naming an unknown
	// organization, ...); the reason says why.
	Failed = "failed"
)

// STIXObject is what became of one object of an imported bundle.
type STIXObject struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"` // created, updated, unchanged, skipped or failed
	// Reason says why an object was skipped or failed, or which of its
	// values were refused, or which of a report's refs gave no record.
	Reason string `json:"reason,omitempty"`
	// Records are the ids of the records the object's values are in.
	Records []string `json:"records,omitempty"`
	// Report is the id of the report a STIX report became.
	Report string `json:"report,omitempty"`
}

// STIXTotals counts the objects of an import by status, and the records
// it submitted by what became of them.
type STIXTotals struct {
	Objects   int `json:"objects"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
	// Records counts the records submitted (an indicator may name
	// several values) by what became of them.
	Records RecordTotals `json:"records"`
}

// RecordTotals counts submitted records by what became of them.
type RecordTotals struct {
	Submitted int `json:"submitted"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Refused   int `json:"refused"`
}

// STIXImport is what ImportSTIX made of a bundle: one entry per object, in
// bundle order, and the totals.
type STIXImport struct {
	Objects []STIXObject `json:"objects"`
	Totals  STIXTotals   `json:"totals"`
}

// ImportSTIX imports a STIX 2.1 bundle as c: stix.ImportBundle maps it,
// the records it gives are submitted as by CreateRecords (in batches of
// MaxBatch, each its own transaction: the policy gate, the warning lists,
// the idempotent merge with the records c's organization already holds and
// the evidence log all apply), then its reports are created with their refs
// mapped to the records the import gave. A report equal to one c's
// organization already holds (same title, text, labels, tags, TLP,
// audience, handling and records) is not created again: it is unchanged.
//
// An error that is a *stix.ImportError means the body is not a bundle, and
// nothing was stored. docs/stix.md describes the mapping.
func (h *Hub) ImportSTIX(ctx context.Context, c *policy.Caller, data []byte) (STIXImport, error) {
	return h.ImportSTIXKept(ctx, c, data, nil)
}

// ImportSTIXKept is ImportSTIX keeping the answer for a retry (keep may be
// nil). The answer is kept in a transaction of its own once the import is
// done; since importing the same bundle again changes nothing, a retry
// that comes before it is kept imports again and finds everything
// unchanged. It fails with ErrAnswerKept when an answer is kept already
// for keep.Key.
func (h *Hub) ImportSTIXKept(ctx context.Context, c *policy.Caller, data []byte, keep *Keep[STIXImport]) (STIXImport, error) {
	return h.importSTIX(ctx, c, data, keep, nil)
}

// importSTIX is ImportSTIXKept with adjust, if not nil, changing what the
// bundle's objects become before anything is stored (ImportFederated).
// Sightings and notes on this hub's indicators are taken as c's sightings
// and feedback (receiveSighting, receiveNote).
func (h *Hub) importSTIX(ctx context.Context, c *policy.Caller, data []byte, keep *Keep[STIXImport], adjust func([]stix.ImportedObject)) (STIXImport, error) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		return STIXImport{}, err
	}
	objs, err := stix.ImportBundle(data)
	if err != nil {
		return STIXImport{}, err
	}
	if adjust != nil {
		adjust(objs)
	}
	out := STIXImport{Objects: make([]STIXObject, len(objs))}
	// Every record input of the bundle, with the objects it came from. A
	// value that several objects give is submitted once, merged as a
	// second submission would change the first: were they submitted one
	// after the other, importing the bundle again would change the record
	// back and forth.
	var ins []intel.RecordInput
	var from [][]int
	at := map[string]int{}
	for i := range objs {
		o := &objs[i]
		out.Objects[i] = STIXObject{ID: o.ID, Type: o.Type, Status: Skipped, Reason: o.Reason}
		switch o.Status {
		case stix.ObjectUsed:
			out.Objects[i].Reason = "read to resolve references (markings, created_by_ref, audience); not stored"
		case stix.ObjectTaken:
			for _, in := range o.Records {
				key := strings.ToLower(in.Type) + "|" + in.Value
				if j, ok := at[key]; ok {
					ins[j] = mergeInputs(ins[j], in)
					if !slices.Contains(from[j], i) {
						from[j] = append(from[j], i)
					}
					continue
				}
				at[key] = len(ins)
				ins = append(ins, in)
				from = append(from, []int{i})
			}
		}
	}
	results := make([]Result[intel.Record], 0, len(ins))
	for start := 0; start < len(ins); start += MaxBatch {
		res, err := h.CreateRecords(ctx, c, ins[start:min(len(ins), start+MaxBatch)])
		if err != nil {
			return STIXImport{}, err
		}
		results = append(results, res...)
	}
	// Per object: the records its values are in, and what became of them.
	type tally struct {
		status  string // the strongest of created, updated, unchanged
		refused []string
	}
	tallies := make([]tally, len(objs))
	rank := map[string]int{"": 0, Unchanged: 1, Updated: 2, Created: 3}
	for k, res := range results {
		out.Totals.Records.Submitted++
		switch {
		case res.Err != nil:
			out.Totals.Records.Refused++
		case res.Status == Created:
			out.Totals.Records.Created++
		case res.Status == Updated:
			out.Totals.Records.Updated++
		default:
			out.Totals.Records.Unchanged++
		}
		for _, i := range from[k] {
			t := &tallies[i]
			if res.Err != nil {
				t.refused = append(t.refused, refusal(res.Err))
				continue
			}
			if !slices.Contains(out.Objects[i].Records, res.Value.ID) {
				out.Objects[i].Records = append(out.Objects[i].Records, res.Value.ID)
			}
			if rank[res.Status] > rank[t.status] {
				t.status = res.Status
			}
		}
	}
	for i := range objs {
		if objs[i].Status != stix.ObjectTaken || objs[i].Report != nil || objs[i].Sighting != nil || objs[i].Note != nil {
			continue
		}
		o, t := &out.Objects[i], &tallies[i]
		switch {
		case t.status == "":
			o.Status, o.Reason = Failed, strings.Join(t.refused, "; ")
		case len(t.refused) > 0:
			o.Status = t.status
			o.Reason = fmt.Sprintf("%d of %d values refused: %s", len(t.refused), len(t.refused)+len(o.Records), strings.Join(t.refused, "; "))
		default:
			o.Status = t.status
		}
	}
	var own *ownReports
	for i := range objs {
		rep := objs[i].Report
		if objs[i].Status != stix.ObjectTaken || rep == nil {
			continue
		}
		if own == nil {
			own = &ownReports{}
		}
		h.importReport(ctx, c, rep, out.Objects, own, &out.Objects[i])
	}
	for i := range objs {
		switch o := &objs[i]; {
		case o.Status != stix.ObjectTaken:
		case o.Sighting != nil:
			h.receiveSighting(ctx, c, o, &out.Objects[i])
		case o.Note != nil:
			h.receiveNote(ctx, c, o, &out.Objects[i])
		}
	}
	for i := range out.Objects {
		out.Totals.Objects++
		switch out.Objects[i].Status {
		case Created:
			out.Totals.Created++
		case Updated:
			out.Totals.Updated++
		case Unchanged:
			out.Totals.Unchanged++
		case Failed:
			out.Totals.Failed++
		default:
			out.Totals.Skipped++
		}
	}
	if keep != nil {
		err := h.store.Update(ctx, func(tx *store.Tx) error { return keepAnswer(h, tx, c, keep, out) })
		if err != nil {
			return STIXImport{}, err
		}
	}
	return out, nil
}

// mergeInputs is the input that has the effect of submitting a, then b,
// for one value: b's labels and tags added to a's, the earlier first_seen
// and the later last_seen, b's other properties where b gives them.
func mergeInputs(a, b intel.RecordInput) intel.RecordInput {
	m := b
	m.Labels = append(slices.Clone(a.Labels), b.Labels...)
	m.Tags = append(slices.Clone(a.Tags), b.Tags...)
	if m.Description == "" {
		m.Description = a.Description
	}
	if m.Reference == "" {
		m.Reference = a.Reference
	}
	if m.TLP == "" {
		m.TLP = a.TLP
	}
	m.Subdomains = cmpOr(b.Subdomains, a.Subdomains)
	m.Confidence = cmpOr(b.Confidence, a.Confidence)
	m.Audience = cmpOr(b.Audience, a.Audience)
	m.Handling = cmpOr(b.Handling, a.Handling)
	m.Discoverable = cmpOr(b.Discoverable, a.Discoverable)
	m.Personal = cmpOr(b.Personal, a.Personal)
	m.Evaluation = cmpOr(b.Evaluation, a.Evaluation)
	m.ValidUntil = cmpOr(b.ValidUntil, a.ValidUntil)
	if a.FirstSeen != nil && (b.FirstSeen == nil || a.FirstSeen.Before(*b.FirstSeen)) {
		m.FirstSeen = a.FirstSeen
	}
	if a.LastSeen != nil && (b.LastSeen == nil || a.LastSeen.After(*b.LastSeen)) {
		m.LastSeen = a.LastSeen
	}
	m.Force = a.Force || b.Force
	return m
}

// cmpOr returns b when it is given, else a.
func cmpOr[T any](b, a *T) *T {
	if b != nil {
		return b
	}
	return a
}

// refusal is the reason one record of an import was refused.
func refusal(err error) string {
	var we *WarningListError
	if errors.As(err, &we) {
		// The import has no "force": the hint to send it does not apply.
		msg, _, _ := strings.Cut(we.Error(), `; send "force"`)
		return msg
	}
	return err.Error()
}

// ownReports are the reports the importing organization holds, read once
// per import to find a report imported before.
type ownReports struct {
	loaded bool
	items  []intel.Report
}

// importReport creates the report rep of an import (or finds it created
// before), its refs mapped through objs, and records the outcome in o.
func (h *Hub) importReport(ctx context.Context, c *policy.Caller, rep *stix.ImportedReport, objs []STIXObject, own *ownReports, o *STIXObject) {
	byID := map[string]int{}
	for i := range objs {
		byID[objs[i].ID] = i
	}
	in := rep.Input
	in.Records = []string{}
	var dropped []string
	for _, ref := range rep.Refs {
		ids := objs[byID[ref]].Records
		if len(ids) == 0 {
			dropped = append(dropped, ref)
		}
		for _, id := range ids {
			if !slices.Contains(in.Records, id) {
				in.Records = append(in.Records, id)
			}
		}
	}
	var notes []string
	if len(dropped) > 0 {
		notes = append(notes, fmt.Sprintf("%d object_refs dropped, their records were refused: %s", len(dropped), strings.Join(dropped, ", ")))
	}
	if len(rep.Others) > 0 {
		notes = append(notes, fmt.Sprintf("%d object_refs dropped, they gave no record: %s", len(rep.Others), strings.Join(rep.Others, ", ")))
	}
	fail := func(err error) {
		o.Status, o.Reason = Failed, strings.Join(append([]string{refusal(err)}, notes...), "; ")
	}
	if err := policy.Require(c, policy.ChangeIntel); err != nil {
		fail(err)
		return
	}
	want, err := intel.NewReport(in)
	if err != nil {
		fail(err)
		return
	}
	if !own.loaded {
		if own.items, err = h.ownReports(ctx, c); err != nil {
			fail(err)
			return
		}
		own.loaded = true
	}
	o.Reason = strings.Join(notes, "; ")
	for i := range own.items {
		if sameReport(&own.items[i], &want) {
			o.Status, o.Report = Unchanged, own.items[i].ID
			return
		}
	}
	made, err := h.CreateReport(ctx, c, in)
	if err != nil {
		fail(err)
		return
	}
	o.Status, o.Report = Created, made.ID
	own.items = append(own.items, made)
}

// ownReports returns the active reports of c's organization.
func (h *Hub) ownReports(ctx context.Context, c *policy.Caller) ([]intel.Report, error) {
	var out []intel.Report
	q := store.ReportQuery{Originator: c.Org, Limit: 1000}
	for {
		rows, err := h.store.Reports(ctx, q, visibility(c))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if len(rows) < q.Limit {
			return out, nil
		}
		q.After = rows[len(rows)-1].ID
	}
}

// sameReport reports whether have says what want says.
func sameReport(have, want *intel.Report) bool {
	return have.Title == want.Title && have.Description == want.Description &&
		slices.Equal(have.Labels, want.Labels) && slices.Equal(have.Tags, want.Tags) &&
		have.TLP == want.TLP && slices.Equal(have.Audience.Orgs, want.Audience.Orgs) &&
		slices.Equal(have.Audience.Groups, want.Audience.Groups) && slices.Equal(have.Handling.Codes, want.Handling.Codes) &&
		have.Handling.Purpose == want.Handling.Purpose && have.Handling.Conditions == want.Handling.Conditions &&
		slices.Equal(slices.Sorted(slices.Values(have.Records)), slices.Sorted(slices.Values(want.Records)))
}

// MaxSTIXExport is the most records one STIX export holds; the rest
// follow with the export's cursor.
const MaxSTIXExport = 10_000

// STIXExport is one bundle of an export: the records of the page with the
// reports that group them and the organizations they name, what got no
// STIX object and why, and the cursor of the next page ("" on the last).
type STIXExport struct {
	Bundle  *stix.Bundle
	Skipped []stix.Skipped
	Next    string
}

// ExportSTIX exports as one STIX bundle up to f.Limit records (default and
// at most MaxSTIXExport) that match f and c may see, as ListRecords gives
// them (the same gate, the same disclosures in the evidence log; a record
// c sees redacted is skipped, not exported), with the reports c may see
// that group any of them and the organizations the records and reports
// name. A full page carries Next; f.Cursor continues from it. f.Value and
// f.Query (lookups, rate limited) are refused: filter by type, label, tag,
// originator and time.
func (h *Hub) ExportSTIX(ctx context.Context, c *policy.Caller, f RecordFilter) (STIXExport, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return STIXExport{}, err
	}
	if f.Value != "" || f.Query != "" {
		return STIXExport{}, &intel.FieldError{Field: "value", Value: f.Value + f.Query, Reason: "a STIX export filters by type, label, tag, originator and time, not by value or search"}
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = MaxSTIXExport
	case limit < 0 || limit > MaxSTIXExport:
		return STIXExport{}, &intel.FieldError{Field: "limit", Value: fmt.Sprint(limit), Reason: fmt.Sprintf("must be 1 to %d", MaxSTIXExport)}
	}
	var out STIXExport
	var in stix.ExportInput
	for len(in.Records) < limit {
		f.Limit = min(MaxPage, limit-len(in.Records))
		page, err := h.ListRecords(ctx, c, f)
		if err != nil {
			return STIXExport{}, err
		}
		in.Records = append(in.Records, page.Items...)
		out.Next, f.Cursor = page.Next, page.Next
		if page.Next == "" {
			break
		}
	}
	exported := make(map[string]bool, len(in.Records))
	named := map[string]bool{}
	for i := range in.Records {
		exported[in.Records[i].ID] = true
		named[in.Records[i].Originator] = true
		for _, o := range in.Records[i].Audience.Orgs {
			named[o] = true
		}
	}
	// The reports c may see that group a record of the page. A report
	// with records on several pages is in each of their bundles, each time
	// with the records of that page.
	q := store.ReportQuery{IncludeRevoked: f.IncludeRevoked, Limit: 1000}
	for len(exported) > 0 {
		rows, err := h.store.Reports(ctx, q, visibility(c))
		if err != nil {
			return STIXExport{}, err
		}
		for i := range rows {
			if !slices.ContainsFunc(rows[i].Records, func(id string) bool { return exported[id] }) {
				continue
			}
			v, err := h.reportView(ctx, c, &rows[i])
			if IsNotFoundErr(err) {
				continue
			}
			if err != nil {
				return STIXExport{}, err
			}
			if !slices.ContainsFunc(v.Records, func(id string) bool { return exported[id] }) {
				continue
			}
			if err := h.discloseReport(ctx, c, v); err != nil {
				return STIXExport{}, err
			}
			in.Reports = append(in.Reports, v)
			named[v.Originator] = true
			for _, o := range v.Audience.Orgs {
				named[o] = true
			}
		}
		if len(rows) < q.Limit {
			break
		}
		q.After = rows[len(rows)-1].ID
	}
	orgs, err := h.ListOrgs(ctx, c)
	if err != nil {
		return STIXExport{}, err
	}
	for _, o := range orgs {
		if named[o.ID] {
			in.Orgs = append(in.Orgs, o)
		}
	}
	out.Bundle, out.Skipped = stix.NewBundle(in)
	return out, nil
}
