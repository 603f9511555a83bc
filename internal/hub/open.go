package hub

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"fusion/internal/evidence"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/store"
	"fusion/internal/tor"
)

// Config is what Open needs.
type Config struct {
	// DSN names the store: a postgres:// URL, or a SQLite file path.
	DSN string
	// Canon parses records (it holds the card key); nil for a hub that only
	// administers the directory.
	Canon *observable.Canonicalizer
	// Notary signs checkpoints and authenticates evidence leaves.
	Notary *evidence.Notary
	// Anchor is the checkpoint file outside the database.
	Anchor string
	Log    *slog.Logger
}

// Open opens the store named by cfg.DSN (creating a SQLite file, and
// applying migrations) and returns a hub over it, after checking its
// evidence log against the checkpoint file (evidence.Log.Open): nothing is
// written to a log found rolled back or rewritten.
func Open(ctx context.Context, cfg Config) (*Hub, error) {
	st, err := store.Open(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	var anchor *evidence.Anchor
	if cfg.Anchor != "" {
		anchor = evidence.NewAnchor(cfg.Anchor)
	}
	ev := evidence.New(st, cfg.Notary, evidence.Config{Anchor: anchor, Logger: cfg.Log})
	if err := ev.Open(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("refusing to use this store: %w", err)
	}
	return New(st, cfg.Canon, ev, cfg.Log), nil
}

// SQLitePath is the database file inside a data directory.
func SQLitePath(dataDir string) string { return store.SQLitePath(filepath.Clean(dataDir)) }

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool { return store.IsPostgres(dsn) }

// Redact hides a password in a DSN so that it can be shown.
func Redact(dsn string) string { return store.Redact(dsn) }

// ErrNoStore means there is no fusion store where one was named.
var ErrNoStore = store.ErrNoStore

// VerifyEvidence runs the evidence verifier over the store named by dsn,
// which must already exist (a mistyped path is ErrNoStore, never an empty
// store that verifies).
func VerifyEvidence(ctx context.Context, dsn string, opt evidence.VerifyOptions) (*evidence.Report, error) {
	st, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return evidence.Verify(ctx, st, opt)
}

// Ping reports whether the store answers.
func (h *Hub) Ping(ctx context.Context) error { return h.store.DB().PingContext(ctx) }

// Dialect names the store's database: "sqlite" or "postgres".
func (h *Hub) Dialect() string { return h.store.Dialect() }

// EvidenceSize returns the evidence log's committed size.
func (h *Hub) EvidenceSize(ctx context.Context) (int64, error) { return h.ev.Size(ctx) }

// NewFeed returns the change feed that keeps ix current with the store.
func (h *Hub) NewFeed(ix *match.Index, log *slog.Logger) *match.Feed {
	return match.NewFeed(h.store, ix, log)
}

// LoadTor reads the Tor data into memory and makes it the directory checks
// and cautions use.
func (h *Hub) LoadTor(ctx context.Context) (*tor.Directory, error) {
	d, err := tor.LoadDirectory(ctx, h.store)
	if err != nil {
		return nil, err
	}
	h.SetTorDirectory(d)
	return d, nil
}

// TorImports counts the imports of Tor data so far, by this process or
// another: when it changes, LoadTor has something new to load.
func (h *Hub) TorImports(ctx context.Context) (int64, error) {
	return h.store.TorImports(ctx)
}
