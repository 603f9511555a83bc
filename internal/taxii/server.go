// Package taxii serves TAXII 2.1 under /taxii2/: discovery, one API root
// (/taxii2/api/), the caller's collections, their objects, manifests and
// versions, adding objects with a status resource, and deleting objects.
// Every read goes through the hub, so through the policy gate; every write
// is a record submission by the caller.
//
// Clients authenticate with an API token as "Authorization: Bearer T",
// "Authorization: Token T", or HTTP Basic with the token as the password
// (any user name), because real clients use each.
//
// SPEC: https://docs.oasis-open.org/cti/taxii/v2.1/os/taxii-v2.1-os.html
package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
)

// Media types.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// MaxContentLength bounds a request body (the API root's
// max_content_length).
const MaxContentLength = 16 << 20

// Root is the path everything is served under; APIRoot the one API root.
const (
	Root    = "/taxii2/"
	APIRoot = "/taxii2/api/"
)

// Options configure a Server.
type Options struct {
	Log *slog.Logger
	// Title names the hub in the discovery resource.
	Title string
}

// Server is the TAXII 2.1 surface of a hub.
type Server struct {
	hub   *hub.Hub
	log   *slog.Logger
	title string
	mux   *http.ServeMux
}

// New returns the TAXII server of h.
func New(h *hub.Hub, o Options) *Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Title == "" {
		o.Title = "fusion"
	}
	s := &Server{hub: h, log: o.Log, title: o.Title, mux: http.NewServeMux()}
	type handler func(w http.ResponseWriter, r *http.Request, c *policy.Caller)
	routes := []struct {
		pattern string
		auth    bool
		h       handler
	}{
		{"GET /taxii2/{$}", false, s.discovery},
		{"GET /taxii2/api/{$}", false, s.apiRoot},
		{"GET /taxii2/api/collections/{$}", true, s.collections},
		{"GET /taxii2/api/collections/{cid}/{$}", true, s.collection},
		{"GET /taxii2/api/collections/{cid}/objects/{$}", true, s.objects},
		{"POST /taxii2/api/collections/{cid}/objects/{$}", true, s.addObjects},
		{"GET /taxii2/api/collections/{cid}/objects/{oid}/{$}", true, s.object},
		{"DELETE /taxii2/api/collections/{cid}/objects/{oid}/{$}", true, s.deleteObject},
		{"GET /taxii2/api/collections/{cid}/objects/{oid}/versions/{$}", true, s.versions},
		{"GET /taxii2/api/collections/{cid}/manifest/{$}", true, s.manifest},
		{"GET /taxii2/api/status/{sid}/{$}", true, s.status},
	}
	for _, rt := range routes {
		s.mux.Handle(rt.pattern, s.wrap(rt.auth, rt.h))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		probe := r.Clone(r.Context())
		for _, m := range []string{"GET", "POST", "DELETE"} {
			probe.Method = m
			if _, p := s.mux.Handler(probe); p != "/" {
				writeError(w, http.StatusMethodNotAllowed, "Method not allowed", r.Method+" is not allowed on "+r.URL.Path)
				return
			}
		}
		writeError(w, http.StatusNotFound, "Not found", "no TAXII resource at "+r.URL.Path)
	})
	return s
}

// Handler serves everything under /taxii2/. Paths without their trailing
// slash are taken as if they had it.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("taxii: panic", "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "Internal error", "the hub failed to answer; the failure is logged")
			}
		}()
		if !strings.HasSuffix(r.URL.Path, "/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path += "/"
			if r2.URL.RawPath != "" {
				r2.URL.RawPath += "/"
			}
			r = r2
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		s.mux.ServeHTTP(w, r)
	})
}

func (s *Server) wrap(auth bool, h func(http.ResponseWriter, *http.Request, *policy.Caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptable(r.Header.Get("Accept")) {
			writeError(w, http.StatusNotAcceptable, "Not acceptable", "Accept: "+strconv.Quote(r.Header.Get("Accept"))+" does not allow "+MediaTAXII)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxContentLength)
		if !auth {
			h(w, r, nil)
			return
		}
		secret, err := hub.TokenFromAuthorization(r.Header.Get("Authorization"), false)
		if err == nil {
			var c *policy.Caller
			if c, err = s.hub.Authenticate(r.Context(), secret); err == nil {
				h(w, r, c)
				return
			}
		}
		s.fail(w, r, err)
	})
}

// acceptable reports whether an Accept header allows the TAXII 2.1 media
// type: absent, */*, application/*, or application/taxii+json with no
// version or version 2.1.
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		typ, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		typ = strings.ToLower(strings.TrimSpace(typ))
		switch typ {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			v := versionParam(params)
			if v == "" || v == "2.1" {
				return true
			}
		}
	}
	return false
}

func versionParam(params string) string {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "version") {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// errorResource is TAXII's error message.
type errorResource struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

func writeError(w http.ResponseWriter, status int, title, description string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="fusion TAXII", Bearer`)
	}
	writeJSON(w, status, errorResource{Title: title, Description: description, HTTPStatus: strconv.Itoa(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"title":"Internal error","http_status":"500"}`)
	}
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// fail writes the error resource for err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, hub.ErrUnauthenticated):
		writeError(w, http.StatusUnauthorized, "Unauthorized", err.Error())
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "Request too large", fmt.Sprintf("the body is over %d bytes (max_content_length)", tooBig.Limit))
	case errors.Is(err, intel.ErrForbidden):
		writeError(w, http.StatusForbidden, "Forbidden", err.Error())
	case errors.Is(err, intel.ErrNotFound):
		writeError(w, http.StatusNotFound, "Not found", err.Error())
	case errors.Is(err, errUnsupportedMedia):
		writeError(w, http.StatusUnsupportedMediaType, "Unsupported media type", err.Error())
	case errors.Is(err, errUnprocessable):
		writeError(w, http.StatusUnprocessableEntity, "Unprocessable content", err.Error())
	case errors.Is(err, intel.ErrInvalid):
		writeError(w, http.StatusBadRequest, "Bad request", err.Error())
	case errors.Is(err, context.Canceled):
		writeError(w, 499, "Client closed request", err.Error())
	default:
		s.log.Error("taxii: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "Internal error", "the hub failed to answer; the failure is logged")
	}
}

var (
	errUnsupportedMedia = errors.New("unsupported media type")
	errUnprocessable    = errors.New("unprocessable")
)

// base returns the URL the client reached the hub at.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *policy.Caller) {
	root := base(r) + APIRoot
	writeJSON(w, http.StatusOK, map[string]any{
		"title":       s.title + " TAXII 2.1",
		"description": "The intelligence this hub may share with you as STIX 2.1, and an inbox for yours.",
		"default":     root,
		"api_roots":   []string{root},
	})
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ *policy.Caller) {
	writeJSON(w, http.StatusOK, map[string]any{
		"title":              s.title,
		"description":        "Collections per caller: everything visible, your own, one per sharing group, and an inbox.",
		"versions":           []string{MediaTAXII},
		"max_content_length": MaxContentLength,
	})
}

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func resourceOf(c hub.Collection) collectionResource {
	return collectionResource{ID: c.ID, Title: c.Title, Description: c.Description, CanRead: c.CanRead, CanWrite: c.CanWrite, MediaTypes: []string{MediaSTIX}}
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	cols, err := s.hub.Collections(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]collectionResource, len(cols))
	for i, col := range cols {
		out[i] = resourceOf(col)
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": out})
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	col, err := s.hub.GetCollection(r.Context(), c, r.PathValue("cid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resourceOf(col))
}

// query reads TAXII's filter parameters. Every one may be absent, and
// match[...] values may be repeated or comma-separated.
func query(r *http.Request) (hub.ObjectQuery, error) {
	v := r.URL.Query()
	var q hub.ObjectQuery
	for key := range v {
		switch key {
		case "added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]":
		default:
			return q, fmt.Errorf("%w: %s: not a TAXII 2.1 filter of this endpoint (added_after, limit, next, match[id], match[type], match[version], match[spec_version])", intel.ErrInvalid, key)
		}
	}
	if s := v.Get("added_after"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, &intel.FieldError{Field: "added_after", Value: s, Reason: "not a timestamp (RFC 3339, e.g. 2026-11-30T12:00:00.000Z)"}
		}
		q.AddedAfter = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, &intel.FieldError{Field: "limit", Value: s, Reason: fmt.Sprintf("not a whole number from 1 to %d", hub.MaxObjectsPage)}
		}
		q.Limit = min(n, hub.MaxObjectsPage)
	}
	q.Next = v.Get("next")
	q.IDs = list(v, "match[id]")
	q.Types = list(v, "match[type]")
	q.Versions = list(v, "match[version]")
	q.SpecVersions = list(v, "match[spec_version]")
	return q, nil
}

func list(v url.Values, key string) []string {
	var out []string
	for _, s := range v[key] {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// pageHeaders sets X-TAXII-Date-Added-First and -Last.
func pageHeaders(w http.ResponseWriter, objs []hub.TAXIIObject) {
	if len(objs) == 0 {
		return
	}
	first, last := objs[0].Added, objs[0].Added
	for _, o := range objs[1:] {
		first, last = minTime(first, o.Added), maxTime(last, o.Added)
	}
	w.Header().Set("X-TAXII-Date-Added-First", stamp(first))
	w.Header().Set("X-TAXII-Date-Added-Last", stamp(last))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func (s *Server) objects(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.hub.Objects(r.Context(), c, r.PathValue("cid"), q)
	s.writeEnvelope(w, r, page, err)
}

func (s *Server) object(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.hub.Object(r.Context(), c, r.PathValue("cid"), r.PathValue("oid"), q)
	s.writeEnvelope(w, r, page, err)
}

// writeEnvelope writes a page of objects as TAXII's envelope.
func (s *Server) writeEnvelope(w http.ResponseWriter, r *http.Request, page hub.ObjectPage, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := appendEnvelope(nil, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pageHeaders(w, page.Objects)
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// appendEnvelope appends page as the JSON of envelope, and a newline. Each
// object is encoded once, straight into the body: encoding them first and
// then the envelope of json.RawMessage made encoding/json check and copy
// every object a second time (a third of the CPU of a page of 10,000).
func appendEnvelope(b []byte, page hub.ObjectPage) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	buf.WriteString(`{"more":`)
	buf.WriteString(strconv.FormatBool(page.More))
	enc := json.NewEncoder(buf)
	if page.Next != "" {
		buf.WriteString(`,"next":`)
		if err := enc.Encode(page.Next); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	if len(page.Objects) > 0 {
		buf.WriteString(`,"objects":[`)
		for i, o := range page.Objects {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := enc.Encode(o.Object); err != nil {
				return nil, err
			}
			buf.Truncate(buf.Len() - 1)
		}
		buf.WriteByte(']')
	}
	buf.WriteString("}\n")
	return buf.Bytes(), nil
}

type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.hub.Objects(r.Context(), c, r.PathValue("cid"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []manifestRecord `json:"objects,omitempty"`
	}{More: page.More, Next: page.Next}
	for _, o := range page.Objects {
		out.Objects = append(out.Objects, manifestRecord{ID: o.Object.ObjectID(), DateAdded: stamp(o.Added), Version: o.Version(), MediaType: MediaSTIX})
	}
	pageHeaders(w, page.Objects)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(q.IDs) > 0 || len(q.Types) > 0 || len(q.Versions) > 0 {
		s.fail(w, r, fmt.Errorf("%w: the versions endpoint takes added_after, limit, next and match[spec_version] only", intel.ErrInvalid))
		return
	}
	page, err := s.hub.ObjectVersions(r.Context(), c, r.PathValue("cid"), r.PathValue("oid"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions,omitempty"`
	}{More: page.More, Next: page.Next}
	for _, o := range page.Objects {
		out.Versions = append(out.Versions, o.Version())
	}
	pageHeaders(w, page.Objects)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.hub.DeleteObject(r.Context(), c, r.PathValue("cid"), r.PathValue("oid")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(http.StatusOK)
}

// addObjects takes an envelope of objects: 202 and the status resource.
func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	ct := r.Header.Get("Content-Type")
	typ, params, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.TrimSpace(typ), "application/taxii+json") || (versionParam(params) != "" && versionParam(params) != "2.1") {
		s.fail(w, r, fmt.Errorf("%w: Content-Type %q: objects are posted as %s", errUnsupportedMedia, ct, MediaTAXII))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		s.fail(w, r, fmt.Errorf("%w: the body is not a TAXII envelope: %v", errUnprocessable, err))
		return
	}
	if env.Objects == nil {
		s.fail(w, r, fmt.Errorf("%w: the envelope has no objects", errUnprocessable))
		return
	}
	st, err := s.hub.AddObjects(r.Context(), c, r.PathValue("cid"), env.Objects)
	var bad *stix.ImportError
	if errors.As(err, &bad) {
		err = fmt.Errorf("%w: %v", errUnprocessable, err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	st, err := s.hub.GetTAXIIStatus(r.Context(), c, r.PathValue("sid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
