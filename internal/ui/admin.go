package ui

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// adminData is the administration page: the organization's users and API
// tokens, a secret shown once (a new user's password, a new token), and
// the outcome of the last step. Forbidden is set for a reader whose role
// may not administer the organization.
type adminData struct {
	Forbidden bool
	// Self is the reader's login name: their own row offers no Disable
	// (an admin locking themselves out), though the hub would allow it.
	Self   string
	Users  []intel.User
	Tokens []intel.Token
	// UserRoles and TokenRoles are what the forms offer.
	UserRoles, TokenRoles []intel.Role
	// NewLogin and NewPassword are the user just created and its password,
	// shown this once.
	NewLogin, NewPassword string
	// NewToken is the token just issued and TokenSecret its secret, shown
	// this once.
	NewToken    *intel.Token
	TokenSecret string
	DoneKey     string
	ErrorText   string
}

// adminDone maps a redirect's done parameter to its notice.
var adminDone = map[string]string{
	"disabled": "admin.done.disabled",
	"enabled":  "admin.done.enabled",
	"sessions": "admin.done.sessions",
	"revoked":  "admin.done.revoked",
}

// admin serves GET /admin.
func (u *UI) admin(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderAdmin(w, r, s, http.StatusOK, adminData{DoneKey: adminDone[r.URL.Query().Get("done")]})
}

// renderAdmin fills d with the organization's users and tokens, through
// hub.ListUsers and hub.ListTokens, and renders the page with status. A
// role the hub's policy refuses gets the page's 403 version, which lists
// nothing.
func (u *UI) renderAdmin(w http.ResponseWriter, r *http.Request, s *session, status int, d adminData) {
	var err error
	d.Users, err = u.hub.ListUsers(r.Context(), s.caller)
	if err == nil {
		d.Tokens, err = u.hub.ListTokens(r.Context(), s.caller)
	}
	switch {
	case errors.Is(err, intel.ErrForbidden):
		u.render(w, r, http.StatusForbidden, "admin.html", u.page(s, "admin.title", adminData{Forbidden: true}))
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	d.UserRoles, d.TokenRoles, d.Self = intel.UserRoles, intel.Roles, s.user.Login
	if d.NewPassword != "" || d.TokenSecret != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	u.render(w, r, status, "admin.html", u.page(s, "admin.title", d))
}

// createUser serves POST /admin/users: hub.CreateUser with login, name,
// role and password; an empty password is generated. The page then shows
// the password this once, for the admin to hand over.
func (u *UI) createUser(w http.ResponseWriter, r *http.Request, s *session) {
	login := strings.TrimSpace(r.PostFormValue("login"))
	pw := r.PostFormValue("password")
	if pw == "" {
		pw = generatePassword()
	}
	created, err := u.hub.CreateUser(r.Context(), s.caller, login, strings.TrimSpace(r.PostFormValue("name")), intel.Role(r.PostFormValue("role")), pw)
	if u.adminFailed(w, r, s, err) {
		return
	}
	u.renderAdmin(w, r, s, http.StatusOK, adminData{NewLogin: created.Login, NewPassword: pw})
}

// setUserDisabled serves POST /admin/users/{login}/disable and
// .../enable: hub.DisableUser. Disabling ends the user's sessions.
func (u *UI) setUserDisabled(disabled bool) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		_, err := u.hub.DisableUser(r.Context(), s.caller, r.PathValue("login"), disabled)
		if u.adminFailed(w, r, s, err) {
			return
		}
		done := "enabled"
		if disabled {
			done = "disabled"
		}
		http.Redirect(w, r, "/admin?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
	}
}

// revokeUserSessions serves POST /admin/users/{login}/sessions:
// hub.RevokeSessions, which ends every session of the user.
func (u *UI) revokeUserSessions(w http.ResponseWriter, r *http.Request, s *session) {
	login := r.PathValue("login")
	if u.adminFailed(w, r, s, u.hub.RevokeSessions(r.Context(), s.caller, login)) {
		return
	}
	if login == s.user.Login { // the admin's own: this session has ended too
		u.signedOut(w, r, "sessions")
		return
	}
	http.Redirect(w, r, "/admin?"+url.Values{"done": {"sessions"}}.Encode(), http.StatusSeeOther)
}

// issueToken serves POST /admin/tokens: hub.IssueToken with role and
// name. The page then shows the token's secret this once.
func (u *UI) issueToken(w http.ResponseWriter, r *http.Request, s *session) {
	secret, tok, err := u.hub.IssueToken(r.Context(), s.caller, intel.Role(r.PostFormValue("role")), strings.TrimSpace(r.PostFormValue("name")))
	if u.adminFailed(w, r, s, err) {
		return
	}
	u.renderAdmin(w, r, s, http.StatusOK, adminData{NewToken: &tok, TokenSecret: secret})
}

// revokeToken serves POST /admin/tokens/{id}/revoke: hub.RevokeToken.
func (u *UI) revokeToken(w http.ResponseWriter, r *http.Request, s *session) {
	if u.adminFailed(w, r, s, u.hub.RevokeToken(r.Context(), s.caller, r.PathValue("id"))) {
		return
	}
	http.Redirect(w, r, "/admin?"+url.Values{"done": {"revoked"}}.Encode(), http.StatusSeeOther)
}

// adminFailed answers err of an administration step, if any, and reports
// whether it did: a bad field or a conflict (a login name taken) in place
// on the page, a role that may not administer as the page's 403 version,
// an unknown user or token as a 404, anything else as the hub's errors
// are.
func (u *UI) adminFailed(w http.ResponseWriter, r *http.Request, s *session, err error) bool {
	var fe *intel.FieldError
	switch {
	case err == nil:
		return false
	case errors.Is(err, intel.ErrForbidden):
		u.render(w, r, http.StatusForbidden, "admin.html", u.page(s, "admin.title", adminData{Forbidden: true}))
	case errors.As(err, &fe):
		u.renderAdmin(w, r, s, http.StatusBadRequest, adminData{ErrorText: err.Error()})
	case errors.Is(err, intel.ErrConflict):
		u.renderAdmin(w, r, s, http.StatusConflict, adminData{ErrorText: err.Error()})
	case hub.IsNotFoundErr(err):
		u.renderAdmin(w, r, s, http.StatusNotFound, adminData{ErrorText: err.Error()})
	default:
		u.fail(w, r, err)
	}
	return true
}

// generatePassword returns a random password: crypto/rand.Text's 26
// base32 characters (128 bits), lowercased, in groups of four for reading
// it out.
func generatePassword() string {
	var b strings.Builder
	for i, c := range strings.ToLower(rand.Text()) {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(c)
	}
	return b.String()
}
