// Package client is a MISP REST client over net/http: events searched and
// paged through /events/restSearch, and events pushed through /events/add,
// or /events/edit/{uuid} when the instance holds the event already.
//
// Events are json.RawMessage, each {"Event":{...}}: the client does not
// interpret an event beyond its "uuid" and "id" (package misp parses
// events). Every request carries the automation key ("Authorization:
// KEY"), "Accept: application/json" and "Content-Type: application/json";
// every answer is read up to a bound (DefaultMaxBody). An error answer is
// an *Error naming the method, the URL path, the HTTP status and MISP's
// own error ({"name", "message", "url", "errors"}); the key never appears
// in an error.
//
// SPEC: https://www.misp-project.org/openapi/ (restSearch, events add and
// edit) and MISP's app/Controller/EventsController.php for what an
// instance answers.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults.
const (
	// DefaultMaxBody bounds an answer's body in bytes.
	DefaultMaxBody = 64 << 20
	// DefaultLimit is the page size of a Query without one.
	DefaultLimit = 100
)

// Client talks to one MISP instance with one automation key. It is safe
// for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	http    *http.Client
	maxBody int64
}

// New returns a client for the MISP instance at baseURL (http or https,
// with any path prefix the instance is served under) using the automation
// key; hc carries the requests (nil: a new http.Client with a two-minute
// timeout). Calls' contexts bound them further.
func New(baseURL, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("misp: base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("misp: base URL %q: must be an http or https URL with a host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("misp: base URL %q: must have no query, fragment or credentials (the key is passed apart)", baseURL)
	}
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("misp: automation key: empty")
	}
	if strings.ContainsAny(key, "\r\n") {
		return nil, errors.New("misp: automation key: contains a line break")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{base: u, key: key, http: hc, maxBody: DefaultMaxBody}, nil
}

// WithMaxBody returns a copy of c that reads answers of up to n bytes.
func (c *Client) WithMaxBody(n int64) *Client {
	cc := *c
	cc.maxBody = n
	return &cc
}

// Error is an answer MISP gave with an error status, or a 2xx answer that
// is not what the call expects.
type Error struct {
	Method string
	// Path is the URL path asked for (the base URL's prefix included).
	Path string
	// Status is the HTTP status code.
	Status int
	// Name, Message, URL and Errors are MISP's error answer's fields, when
	// it sent one; Errors is kept as the JSON it was (an object of field
	// errors, or a string).
	Name, Message, URL string
	Errors             json.RawMessage
	// Reason says what was wrong with a 2xx answer.
	Reason string
	// Body is the start of an answer that was not MISP's error JSON.
	Body string
	// Location is the Location header, which MISP sets to the existing
	// event when it refuses to add one.
	Location string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "misp: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	switch {
	case e.Message != "" && e.Name != "" && e.Message != e.Name:
		fmt.Fprintf(&b, ": %s: %s", e.Name, e.Message)
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.Name != "":
		b.WriteString(": " + e.Name)
	case e.Body != "":
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	if len(e.Errors) > 0 && string(e.Errors) != "null" && string(e.Errors) != "[]" && string(e.Errors) != "{}" {
		fmt.Fprintf(&b, " (errors: %s)", clip(e.Errors, 300))
	}
	return b.String()
}

// ErrUnauthorized matches (errors.Is) an *Error with status 401 or 403.
var ErrUnauthorized = errors.New("misp: not authorized")

// Is makes errors.Is(err, ErrUnauthorized) true for 401 and 403.
func (e *Error) Is(target error) bool {
	return target == ErrUnauthorized && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// post sends body to p (a path under the base URL) and returns the answer
// when its status is 2xx; any other status is an *Error.
func (c *Client) post(ctx context.Context, p string, body []byte) ([]byte, error) {
	u := *c.base
	u.Path = c.base.Path + p
	full := u.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("misp: POST %s: %w", full, err)
	}
	req.Header.Set("Authorization", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "fusion-misp-client")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("misp: POST %s: %w", full, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return nil, fmt.Errorf("misp: POST %s: %w", full, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("misp: POST %s: reading the answer: %w", full, ctx.Err())
		}
		return nil, fmt.Errorf("misp: POST %s: reading the answer: %w", full, err)
	}
	if int64(len(data)) > c.maxBody {
		return nil, &Error{Method: http.MethodPost, Path: full, Status: resp.StatusCode, Reason: fmt.Sprintf("answer larger than %d bytes", c.maxBody)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, nil
	}
	e := &Error{Method: http.MethodPost, Path: full, Status: resp.StatusCode, Location: resp.Header.Get("Location")}
	var m struct {
		Name    any             `json:"name"`
		Message any             `json:"message"`
		URL     string          `json:"url"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(data, &m) == nil && (m.Name != nil || m.Message != nil) {
		e.Name, e.Message, e.URL, e.Errors = text(m.Name), text(m.Message), m.URL, m.Errors
	} else {
		e.Body = clip(bytes.TrimSpace(data), 200)
	}
	return nil, e
}

// text renders a MISP error field, which is a string in most answers and
// sometimes an object or array of messages.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return clip(b, 300)
	}
}

// notJSON is the *Error for a 2xx answer that is not what was expected.
func notJSON(p string, status int, reason string, body []byte) *Error {
	return &Error{Method: http.MethodPost, Path: p, Status: status, Reason: reason, Body: clip(bytes.TrimSpace(body), 200)}
}

// Query selects events for Search.
type Query struct {
	// Page is the page to fetch, from 1 (0: 1).
	Page int
	// Limit is the number of events a page holds (0: DefaultLimit).
	Limit int
	// Since selects events whose timestamp (last change) is at or after
	// it, to the second (zero: all events).
	Since time.Time
	// Published selects published (true) or unpublished (false) events
	// only (nil: both).
	Published *bool
}

// Page is one page of a search.
type Page struct {
	// Events are the events of the page, each {"Event":{...}} as MISP
	// sent it (an element of "response" that is a bare event is wrapped).
	Events []json.RawMessage
	// More is true when the page was full: there may be another.
	More bool
}

// searchBody is restSearch's request: MISP's parameter names.
type searchBody struct {
	ReturnFormat string `json:"returnFormat"`
	Page         int    `json:"page"`
	Limit        int    `json:"limit"`
	Timestamp    int64  `json:"timestamp,omitempty"`
	Published    *bool  `json:"published,omitempty"`
}

// Search fetches one page of events: POST /events/restSearch with
// returnFormat json, page, limit and, when set, timestamp and published.
// MISP answers {"response":[...]}; older instances answer a search that
// matches nothing (a page past the last) with 404 "No matches.", which is
// an empty page here.
func (c *Client) Search(ctx context.Context, q Query) (Page, error) {
	if q.Page < 0 || q.Limit < 0 {
		return Page{}, fmt.Errorf("misp: search: page %d, limit %d: must not be negative", q.Page, q.Limit)
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	b := searchBody{ReturnFormat: "json", Page: q.Page, Limit: q.Limit, Published: q.Published}
	if !q.Since.IsZero() {
		b.Timestamp = q.Since.Unix()
		if b.Timestamp <= 0 {
			return Page{}, fmt.Errorf("misp: search: since %s: before 1970", q.Since)
		}
	}
	body, _ := json.Marshal(b)
	const p = "/events/restSearch"
	data, err := c.post(ctx, p, body)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && strings.TrimSpace(e.Message) == "No matches." {
		return Page{}, nil // older instances: nothing matched, past the last page
	}
	if err != nil {
		return Page{}, err
	}
	var env struct {
		Response *[]json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return Page{}, notJSON(c.base.Path+p, http.StatusOK, "answer is not MISP's JSON: "+err.Error(), data)
	}
	if env.Response == nil {
		return Page{}, notJSON(c.base.Path+p, http.StatusOK, `answer has no "response" array`, data)
	}
	out := Page{More: len(*env.Response) >= q.Limit}
	for i, raw := range *env.Response {
		ev, err := wrapEvent(raw, true)
		if err != nil {
			return Page{}, notJSON(c.base.Path+p, http.StatusOK, fmt.Sprintf("response[%d]: %v", i, err), raw)
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// wrapEvent returns raw as {"Event":{...}}: as is when it is so, wrapped
// when it is a bare event (older instances and PyMISP's saved answers). A
// bare event must have a "uuid" when stored is true (an instance's event
// always has one; one to push may not yet).
func wrapEvent(raw json.RawMessage, stored bool) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	if ev, ok := m["Event"]; ok {
		if len(m) != 1 || len(bytes.TrimSpace(ev)) == 0 || bytes.TrimSpace(ev)[0] != '{' {
			return nil, errors.New(`"Event" is not the only field or not an object`)
		}
		return raw, nil
	}
	if _, ok := m["uuid"]; !ok && stored {
		return nil, errors.New(`neither {"Event":{...}} nor an event with a "uuid"`)
	}
	return json.RawMessage(`{"Event":` + string(bytes.TrimSpace(raw)) + `}`), nil
}

// Pull pages through every event changed at or after since (zero: all),
// limit events a page (0: DefaultLimit), calling each with every event in
// MISP's order until a page is short. It returns how many events each was
// called with; an error from each stops the pull and is returned.
//
// Pages are counted over the instance's ordering of the matching events:
// an event changed during the pull may move between pages and be seen
// twice or, in the worst case, not at all. A caller that keeps the
// largest event timestamp it saw and pulls again from it (handling an
// event twice being harmless) misses nothing.
func (c *Client) Pull(ctx context.Context, since time.Time, limit int, each func(raw json.RawMessage) error) (int, error) {
	n := 0
	for page := 1; ; page++ {
		p, err := c.Search(ctx, Query{Page: page, Limit: limit, Since: since})
		if err != nil {
			return n, err
		}
		for _, ev := range p.Events {
			if err := each(ev); err != nil {
				return n, err
			}
			n++
		}
		if !p.More {
			return n, nil
		}
	}
}

// PushResult says what Push did.
type PushResult struct {
	// Created is true when the event was added, false when an existing
	// event was edited.
	Created bool
	// ID and UUID are the event's on the instance.
	ID, UUID string
}

// uuidRE is the form MISP gives uuids.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Push adds event ({"Event":{...}} or a bare event) to the instance:
// POST /events/add. When MISP answers that the event exists (404 "Event
// already exists, …" with a Location header, as EventsController::add
// does for a known uuid) the event is sent to /events/edit/{uuid} instead
// (or /events/edit/{id} from the Location header, for an event without a
// uuid). MISP's answer must be the saved event, {"Event":{"id","uuid"}}.
func (c *Client) Push(ctx context.Context, event []byte) (PushResult, error) {
	raw, err := wrapEvent(event, false)
	if err != nil {
		return PushResult{}, fmt.Errorf("misp: push: %w", err)
	}
	var in struct {
		Event struct {
			UUID *string `json:"uuid"`
		}
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return PushResult{}, fmt.Errorf("misp: push: field \"uuid\": %w", err)
	}
	uuid := ""
	if in.Event.UUID != nil {
		uuid = *in.Event.UUID
		if !uuidRE.MatchString(uuid) {
			return PushResult{}, fmt.Errorf("misp: push: field \"uuid\" %q: not a uuid", uuid)
		}
	}
	const add = "/events/add"
	data, err := c.post(ctx, add, raw)
	if err == nil {
		return saved(c.base.Path+add, data, true)
	}
	var e *Error
	if !errors.As(err, &e) || !exists(e) {
		return PushResult{}, err
	}
	target := uuid
	if target == "" {
		target = path.Base(e.Location)
		if _, err := strconv.ParseUint(target, 10, 64); err != nil {
			return PushResult{}, fmt.Errorf("%w; and the event has no uuid and the Location header %q no event id to edit", err, e.Location)
		}
	}
	edit := "/events/edit/" + target
	data, err = c.post(ctx, edit, raw)
	if err != nil {
		return PushResult{}, err
	}
	return saved(c.base.Path+edit, data, false)
}

// exists reports whether an add was refused because the event exists:
// MISP throws NotFoundException("Event already exists, …"), a 404; some
// paths refuse the uuid as a failed validation instead (403 "Could not
// add Event", errors {"Event":{"uuid":["The UUID provided is not
// unique"]}}, the Event model's isUnique rule).
func exists(e *Error) bool {
	msg := strings.ToLower(e.Name + " " + e.Message)
	switch e.Status {
	case http.StatusNotFound:
		return strings.Contains(msg, "already exists")
	case http.StatusForbidden:
		errs := strings.ToLower(string(e.Errors))
		return strings.Contains(errs, "uuid") && (strings.Contains(errs, "already") || strings.Contains(errs, "unique"))
	}
	return false
}

// saved reads the event MISP answers an add or an edit with.
func saved(p string, data []byte, created bool) (PushResult, error) {
	var out struct {
		Event *struct {
			ID   any    `json:"id"`
			UUID string `json:"uuid"`
		}
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return PushResult{}, notJSON(p, http.StatusOK, "answer is not MISP's JSON: "+err.Error(), data)
	}
	if out.Event == nil || out.Event.UUID == "" {
		return PushResult{}, notJSON(p, http.StatusOK, `answer is not the saved event {"Event":{"id","uuid"}}`, data)
	}
	id := ""
	switch v := out.Event.ID.(type) {
	case string:
		id = v
	case float64:
		id = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return PushResult{Created: created, ID: id, UUID: out.Event.UUID}, nil
}
