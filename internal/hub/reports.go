package hub

import (
	"context"
	"fmt"
	"reflect"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// CreateReport stores a report grouping records of c's own organization.
func (h *Hub) CreateReport(ctx context.Context, c *policy.Caller, in intel.ReportInput) (intel.Report, error) {
	made, err := h.createReports(ctx, c, []intel.ReportInput{in}, false)
	if err != nil {
		return intel.Report{}, err
	}
	return h.reportView(ctx, c, &made[0])
}

// createReports creates reports in one transaction, all or none, and
// returns them as stored. ownChecked says the caller knows every record
// id is one of c's organization's (records an import just created as c),
// sparing the check.
func (h *Hub) createReports(ctx context.Context, c *policy.Caller, ins []intel.ReportInput, ownChecked bool) ([]intel.Report, error) {
	if err := policy.Require(c, policy.ChangeIntel); err != nil {
		return nil, err
	}
	out := make([]intel.Report, len(ins))
	now := h.now()
	for i, in := range ins {
		r, err := intel.NewReport(in)
		if err != nil {
			return nil, err
		}
		r.ID, r.Originator, r.Created, r.Updated, r.Version = newID(), c.Org, now, now, 1
		out[i] = r
	}
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		aud := newAudienceCheck(tx, c)
		var ids []string
		for i := range out {
			if err := aud.check(out[i].Audience); err != nil {
				return err
			}
			ids = append(ids, out[i].Records...)
		}
		if !ownChecked {
			if err := ownRecords(tx, c, ids); err != nil {
				return err
			}
		}
		for i := range out {
			r := &out[i]
			if err := tx.InsertReport(r); err != nil {
				return err
			}
			if err := h.logged(tx, actorOf(c), evidence.ReportCreate, evidence.KindReport, r.ID, r.Originator, nil, reportContent(tx, r.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ownRecords checks that every id names a record of c's organization. Other
// organizations' records get the same answer as ids that do not exist.
func ownRecords(tx *store.Tx, c *policy.Caller, ids []string) error {
	owners, err := tx.RecordOriginators(ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if o, ok := owners[id]; !ok || !policy.Originates(c, o) {
			return &intel.FieldError{Field: "records", Value: id, Reason: "not a record of your organization"}
		}
	}
	return nil
}

// reportView returns r as c may see it, with only the records c may see.
func (h *Hub) reportView(ctx context.Context, c *policy.Caller, r *intel.Report) (intel.Report, error) {
	v, _, err := h.reportViewWith(ctx, c, r)
	return v, err
}

// reportViewWith is reportView, also returning the records c may see, as
// c sees them, in the report's order.
func (h *Hub) reportViewWith(ctx context.Context, c *policy.Caller, r *intel.Report) (intel.Report, []intel.Record, error) {
	v, ok := policy.Report(c, r)
	if !ok {
		return intel.Report{}, nil, fmt.Errorf("report %q: %w", r.ID, intel.ErrNotFound)
	}
	recs, err := h.store.RecordsByID(ctx, r.Records)
	if err != nil {
		return intel.Report{}, nil, err
	}
	visible := make(map[string]*intel.Record, len(recs))
	views := make([]intel.Record, 0, len(recs))
	for i := range recs {
		if rv, ok := policy.Record(c, &recs[i]); ok {
			views = append(views, rv)
		}
	}
	for i := range views {
		visible[views[i].ID] = &views[i]
	}
	v.Records = make([]string, 0, len(visible))
	ordered := make([]intel.Record, 0, len(visible))
	for _, id := range r.Records {
		if rv := visible[id]; rv != nil {
			v.Records = append(v.Records, id)
			ordered = append(ordered, *rv)
		}
	}
	v.RecordCount = len(v.Records)
	// The source keeps the ids of the records its attributes became: only
	// those c may see are shown.
	v.Source = r.Source.OnlyRecords(func(id string) bool { return visible[id] != nil })
	return v, ordered, nil
}

// GetReport returns a report as c may see it, or ErrNotFound.
func (h *Hub) GetReport(ctx context.Context, c *policy.Caller, id string) (intel.Report, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return intel.Report{}, err
	}
	r, err := h.store.Report(ctx, id)
	if err != nil {
		return r, err
	}
	v, err := h.reportView(ctx, c, &r)
	if err != nil {
		return v, err
	}
	return v, h.discloseReport(ctx, c, v)
}

// ReportFilter selects reports for a list.
type ReportFilter struct {
	Originator string
	Record     string
	Tag        string // as in RecordFilter
	Query      string // a free-text search over titles, descriptions, labels and tags

	IncludeRevoked bool
	Limit          int
	Cursor         string
}

// ListReports returns the reports matching f that c may see.
func (h *Hub) ListReports(ctx context.Context, c *policy.Caller, f ReportFilter) (Page[intel.Report], error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return Page[intel.Report]{}, err
	}
	limit, after, err := pageArgs(f.Limit, f.Cursor)
	if err != nil {
		return Page[intel.Report]{}, err
	}
	q := store.ReportQuery{Originator: f.Originator, Record: f.Record, IncludeRevoked: f.IncludeRevoked, After: after}
	var pad func()
	q.Tag, q.Search, pad, err = h.listFilters(c, f.Tag, f.Query)
	defer pad()
	if err != nil {
		return Page[intel.Report]{}, err
	}
	page := Page[intel.Report]{Items: []intel.Report{}}
	if f.Record != "" {
		// Filtering by a record must not reveal that a hidden record is grouped.
		if _, err := h.GetRecord(ctx, c, f.Record); IsNotFoundErr(err) {
			return page, nil
		} else if err != nil {
			return page, err
		}
	}
	for {
		q.Limit = max(limit, 100)
		rows, err := h.store.Reports(ctx, q, visibility(c))
		if err != nil {
			return page, err
		}
		for i := range rows {
			q.After = rows[i].ID
			v, err := h.reportView(ctx, c, &rows[i])
			if IsNotFoundErr(err) {
				continue
			}
			if err != nil {
				return page, err
			}
			if err := h.discloseReport(ctx, c, v); err != nil {
				return page, err
			}
			page.Items = append(page.Items, v)
			if len(page.Items) == limit {
				page.Next = encodeCursor(v.ID)
				return page, nil
			}
		}
		if len(rows) < q.Limit {
			return page, nil
		}
	}
}

// UpdateReport applies p to a report of c's organization.
func (h *Hub) UpdateReport(ctx context.Context, c *policy.Caller, id string, p intel.ReportPatch) (intel.Report, error) {
	return h.changeReport(ctx, c, id, evidence.ReportUpdate, func(tx *store.Tx, r *intel.Report) error {
		if err := p.ApplyTo(r); err != nil {
			return err
		}
		if err := newAudienceCheck(tx, c).check(r.Audience); err != nil {
			return err
		}
		if p.Records != nil {
			return ownRecords(tx, c, r.Records)
		}
		return nil
	})
}

// RevokeReport withdraws a report of c's organization; its records stay.
func (h *Hub) RevokeReport(ctx context.Context, c *policy.Caller, id, reason string) (intel.Report, error) {
	if len(reason) > 1024 {
		return intel.Report{}, &intel.FieldError{Field: "reason", Reason: "longer than 1 KiB"}
	}
	return h.changeReport(ctx, c, id, evidence.ReportRevoke, func(_ *store.Tx, r *intel.Report) error {
		now := h.now()
		r.Revoked, r.RevokedReason = &now, reason
		return nil
	})
}

func (h *Hub) changeReport(ctx context.Context, c *policy.Caller, id string, action evidence.Action, change func(*store.Tx, *intel.Report) error) (intel.Report, error) {
	var next intel.Report
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		prev, err := tx.Report(id)
		if err != nil {
			return err
		}
		if err := policy.Change(c, "report", id, policy.ReportShared(&prev)); err != nil {
			return err
		}
		before, err := changing(tx, reportContent(tx, id))
		if err != nil {
			return err
		}
		if prev.Revoked != nil {
			return fmt.Errorf("%w: report %s was revoked", intel.ErrConflict, id)
		}
		next = prev
		next.Records = append([]string(nil), prev.Records...)
		if err := change(tx, &next); err != nil {
			return err
		}
		if reflect.DeepEqual(next, prev) {
			return nil // an empty or idempotent patch: no new version, nothing to log
		}
		next.Version, next.Updated = prev.Version+1, h.now()
		if err := tx.UpdateReport(&prev, &next); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), action, evidence.KindReport, next.ID, next.Originator, before, reportContent(tx, next.ID))
	})
	if err != nil {
		return intel.Report{}, err
	}
	return h.reportView(ctx, c, &next)
}
