package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

func scenarioGenerate(ctx context.Context, env *Env, args []string) error {
	var kinds []string
	for _, k := range scenario.Kinds() {
		kinds = append(kinds, fmt.Sprintf("  %-13s %s", k.Name, k.Summary))
	}
	fs := newFlags(env, "scenario generate", "fusion scenario generate --kind KIND --seed N --out DIR [size flags]\n\nKinds:\n"+strings.Join(kinds, "\n"))
	var p scenario.Params
	fs.StringVar(&p.Kind, "kind", "", "`KIND` of scenario (see above)")
	fs.Uint64Var(&p.Seed, "seed", 1, "random `SEED`: the same seed and flags give byte-identical output")
	out := fs.String("out", "", "output `DIR`")
	fs.IntVar(&p.Hosts, "hosts", 0, "network: number of internal `HOSTS` (default 200)")
	fs.IntVar(&p.Days, "days", 0, "network: number of `DAYS` (default 1)")
	fs.Int64Var(&p.Count, "count", 0, "intel, sms, transactions: number of indicators, requests or bookings")
	fs.StringVar(&p.Format, "format", "", "network: `tsv` (Zeek's default) or jsonl (Zeek's JSON)")
	fs.StringVar(&p.TorConsensus, "tor-consensus", "", "network: a Tor consensus `FILE` whose relays Tor users connect to")
	fs.StringVar(&p.Intel, "intel", "", "network: an intel scenario `DIR` whose values hosts contact")
	fs.Float64Var(&p.IntelRate, "intel-rate", 0, "network: intel-contact episodes per host and day, on average (default 0.025)")
	start := fs.String("start", scenario.DefaultStart.Format(time.RFC3339), "when generated time begins (RFC 3339)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "kind", "out"); err != nil {
		return err
	}
	// Zero means "the kind's default" to the generators; a zero the user
	// typed is a mistake, not a request for the default.
	var bad error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "hosts", "days", "count":
			if v, _ := strconv.ParseInt(f.Value.String(), 10, 64); v < 1 && bad == nil {
				bad = fmt.Errorf("--%s %s: must be at least 1", f.Name, f.Value)
			}
		}
	})
	if bad != nil {
		return bad
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("--start %q: not an RFC 3339 time", *start)
	}
	p.Start = t
	began := time.Now()
	if err := scenario.Generate(ctx, p, *out, env.Stderr); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s scenario (seed %d) to %s in %v\n", p.Kind, p.Seed, *out, time.Since(began).Round(time.Millisecond))
	return nil
}

func exerciseScore(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "exercise score", "fusion exercise score --truth DIR/truth.jsonl --found FILE.jsonl [--json]")
	truthFile := fs.String("truth", "", "the scenario's truth `FILE`")
	foundFile := fs.String("found", "", "the findings `FILE` to score: JSON lines of {kind, entity, start, end}")
	asJSON := fs.Bool("json", false, "print {\"kinds\":{KIND:{truth, found, precision, recall, f1}}}")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "truth", "found"); err != nil {
		return err
	}
	truth, err := readFindings(*truthFile)
	if err != nil {
		return err
	}
	found, err := readFindings(*foundFile)
	if err != nil {
		return err
	}
	s := finding.Evaluate(truth, found)
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(s)
	}
	s.Print(env.Stdout)
	return nil
}

// writeFindings writes findings as JSON lines to path (- for standard
// output), as `fusion exercise score` reads them.
func writeFindings(env *Env, path string, found []finding.Finding) error {
	w, closeOut, err := createOut(env, path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range found {
		if err := enc.Encode(&found[i]); err != nil {
			closeOut()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		closeOut()
		return err
	}
	return closeOut()
}

// readFindings reads a findings or truth file, naming it in errors.
func readFindings(path string) ([]finding.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fs, err := finding.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fs, nil
}
