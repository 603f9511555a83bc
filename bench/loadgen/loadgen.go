// Package loadgen drives HTTP servers with open-loop load at a fixed rate
// over real TCP and sums up the latencies, for the benchmarks under bench/
// that measure a hub endpoint against a baseline handler in the same run
// (smsbench, screenbench).
//
// # Load
//
// The load is open-loop: request i of a phase is due at start + i/rate
// whatever happened to the ones before, a dispatcher hands due requests
// to the target's workers, each holding one keep-alive connection, and
// latency runs from the request's due time to the end of its answer, so
// that a server that falls behind is charged the queueing (no coordinated
// omission). The client writes HTTP/1.1 by hand and reads answers with
// http.ReadResponse. Client and servers share the process and the
// machine's cores: what the client costs, every target pays.
//
// # Figures
//
// A Result holds one target's figures over its timed phases: quantiles of
// the latency from due time (p50, p99, p99.9, max) and of the handler's
// own time (Recorder), the achieved rate, errors, the process's CPU time
// per answered request, and how many answers fell in each class the
// target's Class tells apart (allow, challenge and block; pass and flag).
package loadgen

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Target is one server under load, with its connections.
type Target struct {
	Name string
	Addr string // host:port
	Path string // of the POST, e.g. /api/v1/sms/check
	Auth string // bearer token, or empty for none
	// Body appends the JSON body of request seq, due at due, to buf and
	// returns it; rng is the worker's own random stream. seq counts the
	// target's requests over all its phases, from 0; Body is called from
	// several goroutines at once.
	Body func(buf []byte, seq int, due time.Time, rng *rand.Rand) []byte
	// Class tells which class (1 to Classes) an answer's body given with
	// status 200 falls in.
	Class   func(body []byte) int8
	Classes int
	// Served records the handler's own times, or is nil.
	Served *Recorder

	conns []*conn
	seq   int // requests issued in earlier phases
}

type conn struct {
	c  net.Conn
	br *bufio.Reader
}

// Dial opens n keep-alive connections to t, one for each worker.
func (t *Target) Dial(n int) error {
	for range n {
		c, err := net.Dial("tcp", t.Addr)
		if err != nil {
			return err
		}
		t.conns = append(t.conns, &conn{c: c, br: bufio.NewReaderSize(c, 4096)})
	}
	return nil
}

// Close closes t's connections.
func (t *Target) Close() {
	for _, c := range t.conns {
		c.c.Close()
	}
}

// Phase is one timed phase of one target.
type Phase struct {
	Sent, OK, Errors int
	Lat              []time.Duration // of the answered requests, from their due times
	Served           []time.Duration // in the handler (see Recorder)
	Span             time.Duration   // from the first due time to the last answer
	CPU              time.Duration   // the process's CPU time (user and system) over the phase
	Classes          []int           // answers in each class
}

// Achieved is the rate of answered requests over the phase's span.
func (p Phase) Achieved() float64 { return float64(p.OK) / p.Span.Seconds() }

// Phase drives t at rate for d, open-loop, and returns the latencies of
// its requests from their due times. The workers' random streams are
// seeded from seed and their number.
func (t *Target) Phase(rate int, d time.Duration, seed uint64) Phase {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	due := make(chan int, n)
	lat := make([]time.Duration, n)
	status := make([]int8, n) // 0 error, else the answer's class
	if t.Served != nil {
		t.Served.take()
	}
	cpu0 := CPUTime()
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
				body = t.Body(body[:0], t.seq+i, at, rng)
				req = append(req[:0], "POST "+t.Path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"...)
				if t.Auth != "" {
					req = append(req, "Authorization: Bearer "+t.Auth+"\r\n"...)
				}
				req = fmt.Appendf(req, "Content-Length: %d\r\n\r\n", len(body))
				req = append(req, body...)
				st, err := t.do(c, req)
				lat[i] = time.Since(at)
				if err != nil {
					// Reconnect: the answer on this connection is lost.
					c.c.Close()
					if nc, err := net.Dial("tcp", t.Addr); err == nil {
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
	t.seq += n
	p := Phase{Sent: n, Span: end.Sub(start), CPU: CPUTime() - cpu0, Classes: make([]int, t.Classes)}
	if t.Served != nil {
		p.Served = t.Served.take()
	}
	for i, s := range status {
		if s == 0 {
			p.Errors++
			continue
		}
		p.OK++
		p.Classes[s-1]++
		p.Lat = append(p.Lat, lat[i])
	}
	return p
}

// do sends one request and reads its answer: the answer's class when it
// is answered 200, 0 for anything else.
func (t *Target) do(c *conn, req []byte) (int8, error) {
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
	return t.Class(body), nil
}

// Rounds drives the targets alternately, one phase of d at rate each per
// round, for rounds rounds (the first target first in even rounds, the
// second first in odd ones), logs each phase, and returns each target's
// phases. Phase r of target i is seeded seed + 2r + i + 1.
func Rounds(targets [2]*Target, rate int, d time.Duration, rounds int, seed uint64) [2][]Phase {
	var phases [2][]Phase
	for r := range rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			p := targets[i].Phase(rate, d, seed+uint64(r)*2+uint64(i)+1)
			phases[i] = append(phases[i], p)
			log.Printf("round %d %-8s sent %d ok %d errors %d achieved %.0f/s p50 %.0f µs p99 %.0f µs max %.0f µs CPU %.1f µs/request, handler p50 %.0f p99 %.0f µs",
				r+1, targets[i].Name, p.Sent, p.OK, p.Errors, p.Achieved(), Quantile(p.Lat, 0.5), Quantile(p.Lat, 0.99), Quantile(p.Lat, 1),
				float64(p.CPU.Microseconds())/float64(max(p.OK, 1)), Quantile(p.Served, 0.5), Quantile(p.Served, 0.99))
		}
	}
	return phases
}

// Recorder keeps how long a handler took with each request, from the
// request read to the answer written: the server's own time, without
// the client's, the network's or the queue before the handler.
type Recorder struct {
	mu sync.Mutex
	ds []time.Duration
}

// Wrap returns h recording its times in rc.
func (rc *Recorder) Wrap(h http.Handler) http.Handler {
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
func (rc *Recorder) take() []time.Duration {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ds := rc.ds
	rc.ds = nil
	return ds
}

// Serve serves h on a fresh listener on 127.0.0.1 with the hub's server
// settings (internal/server) and returns its address and a function that
// stops it.
func Serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// Result is one target's figures over its timed phases, times in µs.
type Result struct {
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
	// ServedP50 and ServedP99 are the handler's own times (see Recorder).
	ServedP50 float64 `json:"served_p50_us"`
	ServedP99 float64 `json:"served_p99_us"`
	// Verdicts counts the answers in each of the target's classes.
	Verdicts []int `json:"verdicts"`
}

// Summarise sums up one target's phases.
func Summarise(ps []Phase) Result {
	var r Result
	var all []time.Duration
	var span, cpu time.Duration
	var served []time.Duration
	for _, p := range ps {
		cpu += p.CPU
		served = append(served, p.Served...)
		r.Sent += p.Sent
		r.OK += p.OK
		r.Errors += p.Errors
		span += p.Span
		all = append(all, p.Lat...)
		r.PhaseP99 = append(r.PhaseP99, math.Round(Quantile(p.Lat, 0.99)))
		if r.Verdicts == nil {
			r.Verdicts = make([]int, len(p.Classes))
		}
		for i := range r.Verdicts {
			r.Verdicts[i] += p.Classes[i]
		}
	}
	slices.Sort(all)
	r.Achieved = float64(r.OK) / span.Seconds()
	r.CPU = float64(cpu.Microseconds()) / float64(r.OK)
	r.ServedP50, r.ServedP99 = Quantile(served, 0.5), Quantile(served, 0.99)
	r.P50, r.P99, r.P999, r.Max = Quantile(all, 0.5), Quantile(all, 0.99), Quantile(all, 0.999), Quantile(all, 1)
	return r
}

// Quantile is the q-quantile of ds in µs (the element at q×len of the
// sorted durations), NaN when ds is empty.
func Quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return math.NaN()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(q*float64(len(s))))].Nanoseconds()) / 1e3
}

// Median is the median of xs (the mean of the middle two for an even
// count), NaN when xs is empty.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// TableHeader prints the header of the per-target table Row prints.
func TableHeader(w io.Writer) {
	fmt.Fprintf(w, "%-8s %8s %6s %9s %8s %8s %8s %9s %7s %14s  %s\n", "target", "sent", "errors", "achieved", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "CPU µs", "handler p50/99", "p99 per phase (µs)")
}

// Row prints r as a row of the table TableHeader begins.
func Row(w io.Writer, name string, r Result) {
	fmt.Fprintf(w, "%-8s %8d %6d %9.0f %8.0f %8.0f %8.0f %9.0f %7.1f %6.0f/%-7.0f  %v\n", name, r.Sent, r.Errors, r.Achieved, r.P50, r.P99, r.P999, r.Max, r.CPU, r.ServedP50, r.ServedP99, r.PhaseP99)
}

// LoadAvg is the machine's one-minute load average, 0 if unknown.
func LoadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	return f
}

// CPUTime is the CPU time the process has used, user and system.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Memory is the Go heap in use after a collection and the process's
// resident set.
func Memory() (heap, rss uint64) {
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

// Profile starts a CPU profile written to cpu and, when mutex is not
// empty, samples lock contention for a profile written to mutex; stop
// ends both and writes them. Empty paths profile nothing.
func Profile(cpu, mutex string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range slices.Backward(stops) {
			f()
		}
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if mutex != "" {
		runtime.SetMutexProfileFraction(10)
		stops = append(stops, func() {
			f, err := os.Create(mutex)
			if err != nil {
				log.Print(err)
				return
			}
			pprof.Lookup("mutex").WriteTo(f, 0)
			f.Close()
		})
	}
	return stop, nil
}

// Medians is the median over rs of each figure of a Result; PhaseP99 is
// left empty.
func Medians(rs []Result) Result {
	f := func(x func(Result) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = x(r)
		}
		return Median(xs)
	}
	m := Result{
		Sent:      int(f(func(r Result) float64 { return float64(r.Sent) })),
		OK:        int(f(func(r Result) float64 { return float64(r.OK) })),
		Errors:    int(f(func(r Result) float64 { return float64(r.Errors) })),
		Achieved:  f(func(r Result) float64 { return r.Achieved }),
		P50:       f(func(r Result) float64 { return r.P50 }),
		P99:       f(func(r Result) float64 { return r.P99 }),
		P999:      f(func(r Result) float64 { return r.P999 }),
		Max:       f(func(r Result) float64 { return r.Max }),
		CPU:       f(func(r Result) float64 { return r.CPU }),
		ServedP50: f(func(r Result) float64 { return r.ServedP50 }),
		ServedP99: f(func(r Result) float64 { return r.ServedP99 }),
	}
	if len(rs) > 0 {
		m.Verdicts = make([]int, len(rs[0].Verdicts))
		for i := range m.Verdicts {
			m.Verdicts[i] = int(f(func(r Result) float64 { return float64(r.Verdicts[i]) }))
		}
	}
	return m
}

// Options are the settings every benchmark of this package takes as
// flags (Register).
type Options struct {
	Rate         int           // requests a second to each target
	Phase        time.Duration // one timed phase
	Warm         time.Duration // untimed load on each target before the rounds
	Rounds       int           // rounds of one phase per target
	Conns        int           // keep-alive connections (workers) per target
	Seed         uint64
	Dir          string // for the hub's store (and the benchmark's data)
	CPUProfile   string // a CPU profile of the timed rounds
	MutexProfile string // a profile of lock contention in the timed rounds
	JSON         bool   // the summary as one JSON object
}

// Register defines the options' flags on the default flag set, with the
// default rate and what the seed and the directory are for.
func (o *Options) Register(rate int, seed, dir string) {
	flag.IntVar(&o.Rate, "rate", rate, "requests a second to each target")
	flag.DurationVar(&o.Phase, "phase", 5*time.Second, "length of one timed phase")
	flag.DurationVar(&o.Warm, "warm", 2*time.Second, "untimed load on each target before the rounds")
	flag.IntVar(&o.Rounds, "rounds", 6, "rounds of one phase per target")
	flag.IntVar(&o.Conns, "conns", 64, "keep-alive connections (workers) per target")
	flag.Uint64Var(&o.Seed, "seed", 1, seed)
	flag.StringVar(&o.Dir, "dir", "", dir)
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the timed rounds here")
	flag.StringVar(&o.MutexProfile, "mutexprofile", "", "write a profile of lock contention in the timed rounds here")
	flag.BoolVar(&o.JSON, "json", false, "print the summary as one JSON object")
}

// Check reports options out of range.
func (o *Options) Check() error {
	if o.Rate < 1 || o.Rounds < 1 || o.Conns < 1 || o.Phase <= 0 || o.Warm < 0 {
		return fmt.Errorf("--rate, --rounds, --conns and --phase must be positive and --warm not negative")
	}
	return nil
}
