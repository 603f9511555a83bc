package store

import (
	"context"
	"database/sql"
	"fmt"

	"time"

	"fusion/internal/intel"
)

// Sentinel errors, shared with the domain model.
var (
	ErrNotFound = intel.ErrNotFound
	ErrConflict = intel.ErrConflict
)

// InsertOrg adds an organization; an existing id is ErrConflict.
func (t *Tx) InsertOrg(o intel.Org) error {
	_, err := t.exec("INSERT INTO orgs (id, name, country, sector, operator, created) VALUES (?, ?, ?, ?, ?, ?)",
		o.ID, o.Name, o.Country, string(o.Sector), o.Operator, micros(o.Created))
	if isUnique(err) {
		return fmt.Errorf("organization %q: %w", o.ID, ErrConflict)
	}
	if err != nil {
		return err
	}
	return t.appendFeed(FeedEntry{FeedOrg, o.ID, 1})
}

// Org returns one organization.
func (s *Store) Org(ctx context.Context, id string) (intel.Org, error) {
	var o intel.Org
	var created int64
	err := s.queryRow(ctx, "SELECT id, name, country, sector, operator, created FROM orgs WHERE id = ?", id).
		Scan(&o.ID, &o.Name, &o.Country, &o.Sector, &o.Operator, &created)
	if err != nil {
		return o, notFound(err, fmt.Sprintf("organization %q", id))
	}
	o.Created = fromMicros(created)
	return o, nil
}

// Orgs returns every organization, ordered by id.
func (s *Store) Orgs(ctx context.Context) ([]intel.Org, error) {
	rows, err := s.query(ctx, "SELECT id, name, country, sector, operator, created FROM orgs ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []intel.Org{}
	for rows.Next() {
		var o intel.Org
		var created int64
		if err := rows.Scan(&o.ID, &o.Name, &o.Country, &o.Sector, &o.Operator, &created); err != nil {
			return nil, err
		}
		o.Created = fromMicros(created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// MissingOrgs returns those of ids that name no organization.
func (t *Tx) MissingOrgs(ids []string) ([]string, error) {
	var missing []string
	for _, id := range ids {
		var one int
		err := t.queryRow("SELECT 1 FROM orgs WHERE id = ?", id).Scan(&one)
		if err == sql.ErrNoRows {
			missing = append(missing, id)
		} else if err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// InsertGroup adds a sharing group with its owner as first member.
func (t *Tx) InsertGroup(g intel.Group) error {
	_, err := t.exec("INSERT INTO sharing_groups (id, name, owner, created) VALUES (?, ?, ?, ?)",
		g.ID, g.Name, g.Owner, micros(g.Created))
	switch {
	case isUnique(err):
		return fmt.Errorf("group %q: %w", g.ID, ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("owner organization %q: %w", g.Owner, ErrNotFound)
	case err != nil:
		return err
	}
	return t.AddMember(g.ID, g.Owner, g.Created)
}

// AddMember adds org to group; adding a member twice is not an error.
func (t *Tx) AddMember(group, org string, at time.Time) error {
	var one int
	err := t.queryRow("SELECT 1 FROM group_members WHERE group_id = ? AND org_id = ?", group, org).Scan(&one)
	if err == nil {
		return nil
	}
	if err != sql.ErrNoRows {
		return err
	}
	_, err = t.exec("INSERT INTO group_members (group_id, org_id, added) VALUES (?, ?, ?)", group, org, at.UnixMicro())
	if isForeignKey(err) {
		return fmt.Errorf("group %q or organization %q: %w", group, org, ErrNotFound)
	}
	return err
}

// RemoveMember removes org from group.
func (t *Tx) RemoveMember(group, org string) error {
	res, err := t.exec("DELETE FROM group_members WHERE group_id = ? AND org_id = ?", group, org)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("organization %q in group %q: %w", org, group, ErrNotFound)
	}
	return nil
}

// Group returns a group with its members.
func (s *Store) Group(ctx context.Context, id string) (intel.Group, error) {
	var g intel.Group
	var created int64
	err := s.queryRow(ctx, "SELECT id, name, owner, created FROM sharing_groups WHERE id = ?", id).
		Scan(&g.ID, &g.Name, &g.Owner, &created)
	if err != nil {
		return g, notFound(err, fmt.Sprintf("group %q", id))
	}
	g.Created = fromMicros(created)
	g.Members, err = s.strings(ctx, "SELECT org_id FROM group_members WHERE group_id = ? ORDER BY org_id", id)
	return g, err
}

// GroupsOf returns the ids of the groups org belongs to, ordered.
func (s *Store) GroupsOf(ctx context.Context, org string) ([]string, error) {
	return s.strings(ctx, "SELECT group_id FROM group_members WHERE org_id = ? ORDER BY group_id", org)
}

// Groups returns every group, for the operator's CLI.
func (s *Store) Groups(ctx context.Context) ([]intel.Group, error) {
	ids, err := s.strings(ctx, "SELECT id FROM sharing_groups ORDER BY id")
	if err != nil {
		return nil, err
	}
	out := make([]intel.Group, 0, len(ids))
	for _, id := range ids {
		g, err := s.Group(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// InsertToken stores a token by the SHA-256 of its secret.
func (t *Tx) InsertToken(tok intel.Token, hash []byte) error {
	_, err := t.exec("INSERT INTO tokens (id, org_id, role, name, hash, created) VALUES (?, ?, ?, ?, ?, ?)",
		tok.ID, tok.Org, string(tok.Role), tok.Name, hash, micros(tok.Created))
	if isForeignKey(err) {
		return fmt.Errorf("organization %q: %w", tok.Org, ErrNotFound)
	}
	return err
}

// RevokeToken marks a token revoked; it stays listed.
func (t *Tx) RevokeToken(id string, at time.Time) error {
	res, err := t.exec("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", at.UnixMicro(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("active token %q: %w", id, ErrNotFound)
	}
	return nil
}

const tokenColumns = "id, org_id, role, name, created, revoked, last_used"

func scanToken(sc interface{ Scan(...any) error }) (intel.Token, error) {
	var tok intel.Token
	var created int64
	var revoked, used sql.NullInt64
	if err := sc.Scan(&tok.ID, &tok.Org, &tok.Role, &tok.Name, &created, &revoked, &used); err != nil {
		return tok, err
	}
	tok.Created, tok.Revoked, tok.LastUsed = fromMicros(created), fromNullMicros(revoked), fromNullMicros(used)
	return tok, nil
}

// TokenByHash finds a token by the SHA-256 of its secret, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (intel.Token, error) {
	tok, err := scanToken(s.queryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE hash = ?", hash))
	return tok, notFound(err, "token")
}

// Token returns one token by id.
func (s *Store) Token(ctx context.Context, id string) (intel.Token, error) {
	tok, err := scanToken(s.queryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE id = ?", id))
	return tok, notFound(err, fmt.Sprintf("token %q", id))
}

// Tokens lists an organization's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, org string) ([]intel.Token, error) {
	rows, err := s.query(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE org_id = ? ORDER BY created DESC, id", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []intel.Token{}
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, rows.Err()
}

// TouchToken records when a token was last used.
func (s *Store) TouchToken(ctx context.Context, id string, at int64) error {
	_, err := s.db.ExecContext(ctx, s.d.q("UPDATE tokens SET last_used = ? WHERE id = ?"), at, id)
	return err
}

func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Group returns a group with its members, inside the transaction.
func (t *Tx) Group(id string) (intel.Group, error) {
	var g intel.Group
	var created int64
	err := t.queryRow("SELECT id, name, owner, created FROM sharing_groups WHERE id = ?", id).Scan(&g.ID, &g.Name, &g.Owner, &created)
	if err != nil {
		return g, notFound(err, fmt.Sprintf("group %q", id))
	}
	g.Created = fromMicros(created)
	rows, err := t.tx.QueryContext(t.ctx, t.d.q("SELECT org_id FROM group_members WHERE group_id = ? ORDER BY org_id"), id)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	g.Members = []string{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return g, err
		}
		g.Members = append(g.Members, m)
	}
	return g, rows.Err()
}

// TokenWithHash returns a token and the hash of its secret, inside the transaction.
func (t *Tx) TokenWithHash(id string) (intel.Token, []byte, error) {
	var hash []byte
	var tok intel.Token
	var created int64
	var revoked, used sql.NullInt64
	err := t.queryRow("SELECT "+tokenColumns+", hash FROM tokens WHERE id = ?", id).
		Scan(&tok.ID, &tok.Org, &tok.Role, &tok.Name, &created, &revoked, &used, &hash)
	if err != nil {
		return tok, nil, notFound(err, fmt.Sprintf("token %q", id))
	}
	tok.Created, tok.Revoked, tok.LastUsed = fromMicros(created), fromNullMicros(revoked), fromNullMicros(used)
	return tok, hash, nil
}
