package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RulePackageRow is one version of a rule package (package screen) as
// stored: immutable once written, except that its revocation is set once.
type RulePackageRow struct {
	ID            string
	Version       int
	Originator    string
	TLP           string
	Audience      string // canonical JSON of intel.Audience
	Handling      string // canonical JSON of intel.Handling
	Body          string // the package's JSON
	Created       time.Time
	Revoked       *time.Time
	RevokedReason string
}

const rulePackageColumns = "id, version, originator, tlp, audience, handling, body, created, revoked, revoked_reason"

type rulePackageScanner interface{ Scan(dest ...any) error }

func scanRulePackage(s rulePackageScanner) (RulePackageRow, error) {
	var r RulePackageRow
	var created int64
	var revoked sql.NullInt64
	if err := s.Scan(&r.ID, &r.Version, &r.Originator, &r.TLP, &r.Audience, &r.Handling, &r.Body, &created, &revoked, &r.RevokedReason); err != nil {
		return RulePackageRow{}, err
	}
	r.Created, r.Revoked = fromMicros(created), fromNullMicros(revoked)
	return r, nil
}

// InsertRulePackage stores a new version of a package; a version that
// exists already is ErrConflict (two revisions racing).
func (t *Tx) InsertRulePackage(r RulePackageRow) error {
	_, err := t.exec("INSERT INTO rule_packages ("+rulePackageColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.Version, r.Originator, r.TLP, r.Audience, r.Handling, r.Body, micros(r.Created), nullMicros(r.Revoked), r.RevokedReason)
	if isUnique(err) {
		return fmt.Errorf("rule package %s version %d: %w", r.ID, r.Version, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: insert rule package: %w", err)
	}
	return nil
}

// RulePackageRow reads version of package id inside the transaction, the
// current (highest) version when version is 0, locking it on PostgreSQL;
// ErrNotFound when there is none.
func (t *Tx) RulePackageRow(id string, version int) (RulePackageRow, error) {
	q, args := rulePackageQuery(id, version)
	r, err := scanRulePackage(t.queryRow(q+t.d.forUpdate, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return RulePackageRow{}, fmt.Errorf("rule package %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return RulePackageRow{}, fmt.Errorf("store: read rule package: %w", err)
	}
	return r, nil
}

// RulePackage reads version of package id, the current (highest) version
// when version is 0; ErrNotFound when there is none.
func (s *Store) RulePackage(ctx context.Context, id string, version int) (RulePackageRow, error) {
	q, args := rulePackageQuery(id, version)
	r, err := scanRulePackage(s.queryRow(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return RulePackageRow{}, fmt.Errorf("rule package %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return RulePackageRow{}, fmt.Errorf("store: read rule package: %w", err)
	}
	return r, nil
}

func rulePackageQuery(id string, version int) (string, []any) {
	if version > 0 {
		return "SELECT " + rulePackageColumns + " FROM rule_packages WHERE id = ? AND version = ?", []any{id, version}
	}
	return "SELECT " + rulePackageColumns + " FROM rule_packages WHERE id = ? ORDER BY version DESC LIMIT 1", []any{id}
}

// RulePackages returns the current version of every package, newest
// first. Rule packages are few (a handful per organization): the policy
// gate judges each, with no narrowing in SQL.
func (s *Store) RulePackages(ctx context.Context) ([]RulePackageRow, error) {
	rows, err := s.query(ctx, "SELECT "+rulePackageColumns+" FROM rule_packages p WHERE version = "+
		"(SELECT MAX(version) FROM rule_packages q WHERE q.id = p.id) ORDER BY created DESC, id")
	if err != nil {
		return nil, fmt.Errorf("store: read rule packages: %w", err)
	}
	return collectRulePackages(rows)
}

// RulePackageVersions returns every version of package id, oldest first.
func (s *Store) RulePackageVersions(ctx context.Context, id string) ([]RulePackageRow, error) {
	rows, err := s.query(ctx, "SELECT "+rulePackageColumns+" FROM rule_packages WHERE id = ? ORDER BY version", id)
	if err != nil {
		return nil, fmt.Errorf("store: read rule package versions: %w", err)
	}
	return collectRulePackages(rows)
}

func collectRulePackages(rows *sql.Rows) ([]RulePackageRow, error) {
	defer rows.Close()
	out := []RulePackageRow{}
	for rows.Next() {
		r, err := scanRulePackage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read rule packages: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RevokeRulePackage marks version of package id revoked at at, with the
// originator's reason. A version revoked already is ErrConflict.
func (t *Tx) RevokeRulePackage(id string, version int, at time.Time, reason string) error {
	res, err := t.exec("UPDATE rule_packages SET revoked = ?, revoked_reason = ? WHERE id = ? AND version = ? AND revoked IS NULL",
		micros(at), reason, id, version)
	if err != nil {
		return fmt.Errorf("store: revoke rule package: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: revoke rule package: %w", err)
	} else if n == 0 {
		return fmt.Errorf("rule package %s version %d: not there or revoked already: %w", id, version, ErrConflict)
	}
	return nil
}

// ScanRulePackageRows calls fn with every version of every package, for
// the evidence check.
func (s *Store) ScanRulePackageRows(ctx context.Context, fn func(RulePackageRow) error) error {
	rows, err := s.query(ctx, "SELECT "+rulePackageColumns+" FROM rule_packages ORDER BY id, version")
	if err != nil {
		return fmt.Errorf("store: read rule packages: %w", err)
	}
	all, err := collectRulePackages(rows)
	return callEach(all, err, fn)
}
