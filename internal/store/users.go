package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// UserRow is a user's row. TOTPPending and TOTPStep change without an
// evidence entry (enrolment before confirmation, and every sign-in with a
// code); the evidence log does not cover them.
type UserRow struct {
	ID, Org, Login, Name, Role string
	// Password is the Argon2id PHC string.
	Password string
	// TOTPSecret is the confirmed TOTP secret (base32), empty when the
	// user has none; TOTPPending a secret awaiting its first code.
	TOTPSecret, TOTPPending string
	// TOTPStep is the last TOTP time step whose code was accepted.
	TOTPStep         int64
	Disabled         bool
	Created, Updated time.Time
}

const userColumns = "id, org_id, login, name, role, password, totp_secret, totp_pending, totp_step, disabled, created, updated"

func scanUserRow(sc interface{ Scan(...any) error }) (UserRow, error) {
	var u UserRow
	var created, updated int64
	err := sc.Scan(&u.ID, &u.Org, &u.Login, &u.Name, &u.Role, &u.Password, &u.TOTPSecret, &u.TOTPPending, &u.TOTPStep, &u.Disabled, &created, &updated)
	u.Created, u.Updated = fromMicros(created), fromMicros(updated)
	return u, err
}

// InsertUser adds a user; a login name already taken is ErrConflict, an
// unknown organization ErrNotFound.
func (t *Tx) InsertUser(u UserRow) error {
	_, err := t.exec("INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.ID, u.Org, u.Login, u.Name, u.Role, u.Password, u.TOTPSecret, u.TOTPPending, u.TOTPStep, u.Disabled, micros(u.Created), micros(u.Updated))
	switch {
	case isUnique(err):
		return fmt.Errorf("login %q: %w", u.Login, ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("organization %q: %w", u.Org, ErrNotFound)
	}
	return err
}

// UserRow returns a user's row, inside the transaction.
func (t *Tx) UserRow(id string) (UserRow, error) {
	u, err := scanUserRow(t.reader().queryRow("SELECT "+userColumns+" FROM users WHERE id = ?", id))
	return u, notFound(err, fmt.Sprintf("user %q", id))
}

// UserByLogin returns the row of the user with login name login, inside
// the transaction, locking it until the transaction ends.
func (t *Tx) UserByLogin(login string) (UserRow, error) {
	u, err := scanUserRow(t.queryRow("SELECT "+userColumns+" FROM users WHERE login = ?"+t.d.forUpdate, login))
	return u, notFound(err, fmt.Sprintf("user %q", login))
}

// UserByLogin returns the row of the user with login name login.
func (s *Store) UserByLogin(ctx context.Context, login string) (UserRow, error) {
	u, err := scanUserRow(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE login = ?", login))
	return u, notFound(err, fmt.Sprintf("user %q", login))
}

// User returns the row of the user with id.
func (s *Store) User(ctx context.Context, id string) (UserRow, error) {
	u, err := scanUserRow(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	return u, notFound(err, fmt.Sprintf("user %q", id))
}

// Users lists the users of org (of every organization when org is empty),
// ordered by login name.
func (s *Store) Users(ctx context.Context, org string) ([]UserRow, error) {
	q, args := "SELECT "+userColumns+" FROM users ORDER BY login", []any(nil)
	if org != "" {
		q, args = "SELECT "+userColumns+" FROM users WHERE org_id = ? ORDER BY login", []any{org}
	}
	out := []UserRow{}
	err := s.reader(ctx).each(q, args, func(rows *sql.Rows) error {
		u, err := scanUserRow(rows)
		if err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	return out, err
}

// ScanUserRows calls fn for every user row, in id order.
func (s *Store) ScanUserRows(ctx context.Context, fn func(UserRow) error) error {
	return s.reader(ctx).each("SELECT "+userColumns+" FROM users ORDER BY id", nil, func(rows *sql.Rows) error {
		u, err := scanUserRow(rows)
		if err != nil {
			return err
		}
		return fn(u)
	})
}

func (t *Tx) updateUser(id, set string, args ...any) error {
	res, err := t.exec("UPDATE users SET "+set+" WHERE id = ?", append(args, id)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	return nil
}

// SetUserPassword replaces a user's password hash.
func (t *Tx) SetUserPassword(id, phc string, at time.Time) error {
	return t.updateUser(id, "password = ?, updated = ?", phc, micros(at))
}

// SetUserDisabled disables or enables a user.
func (t *Tx) SetUserDisabled(id string, disabled bool, at time.Time) error {
	return t.updateUser(id, "disabled = ?, updated = ?", disabled, micros(at))
}

// SetUserTOTP makes secret (empty: none) the user's confirmed TOTP secret,
// clears any pending one, and records step as the last step accepted.
func (t *Tx) SetUserTOTP(id, secret string, step int64, at time.Time) error {
	return t.updateUser(id, "totp_secret = ?, totp_pending = '', totp_step = ?, updated = ?", secret, step, micros(at))
}

// SetTOTPPending stores a TOTP secret awaiting confirmation; it does not
// change the user's content as the evidence log covers it.
func (s *Store) SetTOTPPending(ctx context.Context, id, secret string) error {
	res, err := s.db.ExecContext(ctx, s.d.q("UPDATE users SET totp_pending = ? WHERE id = ?"), secret, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	return nil
}

// AcceptTOTPStep records step as the last TOTP step accepted for a user if
// it is later than the last one, and reports whether it was: a code of a
// step already used (or earlier) is refused, atomically, even when two
// sign-ins race.
func (s *Store) AcceptTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.d.q("UPDATE users SET totp_step = ? WHERE id = ? AND totp_step < ?"), step, id, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SessionRow is a session as stored: the SHA-256 of its secret, its user,
// when it began, when it was last seen and when it ends at the latest.
type SessionRow struct {
	Hash                       []byte
	User                       string
	Created, LastSeen, Expires time.Time
}

// InsertSession stores a session.
func (t *Tx) InsertSession(r SessionRow) error {
	_, err := t.exec("INSERT INTO sessions (hash, user_id, created, last_seen, expires) VALUES (?, ?, ?, ?, ?)",
		r.Hash, r.User, micros(r.Created), micros(r.LastSeen), micros(r.Expires))
	if isForeignKey(err) {
		return fmt.Errorf("user %q: %w", r.User, ErrNotFound)
	}
	return err
}

// Session returns the session whose secret hashes to hash.
func (s *Store) Session(ctx context.Context, hash []byte) (SessionRow, error) {
	r := SessionRow{Hash: hash}
	var created, seen, expires int64
	err := s.queryRow(ctx, "SELECT user_id, created, last_seen, expires FROM sessions WHERE hash = ?", hash).Scan(&r.User, &created, &seen, &expires)
	if err != nil {
		return r, notFound(err, "session")
	}
	r.Created, r.LastSeen, r.Expires = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return r, nil
}

// TouchSession records that a session was seen at at.
func (s *Store) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.d.q("UPDATE sessions SET last_seen = ? WHERE hash = ?"), micros(at), hash)
	return err
}

// DeleteSession ends one session; ending one that does not exist is not an
// error.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.db.ExecContext(ctx, s.d.q("DELETE FROM sessions WHERE hash = ?"), hash)
	return err
}

// DeleteUserSessions ends every session of a user and returns how many there were.
func (t *Tx) DeleteUserSessions(user string) (int64, error) {
	res, err := t.exec("DELETE FROM sessions WHERE user_id = ?", user)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeleteStaleSessions deletes the sessions that ended by now: past their
// absolute end, or last seen before idleSince.
func (s *Store) DeleteStaleSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.d.q("DELETE FROM sessions WHERE expires <= ? OR last_seen <= ?"), micros(now), micros(idleSince))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
