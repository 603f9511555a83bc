// Package server is the hub's front: one router that mounts every surface
// — the JSON API under /api/v1/, TAXII 2.1 under /taxii2/, the MISP feed
// under /misp/feed/, /healthz, /metrics, and the web UI at / — and one
// daemon
// that owns every background job (the match index's change feed, reloading
// the Tor data, checkpoints and their witnesses), with a clean shutdown.
// `fusion serve` builds a Server and runs it.
package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"fusion/internal/api"
	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/match"
	"fusion/internal/misp/feedserver"
	"fusion/internal/progress"
	"fusion/internal/taxii"
	"fusion/internal/ui"
)

// Config is what a Server runs.
type Config struct {
	Hub *hub.Hub
	// Secret keys the opaque references and value hashes of matching.
	Secret []byte
	Limits hub.Limits
	// Witness, if not nil, makes this hub co-sign other logs' checkpoints.
	Witness *evidence.Witness
	// Witnesses are sent every new checkpoint of this hub's log.
	Witnesses []*evidence.WitnessClient
	// CheckpointEvery is how often the evidence log is checked and, when it
	// grew, a checkpoint signed (0: only on demand).
	CheckpointEvery time.Duration
	// IndexPoll is how often the match index picks up changed records.
	IndexPoll time.Duration
	// TorReload is how often the daemon looks for Tor imports made by
	// other processes (fusion tor import) and reloads the data.
	TorReload time.Duration
	// Secrets is the directory of the hub's secrets: partner hubs' tokens
	// are in its partners/ (PartnerTokenFile).
	Secrets string
	// FederationTick is how often the federation job looks for partners
	// due to be pulled (each has its own interval).
	FederationTick time.Duration
	// SMSSaveEvery is how often the SMS-pumping guards' state is saved to
	// the store (default a minute), ScreenSaveEvery the inline booking
	// screeners' new bookings (default two seconds, so that a busy
	// engine's saves stay small); both are saved when the server stops
	// too.
	SMSSaveEvery, ScreenSaveEvery time.Duration
	// Auth signs users in to the web UI; nil: the hub's users
	// (HubAuth).
	Auth ui.Auth
	Log  *slog.Logger
}

// Server is the router and the daemon.
type Server struct {
	cfg     Config
	metrics *metrics
	index   *match.Index
	feed    *match.Feed
	handler http.Handler
	jobs    sync.WaitGroup
}

// New returns a Server over cfg.Hub. Nothing runs until Start.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.TorReload == 0 {
		cfg.TorReload = 2 * time.Second
	}
	if cfg.IndexPoll == 0 {
		cfg.IndexPoll = 250 * time.Millisecond
	}
	if cfg.ScreenSaveEvery == 0 {
		cfg.ScreenSaveEvery = 2 * time.Second
	}
	if cfg.SMSSaveEvery == 0 {
		cfg.SMSSaveEvery = time.Minute
	}
	if cfg.FederationTick == 0 {
		cfg.FederationTick = time.Second
	}
	s := &Server{cfg: cfg, index: match.New(0)}
	s.metrics = newMetrics(cfg.Hub, s.index)
	s.handler = s.routes()
	return s
}

// Registry is the Prometheus registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Handler is the router.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	a := api.New(s.cfg.Hub, api.Options{Witness: s.cfg.Witness, Observer: s.metrics, Log: s.cfg.Log})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.Handle("/taxii2/", taxii.New(s.cfg.Hub, taxii.Options{Log: s.cfg.Log}).Handler())
	mux.Handle(feedserver.Prefix, feedserver.Handler(s.cfg.Hub, s.cfg.Log))
	auth := s.cfg.Auth
	if auth == nil && s.cfg.Hub != nil {
		auth = HubAuth(s.cfg.Hub)
	}
	uo := ui.Options{Auth: auth, Hub: s.cfg.Hub, Key: uiKey(s.cfg.Secret), Log: s.cfg.Log}
	if s.cfg.Hub != nil && s.cfg.Hub.Evidence() != nil {
		uo.Evidence = s.cfg.Hub.Evidence()
	}
	mux.Handle("/", ui.Handler(uo))
	return mux
}

// uiKey derives the web UI's CSRF key from the hub's secret, so that the
// secret itself keys nothing but matching.
func uiKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("fusion web ui csrf key"))
	return m.Sum(nil)
}

// Routes lists "METHOD /pattern" for every route served outside /api/v1/
// and inside it, for the OpenAPI test.
func Routes() []string {
	return append(api.Routes(), "GET /healthz", "GET /metrics")
}

// healthz answers 200 only while the hub can serve: its store answers and
// its evidence log was not found inconsistent (then 503, with the reason).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.cfg.Hub.Evidence().Halted(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "evidence_inconsistent", err.Error())
		return
	}
	if err := s.cfg.Hub.Ping(r.Context()); err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "store does not answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"status":"ok"}`)
}

// Start builds the match index from the store and loads the Tor data,
// gives the hub the index, then starts the background jobs; they stop when
// ctx ends (Wait waits for them). bar, if not nil, counts indexed records.
func (s *Server) Start(ctx context.Context, bar *progress.Bar) error {
	h, log := s.cfg.Hub, s.cfg.Log
	s.feed = h.NewFeed(s.index, log)
	n, err := s.feed.Load(ctx, bar)
	if err != nil {
		return fmt.Errorf("build the match index: %w", err)
	}
	if err := h.EnableMatching(s.index, s.cfg.Secret, s.cfg.Limits); err != nil {
		return err
	}
	log.Info("match index ready", "records", n)
	d, err := h.LoadTor(ctx)
	if err != nil {
		return err
	}
	if d.Consensuses() == 0 {
		log.Info("no tor data: tor checks answer \"no data\" until some is imported")
	} else {
		from, to := d.Span()
		log.Info("tor data loaded", "consensuses", d.Consensuses(), "from", from, "until", to)
	}
	s.run(ctx, "index feed", func(ctx context.Context) { s.feed.Run(ctx, s.cfg.IndexPoll) })
	s.run(ctx, "tor reload", s.reloadTor)
	s.run(ctx, "federation", s.federate)
	h.KeepScreenState()
	s.run(ctx, "sms state", func(ctx context.Context) { s.every(ctx, s.cfg.SMSSaveEvery, s.saveSMS) })
	s.run(ctx, "screen state", func(ctx context.Context) { s.every(ctx, s.cfg.ScreenSaveEvery, s.saveScreens) })
	if s.cfg.CheckpointEvery > 0 {
		s.run(ctx, "checkpoints", s.checkpoints)
	}
	return nil
}

// run starts job in the daemon.
func (s *Server) run(ctx context.Context, name string, job func(context.Context)) {
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		job(ctx)
		s.cfg.Log.Debug("job stopped", "job", name)
	}()
}

// Wait waits for every background job to stop (after ctx of Start ended).
func (s *Server) Wait() { s.jobs.Wait() }

// Serve serves on ln until ctx ends, then shuts down: it stops accepting,
// lets requests finish (up to 15 s), waits for the jobs to stop, and signs
// a last checkpoint of what was logged since the previous one.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		err = srv.Shutdown(shut)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	s.Wait()
	s.saveSMS(context.WithoutCancel(ctx), slog.LevelInfo)
	s.saveScreens(context.WithoutCancel(ctx), slog.LevelInfo)
	if _, cerr := s.cfg.Hub.Evidence().Checkpoint(context.WithoutCancel(ctx)); cerr != nil && !errors.Is(cerr, evidence.ErrInconsistent) {
		s.cfg.Log.Error("final evidence checkpoint", "err", cerr)
	}
	return err
}

// checkpoints checks the evidence log every interval — it has not shrunk,
// agrees with the newest checkpoint in the database and in the checkpoint
// file, and what was appended since authenticates — and signs a checkpoint
// when it grew, sending each new one to the witnesses. A failed check halts
// the log (every write and disclosure then answers 503, /healthz too),
// which the log reports at ERROR itself.
func (s *Server) checkpoints(ctx context.Context) {
	ev, log := s.cfg.Hub.Evidence(), s.cfg.Log
	t := time.NewTicker(s.cfg.CheckpointEvery)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ev.Halted() != nil {
			continue
		}
		cp, err := ev.Checkpoint(ctx)
		if err != nil {
			if !errors.Is(err, evidence.ErrInconsistent) && ctx.Err() == nil {
				log.Error("evidence checkpoint not signed", "err", err)
			}
			continue
		}
		log.Debug("evidence checkpoint", "size", cp.Size)
		if cp.Size == last {
			continue
		}
		last = cp.Size
		for _, w := range s.cfg.Witnesses {
			if _, err := ev.Witness(ctx, w); err != nil && ctx.Err() == nil {
				log.Warn("evidence checkpoint not co-signed", "witness", w.URL, "err", err)
			}
		}
	}
}

// every calls do every d until ctx is done.
func (s *Server) every(ctx context.Context, d time.Duration, do func(context.Context, slog.Level)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		do(ctx, slog.LevelDebug)
	}
}

// saveSMS saves the SMS-pumping guards' state, logging what it saved at
// level, and what it could not.
func (s *Server) saveSMS(ctx context.Context, level slog.Level) {
	if n, size, err := s.cfg.Hub.SaveSMS(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("sms guard state not saved", "err", err)
	} else if n > 0 {
		s.cfg.Log.Log(ctx, level, "sms guard state saved", "guards", n, "bytes", size)
	}
}

// saveScreens saves the inline screeners' new bookings, logging what it
// saved at level, and what it could not.
func (s *Server) saveScreens(ctx context.Context, level slog.Level) {
	if n, size, err := s.cfg.Hub.SaveScreens(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("inline screener state not saved", "err", err)
	} else if n > 0 {
		s.cfg.Log.Log(ctx, level, "inline screener state saved", "screeners", n, "bytes", size)
	}
}

// reloadTor reloads the Tor data when an import (`fusion tor import`, or
// one through the API in another process) has added some.
func (s *Server) reloadTor(ctx context.Context) {
	h, log := s.cfg.Hub, s.cfg.Log
	n0, _ := h.TorImports(ctx)
	t := time.NewTicker(s.cfg.TorReload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := h.TorImports(ctx)
		if err != nil || n == n0 {
			continue
		}
		d, err := h.LoadTor(ctx)
		if err != nil {
			log.Error("reload tor data", "err", err)
			continue
		}
		from, to := d.Span()
		log.Info("tor data reloaded", "consensuses", d.Consensuses(), "from", from, "until", to)
		n0 = n
	}
}

// writeError writes the API's error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	json.NewEncoder(w).Encode(struct {
		Error apiError `json:"error"`
	}{apiError{code, msg}})
}
