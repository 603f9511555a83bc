package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
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
		micro := ""
		if stats.Microdesc > 0 {
			micro = fmt.Sprintf(" (%d microdescriptor consensus%s passed over)", stats.Microdesc, map[bool]string{true: "", false: "es"}[stats.Microdesc == 1])
		}
		fmt.Fprintf(env.Stdout, "imported %d consensuses (%d already held)%s, %d relay entries as %d intervals, %d exit lists with %d exit scans in %v\n",
			stats.Consensuses, stats.Skipped, micro, stats.Relays, stats.Intervals, stats.ExitLists, stats.ExitScans, time.Since(began).Round(time.Millisecond))
	}
	if skip != nil {
		// Directories hold other files (READMEs, licences): say what was
		// passed over, and fail only when nothing could be read.
		fmt.Fprintf(env.Stderr, "warning: %v\n", skip)
		if stats.Consensuses+stats.Skipped+stats.ExitLists == 0 && stats.Microdesc > 0 {
			return errors.New("only microdescriptor consensuses found: they have no exit policies; import the full consensuses")
		}
		if stats.Consensuses+stats.Skipped+stats.ExitLists == 0 {
			return errors.New("no consensus or exit list found")
		}
	}
	return nil
}

func torCheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "tor check", "fusion tor check [store flags] IP TIME [--window 1h] [--like-exonerator] [--json]\n\n"+
		"Was IP a Tor relay or exit at TIME? Prints a verdict to paste into a report. It says \"not a\n"+
		"relay\" only when consensuses held cover the whole window, and \"no data\" for what they do not\n"+
		"cover. --like-exonerator asks ExoneraTor's question instead: the UTC date of TIME and the day\n"+
		"either side, exits by exit policy, exit scans only of relays listed then (docs/tor.md).")
	sf := addStoreFlags(fs, env)
	window := fs.Duration("window", time.Hour, "also count listings within this `DURATION` either side of TIME")
	exonerator := fs.Bool("like-exonerator", false, "answer by ExoneraTor's rules (a date, ± 1 day; --window does not apply)")
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
	ip, err := tor.ParseIP(pos[0])
	if err != nil {
		return err
	}
	t, err := parseWhen(pos[1])
	if err != nil {
		return err
	}
	if *window < 0 || *window > 30*24*time.Hour {
		return fmt.Errorf("--window %v: must be from 0 to 720h", *window)
	}
	windowSet := false
	fs.Visit(func(f *flag.Flag) { windowSet = windowSet || f.Name == "window" })
	if *exonerator && windowSet {
		return errors.New("--window and --like-exonerator: ExoneraTor's rule has its own period (the date ± 1 day); give one of them")
	}
	d, err := loadDirectory(ctx, env, sf)
	if err != nil {
		return err
	}
	var ans tor.Answer
	if *exonerator {
		ans = d.CheckLikeExoneraTor(ip, t)
	} else {
		ans = d.Check(ip, t, *window)
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(ans)
	}
	fmt.Fprintln(env.Stdout, ans.Verdict)
	return nil
}

func torExits(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "tor exits", "fusion tor exits [store flags] --at TIME [--window 1h]\n\n"+
		"Prints the addresses that `fusion tor check IP TIME --window W` calls exits (an exit listing\n"+
		"in a consensus in effect then, or an exit scan within a day) as JSON lines of records\n"+
		"(label tor-exit, TLP clear), ready for POST /api/v1/records. Warns on stderr when consensuses\n"+
		"held do not cover the whole window: exits listed only then are missing.")
	sf := addStoreFlags(fs, env)
	at := fs.String("at", "", "the `TIME` (RFC 3339, a UTC date and time, or Unix seconds)")
	window := fs.Duration("window", time.Hour, "also count listings within this `DURATION` either side of TIME (the default is tor check's)")
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
	if *window < 0 || *window > 30*24*time.Hour {
		return fmt.Errorf("--window %v: must be from 0 to 720h", *window)
	}
	d, err := loadDirectory(ctx, env, sf)
	if err != nil {
		return err
	}
	exits := d.ExitsAt(t, *window)
	covered, uncovered := d.Coverage(t.Add(-*window), t.Add(*window), 0)
	if len(covered) == 0 && len(exits) == 0 {
		from, to := d.Span()
		return fmt.Errorf("--at %s: no consensus held for that time and no exit scan within a day of it (held: %d consensuses from %s to %s, %d exit scans)",
			t.Format(time.RFC3339), d.Consensuses(), from.Format(time.RFC3339), to.Format(time.RFC3339), d.ExitScans())
	}
	if len(uncovered) > 0 {
		var parts []string
		for _, p := range uncovered {
			parts = append(parts, p.From.Format(time.RFC3339)+" to "+p.Until.Format(time.RFC3339))
		}
		fmt.Fprintf(env.Stderr, "warning: no consensus held covers %s: exits listed only then are missing; only exit scans speak for that time\n", strings.Join(parts, ", "))
	}
	w := bufio.NewWriter(env.Stdout)
	enc := json.NewEncoder(w)
	conf := 95
	for _, e := range exits {
		typ := "ipv4"
		if e.Addr.Is6() {
			typ = "ipv6"
		}
		var first, last time.Time
		var says []string
		for _, iv := range e.Intervals {
			says = append(says, fmt.Sprintf("Tor exit relay %s (%s), listed at this address from %s to %s (Exit flag: %t, exit policy allows exiting: %t).",
				iv.Nickname, iv.Fingerprint, iv.First.Format(time.RFC3339), iv.Ends.Format(time.RFC3339), iv.ExitFlag, iv.ExitPolicy))
			first, last = earliest(first, iv.First), latest(last, iv.Ends)
		}
		for _, x := range e.Scans {
			says = append(says, fmt.Sprintf("Seen as an exit address of relay %s in an exit scan at %s (%s from %s).",
				x.Fingerprint, x.Seen.Format(time.RFC3339), tor.ShortDuration(x.Seen.Sub(t).Abs()), t.Format(time.RFC3339)))
			first, last = earliest(first, x.Seen), latest(last, x.Seen)
		}
		until := last.Add(2 * time.Hour)
		in := intel.RecordInput{Type: typ, Value: e.Addr.String(), TLP: "clear", Labels: []string{"tor-exit"}, Confidence: &conf,
			Description: strings.Join(says, " ") + " Traffic from it comes from Tor users, not its operator.",
			FirstSeen:   &first, LastSeen: &last, ValidUntil: &until}
		if err := enc.Encode(in); err != nil {
			return err
		}
	}
	return w.Flush()
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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
		if err := readZeekLog(env, "scanning", in, s.Log); err != nil {
			return err
		}
	}
	if first, last, ok := s.Span(); ok {
		_, uncovered := d.Coverage(first, last.Add(time.Nanosecond), *window)
		if len(uncovered) > 0 {
			var parts []string
			for _, p := range uncovered {
				parts = append(parts, p.From.Format(time.RFC3339)+" to "+p.Until.Format(time.RFC3339))
			}
			from, to := d.Span()
			fmt.Fprintf(env.Stderr, "warning: the logs run from %s to %s, but no Tor consensus held is in effect within the window (%s) of %s (held: %d consensuses from %s to %s): connections to relays then cannot be recognised, so Tor use then is not known\n",
				first.Format(time.RFC3339), last.Format(time.RFC3339), tor.ShortDuration(*window), strings.Join(parts, ", "), d.Consensuses(), from.Format(time.RFC3339), to.Format(time.RFC3339))
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

// readZeekLog reads the Zeek log at path into a sensor's log, with a
// progress bar labelled label; errors name the file.
func readZeekLog(env *Env, label, path string, log func(*zeek.Reader) error) error {
	r, bar, closeIn, err := openCounted(env, label, path)
	if err != nil {
		return err
	}
	defer closeIn()
	defer bar.Finish()
	zr, err := zeek.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := log(zr); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
