package hub_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// TestTokenCacheRevocation: Authenticate caches verified tokens for
// DefaultTokenCacheTTL, and a revocation through the hub fails the token
// on its next request, even with requests authenticating concurrently;
// group changes through the hub show at once; callers handed out are
// copies; a revocation by another process (written to the store directly)
// is seen within the TTL, and at once with the cache off.
func TestTokenCacheRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, callers := withOrgs(t, st, "org-a", "org-b")
		now := time.Now().UTC().Truncate(time.Microsecond)
		hub.SetClock(h, func() time.Time { return now })
		issue := func() (string, string) {
			secret, tok, err := h.OperatorIssueToken(ctx, "org-a", intel.RoleSensor, "otp backend")
			if err != nil {
				t.Fatal(err)
			}
			return secret, tok.ID
		}
		unauthenticated := func(secret, when string) {
			t.Helper()
			if c, err := h.Authenticate(ctx, secret); !errors.Is(err, hub.ErrUnauthenticated) {
				t.Fatalf("%s: %+v %v, want unauthenticated", when, c, err)
			}
		}

		// Revoked through this hub: refused at once, though cached.
		secret, id := issue()
		c, err := h.Authenticate(ctx, secret)
		if err != nil || c.Org != "org-a" || c.TokenID != id {
			t.Fatalf("first authentication: %+v %v", c, err)
		}
		c.Org, c.Groups, c.Purpose = "org-b", append(c.Groups, "grp-x"), "changed"
		if c, err := h.Authenticate(ctx, secret); err != nil || c.Org != "org-a" || len(c.Groups) != 0 || c.Purpose != "" {
			t.Fatalf("the cached caller was changed through a copy: %+v %v", c, err)
		}
		if err := h.OperatorRevokeToken(ctx, id); err != nil {
			t.Fatal(err)
		}
		unauthenticated(secret, "revoked through the hub")

		// Groups changed through the hub show on the next request.
		secret, _ = issue()
		if c, err := h.Authenticate(ctx, secret); err != nil || len(c.Groups) != 0 {
			t.Fatalf("before joining: %+v %v", c, err)
		}
		if _, err := h.OperatorCreateGroup(ctx, "grp-b", "B's", "org-b"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.OperatorAddMember(ctx, "grp-b", "org-a"); err != nil {
			t.Fatal(err)
		}
		if c, err := h.Authenticate(ctx, secret); err != nil || !slices.Equal(c.Groups, []string{"grp-b"}) {
			t.Fatalf("after joining grp-b: %+v %v", c, err)
		}
		owner := *callers["org-b"]
		owner.Groups = []string{"grp-b"}
		if _, err := h.RemoveGroupMember(ctx, &owner, "grp-b", "org-a"); err != nil {
			t.Fatal(err)
		}
		if c, err := h.Authenticate(ctx, secret); err != nil || len(c.Groups) != 0 {
			t.Fatalf("after leaving grp-b: %+v %v", c, err)
		}

		// Revoked while other requests authenticate the same token: once
		// the revocation returns, no request passes.
		secret, id = issue()
		var stop atomic.Bool
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					h.Authenticate(ctx, secret)
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		if err := h.OperatorRevokeToken(ctx, id); err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			if _, err := h.Authenticate(ctx, secret); !errors.Is(err, hub.ErrUnauthenticated) {
				stop.Store(true)
				t.Fatalf("request %d after the revocation: %v", i, err)
			}
		}
		stop.Store(true)
		wg.Wait()

		// Revoked by another process (the CLI on the same file, another
		// hub on the same database): this hub sees it within the TTL.
		secret, id = issue()
		if _, err := h.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.RevokeToken(id, now) }); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Authenticate(ctx, secret); err != nil {
			t.Fatalf("within the TTL of another process's revocation (the documented bound): %v", err)
		}
		now = now.Add(hub.DefaultTokenCacheTTL)
		unauthenticated(secret, "a TTL after another process's revocation")

		// With the cache off, another process's revocation counts at once.
		h.SetTokenCacheTTL(0)
		secret, id = issue()
		if _, err := h.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.RevokeToken(id, now) }); err != nil {
			t.Fatal(err)
		}
		unauthenticated(secret, "cache off, revoked by another process")
	})
}
