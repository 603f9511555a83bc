package hub_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// clock is a settable time for a hub under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withPeople returns a hub over st with organizations org-a and org-b, an
// admin caller of each, and a clock it reads.
func withPeople(t *testing.T, st *store.Store) (*hub.Hub, map[string]*policy.Caller, *clock) {
	t.Helper()
	h, callers := withOrgs(t, st, "org-a", "org-b")
	clk := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	hub.SetClock(h, clk.now)
	return h, callers, clk
}

const alicePW = "correct horse battery staple"

func mustUser(t *testing.T, h *hub.Hub, org, login string, role intel.Role) intel.User {
	t.Helper()
	u, err := h.OperatorCreateUser(context.Background(), org, login, strings.ToUpper(login[:1])+login[1:], role, alicePW)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustLogin(t *testing.T, h *hub.Hub, login, pw, code string) hub.Session {
	t.Helper()
	s, err := h.Login(context.Background(), login, pw, code, "192.0.2.1")
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	return s
}

func loginReason(err error) hub.LoginReason {
	var le *hub.LoginError
	if errors.As(err, &le) {
		return le.Reason
	}
	return 0
}

// verifyClean runs evidence verify over st and fails the test on any problem.
func verifyClean(t *testing.T, h *hub.Hub, st *store.Store) {
	t.Helper()
	n := h.Evidence().Notary()
	rep, err := evidence.Verify(context.Background(), st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("evidence verify: %v", rep.Problems)
	}
}

func TestUserLoginLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _, clk := withPeople(t, st)
		u := mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
		if u.ID == "" || u.Org != "org-a" || u.Role != intel.RoleAnalyst || u.Disabled || u.TOTP {
			t.Fatalf("created %+v", u)
		}
		s := mustLogin(t, h, "Alice", alicePW, "") // login names are compared in lower case
		if !strings.HasPrefix(s.Token, hub.SessionPrefix) || s.User.ID != u.ID || !s.Expires.Equal(clk.now().Add(hub.DefaultSessionAbsolute)) {
			t.Fatalf("session %+v", s)
		}
		c, got, err := h.SessionCaller(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		if c.Org != "org-a" || c.Role != intel.RoleAnalyst || c.TokenID != "session:"+u.ID || got.Login != "alice" {
			t.Fatalf("caller %+v, user %+v", c, got)
		}
		if _, _, err := h.SessionCaller(ctx, s.Token+"x"); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("a wrong secret gave %v", err)
		}
		if err := h.Logout(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.SessionCaller(ctx, s.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("after logout: %v", err)
		}
		if err := h.Logout(ctx, s.Token); err != nil {
			t.Fatalf("second logout: %v", err)
		}
		if _, err := h.OperatorCreateUser(ctx, "org-b", "alice", "Another Alice", intel.RoleReader, alicePW); !errors.Is(err, intel.ErrConflict) {
			t.Fatalf("a second alice: %v", err)
		}
		verifyClean(t, h, st)
	})
}

func TestCreateUserRejects(t *testing.T) {
	ctx := context.Background()
	h, _, _ := withPeople(t, storetest.SQLite(t))
	for _, c := range []struct {
		org, login, name string
		role             intel.Role
		pw, field        string
	}{
		{"org-a", "al", "Al", intel.RoleAnalyst, alicePW, "login"},
		{"org-a", "Alice", "Alice", intel.RoleAnalyst, alicePW, "login"},
		{"org-a", strings.Repeat("a", 65), "A", intel.RoleAnalyst, alicePW, "login"},
		{"org-a", "alice", "", intel.RoleAnalyst, alicePW, "name"},
		{"org-a", "alice", "Alice", intel.RolePartner, alicePW, "role"},
		{"org-a", "alice", "Alice", intel.RoleSensor, alicePW, "role"},
		{"org-a", "alice", "Alice", intel.RoleAnalyst, "short pw", "password"},
		{"org-a", "alice.long.name", "Alice", intel.RoleAnalyst, "ALICE.LONG.NAME", "password"},
		{"org-a", "alice", "Alice", intel.RoleAnalyst, strings.Repeat("p", 1025), "password"},
		{"org-zz", "alice", "Alice", intel.RoleAnalyst, alicePW, "org"},
	} {
		_, err := h.OperatorCreateUser(ctx, c.org, c.login, c.name, c.role, c.pw)
		var fe *intel.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("create %q/%q/%q/%s: %v, want an error on field %s", c.org, c.login, c.name, c.role, err, c.field)
		}
	}
	if users, _ := h.OperatorUsers(ctx); len(users) != 0 {
		t.Fatalf("rejected users were stored: %+v", users)
	}
}

// TestLoginSameAnswer: an unknown name, a wrong password and a disabled
// user get the same error, and the unknown name costs a password hash too.
func TestLoginSameAnswer(t *testing.T) {
	ctx := context.Background()
	h, _, _ := withPeople(t, storetest.SQLite(t))
	mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
	mustUser(t, h, "org-a", "dave", intel.RoleAnalyst)
	if err := h.OperatorDisableUser(ctx, "dave", true); err != nil {
		t.Fatal(err)
	}
	timed := func(login, pw string) (error, time.Duration) {
		start := time.Now()
		_, err := h.Login(ctx, login, pw, "", "")
		return err, time.Since(start)
	}
	wrongErr, wrongTook := timed("alice", "not the password at all")
	unknownErr, unknownTook := timed("nobody", "not the password at all")
	disabledErr, _ := timed("dave", alicePW)
	for _, err := range []error{wrongErr, unknownErr, disabledErr} {
		if loginReason(err) != hub.LoginBadCredentials || !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("refusal %v is not a bad-credentials LoginError", err)
		}
		if err.Error() != wrongErr.Error() {
			t.Fatalf("refusals differ: %q and %q", err, wrongErr)
		}
	}
	// An Argon2id check with 19 MiB takes milliseconds; an unknown name
	// must not answer in a small fraction of that.
	if unknownTook < wrongTook/5 {
		t.Fatalf("unknown name answered in %s, a wrong password in %s: the difference tells names apart", unknownTook, wrongTook)
	}
}

func TestLoginThrottle(t *testing.T) {
	ctx := context.Background()
	h, _, clk := withPeople(t, storetest.SQLite(t))
	mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
	for i := range hub.LoginFailuresPerName {
		if _, err := h.Login(ctx, "alice", "wrong password "+string(rune('a'+i)), "", "192.0.2.1"); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
		clk.add(time.Minute)
	}
	_, err := h.Login(ctx, "alice", alicePW, "", "192.0.2.2")
	var le *hub.LoginError
	if !errors.As(err, &le) || le.Reason != hub.LoginThrottled || le.RetryAfter <= 0 || le.RetryAfter > hub.LoginLockout {
		t.Fatalf("the right password after %d failures: %v", hub.LoginFailuresPerName, err)
	}
	// An unknown name locks the same way: the lock tells no names apart.
	for range hub.LoginFailuresPerName {
		h.Login(ctx, "nobody", "wrong password x", "", "192.0.2.3")
	}
	if _, err := h.Login(ctx, "nobody", "wrong password x", "", "192.0.2.4"); loginReason(err) != hub.LoginThrottled {
		t.Fatalf("unknown name after failures: %v", err)
	}
	clk.add(le.RetryAfter)
	mustLogin(t, h, "alice", alicePW, "")

	// Per address: many names from one address lock the address, not the names.
	for i := range hub.LoginFailuresPerAddress {
		h.Login(ctx, "guess"+string(rune('a'+i)), "wrong password x", "", "198.51.100.9")
	}
	if _, err := h.Login(ctx, "alice", alicePW, "", "198.51.100.9"); loginReason(err) != hub.LoginThrottled {
		t.Fatalf("a locked address: %v", err)
	}
	if _, err := h.Login(ctx, "alice", alicePW, "", "198.51.100.9:61234"); loginReason(err) != hub.LoginThrottled {
		t.Fatalf("a locked address with a port: %v", err)
	}
	mustLogin(t, h, "alice", alicePW, "") // from another address
	clk.add(hub.LoginLockout)
	if _, err := h.Login(ctx, "alice", alicePW, "", "198.51.100.9"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	// Failures spread wider than the window never lock.
	for range 3 * hub.LoginFailuresPerName {
		if _, err := h.Login(ctx, "alice", "wrong password y", "", "192.0.2.7"); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("spread failures: %v", err)
		}
		clk.add(hub.LoginWindow / (hub.LoginFailuresPerName - 1))
	}

	// Wrong current passwords given to ChangePassword count too: a stolen
	// session is no unthrottled password oracle.
	clk.add(hub.LoginLockout)
	s := mustLogin(t, h, "alice", alicePW, "")
	c, _, err := h.SessionCaller(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	for range hub.LoginFailuresPerName {
		if err := h.ChangePassword(ctx, c, "wrong password z", "a new long passphrase"); !errors.Is(err, intel.ErrInvalid) {
			t.Fatalf("a wrong current password: %v", err)
		}
	}
	if err := h.ChangePassword(ctx, c, alicePW, "a new long passphrase"); loginReason(err) != hub.LoginThrottled {
		t.Fatalf("the right current password after %d wrong ones: %v", hub.LoginFailuresPerName, err)
	}
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _, clk := withPeople(t, st)
		mustUser(t, h, "org-a", "alice", intel.RoleReader)

		// Idle: used every 29 minutes it lives on; left 30 minutes it ends.
		s := mustLogin(t, h, "alice", alicePW, "")
		for range 3 {
			clk.add(29 * time.Minute)
			if _, _, err := h.SessionCaller(ctx, s.Token); err != nil {
				t.Fatalf("used after 29 minutes: %v", err)
			}
		}
		clk.add(hub.DefaultSessionIdle)
		if _, _, err := h.SessionCaller(ctx, s.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("idle for 30 minutes: %v", err)
		}
		clk.add(-hub.DefaultSessionIdle)
		if _, _, err := h.SessionCaller(ctx, s.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("an expired session came back: %v", err)
		}

		// Absolute: used every 20 minutes, it still ends 12 hours after sign-in.
		s = mustLogin(t, h, "alice", alicePW, "")
		end := clk.now().Add(hub.DefaultSessionAbsolute)
		for clk.now().Add(20 * time.Minute).Before(end) {
			clk.add(20 * time.Minute)
			if _, _, err := h.SessionCaller(ctx, s.Token); err != nil {
				t.Fatalf("used at %s: %v", clk.now(), err)
			}
		}
		clk.add(end.Sub(clk.now()))
		if _, _, err := h.SessionCaller(ctx, s.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("at its absolute end: %v", err)
		}
	})
}

func TestDisableAndResetEndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _, _ := withPeople(t, st)
		mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
		s1 := mustLogin(t, h, "alice", alicePW, "")
		s2 := mustLogin(t, h, "alice", alicePW, "")
		if err := h.OperatorDisableUser(ctx, "alice", true); err != nil {
			t.Fatal(err)
		}
		for _, s := range []hub.Session{s1, s2} {
			if _, _, err := h.SessionCaller(ctx, s.Token); !errors.Is(err, hub.ErrUnauthenticated) {
				t.Fatalf("a disabled user's session: %v", err)
			}
		}
		if _, err := h.Login(ctx, "alice", alicePW, "", ""); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("a disabled user signs in: %v", err)
		}
		if err := h.OperatorDisableUser(ctx, "alice", true); err != nil {
			t.Fatalf("disabling twice: %v", err)
		}
		if err := h.OperatorDisableUser(ctx, "alice", false); err != nil {
			t.Fatal(err)
		}
		s3 := mustLogin(t, h, "alice", alicePW, "")

		const next = "a new and longer passphrase"
		if err := h.OperatorResetPassword(ctx, "alice", "too short"); err == nil {
			t.Fatal("a short password was accepted")
		}
		if err := h.OperatorResetPassword(ctx, "alice", next); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.SessionCaller(ctx, s3.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("a session after the password reset: %v", err)
		}
		if _, err := h.Login(ctx, "alice", alicePW, "", ""); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("the old password: %v", err)
		}
		s4 := mustLogin(t, h, "alice", next, "")

		// The user changes its own password: every session ends.
		c, _, err := h.SessionCaller(ctx, s4.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.ChangePassword(ctx, c, "wrong current password", alicePW); err == nil {
			t.Fatal("a change with the wrong current password")
		}
		if err := h.ChangePassword(ctx, c, next, alicePW); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.SessionCaller(ctx, s4.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("a session after a password change: %v", err)
		}
		s5 := mustLogin(t, h, "alice", alicePW, "")

		// On demand: the user ends its own sessions.
		c, _, _ = h.SessionCaller(ctx, s5.Token)
		if err := h.RevokeSessions(ctx, c, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.SessionCaller(ctx, s5.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("a revoked session: %v", err)
		}
		verifyClean(t, h, st)
	})
}

func TestTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers, clk := withPeople(t, st)
		mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
		s := mustLogin(t, h, "alice", alicePW, "")
		c, _, err := h.SessionCaller(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.EnrolTOTP(ctx, callers["org-a"]); !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("an API token enrols: %v", err)
		}
		if err := h.ConfirmTOTP(ctx, c, "123456"); err == nil {
			t.Fatal("confirmed without enrolling")
		}
		secret, url, err := h.EnrolTOTP(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(url, "otpauth://totp/fusion:alice?") || !strings.Contains(url, "secret="+secret) {
			t.Fatalf("url %q for secret %q", url, secret)
		}
		// Not active until confirmed: the password alone still signs in.
		mustLogin(t, h, "alice", alicePW, "")
		code := func(at time.Time) string {
			c, err := totp.GenerateCode(secret, at)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		wrong := code(clk.now().Add(-10 * time.Minute))
		if err := h.ConfirmTOTP(ctx, c, wrong); err == nil {
			t.Fatal("confirmed with an old code")
		}
		if err := h.ConfirmTOTP(ctx, c, code(clk.now())); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.EnrolTOTP(ctx, c); !errors.Is(err, intel.ErrConflict) {
			t.Fatalf("enrolling over an active factor: %v", err)
		}
		users, _ := h.OperatorUsers(ctx)
		if len(users) != 1 || !users[0].TOTP {
			t.Fatalf("users %+v", users)
		}

		_, err = h.Login(ctx, "alice", alicePW, "", "")
		if !hub.IsTOTPRequired(err) {
			t.Fatalf("no code: %v", err)
		}
		if _, err := h.Login(ctx, "alice", "wrong password!!", "", ""); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("a wrong password must not ask for a code: %v", err)
		}
		// The code that confirmed is used up.
		if _, err := h.Login(ctx, "alice", alicePW, code(clk.now()), ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("the confirming code again: %v", err)
		}
		clk.add(30 * time.Second)
		now := code(clk.now())
		if now == wrong {
			t.Skip("codes collide")
		}
		mustLogin(t, h, "alice", alicePW, now)
		if _, err := h.Login(ctx, "alice", alicePW, now, ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("a replayed code: %v", err)
		}
		// A code one step ahead (clock skew) is accepted; then the step
		// before it is refused, as already passed.
		ahead := code(clk.now().Add(30 * time.Second))
		mustLogin(t, h, "alice", alicePW, ahead)
		clk.add(30 * time.Second)
		if _, err := h.Login(ctx, "alice", alicePW, code(clk.now().Add(-30*time.Second)), ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("an earlier step after a later one: %v", err)
		}
		clk.add(2 * time.Minute)
		if _, err := h.Login(ctx, "alice", alicePW, "12345x", ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("a malformed code: %v", err)
		}
		mustLogin(t, h, "alice", alicePW, code(clk.now()))

		// The operator clears a lost factor: the password alone signs in again.
		if err := h.OperatorClearTOTP(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		mustLogin(t, h, "alice", alicePW, "")
		verifyClean(t, h, st)
	})
}

// TestSessionSeesWhatTokenSees: a person's session sees exactly what an API
// token of the same organization and role sees.
func TestSessionSeesWhatTokenSees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers, _ := withPeople(t, st)
		if _, err := h.OperatorCreateOrg(ctx, "org-c", "org-c", "NL", "bank", false); err != nil {
			t.Fatal(err)
		}
		if _, err := h.OperatorCreateGroup(ctx, "g-ab", "A and B", "org-a"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.OperatorAddMember(ctx, "g-ab", "org-b"); err != nil {
			t.Fatal(err)
		}
		a := *callers["org-a"]
		a.Groups = []string{"g-ab"}
		res, err := h.CreateRecords(ctx, &a, []intel.RecordInput{
			{Value: "to-b.example.com", TLP: "amber", Labels: []string{"phishing"}, Audience: &intel.Audience{Orgs: []string{"org-b"}}},
			{Value: "to-group.example.com", TLP: "amber", Labels: []string{"phishing"}, Audience: &intel.Audience{Groups: []string{"g-ab"}}},
			{Value: "to-c.example.com", TLP: "red", Labels: []string{"phishing"}, Audience: &intel.Audience{Orgs: []string{"org-c"}}},
			{Value: "198.51.100.77", TLP: "green", Labels: []string{"botnet-c2"}},
			{Value: "198.51.100.78", TLP: "clear", Labels: []string{"botnet-c2"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		secret, _, err := h.OperatorIssueToken(ctx, "org-b", intel.RoleReader, "reader")
		if err != nil {
			t.Fatal(err)
		}
		byToken, err := h.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		mustUser(t, h, "org-b", "bob", intel.RoleReader)
		s := mustLogin(t, h, "bob", alicePW, "")
		bySession, _, err := h.SessionCaller(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		if bySession.Org != byToken.Org || bySession.Role != byToken.Role || bySession.Operator != byToken.Operator ||
			!slices.Equal(bySession.Groups, byToken.Groups) {
			t.Fatalf("session caller %+v, token caller %+v", bySession, byToken)
		}
		list := func(c *policy.Caller) []string {
			p, err := h.ListRecords(ctx, c, hub.RecordFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range p.Items {
				ids = append(ids, r.ID+" "+r.Value)
			}
			return ids
		}
		tokenSees, sessionSees := list(byToken), list(bySession)
		if len(tokenSees) != 4 || !slices.Equal(tokenSees, sessionSees) {
			t.Fatalf("token sees %v, session sees %v", tokenSees, sessionSees)
		}
		// The session's actions are the person's in the evidence log.
		size, _ := h.EvidenceSize(ctx)
		entries, err := h.EvidenceEntries(ctx, bySession, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		var tokens []string
		for _, e := range entries {
			if e.Leaf.Action == evidence.Disclose && e.Leaf.Org == "org-b" {
				tokens = append(tokens, e.Leaf.Token)
			}
		}
		if !slices.Contains(tokens, bySession.TokenID) {
			t.Fatalf("disclosure leaves name %v, not the session %s", tokens, bySession.TokenID)
		}
		verifyClean(t, h, st)
	})
}

// TestAdminsManageOwnUsers: an organization's admins list, create and
// disable its users; other organizations' users do not exist for them.
func TestAdminsManageOwnUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _, _ := withPeople(t, st)
		mustUser(t, h, "org-a", "ann", intel.RoleAdmin)
		mustUser(t, h, "org-b", "bob", intel.RoleAnalyst)
		s := mustLogin(t, h, "ann", alicePW, "")
		admin, _, err := h.SessionCaller(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		carl, err := h.CreateUser(ctx, admin, "carl", "Carl", intel.RoleReader, "carl's passphrase")
		if err != nil || carl.Org != "org-a" {
			t.Fatalf("create: %+v %v", carl, err)
		}
		users, err := h.ListUsers(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		var logins []string
		for _, u := range users {
			logins = append(logins, u.Login)
		}
		if !slices.Equal(logins, []string{"ann", "carl"}) {
			t.Fatalf("org-a's admin lists %v", logins)
		}
		if _, err := h.DisableUser(ctx, admin, "bob", true); !errors.Is(err, intel.ErrNotFound) {
			t.Fatalf("disabling another organization's user: %v", err)
		}
		if err := h.RevokeSessions(ctx, admin, "bob"); !errors.Is(err, intel.ErrNotFound) {
			t.Fatalf("ending another organization's user's sessions: %v", err)
		}
		cs := mustLogin(t, h, "carl", "carl's passphrase", "")
		if u, err := h.DisableUser(ctx, admin, "carl", true); err != nil || !u.Disabled {
			t.Fatalf("disable carl: %+v %v", u, err)
		}
		if _, _, err := h.SessionCaller(ctx, cs.Token); !errors.Is(err, hub.ErrUnauthenticated) {
			t.Fatalf("carl's session after disable: %v", err)
		}
		// An analyst may not manage users.
		bs := mustLogin(t, h, "bob", alicePW, "")
		analyst, _, _ := h.SessionCaller(ctx, bs.Token)
		if _, err := h.ListUsers(ctx, analyst); !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("analyst lists users: %v", err)
		}
		if _, err := h.CreateUser(ctx, analyst, "eve", "Eve", intel.RoleAdmin, "eve's passphrase"); !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("analyst creates a user: %v", err)
		}
		verifyClean(t, h, st)
	})
}

// TestUserTamperDetected: a user's row edited behind fusion's back (a role
// raised, a password hash swapped) is reported by evidence verify, while
// what changes without a leaf (sessions, the last TOTP step) is not.
func TestUserTamperDetected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, _, _ := withPeople(t, st)
		mustUser(t, h, "org-a", "alice", intel.RoleReader)
		mustLogin(t, h, "alice", alicePW, "")
		verifyClean(t, h, st)
		if _, err := st.DB().Exec("UPDATE users SET totp_step = 12345, totp_pending = 'JBSWY3DPEHPK3PXP'"); err != nil {
			t.Fatal(err)
		}
		verifyClean(t, h, st)
		var phc string
		if err := st.DB().QueryRow("SELECT password FROM users").Scan(&phc); err != nil {
			t.Fatal(err)
		}
		for _, edit := range []struct{ q, undo string }{
			{"UPDATE users SET role = 'admin'", "UPDATE users SET role = 'reader'"},
			{"UPDATE users SET password = 'x'", "UPDATE users SET password = '" + phc + "'"},
		} {
			q := edit.q
			if _, err := st.DB().Exec(q); err != nil {
				t.Fatal(err)
			}

			n := h.Evidence().Notary()
			rep, err := evidence.Verify(context.Background(), st, evidence.VerifyOptions{Verifier: n.Verifier(), MACKey: n.MACKey()})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "user u-") {
				t.Fatalf("after %q: %v", q, rep.Problems)
			}
			if _, err := st.DB().Exec(edit.undo); err != nil {
				t.Fatal(err)
			}
			verifyClean(t, h, st)
		}
	})
}

// TestTOTPCodeRace: two sign-ins racing with one code; exactly one wins.
func TestTOTPCodeRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _, clk := withPeople(t, st)
		mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
		c, _, err := h.SessionCaller(ctx, mustLogin(t, h, "alice", alicePW, "").Token)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := h.EnrolTOTP(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		first, _ := totp.GenerateCode(secret, clk.now())
		if err := h.ConfirmTOTP(ctx, c, first); err != nil {
			t.Fatal(err)
		}
		clk.add(30 * time.Second)
		code, _ := totp.GenerateCode(secret, clk.now())
		const n = 4
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := h.Login(ctx, "alice", alicePW, code, "")
				errs <- err
			}()
		}
		won := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				won++
			case loginReason(err) != hub.LoginBadTOTP:
				t.Errorf("a losing sign-in: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d sign-ins with one code succeeded, want 1", won, n)
		}
	})
}

// TestTwoStepLogin: BeginLogin checks the password and, for a user with a
// second factor, gives a challenge that FinishLogin completes with a code.
func TestTwoStepLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, _, clk := withPeople(t, st)
		mustUser(t, h, "org-a", "alice", intel.RoleAnalyst)
		s, pending, err := h.BeginLogin(ctx, "alice", alicePW, "192.0.2.1:5555")
		if err != nil || pending != "" || s.Token == "" {
			t.Fatalf("without a second factor: %+v %q %v", s, pending, err)
		}
		if _, _, err := h.BeginLogin(ctx, "alice", "wrong password!", ""); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("wrong password: %v", err)
		}
		c, _, _ := h.SessionCaller(ctx, s.Token)
		secret, _, err := h.EnrolTOTP(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		code := func() string { c, _ := totp.GenerateCode(secret, clk.now()); return c }
		if err := h.ConfirmTOTP(ctx, c, code()); err != nil {
			t.Fatal(err)
		}
		clk.add(30 * time.Second)

		s, pending, err = h.BeginLogin(ctx, "alice", alicePW, "")
		if err != nil || pending == "" || s.Token != "" {
			t.Fatalf("with a second factor: %+v %q %v", s, pending, err)
		}
		if _, err := h.FinishLogin(ctx, pending, "000000", ""); loginReason(err) != hub.LoginBadTOTP && code() != "000000" {
			t.Fatalf("a wrong code: %v", err)
		}
		if _, err := h.FinishLogin(ctx, pending+"x", code(), ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("an unknown challenge: %v", err)
		}
		s, err = h.FinishLogin(ctx, pending, code(), "")
		if err != nil || s.Token == "" {
			t.Fatalf("the right code: %+v %v", s, err)
		}
		if _, _, err := h.SessionCaller(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		clk.add(30 * time.Second)
		if _, err := h.FinishLogin(ctx, pending, code(), ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("a used challenge: %v", err)
		}

		// A challenge expires.
		_, pending, _ = h.BeginLogin(ctx, "alice", alicePW, "")
		clk.add(hub.PendingLoginTTL)
		if _, err := h.FinishLogin(ctx, pending, code(), ""); loginReason(err) != hub.LoginBadTOTP {
			t.Fatalf("an expired challenge: %v", err)
		}
		// A password reset between the steps voids the challenge.
		clk.add(30 * time.Second)
		_, pending, _ = h.BeginLogin(ctx, "alice", alicePW, "")
		if err := h.OperatorResetPassword(ctx, "alice", "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.FinishLogin(ctx, pending, code(), ""); loginReason(err) != hub.LoginBadCredentials {
			t.Fatalf("a challenge from before a reset: %v", err)
		}
		// Wrong codes lock the name like wrong passwords.
		_, pending, _ = h.BeginLogin(ctx, "alice", "a brand new passphrase", "")
		for range hub.LoginFailuresPerName {
			h.FinishLogin(ctx, pending, "12345x", "")
		}
		if _, err := h.FinishLogin(ctx, pending, code(), ""); loginReason(err) != hub.LoginThrottled {
			t.Fatalf("after %d wrong codes: %v", hub.LoginFailuresPerName, err)
		}
		verifyClean(t, h, st)
	})
}
