// Package client is a TAXII 2.1 client over net/http: discovery, API roots,
// collections, objects and manifests paged by next or by added_after, and
// adding objects with the status resource polled to completion.
//
// Objects are json.RawMessage: the client does not interpret STIX beyond an
// object's "id" and "type" (see Peek). Credentials are a bearer token or
// HTTP Basic user and password. Every request has a timeout; 429, 502, 503,
// 504 and connection failures are retried with exponential backoff (and
// Retry-After) a bounded number of times; every response body is read up
// to a bound. Errors are *Error when the server answered: they name the
// method, URL, status and the TAXII error resource's title and description.
//
// SPEC: https://docs.oasis-open.org/cti/taxii/v2.1/os/taxii-v2.1-os.html
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Media types.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// Defaults of Options.
const (
	DefaultTimeout    = 60 * time.Second
	DefaultRetries    = 4
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBody    = 256 << 20
	DefaultStatusWait = 5 * time.Minute
	// maxBackoff bounds one wait between attempts, Retry-After included.
	maxBackoff = 30 * time.Second
)

// Options configure a Client. The zero value works: no credentials and the
// defaults above.
type Options struct {
	// Token is sent as "Authorization: Bearer Token".
	Token string
	// User and Password are sent as HTTP Basic when Token is empty and
	// either is set.
	User, Password string
	// Timeout bounds each request, body included (0: DefaultTimeout).
	Timeout time.Duration
	// Retries is how many times a request is retried after 429, 502, 503,
	// 504 or a connection failure (0: DefaultRetries; negative: never).
	Retries int
	// Backoff is the first wait between attempts, doubled each retry with
	// jitter (0: DefaultBackoff).
	Backoff time.Duration
	// MaxBody bounds a response body in bytes (0: DefaultMaxBody).
	MaxBody int64
	// StatusWait bounds how long AddObjects polls a pending status
	// (0: DefaultStatusWait).
	StatusWait time.Duration
	// HTTP is the client requests go through (nil: a new one; its Timeout
	// is left alone, Timeout applies per request through the context).
	HTTP *http.Client
	// UserAgent is sent with every request (empty: "fusion-taxii-client").
	UserAgent string
}

// Client talks to TAXII 2.1 servers. It is safe for concurrent use.
type Client struct {
	o    Options
	http *http.Client
}

// New returns a client with options o.
func New(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.StatusWait <= 0 {
		o.StatusWait = DefaultStatusWait
	}
	if o.UserAgent == "" {
		o.UserAgent = "fusion-taxii-client"
	}
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{o: o, http: hc}
}

// Error is a request the server answered with an error status, or with
// something that is not a TAXII resource.
type Error struct {
	Method, URL string
	// Status is the HTTP status code (0: the answer was 2xx but not TAXII).
	Status int
	// Title and Description are the TAXII error resource's, if the server
	// sent one.
	Title, Description string
	// Body is the start of a body that was not an error resource.
	Body string
	// Reason says what was wrong with a 2xx answer.
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "taxii: %s %s: ", e.Method, e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Reason != "" {
		if e.Status != 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Reason)
	}
	switch {
	case e.Title != "" && e.Description != "":
		fmt.Fprintf(&b, ": %s: %s", e.Title, e.Description)
	case e.Title != "" || e.Description != "":
		fmt.Fprintf(&b, ": %s%s", e.Title, e.Description)
	case e.Body != "":
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	return b.String()
}

// ErrUnauthorized matches (errors.Is) an *Error with status 401 or 403.
var ErrUnauthorized = errors.New("taxii: not authorized")

// Is makes errors.Is(err, ErrUnauthorized) true for 401 and 403.
func (e *Error) Is(target error) bool {
	return target == ErrUnauthorized && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)
}

// response is what a request gave: the body and the headers that matter.
type response struct {
	status int
	header http.Header
	body   []byte
}

// retryable reports whether a status is worth another attempt.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// do sends a request, retrying as the options say, and returns the answer
// when its status is one of ok. Other statuses give an *Error.
func (c *Client) do(ctx context.Context, method, u string, body []byte, ok ...int) (*response, error) {
	var lastErr error
	wait := c.o.Backoff
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, method, u, body)
		var retryAfter time.Duration
		switch {
		case err == nil && contains(ok, resp.status):
			return resp, nil
		case err == nil:
			lastErr = errorOf(method, u, resp)
			if !retryable(resp.status) {
				return nil, lastErr
			}
			retryAfter = parseRetryAfter(resp.header.Get("Retry-After"))
		case ctx.Err() != nil:
			return nil, fmt.Errorf("taxii: %s %s: %w", method, u, ctx.Err())
		case !transient(err):
			return nil, err
		default:
			lastErr = err
		}
		if attempt >= c.o.Retries {
			if attempt > 0 {
				return nil, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt+1)
			}
			return nil, lastErr
		}
		d := wait/2 + rand.N(wait/2+1)
		if retryAfter > d {
			d = retryAfter
		}
		d = min(d, maxBackoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("taxii: %s %s: %w", method, u, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// transientError is a failure to reach the server or to read its answer.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func transient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// once sends one request and reads the answer up to the body bound.
func (c *Client) once(ctx context.Context, method, u string, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("taxii: %s %q: %w", method, u, err)
	}
	req.Header.Set("Accept", MediaTAXII)
	req.Header.Set("User-Agent", c.o.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", MediaTAXII)
	}
	switch {
	case c.o.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.o.Token)
	case c.o.User != "" || c.o.Password != "":
		req.SetBasicAuth(c.o.User, c.o.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return nil, &transientError{fmt.Errorf("taxii: %s %s: no answer within %v", method, u, c.o.Timeout)}
		}
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			return nil, fmt.Errorf("taxii: %s %s: %w", method, u, err) // retrying will not help
		}
		// Refused, reset, unreachable, closed early: the connection failed.
		return nil, &transientError{fmt.Errorf("taxii: %s %s: %w", method, u, err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxBody+1))
	if err != nil {
		return nil, &transientError{fmt.Errorf("taxii: %s %s: reading the answer: %w", method, u, err)}
	}
	if int64(len(b)) > c.o.MaxBody {
		return nil, &Error{Method: method, URL: u, Status: resp.StatusCode, Reason: fmt.Sprintf("the answer is over %d bytes (the client's bound)", c.o.MaxBody)}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// errorOf turns an error answer into an *Error, with the TAXII error
// resource's title and description when the body is one.
func errorOf(method, u string, r *response) *Error {
	e := &Error{Method: method, URL: u, Status: r.status}
	var res struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if json.Unmarshal(r.body, &res) == nil && (res.Title != "" || res.Description != "") {
		e.Title, e.Description = res.Title, res.Description
		return e
	}
	e.Body = snippet(r.body)
	return e
}

// snippet returns the start of a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// decode reads a TAXII resource from a 2xx answer into v: the body must be
// JSON (an object), and the media type, if given, JSON of some kind.
func decode(method, u string, r *response, v any) error {
	ct := r.header.Get("Content-Type")
	if ct != "" {
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return &Error{Method: method, URL: u, Status: r.status, Reason: fmt.Sprintf("not a TAXII answer (Content-Type %q)", ct), Body: snippet(r.body)}
		}
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return &Error{Method: method, URL: u, Status: r.status, Reason: "not a TAXII answer: " + err.Error(), Body: snippet(r.body)}
	}
	return nil
}

// get fetches a resource into v.
func (c *Client) get(ctx context.Context, u string, v any) (*response, error) {
	r, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return r, decode(http.MethodGet, u, r, v)
}
