package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"fusion/internal/intel"
)

// Visibility narrows reads to rows that the policy gate might show an
// organization: clear and green rows, its own, and rows whose audience names
// it or one of its groups. It is a superset of what the gate allows (for
// amber+strict and red the gate ignores groups; here they are kept) and
// never a substitute for asking the gate.
type Visibility struct {
	Org    string
	Groups []string
}

func (v *Visibility) where(table, audience, idCol string, args []any) (string, []any) {
	if v == nil {
		return "1=1", args
	}
	var b strings.Builder
	fmt.Fprintf(&b, "(%s.tlp IN ('clear', 'green') OR %s.originator = ? OR %s.id IN (SELECT %s FROM %s WHERE (kind = 'o' AND ref = ?)",
		table, table, table, idCol, audience)
	args = append(args, v.Org, v.Org)
	if len(v.Groups) > 0 {
		fmt.Fprintf(&b, " OR (kind = 'g' AND ref IN (%s))", placeholders(len(v.Groups)))
		for _, g := range v.Groups {
			args = append(args, g)
		}
	}
	b.WriteString("))")
	return b.String(), args
}

// insertChunk bounds the rows in one multi-row INSERT (well under SQLite's
// and PostgreSQL's limits on bound parameters).
const insertChunk = 200

// InsertRecords stores new records with multi-row inserts.
func (t *Tx) InsertRecords(recs []intel.Record) error {
	for start := 0; start < len(recs); start += insertChunk {
		chunk := recs[start:min(start+insertChunk, len(recs))]
		args := make([]any, 0, len(chunk)*12)
		var aud, lab []any
		for i := range chunk {
			r := &chunk[i]
			body, err := json.Marshal(r)
			if err != nil {
				return err
			}
			args = append(args, r.ID, string(r.Type), r.Value, r.Originator, string(r.TLP), r.Personal, r.Discoverable,
				micros(r.Created), micros(r.Updated), nullMicros(r.Revoked), r.Version, string(body))
			aud = appendAudience(aud, r.ID, r.Audience)
			for _, l := range r.Labels {
				lab = append(lab, r.ID, l)
			}
		}
		q := "INSERT INTO records (id, type, value, originator, tlp, personal, discoverable, created, updated, revoked, version, body) VALUES " +
			rows(len(chunk), 12)
		if _, err := t.exec(q, args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("record id: %w", ErrConflict)
			}
			if isForeignKey(err) {
				return fmt.Errorf("originator: %w", ErrNotFound)
			}
			return fmt.Errorf("store: insert records: %w", err)
		}
		if err := t.insertPairs("record_audience (record_id, kind, ref)", 3, aud); err != nil {
			return err
		}
		if err := t.insertPairs("record_labels (record_id, label)", 2, lab); err != nil {
			return err
		}
	}
	return nil
}

func appendAudience(args []any, id string, a intel.Audience) []any {
	for _, o := range a.Orgs {
		args = append(args, id, "o", o)
	}
	for _, g := range a.Groups {
		args = append(args, id, "g", g)
	}
	return args
}

// insertPairs inserts flat args as rows of width columns, in chunks.
func (t *Tx) insertPairs(into string, width int, args []any) error {
	per := insertChunk * 4
	for start := 0; start < len(args); start += per * width {
		end := min(start+per*width, len(args))
		if _, err := t.exec("INSERT INTO "+into+" VALUES "+rows((end-start)/width, width), args[start:end]...); err != nil {
			return fmt.Errorf("store: insert into %s: %w", into, err)
		}
	}
	return nil
}

func rows(n, width int) string {
	one := "(" + placeholders(width) + ")"
	return strings.Repeat(one+", ", n-1) + one
}

// UpdateRecord replaces prev with next, keeping prev in record_versions. It
// fails with ErrConflict if the stored version is no longer prev.Version.
func (t *Tx) UpdateRecord(prev, next *intel.Record) error {
	old, err := json.Marshal(prev)
	if err != nil {
		return err
	}
	body, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if _, err := t.exec("INSERT INTO record_versions (record_id, version, body) VALUES (?, ?, ?)", prev.ID, prev.Version, string(old)); err != nil {
		if isUnique(err) {
			return fmt.Errorf("record %s version %d: %w", prev.ID, prev.Version, ErrConflict)
		}
		return err
	}
	res, err := t.exec("UPDATE records SET tlp = ?, personal = ?, discoverable = ?, updated = ?, revoked = ?, version = ?, body = ? WHERE id = ? AND version = ?",
		string(next.TLP), next.Personal, next.Discoverable, micros(next.Updated), nullMicros(next.Revoked), next.Version, string(body), prev.ID, prev.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("record %s changed underneath: %w", prev.ID, ErrConflict)
	}
	if _, err := t.exec("DELETE FROM record_audience WHERE record_id = ?", prev.ID); err != nil {
		return err
	}
	if _, err := t.exec("DELETE FROM record_labels WHERE record_id = ?", prev.ID); err != nil {
		return err
	}
	if err := t.insertPairs("record_audience (record_id, kind, ref)", 3, appendAudience(nil, next.ID, next.Audience)); err != nil {
		return err
	}
	var lab []any
	for _, l := range next.Labels {
		lab = append(lab, next.ID, l)
	}
	return t.insertPairs("record_labels (record_id, label)", 2, lab)
}

// Record returns one record as stored, inside the transaction.
func (t *Tx) Record(id string) (intel.Record, error) {
	var body string
	if err := t.queryRow("SELECT body FROM records WHERE id = ?", id).Scan(&body); err != nil {
		return intel.Record{}, notFound(err, fmt.Sprintf("record %q", id))
	}
	return decodeRecord(body)
}

// Record returns one record as stored.
func (s *Store) Record(ctx context.Context, id string) (intel.Record, error) {
	var body string
	if err := s.queryRow(ctx, "SELECT body FROM records WHERE id = ?", id).Scan(&body); err != nil {
		return intel.Record{}, notFound(err, fmt.Sprintf("record %q", id))
	}
	return decodeRecord(body)
}

func decodeRecord(body string) (intel.Record, error) {
	var r intel.Record
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("store: decode record: %w", err)
	}
	return r, nil
}

// RecordVersions returns the earlier versions of a record, oldest first.
func (s *Store) RecordVersions(ctx context.Context, id string) ([]intel.Record, error) {
	bodies, err := s.strings(ctx, "SELECT body FROM record_versions WHERE record_id = ? ORDER BY version", id)
	if err != nil {
		return nil, err
	}
	out := make([]intel.Record, 0, len(bodies))
	for _, b := range bodies {
		r, err := decodeRecord(b)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RecordQuery selects records for listing. Zero fields do not filter.
type RecordQuery struct {
	Type           string
	Value          string // exact canonical value (with Type)
	Label          string
	Originator     string
	Since          int64 // updated at or after, in Unix microseconds
	IncludeRevoked bool
	After          string // only records with a greater id
	Limit          int
}

// Records returns up to q.Limit records in id (creation) order that match q and vis.
func (s *Store) Records(ctx context.Context, q RecordQuery, vis *Visibility) ([]intel.Record, error) {
	var where []string
	var args []any
	if q.Type != "" {
		where, args = append(where, "records.type = ?"), append(args, q.Type)
	}
	if q.Value != "" {
		where, args = append(where, "records.value = ?"), append(args, q.Value)
	}
	if q.Label != "" {
		where, args = append(where, "records.id IN (SELECT record_id FROM record_labels WHERE label = ?)"), append(args, q.Label)
	}
	if q.Originator != "" {
		where, args = append(where, "records.originator = ?"), append(args, q.Originator)
	}
	if q.Since != 0 {
		where, args = append(where, "records.updated >= ?"), append(args, q.Since)
	}
	if !q.IncludeRevoked {
		where = append(where, "records.revoked IS NULL")
	}
	where, args = append(where, "records.id > ?"), append(args, q.After)
	var vw string
	vw, args = vis.where("records", "record_audience", "record_id", args)
	where = append(where, vw)
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rs, err := s.query(ctx, "SELECT body FROM records WHERE "+strings.Join(where, " AND ")+" ORDER BY records.id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: list records: %w", err)
	}
	defer rs.Close()
	var out []intel.Record
	for rs.Next() {
		var body string
		if err := rs.Scan(&body); err != nil {
			return nil, err
		}
		r, err := decodeRecord(body)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// RecordsByID returns the stored records among ids, in no particular order.
func (s *Store) RecordsByID(ctx context.Context, ids []string) ([]intel.Record, error) {
	var out []intel.Record
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rs, err := s.query(ctx, "SELECT body FROM records WHERE id IN ("+placeholders(len(part))+")", args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var body string
			if err := rs.Scan(&body); err != nil {
				rs.Close()
				return nil, err
			}
			r, err := decodeRecord(body)
			if err != nil {
				rs.Close()
				return nil, err
			}
			out = append(out, r)
		}
		if err := rs.Err(); err != nil {
			rs.Close()
			return nil, err
		}
		rs.Close()
	}
	return out, nil
}
