package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"fusion/internal/demo"
	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/observable"
	"fusion/internal/progress"
	"fusion/internal/server"
	"fusion/internal/warninglist"
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
	minV4 := fs.Int("widest-ipv4-prefix", 8, "refuse IPv4 prefixes wider than /`BITS` (warning list wide-prefix)")
	minV6 := fs.Int("widest-ipv6-prefix", 24, "refuse IPv6 prefixes wider than /`BITS` (warning list wide-prefix)")
	var listFiles, listsOff stringsFlag
	fs.Var(&listFiles, "warning-list", "add the warning list in `FILE` (addresses, prefixes, domains, \"*.domain\"; one per line), or a MISP warning list (list.json), or every MISP list.json under a directory (a misp-warninglists checkout); repeatable")
	fs.Var(&listsOff, "warning-list-off", "do not check submissions against the built-in warning list `NAME` (private, loopback, link-local, documentation, bogon, special-domains, popular-domains, public-resolvers, wide-prefix); repeatable or comma-separated")
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
	lists, err := warningLists(h, listFiles, listsOff, *demoMode, log)
	if err != nil {
		return err
	}
	if *minV4 < 0 || *minV4 > 32 || *minV6 < 0 || *minV6 > 128 {
		return fmt.Errorf("--widest-ipv4-prefix %d, --widest-ipv6-prefix %d: must be 0 to 32 and 0 to 128", *minV4, *minV6)
	}
	if lists.MinBitsV4 != 0 || lists.MinBitsV6 != 0 { // not switched off
		lists.MinBitsV4, lists.MinBitsV6 = *minV4, *minV6
	}
	h.SetWarningLists(lists)
	log.Info("warning lists", "lists", strings.Join(lists.Names(), ","))
	notary := h.Evidence().Notary()
	var witness *evidence.Witness
	if *witnessFor != "" {
		if witness, err = sf.witness(h, *witnessFor, *witnessName); err != nil {
			return err
		}
	}

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

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	srv := server.New(server.Config{Hub: h, Secret: sf.secret, Limits: hub.DefaultLimits, Witness: witness, Witnesses: clients,
		CheckpointEvery: *every, IndexPoll: *poll, Secrets: sf.secretsDir(), Log: log})
	bar := progress.New(env.Stderr, "indexing records", 0, "records")
	err = srv.Start(ctx, bar)
	bar.Finish()
	if err != nil {
		ln.Close()
		return err
	}
	if *demoMode { // after Start: the demo's sightings and hits need the match index
		seeded, err := demo.Seed(ctx, h)
		if err != nil {
			ln.Close()
			return fmt.Errorf("seed demo: %w", err)
		}
		demo.PrintWelcome(env.Stdout, base, sf.data, seeded)
	}
	log.Info("fusion serving", "addr", base, "store", h.Dialect(), "evidence_key", notary.VerifierKey())
	return srv.Serve(ctx, ln)
}

// warningLists builds the lists serve checks submissions against: the
// built-in ones but those switched off, and those in files. The demo's
// values are documentation addresses and example names, so it starts from
// warninglist.Fictional.
func warningLists(h *hub.Hub, files, off []string, demo bool, log *slog.Logger) (*warninglist.Set, error) {
	set := warninglist.Default()
	if demo {
		set = warninglist.Fictional()
	}
	var names []string
	for _, o := range off {
		for n := range strings.SplitSeq(o, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	set, err := set.Without(names...)
	if err != nil {
		return nil, fmt.Errorf("--warning-list-off: %w", err)
	}
	for _, path := range files {
		loaded, err := loadWarningList(path, h.Canonicalizer(), log)
		if err != nil {
			return nil, fmt.Errorf("--warning-list: %w", err)
		}
		for _, l := range loaded {
			set = set.With(l)
		}
	}
	return set, nil
}

// loadWarningList reads the list or lists at path: every MISP list.json
// under a directory; a MISP warning list when the file's first non-space
// byte is "{"; a plain list otherwise. What was loaded, refused and
// skipped is logged.
func loadWarningList(path string, c *observable.Canonicalizer, log *slog.Logger) ([]*warninglist.List, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		d, err := warninglist.LoadMISPDir(path, c)
		if err != nil {
			return nil, err
		}
		log.Info("MISP warning lists", "dir", path, "files", d.Files, "loaded", len(d.Lists), "refused", len(d.Refused), "entries_skipped", d.Skipped)
		for _, r := range d.Refused {
			log.Warn("MISP warning list not loaded", "reason", r)
		}
		return d.Lists, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if warninglist.IsMISP(data) {
		l, skips, err := warninglist.ParseMISP(data, path, c)
		if err != nil {
			return nil, err
		}
		log.Info("MISP warning list", "file", path, "list", l.Name, "entries_skipped", skips.String())
		return []*warninglist.List{l}, nil
	}
	l, err := warninglist.Parse(bytes.NewReader(data), path, c)
	if err != nil {
		return nil, err
	}
	return []*warninglist.List{l}, nil
}
