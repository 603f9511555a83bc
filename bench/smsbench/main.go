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
// The load is open-loop: request i is due at start + i/rate whatever
// happened to the ones before, a dispatcher hands due requests to --conns
// workers each holding one keep-alive connection, and latency runs from
// the request's due time to the end of its answer, so that a server that
// falls behind is charged the queueing (no coordinated omission). The
// client writes HTTP/1.1 by hand and reads answers with http.ReadResponse.
// Client and servers share this process and the machine's cores: what the
// client costs, both targets pay.
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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nyaruka/phonenumbers"

	"fusion/internal/api"
	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/server"
	"fusion/internal/sms"
)

type config struct {
	numbers    int
	rate       int
	phase      time.Duration
	warm       time.Duration
	rounds     int
	conns      int
	seed       uint64
	dir        string
	cpuProfile string
	mutexProf  string
	jsonOut    bool
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("smsbench: ")
	var c config
	flag.IntVar(&c.numbers, "numbers", 1_000_000, "distinct numbers to bring the guard's state to before timing")
	flag.IntVar(&c.rate, "rate", 10_000, "requests a second to each target")
	flag.DurationVar(&c.phase, "phase", 5*time.Second, "length of one timed phase")
	flag.DurationVar(&c.warm, "warm", 2*time.Second, "untimed load on each target before the rounds")
	flag.IntVar(&c.rounds, "rounds", 6, "rounds of one phase per target")
	flag.IntVar(&c.conns, "conns", 64, "keep-alive connections (workers) per target")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed for blocks, numbers and addresses")
	flag.StringVar(&c.dir, "dir", "", "directory for the hub's SQLite store (default: a temporary one, removed)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the timed rounds here")
	flag.StringVar(&c.mutexProf, "mutexprofile", "", "write a profile of lock contention in the timed rounds here")
	flag.BoolVar(&c.jsonOut, "json", false, "print the summary as one JSON object")
	flag.Parse()
	if c.numbers < 16 || c.rate < 1 || c.rounds < 1 || c.conns < 1 || c.phase <= 0 {
		log.Fatal("--numbers must be at least 16 and --rate, --rounds, --conns and --phase positive")
	}
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

// summary is what a run prints.
type summary struct {
	Numbers     int       `json:"numbers"`
	Rate        int       `json:"rate"`
	Phase       string    `json:"phase"`
	Rounds      int       `json:"rounds"`
	Conns       int       `json:"conns"`
	LoadSeconds float64   `json:"load_seconds"`
	LoadVerdict [3]int    `json:"load_verdicts"` // allow, challenge, block
	State       sms.Stats `json:"state"`
	HeapBefore  uint64    `json:"heap_before"`
	HeapAfter   uint64    `json:"heap_after"`
	RSSBefore   uint64    `json:"rss_before"`
	RSSAfter    uint64    `json:"rss_after"`
	Guard       result    `json:"guard"`
	Baseline    result    `json:"baseline"`
	P50Ratio    float64   `json:"p50_ratio"`
	P99Ratio    float64   `json:"p99_ratio"`
	// LoadAvg is the machine's one-minute load average (/proc/loadavg)
	// before and after the timed rounds: what else ran on the cores.
	LoadAvg [2]float64 `json:"loadavg"`
}

// result is one target's figures over its timed phases, times in µs.
type result struct {
	Sent     int       `json:"sent"`
	OK       int       `json:"ok"`
	Errors   int       `json:"errors"`
	Achieved float64   `json:"achieved_per_s"`
	P50      float64   `json:"p50_us"`
	P99      float64   `json:"p99_us"`
	P999     float64   `json:"p99_9_us"`
	Max      float64   `json:"max_us"`
	PhaseP99 []float64 `json:"phase_p99_us"`
	// CPU is the process's CPU time per answered request over the
	// target's phases: server and client, both targets' alike.
	CPU float64 `json:"cpu_us_per_request"`
	// ServedP50 and ServedP99 are the handler's own times (see recorder).
	ServedP50 float64 `json:"served_p50_us"`
	ServedP99 float64 `json:"served_p99_us"`
	Verdicts  [3]int  `json:"verdicts"` // allow, challenge, block
}

const app = "otp-login"

func run(c config) error {
	ctx := context.Background()
	dir := c.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "smsbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	h, err := openHub(ctx, dir)
	if err != nil {
		return err
	}
	defer h.Close()
	if _, err := h.OperatorCreateOrg(ctx, "org-bank", "A bank", "JP", "bank", false); err != nil {
		return err
	}
	secret, _, err := h.OperatorIssueToken(ctx, "org-bank", intel.RoleSensor, "otp backend")
	if err != nil {
		return err
	}
	sensor, err := h.Authenticate(ctx, secret)
	if err != nil {
		return err
	}

	var s summary
	s.Numbers, s.Rate, s.Phase, s.Rounds, s.Conns = c.numbers, c.rate, c.phase.String(), c.rounds, c.conns
	rng := rand.New(rand.NewPCG(c.seed, 17))
	log.Printf("finding %d valid mobile blocks", (c.numbers+15)/16)
	tf := time.Now()
	blocks, err := findBlocks(rng, (c.numbers+15)/16)
	if err != nil {
		return err
	}
	log.Printf("found them in %.1f s", time.Since(tf).Seconds())
	s.HeapBefore, s.RSSBefore = memory()
	t0 := time.Now()
	if s.LoadVerdict, err = load(ctx, h, sensor, rng, blocks, c.numbers); err != nil {
		return err
	}
	s.LoadSeconds = time.Since(t0).Seconds()
	s.HeapAfter, s.RSSAfter = memory()
	if s.State, err = h.SMSStats(ctx, sensor); err != nil {
		return err
	}
	log.Printf("loaded in %.1f s: %+v; heap %d → %d MB, RSS %d → %d MB", s.LoadSeconds, s.State,
		s.HeapBefore>>20, s.HeapAfter>>20, s.RSSBefore>>20, s.RSSAfter>>20)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	guardServed, baseServed := &recorder{}, &recorder{}
	guardAddr, stopGuard, err := serve(guardServed.wrap(server.New(server.Config{Hub: h, Log: quiet}).Handler()))
	if err != nil {
		return err
	}
	defer stopGuard()
	baseAddr, stopBase, err := serve(baseServed.wrap(http.HandlerFunc(baselineCheck)))
	if err != nil {
		return err
	}
	defer stopBase()

	targets := [2]*target{
		{name: "guard", addr: guardAddr, auth: secret, blocks: blocks, served: guardServed},
		{name: "baseline", addr: baseAddr, blocks: blocks, served: baseServed},
	}
	for _, t := range targets {
		if err := t.dial(c.conns); err != nil {
			return err
		}
		defer t.close()
		log.Printf("warming %s for %s", t.name, c.warm)
		t.phase(c.rate, c.warm, c.seed)
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if c.mutexProf != "" {
		runtime.SetMutexProfileFraction(10)
		defer func() {
			f, err := os.Create(c.mutexProf)
			if err != nil {
				log.Print(err)
				return
			}
			pprof.Lookup("mutex").WriteTo(f, 0)
			f.Close()
		}()
	}
	var phases [2][]phaseResult
	s.LoadAvg[0] = loadAvg()
	for r := range c.rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			p := targets[i].phase(c.rate, c.phase, c.seed+uint64(r)*2+uint64(i)+1)
			phases[i] = append(phases[i], p)
			log.Printf("round %d %-8s sent %d ok %d errors %d achieved %.0f/s p50 %.0f µs p99 %.0f µs max %.0f µs CPU %.1f µs/request, handler p50 %.0f p99 %.0f µs",
				r+1, targets[i].name, p.sent, p.ok, p.errors, p.achieved(), quantile(p.lat, 0.5), quantile(p.lat, 0.99), quantile(p.lat, 1),
				float64(p.cpu.Microseconds())/float64(max(p.ok, 1)), quantile(p.served, 0.5), quantile(p.served, 0.99))
		}
	}
	s.LoadAvg[1] = loadAvg()
	s.Guard, s.Baseline = summarise(phases[0]), summarise(phases[1])
	s.P50Ratio, s.P99Ratio = s.Guard.P50/s.Baseline.P50, s.Guard.P99/s.Baseline.P99
	if c.jsonOut {
		return json.NewEncoder(os.Stdout).Encode(s)
	}
	printSummary(s)
	return nil
}

func openHub(ctx context.Context, dir string) (*hub.Hub, error) {
	skey, _, err := evidence.GenerateKey("fusion.bench/sms")
	if err != nil {
		return nil, err
	}
	notary, err := evidence.NewNotary(skey)
	if err != nil {
		return nil, err
	}
	canon, err := observable.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		return nil, err
	}
	return hub.Open(ctx, hub.Config{DSN: filepath.Join(dir, "fusion.db"), Canon: canon, Notary: notary,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// memory is the heap in use after a collection and the resident set.
func memory() (heap, rss uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return ms.HeapInuse, rss
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

// serve serves h on a fresh listener on 127.0.0.1 with the hub's server
// settings (internal/server).
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
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

// target is one server under load, with its connections.
type target struct {
	name   string
	addr   string
	auth   string
	blocks []block
	conns  []*conn
	served *recorder
}

// recorder keeps how long a handler took with each request, from the
// request read to the answer written: the server's own time, without
// the client's, the network's or the queue before the handler.
type recorder struct {
	mu sync.Mutex
	ds []time.Duration
}

func (rc *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, r)
		d := time.Since(t0)
		rc.mu.Lock()
		rc.ds = append(rc.ds, d)
		rc.mu.Unlock()
	})
}

// take returns the times recorded since the last take.
func (rc *recorder) take() []time.Duration {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ds := rc.ds
	rc.ds = nil
	return ds
}

type conn struct {
	c  net.Conn
	br *bufio.Reader
}

func (t *target) dial(n int) error {
	for range n {
		c, err := net.Dial("tcp", t.addr)
		if err != nil {
			return err
		}
		t.conns = append(t.conns, &conn{c: c, br: bufio.NewReaderSize(c, 4096)})
	}
	return nil
}

func (t *target) close() {
	for _, c := range t.conns {
		c.c.Close()
	}
}

// phaseResult is one timed phase of one target.
type phaseResult struct {
	sent, ok, errors int
	lat              []time.Duration
	served           []time.Duration // in the handler (see recorder)
	span             time.Duration   // from the first due time to the last answer
	cpu              time.Duration   // the process's CPU time (user and system) over the phase
	verdicts         [3]int
}

func (p phaseResult) achieved() float64 { return float64(p.ok) / p.span.Seconds() }

// phase drives t at rate for d, open-loop, and returns the latencies of
// its requests from their due times.
func (t *target) phase(rate int, d time.Duration, seed uint64) phaseResult {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	due := make(chan int, n)
	lat := make([]time.Duration, n)
	status := make([]int8, n) // 0 error, 1 allow, 2 challenge, 3 block
	t.served.take()
	cpu0 := cpuTime()
	start := time.Now().Add(5 * time.Millisecond)
	go func() {
		i := 0
		for i < n {
			now := time.Since(start)
			for ; i < n && time.Duration(i)*interval <= now; i++ {
				due <- i
			}
			time.Sleep(50 * time.Microsecond)
		}
		close(due)
	}()
	var wg sync.WaitGroup
	var endMu sync.Mutex
	var end time.Time
	for w, c := range t.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			var req, body []byte
			for i := range due {
				at := start.Add(time.Duration(i) * interval)
				b := &t.blocks[rng.IntN(len(t.blocks))]
				body = fmt.Appendf(body[:0], `{"app":%q,"number":"%s%03d","ip":"%s","user_agent":%q,"time":"%s"}`,
					app, b.prefix, rng.IntN(1000), publicAddr(rng), userAgents[rng.IntN(len(userAgents))], at.UTC().Format(time.RFC3339Nano))
				req = append(req[:0], "POST /api/v1/sms/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"...)
				if t.auth != "" {
					req = append(req, "Authorization: Bearer "+t.auth+"\r\n"...)
				}
				req = fmt.Appendf(req, "Content-Length: %d\r\n\r\n", len(body))
				req = append(req, body...)
				st, err := c.do(req)
				lat[i] = time.Since(at)
				if err != nil {
					// Reconnect: the answer on this connection is lost.
					c.c.Close()
					if nc, err := net.Dial("tcp", t.addr); err == nil {
						c.c, c.br = nc, bufio.NewReaderSize(nc, 4096)
					}
				}
				status[i] = st
			}
			endMu.Lock()
			end = time.Now()
			endMu.Unlock()
		}()
	}
	wg.Wait()
	p := phaseResult{sent: n, span: end.Sub(start), cpu: cpuTime() - cpu0, served: t.served.take()}
	for i, s := range status {
		if s == 0 {
			p.errors++
			continue
		}
		p.ok++
		p.verdicts[s-1]++
		p.lat = append(p.lat, lat[i])
	}
	return p
}

var (
	verdictChallenge = []byte(`"decision":"challenge"`)
	verdictBlock     = []byte(`"decision":"block"`)
)

// do sends one request and reads its answer: 1, 2 or 3 for an allow,
// challenge or block answered 200, 0 for anything else.
func (c *conn) do(req []byte) (int8, error) {
	if _, err := c.c.Write(req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil
	}
	switch {
	case bytes.Contains(body, verdictBlock):
		return 3, nil
	case bytes.Contains(body, verdictChallenge):
		return 2, nil
	}
	return 1, nil
}

// loadAvg is the machine's one-minute load average, 0 if unknown.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	return f
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return math.NaN()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(q*float64(len(s))))].Nanoseconds()) / 1e3
}

func summarise(ps []phaseResult) result {
	var r result
	var all []time.Duration
	var span, cpu time.Duration
	var served []time.Duration
	for _, p := range ps {
		cpu += p.cpu
		served = append(served, p.served...)
		r.Sent += p.sent
		r.OK += p.ok
		r.Errors += p.errors
		span += p.span
		all = append(all, p.lat...)
		r.PhaseP99 = append(r.PhaseP99, math.Round(quantile(p.lat, 0.99)))
		for i := range r.Verdicts {
			r.Verdicts[i] += p.verdicts[i]
		}
	}
	slices.Sort(all)
	r.Achieved = float64(r.OK) / span.Seconds()
	r.CPU = float64(cpu.Microseconds()) / float64(r.OK)
	r.ServedP50, r.ServedP99 = quantile(served, 0.5), quantile(served, 0.99)
	r.P50, r.P99, r.P999, r.Max = quantile(all, 0.5), quantile(all, 0.99), quantile(all, 0.999), quantile(all, 1)
	return r
}

func printSummary(s summary) {
	fmt.Printf("state: %d distinct numbers in %d blocks (%d recent requests), %d addresses, %d analyses; loaded in %.1f s (allow %d, challenge %d, block %d)\n",
		s.State.Numbers, s.State.Blocks, s.State.Requests, s.State.IPs, s.State.Analyses, s.LoadSeconds, s.LoadVerdict[0], s.LoadVerdict[1], s.LoadVerdict[2])
	fmt.Printf("memory: heap in use %.1f → %.1f MB (+%.1f), RSS %.1f → %.1f MB (+%.1f)\n",
		mb(s.HeapBefore), mb(s.HeapAfter), mb(s.HeapAfter)-mb(s.HeapBefore), mb(s.RSSBefore), mb(s.RSSAfter), mb(s.RSSAfter)-mb(s.RSSBefore))
	fmt.Printf("load: %d/s to each target, %d rounds of %s, %d connections each; machine load average %.1f before, %.1f after\n",
		s.Rate, s.Rounds, s.Phase, s.Conns, s.LoadAvg[0], s.LoadAvg[1])
	fmt.Printf("%-8s %8s %6s %9s %8s %8s %8s %9s %7s %14s  %s\n", "target", "sent", "errors", "achieved", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "CPU µs", "handler p50/99", "p99 per phase (µs)")
	for _, x := range []struct {
		name string
		r    result
	}{{"guard", s.Guard}, {"baseline", s.Baseline}} {
		fmt.Printf("%-8s %8d %6d %9.0f %8.0f %8.0f %8.0f %9.0f %7.1f %6.0f/%-7.0f  %v\n", x.name, x.r.Sent, x.r.Errors, x.r.Achieved, x.r.P50, x.r.P99, x.r.P999, x.r.Max, x.r.CPU, x.r.ServedP50, x.r.ServedP99, x.r.PhaseP99)
	}
	fmt.Printf("guard verdicts: allow %d, challenge %d, block %d\n", s.Guard.Verdicts[0], s.Guard.Verdicts[1], s.Guard.Verdicts[2])
	fmt.Printf("ratio guard/baseline: p50 %.2f×, p99 %.2f×\n", s.P50Ratio, s.P99Ratio)
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
