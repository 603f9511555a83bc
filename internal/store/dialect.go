package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is the one seam between SQLite and PostgreSQL. Queries are written
// once with "?" placeholders; everything that differs lives here.
type dialect struct {
	name string
	// ddl holds the replacements for ${...} tokens in migrations.
	ddl map[string]string
	// numbered placeholders ($1, $2, ...) instead of "?".
	numbered bool
	// forUpdate locks the rows a SELECT reads until the transaction ends
	// (SQLite needs nothing: a write transaction holds the database lock).
	forUpdate string
	// binary makes a text column sort by bytes in ORDER BY.
	binary string
	// least and greatest name the scalar minimum and maximum functions.
	least, greatest string
	// lockMigrations serializes migrations across processes sharing a database.
	lockMigrations func(ctx context.Context, tx *sql.Tx) error
}

var sqliteDialect = dialect{
	name: "sqlite",
	ddl: map[string]string{
		"${bytes}":     "BLOB",
		"${int64pk}":   "INTEGER PRIMARY KEY", // an alias of the rowid: appends go to the end
		"${clustered}": " WITHOUT ROWID",      // the table is stored in its primary key's order
	},
	least: "MIN", greatest: "MAX",
	// SQLite serializes writers itself; a migration runs in an immediate transaction.
	lockMigrations: func(context.Context, *sql.Tx) error { return nil },
}

var postgresDialect = dialect{
	name: "postgres",
	ddl: map[string]string{
		"${bytes}":     "BYTEA",
		"${int64pk}":   "BIGINT PRIMARY KEY",
		"${clustered}": "",
	},
	numbered:  true,
	forUpdate: " FOR UPDATE",
	binary:    ` COLLATE "C"`,
	least:     "LEAST",
	greatest:  "GREATEST",
	lockMigrations: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7320190425)")
		return err
	},
}

// q rewrites a query written with "?" placeholders for the dialect.
func (d *dialect) q(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (d *dialect) expand(ddl string) string {
	for k, v := range d.ddl {
		ddl = strings.ReplaceAll(ddl, k, v)
	}
	return ddl
}

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}
