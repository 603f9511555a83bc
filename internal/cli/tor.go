package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/progress"
	"fusion/internal/tor"
	"fusion/internal/zeek"
)

// parseMixed parses flags that may come before, between or after the
// positional arguments, and returns the positional arguments.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseWhen reads a time as investigators write it: RFC 3339, or
// "2006-01-02 15:04[:05]" and "2006-01-02" taken as UTC, or Unix seconds.
func parseWhen(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse("2006-01-02 15:04:05Z07:00", s); err == nil {
		return t.UTC(), nil
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil && fmt.Sprint(sec) == s {
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("time %q: not RFC 3339 (2017-04-15T00:30:00Z), a UTC date and time (2017-04-15 00:30) or Unix seconds", s)
}

// openTor opens the store named by the flags.
func openTor(ctx context.Context, env *Env, sf *storeFlags) (*hub.Hub, error) {
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return sf.open(ctx, log, false)
}

// loadDirectory reads the Tor data of the store named by the flags into
// memory; the store is closed again.
func loadDirectory(ctx context.Context, env *Env, sf *storeFlags) (*tor.Directory, error) {
	h, err := openTor(ctx, env, sf)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return h.LoadTor(ctx)
}

func torImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "tor import", "fusion tor import [store flags] PATH...\n\n"+
		"Imports Tor consensuses and exit lists (files, directories, CollecTor .tar and .tar.xz\n"+
		"archives). Consensuses already imported are skipped, so reimporting is harmless.")
	sf := addStoreFlags(fs, env)
	asJSON := fs.Bool("json", false, "print the import's figures as JSON")
	paths, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "at least one PATH is required")
		fs.Usage()
		return errUsage
	}
	h, err := openTor(ctx, env, sf)
	if err != nil {
		return err
	}
	defer h.Close()
	began := time.Now()
	bar := progress.New(env.Stderr, "importing Tor documents", 0, "documents")
	stats, err := h.ImportTor(ctx, nil, paths, bar)
	bar.Finish()
	var skip *tor.SkipError
	if err != nil && !errors.As(err, &skip) {
		return err
	}
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(stats)
	} else {
		fmt.Fprintf(env.Stdout, "imported %d consensuses (%d already held), %d relay entries as %d intervals, %d exit lists with %d exit scans in %v\n",
			stats.Consensuses, stats.Skipped, stats.Relays, stats.Intervals, stats.ExitLists, stats.ExitScans, time.Since(began).Round(time.Millisecond))
	}
	if skip != nil {
		// Directories hold other files (READMEs, licences): say what was
		// passed over, and fail only when nothing could be read.
		fmt.Fprintf(env.Stderr, "warning: %v\n", skip)
		if stats.Consensuses+stats.Skipped+stats.ExitLists == 0 {
			return errors.New("no consensus or exit list found")
		}
	}
	return nil
}

func torCheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "tor check", "fusion tor check [store flags] IP TIME [--window 1h] [--json]\n\n"+
		"Was IP a Tor relay or exit at TIME? Prints a verdict to paste into a report.")
	sf := addStoreFlags(fs, env)
	window := fs.Duration("window", time.Hour, "also count listings within this `DURATION` either side of TIME")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fmt.Fprintln(env.Stderr, "IP and TIME are required")
		fs.Usage()
		return errUsage
	}
	ip, err := netip.ParseAddr(pos[0])
	if err != nil {
		return fmt.Errorf("ip %q: not an IPv4 or IPv6 address", pos[0])
	}
	t, err := parseWhen(pos[1])
	if err != nil {
		return err
	}
	if *window < 0 || *window > 30*24*time.Hour {
		return fmt.Errorf("--window %v: must be from 0 to 720h", *window)
	}
	d, err := loadDirectory(ctx, env, sf)
	if err != nil {
		return err
	}
	ans := d.Check(ip, t, *window)
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(ans)
	}
	fmt.Fprintln(env.Stdout, ans.Verdict)
	return nil
}

func torExits(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "tor exits", "fusion tor exits [store flags] --at TIME\n\n"+
		"Prints the exit relays' addresses valid at TIME as JSON lines of records (label tor-exit,\n"+
		"TLP clear), ready for POST /api/v1/records.")
	sf := addStoreFlags(fs, env)
	at := fs.String("at", "", "the `TIME` (RFC 3339, a UTC date and time, or Unix seconds)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "at"); err != nil {
		return err
	}
	t, err := parseWhen(*at)
	if err != nil {
		return err
	}
	d, err := loadDirectory(ctx, env, sf)
	if err != nil {
		return err
	}
	if !d.Covers(t) {
		from, to := d.Span()
		return fmt.Errorf("--at %s: no consensus held for that time (held: %d consensuses from %s to %s)", t.Format(time.RFC3339), d.Consensuses(), from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	w := bufio.NewWriter(env.Stdout)
	enc := json.NewEncoder(w)
	conf := 95
	for _, iv := range d.ExitsAt(t) {
		typ := "ipv4"
		if iv.Addr.Is6() {
			typ = "ipv6"
		}
		first, last, until := iv.First, iv.Ends, iv.Ends.Add(2*time.Hour)
		in := intel.RecordInput{Type: typ, Value: iv.Addr.String(), TLP: "clear", Labels: []string{"tor-exit"}, Confidence: &conf,
			Description: fmt.Sprintf("Tor exit relay %s (%s), listed at this address from %s to %s (Exit flag: %t, exit policy allows exiting: %t). Traffic from it comes from Tor users, not its operator.",
				iv.Nickname, iv.Fingerprint, iv.First.Format(time.RFC3339), iv.Ends.Format(time.RFC3339), iv.ExitFlag, iv.ExitPolicy),
			FirstSeen: &first, LastSeen: &last, ValidUntil: &until}
		if err := enc.Encode(in); err != nil {
			return err
		}
	}
	return w.Flush()
}

func torScan(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "tor scan", "fusion tor scan [store flags] --in conn.log [--in dns.log] [--window 1h]\n\n"+
		"Finds internal hosts that connected to Tor relays' ORPorts or DirPorts, and .onion lookups,\n"+
		"using the Tor data imported with `fusion tor import`. Writes JSON lines of findings\n"+
		"(kind tor-use) that `fusion exercise score` reads.")
	sf := addStoreFlags(fs, env)
	var ins []string
	fs.Func("in", "a Zeek conn or dns log `FILE` (TSV or JSON, gzip or not); repeat for several", func(v string) error {
		ins = append(ins, v)
		return nil
	})
	window := fs.Duration("window", time.Hour, "a relay counts if listed within this `DURATION` of the connection")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(ins) == 0 {
		fmt.Fprintln(env.Stderr, "flag --in is required")
		fs.Usage()
		return errUsage
	}
	d, err := loadDirectory(ctx, env, sf)
	if err != nil {
		return err
	}
	if d.Consensuses() == 0 {
		return errors.New("no Tor consensus imported: run `fusion tor import` first")
	}
	s := tor.NewScanner(d, *window)
	for _, in := range ins {
		if err := scanFile(env, s, in); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(env.Stdout)
	enc := json.NewEncoder(w)
	found := s.Findings()
	for i := range found {
		if err := enc.Encode(&found[i]); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stderr, "%d Tor sessions found\n", len(found))
	return w.Flush()
}

func scanFile(env *Env, s *tor.Scanner, path string) error {
	r, bar, closeIn, err := openCounted(env, "scanning", path)
	if err != nil {
		return err
	}
	defer closeIn()
	defer bar.Finish()
	zr, err := zeek.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := s.Log(zr); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
