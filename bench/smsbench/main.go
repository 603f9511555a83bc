// Command smsbench measures the SMS-pumping guard over HTTP at a fixed
// rate (issue 17): POST /api/v1/sms/check served by the real server
// handler (internal/server: logging, metrics, a sensor token
// authenticated by the hub, body limit, parsing, policy, the
// organization's guard, the JSON answer) over real TCP on 127.0.0.1 from
// a hub on SQLite, with the guard first brought to a state of --numbers
// distinct numbers. The baseline, in the same run, is a handler that only
// parses the request (sms.ParseRequest) and answers a fixed allow, on its
// own listener; the two are driven alternately, --phase at a time, at
// --rate requests a second each, for --rounds rounds (guard first in even
// rounds, baseline first in odd ones).
//
//	go run ./bench/smsbench                 # 1,000,000 numbers, 10,000/s, 6 rounds of 5 s
//	bash bench/sms.sh                       # several runs, medians and ratios
//
// # Load
//
// The load is open-loop (package loadgen): request i is due at start +
// i/rate whatever happened to the ones before, --conns workers each hold
// one keep-alive connection, and latency runs from the request's due
// time to the end of its answer, so that a server that falls behind is
// charged the queueing (no coordinated omission). Client and servers
// share this process and the machine's cores: what the client costs, both
// targets pay.
//
// # State
//
// The guard keeps no table of numbers (see sms.Stats): a number is in its
// state as an entry of its 1,000-number block's ring of the last 16
// requests, and in the counts of its block, country and carrier. So
// --numbers distinct numbers take numbers/16 blocks (62,500 for a
// million, under the per-app bound MaxPrefixes = 65,536) each with 16
// distinct numbers: valid mobile blocks of 20 countries weighted like a
// consumer app's users, found by analysing candidates with
// libphonenumber. They are fed through the hub (Hub.SMSCheck, then
// Hub.SMSVerified for nine in ten, 30 s later) over the day before the
// timing, blocks in turn, so that each block sees a request every
// 24 h × blocks / numbers (90 minutes): legitimate traffic that raises no
// signal. Timed requests go to a random number of a random loaded block,
// from a random address, at the wall-clock time: they add no block, so
// the state stays at about --numbers (each replaces the oldest entry of
// its block's ring).
//
// Memory is the Go heap in use after a collection, and the process's
// resident set, before and after the load.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"fusion/bench/loadgen"
	"fusion/bench/sensorhub"
	"fusion/internal/api"
	"fusion/internal/hub"
	"fusion/internal/policy"
	"fusion/internal/server"
	"fusion/internal/sms"
)

type config struct {
	loadgen.Options
	numbers int
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("smsbench: ")
	var c config
	c.Register(10_000, "random seed for blocks, numbers and addresses", "directory for the hub's SQLite store (default: a temporary one, removed)")
	flag.IntVar(&c.numbers, "numbers", 1_000_000, "distinct numbers to bring the guard's state to before timing")
	flag.Parse()
	if err := c.Check(); err != nil {
		log.Fatal(err)
	}
	if c.numbers < 16 {
		log.Fatal("--numbers must be at least 16")
	}
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

// summary is what a run prints.
type summary struct {
	Numbers     int            `json:"numbers"`
	Rate        int            `json:"rate"`
	Phase       string         `json:"phase"`
	Rounds      int            `json:"rounds"`
	Conns       int            `json:"conns"`
	LoadSeconds float64        `json:"load_seconds"`
	LoadVerdict [3]int         `json:"load_verdicts"` // allow, challenge, block
	State       sms.Stats      `json:"state"`
	HeapBefore  uint64         `json:"heap_before"`
	HeapAfter   uint64         `json:"heap_after"`
	RSSBefore   uint64         `json:"rss_before"`
	RSSAfter    uint64         `json:"rss_after"`
	Guard       loadgen.Result `json:"guard"`
	Baseline    loadgen.Result `json:"baseline"`
	P50Ratio    float64        `json:"p50_ratio"`
	P99Ratio    float64        `json:"p99_ratio"`
	// LoadAvg is the machine's one-minute load average (/proc/loadavg)
	// before and after the timed rounds: what else ran on the cores.
	LoadAvg [2]float64 `json:"loadavg"`
}

const app = "otp-login"

func run(c config) error {
	ctx := context.Background()
	dir := c.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "smsbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	sh, err := sensorhub.Open(ctx, dir, "fusion.bench/sms", sensorhub.Org{ID: "org-bank", Name: "A bank", Country: "JP", Sector: "bank", Token: "otp backend"})
	if err != nil {
		return err
	}
	h, secret, sensor := sh.Hub, sh.Secret, sh.Caller
	defer h.Close()

	var s summary
	s.Numbers, s.Rate, s.Phase, s.Rounds, s.Conns = c.numbers, c.Rate, c.Phase.String(), c.Rounds, c.Conns
	rng := rand.New(rand.NewPCG(c.Seed, 17))
	log.Printf("finding %d valid mobile blocks", (c.numbers+15)/16)
	tf := time.Now()
	blocks, err := findBlocks(rng, (c.numbers+15)/16)
	if err != nil {
		return err
	}
	log.Printf("found them in %.1f s", time.Since(tf).Seconds())
	s.HeapBefore, s.RSSBefore = loadgen.Memory()
	t0 := time.Now()
	if s.LoadVerdict, err = load(ctx, h, sensor, rng, blocks, c.numbers); err != nil {
		return err
	}
	s.LoadSeconds = time.Since(t0).Seconds()
	s.HeapAfter, s.RSSAfter = loadgen.Memory()
	if s.State, err = h.SMSStats(ctx, sensor); err != nil {
		return err
	}
	log.Printf("loaded in %.1f s: %+v; heap %d → %d MB, RSS %d → %d MB", s.LoadSeconds, s.State,
		s.HeapBefore>>20, s.HeapAfter>>20, s.RSSBefore>>20, s.RSSAfter>>20)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	guardServed, baseServed := &loadgen.Recorder{}, &loadgen.Recorder{}
	guardAddr, stopGuard, err := loadgen.Serve(guardServed.Wrap(server.New(server.Config{Hub: h, Log: quiet}).Handler()))
	if err != nil {
		return err
	}
	defer stopGuard()
	baseAddr, stopBase, err := loadgen.Serve(baseServed.Wrap(http.HandlerFunc(baselineCheck)))
	if err != nil {
		return err
	}
	defer stopBase()

	body := checkBody(blocks)
	targets := [2]*loadgen.Target{
		{Name: "guard", Addr: guardAddr, Path: "/api/v1/sms/check", Auth: secret, Body: body, Class: verdict, Classes: 3, Served: guardServed},
		{Name: "baseline", Addr: baseAddr, Path: "/api/v1/sms/check", Body: body, Class: verdict, Classes: 3, Served: baseServed},
	}
	for _, t := range targets {
		if err := t.Dial(c.Conns); err != nil {
			return err
		}
		defer t.Close()
		log.Printf("warming %s for %s", t.Name, c.Warm)
		t.Phase(c.Rate, c.Warm, c.Seed)
	}
	stopProfile, err := loadgen.Profile(c.CPUProfile, c.MutexProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	s.LoadAvg[0] = loadgen.LoadAvg()
	phases := loadgen.Rounds(targets, c.Rate, c.Phase, c.Rounds, c.Seed)
	s.LoadAvg[1] = loadgen.LoadAvg()
	s.Guard, s.Baseline = loadgen.Summarise(phases[0]), loadgen.Summarise(phases[1])
	s.P50Ratio, s.P99Ratio = s.Guard.P50/s.Baseline.P50, s.Guard.P99/s.Baseline.P99
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(s)
	}
	printSummary(s)
	return nil
}

// regions are the destination countries of the loaded blocks, weighted
// roughly like a global consumer app's users (percent).
var regions = []struct {
	code   string
	weight int
}{
	{"US", 16}, {"IN", 9}, {"BR", 6}, {"GB", 5}, {"DE", 4}, {"FR", 4}, {"ID", 4}, {"MX", 4}, {"JP", 4}, {"NG", 3},
	{"PH", 3}, {"TR", 3}, {"IT", 3}, {"ES", 3}, {"PL", 2}, {"VN", 2}, {"EG", 2}, {"ZA", 2}, {"KE", 1}, {"AU", 2},
}

// block is a valid mobile 1,000-number block: the E.164 number without
// its last three digits.
type block struct {
	prefix   string
	suffixes [16]uint16 // the loaded numbers' last three digits
}

// findBlocks draws n distinct 1,000-number blocks of valid mobile
// numbers: each country's example mobile number keeps its first NSN
// digits (all but nine, at least one) and the six or so up to the last
// three are drawn at random; a block is kept when libphonenumber holds
// its middle number a valid mobile (or fixed-or-mobile) number of the
// country, and so are the valid blocks among its 100 neighbours under the
// same 100,000 numbers (operators are assigned ranges).
func findBlocks(rng *rand.Rand, n int) ([]block, error) {
	total := 0
	for _, r := range regions {
		total += r.weight
	}
	seen := map[string]bool{}
	out := make([]block, 0, n)
	for ri, r := range regions {
		want := n * r.weight / total
		if ri == len(regions)-1 {
			want = n - len(out)
		}
		ex := phonenumbers.GetExampleNumberForType(r.code, phonenumbers.MOBILE)
		if ex == nil {
			return nil, fmt.Errorf("no example mobile number for %s", r.code)
		}
		cc := strconv.Itoa(int(ex.GetCountryCode()))
		nsn := phonenumbers.GetNationalSignificantNumber(ex)
		keep := max(1, len(nsn)-9)
		free := len(nsn) - keep - 3
		got, tries := 0, 0
		valid := func(p string) bool {
			if seen[p] {
				return false
			}
			num, err := sms.Analyse(p + "500")
			return err == nil && num.Region == r.code && (num.Type == sms.Mobile || num.Type == sms.FixedOrMobile)
		}
		add := func(p string) {
			seen[p] = true
			bl := block{prefix: p}
			// 16 distinct last digits, at least 4 apart: no neighbours.
			for i := 0; i < 16; {
				s := uint16(rng.IntN(1000))
				near := false
				for _, x := range bl.suffixes[:i] {
					if d := int(x) - int(s); d > -4 && d < 4 {
						near = true
					}
				}
				if !near {
					bl.suffixes[i] = s
					i++
				}
			}
			out = append(out, bl)
			got++
		}
		for got < want {
			if tries++; tries > 100*want+10_000 {
				return nil, fmt.Errorf("%s: found %d of %d valid blocks", r.code, got, want)
			}
			var b strings.Builder
			b.WriteString("+" + cc + nsn[:keep])
			for range free {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
			p := b.String()
			if !valid(p) {
				continue
			}
			// Operators hold ranges: the block's neighbours under the same
			// 100,000 numbers are mostly valid too.
			base := p[:len(p)-2]
			for _, j := range rng.Perm(100) {
				if got >= want {
					break
				}
				if q := fmt.Sprintf("%s%02d", base, j); valid(q) {
					add(q)
				}
			}
		}
	}
	return out, nil
}

var userAgents = []string{
	"AzureSkies/7.4.1 (com.azureskies.app; iPhone14,5; iOS 17.5.1) Alamofire/5.9.1",
	"AzureSkies/7.4.0 (Android 14; SM-S918B) okhttp/4.12.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}

// publicAddr draws a random address from 11.0.0.0 to 99.255.255.255
// (public, apart from a few reserved ranges that do not matter here).
func publicAddr(rng *rand.Rand) netip.Addr {
	u := rng.Uint32()
	return netip.AddrFrom4([4]byte{byte(11 + u%89), byte(u >> 8), byte(u >> 16), byte(u>>24) | 1})
}

// load feeds n requests (the blocks in turn, 16 numbers each) through the
// hub over the day before now, nine in ten verified 30 s later.
func load(ctx context.Context, h *hub.Hub, c *policy.Caller, rng *rand.Rand, blocks []block, n int) ([3]int, error) {
	var verdicts [3]int
	dt := 24 * time.Hour / time.Duration(n)
	start := time.Now().UTC().Add(-time.Duration(n) * dt)
	type pending struct {
		due    time.Time
		number string
	}
	var queue []pending
	for k := range n {
		t := start.Add(time.Duration(k) * dt)
		for len(queue) > 0 && !queue[0].due.After(t) {
			if err := h.SMSVerified(ctx, c, &sms.Verified{App: app, Number: queue[0].number, Time: queue[0].due}); err != nil {
				return verdicts, err
			}
			queue = queue[1:]
		}
		b := &blocks[k%len(blocks)]
		num := fmt.Sprintf("%s%03d", b.prefix, b.suffixes[(k/len(blocks))%16])
		d, err := h.SMSCheck(ctx, c, &sms.Request{App: app, Number: num, IP: publicAddr(rng), UserAgent: userAgents[rng.IntN(len(userAgents))], Time: t})
		if err != nil {
			return verdicts, err
		}
		verdicts[d.Decision]++
		if d.Decision != sms.Block && rng.IntN(10) != 0 {
			queue = append(queue, pending{t.Add(30 * time.Second), num})
		}
		if k%200_000 == 0 && k > 0 {
			log.Printf("loaded %d", k)
		}
	}
	return verdicts, nil
}

// allowAnswer is the baseline's fixed answer, the size of a guard's allow.
var allowAnswer = []byte(`{"decision":"allow","would":"allow","reasons":[],"country":"GB","prefix":"+447400123","carrier":"Vodafone","number_type":"mobile"}` + "\n")

// baselineCheck only parses the request and answers allow.
func baselineCheck(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxSMSBody))
	if err == nil {
		_, err = sms.ParseRequest(body)
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"invalid_field","message":%q}}`+"\n", err.Error())
		return
	}
	w.Write(allowAnswer)
}

// checkBody makes the body of a timed request: a random number of a
// random loaded block, from a random address, at the request's due time.
func checkBody(blocks []block) func([]byte, int, time.Time, *rand.Rand) []byte {
	return func(body []byte, _ int, at time.Time, rng *rand.Rand) []byte {
		b := &blocks[rng.IntN(len(blocks))]
		return fmt.Appendf(body, `{"app":%q,"number":"%s%03d","ip":"%s","user_agent":%q,"time":"%s"}`,
			app, b.prefix, rng.IntN(1000), publicAddr(rng), userAgents[rng.IntN(len(userAgents))], at.UTC().Format(time.RFC3339Nano))
	}
}

var (
	verdictChallenge = []byte(`"decision":"challenge"`)
	verdictBlock     = []byte(`"decision":"block"`)
)

// verdict is 1, 2 or 3 for an answer allow, challenge or block.
func verdict(body []byte) int8 {
	switch {
	case bytes.Contains(body, verdictBlock):
		return 3
	case bytes.Contains(body, verdictChallenge):
		return 2
	}
	return 1
}

func printSummary(s summary) {
	fmt.Printf("state: %d distinct numbers in %d blocks (%d recent requests), %d addresses, %d analyses; loaded in %.1f s (allow %d, challenge %d, block %d)\n",
		s.State.Numbers, s.State.Blocks, s.State.Requests, s.State.IPs, s.State.Analyses, s.LoadSeconds, s.LoadVerdict[0], s.LoadVerdict[1], s.LoadVerdict[2])
	fmt.Printf("memory: heap in use %.1f → %.1f MB (+%.1f), RSS %.1f → %.1f MB (+%.1f)\n",
		mb(s.HeapBefore), mb(s.HeapAfter), mb(s.HeapAfter)-mb(s.HeapBefore), mb(s.RSSBefore), mb(s.RSSAfter), mb(s.RSSAfter)-mb(s.RSSBefore))
	fmt.Printf("load: %d/s to each target, %d rounds of %s, %d connections each; machine load average %.1f before, %.1f after\n",
		s.Rate, s.Rounds, s.Phase, s.Conns, s.LoadAvg[0], s.LoadAvg[1])
	loadgen.TableHeader(os.Stdout)
	loadgen.Row(os.Stdout, "guard", s.Guard)
	loadgen.Row(os.Stdout, "baseline", s.Baseline)
	fmt.Printf("guard verdicts: allow %d, challenge %d, block %d\n", s.Guard.Verdicts[0], s.Guard.Verdicts[1], s.Guard.Verdicts[2])
	fmt.Printf("ratio guard/baseline: p50 %.2f×, p99 %.2f×\n", s.P50Ratio, s.P99Ratio)
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
