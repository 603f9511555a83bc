package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"fusion/internal/api"
	"fusion/internal/demo"
	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/match"
	"fusion/internal/progress"
	"fusion/internal/tor"
)

func serve(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "fusion serve [--demo] [--addr ADDR] [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	addr := fs.String("addr", envOr(env, "FUSION_ADDR", "127.0.0.1:8080"), "listen `ADDR` ($FUSION_ADDR)")
	demoMode := fs.Bool("demo", false, "seed fictional organizations, groups and records into a fresh temporary data directory and print a token per organization")
	logFormat := fs.String("log-format", "text", "log `FORMAT`: text or json")
	logLevel := fs.String("log-level", "info", "log `LEVEL`: debug, info, warn or error")
	every := fs.Duration("checkpoint-interval", time.Minute, "sign an evidence checkpoint this often when the log has grown (0: only on demand)")
	poll := fs.Duration("index-poll", 250*time.Millisecond, "how often the match index picks up changed records")
	var witnesses, witnessKeys stringsFlag
	fs.Var(&witnesses, "witness", "`URL` of a witness (…/api/v1/witness of a partner hub) to send every new checkpoint to; repeatable, each with a --witness-key")
	fs.Var(&witnessKeys, "witness-key", "the cosignature verifier key `FILE` of the --witness of the same position")
	witnessFor := fs.String("witness-for", "", "act as a witness for the logs whose verifier keys are in `FILE` (one per line), at /api/v1/witness")
	witnessName := fs.String("witness-name", "", "this hub's `NAME` as a witness, used when its witness key is first created (default fusion-witness/HOST)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(env.Stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	if *demoMode {
		explicit := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
		if !explicit["data"] && !explicit["db"] {
			dir, err := os.MkdirTemp("", "fusion-demo-")
			if err != nil {
				return err
			}
			sf.data, sf.db = dir, ""
		}
	}
	h, err := sf.open(ctx, log, true) // refuses a log rolled back or rewritten behind the checkpoint file
	if err != nil {
		return err
	}
	defer h.Close()
	notary := h.Evidence().Notary()
	var witness *evidence.Witness
	if *witnessFor != "" {
		if witness, err = sf.witness(h, *witnessFor, *witnessName); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	if *demoMode {
		seeded, err := demo.Seed(ctx, h)
		if err != nil {
			ln.Close()
			return fmt.Errorf("seed demo: %w", err)
		}
		demo.PrintWelcome(env.Stdout, base, sf.data, seeded)
	}
	ix := match.New(0)
	feed := match.NewFeed(h.Store(), ix, log)
	bar := progress.New(env.Stderr, "indexing records", 0, "records")
	n, err := feed.Load(ctx, bar)
	bar.Finish()
	if err != nil {
		ln.Close()
		return fmt.Errorf("build the match index: %w", err)
	}
	if err := h.EnableMatching(ix, sf.secret, hub.DefaultLimits); err != nil {
		ln.Close()
		return err
	}
	go feed.Run(ctx, *poll)
	if err := loadTor(ctx, h, log); err != nil {
		ln.Close()
		return err
	}
	go reloadTor(ctx, h, log, 30*time.Second)
	log.Info("match index ready", "records", n)
	srv := &http.Server{
		Handler:           api.New(h, witness, log).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	log.Info("fusion serving", "addr", base, "store", h.Store().Dialect(), "evidence_key", notary.VerifierKey())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if len(witnesses) != len(witnessKeys) {
		return fmt.Errorf("%d --witness and %d --witness-key: give each witness its key", len(witnesses), len(witnessKeys))
	}
	clients := make([]*evidence.WitnessClient, len(witnesses))
	for i, u := range witnesses {
		v, err := witnessVerifier(witnessKeys[i])
		if err != nil {
			return err
		}
		clients[i] = &evidence.WitnessClient{URL: u, Verifier: v}
	}
	if *every > 0 {
		go checkpoints(ctx, h, clients, *every, log)
	}
	defer func() {
		// A last checkpoint covers what was logged since the previous one.
		if _, err := h.Evidence().Checkpoint(context.Background()); err != nil {
			log.Error("final evidence checkpoint", "err", err)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkpoints checks the evidence log every interval — it has not shrunk,
// agrees with the newest checkpoint in the database and in the checkpoint
// file, and what was appended since authenticates — and signs a checkpoint
// when it grew, sending each new one to the witnesses. A failed check halts
// the log (every write and disclosure then answers 503, /healthz too) and
// is logged at ERROR by the log itself.
func checkpoints(ctx context.Context, h *hub.Hub, witnesses []*evidence.WitnessClient, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if h.Evidence().Halted() != nil {
			continue
		}
		cp, err := h.Evidence().Checkpoint(ctx)
		if err != nil {
			if !errors.Is(err, evidence.ErrInconsistent) {
				log.Error("evidence checkpoint not signed", "err", err)
			}
			continue
		}
		log.Debug("evidence checkpoint", "size", cp.Size)
		if cp.Size == last {
			continue
		}
		last = cp.Size
		for _, w := range witnesses {
			if _, err := h.Evidence().Witness(ctx, w); err != nil {
				log.Warn("evidence checkpoint not co-signed", "witness", w.URL, "err", err)
			}
		}
	}
}

// loadTor loads the Tor directory (for /api/v1/tor/check and the cautions
// on sightings and hits on exit addresses).
func loadTor(ctx context.Context, h *hub.Hub, log *slog.Logger) error {
	d, err := tor.LoadDirectory(ctx, h.Store())
	if err != nil {
		return err
	}
	h.SetTorDirectory(d)
	from, to := d.Span()
	log.Info("tor data loaded", "consensuses", d.Consensuses(), "from", from, "until", to)
	return nil
}

// reloadTor reloads the Tor directory when `fusion tor import` has added
// data, checking every interval.
func reloadTor(ctx context.Context, h *hub.Hub, log *slog.Logger, every time.Duration) {
	c0, s0, _ := h.Store().TorState(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, s, err := h.Store().TorState(ctx)
		if err != nil || c == c0 && s == s0 {
			continue
		}
		if err := loadTor(ctx, h, log); err != nil {
			log.Error("reload tor data", "err", err)
			continue
		}
		c0, s0 = c, s
	}
}
