// Package api serves fusion's JSON API under /api/v1. Handlers parse and
// answer; every decision about who may see what is made by the hub through
// the policy gate. Errors become HTTP status codes here and nowhere else.
package api

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/misp"
	"fusion/internal/policy"
	"fusion/internal/stix"
)

// Body limits. A batch of 10,000 records of a few hundred bytes each fits
// MaxBatchBody with room for long descriptions.
const (
	MaxBatchBody = 32 << 20
	MaxHitsBody  = 16 << 20 // 100,000 values
	MaxBody      = 1 << 20
	MaxSTIXBody  = stix.MaxImportBytes
	MaxMISPBody  = misp.MaxBodyBytes
)

//go:embed openapi.json
var openAPI []byte

// Server holds the handlers' dependencies.
type Server struct {
	hub     *hub.Hub
	notary  *evidence.Notary
	witness *evidence.Witness
	obs     Observer
	log     *slog.Logger
}

// Observer is told what the API did, for metrics.
type Observer interface {
	// Request: one request to the route pattern answered status after d.
	Request(method, pattern string, status int, d time.Duration)
	// Ingested: records submitted, by what became of them.
	Ingested(created, updated, unchanged, refused int)
	// Matched: events received and the matches they gave.
	Matched(events, matches int)
}

// Options are what the API needs besides the hub.
type Options struct {
	// Witness, if not nil, makes this hub co-sign other logs' checkpoints
	// at /api/v1/witness/add-checkpoint.
	Witness *evidence.Witness
	// Observer, if not nil, is told of every request, ingest and match.
	Observer Observer
	Log      *slog.Logger
}

// New returns the API server for h; its evidence log's notary signs
// checkpoints (with none, the checkpoint routes answer 503).
func New(h *hub.Hub, o Options) *Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	return &Server{hub: h, notary: h.Evidence().Notary(), witness: o.Witness, obs: o.Observer, log: o.Log}
}

type noObserver struct{}

func (noObserver) Request(string, string, int, time.Duration) {}
func (noObserver) Ingested(int, int, int, int)                {}
func (noObserver) Matched(int, int)                           {}

// MaxPurpose bounds the X-Fusion-Purpose header.
const MaxPurpose = 512

// route is one entry of the API: the route table below is the single list
// the mux is built from and the OpenAPI test compares against.
type route struct {
	method, pattern string
	// auth routes get the authenticated caller; public routes get nil.
	auth    bool
	limit   int64
	handler func(w http.ResponseWriter, r *http.Request, c *policy.Caller)
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/api/v1/openapi.json", false, 0, s.openapi},
		{"GET", "/api/v1/vocabulary", false, 0, s.vocabulary},
		{"GET", "/api/v1/whoami", true, 0, s.whoami},

		{"POST", "/api/v1/records", true, MaxBatchBody, s.createRecords},
		{"GET", "/api/v1/records", true, 0, s.listRecords},
		{"GET", "/api/v1/records/{id}", true, 0, s.getRecord},
		{"PATCH", "/api/v1/records/{id}", true, MaxBody, s.updateRecord},
		{"DELETE", "/api/v1/records/{id}", true, 0, s.revokeRecord},
		{"GET", "/api/v1/records/{id}/history", true, 0, s.recordHistory},

		{"POST", "/api/v1/reports", true, MaxBody * 2, s.createReport},
		{"GET", "/api/v1/reports", true, 0, s.listReports},
		{"GET", "/api/v1/reports/{id}", true, 0, s.getReport},
		{"PATCH", "/api/v1/reports/{id}", true, MaxBody * 2, s.updateReport},
		{"DELETE", "/api/v1/reports/{id}", true, 0, s.revokeReport},

		{"GET", "/api/v1/orgs", true, 0, s.listOrgs},
		{"GET", "/api/v1/orgs/{id}", true, 0, s.getOrg},
		{"GET", "/api/v1/groups", true, 0, s.listGroups},
		{"POST", "/api/v1/groups", true, MaxBody, s.createGroup},
		{"GET", "/api/v1/groups/{id}", true, 0, s.getGroup},
		{"POST", "/api/v1/groups/{id}/members", true, MaxBody, s.addMember},
		{"DELETE", "/api/v1/groups/{id}/members/{org}", true, 0, s.removeMember},
		{"GET", "/api/v1/tokens", true, 0, s.listTokens},
		{"POST", "/api/v1/tokens", true, MaxBody, s.createToken},
		{"DELETE", "/api/v1/tokens/{id}", true, 0, s.revokeToken},

		{"GET", "/api/v1/records/export", true, 0, s.exportRecords},
		{"POST", "/api/v1/stix/import", true, MaxSTIXBody, s.stixImport},
		{"GET", "/api/v1/stix/bundle", true, 0, s.stixBundle},
		{"POST", "/api/v1/misp/import", true, MaxMISPBody, s.mispImport},
		{"GET", "/api/v1/misp/event", true, 0, s.mispSearch},
		{"GET", "/api/v1/reports/{id}/misp", true, 0, s.reportMISP},
		{"GET", "/api/v1/tor/check", true, 0, s.torCheck},
		{"POST", "/api/v1/tor/import", true, MaxTorImportBody, s.torImport},
		{"POST", "/api/v1/hits", true, MaxHitsBody, s.hits},
		{"POST", "/api/v1/events", true, MaxBatchBody, s.events},
		{"GET", "/api/v1/sightings", true, 0, s.ownSightings},
		{"GET", "/api/v1/detections", true, 0, s.detections},
		{"POST", "/api/v1/sms/check", true, MaxSMSBody, s.smsCheck},
		{"POST", "/api/v1/sms/verified", true, MaxSMSBody, s.smsVerified},
		{"GET", "/api/v1/sms/blocks", true, 0, s.smsBlocks},
		{"POST", "/api/v1/sms/blocks/release", true, MaxBody, s.smsRelease},
		{"GET", "/api/v1/sms/apps/{app}/settings", true, 0, s.smsSettings},
		{"PUT", "/api/v1/sms/apps/{app}/settings", true, MaxSMSBody, s.smsConfigure},
		{"POST", "/api/v1/sms/blocks/share", true, MaxBody, s.smsShare},
		{"GET", "/api/v1/sms/apps", true, 0, s.smsApps},
		{"GET", "/api/v1/sms/apps/{app}", true, 0, s.smsApp},
		{"POST", "/api/v1/screen", true, MaxScreenBody, s.screenBooking},
		{"POST", "/api/v1/action-days", true, MaxBody, s.createActionDay},
		{"GET", "/api/v1/action-days", true, 0, s.listActionDays},
		{"GET", "/api/v1/action-days/{id}", true, 0, s.getActionDay},
		{"PATCH", "/api/v1/action-days/{id}", true, MaxBody, s.updateActionDay},
		{"POST", "/api/v1/action-days/{id}/bookings", true, MaxSubmitBody, s.submitBookings},
		{"GET", "/api/v1/action-days/{id}/bookings", true, 0, s.actionDayBookings},
		{"POST", "/api/v1/action-days/{id}/outcomes", true, MaxBody, s.recordOutcome},
		{"GET", "/api/v1/action-days/{id}/summary", true, 0, s.actionDaySummary},
		{"POST", "/api/v1/rule-packages", true, MaxRulePackageBody, s.createRulePackage},
		{"GET", "/api/v1/rule-packages", true, 0, s.listRulePackages},
		{"GET", "/api/v1/rule-packages/{id}", true, 0, s.getRulePackage},
		{"PUT", "/api/v1/rule-packages/{id}", true, MaxRulePackageBody, s.reviseRulePackage},
		{"DELETE", "/api/v1/rule-packages/{id}", true, 0, s.revokeRulePackage},
		{"POST", "/api/v1/access-requests", true, MaxBody, s.requestAccess},
		{"GET", "/api/v1/access-requests", true, 0, s.listAccessRequests},
		{"POST", "/api/v1/access-requests/{id}/approve", true, MaxBody, s.decideAccess(true)},
		{"POST", "/api/v1/access-requests/{id}/deny", true, MaxBody, s.decideAccess(false)},
		{"POST", "/api/v1/records/{id}/feedback", true, MaxBody, s.addFeedback},
		{"GET", "/api/v1/feedback", true, 0, s.feedback},
		{"PATCH", "/api/v1/orgs/{id}", true, MaxBody, s.updateOrg},

		{"GET", "/api/v1/evidence/checkpoint", true, 0, s.evidenceCheckpoint},
		{"GET", "/api/v1/evidence/key", false, 0, s.evidenceKey},
		{"GET", "/api/v1/evidence/entries", true, 0, s.evidenceEntries},
		{"GET", "/api/v1/evidence/bundle", true, 0, s.evidenceBundle},
		{"GET", "/api/v1/evidence/proof/inclusion", true, 0, s.evidenceInclusion},
		{"GET", "/api/v1/evidence/proof/consistency", true, 0, s.evidenceConsistency},
		{"POST", "/api/v1/witness/add-checkpoint", false, MaxWitnessBody, s.witnessAddCheckpoint},
		{"GET", "/api/v1/witness/key", false, 0, s.witnessKey},
	}
}

// Handler returns the http.Handler serving every route under /api/v1/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.pattern, s.observe(rt, s.wrap(rt)))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// Nothing matched this method; if another method matches the path, say so.
		probe := r.Clone(r.Context())
		for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
			probe.Method = m
			if _, p := mux.Handler(probe); p != "/" {
				writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
				return
			}
		}
		writeError(w, http.StatusNotFound, "not_found", "no route for "+r.Method+" "+r.URL.Path)
	})
	return s.recover(s.logRequests(mux))
}

// observe tells the observer how each request to rt ended.
func (s *Server) observe(rt route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.obs.Request(rt.method, rt.pattern, sw.status, time.Since(start))
	})
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes flushes on, for streamed answers.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		limit := rt.limit
		if limit == 0 {
			limit = MaxBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if !rt.auth {
			rt.handler(w, r, nil)
			return
		}
		c, err := s.hub.Authenticate(r.Context(), bearer(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if lw, ok := r.Context().Value(loggingKey{}).(*loggingWriter); ok {
			lw.org = c.Org
		}
		if c.Purpose, err = purpose(r); err != nil {
			s.fail(w, r, err)
			return
		}
		rt.handler(w, r, c)
	})
}

// purpose reads the X-Fusion-Purpose header: what the caller needs the data
// for, written into the evidence log with every change and disclosure.
func purpose(r *http.Request) (string, error) {
	p := strings.TrimSpace(r.Header.Get("X-Fusion-Purpose"))
	if len(p) > MaxPurpose {
		return "", &intel.FieldError{Field: "X-Fusion-Purpose", Reason: fmt.Sprintf("longer than %d bytes", MaxPurpose)}
	}
	if !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
		return "", &intel.FieldError{Field: "X-Fusion-Purpose", Value: p, Reason: "holds control characters or is not UTF-8"}
	}
	return p, nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// loggingKey finds the request's loggingWriter in its context, so that the
// authenticated organization can be logged.
type loggingKey struct{}

type loggingWriter struct {
	http.ResponseWriter
	status int
	org    string
}

func (w *loggingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Flush passes flushes on, for streamed answers.
func (w *loggingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *loggingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &loggingWriter{ResponseWriter: w}
		next.ServeHTTP(lw, r.WithContext(context.WithValue(r.Context(), loggingKey{}, lw)))
		level := slog.LevelInfo
		if lw.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", lw.status), slog.String("org", lw.org), slog.Duration("took", time.Since(start)))
	})
}

func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ *policy.Caller) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// Routes lists "METHOD /pattern" for every route served, for the OpenAPI test.
func Routes() []string {
	var out []string
	for _, rt := range (&Server{}).routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}
