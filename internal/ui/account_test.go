package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/server/servertest"
)

// TestChangePasswordThroughTheUI, over HTTP against a real hub: a wrong
// current password is refused in place (400) and the session goes on;
// repeated, the hub's throttle answers 429 with Retry-After, never a 500;
// a mismatched repeat is refused without asking the hub.
func TestChangePasswordThroughTheUI(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	const pw = "correct horse battery staple"
	if _, err := h.Hub.OperatorCreateUser(ctx, "org-a", "ann", "Ann", intel.RoleAnalyst, pw); err != nil {
		t.Fatal(err)
	}
	ann := signInHTTP(t, h, "ann", pw, "en")
	st, _, body := ann.post("/account/password", url.Values{"current": {pw}, "new": {"a new long password"}, "repeat": {"another one"}}, nil)
	if st != 400 || !strings.Contains(body, "repeat") {
		t.Errorf("a mismatched repeat: %d", st)
	}
	wrong := url.Values{"current": {"not the password"}, "new": {"a new long password"}, "repeat": {"a new long password"}}
	st, _, body = ann.post("/account/password", wrong, nil)
	if st != 400 || !strings.Contains(body, `id="account-error"`) || !strings.Contains(body, "current password") {
		t.Fatalf("a wrong current password: %d", st)
	}
	throttled := false
	for range 30 {
		st, _, _ = ann.post("/account/password", wrong, nil)
		if st == 429 {
			throttled = true
			break
		}
		if st != 400 {
			t.Fatalf("a wrong current password: %d", st)
		}
	}
	if !throttled {
		t.Errorf("30 wrong current passwords and no 429")
	}
	ann.get("/account", 200) // the session goes on
}
