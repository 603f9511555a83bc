package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

// session is who a request is signed in as.
type session struct {
	caller *policy.Caller
	user   intel.User
	// id names the session for its CSRF tokens: the SHA-256 of its token,
	// so that a form never carries the session token itself.
	id string
}

// session returns the request's session, or nil: no cookie, no hub, or a
// token the hub does not take (expired, revoked, a disabled user).
func (u *UI) session(r *http.Request) *session {
	if u.hub == nil {
		return nil
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	c, user, err := u.hub.SessionCaller(r.Context(), ck.Value)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256([]byte(ck.Value))
	return &session{caller: c, user: user, id: hex.EncodeToString(sum[:])}
}

// page is a Page for signed-in s: the header's user and the forms' CSRF
// field.
func (u *UI) page(s *session, titleKey string, data any) *Page {
	p := &Page{TitleKey: titleKey, Data: data}
	if s != nil {
		p.User = &User{Name: s.user.Name, Org: s.user.Org, Role: string(s.user.Role)}
		p.CSRFField = u.csrf.Field(s.id)
	}
	return p
}

// maxForm bounds the body of a signed-in form, unless its route says more.
const maxForm = 1 << 20

// signedIn runs h with the request's session, or sends the reader to the
// login page. A POST's body is bounded by maxForm and must carry the
// session's CSRF token.
func (u *UI) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return u.signedInMax(maxForm, h)
}

// signedInMax is signedIn with a POST body of at most max bytes.
func (u *UI) signedInMax(max int64, h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := u.session(r)
		if s == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, max)
			// The form is read here, so that one too large is answered as
			// such rather than as a missing CSRF token.
			read := r.ParseForm
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				read = func() error { return r.ParseMultipartForm(32 << 20) }
			}
			if err := read(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					http.Error(w, fmt.Sprintf("the form is larger than %d bytes", max), http.StatusRequestEntityTooLarge)
					return
				}
				http.Error(w, "the form could not be read: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		if r.Method == http.MethodPost && !u.csrf.CheckRequest(r, s.id) {
			u.log.Info("ui: CSRF token refused", "path", r.URL.Path, "org", s.caller.Org)
			http.Error(w, "the form's token is missing or stale: reload the page and send it again", http.StatusForbidden)
			return
		}
		h(w, r, s)
	}
}

// home serves GET /: the dashboard for a signed-in reader, else the about
// page.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	if u.session(r) != nil {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	u.about(w, r)
}

// logout serves POST /logout: the session ends at the hub and its cookie
// is cleared.
func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		if err := u.hub.Logout(r.Context(), ck.Value); err != nil {
			u.log.Error("ui: logout", "err", err)
		}
	}
	http.SetCookie(w, u.cookie(r, SessionCookie, "", time.Unix(1, 0)))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
