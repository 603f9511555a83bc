package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/password"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// People sign in to the web UI with a login name, a password and, once
// they enrol one, a TOTP code; a sign-in opens a session, whose caller is
// exactly what an API token of the user's organization and role would be.
// docs/policy.md ("People and sessions") gives the parameters and why.

// Session lifetimes.
const (
	// DefaultSessionIdle ends a session not used for this long.
	DefaultSessionIdle = 30 * time.Minute
	// DefaultSessionAbsolute ends a session this long after sign-in, used or not.
	DefaultSessionAbsolute = 12 * time.Hour
	// sessionTouchEvery is how often a session's last use is written: a
	// write per request would serialize every reader on SQLite's write
	// lock. Idle time is measured from the last write, so a session may
	// end up to this much earlier than its idle limit: never later.
	sessionTouchEvery = time.Minute
)

// Sign-in throttling. Failures are counted in memory, per login name and per
// remote address: a hub is one process today; a restart forgets them.
const (
	// LoginFailuresPerName failures of one login name within LoginWindow
	// lock that name for LoginLockout, whether or not a user has it.
	LoginFailuresPerName = 5
	// LoginFailuresPerAddress failures from one remote address within
	// LoginWindow lock that address for LoginLockout; it is higher than the
	// per-name limit because an office's people may share one address.
	LoginFailuresPerAddress = 20
	LoginWindow             = 15 * time.Minute
	LoginLockout            = 15 * time.Minute
)

// SessionPrefix starts every session secret, so that leaked ones are easy to scan for.
const SessionPrefix = "fss_"

// sessionTokenPrefix starts the TokenID of a session's caller, followed by
// the user id, so that evidence leaves name the person.
const sessionTokenPrefix = "session:"

// totpIssuer names the hub in authenticator apps.
const totpIssuer = "fusion"

// Session is an open session: its secret (shown this once, never stored),
// when it ends at the latest, and its user.
type Session struct {
	Token   string
	Expires time.Time
	User    intel.User
}

// LoginReason is why a sign-in was refused.
type LoginReason int

// The reasons a sign-in is refused.
const (
	// LoginBadCredentials: unknown login name, wrong password or disabled
	// user, deliberately not told apart.
	LoginBadCredentials LoginReason = iota + 1
	// LoginTOTPRequired: the password is right and the user has a TOTP
	// second factor; ask for the code and sign in again with it.
	LoginTOTPRequired
	// LoginBadTOTP: the TOTP code is wrong, or was already used.
	LoginBadTOTP
	// LoginThrottled: too many failures for this login name or address;
	// RetryAfter says for how long.
	LoginThrottled
)

// LoginError refuses a sign-in. It wraps ErrUnauthenticated.
type LoginError struct {
	Reason     LoginReason
	RetryAfter time.Duration // for LoginThrottled
}

func (e *LoginError) Error() string {
	switch e.Reason {
	case LoginTOTPRequired:
		return "sign-in: a TOTP code is required"
	case LoginBadTOTP:
		return "sign-in: the TOTP code is wrong or was already used"
	case LoginThrottled:
		return fmt.Sprintf("sign-in: too many failed attempts; try again in %s", e.RetryAfter.Round(time.Second))
	}
	return "sign-in: unknown login name or wrong password"
}

// Unwrap makes a LoginError an ErrUnauthenticated.
func (e *LoginError) Unwrap() error { return ErrUnauthenticated }

// IsTOTPRequired reports whether err asks for a TOTP code.
func IsTOTPRequired(err error) bool {
	var le *LoginError
	return errors.As(err, &le) && le.Reason == LoginTOTPRequired
}

// people is the hub's state for users: session lifetimes, the sign-in
// throttle and a bound on concurrent password hashing (each takes 19 MiB).
type people struct {
	idle, absolute time.Duration
	throttle       *throttle
	pending        *pendingLogins
	hashing        chan struct{}

	dummyOnce sync.Once
	dummy     string // the hash unknown login names are checked against
	dummyErr  error
}

func newPeople() *people {
	return &people{
		idle: DefaultSessionIdle, absolute: DefaultSessionAbsolute,
		throttle: newThrottle(),
		pending:  &pendingLogins{m: map[[32]byte]challenge{}},
		hashing:  make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
	}
}

// SetSessionLifetimes sets how long a session may be idle and how long it
// may last at most; both must be positive. Call it before the hub serves.
func (h *Hub) SetSessionLifetimes(idle, absolute time.Duration) error {
	if idle <= 0 || absolute <= 0 {
		return &intel.FieldError{Field: "session lifetime", Value: fmt.Sprintf("idle %s, absolute %s", idle, absolute), Reason: "both must be positive"}
	}
	h.people.idle, h.people.absolute = idle, absolute
	return nil
}

// hashing runs fn while holding one of the password hashing slots.
func (p *people) withHashSlot(ctx context.Context, fn func()) error {
	select {
	case p.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.hashing }()
	fn()
	return nil
}

func (p *people) hash(ctx context.Context, pw string) (string, error) {
	var phc string
	var err error
	if e := p.withHashSlot(ctx, func() { phc, err = password.New(pw) }); e != nil {
		return "", e
	}
	return phc, err
}

// verify checks pw against phc; with phc empty it checks pw against a dummy
// hash of the same parameters, so that an unknown login name costs what a
// known one does, and reports false.
func (p *people) verify(ctx context.Context, phc, pw string) (bool, error) {
	dummy := phc == ""
	if dummy {
		p.dummyOnce.Do(func() {
			var b [32]byte
			if _, p.dummyErr = rand.Read(b[:]); p.dummyErr == nil {
				p.dummy, p.dummyErr = password.New(hex.EncodeToString(b[:]))
			}
		})
		if p.dummyErr != nil {
			return false, p.dummyErr
		}
		phc = p.dummy
	}
	var ok bool
	var err error
	if e := p.withHashSlot(ctx, func() { ok, err = password.Verify(phc, pw) }); e != nil {
		return false, e
	}
	return ok && !dummy, err
}

// userOf is the API form of a user's row.
func userOf(r store.UserRow) intel.User {
	return intel.User{ID: r.ID, Org: r.Org, Login: r.Login, Name: r.Name, Role: intel.Role(r.Role),
		Disabled: r.Disabled, TOTP: r.TOTPSecret != "", Created: r.Created, Updated: r.Updated}
}

func usersOf(rows []store.UserRow) []intel.User {
	out := make([]intel.User, len(rows))
	for i, r := range rows {
		out[i] = userOf(r)
	}
	return out
}

func userContent(tx *store.Tx, id string) func() ([]byte, error) {
	return func() ([]byte, error) {
		r, err := tx.UserRow(id)
		return evidence.UserContent(r), err
	}
}

// OperatorCreateUser adds a person to org with role (admin, analyst or
// reader) and password, which is checked (see password.Check) and stored
// only as an Argon2id hash.
func (h *Hub) OperatorCreateUser(ctx context.Context, org, login, name string, role intel.Role, pw string) (intel.User, error) {
	return h.createUser(ctx, operator, org, login, name, role, pw)
}

// CreateUser adds a person to c's own organization; admins only.
func (h *Hub) CreateUser(ctx context.Context, c *policy.Caller, login, name string, role intel.Role, pw string) (intel.User, error) {
	if err := policy.Require(c, policy.ManageUsers); err != nil {
		return intel.User{}, err
	}
	return h.createUser(ctx, actorOf(c), c.Org, login, name, role, pw)
}

func (h *Hub) createUser(ctx context.Context, a actor, org, login, name string, role intel.Role, pw string) (intel.User, error) {
	if err := intel.CheckLogin(login); err != nil {
		return intel.User{}, err
	}
	if err := intel.CheckUserName(name); err != nil {
		return intel.User{}, err
	}
	if _, err := intel.ParseUserRole(string(role)); err != nil {
		return intel.User{}, err
	}
	if err := password.Check(login, pw); err != nil {
		return intel.User{}, err
	}
	if _, err := h.store.Org(ctx, org); err != nil {
		return intel.User{}, &intel.FieldError{Field: "org", Value: org, Reason: "no such organization"}
	}
	phc, err := h.people.hash(ctx, pw)
	if err != nil {
		return intel.User{}, err
	}
	var idb [8]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return intel.User{}, err
	}
	now := h.now()
	row := store.UserRow{ID: "u-" + hex.EncodeToString(idb[:]), Org: org, Login: login, Name: name, Role: string(role),
		Password: phc, Created: now, Updated: now}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertUser(row); err != nil {
			return err
		}
		return h.logged(tx, a, evidence.UserCreate, evidence.KindUser, row.ID, org, nil, userContent(tx, row.ID))
	})
	if err != nil {
		return intel.User{}, err
	}
	return userOf(row), nil
}

// OperatorUsers lists every user of every organization, by login name.
func (h *Hub) OperatorUsers(ctx context.Context) ([]intel.User, error) {
	rows, err := h.store.Users(ctx, "")
	return usersOf(rows), err
}

// ListUsers lists the users of c's own organization; admins only.
func (h *Hub) ListUsers(ctx context.Context, c *policy.Caller) ([]intel.User, error) {
	if err := policy.Require(c, policy.ManageUsers); err != nil {
		return nil, err
	}
	rows, err := h.store.Users(ctx, c.Org)
	return usersOf(rows), err
}

// changeUser runs change on the row of the user with login, locked, in
// one transaction with its leaf (when action is not empty) and, when
// endSessions is set, the end of all its sessions. allow, when not nil,
// decides from the row whether the change may go ahead.
func (h *Hub) changeUser(ctx context.Context, a actor, login string, allow func(store.UserRow) error,
	change func(tx *store.Tx, u store.UserRow) (evidence.Action, bool, error)) (intel.User, error) {
	var out store.UserRow
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		u, err := tx.UserByLogin(login)
		if err != nil {
			return err
		}
		if allow != nil {
			if err := allow(u); err != nil {
				return err
			}
		}
		before := evidence.UserContent(u)
		action, endSessions, err := change(tx, u)
		if err != nil {
			return err
		}
		if endSessions {
			if _, err := tx.DeleteUserSessions(u.ID); err != nil {
				return err
			}
		}
		if out, err = tx.UserRow(u.ID); err != nil {
			return err
		}
		if action == "" {
			return nil
		}
		return h.logged(tx, a, action, evidence.KindUser, u.ID, u.Org, before, userContent(tx, u.ID))
	})
	return userOf(out), err
}

// OperatorResetPassword sets a user's password and ends all its sessions.
func (h *Hub) OperatorResetPassword(ctx context.Context, login, pw string) error {
	if err := password.Check(login, pw); err != nil {
		return err
	}
	phc, err := h.people.hash(ctx, pw)
	if err != nil {
		return err
	}
	_, err = h.changeUser(ctx, operator, login, nil, func(tx *store.Tx, u store.UserRow) (evidence.Action, bool, error) {
		return evidence.UserResetPassword, true, tx.SetUserPassword(u.ID, phc, h.now())
	})
	return err
}

// ChangePassword sets the password of the user c is the session of, who
// must give the current one. Every session of the user ends, this one
// included: the UI signs in again.
func (h *Hub) ChangePassword(ctx context.Context, c *policy.Caller, current, next string) error {
	self, err := h.sessionUser(ctx, c)
	if err != nil {
		return err
	}
	// A stolen session must not become an unthrottled password oracle:
	// wrong current passwords count as failed sign-ins of the login name.
	now := h.now()
	if wait := h.people.throttle.wait(self.Login, "", now); wait > 0 {
		return &LoginError{Reason: LoginThrottled, RetryAfter: wait}
	}
	ok, err := h.people.verify(ctx, self.Password, current)
	if err != nil {
		return err
	}
	if !ok {
		h.people.throttle.fail(self.Login, "", now)
		return &intel.FieldError{Field: "current password", Reason: "wrong"}
	}
	if err := password.Check(self.Login, next); err != nil {
		return err
	}
	phc, err := h.people.hash(ctx, next)
	if err != nil {
		return err
	}
	_, err = h.changeUser(ctx, actorOf(c), self.Login, sameUser(self.ID), func(tx *store.Tx, u store.UserRow) (evidence.Action, bool, error) {
		return evidence.UserResetPassword, true, tx.SetUserPassword(u.ID, phc, h.now())
	})
	return err
}

// sameUser refuses a change when the login now names another user than id
// (deleted and created again between two reads).
func sameUser(id string) func(store.UserRow) error {
	return func(u store.UserRow) error {
		if u.ID != id {
			return fmt.Errorf("user %q: %w", id, intel.ErrNotFound)
		}
		return nil
	}
}

// OperatorDisableUser disables (ending all its sessions) or enables a
// user. Asking for the state the user is already in changes nothing.
func (h *Hub) OperatorDisableUser(ctx context.Context, login string, disabled bool) error {
	_, err := h.setDisabled(ctx, operator, login, nil, disabled)
	return err
}

// DisableUser disables or enables a user of c's own organization; admins only.
func (h *Hub) DisableUser(ctx context.Context, c *policy.Caller, login string, disabled bool) (intel.User, error) {
	if err := policy.Require(c, policy.ManageUsers); err != nil {
		return intel.User{}, err
	}
	return h.setDisabled(ctx, actorOf(c), login, func(u store.UserRow) error { return policy.ManageUser(c, u.Org, login) }, disabled)
}

func (h *Hub) setDisabled(ctx context.Context, a actor, login string, allow func(store.UserRow) error, disabled bool) (intel.User, error) {
	return h.changeUser(ctx, a, login, allow, func(tx *store.Tx, u store.UserRow) (evidence.Action, bool, error) {
		if u.Disabled == disabled {
			return "", disabled, nil
		}
		action := evidence.UserEnable
		if disabled {
			action = evidence.UserDisable
		}
		return action, disabled, tx.SetUserDisabled(u.ID, disabled, h.now())
	})
}

// OperatorClearTOTP removes a user's TOTP second factor (a lost device)
// and ends all its sessions; the user signs in with the password alone and
// may enrol again.
func (h *Hub) OperatorClearTOTP(ctx context.Context, login string) error {
	_, err := h.changeUser(ctx, operator, login, nil, func(tx *store.Tx, u store.UserRow) (evidence.Action, bool, error) {
		if u.TOTPSecret == "" && u.TOTPPending == "" {
			return "", false, &intel.FieldError{Field: "login", Value: login, Reason: "the user has no TOTP second factor"}
		}
		return evidence.UserTOTPClear, true, tx.SetUserTOTP(u.ID, "", 0, h.now())
	})
	return err
}

// OperatorRevokeSessions ends every session of a user.
func (h *Hub) OperatorRevokeSessions(ctx context.Context, login string) error {
	return h.revokeSessions(ctx, operator, login, nil)
}

// RevokeSessions ends every session of the user with login: the user's
// own sessions, or those of a user of c's organization for an admin.
func (h *Hub) RevokeSessions(ctx context.Context, c *policy.Caller, login string) error {
	if c == nil {
		return policy.Require(c, policy.ManageUsers)
	}
	return h.revokeSessions(ctx, actorOf(c), login, func(u store.UserRow) error {
		if c.TokenID == sessionTokenPrefix+u.ID {
			return nil
		}
		return policy.ManageUser(c, u.Org, login)
	})
}

func (h *Hub) revokeSessions(ctx context.Context, a actor, login string, allow func(store.UserRow) error) error {
	return h.store.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByLogin(login)
		if err != nil {
			return err
		}
		if allow != nil {
			if err := allow(u); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteUserSessions(u.ID); err != nil {
			return err
		}
		return h.ev.Append(tx, a.leaf(evidence.UserRevokeSessions, evidence.Object{Kind: evidence.KindUser, ID: u.ID, Owner: u.Org}))
	})
}

// Login signs a person in: login name, password, and the current TOTP code
// when the user has a second factor (empty otherwise, or to learn that one
// is needed). remote is the client's address, for throttling ("" for none):
// an IP address, or host:port as http.Request.RemoteAddr gives it (the
// port is dropped). Every refusal is a *LoginError; an unknown name, a
// wrong password and a disabled user get the same answer in about the same
// time. A UI that asks for the code on a second page uses BeginLogin and
// FinishLogin instead, so that the password is not sent twice.
func (h *Hub) Login(ctx context.Context, login, pw, totpCode, remote string) (Session, error) {
	u, login, remote, now, err := h.checkPassword(ctx, login, pw, remote)
	if err != nil {
		return Session{}, err
	}
	if u.TOTPSecret != "" {
		if totpCode == "" {
			return Session{}, &LoginError{Reason: LoginTOTPRequired}
		}
		if err := h.checkTOTP(ctx, u, totpCode, login, remote, now); err != nil {
			return Session{}, err
		}
	}
	return h.openSession(ctx, u, login, now)
}

// BeginLogin is the first step of a two-step sign-in: it checks the login
// name and password as Login does and, when the user has no second factor,
// opens the session. When the user has one, it returns instead pending, a
// single-use challenge valid for PendingLoginTTL that FinishLogin completes
// with a TOTP code. Challenges are held in memory.
func (h *Hub) BeginLogin(ctx context.Context, login, pw, remote string) (s Session, pending string, err error) {
	u, login, _, now, err := h.checkPassword(ctx, login, pw, remote)
	if err != nil {
		return Session{}, "", err
	}
	if u.TOTPSecret == "" {
		s, err := h.openSession(ctx, u, login, now)
		return s, "", err
	}
	pending, err = h.people.pending.add(u, now)
	return Session{}, pending, err
}

// PendingLoginTTL is how long a BeginLogin challenge waits for its code.
const PendingLoginTTL = 5 * time.Minute

// FinishLogin is the second step of a two-step sign-in: the challenge
// BeginLogin gave and the user's current TOTP code. A wrong code counts as
// a failed sign-in of the login name and may be retried with the same
// challenge until it expires or the name is locked; success uses it up.
func (h *Hub) FinishLogin(ctx context.Context, pending, totpCode, remote string) (Session, error) {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host
	}
	now := h.now()
	ch, ok := h.people.pending.get(pending, now)
	if !ok {
		return Session{}, &LoginError{Reason: LoginBadTOTP}
	}
	if wait := h.people.throttle.wait(ch.login, remote, now); wait > 0 {
		return Session{}, &LoginError{Reason: LoginThrottled, RetryAfter: wait}
	}
	u, err := h.store.User(ctx, ch.user)
	if err != nil {
		return Session{}, err
	}
	// The user may have been disabled, or its password or second factor
	// changed, since the first step.
	if u.Disabled || u.Password != ch.password || u.TOTPSecret == "" || u.Login != ch.login {
		h.people.pending.remove(pending)
		return Session{}, &LoginError{Reason: LoginBadCredentials}
	}
	if err := h.checkTOTP(ctx, u, totpCode, ch.login, remote, now); err != nil {
		return Session{}, err
	}
	h.people.pending.remove(pending)
	return h.openSession(ctx, u, ch.login, now)
}

// checkPassword runs the throttle and the password check of a sign-in and
// returns the user with the login name and remote address as normalized.
func (h *Hub) checkPassword(ctx context.Context, login, pw, remote string) (store.UserRow, string, string, time.Time, error) {
	login = strings.ToLower(login)
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host // http.Request.RemoteAddr carries a port, new on every connection
	}
	now := h.now()
	refuse := func(err error) (store.UserRow, string, string, time.Time, error) {
		return store.UserRow{}, login, remote, now, err
	}
	if wait := h.people.throttle.wait(login, remote, now); wait > 0 {
		return refuse(&LoginError{Reason: LoginThrottled, RetryAfter: wait})
	}
	fail := func(why string) (store.UserRow, string, string, time.Time, error) {
		h.people.throttle.fail(login, remote, now)
		h.log.Warn("sign-in refused", "login", login, "remote", remote, "why", why)
		return refuse(&LoginError{Reason: LoginBadCredentials})
	}
	u, err := h.store.UserByLogin(ctx, login)
	known := err == nil
	if err != nil && !errors.Is(err, intel.ErrNotFound) {
		return refuse(err)
	}
	if len(pw) > 4*password.MaxLength {
		return fail("password too long")
	}
	ok, err := h.people.verify(ctx, u.Password, pw) // u.Password is "" for an unknown name: a dummy hash is checked
	if err != nil {
		if ctx.Err() != nil {
			return refuse(ctx.Err())
		}
		h.log.Error("user's password hash unreadable", "login", login, "err", err)
		return fail("stored hash unreadable")
	}
	switch {
	case !known:
		return fail("unknown login name")
	case !ok:
		return fail("wrong password")
	case u.Disabled:
		return fail("user disabled")
	}
	return u, login, remote, now, nil
}

// checkTOTP accepts code for u once: a code of a step at or before the
// last one accepted is refused.
func (h *Hub) checkTOTP(ctx context.Context, u store.UserRow, code, login, remote string, now time.Time) error {
	fail := func(why string) error {
		h.people.throttle.fail(login, remote, now)
		h.log.Warn("sign-in refused", "login", login, "remote", remote, "why", why)
		return &LoginError{Reason: LoginBadTOTP}
	}
	step, ok := totpStep(u.TOTPSecret, code, now)
	if !ok {
		return fail("wrong TOTP code")
	}
	fresh, err := h.store.AcceptTOTPStep(ctx, u.ID, step)
	if err != nil {
		return err
	}
	if !fresh {
		return fail("TOTP code already used")
	}
	return nil
}

// openSession opens a session for u, whose sign-in succeeded, with its
// evidence leaf.
func (h *Hub) openSession(ctx context.Context, u store.UserRow, login string, now time.Time) (Session, error) {
	h.people.throttle.succeed(login)
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Session{}, err
	}
	secret := SessionPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	row := store.SessionRow{Hash: sum[:], User: u.ID, Created: now, LastSeen: now, Expires: now.Add(h.people.absolute)}
	a := actor{org: u.Org, token: sessionTokenPrefix + u.ID}
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		// The user may have been disabled since it was read.
		cur, err := tx.UserRow(u.ID)
		if err != nil {
			return err
		}
		if cur.Disabled || cur.Password != u.Password {
			return &LoginError{Reason: LoginBadCredentials}
		}
		if err := tx.InsertSession(row); err != nil {
			return err
		}
		return h.ev.Append(tx, a.leaf(evidence.UserLogin, evidence.Object{Kind: evidence.KindUser, ID: u.ID, Owner: u.Org}))
	})
	if err != nil {
		return Session{}, err
	}
	if n, err := h.store.DeleteStaleSessions(ctx, now, now.Add(-h.people.idle)); err != nil {
		h.log.Warn("stale sessions not deleted", "err", err)
	} else if n > 0 {
		h.log.Debug("stale sessions deleted", "count", n)
	}
	return Session{Token: secret, Expires: row.Expires, User: userOf(u)}, nil
}

// pendingLogins are the challenges of two-step sign-ins, by the SHA-256 of
// their secret.
type pendingLogins struct {
	mu sync.Mutex
	m  map[[32]byte]challenge
}

// challenge is a sign-in whose password was right, waiting for its code.
type challenge struct {
	user, login, password string // password: the hash checked, to notice a reset
	expires               time.Time
}

func (p *pendingLogins) add(u store.UserRow, now time.Time) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.m {
		if !now.Before(c.expires) {
			delete(p.m, k)
		}
	}
	p.m[sha256.Sum256([]byte(secret))] = challenge{user: u.ID, login: u.Login, password: u.Password, expires: now.Add(PendingLoginTTL)}
	return secret, nil
}

func (p *pendingLogins) get(secret string, now time.Time) (challenge, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := sha256.Sum256([]byte(secret))
	c, ok := p.m[k]
	if ok && !now.Before(c.expires) {
		delete(p.m, k)
		return challenge{}, false
	}
	return c, ok
}

func (p *pendingLogins) remove(secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, sha256.Sum256([]byte(secret)))
}

// SessionCaller resolves a session secret to the caller it acts as — the
// organization, role and groups an API token of the user's organization and
// role would have, with TokenID "session:" and the user id — and the user.
// An unknown, ended, idle or expired session, or one of a disabled user,
// is ErrUnauthenticated.
func (h *Hub) SessionCaller(ctx context.Context, token string) (*policy.Caller, intel.User, error) {
	if token == "" {
		return nil, intel.User{}, fmt.Errorf("%w: no session", ErrUnauthenticated)
	}
	sum := sha256.Sum256([]byte(token))
	s, err := h.store.Session(ctx, sum[:])
	if errors.Is(err, intel.ErrNotFound) {
		return nil, intel.User{}, fmt.Errorf("%w: unknown or ended session", ErrUnauthenticated)
	}
	if err != nil {
		return nil, intel.User{}, err
	}
	now := h.now()
	if !now.Before(s.Expires) || !now.Before(s.LastSeen.Add(h.people.idle)) {
		if err := h.store.DeleteSession(ctx, sum[:]); err != nil {
			h.log.Warn("expired session not deleted", "err", err)
		}
		return nil, intel.User{}, fmt.Errorf("%w: session expired", ErrUnauthenticated)
	}
	u, err := h.store.User(ctx, s.User)
	if err != nil {
		return nil, intel.User{}, err
	}
	role, err := intel.ParseUserRole(u.Role)
	if err != nil || u.Disabled {
		// A disabled user's sessions were ended when it was disabled; a
		// role a person may not hold was written outside fusion. Either
		// way the session grants nothing.
		return nil, intel.User{}, fmt.Errorf("%w: user %s may not sign in", ErrUnauthenticated, u.Login)
	}
	groups, err := h.store.GroupsOf(ctx, u.Org)
	if err != nil {
		return nil, intel.User{}, err
	}
	org, err := h.store.Org(ctx, u.Org)
	if err != nil {
		return nil, intel.User{}, err
	}
	if now.Sub(s.LastSeen) >= sessionTouchEvery && h.ev.Halted() == nil {
		if err := h.store.TouchSession(ctx, sum[:], now); err != nil {
			h.log.Warn("session last use not written", "user", u.Login, "err", err)
		}
	}
	c := &policy.Caller{Org: u.Org, Role: role, TokenID: sessionTokenPrefix + u.ID, Groups: groups, Operator: org.Operator}
	return c, userOf(u), nil
}

// Logout ends the session whose secret is token; ending an unknown or
// ended session is not an error.
func (h *Hub) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	return h.store.DeleteSession(ctx, sum[:])
}

// sessionUser returns the row of the user c is a session of; any other
// caller (an API token) is refused.
func (h *Hub) sessionUser(ctx context.Context, c *policy.Caller) (store.UserRow, error) {
	id, ok := "", false
	if c != nil {
		id, ok = strings.CutPrefix(c.TokenID, sessionTokenPrefix)
	}
	if !ok {
		return store.UserRow{}, fmt.Errorf("%w: only a person signed in to the UI has a password and a second factor", intel.ErrForbidden)
	}
	u, err := h.store.User(ctx, id)
	if err != nil {
		return u, err
	}
	if u.Disabled || u.Org != c.Org {
		return store.UserRow{}, fmt.Errorf("%w: user %s may not sign in", ErrUnauthenticated, u.Login)
	}
	return u, nil
}

// EnrolTOTP starts TOTP enrolment for the user c is the session of: it
// returns a new secret (base32) and its otpauth:// URL for an
// authenticator app. The second factor is active only once ConfirmTOTP
// accepts a first code from it; until then, enrolling again replaces the
// secret. A user whose second factor is active cannot enrol again (the
// operator clears it first: fusion admin user clear-totp).
func (h *Hub) EnrolTOTP(ctx context.Context, c *policy.Caller) (secret, url string, err error) {
	u, err := h.sessionUser(ctx, c)
	if err != nil {
		return "", "", err
	}
	if u.TOTPSecret != "" {
		return "", "", fmt.Errorf("user %s already has an active TOTP second factor: %w", u.Login, intel.ErrConflict)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Login, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	if err := h.store.SetTOTPPending(ctx, u.ID, key.Secret()); err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// ConfirmTOTP activates the secret EnrolTOTP gave the user c is the
// session of, if code is a current code of it. From then on every sign-in
// needs a code.
func (h *Hub) ConfirmTOTP(ctx context.Context, c *policy.Caller, code string) error {
	self, err := h.sessionUser(ctx, c)
	if err != nil {
		return err
	}
	if self.TOTPPending == "" {
		return &intel.FieldError{Field: "code", Reason: "no TOTP enrolment is pending; enrol first"}
	}
	step, ok := totpStep(self.TOTPPending, code, h.now())
	if !ok {
		return &intel.FieldError{Field: "code", Value: code, Reason: "not a current code of the secret being enrolled"}
	}
	_, err = h.changeUser(ctx, actorOf(c), self.Login, sameUser(self.ID), func(tx *store.Tx, u store.UserRow) (evidence.Action, bool, error) {
		if u.TOTPPending != self.TOTPPending {
			return "", false, &intel.FieldError{Field: "code", Reason: "the enrolment was replaced meanwhile; enrol again"}
		}
		return evidence.UserTOTPEnrol, false, tx.SetUserTOTP(u.ID, u.TOTPPending, step, h.now())
	})
	return err
}

// totpOpts are RFC 6238's defaults, which authenticator apps assume.
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpStep returns the time step (of 30 s) whose code code is, among the
// step of now and one step either side (clock skew), and whether there is
// one. Every candidate is computed and compared in constant time; the
// latest matching step wins.
//
// SPEC: https://www.rfc-editor.org/rfc/rfc6238
func totpStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	cur := now.Unix() / 30
	found, match := int64(0), false
	for s := cur - 1; s <= cur+1; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, match = s, true
		}
	}
	return found, match
}

// throttle counts failed sign-ins per login name and per remote address,
// in memory.
type throttle struct {
	mu           sync.Mutex
	names, addrs map[string]*failures
}

// failures are the recent failures of one key and the end of its lockout.
type failures struct {
	times []time.Time
	until time.Time
}

func newThrottle() *throttle {
	return &throttle{names: map[string]*failures{}, addrs: map[string]*failures{}}
}

// wait returns how long name or addr is still locked out (0: neither is).
func (t *throttle) wait(name, addr string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d time.Duration
	if f := t.names[name]; f != nil {
		d = max(d, f.until.Sub(now))
	}
	if f := t.addrs[addr]; addr != "" && f != nil {
		d = max(d, f.until.Sub(now))
	}
	return d
}

func (t *throttle) fail(name, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	record(t.names, name, LoginFailuresPerName, now)
	if addr != "" {
		record(t.addrs, addr, LoginFailuresPerAddress, now)
	}
}

// succeed forgets a login name's failures; its address's stay counted.
func (t *throttle) succeed(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.names, name)
}

// maxThrottleKeys bounds each map before stale keys are swept out.
const maxThrottleKeys = 4096

func record(m map[string]*failures, key string, limit int, now time.Time) {
	if len(m) >= maxThrottleKeys {
		for k, f := range m {
			if !f.until.After(now) && (len(f.times) == 0 || now.Sub(f.times[len(f.times)-1]) >= LoginWindow) {
				delete(m, k)
			}
		}
	}
	f := m[key]
	if f == nil {
		f = &failures{}
		m[key] = f
	}
	kept := f.times[:0]
	for _, at := range f.times {
		if now.Sub(at) < LoginWindow {
			kept = append(kept, at)
		}
	}
	f.times = append(kept, now)
	if len(f.times) >= limit {
		f.until, f.times = now.Add(LoginLockout), nil
	}
}
