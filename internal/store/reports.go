package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"fusion/internal/intel"
	"fusion/internal/search"
)

// reportBody is a report as stored in reports.body: the record list lives in
// report_records so that it can be queried both ways.
func reportBody(r *intel.Report) (string, error) {
	c := *r
	c.Records, c.RecordCount = nil, 0
	b, err := canonicalJSON(&c)
	return string(b), err
}

// appendSourceTerm appends the term that finds r by its source, if any.
func appendSourceTerm(args []any, r *intel.Report) []any {
	if r.Source == nil {
		return args
	}
	return append(args, "s:"+r.Source.Kind+":"+r.Source.ID, r.ID)
}

// InsertReport stores a new report and the list of its records.
func (t *Tx) InsertReport(r *intel.Report) error {
	body, err := reportBody(r)
	if err != nil {
		return err
	}
	_, err = t.exec("INSERT INTO reports (id, originator, tlp, created, updated, revoked, version, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.Originator, string(r.TLP), micros(r.Created), micros(r.Updated), nullMicros(r.Revoked), r.Version, body)
	if isUnique(err) {
		return fmt.Errorf("report id: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: insert report: %w", err)
	}
	if err := t.indexForSearch(reportSearch, [][]any{{r.ID, reportSearchText(r)}}); err != nil {
		return err
	}
	if err := t.writeReportLinks(nil, r); err != nil {
		return err
	}
	return t.appendFeed(FeedEntry{FeedReport, r.ID, r.Version})
}

func (t *Tx) writeReportLinks(prev, r *intel.Report) error {
	var old []any
	if prev != nil {
		old = appendSourceTerm(appendTerms(nil, prev.ID, prev.Audience, nil, prev.Tags), prev)
		if _, err := t.exec("DELETE FROM report_records WHERE report_id = ?", prev.ID); err != nil {
			return err
		}
	}
	if err := t.replaceTerms("report_terms", "report_id", old, appendSourceTerm(appendTerms(nil, r.ID, r.Audience, nil, r.Tags), r)); err != nil {
		return err
	}
	links := t.batch("INSERT INTO report_records (report_id, record_id) VALUES ", 2)
	defer links.close()
	for _, id := range r.Records {
		if err := links.add(r.ID, id); err != nil {
			return err
		}
	}
	return links.flush()
}

// UpdateReport replaces prev with next, keeping prev in report_versions.
func (t *Tx) UpdateReport(prev, next *intel.Report) error {
	body, err := reportBody(next)
	if err != nil {
		return err
	}
	// The earlier version keeps its stored body exactly, and its record ids.
	records, err := json.Marshal(sortedIDs(prev.Records))
	if err != nil {
		return err
	}
	res, err := t.exec("INSERT INTO report_versions (report_id, version, body, records) SELECT id, version, body, ? FROM reports WHERE id = ? AND version = ?", string(records), prev.ID, prev.Version)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("report %s version %d: %w", prev.ID, prev.Version, ErrConflict)
		}
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("report %s changed underneath: %w", prev.ID, ErrConflict)
	}
	res, err = t.exec("UPDATE reports SET tlp = ?, updated = ?, revoked = ?, version = ?, body = ? WHERE id = ? AND version = ?",
		string(next.TLP), micros(next.Updated), nullMicros(next.Revoked), next.Version, body, prev.ID, prev.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("report %s changed underneath: %w", prev.ID, ErrConflict)
	}
	if err := t.reindexForSearch(reportSearch, []any{next.ID, reportSearchText(next)}); err != nil {
		return err
	}
	if err := t.writeReportLinks(prev, next); err != nil {
		return err
	}
	return t.appendFeed(FeedEntry{FeedReport, next.ID, next.Version})
}

// ReportRaw returns a report's stored body and the ids of the records it
// groups, sorted, inside the transaction: what its evidence leaves hash.
func (t *Tx) ReportRaw(id string) ([]byte, []string, error) {
	var body string
	if err := t.queryRow("SELECT body FROM reports WHERE id = ?", id).Scan(&body); err != nil {
		return nil, nil, notFound(err, fmt.Sprintf("report %q", id))
	}
	var records []string
	err := t.reader().each("SELECT record_id FROM report_records WHERE report_id = ? ORDER BY record_id", []any{id}, func(rows *sql.Rows) error {
		var rid string
		if err := rows.Scan(&rid); err != nil {
			return err
		}
		records = append(records, rid)
		return nil
	})
	return []byte(body), orEmpty(records), err
}

// Report returns one report, with every record id it groups, inside the transaction.
func (t *Tx) Report(id string) (intel.Report, error) {
	var body string
	if err := t.queryRow("SELECT body FROM reports WHERE id = ?", id).Scan(&body); err != nil {
		return intel.Report{}, notFound(err, fmt.Sprintf("report %q", id))
	}
	r, err := decodeReport(body)
	if err != nil {
		return r, err
	}
	rows, err := t.tx.QueryContext(t.ctx, t.d.q("SELECT record_id FROM report_records WHERE report_id = ? ORDER BY record_id"), id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	r.Records = []string{}
	for rows.Next() {
		var rid string
		if err := rows.Scan(&rid); err != nil {
			return r, err
		}
		r.Records = append(r.Records, rid)
	}
	return r, rows.Err()
}

// Report returns one report, with every record id it groups.
func (s *Store) Report(ctx context.Context, id string) (intel.Report, error) {
	var body string
	if err := s.queryRow(ctx, "SELECT body FROM reports WHERE id = ?", id).Scan(&body); err != nil {
		return intel.Report{}, notFound(err, fmt.Sprintf("report %q", id))
	}
	r, err := decodeReport(body)
	if err != nil {
		return r, err
	}
	r.Records, err = s.strings(ctx, "SELECT record_id FROM report_records WHERE report_id = ? ORDER BY record_id", id)
	return r, err
}

func decodeReport(body string) (intel.Report, error) {
	var r intel.Report
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("store: decode report: %w", err)
	}
	return r, nil
}

// ReportQuery selects reports for listing.
type ReportQuery struct {
	Originator     string
	Record         string // reports grouping this record
	Tag            string // a tag key (intel.TagKeys)
	Source         string // KIND:ID of the report's intel.Source (a MISP event: "misp:<uuid>")
	Search         search.Query
	IncludeRevoked bool
	After          string // only reports with a greater id
	Limit          int
}

// Reports returns up to q.Limit reports in id (creation) order that match q and vis, each with its record ids.
func (s *Store) Reports(ctx context.Context, q ReportQuery, vis *Visibility) ([]intel.Report, error) {
	var where []string
	var args []any
	if q.Originator != "" {
		where, args = append(where, "reports.originator = ?"), append(args, q.Originator)
	}
	if q.Record != "" {
		where, args = append(where, "reports.id IN (SELECT report_id FROM report_records WHERE record_id = ?)"), append(args, q.Record)
	}
	if q.Tag != "" {
		where, args = append(where, "reports.id IN (SELECT report_id FROM report_terms WHERE term = ?)"), append(args, tagTerm(q.Tag))
	}
	if q.Source != "" {
		where, args = append(where, "reports.id IN (SELECT report_id FROM report_terms WHERE term = ?)"), append(args, "s:"+q.Source)
	}
	if len(q.Search) > 0 {
		cond, cargs := s.d.searchCond(reportSearch, "text", q.Search)
		where, args = append(where, cond), append(args, cargs...)
	}
	if !q.IncludeRevoked {
		where = append(where, "reports.revoked IS NULL")
	}
	where, args = append(where, "reports.id > ?"), append(args, q.After)
	var vw string
	vw, args = vis.where("reports", "report_terms", "report_id", args)
	where = append(where, vw)
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rs, err := s.query(ctx, "SELECT body FROM reports WHERE "+strings.Join(where, " AND ")+" ORDER BY reports.id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: list reports: %w", err)
	}
	var out []intel.Report
	for rs.Next() {
		var body string
		if err := rs.Scan(&body); err != nil {
			rs.Close()
			return nil, err
		}
		r, err := decodeReport(body)
		if err != nil {
			rs.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Records, err = s.strings(ctx, "SELECT record_id FROM report_records WHERE report_id = ? ORDER BY record_id", out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sortedIDs returns ids sorted, never nil.
func sortedIDs(ids []string) []string {
	out := append([]string{}, ids...)
	slices.Sort(out)
	return out
}
