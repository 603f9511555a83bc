package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Discovery is the discovery resource of a server.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the information resource of an API root.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is a collection resource.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Query holds the filters of objects and manifest requests; every field
// may be empty.
type Query struct {
	// AddedAfter is a timestamp as the server writes them (the
	// X-TAXII-Date-Added-Last of an earlier page, or RFC 3339).
	AddedAfter string
	Limit      int
	// Next is the cursor of the previous page.
	Next                               string
	IDs, Types, Versions, SpecVersions []string
}

func (q Query) values() url.Values {
	v := url.Values{}
	if q.AddedAfter != "" {
		v.Set("added_after", q.AddedAfter)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Next != "" {
		v.Set("next", q.Next)
	}
	for key, vals := range map[string][]string{"match[id]": q.IDs, "match[type]": q.Types, "match[version]": q.Versions, "match[spec_version]": q.SpecVersions} {
		if len(vals) > 0 {
			v.Set(key, strings.Join(vals, ","))
		}
	}
	return v
}

// Page is one page of an objects request.
type Page struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
	// DateAddedFirst and DateAddedLast are the X-TAXII-Date-Added-First
	// and -Last headers, as the server wrote them ("" if absent).
	DateAddedFirst, DateAddedLast string `json:"-"`
}

// ManifestRecord describes one object version in a manifest.
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// Manifest is one page of a manifest request.
type Manifest struct {
	More                          bool             `json:"more"`
	Next                          string           `json:"next,omitempty"`
	Objects                       []ManifestRecord `json:"objects,omitempty"`
	DateAddedFirst, DateAddedLast string           `json:"-"`
}

// StatusDetail is one object of a status resource.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is the status resource of an add request.
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
	// Pending is "pendings" as some servers spell it (fusion before this
	// client).
	Pending []StatusDetail `json:"pending,omitempty"`
}

// Complete reports whether the server has finished the request.
func (s *Status) Complete() bool { return s.Status == "complete" }

// ErrPending is returned by AddObjects when the status is still pending
// after Options.StatusWait.
var ErrPending = errors.New("taxii: the status is still pending")

// parseBase checks that u is an absolute http(s) URL.
func parseBase(u string) (*url.URL, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, fmt.Errorf("taxii: URL %q: not an absolute http(s) URL", u)
	}
	return p, nil
}

// join appends escaped path segments and a trailing slash to an API root.
func join(root string, segs ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(root, "/"))
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	b.WriteByte('/')
	return b.String()
}

// Discovery fetches the discovery resource at u (a server's /taxii2/).
func (c *Client) Discovery(ctx context.Context, u string) (Discovery, error) {
	var d Discovery
	if _, err := parseBase(u); err != nil {
		return d, err
	}
	_, err := c.get(ctx, u, &d)
	return d, err
}

// APIRoot fetches the information of the API root at root.
func (c *Client) APIRoot(ctx context.Context, root string) (APIRoot, error) {
	var a APIRoot
	if _, err := parseBase(root); err != nil {
		return a, err
	}
	_, err := c.get(ctx, join(root), &a)
	return a, err
}

// FindAPIRoot resolves what a user gave as a server's address — the
// server (path / or empty: its discovery at /taxii2/ is read), a discovery
// URL, or an API root URL — to an API root URL (with a trailing slash) and
// its information. From discovery it takes the default API root, else the
// first one listed.
func (c *Client) FindAPIRoot(ctx context.Context, u string) (string, APIRoot, error) {
	p, err := parseBase(u)
	if err != nil {
		return "", APIRoot{}, err
	}
	if p.Path == "" || p.Path == "/" {
		p.Path = "/taxii2/"
	} else if !strings.HasSuffix(p.Path, "/") {
		p.Path += "/"
	}
	p.RawPath = ""
	u = p.String()
	var res struct {
		Default  *string   `json:"default"`
		APIRoots *[]string `json:"api_roots"`
		Versions *[]string `json:"versions"`
	}
	if _, err := c.get(ctx, u, &res); err != nil {
		return "", APIRoot{}, err
	}
	switch {
	case res.Versions != nil:
		info, err := c.APIRoot(ctx, u)
		return u, info, err
	case res.APIRoots != nil || res.Default != nil:
		root := ""
		if res.Default != nil {
			root = *res.Default
		}
		if root == "" && res.APIRoots != nil && len(*res.APIRoots) > 0 {
			root = (*res.APIRoots)[0]
		}
		if root == "" {
			return "", APIRoot{}, &Error{Method: http.MethodGet, URL: u, Reason: "the discovery resource names no API root"}
		}
		ref, err := url.Parse(root)
		if err != nil {
			return "", APIRoot{}, &Error{Method: http.MethodGet, URL: u, Reason: fmt.Sprintf("API root %q is not a URL", root)}
		}
		abs := p.ResolveReference(ref)
		if !strings.HasSuffix(abs.Path, "/") {
			abs.Path += "/"
		}
		info, err := c.APIRoot(ctx, abs.String())
		return abs.String(), info, err
	}
	return "", APIRoot{}, &Error{Method: http.MethodGet, URL: u, Reason: "neither a TAXII discovery resource nor an API root (no api_roots, no versions)"}
}

// Collections lists the collections of an API root.
func (c *Client) Collections(ctx context.Context, root string) ([]Collection, error) {
	var res struct {
		Collections []Collection `json:"collections"`
	}
	if _, err := parseBase(root); err != nil {
		return nil, err
	}
	_, err := c.get(ctx, join(root, "collections"), &res)
	return res.Collections, err
}

// Collection fetches one collection of an API root.
func (c *Client) Collection(ctx context.Context, root, id string) (Collection, error) {
	var col Collection
	if _, err := parseBase(root); err != nil {
		return col, err
	}
	u := join(root, "collections", id)
	if _, err := c.get(ctx, u, &col); err != nil {
		return col, err
	}
	if col.ID == "" {
		return col, &Error{Method: http.MethodGet, URL: u, Reason: "not a TAXII collection resource (no id)"}
	}
	return col, nil
}

// Objects fetches one page of a collection's objects.
func (c *Client) Objects(ctx context.Context, root, collection string, q Query) (Page, error) {
	var p Page
	if _, err := parseBase(root); err != nil {
		return p, err
	}
	u := join(root, "collections", collection, "objects")
	if v := q.values(); len(v) > 0 {
		u += "?" + v.Encode()
	}
	r, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return p, err
	}
	if p, err = ParsePage(r.body); err != nil {
		return p, &Error{Method: http.MethodGet, URL: u, Status: r.status, Reason: "not a TAXII envelope: " + err.Error(), Body: snippet(r.body)}
	}
	if err := checkJSONType(r); err != nil {
		return p, &Error{Method: http.MethodGet, URL: u, Status: r.status, Reason: err.Error(), Body: snippet(r.body)}
	}
	p.DateAddedFirst = r.header.Get("X-TAXII-Date-Added-First")
	p.DateAddedLast = r.header.Get("X-TAXII-Date-Added-Last")
	return p, nil
}

func checkJSONType(r *response) error {
	ct := r.header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return fmt.Errorf("not a TAXII answer (Content-Type %q)", ct)
	}
	return nil
}

// ParsePage parses an envelope: a JSON object whose "objects", if
// present, is an array of JSON objects.
func ParsePage(b []byte) (Page, error) {
	var p Page
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&p); err != nil {
		return Page{}, err
	}
	if d.More() {
		return Page{}, errors.New("data after the envelope")
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("null")) {
		return Page{}, errors.New("null is not an envelope")
	}
	for i, o := range p.Objects {
		if _, _, err := Peek(o); err != nil {
			return Page{}, fmt.Errorf("objects[%d]: %w", i, err)
		}
	}
	if p.More && p.Next == "" && len(p.Objects) == 0 {
		return Page{}, errors.New("more is true but the page has no objects and no next")
	}
	return p, nil
}

// Peek returns the "id" and "type" of an object, which must be a JSON
// object; either may be "" if absent.
func Peek(o json.RawMessage) (id, typ string, err error) {
	var v struct {
		ID   *string `json:"id"`
		Type *string `json:"type"`
	}
	t := bytes.TrimSpace(o)
	if len(t) == 0 || t[0] != '{' {
		return "", "", errors.New("not a JSON object")
	}
	if err := json.Unmarshal(t, &v); err != nil {
		return "", "", err
	}
	if v.ID != nil {
		id = *v.ID
	}
	if v.Type != nil {
		typ = *v.Type
	}
	return id, typ, nil
}

// Each fetches every page of a collection's objects that q selects, from
// q.Next (or the start), calling fn with each. It follows "next" while
// "more" is true; a server that says more but gives no next is paged by
// added_after from the page's X-TAXII-Date-Added-Last, as TAXII allows.
func (c *Client) Each(ctx context.Context, root, collection string, q Query, fn func(Page) error) error {
	seen := map[string]bool{}
	for {
		p, err := c.Objects(ctx, root, collection, q)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if !p.More {
			return nil
		}
		switch {
		case p.Next != "":
			if seen[p.Next] {
				return fmt.Errorf("taxii: collection %s at %s: the server gave next %q twice; stopping rather than loop", collection, root, p.Next)
			}
			seen[p.Next] = true
			q.Next = p.Next
		case p.DateAddedLast != "" && p.DateAddedLast != q.AddedAfter:
			q.AddedAfter, q.Next = p.DateAddedLast, ""
		default:
			return fmt.Errorf("taxii: collection %s at %s: the server says more but gives neither next nor a later X-TAXII-Date-Added-Last", collection, root)
		}
	}
}

// Manifest fetches one page of a collection's manifest.
func (c *Client) Manifest(ctx context.Context, root, collection string, q Query) (Manifest, error) {
	var m Manifest
	if _, err := parseBase(root); err != nil {
		return m, err
	}
	u := join(root, "collections", collection, "manifest")
	if v := q.values(); len(v) > 0 {
		u += "?" + v.Encode()
	}
	r, err := c.get(ctx, u, &m)
	if err != nil {
		return Manifest{}, err
	}
	m.DateAddedFirst = r.header.Get("X-TAXII-Date-Added-First")
	m.DateAddedLast = r.header.Get("X-TAXII-Date-Added-Last")
	return m, nil
}

// GetStatus fetches a status resource.
func (c *Client) GetStatus(ctx context.Context, root, id string) (Status, error) {
	var s Status
	if _, err := parseBase(root); err != nil {
		return s, err
	}
	u := join(root, "status", id)
	r, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return s, err
	}
	if s, err = ParseStatus(r.body); err != nil {
		return s, &Error{Method: http.MethodGet, URL: u, Status: r.status, Reason: "not a TAXII status resource: " + err.Error(), Body: snippet(r.body)}
	}
	return s, nil
}

// ParseStatus parses a status resource: it must have an id and a status
// of "pending" or "complete".
func ParseStatus(b []byte) (Status, error) {
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return Status{}, err
	}
	if s.ID == "" {
		return Status{}, errors.New("no id")
	}
	if s.Status != "pending" && s.Status != "complete" {
		return Status{}, fmt.Errorf("status %q is not pending or complete", s.Status)
	}
	return s, nil
}

// AddObjects posts objects to a collection as one envelope and waits for
// the request to complete, polling the status resource (from 100 ms,
// doubling to 5 s) for at most Options.StatusWait. It returns the last
// status; ErrPending if it never completed. Split large sets with Batches
// first: the server refuses an envelope over its max_content_length.
func (c *Client) AddObjects(ctx context.Context, root, collection string, objs []json.RawMessage) (Status, error) {
	if _, err := parseBase(root); err != nil {
		return Status{}, err
	}
	body, err := json.Marshal(struct {
		Objects []json.RawMessage `json:"objects"`
	}{objs})
	if err != nil {
		return Status{}, fmt.Errorf("taxii: envelope: %w", err)
	}
	u := join(root, "collections", collection, "objects")
	r, err := c.do(ctx, http.MethodPost, u, body, http.StatusAccepted, http.StatusOK, http.StatusCreated)
	if err != nil {
		return Status{}, err
	}
	s, err := ParseStatus(r.body)
	if err != nil {
		return s, &Error{Method: http.MethodPost, URL: u, Status: r.status, Reason: "not a TAXII status resource: " + err.Error(), Body: snippet(r.body)}
	}
	deadline := time.Now().Add(c.o.StatusWait)
	wait := 100 * time.Millisecond
	for !s.Complete() {
		if time.Now().After(deadline) {
			return s, fmt.Errorf("%w after %v: status %s at %s (%d of %d objects pending)", ErrPending, c.o.StatusWait, s.ID, root, s.PendingCount, s.TotalCount)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return s, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
		if s, err = c.GetStatus(ctx, root, s.ID); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Batches splits objects into envelopes of at most maxBytes bytes each
// (0: no bound) and at most maxObjects objects (0: no bound). An object
// that alone is over maxBytes is an error naming it.
func Batches(objs []json.RawMessage, maxBytes int64, maxObjects int) ([][]json.RawMessage, error) {
	const overhead = int64(len(`{"objects":[]}`))
	var out [][]json.RawMessage
	var cur []json.RawMessage
	size := overhead
	for _, o := range objs {
		n := int64(len(o)) + 1 // the comma
		if maxBytes > 0 && overhead+n > maxBytes {
			id, _, _ := Peek(o)
			return nil, fmt.Errorf("taxii: object %q is %d bytes, over the server's max_content_length of %d", id, len(o), maxBytes)
		}
		if len(cur) > 0 && ((maxBytes > 0 && size+n > maxBytes) || (maxObjects > 0 && len(cur) >= maxObjects)) {
			out = append(out, cur)
			cur, size = nil, overhead
		}
		cur = append(cur, o)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}
