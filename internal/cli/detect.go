package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fusion/internal/c2"
	"fusion/internal/finding"
	"fusion/internal/progress"
)

func detectC2(ctx context.Context, env *Env, args []string) error {
	fls := newFlags(env, "detect c2", "fusion detect c2 --in conn.log [--in http.log --in ssl.log --in dns.log | --in DIR] [--window 24h] [--out FILE]\n"+
		"                [--allow FILE] [--server URL --token T [--submit]]\n\n"+
		"Finds command-and-control traffic in Zeek logs (TSV or JSON lines, gzipped or not, rotated\n"+
		"logs in directories): beacons (c2-beacon) by address and by TLS or HTTP name, bulletin-board\n"+
		"polling (c2-poll), DNS tunnels (c2-dns) and long connections (long-connection). Beacons are\n"+
		"scored as RITA v5 scores them over each pair's window. Writes one JSON line per finding, that\n"+
		"`fusion exercise score` reads. With --server, the destinations found are sent to the hub as\n"+
		"events (sightings on the records that name them); with --submit also as botnet-c2 records,\n"+
		"TLP amber to the token's organization, for an analyst to review.")
	var ins, allows []string
	fls.Func("in", "a Zeek conn, http, ssl or dns log `FILE`, or a DIRectory of them; repeat for several", func(v string) error {
		ins = append(ins, v)
		return nil
	})
	fls.Func("allow", "never report the addresses, networks and domains in this `FILE` (one a line); repeat for several", func(v string) error {
		allows = append(allows, v)
		return nil
	})
	format := fls.String("format", "zeek", "the logs' `FORMAT`: zeek or zeek-json (both are read either way)")
	cfg := c2.DefaultConfig()
	fls.DurationVar(&cfg.Window, "window", cfg.Window, "score each pair over this `DURATION` from its first connection")
	fls.Float64Var(&cfg.MinScore, "min-score", cfg.MinScore, "report beacons and polls scoring at least this `SCORE` (0 to 1)")
	fls.Float64Var(&cfg.MaxJitter, "max-jitter", cfg.MaxJitter, "report beacons and polls whose intervals deviate from their median by at most this `SHARE` (median absolute deviation)")
	noDefault := fls.Bool("no-default-allow", false, "do not allow the public time services of c2.DefaultAllowlist by default")
	fls.Float64Var(&cfg.DNSMinScore, "dns-min-score", cfg.DNSMinScore, "report DNS tunnels scoring at least this `SCORE`")
	fls.DurationVar(&cfg.LongConnection, "long", cfg.LongConnection, "report connections, or chains of them, lasting at least this `DURATION`")
	fls.Float64Var(&cfg.PrevalenceShare, "prevalence", cfg.PrevalenceShare, "skip destinations reached by at least this `SHARE` of internal hosts (and by at least --prevalence-min)")
	fls.IntVar(&cfg.PrevalenceMin, "prevalence-min", cfg.PrevalenceMin, "the fewest `HOSTS` that make a destination popular")
	internal := fls.String("internal", "", "the internal networks, comma-separated `CIDRS` (default: private, shared, link-local and unique-local ranges)")
	out := fls.String("out", "-", "write findings to this `FILE` (- for standard output)")
	server := fls.String("server", "", "send what was found to this hub `URL` as events (sightings)")
	token := fls.String("token", "", "API `TOKEN` for --server (default $FUSION_TOKEN)")
	submit := fls.Bool("submit", false, "with --server, also submit each destination found as a botnet-c2 record, TLP amber to the token's organization")
	if err := parse(fls, args); err != nil {
		return err
	}
	if len(ins) == 0 {
		fmt.Fprintln(env.Stderr, "flag --in is required")
		fls.Usage()
		return errUsage
	}
	if *format != "zeek" && *format != "zeek-json" {
		return fmt.Errorf("--format %q: not zeek or zeek-json", *format)
	}
	if *submit && *server == "" {
		return errors.New("--submit needs --server")
	}
	if *internal != "" {
		cfg.Internal = nil
		for _, s := range strings.Split(*internal, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("--internal %q: %v", s, err)
			}
			cfg.Internal = append(cfg.Internal, p.Masked())
		}
	}
	if *noDefault {
		cfg.Allow = nil
	}
	for _, a := range allows {
		f, err := os.Open(a)
		if err != nil {
			return fmt.Errorf("--allow: %w", err)
		}
		list, err := c2.ParseAllowlist(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--allow %s: %w", a, err)
		}
		if cfg.Allow == nil {
			cfg.Allow = list
		} else {
			cfg.Allow.Merge(list)
		}
	}
	var client *hubClient
	if *server != "" {
		var err error
		if client, err = newHubClient(env, *server, *token); err != nil {
			return err
		}
	}
	files, err := detectInputs(ins)
	if err != nil {
		return err
	}
	d, err := c2.New(cfg)
	if err != nil {
		return err
	}
	began := time.Now()
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := readZeekLog(env, "reading", f, d.Log); err != nil {
			return err
		}
	}
	found := d.Findings()
	if err := writeFindings(env, *out, found); err != nil {
		return err
	}
	perKind := map[string]int{}
	for i := range found {
		perKind[found[i].Kind]++
	}
	var parts []string
	for _, k := range []string{finding.C2Beacon, finding.C2Poll, finding.C2DNS, finding.LongConn} {
		parts = append(parts, fmt.Sprintf("%d %s", perKind[k], k))
	}
	st := d.Stats()
	fmt.Fprintf(env.Stderr, "read %s conn, %s http, %s ssl and %s dns events in %v; %s address pairs, %s name pairs, %s polled URLs; found %s\n",
		progress.Count(int64(d.Events["conn"])), progress.Count(int64(d.Events["http"])), progress.Count(int64(d.Events["ssl"])), progress.Count(int64(d.Events["dns"])),
		time.Since(began).Round(time.Millisecond), progress.Count(int64(st.AddrPairs)), progress.Count(int64(st.NamePairs)), progress.Count(int64(st.Polls)), strings.Join(parts, ", "))
	if st.Span > 0 && st.Span < cfg.Window*9/10 {
		fmt.Fprintf(env.Stderr, "note: the logs cover %s, less than the %s window: beacons are scored over what there is, and RITA's authors call for 12 to 24 hours of data\n",
			st.Span.Round(time.Minute), cfg.Window)
	}
	if client != nil && len(found) > 0 {
		return sendFindings(ctx, env, client, found, *submit)
	}
	return nil
}

// detectInputs expands directories into the Zeek logs in them (conn, http,
// ssl and dns, rotated or not, gzipped or not) and orders every file so
// that the logs naming connections (http, ssl) come before dns and conn.
func detectInputs(ins []string) ([]string, error) {
	var files []string
	for _, in := range ins {
		if in == "-" {
			files = append(files, in)
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("--in: %w", err)
		}
		if !st.IsDir() {
			files = append(files, in)
			continue
		}
		n := len(files)
		err = filepath.WalkDir(in, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.Type().IsRegular() && logRank(p) < 3 {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--in %s: %w", in, err)
		}
		if len(files) == n {
			return nil, fmt.Errorf("--in %s: no conn, http, ssl or dns log in the directory", in)
		}
	}
	slices.SortStableFunc(files, func(a, b string) int {
		if ra, rb := logRank(a), logRank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return files, nil
}

// logRank orders logs by their name: http and ssl 0, dns 1, conn 2,
// others 3 (read as what their header says, after the names).
func logRank(p string) int {
	base := filepath.Base(p)
	if !strings.Contains(base, ".log") {
		return 3
	}
	switch {
	case strings.HasPrefix(base, "http.") || strings.HasPrefix(base, "http_") || strings.HasPrefix(base, "ssl.") || strings.HasPrefix(base, "ssl_"):
		return 0
	case strings.HasPrefix(base, "dns.") || strings.HasPrefix(base, "dns_"):
		return 1
	case strings.HasPrefix(base, "conn.") || strings.HasPrefix(base, "conn_"):
		return 2
	}
	return 3
}

// sendFindings sends each finding's destination to the hub as an event at
// its start, which records sightings on the records that name it, and with
// submit also as a botnet-c2 record for review.
func sendFindings(ctx context.Context, env *Env, client *hubClient, found []finding.Finding, submit bool) error {
	var events bytes.Buffer
	type rec struct {
		Value       string   `json:"value"`
		TLP         string   `json:"tlp"`
		Labels      []string `json:"labels"`
		Description string   `json:"description"`
		FirstSeen   string   `json:"first_seen"`
		LastSeen    string   `json:"last_seen"`
	}
	var recs []rec
	seen := map[string]bool{}
	for _, f := range found {
		dst := f.Dst
		if f.Kind == finding.C2Poll {
			dst = "http://" + dst
		}
		for _, v := range append([]string{dst}, f.DstAddrs...) {
			line, _ := json.Marshal(map[string]string{"time": f.Start.Format(time.RFC3339), "value": v})
			events.Write(line)
			events.WriteByte('\n')
		}
		if submit && !seen[dst] {
			seen[dst] = true
			recs = append(recs, rec{Value: dst, TLP: "amber", Labels: []string{"botnet-c2"},
				Description: fmt.Sprintf("%s from %s: %s (score %.2f, fusion detect c2)", f.Kind, f.Src, f.Explanation, f.Score),
				FirstSeen:   f.Start.Format(time.RFC3339), LastSeen: f.End.Format(time.RFC3339)})
		}
	}
	_, answer, err := client.do(ctx, "POST", "/api/v1/events", "application/x-ndjson", events.Bytes())
	if err != nil {
		return fmt.Errorf("sending events to %s: %w", client.base, err)
	}
	var ev struct {
		Events  int `json:"events"`
		Matches int `json:"matches"`
	}
	_ = json.Unmarshal(answer, &ev)
	fmt.Fprintf(env.Stderr, "sent %d destinations to %s: %d matched records (sightings recorded)\n", ev.Events, client.base, ev.Matches)
	if len(recs) == 0 {
		return nil
	}
	body, err := json.Marshal(map[string]any{"records": recs})
	if err != nil {
		return err
	}
	_, answer, err = client.do(ctx, "POST", "/api/v1/records", "application/json", body)
	if err != nil {
		return fmt.Errorf("submitting records to %s: %w", client.base, err)
	}
	var res struct {
		Created, Updated, Unchanged, Failed int
		Results                             []struct {
			Error *struct{ Message string } `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return fmt.Errorf("submitting records to %s: the answer is not JSON: %v", client.base, err)
	}
	fmt.Fprintf(env.Stderr, "submitted %d botnet-c2 records for review: %d created, %d updated, %d unchanged, %d refused\n",
		len(recs), res.Created, res.Updated, res.Unchanged, res.Failed)
	for i, r := range res.Results {
		if r.Error != nil && i < len(recs) {
			fmt.Fprintf(env.Stderr, "  %s: %s\n", recs[i].Value, r.Error.Message)
		}
	}
	return nil
}
