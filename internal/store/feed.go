package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fusion/internal/intel"
)

// The feed (table stix_feed) is the order TAXII serves objects in: every
// stored version of a record or report, and every organization, appended in
// commit order. Kinds of feed rows:
const (
	FeedRecord = "record"
	FeedReport = "report"
	FeedOrg    = "org"
)

// feedLock is the PostgreSQL advisory lock writers take before appending to
// the feed, so that seq order is commit order there too (SQLite has one
// writer at a time).
const feedLock = 7320190426

// FeedEntry is one row to append.
type FeedEntry struct {
	Kind    string
	Ref     string
	Version int
}

// appendFeed appends entries in order, each added at the current time or
// just after the row before it, whichever is later.
func (t *Tx) appendFeed(entries ...FeedEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if t.d.name == postgresDialect.name {
		if _, err := t.exec("SELECT pg_advisory_xact_lock(?)", int64(feedLock)); err != nil {
			return fmt.Errorf("store: lock feed: %w", err)
		}
	}
	var seq, added int64
	if err := t.queryRow("SELECT seq, added FROM stix_feed ORDER BY seq DESC LIMIT 1").Scan(&seq, &added); err != nil && !isNoRows(err) {
		return fmt.Errorf("store: read feed head: %w", err)
	}
	added = max(added+1, micros(time.Now()))
	ins := t.batch("INSERT INTO stix_feed (seq, added, kind, ref, version) VALUES ", 5)
	defer ins.close()
	for i, e := range entries {
		if err := ins.add(seq+1+int64(i), added+int64(i), e.Kind, e.Ref, e.Version); err != nil {
			return fmt.Errorf("store: append to feed: %w", err)
		}
	}
	if err := ins.flush(); err != nil {
		return fmt.Errorf("store: append to feed: %w", err)
	}
	return nil
}

// FeedQuery selects feed rows. Zero fields do not filter.
type FeedQuery struct {
	// After and Until bound seq: After < seq <= Until (Until 0: no bound).
	After, Until int64
	// AddedAfter keeps rows added after it (Unix microseconds).
	AddedAfter int64
	// Originator keeps the records and reports of one organization.
	Originator string
	// Group keeps the records and reports whose audience names the group.
	Group string
	// Kinds keeps rows of these kinds (none: every kind).
	Kinds []string
	// Ref keeps the rows of one record, report or organization.
	Ref string
	// AllVersions keeps the rows of earlier versions too (FeedItem.Current
	// is then the current version); First keeps only the rows of first
	// versions.
	AllVersions, First bool
	Limit              int
}

// FeedItem is a feed row with what it names: the version of a record or
// report it was added for (only current versions unless the query asks for
// earlier ones), or an organization.
type FeedItem struct {
	Seq, Added int64
	Kind       string
	Record     *intel.Record
	Report     *intel.Report
	Org        *intel.Org
	// Current is the current version of Record or Report when the row is
	// of an earlier one (FeedQuery.AllVersions), else nil.
	CurrentRecord *intel.Record
	CurrentReport *intel.Report
}

func (q *FeedQuery) wants(kind string) bool {
	return len(q.Kinds) == 0 || slices.Contains(q.Kinds, kind)
}

// Feed returns up to q.Limit rows in seq order whose record or report vis
// may see (the prefilter lists use: the gate still decides) and is current,
// with every organization row unless q names an originator or a group.
func (s *Store) Feed(ctx context.Context, q FeedQuery, vis *Visibility) ([]FeedItem, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var out []FeedItem
	if q.wants(FeedRecord) {
		items, err := s.feedOf(ctx, q, vis, FeedRecord, "records", "record_terms", "record_id", "record_versions", func(it *FeedItem, body, current string) error {
			r, err := decodeRecord(body)
			it.Record = &r
			if err == nil && current != "" {
				cur, cerr := decodeRecord(current)
				it.CurrentRecord, err = &cur, cerr
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	if q.wants(FeedReport) {
		items, err := s.feedOf(ctx, q, vis, FeedReport, "reports", "report_terms", "report_id", "report_versions", func(it *FeedItem, body, current string) error {
			r, err := decodeReport(body)
			it.Report = &r
			if err == nil && current != "" {
				cur, cerr := decodeReport(current)
				it.CurrentReport, err = &cur, cerr
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := s.reportRecords(ctx, items); err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	if q.wants(FeedOrg) && q.Originator == "" && q.Group == "" {
		items, err := s.feedOrgs(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	slices.SortFunc(out, func(a, b FeedItem) int { return cmp.Compare(a.Seq, b.Seq) })
	return out[:min(len(out), q.Limit)], nil
}

// feedBounds returns the conditions on stix_feed f that every kind shares.
func feedBounds(q FeedQuery, kind string) ([]string, []any) {
	where, args := []string{"f.kind = ?", "f.seq > ?"}, []any{kind, q.After}
	if q.Until > 0 {
		where, args = append(where, "f.seq <= ?"), append(args, q.Until)
	}
	if q.AddedAfter > 0 {
		where, args = append(where, "f.added > ?"), append(args, q.AddedAfter)
	}
	if q.Ref != "" {
		where, args = append(where, "f.ref = ?"), append(args, q.Ref)
	}
	return where, args
}

// feedOf reads the feed rows of one kind of versioned object: table holds
// the current versions, versions the earlier ones (keyed by idCol and
// version).
func (s *Store) feedOf(ctx context.Context, q FeedQuery, vis *Visibility, kind, table, termTable, idCol, versions string, decode func(it *FeedItem, body, current string) error) ([]FeedItem, error) {
	where, args := feedBounds(q, kind)
	if q.First {
		where = append(where, "f.version = 1")
	}
	if q.Originator != "" {
		where, args = append(where, "o.originator = ?"), append(args, q.Originator)
	}
	if q.Group != "" {
		where, args = append(where, fmt.Sprintf("EXISTS (SELECT 1 FROM %s g WHERE g.term = ? AND g.%s = o.id)", termTable, idCol)), append(args, groupTerm(q.Group))
	}
	cond, args := vis.where("o", termTable, idCol, args)
	where = append(where, cond)
	args = append(args, q.Limit)
	query := fmt.Sprintf("SELECT f.seq, f.added, o.body, '' FROM stix_feed f JOIN %s o ON o.id = f.ref AND o.version = f.version WHERE %s ORDER BY f.seq LIMIT ?",
		table, strings.Join(where, " AND "))
	if q.AllVersions {
		query = fmt.Sprintf("SELECT f.seq, f.added, COALESCE(v.body, o.body), CASE WHEN v.body IS NULL THEN '' ELSE o.body END FROM stix_feed f JOIN %s o ON o.id = f.ref "+
			"LEFT JOIN %s v ON v.%s = f.ref AND v.version = f.version AND o.version <> f.version "+
			"WHERE (o.version = f.version OR v.body IS NOT NULL) AND %s ORDER BY f.seq LIMIT ?",
			table, versions, idCol, strings.Join(where, " AND "))
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read feed: %w", err)
	}
	defer rows.Close()
	var out []FeedItem
	for rows.Next() {
		it := FeedItem{Kind: kind}
		var body, current string
		if err := rows.Scan(&it.Seq, &it.Added, &body, &current); err != nil {
			return nil, err
		}
		if err := decode(&it, body, current); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// reportRecords fills in the record lists of the reports among items: an
// earlier version's from report_versions, the current one's from
// report_records.
func (s *Store) reportRecords(ctx context.Context, items []FeedItem) error {
	current := func(r *intel.Report) error {
		ids, err := s.strings(ctx, "SELECT record_id FROM report_records WHERE report_id = ? ORDER BY record_id", r.ID)
		r.Records, r.RecordCount = ids, len(ids)
		return err
	}
	for i := range items {
		it := &items[i]
		if it.CurrentReport == nil {
			if err := current(it.Report); err != nil {
				return err
			}
			continue
		}
		if err := current(it.CurrentReport); err != nil {
			return err
		}
		var list string
		if err := s.queryRow(ctx, "SELECT records FROM report_versions WHERE report_id = ? AND version = ?", it.Report.ID, it.Report.Version).Scan(&list); err != nil {
			return fmt.Errorf("store: records of report %s version %d: %w", it.Report.ID, it.Report.Version, err)
		}
		if err := json.Unmarshal([]byte(list), &it.Report.Records); err != nil {
			return fmt.Errorf("store: records of report %s version %d: %w", it.Report.ID, it.Report.Version, err)
		}
		it.Report.RecordCount = len(it.Report.Records)
	}
	return nil
}

func (s *Store) feedOrgs(ctx context.Context, q FeedQuery) ([]FeedItem, error) {
	where, args := feedBounds(q, FeedOrg)
	args = append(args, q.Limit)
	rows, err := s.query(ctx, "SELECT f.seq, f.added, o.id FROM stix_feed f JOIN orgs o ON o.id = f.ref WHERE "+strings.Join(where, " AND ")+" ORDER BY f.seq LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: read feed: %w", err)
	}
	var out []FeedItem
	for rows.Next() {
		it := FeedItem{Kind: FeedOrg, Org: &intel.Org{}}
		if err := rows.Scan(&it.Seq, &it.Added, &it.Org.ID); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		o, err := s.Org(ctx, out[i].Org.ID)
		if err != nil {
			return nil, err
		}
		out[i].Org = &o
	}
	return out, nil
}

// FeedHead returns the last seq of the feed and when it was added (zeros
// for an empty feed).
func (s *Store) FeedHead(ctx context.Context) (seq, added int64, err error) {
	err = s.queryRow(ctx, "SELECT seq, added FROM stix_feed ORDER BY seq DESC LIMIT 1").Scan(&seq, &added)
	if isNoRows(err) {
		err = nil
	}
	return seq, added, err
}

// FeedVersion is when one version of a record or report was added.
type FeedVersion struct {
	Version int
	Added   int64
}

// FeedVersions returns when each version of a record or report was added,
// oldest first.
func (s *Store) FeedVersions(ctx context.Context, kind, ref string) ([]FeedVersion, error) {
	rows, err := s.query(ctx, "SELECT version, added FROM stix_feed WHERE ref = ? AND kind = ? ORDER BY seq", ref, kind)
	if err != nil {
		return nil, fmt.Errorf("store: read feed versions: %w", err)
	}
	defer rows.Close()
	var out []FeedVersion
	for rows.Next() {
		var v FeedVersion
		if err := rows.Scan(&v.Version, &v.Added); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// feedAll appends every record and report version and organization stored
// before the feed existed, in the order of their update times (migration
// 0011).
func feedAll(t *Tx) error {
	type row struct {
		FeedEntry
		added int64
	}
	var all []row
	read := func(kind, query string, scan func(sc interface{ Scan(...any) error }) (row, error)) error {
		rs, err := t.tx.QueryContext(t.ctx, t.d.q(query))
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			r, err := scan(rs)
			if err != nil {
				return err
			}
			r.Kind = kind
			all = append(all, r)
		}
		return rs.Err()
	}
	current := func(sc interface{ Scan(...any) error }) (row, error) {
		var r row
		err := sc.Scan(&r.Ref, &r.Version, &r.added)
		return r, err
	}
	earlier := func(sc interface{ Scan(...any) error }) (row, error) {
		var r row
		var body string
		if err := sc.Scan(&r.Ref, &r.Version, &body); err != nil {
			return r, err
		}
		var v struct {
			Updated time.Time `json:"updated"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			return r, fmt.Errorf("version %d of %s: %w", r.Version, r.Ref, err)
		}
		r.added = micros(v.Updated)
		return r, nil
	}
	steps := []struct {
		kind, query string
		scan        func(sc interface{ Scan(...any) error }) (row, error)
	}{
		{FeedOrg, "SELECT id, 1, created FROM orgs", current},
		{FeedRecord, "SELECT id, version, updated FROM records", current},
		{FeedRecord, "SELECT record_id, version, body FROM record_versions", earlier},
		{FeedReport, "SELECT id, version, updated FROM reports", current},
		{FeedReport, "SELECT report_id, version, body FROM report_versions", earlier},
	}
	for _, s := range steps {
		if err := read(s.kind, s.query, s.scan); err != nil {
			return fmt.Errorf("store: fill feed from %s: %w", s.query, err)
		}
	}
	slices.SortFunc(all, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.added, b.added), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Ref, b.Ref), cmp.Compare(a.Version, b.Version))
	})
	ins := t.batch("INSERT INTO stix_feed (seq, added, kind, ref, version) VALUES ", 5)
	defer ins.close()
	var last int64
	for i, r := range all {
		last = max(last+1, r.added) // later than the row before
		if err := ins.add(int64(i+1), last, r.Kind, r.Ref, r.Version); err != nil {
			return err
		}
	}
	return ins.flush()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
