package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/progress"
	"fusion/internal/screen"
)

func screenRun(ctx context.Context, env *Env, args []string) error {
	fls := newFlags(env, "screen", "fusion screen --in bookings.jsonl|bookings.csv [--rules PACKAGE.json] [--out findings.jsonl] [--truth truth.jsonl]\n\n"+
		"Screens airline card-not-present bookings (in booking-time order; the transactions scenario's\n"+
		"bookings.jsonl, or CSV with a header row of the same field names) with a rule package — by\n"+
		"default the built-in one from the action days' published criteria — and links them into rings\n"+
		"by shared card, cardholder, account, device and client address. Writes one fraud-ring finding\n"+
		"(JSON lines) per flagged booking, entity the booking id, with the rules fired and the ring.\n"+
		"With --truth, prints precision and recall against a scenario's truth.jsonl, and with its\n"+
		"negatives.jsonl the share of each kind of hard negative flagged.")
	in := fls.String("in", "", "the bookings `FILE` (.jsonl or .csv; - for JSON lines on standard input)")
	format := fls.String("format", "", "the input `FORMAT`: jsonl or csv (default: from the file name)")
	rules := fls.String("rules", "", "a rule package `FILE` (JSON: a package, or the hub's GET /api/v1/rule-packages/{id} answer; default: the built-in package)")
	out := fls.String("out", "-", "write findings to this `FILE` (- for standard output)")
	truthPath := fls.String("truth", "", "a scenario's truth.jsonl: print precision and recall")
	negPath := fls.String("negatives", "", "a scenario's negatives.jsonl: print the share of each hard-negative kind flagged (default: the one beside --truth, if any)")
	flaggedOut := fls.String("flagged", "", "also copy the flagged bookings' input lines, as given, to this `FILE` (for an action day's submission; not with --in -)")
	keyHex := fls.String("key", "", "hex `KEY` that clear names and card numbers in the input are hashed under (HMAC-SHA-256)")
	cfg := screen.DefaultConfig()
	fls.DurationVar(&cfg.LinkWindow, "link-window", cfg.LinkWindow, "link bookings sharing a card, name, account or device within this `DURATION`")
	fls.DurationVar(&cfg.IPWindow, "ip-window", cfg.IPWindow, "link bookings sharing a client address within this `DURATION`")
	if err := parse(fls, args); err != nil {
		return err
	}
	if err := required(fls, "in"); err != nil {
		return err
	}
	pkg := screen.Default()
	if *rules != "" {
		data, err := os.ReadFile(*rules)
		if err != nil {
			return fmt.Errorf("--rules: %w", err)
		}
		if pkg, err = readRulePackage(data); err != nil {
			return fmt.Errorf("--rules %s: %w", *rules, err)
		}
	}
	compiled, err := screen.Compile(pkg)
	if err != nil {
		return err
	}
	var opts screen.ReaderOptions
	if *keyHex != "" {
		if opts.Key, err = hex.DecodeString(*keyHex); err != nil || len(opts.Key) < 16 {
			return errors.New("--key: want at least 16 bytes in hex")
		}
	}
	f := *format
	if f == "" {
		f = "jsonl"
		if strings.HasSuffix(strings.ToLower(*in), ".csv") {
			f = "csv"
		}
	}
	var truth []finding.Finding
	if *truthPath != "" {
		var err error
		if truth, err = readFindings(*truthPath); err != nil {
			return fmt.Errorf("--truth: %w", err)
		}
	}
	negatives, err := readNegatives(*negPath, *truthPath, func(n bookingNegative) error {
		if n.Booking == "" || n.Kind == "" {
			return errors.New("need booking and kind")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if *flaggedOut != "" && *in == "-" {
		return errors.New("--flagged: needs --in to name a file, which is read a second time")
	}
	r, bar, closeIn, err := openCounted(env, "screening", *in)
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	defer closeIn()
	rd, err := screen.NewReader(f, r, opts)
	if err != nil {
		bar.Finish()
		return fmt.Errorf("--%w", err)
	}
	s := screen.New(compiled, cfg)
	began := time.Now()
	var prev time.Time
	for n := 0; ; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			bar.Finish()
			return ctx.Err()
		}
		b, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			bar.Finish()
			return fmt.Errorf("%s: %w", *in, err)
		}
		if b.Booked.Before(prev) {
			bar.Finish()
			return fmt.Errorf("%s: booking %s: booked %s before the booking before it (%s): bookings must be in booking-time order",
				*in, b.ID, b.Booked.Format(time.RFC3339), prev.Format(time.RFC3339))
		}
		prev = b.Booked
		if _, err := s.Add(b); err != nil {
			bar.Finish()
			return err
		}
	}
	found := s.Findings()
	bar.Finish()
	if err := writeFindings(env, *out, found); err != nil {
		return err
	}
	if *flaggedOut != "" {
		ids := make(map[string]bool, len(found))
		for _, f := range found {
			ids[f.Entity] = true
		}
		if err := copyFlagged(*flaggedOut, *in, f, opts, ids); err != nil {
			return fmt.Errorf("--flagged: %w", err)
		}
	}
	took := time.Since(began)
	fmt.Fprintf(env.Stderr, "screened %s bookings in %v (%s a second) with %s version %d: %s flagged\n",
		progress.Count(int64(s.Len())), took.Round(time.Millisecond), progress.Count(int64(float64(s.Len())/max(took.Seconds(), 1e-9))),
		pkg.ID, pkg.Version, progress.Count(int64(len(found))))
	if truth != nil {
		sc := finding.Evaluate(truth, found)
		sc.Print(env.Stderr)
	}
	if negatives != nil {
		printNegatives(env.Stderr, negatives, found)
	}
	return nil
}

// bookingNegative is a line of the transactions scenario's negatives.jsonl.
type bookingNegative struct {
	Booking string `json:"booking"`
	Kind    string `json:"kind"`
}

// printNegatives writes, per hard-negative kind, how many of its bookings
// were flagged.
func printNegatives(w io.Writer, negatives []bookingNegative, found []finding.Finding) {
	flagged := make(map[string]bool, len(found))
	for _, f := range found {
		flagged[f.Entity] = true
	}
	type tally struct{ n, flagged int64 }
	kinds := map[string]*tally{}
	var names []string
	for _, neg := range negatives {
		t := kinds[neg.Kind]
		if t == nil {
			t = &tally{}
			kinds[neg.Kind] = t
			names = append(names, neg.Kind)
		}
		t.n++
		if flagged[neg.Booking] {
			t.flagged++
		}
	}
	slices.Sort(names)
	fmt.Fprintf(w, "%-22s %9s %9s %8s\n", "HARD NEGATIVE", "BOOKINGS", "FLAGGED", "SHARE")
	for _, k := range names {
		t := kinds[k]
		fmt.Fprintf(w, "%-22s %9d %9d %8.4f\n", k, t.n, t.flagged, float64(t.flagged)/float64(t.n))
	}
}

// copyFlagged reads the bookings file in again and copies the lines (JSON
// lines) or records (CSV, after the header) of the bookings in ids to out,
// as they were given: clear names and card numbers stay clear, so that a
// hub hashes them under its own key when they are submitted.
func copyFlagged(out, in, format string, opts screen.ReaderOptions, ids map[string]bool) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(dst)
	if format == "csv" {
		err = copyFlaggedCSV(w, src, ids)
	} else {
		sc := bufio.NewScanner(src)
		sc.Buffer(make([]byte, 64<<10), screen.MaxLine+1)
		for sc.Scan() && err == nil {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			b, perr := screen.ParseBooking(line, opts)
			if perr != nil {
				err = fmt.Errorf("%s changed while it was screened: %w", in, perr)
				break
			}
			if ids[b.ID] {
				w.Write(line)
				err = w.WriteByte('\n')
			}
		}
		if err == nil {
			err = sc.Err()
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

func copyFlaggedCSV(w io.Writer, src io.Reader, ids map[string]bool) error {
	rd := csv.NewReader(src)
	rd.FieldsPerRecord = -1
	cw := csv.NewWriter(w)
	head, err := rd.Read()
	if err != nil {
		return err
	}
	col := slices.Index(head, "id")
	if col < 0 {
		return errors.New(`no "id" column`)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if col < len(rec) && ids[rec[col]] {
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
