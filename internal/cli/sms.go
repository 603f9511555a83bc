package cli

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"

	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"fusion/internal/finding"
	"fusion/internal/progress"
	smsgen "fusion/internal/scenario/sms"
	"fusion/internal/sms"
)

func smsReplay(ctx context.Context, env *Env, args []string) error {
	fls := newFlags(env, "sms replay", "fusion sms replay --in requests.jsonl [--verified verified.jsonl] [--out findings.jsonl]\n"+
		"                [--decisions decisions.jsonl] [--truth truth.jsonl] [--mode block|challenge|record-only]\n\n"+
		"Runs the SMS-pumping guard offline over a recorded or generated stream of OTP requests (JSON\n"+
		"lines in time order: app, number, ip or client_ip, user_agent, time; the sms scenario's\n"+
		"requests.jsonl), feeding verifications back in time order: those in --verified, and the\n"+
		"requests' own verified_at when the guard let the code be sent. Writes one sms-pumping finding\n"+
		"per blocked prefix (for `fusion exercise score`) and, with --decisions, the decision on every\n"+
		"request. With --truth, prints per campaign the share of its requests blocked or challenged\n"+
		"before send and the requests it took to stop it, and the share of legitimate requests blocked.")
	in := fls.String("in", "", "the requests `FILE` (JSON lines; - for standard input)")
	verified := fls.String("verified", "", "a `FILE` of verifications (JSON lines: app, number, time), in time order")
	out := fls.String("out", "-", "write findings to this `FILE` (- for standard output)")
	decisions := fls.String("decisions", "", "write the decision on every request to this `FILE`")
	truthPath := fls.String("truth", "", "a scenario's truth.jsonl: print how each pumping campaign fared")
	negPath := fls.String("negatives", "", "a scenario's negatives.jsonl: print how the legitimate surges fared (default: the one beside --truth, if any)")
	mode := fls.String("mode", "block", "every app's `MODE`: block, challenge or record-only")
	shared := fls.String("shared", "", "a `FILE` of shared sms-pumping prefixes (one E.164 prefix a line)")
	cfg := sms.DefaultConfig()
	fls.DurationVar(&cfg.BlockTTL, "block-ttl", cfg.BlockTTL, "block a prefix for this `DURATION` the first time (doubling on repeat)")
	fls.IntVar(&cfg.MaxPrefixes, "max-prefixes", cfg.MaxPrefixes, "track at most this many 1,000-number `BLOCKS` per app")
	if err := parse(fls, args); err != nil {
		return err
	}
	if *in == "" {
		fmt.Fprintln(env.Stderr, "flag --in is required")
		fls.Usage()
		return errUsage
	}
	m, err := sms.ParseMode(*mode)
	if err != nil {
		return fmt.Errorf("--mode: %w", err)
	}
	cfg.Default.Mode = m
	g, err := sms.New(cfg, nil)
	if err != nil {
		return err
	}
	if *shared != "" {
		if err := readShared(*shared, g.Shared()); err != nil {
			return err
		}
	}
	var truth []finding.Finding
	if *truthPath != "" {
		if truth, err = readFindings(*truthPath); err != nil {
			return fmt.Errorf("--truth: %w", err)
		}
	}
	negatives, err := readNegatives(*negPath, *truthPath, func(n smsgen.Negative) error {
		if n.Country == "" || n.Start.IsZero() || n.End.Before(n.Start) {
			return errors.New("need country, start and end not before start")
		}
		return nil
	})
	if err != nil {
		return err
	}
	r, bar, closeIn, err := openCounted(env, "replaying", *in)
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	defer closeIn()
	rp := &replay{g: g, tally: newTally(truth, negatives)}
	if *verified != "" {
		f, err := os.Open(*verified)
		if err != nil {
			bar.Finish()
			return fmt.Errorf("--verified: %w", err)
		}
		defer f.Close()
		rp.verified = newLineReader(f)
		rp.verifiedName = *verified
	}
	if *decisions != "" {
		f, err := os.Create(*decisions)
		if err != nil {
			bar.Finish()
			return fmt.Errorf("--decisions: %w", err)
		}
		defer f.Close()
		rp.decisions = bufio.NewWriterSize(f, 1<<16)
	}
	began := time.Now()
	err = rp.run(ctx, r, *in)
	bar.Finish()
	if err != nil {
		return err
	}
	if rp.decisions != nil {
		if err := rp.decisions.Flush(); err != nil {
			return fmt.Errorf("--decisions: %w", err)
		}
	}
	found := g.Findings()
	if err := writeFindings(env, *out, found); err != nil {
		return err
	}
	t := rp.tally
	fmt.Fprintf(env.Stderr, "replayed %s requests and %s verifications in %v: %s allowed, %s challenged, %s blocked; %d blocked prefixes\n",
		progress.Count(t.requests), progress.Count(rp.verifications), time.Since(began).Round(time.Millisecond),
		progress.Count(t.verdicts[sms.Allow]), progress.Count(t.verdicts[sms.Challenge]), progress.Count(t.verdicts[sms.Block]), len(found))
	if len(truth) > 0 {
		t.print(env.Stderr)
	}
	return nil
}

func readShared(path string, s *sms.Shared) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--shared: %w", err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := s.Add(line); err != nil {
			return fmt.Errorf("--shared %s: line %d: %w", path, i+1, err)
		}
	}
	return nil
}

// replay runs the guard over a stream.
type replay struct {
	g             *sms.Guard
	tally         *tally
	decisions     *bufio.Writer
	verified      *lineReader // the --verified file, or nil
	verifiedName  string
	nextVerified  *sms.Verified // read ahead from verified
	pending       verHeap       // verifications from the requests themselves
	verifications int64
}

// lateness is how far a request may come before the one above it.
const lateness = time.Minute

// parsed is a batch of requests read ahead, or the error that ended
// reading.
type parsed struct {
	reqs  []sms.Request
	lines []int // the line of each request
	err   error
}

// readAhead parses requests and has the guard analyse their numbers on
// another goroutine, in batches, so that the numbers' analysis (tens of
// microseconds for a block not seen) runs beside the decisions.
func (rp *replay) readAhead(r io.Reader, name string, done <-chan struct{}) <-chan parsed {
	out := make(chan parsed, 4)
	go func() {
		defer close(out)
		lr := newLineReader(r)
		batch, lines := make([]sms.Request, 0, 1024), make([]int, 0, 1024)
		send := func(p parsed) bool {
			select {
			case out <- p:
				return true
			case <-done:
				return false
			}
		}
		for {
			line, n, err := lr.next()
			if err == io.EOF {
				break
			}
			if err == nil {
				var req sms.Request
				if req, err = sms.ParseRequest(line); err == nil {
					rp.g.Prepare(req.Number)
					batch = append(batch, req)
					lines = append(lines, n)
				}
			}
			if err != nil {
				send(parsed{reqs: batch, lines: lines})
				send(parsed{err: fmt.Errorf("%s: line %d: %w", name, n, err)})
				return
			}
			if len(batch) == cap(batch) {
				if !send(parsed{reqs: batch, lines: lines}) {
					return
				}
				batch, lines = make([]sms.Request, 0, 1024), make([]int, 0, 1024)
			}
		}
		send(parsed{reqs: batch, lines: lines})
	}()
	return out
}

func (rp *replay) run(ctx context.Context, r io.Reader, name string) error {
	done := make(chan struct{})
	defer close(done)
	var last time.Time
	for p := range rp.readAhead(r, name, done) {
		if p.err != nil {
			return p.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range p.reqs {
			req := &p.reqs[i]
			if req.Time.Before(last.Add(-lateness)) {
				return fmt.Errorf("%s: line %d: time %s is more than %s before an earlier request's (%s): the requests must be in time order",
					name, p.lines[i], req.Time.Format(time.RFC3339Nano), lateness, last.Format(time.RFC3339Nano))
			}
			if req.Time.After(last) {
				last = req.Time
			}
			if err := rp.feed(req.Time); err != nil {
				return err
			}
			d := rp.g.Check(req)
			rp.tally.add(req, d)
			if d.Decision != sms.Block && !req.VerifiedAt.IsZero() {
				heap.Push(&rp.pending, sms.Verified{App: req.App, Number: req.Number, Time: req.VerifiedAt})
			}
			if rp.decisions != nil {
				if err := writeDecision(rp.decisions, req, &d); err != nil {
					return fmt.Errorf("--decisions: %w", err)
				}
			}
		}
	}
	return rp.feed(time.Unix(1<<40, 0))
}

// feed gives the guard every verification up to t, in time order.
func (rp *replay) feed(t time.Time) error {
	for {
		if rp.verified != nil && rp.nextVerified == nil {
			line, n, err := rp.verified.next()
			switch {
			case err == io.EOF:
				rp.verified = nil
			case err != nil:
				return fmt.Errorf("--verified %s: line %d: %w", rp.verifiedName, n, err)
			default:
				v, err := sms.ParseVerified(line)
				if err != nil {
					return fmt.Errorf("--verified %s: line %d: %w", rp.verifiedName, n, err)
				}
				rp.nextVerified = &v
			}
		}
		var v sms.Verified
		switch {
		case rp.nextVerified != nil && !rp.nextVerified.Time.After(t) &&
			(len(rp.pending) == 0 || !rp.pending[0].Time.Before(rp.nextVerified.Time)):
			v, rp.nextVerified = *rp.nextVerified, nil
		case len(rp.pending) > 0 && !rp.pending[0].Time.After(t):
			v = heap.Pop(&rp.pending).(sms.Verified)
		default:
			return nil
		}
		rp.g.Verified(&v)
		rp.verifications++
	}
}

type decisionLine struct {
	ID     string `json:"id,omitempty"`
	Time   string `json:"time"`
	App    string `json:"app"`
	Number string `json:"number"`
	*sms.Decision
}

func writeDecision(w *bufio.Writer, r *sms.Request, d *sms.Decision) error {
	b, err := json.Marshal(decisionLine{ID: r.ID, Time: r.Time.Format(time.RFC3339Nano), App: r.App, Number: r.Number, Decision: d})
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

// verHeap orders verifications by time.
type verHeap []sms.Verified

func (h verHeap) Len() int           { return len(h) }
func (h verHeap) Less(i, j int) bool { return h[i].Time.Before(h[j].Time) }
func (h verHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *verHeap) Push(x any)        { *h = append(*h, x.(sms.Verified)) }
func (h *verHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// lineReader reads non-blank lines, numbering them.
type lineReader struct {
	sc *bufio.Scanner
	n  int
}

func newLineReader(r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	return &lineReader{sc: sc}
}

func (l *lineReader) next() ([]byte, int, error) {
	for l.sc.Scan() {
		l.n++
		b := l.sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		return b, l.n, nil
	}
	if err := l.sc.Err(); err != nil {
		return nil, l.n + 1, err
	}
	return nil, l.n, io.EOF
}

// tally counts decisions, per campaign of the truth, per legitimate surge
// of the negatives and for the rest.
type tally struct {
	requests  int64
	verdicts  [3]int64
	campaigns []campaignTally
	legit     [3]int64
	surges    []surgeTally
}

type campaignTally struct {
	truth    finding.Finding
	verdicts [3]int64
	// stoppedAt is the 1-based position of the campaign's first request
	// blocked or challenged; 0 while none was.
	stoppedAt int64
	seen      int64
}

// surgeTally counts the decisions on the legitimate requests to a surge's
// country while it lasted (the country's usual traffic with it).
type surgeTally struct {
	neg      smsgen.Negative
	verdicts [3]int64
}

func newTally(truth []finding.Finding, negatives []smsgen.Negative) *tally {
	t := &tally{}
	for _, f := range truth {
		if f.Kind == finding.SMSPumping {
			t.campaigns = append(t.campaigns, campaignTally{truth: f})
		}
	}
	for _, n := range negatives {
		t.surges = append(t.surges, surgeTally{neg: n})
	}
	return t
}

func (t *tally) add(r *sms.Request, d sms.Decision) {
	t.requests++
	t.verdicts[d.Decision]++
	for i := range t.campaigns {
		c := &t.campaigns[i]
		if strings.HasPrefix(r.Number, c.truth.Entity) && !r.Time.Before(c.truth.Start) && !r.Time.After(c.truth.End) {
			c.seen++
			c.verdicts[d.Decision]++
			if d.Decision != sms.Allow && c.stoppedAt == 0 {
				c.stoppedAt = c.seen
			}
			return
		}
	}
	t.legit[d.Decision]++
	for i := range t.surges {
		s := &t.surges[i]
		if d.Country == s.neg.Country && !r.Time.Before(s.neg.Start) && !r.Time.After(s.neg.End) {
			s.verdicts[d.Decision]++
		}
	}
}

// kindOf is a campaign's kind as the sms scenario's truth names it.
func kindOf(f finding.Finding) string {
	if k := f.Detail["campaign"]; k != "" {
		return k
	}
	return "-"
}

func (t *tally) print(w io.Writer) {
	fmt.Fprintf(w, "%-8s %-12s %-14s %-3s %-10s %8s %8s %8s %8s %8s\n", "campaign", "kind", "prefix", "cc", "pattern", "requests", "stopped", "blocked", "allowed", "before")
	type sum struct {
		pump, stopped, blocked int64
		firsts                 []int64
	}
	all := &sum{}
	kinds := map[string]*sum{}
	var order []string
	for _, c := range t.campaigns {
		k := kindOf(c.truth)
		ks := kinds[k]
		if ks == nil {
			ks = &sum{}
			kinds[k] = ks
			order = append(order, k)
		}
		s := c.verdicts[sms.Challenge] + c.verdicts[sms.Block]
		// Requests sent before the first one stopped: all of them if none was.
		before := c.seen
		if c.stoppedAt > 0 {
			before = c.stoppedAt - 1
		}
		for _, x := range []*sum{all, ks} {
			x.pump += c.seen
			x.stopped += s
			x.blocked += c.verdicts[sms.Block]
			x.firsts = append(x.firsts, before)
		}
		first := fmt.Sprint(before)
		if c.stoppedAt == 0 {
			first = "never"
		}
		fmt.Fprintf(w, "%-8s %-12s %-14s %-3s %-10s %8d %7.1f%% %7.1f%% %8d %8s\n", c.truth.ID, k, c.truth.Entity, c.truth.Detail["country"],
			c.truth.Detail["pattern"], c.seen, pct(s, c.seen), pct(c.verdicts[sms.Block], c.seen), c.verdicts[sms.Allow], first)
	}
	slices.Sort(order)
	fmt.Fprintf(w, "\n%-12s %9s %8s %8s %8s %8s\n", "kind", "campaigns", "requests", "stopped", "blocked", "median-before")
	for _, k := range order {
		x := kinds[k]
		fmt.Fprintf(w, "%-12s %9d %8d %7.2f%% %7.2f%% %8s\n", k, len(x.firsts), x.pump, pct(x.stopped, x.pump), pct(x.blocked, x.pump), median(x.firsts))
	}
	fmt.Fprintf(w, "pumping: %.2f%% of %d requests blocked or challenged before send (target >= 95%%), %.2f%% blocked; median requests sent before the first stopped: %s (target <= 50)\n",
		pct(all.stopped, all.pump), all.pump, pct(all.blocked, all.pump), median(all.firsts))
	legit := t.legit[0] + t.legit[1] + t.legit[2]
	fmt.Fprintf(w, "legitimate: %.3f%% of %d requests blocked (target <= 0.5%%), %.3f%% challenged\n",
		pct(t.legit[sms.Block], legit), legit, pct(t.legit[sms.Challenge], legit))
	if len(t.surges) > 0 {
		fmt.Fprintf(w, "\n%-15s %-3s %-22s %-22s %9s %8s %10s\n", "surge", "cc", "start", "end", "requests", "blocked", "challenged")
		for _, s := range t.surges {
			n := s.verdicts[0] + s.verdicts[1] + s.verdicts[2]
			fmt.Fprintf(w, "%-15s %-3s %-22s %-22s %9d %7.3f%% %9.3f%%\n", s.neg.Kind, s.neg.Country, s.neg.Start.Format(time.DateTime), s.neg.End.Format(time.DateTime),
				n, pct(s.verdicts[sms.Block], n), pct(s.verdicts[sms.Challenge], n))
		}
	}
}

// readNegatives reads a scenario's negatives.jsonl (one JSON object of
// type T a line, no unknown field, each checked by check): the one at
// path, or when path is empty the one beside truthPath, if there is one.
func readNegatives[T any](path, truthPath string, check func(T) error) ([]T, error) {
	flag := "--negatives"
	if path == "" {
		if truthPath == "" {
			return nil, nil
		}
		path = filepath.Join(filepath.Dir(truthPath), "negatives.jsonl")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		flag = "negatives beside --truth"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	out := []T{}
	l := newLineReader(f)
	for {
		line, n, err := l.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s line %d: %w", flag, path, n, err)
		}
		var neg T
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&neg); err != nil {
			return nil, fmt.Errorf("%s %s line %d: %w", flag, path, n, err)
		}
		if err := check(neg); err != nil {
			return nil, fmt.Errorf("%s %s line %d: %w", flag, path, n, err)
		}
		out = append(out, neg)
	}
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func median(v []int64) string {
	if len(v) == 0 {
		return "-"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return fmt.Sprint(s[len(s)/2])
	}
	return fmt.Sprintf("%.1f", float64(s[len(s)/2-1]+s[len(s)/2])/2)
}
