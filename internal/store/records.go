package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fusion/internal/canonical"
	"fusion/internal/intel"
	"fusion/internal/search"
)

// Visibility narrows reads to rows that the policy gate might show an
// organization (a nil or empty Visibility matches nothing): clear and green rows, its own, and rows whose audience names
// it or one of its groups. It is a superset of what the gate allows (for
// amber+strict and red the gate ignores groups; here they are kept) and
// never a substitute for asking the gate.
type Visibility struct {
	Org    string
	Groups []string
}

// terms returns the audience terms that reach v: its organization and groups.
func (v *Visibility) terms() []any {
	out := []any{orgTerm(v.Org)}
	for _, g := range v.Groups {
		out = append(out, groupTerm(g))
	}
	return out
}

// where returns the condition on table (records or reports) and its args.
// The audience test is a correlated EXISTS, a primary-key seek per term
// for each row the query reads: listings read rows in order and stop at
// their limit, so it costs what the page costs. "id IN (SELECT ...)" made
// SQLite list every record the caller's terms name before reading the
// first row, for every page: a first TAXII page took as long as the
// caller's audience was large, and the records export, a page of 1,000
// at a time, slowed to about 70 records/s at 1,000,000 records.
func (v *Visibility) where(table, termTable, idCol string, args []any) (string, []any) {
	if v == nil || v.Org == "" {
		return "1=0", args // no visibility given: nothing, never everything
	}
	terms := v.terms()
	cond := fmt.Sprintf("(%s.tlp IN ('clear', 'green') OR %s.originator = ? OR EXISTS (SELECT 1 FROM %s t WHERE t.term IN (%s) AND t.%s = %s.id))",
		table, table, termTable, placeholders(len(terms)), idCol, table)
	args = append(args, v.Org)
	return cond, append(args, terms...)
}

func orgTerm(org string) string     { return "o:" + org }
func groupTerm(group string) string { return "g:" + group }
func labelTerm(label string) string { return "l:" + label }
func tagTerm(key string) string     { return "t:" + key }

// appendTerms appends the (term, id) pairs for an audience, labels and
// tags (each tag by every key it is found by: intel.TagKeys).
func appendTerms(args []any, id string, a intel.Audience, labels, tags []string) []any {
	for _, o := range a.Orgs {
		args = append(args, orgTerm(o), id)
	}
	for _, g := range a.Groups {
		args = append(args, groupTerm(g), id)
	}
	for _, l := range labels {
		args = append(args, labelTerm(l), id)
	}
	var keys []string
	for _, t := range tags {
		for _, k := range intel.TagKeys(t) {
			if !slices.Contains(keys, k) { // two tags of one predicate share its key
				keys = append(keys, k)
				args = append(args, tagTerm(k), id)
			}
		}
	}
	return args
}

// replaceTerms swaps the terms of prev for those of next in table, whose
// id column is idCol.
func (t *Tx) replaceTerms(table, idCol string, prev, next []any) error {
	for i := 0; i < len(prev); i += 2 {
		if _, err := t.exec("DELETE FROM "+table+" WHERE term = ? AND "+idCol+" = ?", prev[i], prev[i+1]); err != nil {
			return err
		}
	}
	b := t.batch("INSERT INTO "+table+" (term, "+idCol+") VALUES ", 2)
	defer b.close()
	if err := b.add(next...); err != nil {
		return err
	}
	return b.flush()
}

// Encoded is a record with its stored form, made by Encode. Encoding is
// the costly part of an insert, so callers can do it in parallel before the
// write transaction.
type Encoded struct {
	Record *intel.Record
	// Body is the record's JSON in RFC 8785 canonical form: the bytes the
	// evidence log's content hash covers.
	Body []byte
	// Sum is the SHA-256 of Body.
	Sum [sha256.Size]byte
	// SearchFull and SearchRedacted are the texts the record is found by
	// (recordSearchText).
	SearchFull, SearchRedacted string
}

// Encode returns r with its stored form.
func Encode(r *intel.Record) (Encoded, error) {
	b := r.MarshalCanonical()
	full, red := recordSearchText(r)
	return Encoded{Record: r, Body: b, Sum: sha256.Sum256(b), SearchFull: full, SearchRedacted: red}, nil
}

// canonical returns the RFC 8785 canonical JSON of v.
func canonicalJSON(v any) ([]byte, error) { return canonical.JSON(v) }

// InsertRecords stores new records with multi-row inserts, each statement
// shape prepared once.
func (t *Tx) InsertRecords(recs []Encoded) error {
	ins := t.batch("INSERT INTO records (id, type, value, originator, tlp, personal, discoverable, created, updated, revoked, version, body) VALUES ", 12)
	defer ins.close()
	terms := t.batch("INSERT INTO record_terms (term, record_id) VALUES ", 2)
	defer terms.close()
	var termArgs []any
	found := make([][]any, len(recs))
	for i := range recs {
		found[i] = []any{recs[i].Record.ID, recs[i].SearchFull, recs[i].SearchRedacted}
		r := recs[i].Record
		err := ins.add(r.ID, string(r.Type), r.Value, r.Originator, string(r.TLP), r.Personal, r.Discoverable,
			micros(r.Created), micros(r.Updated), nullMicros(r.Revoked), r.Version, string(recs[i].Body))
		if err != nil {
			return insertErr(err)
		}
		termArgs = appendTerms(termArgs[:0], r.ID, r.Audience, r.Labels, r.Tags)
		if err := terms.add(termArgs...); err != nil {
			return fmt.Errorf("store: insert record terms: %w", err)
		}
	}
	if err := ins.flush(); err != nil {
		return insertErr(err)
	}
	if err := terms.flush(); err != nil {
		return fmt.Errorf("store: insert record terms: %w", err)
	}
	if err := t.indexForSearch(recordSearch, found); err != nil {
		return fmt.Errorf("store: index records for search: %w", err)
	}
	feed := make([]FeedEntry, len(recs))
	for i := range recs {
		feed[i] = FeedEntry{FeedRecord, recs[i].Record.ID, recs[i].Record.Version}
	}
	return t.appendFeed(feed...)
}

func insertErr(err error) error {
	switch {
	case isUnique(err):
		return fmt.Errorf("record id: %w", ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("originator: %w", ErrNotFound)
	}
	return fmt.Errorf("store: insert records: %w", err)
}

// insertChunk bounds the rows in one multi-row INSERT (well under SQLite's
// and PostgreSQL's limits on bound parameters).
const insertChunk = 256

// batcher gathers rows for a multi-row INSERT and writes them insertChunk at
// a time through one prepared statement; the last partial chunk goes
// through a statement of its own size.
type batcher struct {
	t      *Tx
	prefix string
	row    string // one row's values, with width placeholders
	width  int
	args   []any
	full   *sql.Stmt
}

func (t *Tx) batch(prefix string, width int) *batcher {
	return t.batchRows(prefix, "("+placeholders(width)+")", width)
}

// batchRows is batch for rows whose values are written as row, an
// expression list with width placeholders: "(?, to_tsvector(?))".
func (t *Tx) batchRows(prefix, row string, width int) *batcher {
	return &batcher{t: t, prefix: prefix, row: row, width: width, args: make([]any, 0, insertChunk*width)}
}

// add appends one or more rows given as flat args.
func (b *batcher) add(args ...any) error {
	for len(args) > 0 {
		n := min(len(args), cap(b.args)-len(b.args))
		b.args = append(b.args, args[:n]...)
		args = args[n:]
		if len(b.args) == cap(b.args) {
			if b.full == nil {
				st, err := b.t.tx.PrepareContext(b.t.ctx, b.t.d.q(b.prefix+rowsOf(insertChunk, b.row)))
				if err != nil {
					return err
				}
				b.full = st
			}
			if _, err := b.full.ExecContext(b.t.ctx, b.args...); err != nil {
				return err
			}
			b.args = b.args[:0]
		}
	}
	return nil
}

// flush writes the rows still gathered.
func (b *batcher) flush() error {
	if len(b.args) == 0 {
		return nil
	}
	_, err := b.t.exec(b.prefix+rowsOf(len(b.args)/b.width, b.row), b.args...)
	b.args = b.args[:0]
	return err
}

func (b *batcher) close() {
	if b.full != nil {
		b.full.Close()
	}
}

func rowsOf(n int, one string) string {
	return strings.Repeat(one+", ", n-1) + one
}

// UpdateRecord replaces prev with next, keeping prev in record_versions. It
// fails with ErrConflict if the stored version is no longer prev.Version.
func (t *Tx) UpdateRecord(prev *intel.Record, enc Encoded) error {
	next := enc.Record
	// The earlier version keeps its stored bytes exactly: they are what its
	// evidence leaf hashed.
	res, err := t.exec("INSERT INTO record_versions (record_id, version, body) SELECT id, version, body FROM records WHERE id = ? AND version = ?", prev.ID, prev.Version)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("record %s version %d: %w", prev.ID, prev.Version, ErrConflict)
		}
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("record %s changed underneath: %w", prev.ID, ErrConflict)
	}
	res, err = t.exec("UPDATE records SET tlp = ?, personal = ?, discoverable = ?, updated = ?, revoked = ?, version = ?, body = ? WHERE id = ? AND version = ?",
		string(next.TLP), next.Personal, next.Discoverable, micros(next.Updated), nullMicros(next.Revoked), next.Version, string(enc.Body), prev.ID, prev.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("record %s changed underneath: %w", prev.ID, ErrConflict)
	}
	err = t.replaceTerms("record_terms", "record_id",
		appendTerms(nil, prev.ID, prev.Audience, prev.Labels, prev.Tags), appendTerms(nil, next.ID, next.Audience, next.Labels, next.Tags))
	if err != nil {
		return err
	}
	if err := t.reindexForSearch(recordSearch, []any{next.ID, enc.SearchFull, enc.SearchRedacted}); err != nil {
		return err
	}
	return t.appendFeed(FeedEntry{FeedRecord, next.ID, next.Version})
}

// Record returns one record as stored, inside the transaction.
func (t *Tx) Record(id string) (intel.Record, error) {
	r, _, err := t.RecordWithBody(id)
	return r, err
}

// RecordWithBody returns one record and its stored body's exact bytes,
// inside the transaction.
func (t *Tx) RecordWithBody(id string) (intel.Record, []byte, error) {
	var body string
	if err := t.queryRow("SELECT body FROM records WHERE id = ?", id).Scan(&body); err != nil {
		return intel.Record{}, nil, notFound(err, fmt.Sprintf("record %q", id))
	}
	r, err := decodeRecord(body)
	return r, []byte(body), err
}

// RecordVisible returns one record if vis may see it (the same prefilter as
// lists: the gate still decides), else ErrNotFound — the same query, and
// the same answer, whether the record is hidden or does not exist.
func (s *Store) RecordVisible(ctx context.Context, id string, vis *Visibility) (intel.Record, error) {
	cond, args := vis.where("records", "record_terms", "record_id", []any{id})
	var body string
	if err := s.queryRow(ctx, "SELECT body FROM records WHERE records.id = ? AND "+cond, args...).Scan(&body); err != nil {
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
	Tag            string // a tag key (intel.TagKeys)
	Search         search.Query
	Originator     string
	Since          int64 // updated at or after, in Unix microseconds
	IncludeRevoked bool
	After          string // only records with a greater id
	Limit          int
}

// Found is a record a search found, and whether what it showed in
// redacted form alone (labels, tags, reference) matched: the gate lets a
// caller who sees it redacted find it only then.
type Found struct {
	Record   intel.Record
	Redacted bool
}

// Records returns up to q.Limit records in id (creation) order that match q and vis.
func (s *Store) Records(ctx context.Context, q RecordQuery, vis *Visibility) ([]intel.Record, error) {
	found, err := s.FindRecords(ctx, q, vis)
	out := make([]intel.Record, len(found))
	for i := range found {
		out[i] = found[i].Record
	}
	return out, err
}

// FindRecords is Records saying, for a search (q.Search), which records
// matched in their redacted text too. Without a search every record
// found is Redacted: nothing it hides was searched.
func (s *Store) FindRecords(ctx context.Context, q RecordQuery, vis *Visibility) ([]Found, error) {
	if len(q.Search) > 0 && s.d.name == "sqlite" {
		return s.searchRecordsFTS(ctx, q, vis)
	}
	var where []string
	var args []any
	redacted := "1"
	if len(q.Search) > 0 {
		cond, cargs := s.d.searchCond(recordSearch, "redacted", q.Search)
		redacted, args = "CASE WHEN "+cond+" THEN 1 ELSE 0 END", append(args, cargs...)
		cond, cargs = s.d.searchCond(recordSearch, "full", q.Search)
		where, args = append(where, cond), append(args, cargs...)
	}
	where, args = recordConds(q, where, args)
	where, args = append(where, "records.id > ?"), append(args, q.After)
	var vw string
	vw, args = vis.where("records", "record_terms", "record_id", args)
	where = append(where, vw)
	args = append(args, recordLimit(q))
	rs, err := s.query(ctx, "SELECT body, "+redacted+" FROM records WHERE "+strings.Join(where, " AND ")+" ORDER BY records.id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: list records: %w", err)
	}
	defer rs.Close()
	var out []Found
	for rs.Next() {
		var body string
		var red int
		if err := rs.Scan(&body, &red); err != nil {
			return nil, err
		}
		r, err := decodeRecord(body)
		if err != nil {
			return nil, err
		}
		out = append(out, Found{Record: r, Redacted: red == 1})
	}
	return out, rs.Err()
}

// searchRecordsFTS is FindRecords for a search on SQLite. The rows come
// in the order of the full-text index (a record's rid: the order records
// were first indexed, which is nearly their id order), not by id, so that
// FTS5 hands over matches already ordered and the query stops at the
// page's end: its cost is the page's, where ordering by id cost every
// match (a common word among 1,000,000 records: 250 ms instead of 2).
// The cursor is still the last record's id; its rid says where to go on.
// Whether the redacted text matches too is decided here, on the page's
// records, by the same rule as the index (search.Query.Matches).
func (s *Store) searchRecordsFTS(ctx context.Context, q RecordQuery, vis *Visibility) ([]Found, error) {
	var after int64
	if q.After != "" {
		err := s.queryRow(ctx, "SELECT rid FROM "+recordSearch.rows+" WHERE "+recordSearch.key+" = ?", q.After).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil // not a record: nothing after it
		}
		if err != nil {
			return nil, fmt.Errorf("store: search records: %w", err)
		}
	}
	where := []string{"f." + recordSearch.index + " MATCH ?", "f.rowid > ?"}
	args := []any{ftsQuery("full", q.Search), after}
	where, args = recordConds(q, where, args)
	var vw string
	vw, args = vis.where("records", "record_terms", "record_id", args)
	where = append(where, vw)
	args = append(args, recordLimit(q))
	rs, err := s.query(ctx, "SELECT records.body FROM "+recordSearch.index+" f JOIN "+recordSearch.rows+" m ON m.rid = f.rowid JOIN records ON records.id = m."+recordSearch.key+
		" WHERE "+strings.Join(where, " AND ")+" ORDER BY f.rowid LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: search records: %w", err)
	}
	defer rs.Close()
	var out []Found
	for rs.Next() {
		var body string
		if err := rs.Scan(&body); err != nil {
			return nil, err
		}
		r, err := decodeRecord(body)
		if err != nil {
			return nil, err
		}
		_, red := recordSearchText(&r)
		out = append(out, Found{Record: r, Redacted: q.Search.Matches(red)})
	}
	return out, rs.Err()
}

// recordConds appends the conditions of q other than the search and the
// cursor.
func recordConds(q RecordQuery, where []string, args []any) ([]string, []any) {
	if q.Tag != "" {
		where, args = append(where, "records.id IN (SELECT record_id FROM record_terms WHERE term = ?)"), append(args, tagTerm(q.Tag))
	}
	if q.Type != "" {
		where, args = append(where, "records.type = ?"), append(args, q.Type)
	}
	if q.Value != "" {
		where, args = append(where, "records.value = ?"), append(args, q.Value)
	}
	if q.Label != "" {
		where, args = append(where, "records.id IN (SELECT record_id FROM record_terms WHERE term = ?)"), append(args, labelTerm(q.Label))
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
	return where, args
}

func recordLimit(q RecordQuery) int {
	if q.Limit <= 0 {
		return 100
	}
	return q.Limit
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

// RecordsChangedSince calls fn with the body of every record updated at or
// after since (Unix microseconds), oldest change first, with its update
// time. With activeOnly, revoked records are left out (for a first load).
func (s *Store) RecordsChangedSince(ctx context.Context, since int64, activeOnly bool, fn func(updated int64, body []byte) error) error {
	q := "SELECT updated, body FROM records WHERE updated >= ?"
	if activeOnly {
		q += " AND revoked IS NULL"
	}
	rows, err := s.query(ctx, q+" ORDER BY updated", since)
	if err != nil {
		return fmt.Errorf("store: records changed since %d: %w", since, err)
	}
	defer rows.Close()
	var body []byte
	for rows.Next() {
		var updated int64
		if err := rows.Scan(&updated, &body); err != nil {
			return err
		}
		if err := fn(updated, body); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RecordOriginators returns the originator of each of ids that names a
// record, inside the transaction.
func (t *Tx) RecordOriginators(ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		err := t.reader().each("SELECT id, originator FROM records WHERE id IN ("+placeholders(len(part))+")", args, func(rows *sql.Rows) error {
			var id, org string
			if err := rows.Scan(&id, &org); err != nil {
				return err
			}
			out[id] = org
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
