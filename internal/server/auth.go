package server

import (
	"context"
	"errors"
	"time"

	"fusion/internal/hub"
	"fusion/internal/ui"
)

// HubAuth is the web UI's sign-in (ui.Auth) over the hub's users: the
// first step is hub.BeginLogin, the second hub.FinishLogin. A throttled
// sign-in is an error with a RetryAfter method, as ui.Auth asks.
func HubAuth(h *hub.Hub) ui.Auth { return hubAuth{h} }

type hubAuth struct{ h *hub.Hub }

var _ ui.Auth = hubAuth{}

func (a hubAuth) Login(ctx context.Context, login, password, remote string) (ui.LoginResult, error) {
	s, pending, err := a.h.BeginLogin(ctx, login, password, remote)
	if err != nil {
		return ui.LoginResult{}, uiError(err)
	}
	if pending != "" {
		return ui.LoginResult{NeedTOTP: true, Pending: pending}, nil
	}
	return ui.LoginResult{Token: s.Token, Expires: s.Expires}, nil
}

func (a hubAuth) LoginTOTP(ctx context.Context, pending, code, remote string) (ui.LoginResult, error) {
	s, err := a.h.FinishLogin(ctx, pending, code, remote)
	if err != nil {
		return ui.LoginResult{}, uiError(err)
	}
	return ui.LoginResult{Token: s.Token, Expires: s.Expires}, nil
}

// throttled is a throttled sign-in as the UI recognises it.
type throttled struct{ err *hub.LoginError }

func (t throttled) Error() string             { return t.err.Error() }
func (t throttled) Unwrap() error             { return t.err }
func (t throttled) RetryAfter() time.Duration { return t.err.RetryAfter }

func uiError(err error) error {
	var le *hub.LoginError
	if errors.As(err, &le) && le.Reason == hub.LoginThrottled {
		return throttled{le}
	}
	return err
}
