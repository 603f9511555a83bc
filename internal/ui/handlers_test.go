package ui

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func serve(t *testing.T, h http.Handler, method, target string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestSecurityHeaders checks every kind of UI response for the headers.
func TestSecurityHeaders(t *testing.T) {
	h := Handler(Options{Key: make([]byte, 32), Log: quiet})
	for _, tc := range []struct {
		method, path string
		form         url.Values
		hdr          map[string]string
		status       int
	}{
		{"GET", "/", nil, nil, 200},
		{"GET", "/about", nil, nil, 200},
		{"GET", "/login", nil, nil, 200},
		{"GET", "/no/such/page", nil, nil, 404},
		{"GET", AssetURL("app.css"), nil, nil, 200},
		{"GET", "/static/app.000000000000.css", nil, nil, 404},
		{"POST", "/login", url.Values{"login": {"a"}}, nil, 503},
		{"POST", "/login", url.Values{"login": {"a"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST", "/lang", url.Values{"lang": {"ja"}}, map[string]string{"Origin": "https://evil.example"}, 403},
	} {
		w := serve(t, h, tc.method, tc.path, tc.form, tc.hdr)
		if w.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		for k, v := range map[string]string{
			"Content-Security-Policy": ContentSecurityPolicy,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q", tc.method, tc.path, k, got)
			}
		}
	}
}

func TestAssets(t *testing.T) {
	h := Handler(Options{Key: make([]byte, 32), Log: quiet})
	for _, name := range []string{"app.css", "app.js"} {
		u := AssetURL(name)
		body, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		ext := name[strings.LastIndexByte(name, '.'):]
		if want := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext; u != want {
			t.Errorf("AssetURL(%s) = %s, want %s", name, u, want)
		}
		w := serve(t, h, "GET", u, nil, nil)
		if w.Code != 200 || w.Body.String() != string(body) || !strings.Contains(w.Header().Get("Cache-Control"), "max-age=31536000") {
			t.Errorf("%s: %d %v", u, w.Code, w.Header())
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, map[string]string{".css": "text/css", ".js": "text/javascript"}[ext]) {
			t.Errorf("%s: Content-Type %s", u, ct)
		}
	}
	for _, p := range []string{"/static/app.css", "/static/", "/static/..%2fui.go", "/static/app.js.map"} {
		if w := serve(t, h, "GET", p, nil, nil); w.Code != 404 {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
	if AssetURL("nothing.css") != "" {
		t.Error("AssetURL of an unknown asset is not empty")
	}
}

func TestPagesRenderInBothLanguages(t *testing.T) {
	h := Handler(Options{Key: make([]byte, 32), Log: quiet})
	for _, l := range Langs {
		for _, p := range []string{"/", "/about", "/login", "/nothing"} {
			w := serve(t, h, "GET", p, nil, map[string]string{"Accept-Language": l.Code})
			b := w.Body.String()
			if !strings.Contains(b, `<html lang="`+l.Code+`">`) || w.Header().Get("Content-Language") != l.Code {
				t.Errorf("%s %s: not in %s", l.Code, p, l.Code)
			}
			if strings.Contains(b, MissingMarker) {
				t.Errorf("%s %s: a translation is missing: %s", l.Code, p, b)
			}
			if strings.Contains(b, "<script>") || strings.Contains(b, " style=") || strings.Contains(b, "<style") {
				t.Errorf("%s %s: inline script or style", l.Code, p)
			}
		}
	}
}

func TestNotFoundHostilePath(t *testing.T) {
	h := Handler(Options{Key: make([]byte, 32), Log: quiet})
	w := serve(t, h, "GET", "/%3Cscript%3Ealert(1)%3C/script%3E%E2%80%AE", nil, nil)
	b := w.Body.String()
	if w.Code != 404 || strings.Contains(b, "<script>alert") || strings.Contains(b, "\u202E") || !strings.Contains(b, "&lt;script&gt;alert(1)&lt;/script&gt;⟨U&#43;202E⟩") || !strings.Contains(b, `name="next" value="/"`) {
		t.Errorf("404 page: %d %s", w.Code, b)
	}
}

func TestLangSwitch(t *testing.T) {
	h := Handler(Options{Key: make([]byte, 32), Log: quiet})
	for _, tc := range []struct{ next, want string }{
		{"/about", "/about"}, {"//evil.example/", "/"}, {"/\\evil.example", "/"}, {"https://evil.example/", "/"}, {"", "/"},
	} {
		w := serve(t, h, "POST", "/lang", url.Values{"lang": {"ja"}, "next": {tc.next}}, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tc.want {
			t.Errorf("next %q: %d to %q, want %q", tc.next, w.Code, w.Header().Get("Location"), tc.want)
		}
		c := w.Result().Cookies()
		if len(c) != 1 || c[0].Name != LangCookie || c[0].Value != "ja" || c[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie: %v", c)
		}
	}
	if w := serve(t, h, "POST", "/lang", url.Values{"lang": {"xx"}}, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "lang") {
		t.Errorf("unknown language: %d %s", w.Code, w.Body)
	}
}

// testAuth is an Auth for the login handler's tests: one user, "ann" with
// password "pw" and, when totp is set, the code "123456".
type testAuth struct {
	totp  bool
	calls int
}

type throttled struct{}

func (throttled) Error() string             { return "throttled" }
func (throttled) RetryAfter() time.Duration { return 90 * time.Second }
func (a *testAuth) session() (LoginResult, error) {
	return LoginResult{Token: "tok-ann", Expires: time.Now().Add(time.Hour)}, nil
}

func (a *testAuth) Login(ctx context.Context, login, password, remote string) (LoginResult, error) {
	a.calls++
	if a.calls > 5 {
		return LoginResult{}, throttled{}
	}
	if login != "ann" || password != "pw" || remote == "" {
		return LoginResult{}, errors.New("bad credentials")
	}
	if a.totp {
		return LoginResult{NeedTOTP: true, Pending: "chal-1"}, nil
	}
	return a.session()
}

func (a *testAuth) LoginTOTP(ctx context.Context, pending, code, remote string) (LoginResult, error) {
	if pending != "chal-1" || code != "123456" {
		return LoginResult{}, errors.New("bad code")
	}
	return a.session()
}

func TestLogin(t *testing.T) {
	t.Run("no auth", func(t *testing.T) {
		h := Handler(Options{Key: make([]byte, 32), Log: quiet})
		if w := serve(t, h, "GET", "/login", nil, nil); !strings.Contains(w.Body.String(), `id="login-unavailable"`) || !strings.Contains(w.Body.String(), "<fieldset disabled>") {
			t.Errorf("GET /login without Auth: %s", w.Body)
		}
		if w := serve(t, h, "POST", "/login", url.Values{"login": {"ann"}, "password": {"pw"}}, nil); w.Code != 503 || len(w.Result().Cookies()) != 0 {
			t.Errorf("POST /login without Auth: %d", w.Code)
		}
	})
	t.Run("password", func(t *testing.T) {
		h := Handler(Options{Auth: &testAuth{}, Key: make([]byte, 32), Log: quiet})
		w := serve(t, h, "POST", "/login", url.Values{"login": {"ann"}, "password": {"pw"}}, nil)
		c := w.Result().Cookies()
		if w.Code != 303 || w.Header().Get("Location") != "/" || len(c) != 1 || c[0].Name != SessionCookie || c[0].Value != "tok-ann" ||
			!c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Secure || c[0].Path != "/" {
			t.Errorf("login: %d %v", w.Code, c)
		}
		r := httptest.NewRequest("POST", "https://hub.example/login", strings.NewReader("login=ann&password=pw"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.TLS = &tlsState
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if c := w.Result().Cookies(); len(c) != 1 || !c[0].Secure {
			t.Errorf("session cookie over TLS is not Secure: %v", c)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		h := Handler(Options{Auth: &testAuth{}, Key: make([]byte, 32), Log: quiet})
		w := serve(t, h, "POST", "/login", url.Values{"login": {`ann"><script>`}, "password": {"nope"}}, nil)
		b := w.Body.String()
		if w.Code != 401 || len(w.Result().Cookies()) != 0 || !strings.Contains(b, `id="login-error"`) || strings.Contains(b, "<script>") ||
			!strings.Contains(b, `value="ann&#34;&gt;&lt;script&gt;"`) || strings.Contains(b, "nope") {
			t.Errorf("wrong password: %d %s", w.Code, b)
		}
	})
	t.Run("totp", func(t *testing.T) {
		h := Handler(Options{Auth: &testAuth{totp: true}, Key: make([]byte, 32), Log: quiet})
		w := serve(t, h, "POST", "/login", url.Values{"login": {"ann"}, "password": {"pw"}}, nil)
		b := w.Body.String()
		if w.Code != 200 || len(w.Result().Cookies()) != 0 || !strings.Contains(b, `name="pending" value="chal-1"`) || !strings.Contains(b, `id="totp"`) ||
			strings.Contains(b, `name="password"`) || strings.Contains(b, "pw\"") {
			t.Errorf("second step: %d %s", w.Code, b)
		}
		if w := serve(t, h, "POST", "/login", url.Values{"pending": {"chal-1"}, "totp": {"000000"}}, nil); w.Code != 401 || !strings.Contains(w.Body.String(), `id="totp"`) {
			t.Errorf("wrong code: %d", w.Code)
		}
		w = serve(t, h, "POST", "/login", url.Values{"pending": {"chal-1"}, "totp": {" 123456 "}}, nil)
		if c := w.Result().Cookies(); w.Code != 303 || len(c) != 1 || c[0].Value != "tok-ann" {
			t.Errorf("right code: %d %v", w.Code, c)
		}
	})
	t.Run("throttled", func(t *testing.T) {
		h := Handler(Options{Auth: &testAuth{calls: 5}, Key: make([]byte, 32), Log: quiet})
		w := serve(t, h, "POST", "/login", url.Values{"login": {"ann"}, "password": {"pw"}}, nil)
		if w.Code != 429 || w.Header().Get("Retry-After") != "90" || !strings.Contains(w.Body.String(), `id="login-error"`) {
			t.Errorf("throttled: %d %v", w.Code, w.Header())
		}
	})
	t.Run("oversized", func(t *testing.T) {
		a := &testAuth{}
		h := Handler(Options{Auth: a, Key: make([]byte, 32), Log: quiet})
		if w := serve(t, h, "POST", "/login", url.Values{"login": {strings.Repeat("a", 10000)}, "password": {"pw"}}, nil); w.Code != 400 || a.calls != 0 {
			t.Errorf("oversized form: %d, %d calls", w.Code, a.calls)
		}
		if w := serve(t, h, "POST", "/login", url.Values{"login": {strings.Repeat("a", 300)}, "password": {"pw"}}, nil); w.Code != 401 || a.calls != 0 {
			t.Errorf("long login name: %d, %d calls", w.Code, a.calls)
		}
	})
}

func TestCSRF(t *testing.T) {
	c := NewCSRF([]byte("0123456789abcdef0123456789abcdef"))
	tok := c.Token("session-1")
	if !c.Check("session-1", tok) {
		t.Error("a session's own token does not check")
	}
	for _, tc := range []struct{ sid, tok string }{
		{"session-2", tok}, {"session-1", ""}, {"", c.Token("")}, {"session-1", tok[:len(tok)-1]}, {"session-1", tok + "A"},
	} {
		if c.Check(tc.sid, tc.tok) {
			t.Errorf("Check(%q, %q) passed", tc.sid, tc.tok)
		}
	}
	if NewCSRF([]byte("another key, also 32 bytes long!")).Check("session-1", tok) {
		t.Error("a token checks under another key")
	}
	r := httptest.NewRequest("POST", "/x", strings.NewReader(CSRFField+"="+tok))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !c.CheckRequest(r, "session-1") {
		t.Error("CheckRequest refused the form's token")
	}
	if f := string(c.Field("session-1")); f != `<input type="hidden" name="csrf" value="`+tok+`">` {
		t.Errorf("Field: %s", f)
	}
}

var tlsState = tls.ConnectionState{HandshakeComplete: true}
