package ui

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// loginData is the state of the login form.
type loginData struct {
	// Available is false when no Auth is configured.
	Available bool
	// Step is 1 (login name and password) or 2 (TOTP code).
	Step int
	// Login is the login name typed, shown again after a failure.
	Login string
	// Pending is the second step's challenge.
	Pending string
	// ErrorKey is the catalogue key of the failure shown, if any.
	ErrorKey string
	// NoticeKey is the catalogue key of why the reader is signed out
	// (a password changed, sessions ended), if any.
	NoticeKey string
}

// loginNotice maps the login page's done parameter to its notice.
var loginNotice = map[string]string{"password": "login.done.password", "sessions": "login.done.sessions"}

// Limits on what the login form accepts.
const (
	maxLoginForm = 8 << 10
	maxLoginName = 256
)

// loginPage serves GET /login: the first step of signing in.
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	u.renderLogin(w, r, http.StatusOK, loginData{Available: u.auth != nil, Step: 1, NoticeKey: loginNotice[r.URL.Query().Get("done")]})
}

// login serves POST /login. Without a pending challenge it is the first
// step (login, password), with one the second (pending, totp). Success
// sets the session cookie and redirects to /; a failure shows the form
// again with one generic message (401) or the throttling one (429).
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	if u.auth == nil {
		u.renderLogin(w, r, http.StatusServiceUnavailable, loginData{Step: 1})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		u.renderLogin(w, r, http.StatusBadRequest, loginData{Available: true, Step: 1, ErrorKey: "login.error.form"})
		return
	}
	remote := remoteAddr(r)
	var (
		res  LoginResult
		err  error
		data = loginData{Available: true, Step: 1}
	)
	if pending := r.PostFormValue("pending"); pending != "" {
		data.Step, data.Pending = 2, pending
		code := strings.TrimSpace(r.PostFormValue("totp"))
		res, err = u.auth.LoginTOTP(r.Context(), pending, code, remote)
	} else {
		data.Login = strings.TrimSpace(r.PostFormValue("login"))
		if len(data.Login) > maxLoginName {
			data.Login = ""
			err = errors.New("login name too long")
		} else {
			res, err = u.auth.Login(r.Context(), data.Login, r.PostFormValue("password"), remote)
		}
	}
	var throttled interface{ RetryAfter() time.Duration }
	switch {
	case errors.As(err, &throttled):
		u.log.Info("ui: sign-in throttled", "remote", remote)
		w.Header().Set("Retry-After", retryAfter(throttled.RetryAfter()))
		data.ErrorKey = "login.error.throttled"
		u.renderLogin(w, r, http.StatusTooManyRequests, data)
	case err != nil:
		u.log.Info("ui: sign-in failed", "remote", remote, "step", data.Step, "err", err)
		if data.Step == 2 {
			data.ErrorKey = "login.error.totp"
		} else {
			data.ErrorKey = "login.error.credentials"
		}
		u.renderLogin(w, r, http.StatusUnauthorized, data)
	case res.NeedTOTP && res.Pending != "":
		u.renderLogin(w, r, http.StatusOK, loginData{Available: true, Step: 2, Pending: res.Pending})
	case res.Token != "":
		http.SetCookie(w, u.cookie(r, SessionCookie, res.Token, res.Expires))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	default:
		u.log.Error("ui: Auth returned neither a session nor a second step")
		data.ErrorKey = "login.error.credentials"
		u.renderLogin(w, r, http.StatusUnauthorized, data)
	}
}

func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	u.render(w, r, status, "login.html", &Page{TitleKey: "login.title", Data: d})
}

// remoteAddr is the client's IP address as the connection gives it.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retryAfter writes d as whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
