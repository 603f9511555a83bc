package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/observable"
)

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	data, db, cardKey, evidenceKey, origin string
	// secret is the card key once loaded: it also keys opaque references
	// and the hashes of hit/no-hit values.
	secret []byte
}

func addStoreFlags(fs *flag.FlagSet, env *Env) *storeFlags {
	f := &storeFlags{}
	fs.StringVar(&f.data, "data", envOr(env, "FUSION_DATA", "fusion-data"), "data `DIR`: the SQLite database and the hub's keys ($FUSION_DATA)")
	fs.StringVar(&f.db, "db", env.Getenv("FUSION_DB"), "PostgreSQL `URL` (postgres://...) instead of SQLite in --data ($FUSION_DB)")
	fs.StringVar(&f.cardKey, "card-key-file", env.Getenv("FUSION_CARD_KEY_FILE"), "`FILE` holding the key card numbers are hashed with (default DIR/secrets/card.key) ($FUSION_CARD_KEY_FILE)")
	fs.StringVar(&f.evidenceKey, "evidence-key-file", env.Getenv("FUSION_EVIDENCE_KEY_FILE"), "`FILE` holding the key evidence checkpoints are signed with (default DIR/secrets/evidence.key) ($FUSION_EVIDENCE_KEY_FILE)")
	fs.StringVar(&f.origin, "origin", envOr(env, "FUSION_ORIGIN", defaultOrigin()), "the evidence log's `NAME` (its checkpoints' origin line), used when the signing key is first created")
	return f
}

func envOr(env *Env, name, def string) string {
	if v := env.Getenv(name); v != "" {
		return v
	}
	return def
}

// open opens the store and returns a hub over it. With needKey the card key
// is loaded, or created on first use; without it the hub can administer the
// directory but not parse records. The evidence log's signing key is loaded
// (or created on first use) and the log is checked against the checkpoint
// file outside the database (evidence.Log.Open) before the hub is returned:
// nothing is written to a log found rolled back or rewritten.
func (f *storeFlags) open(ctx context.Context, log *slog.Logger, needKey bool) (*hub.Hub, error) {
	dsn := f.db
	if dsn == "" {
		if err := os.MkdirAll(f.data, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		dsn = hub.SQLitePath(f.data)
	}
	notary, err := f.notary(true)
	if err != nil {
		return nil, err
	}
	var canon *observable.Canonicalizer
	if needKey {
		key, err := loadOrCreateKey(f.keyPath())
		if err != nil {
			return nil, err
		}
		if canon, err = observable.New(key); err != nil {
			return nil, err
		}
		f.secret = key
	}
	return hub.Open(ctx, hub.Config{DSN: dsn, Canon: canon, Notary: notary, Anchor: f.anchorPath(), Log: log})
}

// witness returns this hub's witness for the logs whose verifier keys are
// in keysFile, with its key in DIR/secrets/witness.key (created on first
// use, its cosignature verifier key written to DIR/witness.pub).
func (f *storeFlags) witness(h *hub.Hub, keysFile, name string) (*evidence.Witness, error) {
	data, err := os.ReadFile(keysFile)
	if err != nil {
		return nil, fmt.Errorf("witnessed logs: %w", err)
	}
	var keys []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			keys = append(keys, l)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("witnessed logs: %s names no verifier key", keysFile)
	}
	path := filepath.Join(f.data, "secrets", "witness.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if name == "" {
			name = strings.Replace(defaultOrigin(), "fusion/", "fusion-witness/", 1)
		}
		skey, vkey, err := evidence.GenerateWitnessKey(name)
		if err != nil {
			return nil, err
		}
		if err := writeSecret(path, skey+"\n"); err != nil {
			return nil, fmt.Errorf("witness key: %w", err)
		}
		if err := os.WriteFile(filepath.Join(f.data, "witness.pub"), []byte(vkey+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("witness public key: %w", err)
		}
		b = []byte(skey)
	} else if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	return evidence.NewWitness(h.Evidence(), strings.TrimSpace(string(b)), keys)
}

// anchorPath is the checkpoint file outside the database.
// secretsDir is the directory of the hub's secrets.
func (f *storeFlags) secretsDir() string { return filepath.Join(f.data, "secrets") }

func (f *storeFlags) anchorPath() string { return filepath.Join(f.data, "evidence", "checkpoints") }

func defaultOrigin() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return "fusion/" + strings.ToLower(host)
}

func (f *storeFlags) evidenceKeyPath() string {
	if f.evidenceKey != "" {
		return f.evidenceKey
	}
	return filepath.Join(f.data, "secrets", "evidence.key")
}

// notary loads the hub's checkpoint signing key, creating it (and writing
// its public half to DIR/evidence.pub) when create is set and it is missing.
func (f *storeFlags) notary(create bool) (*evidence.Notary, error) {
	path := f.evidenceKeyPath()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		skey, vkey, err := evidence.GenerateKey(f.origin)
		if err != nil {
			return nil, fmt.Errorf("evidence key: %w", err)
		}
		if err := writeSecret(path, skey+"\n"); err != nil {
			return nil, fmt.Errorf("evidence key: %w", err)
		}
		if err := os.MkdirAll(f.data, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		if err := os.WriteFile(filepath.Join(f.data, "evidence.pub"), []byte(vkey+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("evidence public key: %w", err)
		}
		return evidence.NewNotary(skey)
	}
	if err != nil {
		return nil, fmt.Errorf("evidence key: %w", err)
	}
	return evidence.NewNotary(strings.TrimSpace(string(b)))
}

// writeSecret creates path (mode 0600) with content; it never overwrites.
func writeSecret(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (f *storeFlags) keyPath() string {
	if f.cardKey != "" {
		return f.cardKey
	}
	return filepath.Join(f.data, "secrets", "card.key")
}

// loadOrCreateKey reads a 32-byte hex key from path, creating it (mode 0600)
// if it does not exist. Losing this key makes stored card hashes unmatchable;
// every hub sharing one PostgreSQL database must use the same key.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := writeSecret(path, hex.EncodeToString(key)+"\n"); err != nil {
			return nil, fmt.Errorf("card key %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("card key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("card key %s: must hold at least 32 bytes as hex", path)
	}
	return key, nil
}
