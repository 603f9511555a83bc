package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"fusion/internal/canonical"
)

// The row types below are what the evidence log hashes: each is a table's
// row exactly as stored, independent of the API's types, so that adding a
// field to an API struct never changes the content hash of a stored object.

// OrgRow is an organization's row.
type OrgRow struct {
	ID, Name, Country, Sector   string
	Operator, AnonymousFeedback bool
	Created                     time.Time
}

// GroupRow is a sharing group's row with its member rows, ordered by org.
type GroupRow struct {
	ID, Name, Owner string
	Created         time.Time
	Members         []MemberRow
}

// MemberRow is one row of group_members.
type MemberRow struct {
	Org   string
	Added time.Time
}

// TokenRow is a token's row. LastUsed changes on every use without an
// evidence entry; the evidence log does not cover it.
type TokenRow struct {
	ID, Org, Role, Name string
	Hash                []byte
	Created             time.Time
	Revoked, LastUsed   *time.Time
}

// ReportRow is a report's row with the ids of the records it groups
// (report_records), sorted, and its audience terms (report_terms), sorted.
type ReportRow struct {
	ID, Originator, TLP string
	Created, Updated    time.Time
	Revoked             *time.Time
	Version             int
	Body                []byte
	Records             []string
	Terms               []string
}

// VersionRow is one earlier version of a record or report: its stored
// body, and for a report the ids of the records it grouped.
type VersionRow struct {
	ID      string
	Version int
	Body    []byte
	Records []string
}

// HitQuery is a hit/no-hit query as stored: who asked, when, and the keyed
// hashes of the values asked about.
type HitQuery struct {
	ID, Org, TokenID string
	Created          time.Time
	Hashes           []byte
}

// TorImport is one import of Tor data.
type TorImport struct {
	ID          string
	Imported    time.Time
	Files       []TorFile
	Consensuses int
	Skipped     int
	Relays      int
	Intervals   int
	ExitLists   int
	ExitScans   int
}

// TorFile is one file an import read; its JSON is the form of the
// tor_imports.files column.
type TorFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// WitnessLog is what this hub, as a witness, last co-signed for one log.
type WitnessLog struct {
	Origin  string
	Size    int64
	Root    []byte
	Note    string
	Updated time.Time
}

// reader runs queries in a transaction or on the pool alike.
type reader struct {
	ctx context.Context
	q   interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}
	d *dialect
}

func (s *Store) reader(ctx context.Context) reader { return reader{ctx, s.q, s.d} }
func (t *Tx) reader() reader                       { return reader{t.ctx, t.tx, t.d} }

func (r reader) query(q string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(r.ctx, r.d.q(q), args...)
}

func (r reader) queryRow(q string, args ...any) *sql.Row {
	return r.q.QueryRowContext(r.ctx, r.d.q(q), args...)
}

// each runs q and calls fn for every row.
func (r reader) each(q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := r.query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

const orgRowColumns = "id, name, country, sector, operator, anonymous_feedback, created"

func scanOrgRow(sc interface{ Scan(...any) error }) (OrgRow, error) {
	var o OrgRow
	var created int64
	err := sc.Scan(&o.ID, &o.Name, &o.Country, &o.Sector, &o.Operator, &o.AnonymousFeedback, &created)
	o.Created = fromMicros(created)
	return o, err
}

// OrgRow returns an organization's row, inside the transaction.
func (t *Tx) OrgRow(id string) (OrgRow, error) {
	o, err := scanOrgRow(t.reader().queryRow("SELECT "+orgRowColumns+" FROM orgs WHERE id = ?", id))
	return o, notFound(err, fmt.Sprintf("organization %q", id))
}

// ScanOrgRows calls fn for every organization row, in id order.
func (s *Store) ScanOrgRows(ctx context.Context, fn func(OrgRow) error) error {
	return s.reader(ctx).each("SELECT "+orgRowColumns+" FROM orgs ORDER BY id", nil, func(rows *sql.Rows) error {
		o, err := scanOrgRow(rows)
		if err != nil {
			return err
		}
		return fn(o)
	})
}

func (r reader) groupRow(id string) (GroupRow, error) {
	var g GroupRow
	var created int64
	err := r.queryRow("SELECT id, name, owner, created FROM sharing_groups WHERE id = ?", id).Scan(&g.ID, &g.Name, &g.Owner, &created)
	if err != nil {
		return g, notFound(err, fmt.Sprintf("group %q", id))
	}
	g.Created = fromMicros(created)
	g.Members = []MemberRow{}
	err = r.each("SELECT org_id, added FROM group_members WHERE group_id = ? ORDER BY org_id", []any{id}, func(rows *sql.Rows) error {
		var m MemberRow
		var added int64
		if err := rows.Scan(&m.Org, &added); err != nil {
			return err
		}
		m.Added = fromMicros(added)
		g.Members = append(g.Members, m)
		return nil
	})
	return g, err
}

// GroupRow returns a group's row and member rows, inside the transaction.
func (t *Tx) GroupRow(id string) (GroupRow, error) { return t.reader().groupRow(id) }

// ScanGroupRows calls fn for every group, in id order; member rows whose
// group does not exist are reported as groups with no name.
func (s *Store) ScanGroupRows(ctx context.Context, fn func(GroupRow) error) error {
	r := s.reader(ctx)
	ids, err := s.strings(ctx, "SELECT id FROM sharing_groups UNION SELECT group_id FROM group_members ORDER BY 1")
	if err != nil {
		return err
	}
	for _, id := range ids {
		g, err := r.groupRow(id)
		if IsNotFound(err) {
			g = GroupRow{ID: id}
			err = nil
		}
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

const tokenRowColumns = "id, org_id, role, name, hash, created, revoked, last_used"

func scanTokenRow(sc interface{ Scan(...any) error }) (TokenRow, error) {
	var t TokenRow
	var created int64
	var revoked, used sql.NullInt64
	err := sc.Scan(&t.ID, &t.Org, &t.Role, &t.Name, &t.Hash, &created, &revoked, &used)
	t.Created, t.Revoked, t.LastUsed = fromMicros(created), fromNullMicros(revoked), fromNullMicros(used)
	return t, err
}

// TokenRow returns a token's row, inside the transaction.
func (t *Tx) TokenRow(id string) (TokenRow, error) {
	tok, err := scanTokenRow(t.reader().queryRow("SELECT "+tokenRowColumns+" FROM tokens WHERE id = ?", id))
	return tok, notFound(err, fmt.Sprintf("token %q", id))
}

// ScanTokenRows calls fn for every token row, in id order.
func (s *Store) ScanTokenRows(ctx context.Context, fn func(TokenRow) error) error {
	return s.reader(ctx).each("SELECT "+tokenRowColumns+" FROM tokens ORDER BY id", nil, func(rows *sql.Rows) error {
		t, err := scanTokenRow(rows)
		if err != nil {
			return err
		}
		return fn(t)
	})
}

// ScanReportRows calls fn for every report row with its record links and
// terms, in id order; links and terms of reports that do not exist are
// reported as reports with no body.
func (s *Store) ScanReportRows(ctx context.Context, fn func(ReportRow) error) error {
	r := s.reader(ctx)
	links, err := s.pairs(ctx, "SELECT report_id, record_id FROM report_records ORDER BY report_id, record_id")
	if err != nil {
		return err
	}
	terms, err := s.pairs(ctx, "SELECT report_id, term FROM report_terms ORDER BY report_id, term")
	if err != nil {
		return err
	}
	err = r.each("SELECT id, originator, tlp, created, updated, revoked, version, body FROM reports ORDER BY id", nil, func(rows *sql.Rows) error {
		var x ReportRow
		var created, updated int64
		var revoked sql.NullInt64
		var body string
		if err := rows.Scan(&x.ID, &x.Originator, &x.TLP, &created, &updated, &revoked, &x.Version, &body); err != nil {
			return err
		}
		x.Created, x.Updated, x.Revoked, x.Body = fromMicros(created), fromMicros(updated), fromNullMicros(revoked), []byte(body)
		x.Records, x.Terms = orEmpty(links[x.ID]), orEmpty(terms[x.ID])
		delete(links, x.ID)
		delete(terms, x.ID)
		return fn(x)
	})
	if err != nil {
		return err
	}
	orphans := map[string]bool{}
	for id := range links {
		orphans[id] = true
	}
	for id := range terms {
		orphans[id] = true
	}
	for id := range orphans {
		if err := fn(ReportRow{ID: id, Records: links[id], Terms: terms[id]}); err != nil {
			return err
		}
	}
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// pairs runs a two-column query and groups the second column by the first.
func (s *Store) pairs(ctx context.Context, q string) (map[string][]string, error) {
	out := map[string][]string{}
	err := s.reader(ctx).each(q, nil, func(rows *sql.Rows) error {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		out[k] = append(out[k], v)
		return nil
	})
	return out, err
}

// ScanRecordVersions calls fn for every earlier version of every record, by
// record id and version.
func (s *Store) ScanRecordVersions(ctx context.Context, fn func(VersionRow) error) error {
	return s.reader(ctx).each("SELECT record_id, version, body FROM record_versions ORDER BY record_id, version", nil, func(rows *sql.Rows) error {
		var v VersionRow
		var body string
		if err := rows.Scan(&v.ID, &v.Version, &body); err != nil {
			return err
		}
		v.Body = []byte(body)
		return fn(v)
	})
}

// ScanReportVersions calls fn for every earlier version of every report.
func (s *Store) ScanReportVersions(ctx context.Context, fn func(VersionRow) error) error {
	return s.reader(ctx).each("SELECT report_id, version, body, records FROM report_versions ORDER BY report_id, version", nil, func(rows *sql.Rows) error {
		var v VersionRow
		var body, records string
		if err := rows.Scan(&v.ID, &v.Version, &body, &records); err != nil {
			return err
		}
		v.Body = []byte(body)
		if !exactJSON(records, &v.Records) || v.Records == nil {
			v.Records = []string{"(records column is not the JSON list of ids fusion writes: " + records + ")"}
		}
		return fn(v)
	})
}

// ScanSightings calls fn for every sighting row.
func (s *Store) ScanSightings(ctx context.Context, fn func(Sighting) error) error {
	return s.reader(ctx).each("SELECT record_id, owner, org_id, hour, count, first, last FROM sightings ORDER BY record_id, org_id, hour", nil, func(rows *sql.Rows) error {
		var x Sighting
		var first, last int64
		if err := rows.Scan(&x.RecordID, &x.Owner, &x.Org, &x.Hour, &x.Count, &first, &last); err != nil {
			return err
		}
		x.First, x.Last = fromMicros(first), fromMicros(last)
		return fn(x)
	})
}

// ScanFeedback calls fn for every feedback row.
func (s *Store) ScanFeedback(ctx context.Context, fn func(Feedback) error) error {
	return s.reader(ctx).each("SELECT id, record_id, owner, org_id, token_id, outcome, note, created FROM feedback ORDER BY id", nil, func(rows *sql.Rows) error {
		var f Feedback
		var created int64
		if err := rows.Scan(&f.ID, &f.RecordID, &f.Owner, &f.Org, &f.TokenID, &f.Outcome, &f.Note, &created); err != nil {
			return err
		}
		f.Created = fromMicros(created)
		return fn(f)
	})
}

// ScanAccessRequests calls fn for every access request row.
func (s *Store) ScanAccessRequests(ctx context.Context, fn func(AccessRequest) error) error {
	return s.reader(ctx).each("SELECT "+accessColumns+" FROM access_requests ORDER BY id", nil, func(rows *sql.Rows) error {
		a, err := scanAccess(rows)
		if err != nil {
			return err
		}
		return fn(a)
	})
}

// ScanHitQueries calls fn for every stored hit/no-hit query.
func (s *Store) ScanHitQueries(ctx context.Context, fn func(HitQuery) error) error {
	return s.reader(ctx).each("SELECT id, org_id, token_id, created, hashes FROM hit_queries ORDER BY id", nil, func(rows *sql.Rows) error {
		var q HitQuery
		var created int64
		if err := rows.Scan(&q.ID, &q.Org, &q.TokenID, &created, &q.Hashes); err != nil {
			return err
		}
		q.Created = fromMicros(created)
		return fn(q)
	})
}

// InsertTorImport stores the record of one import.
func (t *Tx) InsertTorImport(x TorImport) error {
	files, err := json.Marshal(x.Files)
	if err != nil {
		return err
	}
	_, err = t.exec("INSERT INTO tor_imports (id, imported, files, consensuses, skipped, relay_entries, intervals, exit_lists, exit_scans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		x.ID, micros(x.Imported), string(files), x.Consensuses, x.Skipped, x.Relays, x.Intervals, x.ExitLists, x.ExitScans)
	return err
}

// ScanTorImports calls fn for every Tor import, oldest first.
func (s *Store) ScanTorImports(ctx context.Context, fn func(TorImport) error) error {
	return s.reader(ctx).each("SELECT id, imported, files, consensuses, skipped, relay_entries, intervals, exit_lists, exit_scans FROM tor_imports ORDER BY imported, id", nil, func(rows *sql.Rows) error {
		var x TorImport
		var imported int64
		var files string
		if err := rows.Scan(&x.ID, &imported, &files, &x.Consensuses, &x.Skipped, &x.Relays, &x.Intervals, &x.ExitLists, &x.ExitScans); err != nil {
			return err
		}
		x.Imported = fromMicros(imported)
		if !exactJSON(files, &x.Files) {
			x.Files = []TorFile{{Name: "(files column is not the JSON fusion writes: " + files + ")"}}
		}
		return fn(x)
	})
}

// EmptyTorDigest is the TorDigest of a store that holds no Tor data.
var EmptyTorDigest = sha256.Sum256(nil)

// TorDigest returns the SHA-256 over every Tor row (consensuses, intervals
// and exit scans), each table in primary-key order, inside the transaction.
func (t *Tx) TorDigest() ([32]byte, error) { return t.reader().torDigest() }

// TorDigest returns the SHA-256 over every Tor row, as Tx.TorDigest.
func (s *Store) TorDigest(ctx context.Context) ([32]byte, error) { return s.reader(ctx).torDigest() }

// torDigest hashes one canonical JSON array per row, newline-terminated,
// tagged with its table: ["c",valid_after,...], ["i",addr hex,...],
// ["x",addr hex,...].
func (r reader) torDigest() ([32]byte, error) {
	h := sha256.New()
	var line []byte
	put := func(tag string, vals ...any) {
		line = append(line[:0], '[')
		line = canonical.String(line, tag)
		for _, v := range vals {
			line = append(line, ',')
			switch v := v.(type) {
			case int64:
				line = canonical.Int(line, v)
			case string:
				line = canonical.String(line, v)
			case bool:
				line = canonical.Bool(line, v)
			case []byte:
				line = canonical.String(line, hex.EncodeToString(v))
			}
		}
		line = append(line, ']', '\n')
		h.Write(line)
	}
	err := r.each("SELECT valid_after, fresh_until, valid_until, relays FROM tor_consensuses ORDER BY valid_after", nil, func(rows *sql.Rows) error {
		var va, fu, vu, n int64
		if err := rows.Scan(&va, &fu, &vu, &n); err != nil {
			return err
		}
		put("c", va, fu, vu, n)
		return nil
	})
	if err != nil {
		return [32]byte{}, err
	}
	err = r.each("SELECT "+torIntervalCols+" FROM tor_intervals ORDER BY addr, fingerprint"+r.d.binary+", first", nil, func(rows *sql.Rows) error {
		var addr []byte
		var fp, nick, flags string
		var first, last, ends, n, or, dir int64
		var ef, ep bool
		if err := rows.Scan(&addr, &fp, &first, &last, &ends, &n, &nick, &or, &dir, &flags, &ef, &ep); err != nil {
			return err
		}
		put("i", addr, fp, first, last, ends, n, nick, or, dir, flags, ef, ep)
		return nil
	})
	if err != nil {
		return [32]byte{}, err
	}
	err = r.each("SELECT addr, fingerprint, seen, published, last_status FROM tor_exit_scans ORDER BY addr, fingerprint"+r.d.binary+", seen", nil, func(rows *sql.Rows) error {
		var addr []byte
		var fp string
		var seen, pub, last int64
		if err := rows.Scan(&addr, &fp, &seen, &pub, &last); err != nil {
			return err
		}
		put("x", addr, fp, seen, pub, last)
		return nil
	})
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, err
}

// PutWitnessLog stores what this witness co-signed for a log, inside the
// transaction that checked it against the previous one.
func (t *Tx) PutWitnessLog(w WitnessLog) error {
	_, err := t.exec("INSERT INTO witness_logs (origin, size, root, note, updated) VALUES (?, ?, ?, ?, ?) "+
		"ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, updated = excluded.updated",
		w.Origin, w.Size, w.Root, w.Note, micros(w.Updated))
	return err
}

// WitnessLog returns what this witness last co-signed for origin, locked
// until the transaction ends; ErrNotFound if nothing.
func (t *Tx) WitnessLog(origin string) (WitnessLog, error) {
	var w WitnessLog
	var updated int64
	err := t.queryRow("SELECT origin, size, root, note, updated FROM witness_logs WHERE origin = ?"+t.d.forUpdate, origin).Scan(&w.Origin, &w.Size, &w.Root, &w.Note, &updated)
	w.Updated = fromMicros(updated)
	return w, notFound(err, fmt.Sprintf("witnessed log %q", origin))
}

// ScanWitnessLogs calls fn for every witnessed log.
func (s *Store) ScanWitnessLogs(ctx context.Context, fn func(WitnessLog) error) error {
	return s.reader(ctx).each("SELECT origin, size, root, note, updated FROM witness_logs ORDER BY origin", nil, func(rows *sql.Rows) error {
		var w WitnessLog
		var updated int64
		if err := rows.Scan(&w.Origin, &w.Size, &w.Root, &w.Note, &updated); err != nil {
			return err
		}
		w.Updated = fromMicros(updated)
		return fn(w)
	})
}

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// exactJSON decodes text into v and reports whether text is exactly what
// encoding/json writes for v: a column fusion wrote as JSON, re-formatted
// or given extra members behind its back, does not pass.
func exactJSON(text string, v any) bool {
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return false
	}
	again, err := json.Marshal(v)
	return err == nil && string(again) == text
}

// callEach calls fn with each of all, read with err, stopping at the
// first error: the Scan functions for the evidence check that read every
// row first.
func callEach[T any](all []T, err error, fn func(T) error) error {
	if err != nil {
		return err
	}
	for _, r := range all {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
