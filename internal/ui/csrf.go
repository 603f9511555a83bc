package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
)

// CSRFField is the name of the hidden form field that carries the CSRF
// token on every form a signed-in user posts.
const CSRFField = "csrf"

// CSRF makes and checks per-session CSRF tokens: the token of a session is
// the HMAC-SHA256 of its id under a server key, so it needs no storage, is
// the same on every form of the session and dies with the session. It is a
// second line behind CrossOriginProtection, which every UI request passes
// first.
type CSRF struct{ key []byte }

// NewCSRF returns a CSRF keyed by key (at least 32 bytes; the server
// derives it from its secret).
func NewCSRF(key []byte) *CSRF { return &CSRF{key: append([]byte(nil), key...)} }

// Token returns the CSRF token of the session sessionID.
func (c *CSRF) Token(sessionID string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("fusion ui csrf\x00"))
	m.Write([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Field returns the hidden input carrying the token of sessionID, for a
// form template: {{.CSRF}}.
func (c *CSRF) Field(sessionID string) template.HTML {
	return template.HTML(`<input type="hidden" name="` + CSRFField + `" value="` + template.HTMLEscapeString(c.Token(sessionID)) + `">`)
}

// Check reports whether token is the CSRF token of sessionID, in constant
// time. An empty session id or token never checks.
func (c *CSRF) Check(sessionID, token string) bool {
	if sessionID == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(c.Token(sessionID)), []byte(token))
}

// CheckRequest reports whether the posted form of r carries the CSRF token
// of sessionID. Handlers of signed-in forms call it before acting and
// answer 403 when it fails.
func (c *CSRF) CheckRequest(r *http.Request, sessionID string) bool {
	return c.Check(sessionID, r.PostFormValue(CSRFField))
}
