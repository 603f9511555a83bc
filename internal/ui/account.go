package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// accountData is the account page: who the reader is, the TOTP enrolment
// in progress (Secret and URL, shown once), and the outcome of the last
// step.
type accountData struct {
	// Login and TOTP are the reader's login name and whether a second
	// factor is active.
	Login string
	TOTP  bool
	// Secret and URL are a new TOTP secret and its otpauth:// URL, shown
	// right after enrolling; QR is the URL as an SVG QR code.
	Secret, URL string
	QR          template.HTML
	// Confirm shows the form that confirms an enrolment.
	Confirm   bool
	DoneKey   string
	ErrorText string
}

// accountDone maps a redirect's done parameter to its notice.
var accountDone = map[string]string{"totp": "account.done.totp"}

// Limits on the account forms.
const maxAccountForm = 8 << 10

// account serves GET /account.
func (u *UI) account(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderAccount(w, r, s, http.StatusOK, accountData{DoneKey: accountDone[r.URL.Query().Get("done")]})
}

func (u *UI) renderAccount(w http.ResponseWriter, r *http.Request, s *session, status int, d accountData) {
	d.Login, d.TOTP = s.user.Login, s.user.TOTP
	u.render(w, r, status, "account.html", u.page(s, "account.title", d))
}

// enrolTOTP serves POST /account/totp: hub.EnrolTOTP, then the new secret
// and its otpauth:// URL (as text and as a QR code) and the form that
// confirms it with a first code. The secret is shown this once.
func (u *UI) enrolTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	secret, otpURL, err := u.hub.EnrolTOTP(r.Context(), s.caller)
	if u.accountFailed(w, r, s, err, false) {
		return
	}
	d := accountData{Secret: secret, URL: otpURL, Confirm: true}
	if svg, err := qrSVG(otpURL); err != nil {
		u.log.Error("ui: QR code of a TOTP URL", "err", err) // the text is still shown
	} else {
		d.QR = svg
	}
	w.Header().Set("Cache-Control", "no-store")
	u.renderAccount(w, r, s, http.StatusOK, d)
}

// confirmTOTP serves POST /account/totp/confirm: hub.ConfirmTOTP with the
// code typed; the second factor is active from then on.
func (u *UI) confirmTOTP(w http.ResponseWriter, r *http.Request, s *session) {
	err := u.hub.ConfirmTOTP(r.Context(), s.caller, strings.TrimSpace(r.PostFormValue("code")))
	if u.accountFailed(w, r, s, err, true) {
		return
	}
	http.Redirect(w, r, "/account?"+url.Values{"done": {"totp"}}.Encode(), http.StatusSeeOther)
}

// changePassword serves POST /account/password: hub.ChangePassword with
// the current password and the new one (typed twice). The hub ends every
// session of the user, this one included: the cookie is cleared and the
// reader signs in again with the new password.
func (u *UI) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	next := r.PostFormValue("new")
	if next != r.PostFormValue("repeat") {
		u.renderAccount(w, r, s, http.StatusBadRequest, accountData{ErrorText: (&intel.FieldError{Field: "repeat", Reason: "not the same as the new password"}).Error()})
		return
	}
	err := u.hub.ChangePassword(r.Context(), s.caller, r.PostFormValue("current"), next)
	if u.accountFailed(w, r, s, err, false) {
		return
	}
	u.signedOut(w, r, "password")
}

// revokeOwnSessions serves POST /account/sessions: hub.RevokeSessions for
// the reader, which ends every session of theirs (other browsers, this
// one) at once.
func (u *UI) revokeOwnSessions(w http.ResponseWriter, r *http.Request, s *session) {
	if u.accountFailed(w, r, s, u.hub.RevokeSessions(r.Context(), s.caller, s.user.Login), false) {
		return
	}
	u.signedOut(w, r, "sessions")
}

// signedOut clears the session cookie and sends the reader to the login
// page with the notice of done.
func (u *UI) signedOut(w http.ResponseWriter, r *http.Request, done string) {
	http.SetCookie(w, u.cookie(r, SessionCookie, "", time.Unix(1, 0)))
	http.Redirect(w, r, "/login?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}

// accountFailed answers err of an account step, if any, and reports
// whether it did: a bad field (a wrong current password, a wrong code), a
// conflict (a second factor already active) or throttling in place on the
// account page, anything else as the hub's errors are. confirm keeps the
// confirmation form on the page.
func (u *UI) accountFailed(w http.ResponseWriter, r *http.Request, s *session, err error, confirm bool) bool {
	var (
		fe *intel.FieldError
		le *hub.LoginError
	)
	switch {
	case err == nil:
		return false
	case errors.As(err, &le) && le.Reason == hub.LoginThrottled:
		w.Header().Set("Retry-After", retryAfter(le.RetryAfter))
		u.renderAccount(w, r, s, http.StatusTooManyRequests, accountData{ErrorText: err.Error(), Confirm: confirm})
	case errors.As(err, &fe):
		u.renderAccount(w, r, s, http.StatusBadRequest, accountData{ErrorText: err.Error(), Confirm: confirm})
	case errors.Is(err, intel.ErrConflict):
		u.renderAccount(w, r, s, http.StatusConflict, accountData{ErrorText: err.Error()})
	default:
		u.fail(w, r, err)
	}
	return true
}

// qrSVG draws text as a QR code (error correction level M) in SVG: one
// path of unit squares, with the four-module quiet zone the standard asks
// for, black on white whatever the page's colours.
//
// SPEC: ISO/IEC 18004:2015, 9.1 (quiet zone)
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	b := code.Bounds()
	const quiet = 4
	n := b.Dx() + 2*quiet
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" aria-hidden="true" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`, n, n, 4*n, 4*n)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				fmt.Fprintf(&sb, "M%d %dh1v1h-1z", x-b.Min.X+quiet, y-b.Min.Y+quiet)
			}
		}
	}
	sb.WriteString(`"/></svg>`)
	// Only numbers and fixed markup: nothing of text reaches the SVG.
	return template.HTML(sb.String()), nil
}
