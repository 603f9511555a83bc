// Package store keeps organizations, groups, tokens, records and reports in
// SQL: SQLite (the embedded default, one file in the data directory, WAL
// mode) or PostgreSQL. It applies no visibility rules of its own — that is
// the policy gate's job — but it can narrow reads to a superset of what a
// caller may see (Visibility) so that lists stay fast.
//
// Write methods live on Tx so that a change and its evidence-log entry are
// committed together or not at all.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a connection pool to one database.
type Store struct {
	db *sql.DB
	d  *dialect
	// q runs reads: the pool, or the connection of a Snapshot.
	q queryer
}

type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// Snapshot runs fn with a Store whose reads all see one state of the
// database, as of its first read: a read-only transaction (SQLite in WAL
// mode gives it snapshot isolation; PostgreSQL runs it at REPEATABLE READ).
// Writers are not held up. The Store given to fn is for reading only.
func (s *Store) Snapshot(ctx context.Context, fn func(*Store) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	defer conn.Close()
	begin := "BEGIN"
	if s.d.name == "postgres" {
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	return fn(&Store{db: s.db, d: s.d, q: conn})
}

// Open opens the store named by dsn: a postgres:// or postgresql:// URL for
// PostgreSQL, otherwise the path of a SQLite file (created if missing). It
// applies any pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		db  *sql.DB
		d   *dialect
		err error
	)
	if IsPostgres(dsn) {
		d = &postgresDialect
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			db.SetMaxOpenConns(16)
			db.SetMaxIdleConns(8)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	} else {
		d = &sqliteDialect
		db, err = sql.Open("sqlite", sqliteDSN(dsn))
		if err == nil {
			// Readers run concurrently under WAL; writers queue on the immediate lock.
			db.SetMaxOpenConns(8)
			db.SetMaxIdleConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", Redact(dsn), err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", Redact(dsn), err)
	}
	s := &Store{db: db, d: d, q: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// ErrNoStore means there is no fusion store where one was named.
var ErrNoStore = errors.New("no fusion store")

// OpenExisting is Open for a store that must already exist: a SQLite file
// that is there, or a PostgreSQL database in which fusion created its
// tables. It never creates one, so that a mistyped path is an error rather
// than an empty store.
func OpenExisting(ctx context.Context, dsn string) (*Store, error) {
	if !IsPostgres(dsn) {
		info, err := os.Stat(dsn)
		if err != nil || !info.Mode().IsRegular() {
			return nil, fmt.Errorf("%w at %s", ErrNoStore, dsn)
		}
		return Open(ctx, dsn)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", Redact(dsn), err)
	}
	defer db.Close()
	var name sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT to_regclass('schema_version')::text").Scan(&name); err != nil {
		return nil, fmt.Errorf("store: connect to %s: %w", Redact(dsn), err)
	}
	if !name.Valid {
		return nil, fmt.Errorf("%w in %s: it has no fusion tables", ErrNoStore, Redact(dsn))
	}
	return Open(ctx, dsn)
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath is the database file inside a data directory.
func SQLitePath(dataDir string) string { return filepath.Join(dataDir, "fusion.db") }

// sqliteDSN is the URI for a database file: '%', '?' and '#' in the path
// are escaped, or SQLite would take them for URI syntax and open another file.
func sqliteDSN(path string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?_txlock=immediate&_pragma=page_size(16384)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-65536)"
}

// Redact hides a password in a DSN so that it can be logged.
func Redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if c := strings.Index(dsn[i+3:at], ":"); c >= 0 {
				return dsn[:i+3+c] + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// DB exposes the pool for tests and tools that must reach below the store
// (the tamper tests edit rows directly).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	// A migration may come in one file per dialect (NNNN_name.sqlite.sql,
	// NNNN_name.postgres.sql): each dialect sees only its own.
	names = slices.DeleteFunc(names, func(n string) bool {
		for _, d := range []*dialect{&sqliteDialect, &postgresDialect} {
			if d.name != s.d.name && strings.HasSuffix(n, "."+d.name+".sql") {
				return true
			}
		}
		return false
	})
	if _, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied BIGINT NOT NULL)"); err != nil {
		return fmt.Errorf("store: create schema_version: %w", err)
	}
	for i, name := range names {
		version := i + 1
		if err := s.applyMigration(ctx, version, name); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.d.lockMigrations(ctx, tx); err != nil {
		return err
	}
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&have); err != nil {
		return err
	}
	if have >= version {
		return nil
	}
	body, err := migrationFiles.ReadFile(name)
	if err != nil {
		return err
	}
	for _, stmt := range splitStatements(s.d.expand(string(body))) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w\n%s", err, stmt)
		}
	}
	if hook := goMigrations[path.Base(name)[:4]]; hook != nil {
		if err := hook(&Tx{tx: tx, d: s.d, ctx: ctx}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.q("INSERT INTO schema_version (version, applied) VALUES (?, ?)"), version, micros(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// splitStatements splits a migration on semicolons at line ends, dropping comments.
func splitStatements(sqlText string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sqlText, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

// Tx is a write transaction.
type Tx struct {
	tx       *sql.Tx
	d        *dialect
	ctx      context.Context
	onCommit []func()
}

// OnCommit makes fn run once the transaction has committed (and never if it
// does not).
func (t *Tx) OnCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

// Update runs fn in one transaction, committed if fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, d: s.d, ctx: ctx}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	for _, fn := range tx.onCommit {
		fn()
	}
	return nil
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.d.q(query), args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.d.q(query), args...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.q.QueryRowContext(ctx, s.d.q(query), args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.q.QueryContext(ctx, s.d.q(query), args...)
}

// micros is the storage form of a time: microseconds since the Unix epoch, UTC.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// notFound wraps ErrNotFound for sql.ErrNoRows.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
