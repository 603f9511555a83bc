// Command torbench measures Tor attribution ("was this IP a Tor relay or
// exit at time T?"): it synthesises a year of hourly consensuses from a
// real one, imports them (text parsed by tor.ParseConsensus, then
// tor.Importer) into a fresh SQLite store, and times Directory.Check in
// process and over HTTP. In the same run it loads the naive baseline — a
// PostgreSQL table with one row per (address, consensus hour) and a B-tree
// index — and times the same question against it.
//
//	go run ./bench/torbench --hours 200 --pg-hours 200
//	bash bench/tor.sh
//
// The consensuses are generated as dir-spec text in memory (never written
// to disk): hour 0 is the real consensus; each later hour some relays leave,
// fresh ones join, departed ones come back, some change address, some
// change flags, and descriptors are republished about every 18 hours. The
// generator is deterministic for a seed.
//
// Progress goes to stderr; the summary to stdout (one JSON object with
// --json).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"fusion/internal/store"
	"fusion/internal/tor"
)

type config struct {
	fixture      string
	hours        int
	pgHours      int
	seed         uint64
	join, rejoin float64
	move, flags  float64
	queries      int
	httpQueries  int
	pgQueries    int
	window       time.Duration
	dsn          string
	dir          string
	keep         bool
	pgKeep       bool
	jsonOut      bool
	cpuProfile   string
	memProfile   string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("torbench: ")
	dsn := os.Getenv("FUSION_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test"
	}
	var c config
	flag.StringVar(&c.fixture, "fixture", "/work/shared/fixtures/tor/2017-04-15-00-00-00-consensus", "real consensus `FILE` the year is grown from")
	flag.IntVar(&c.hours, "hours", 8760, "hourly consensuses to generate and import")
	flag.IntVar(&c.pgHours, "pg-hours", -1, "hours loaded into the PostgreSQL baseline (default: --hours; 0 skips it)")
	flag.Uint64Var(&c.seed, "seed", 1, "generator seed")
	flag.Float64Var(&c.join, "join", 0.003, "fraction of relays joining per hour with fresh fingerprints and addresses")
	flag.Float64Var(&c.rejoin, "rejoin", 0.001, "fraction of relays per hour that are departed relays coming back")
	flag.Float64Var(&c.move, "move", 0.001, "fraction of relays changing IPv4 address per hour")
	flag.Float64Var(&c.flags, "flag-changes", 0.002, "fraction of relays whose flags change per hour")
	flag.IntVar(&c.queries, "queries", 100000, "in-process Directory.Check queries")
	flag.IntVar(&c.httpQueries, "http-queries", 20000, "HTTP queries")
	flag.IntVar(&c.pgQueries, "pg-queries", 20000, "PostgreSQL baseline queries")
	flag.DurationVar(&c.window, "window", 0, "window of the Check queries (0: \"listed at T\", the baseline's question)")
	flag.StringVar(&c.dsn, "dsn", dsn, "PostgreSQL `DSN` of the baseline")
	flag.StringVar(&c.dir, "dir", "", "parent `DIR` of the temporary SQLite store (default: $TMPDIR)")
	flag.BoolVar(&c.keep, "keep", false, "keep the SQLite store")
	flag.BoolVar(&c.pgKeep, "pg-keep", false, "keep the baseline table bench_tor_listings")
	flag.BoolVar(&c.jsonOut, "json", false, "print one JSON object instead of the table")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the import to `FILE`")
	flag.StringVar(&c.memProfile, "memprofile", "", "write a heap profile taken just before Importer.Finish to `FILE`")
	flag.Parse()
	if c.hours < 1 {
		log.Fatal("--hours must be at least 1")
	}
	if c.pgHours < 0 || c.pgHours > c.hours {
		c.pgHours = c.hours
	}
	if err := run(context.Background(), c); err != nil {
		log.Fatal(err)
	}
}

// result is everything measured; it is the --json output.
type result struct {
	Seed        uint64  `json:"seed"`
	Hours       int     `json:"hours"`
	Start       string  `json:"start"`
	JoinRate    float64 `json:"join_rate"`
	RejoinRate  float64 `json:"rejoin_rate"`
	LeaveRate   float64 `json:"leave_rate"`
	MoveRate    float64 `json:"move_rate"`
	FlagRate    float64 `json:"flag_change_rate"`
	Relays0     int     `json:"relays_hour0"`
	RelaysLast  int     `json:"relays_last_hour"`
	Addresses   int     `json:"addresses_ever"`
	RelayEntrys int64   `json:"relay_entries"`
	RawBytes    int64   `json:"raw_bytes"`

	GenSeconds    float64 `json:"generate_seconds"` // not part of the import
	ParseSeconds  float64 `json:"parse_seconds"`
	AddSeconds    float64 `json:"add_seconds"`
	FinishSeconds float64 `json:"finish_seconds"`
	ImportSeconds float64 `json:"import_seconds"` // parse + Add + Finish
	// ImportCPUSeconds is the process's user+system CPU time over the same
	// phases (all threads: GC and SQLite included), which other load on the
	// machine does not inflate.
	ImportCPUSeconds float64 `json:"import_cpu_seconds"`
	DocsPerSecond    float64 `json:"docs_per_second"`
	ParseMBPerSec    float64 `json:"parse_mb_per_second"`
	Intervals        int     `json:"intervals"`
	// IntervalAddrs and MaxIntervalsPerAddr: Check scans an address's
	// intervals in order, so the longest list bounds its work.
	IntervalAddrs       int     `json:"interval_addresses"`
	MaxIntervalsPerAddr int     `json:"max_intervals_per_address"`
	MaxRSSImport        int64   `json:"max_rss_after_import_bytes"`
	SQLiteBytes         int64   `json:"sqlite_bytes"`      // db + wal + shm after a checkpoint
	SQLitePageBytes     int64   `json:"sqlite_page_bytes"` // page_count * page_size
	TorTableBytes       int64   `json:"tor_tables_bytes"`  // dbstat, tor_* tables and indexes; -1 if unavailable
	RawPerStored        float64 `json:"raw_per_stored"`    // raw / sqlite_bytes

	LoadSeconds  float64 `json:"directory_load_seconds"`
	DirHeapBytes int64   `json:"directory_heap_bytes"`

	Window     string  `json:"window"`
	Queries    int     `json:"queries"`
	CheckP50us float64 `json:"check_p50_us"`
	CheckP99us float64 `json:"check_p99_us"`
	CheckMaxus float64 `json:"check_max_us"`
	CheckHits  float64 `json:"check_relay_fraction"`
	// CheckListedP99us and CheckUnlistedP99us split p99 by the answer.
	CheckListedP99us   float64 `json:"check_listed_p99_us"`
	CheckUnlistedP99us float64 `json:"check_unlisted_p99_us"`
	CheckGCs           int     `json:"check_gc_cycles"`
	CheckAllocBytes    float64 `json:"check_alloc_bytes_per_query"`

	HTTPQueries int     `json:"http_queries"`
	HTTPP50ms   float64 `json:"http_p50_ms"`
	HTTPP99ms   float64 `json:"http_p99_ms"`
	HTTPMaxms   float64 `json:"http_max_ms"`
	HTTPNote    string  `json:"http_note"`

	PG *pgResult `json:"postgres,omitempty"`
	// PGSkipped says why there is no baseline.
	PGSkipped string `json:"postgres_skipped,omitempty"`
}

type pgResult struct {
	Hours          int     `json:"hours"`
	Rows           int64   `json:"rows"`
	CopySeconds    float64 `json:"copy_seconds"`
	IndexSeconds   float64 `json:"index_seconds"`
	VacuumSeconds  float64 `json:"vacuum_analyze_seconds"`
	LoadSeconds    float64 `json:"load_seconds"` // copy + index + vacuum analyze
	RowsPerSecond  float64 `json:"copy_rows_per_second"`
	TableBytes     int64   `json:"table_bytes"`
	IndexBytes     int64   `json:"index_bytes"`
	TotalBytes     int64   `json:"total_bytes"` // pg_total_relation_size
	TotalBytesFull int64   `json:"total_bytes_full_year"`
	Queries        int     `json:"queries"`
	P50us          float64 `json:"p50_us"`
	P99us          float64 `json:"p99_us"`
	Maxus          float64 `json:"max_us"`
	Hits           float64 `json:"listed_fraction"`
	Disagreements  int     `json:"disagreements_with_check"`
	P99Ratio       float64 `json:"p99_vs_check"`            // baseline p99 / in-process Check p99
	SizeRatio      float64 `json:"size_vs_sqlite"`          // total_bytes_full_year / sqlite_bytes
	LoadRatio      float64 `json:"load_time_vs_add_finish"` // load seconds (scaled to the full year) / (Add + Finish) seconds: neither parses text
}

func run(ctx context.Context, c config) error {
	tpl, err := readTemplate(c.fixture)
	if err != nil {
		return err
	}
	r := &result{Seed: c.seed, Hours: c.hours, Start: tpl.start.Format(time.RFC3339), JoinRate: c.join, RejoinRate: c.rejoin,
		LeaveRate: c.join + c.rejoin, MoveRate: c.move, FlagRate: c.flags, Relays0: len(tpl.relays), Window: c.window.String(), TorTableBytes: -1}

	parent := c.dir
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "torbench-")
	if err != nil {
		return err
	}
	if c.keep {
		log.Printf("SQLite store kept in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	st, err := store.Open(ctx, store.SQLitePath(dir))
	if err != nil {
		return err
	}
	defer st.Close()

	// 1-2. Generate and import.
	w, samples, err := importYear(ctx, c, tpl, st, r)
	if err != nil {
		return err
	}
	if err := measureStore(ctx, st, dir, r); err != nil {
		return err
	}

	// 3. Check latency.
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	d, err := tor.LoadDirectory(ctx, st)
	if err != nil {
		return err
	}
	r.LoadSeconds = time.Since(t0).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	r.DirHeapBytes = int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	log.Printf("directory loaded in %.2fs (%d consensuses, heap +%s)", r.LoadSeconds, d.Consensuses(), human(r.DirHeapBytes))

	qrng := rand.New(rand.NewPCG(c.seed, 3))
	qs := drawQueries(qrng, c.queries, c.hours, c.hours, tpl.start, samples, w.ever, w.everSet)
	checkLatency(d, qs, c.window, r)
	if err := httpLatency(d, qs[:min(c.httpQueries, len(qs))], c.window, r); err != nil {
		return err
	}

	// 4. Baseline.
	if c.pgHours == 0 {
		r.PGSkipped = "--pg-hours 0"
	} else {
		pgq := drawQueries(qrng, c.pgQueries, c.pgHours, c.hours, tpl.start, samples, w.ever, w.everSet)
		pg, skip, err := baseline(ctx, c, tpl, pgq, d)
		if err != nil {
			return err
		}
		if skip != "" {
			r.PGSkipped = skip
			log.Printf("PostgreSQL baseline skipped: %s", skip)
		} else {
			pg.TotalBytesFull = int64(float64(pg.TotalBytes) * float64(c.hours) / float64(pg.Hours))
			pg.P99Ratio = pg.P99us / r.CheckP99us
			pg.SizeRatio = float64(pg.TotalBytesFull) / float64(r.SQLiteBytes)
			pg.LoadRatio = pg.LoadSeconds * float64(c.hours) / float64(pg.Hours) / (r.AddSeconds + r.FinishSeconds)
			r.PG = pg
		}
	}

	// 5. Output.
	if c.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		return enc.Encode(r)
	}
	printTable(os.Stdout, c, r)
	return nil
}

// --- the generator ---

// template is the real consensus the year is grown from.
type template struct {
	header [][]byte // preamble lines, each with its "\n"
	footer []byte   // from "directory-footer" (or the first signature) to the end
	relays []*relay // in document order (by identity)
	start  time.Time
}

// relay is one router entry of the synthetic network.
type relay struct {
	nick      string
	id        [20]byte
	digest    [20]byte
	published time.Time
	addr      netip.Addr
	or, dir   uint16
	ipv6      []netip.AddrPort
	flags     []string // sorted, as in real consensuses
	tail      []byte   // the v, pr, w and p lines, verbatim
	entry     []byte   // the entry's text; nil when it must be rebuilt
}

func readTemplate(path string) (*template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := &template{}
	var cur *relay
	inEntries := false
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b) - 1
		}
		line := b[:i+1]
		text := bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(text, []byte("directory-footer")) || bytes.HasPrefix(text, []byte("directory-signature")):
			t.footer = b
			b = nil
			continue
		case bytes.HasPrefix(text, []byte("r ")):
			inEntries = true
			cur, err = parseR(text)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			t.relays = append(t.relays, cur)
		case !inEntries:
			t.header = append(t.header, line)
			if v, ok := bytes.CutPrefix(text, []byte("valid-after ")); ok {
				if t.start, err = time.Parse(time.DateTime, string(v)); err != nil {
					return nil, fmt.Errorf("%s: valid-after: %w", path, err)
				}
			}
		case bytes.HasPrefix(text, []byte("a ")):
			ap, err := netip.ParseAddrPort(string(text[2:]))
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", path, text, err)
			}
			cur.ipv6 = append(cur.ipv6, ap)
		case bytes.HasPrefix(text, []byte("s ")) || string(text) == "s":
			cur.flags = strings.Fields(string(text[1:]))
		default:
			cur.tail = append(cur.tail, text...)
			cur.tail = append(cur.tail, '\n')
		}
		b = b[i+1:]
	}
	if len(t.relays) == 0 || t.footer == nil || t.start.IsZero() {
		return nil, fmt.Errorf("%s: not a full consensus (relays, valid-after and footer needed)", path)
	}
	return t, nil
}

var b64 = base64.RawStdEncoding

func parseR(line []byte) (*relay, error) {
	f := strings.Fields(string(line))
	if len(f) != 9 {
		return nil, fmt.Errorf("r line %q: want 9 fields", line)
	}
	r := &relay{nick: f[1]}
	if n, err := b64.Decode(r.id[:], []byte(strings.TrimRight(f[2], "="))); err != nil || n != 20 {
		return nil, fmt.Errorf("r line %q: identity", line)
	}
	if n, err := b64.Decode(r.digest[:], []byte(strings.TrimRight(f[3], "="))); err != nil || n != 20 {
		return nil, fmt.Errorf("r line %q: digest", line)
	}
	var err error
	if r.published, err = time.Parse(time.DateTime, f[4]+" "+f[5]); err != nil {
		return nil, err
	}
	if r.addr, err = netip.ParseAddr(f[6]); err != nil {
		return nil, err
	}
	or, err1 := strconv.ParseUint(f[7], 10, 16)
	dir, err2 := strconv.ParseUint(f[8], 10, 16)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	r.or, r.dir = uint16(or), uint16(dir)
	return r, nil
}

func (r *relay) clone() *relay {
	c := *r
	c.ipv6 = slices.Clone(r.ipv6)
	c.flags = slices.Clone(r.flags)
	c.entry = nil
	return &c
}

// text returns the entry as it appears in a consensus.
func (r *relay) text() []byte {
	if r.entry != nil {
		return r.entry
	}
	b := make([]byte, 0, 160+len(r.tail))
	b = append(b, "r "...)
	b = append(b, r.nick...)
	b = append(b, ' ')
	b = b64.AppendEncode(b, r.id[:])
	b = append(b, ' ')
	b = b64.AppendEncode(b, r.digest[:])
	b = append(b, ' ')
	b = r.published.AppendFormat(b, time.DateTime)
	b = append(b, ' ')
	b = r.addr.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(r.or), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(r.dir), 10)
	b = append(b, '\n')
	for _, a := range r.ipv6 {
		b = append(b, "a "...)
		b = a.AppendTo(b)
		b = append(b, '\n')
	}
	b = append(b, 's')
	for _, f := range r.flags {
		b = append(b, ' ')
		b = append(b, f...)
	}
	b = append(b, '\n')
	b = append(b, r.tail...)
	r.entry = b
	return b
}

// world is the synthetic network, one hour at a time.
type world struct {
	c       config
	tpl     *template
	rng     *rand.Rand
	relays  []*relay // by identity
	gone    []*relay // departed, may come back
	hour    int
	now     time.Time // valid-after of the current consensus
	fresh   int
	ever    []netip.Addr // every address listed so far, in order of first listing
	everSet map[netip.Addr]bool
	track   bool // fill ever
}

const maxGone = 20000

func newWorld(c config, tpl *template, track bool) *world {
	w := &world{c: c, tpl: tpl, rng: rand.New(rand.NewPCG(c.seed, 1)), now: tpl.start, everSet: map[netip.Addr]bool{}, track: track}
	for _, r := range tpl.relays {
		r := r.clone()
		w.relays = append(w.relays, r)
		w.seen(r)
	}
	slices.SortFunc(w.relays, func(a, b *relay) int { return bytes.Compare(a.id[:], b.id[:]) })
	return w
}

func (w *world) seen(r *relay) {
	if !w.track {
		return
	}
	for _, a := range append([]netip.Addr{r.addr}, ipv6Addrs(r)...) {
		if !w.everSet[a] {
			w.everSet[a] = true
			w.ever = append(w.ever, a)
		}
	}
}

func ipv6Addrs(r *relay) []netip.Addr {
	var out []netip.Addr
	for _, ap := range r.ipv6 {
		out = append(out, ap.Addr())
	}
	return out
}

// count rounds n*rate stochastically, so that small rates still happen.
func (w *world) count(rate float64) int {
	x := rate * float64(len(w.relays))
	n := int(x)
	if w.rng.Float64() < x-float64(n) {
		n++
	}
	return n
}

func (w *world) insert(r *relay) {
	i, _ := slices.BinarySearchFunc(w.relays, r, func(a, b *relay) int { return bytes.Compare(a.id[:], b.id[:]) })
	w.relays = slices.Insert(w.relays, i, r)
	w.seen(r)
}

// publicIPv4 draws a global unicast IPv4 address outside the private,
// loopback, CGN, link-local and multicast ranges.
func (w *world) publicIPv4() netip.Addr {
	for {
		v := w.rng.Uint32()
		var b [4]byte
		b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		switch o := b[0]; {
		case o == 0, o == 10, o == 127, o == 100, o == 169, o == 172, o == 192, o >= 224:
			continue
		}
		return netip.AddrFrom4(b)
	}
}

func (w *world) publicIPv6() netip.Addr {
	var b [16]byte
	b[0], b[1] = 0x2a, byte(w.rng.IntN(16))
	for i := 2; i < 16; i += 8 {
		v := w.rng.Uint64()
		for j := 0; j < 8 && i+j < 16; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return netip.AddrFrom16(b)
}

func (w *world) randomBytes(b []byte) {
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
}

var toggles = []string{"Fast", "Guard", "HSDir", "Stable", "V2Dir"}

// step moves the network on by one hour.
func (w *world) step() {
	w.hour++
	w.now = w.now.Add(time.Hour)
	nJoin, nRejoin := w.count(w.c.join), min(w.count(w.c.rejoin), len(w.gone))
	// Leave: as many as join, so the network keeps its size.
	for range nJoin + nRejoin {
		i := w.rng.IntN(len(w.relays))
		r := w.relays[i]
		w.relays = slices.Delete(w.relays, i, i+1)
		if len(w.gone) < maxGone {
			w.gone = append(w.gone, r)
		} else {
			w.gone[w.rng.IntN(len(w.gone))] = r
		}
	}
	// Join: fresh fingerprints and addresses, entries shaped like real ones.
	for range nJoin {
		t := w.tpl.relays[w.rng.IntN(len(w.tpl.relays))]
		r := t.clone()
		w.fresh++
		r.nick = "torbench" + strconv.Itoa(w.fresh)
		w.randomBytes(r.id[:])
		w.randomBytes(r.digest[:])
		r.published = w.now.Add(-time.Duration(w.rng.IntN(3600)) * time.Second)
		r.addr = w.publicIPv4()
		for i, ap := range r.ipv6 {
			r.ipv6[i] = netip.AddrPortFrom(w.publicIPv6(), ap.Port())
		}
		w.insert(r)
	}
	// Rejoin: a departed relay comes back, mostly at its old address.
	for range nRejoin {
		i := w.rng.IntN(len(w.gone))
		r := w.gone[i]
		w.gone[i] = w.gone[len(w.gone)-1]
		w.gone = w.gone[:len(w.gone)-1]
		if w.rng.IntN(5) == 0 {
			r.addr = w.publicIPv4()
		}
		r.published = w.now.Add(-time.Duration(w.rng.IntN(3600)) * time.Second)
		w.randomBytes(r.digest[:])
		r.entry = nil
		w.insert(r)
	}
	// Move: a new IPv4 address (IPv6 addresses stay).
	for range w.count(w.c.move) {
		r := w.relays[w.rng.IntN(len(w.relays))]
		r.addr = w.publicIPv4()
		r.entry = nil
		w.seen(r)
	}
	// Flag changes; one in ten is the Exit flag.
	for range w.count(w.c.flags) {
		r := w.relays[w.rng.IntN(len(w.relays))]
		f := toggles[w.rng.IntN(len(toggles))]
		if w.rng.IntN(10) == 0 {
			f = "Exit"
		}
		if i, ok := slices.BinarySearch(r.flags, f); ok {
			r.flags = slices.Delete(slices.Clone(r.flags), i, i+1)
		} else {
			r.flags = slices.Insert(slices.Clone(r.flags), i, f)
		}
		r.entry = nil
	}
	// Descriptors are republished about every 18 hours.
	for _, r := range w.relays {
		if w.now.Sub(r.published) >= 18*time.Hour {
			r.published = w.now.Add(-time.Duration(w.rng.IntN(3600)) * time.Second)
			w.randomBytes(r.digest[:])
			r.entry = nil
		}
	}
}

// write appends the current consensus, as dir-spec text, to b.
func (w *world) write(b *bytes.Buffer) {
	for _, line := range w.tpl.header {
		switch {
		case bytes.HasPrefix(line, []byte("valid-after ")):
			writeTime(b, "valid-after ", w.now)
		case bytes.HasPrefix(line, []byte("fresh-until ")):
			writeTime(b, "fresh-until ", w.now.Add(time.Hour))
		case bytes.HasPrefix(line, []byte("valid-until ")):
			writeTime(b, "valid-until ", w.now.Add(3*time.Hour))
		default:
			b.Write(line)
		}
	}
	for _, r := range w.relays {
		b.Write(r.text())
	}
	b.Write(w.tpl.footer)
}

func writeTime(b *bytes.Buffer, kw string, t time.Time) {
	b.WriteString(kw)
	var tmp [32]byte
	b.Write(t.AppendFormat(tmp[:0], time.DateTime))
	b.WriteByte('\n')
}

// sample is an address listed in the consensus of an hour.
type sample struct {
	addr netip.Addr
	hour int
}

// importYear generates c.hours consensuses and imports them into st,
// filling the import figures of r. It returns the world as it ended (for
// the addresses it used) and samples of listed (address, hour) pairs.
func importYear(ctx context.Context, c config, tpl *template, st *store.Store, r *result) (*world, []sample, error) {
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, nil, err
		}
		defer pprof.StopCPUProfile()
	}
	w := newWorld(c, tpl, true)
	srng := rand.New(rand.NewPCG(c.seed, 2))
	perHour := max(1, (c.queries+c.hours-1)/c.hours)
	var samples []sample
	var gen, parse, add, cpu time.Duration
	im, err := tor.NewImporter(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	lastLog := time.Now()
	for h := range c.hours {
		if h > 0 {
			w.step()
		}
		for range perHour {
			rl := w.relays[srng.IntN(len(w.relays))]
			a := rl.addr
			if len(rl.ipv6) > 0 && srng.IntN(10) == 0 {
				a = rl.ipv6[0].Addr()
			}
			samples = append(samples, sample{a, h})
		}
		t0 := time.Now()
		buf.Reset()
		w.write(&buf)
		t1 := time.Now()
		cpu0 := cpuTime()
		cons, err := tor.ParseConsensus(bytes.NewReader(buf.Bytes()))
		if err != nil {
			return nil, nil, fmt.Errorf("hour %d: %w", h, err)
		}
		t2 := time.Now()
		if err := im.Add(tor.Document{Consensus: cons}); err != nil {
			return nil, nil, fmt.Errorf("hour %d: %w", h, err)
		}
		t3 := time.Now()
		cpu += cpuTime() - cpu0
		gen, parse, add = gen+t1.Sub(t0), parse+t2.Sub(t1), add+t3.Sub(t2)
		r.RawBytes += int64(buf.Len())
		r.RelayEntrys += int64(len(cons.Relays))
		if time.Since(lastLog) > 10*time.Second || h == c.hours-1 {
			lastLog = time.Now()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			log.Printf("import: hour %d/%d, %s raw, %.0f docs/s (parse+Add), heap %s, RSS %s", h+1, c.hours, human(r.RawBytes),
				float64(h+1)/(parse+add).Seconds(), human(int64(ms.HeapAlloc)), human(rss("VmRSS")))
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
	}
	if c.memProfile != "" {
		if err := writeHeapProfile(c.memProfile); err != nil {
			return nil, nil, err
		}
	}
	log.Printf("import: Finish (writing intervals to SQLite)...")
	t0, cpu0 := time.Now(), cpuTime()
	stats, err := im.Finish(nil)
	if err != nil {
		return nil, nil, err
	}
	finish := time.Since(t0)
	cpu += cpuTime() - cpu0
	r.ImportCPUSeconds = cpu.Seconds()
	r.GenSeconds, r.ParseSeconds, r.AddSeconds, r.FinishSeconds = gen.Seconds(), parse.Seconds(), add.Seconds(), finish.Seconds()
	r.ImportSeconds = (parse + add + finish).Seconds()
	r.DocsPerSecond = float64(c.hours) / r.ImportSeconds
	r.ParseMBPerSec = float64(r.RawBytes) / 1e6 / parse.Seconds()
	r.Intervals = stats.Intervals
	r.RelaysLast = len(w.relays)
	r.Addresses = len(w.ever)
	r.MaxRSSImport = rss("VmHWM")
	log.Printf("import: %d consensuses, %d intervals in %.1fs (Finish %.1fs)", stats.Consensuses, stats.Intervals, r.ImportSeconds, r.FinishSeconds)
	if stats.Consensuses != c.hours {
		return nil, nil, fmt.Errorf("imported %d consensuses, want %d", stats.Consensuses, c.hours)
	}
	return w, samples, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}

// measureStore checkpoints the WAL and measures the SQLite store.
func measureStore(ctx context.Context, st *store.Store, dir string, r *result) error {
	db := st.DB()
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var pages, size int64
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return err
	}
	r.SQLitePageBytes = pages * size
	files, _ := filepath.Glob(store.SQLitePath(dir) + "*")
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			r.SQLiteBytes += fi.Size()
		}
	}
	var tb sql64
	if err := db.QueryRowContext(ctx, "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'tor\\_%' ESCAPE '\\' OR name LIKE 'sqlite_autoindex_tor\\_%' ESCAPE '\\'").Scan(&tb); err == nil && tb.ok {
		r.TorTableBytes = tb.v
	}
	r.RawPerStored = float64(r.RawBytes) / float64(r.SQLiteBytes)
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM tor_intervals GROUP BY addr)").
		Scan(&r.IntervalAddrs, &r.MaxIntervalsPerAddr); err != nil {
		return fmt.Errorf("intervals per address: %w", err)
	}
	return nil
}

// sql64 scans a nullable integer.
type sql64 struct {
	v  int64
	ok bool
}

func (s *sql64) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case int64:
		s.v, s.ok = v, true
	case float64:
		s.v, s.ok = int64(v), true
	default:
		return fmt.Errorf("unexpected %T", src)
	}
	return nil
}

// --- queries ---

type query struct {
	addr netip.Addr
	t    time.Time
}

// drawQueries draws n queries over the first span hours of data that covers
// hours hours from start: 40% an address listed in a random consensus, at a
// time within that hour; 20% an address listed at some time, at a random
// time; 25% an address never listed (one in ten IPv6), at a random time;
// 15% a listed address at a time before or after all the data.
func drawQueries(rng *rand.Rand, n, span, hours int, start time.Time, samples []sample, ever []netip.Addr, everSet map[netip.Addr]bool) []query {
	var listed []sample
	for _, s := range samples {
		if s.hour < span {
			listed = append(listed, s)
		}
	}
	w := &world{rng: rng}
	inSpan := func() time.Time { return start.Add(time.Duration(rng.Int64N(int64(span) * int64(time.Hour)))) }
	qs := make([]query, 0, n)
	for range n {
		var q query
		switch x := rng.Float64(); {
		case x < 0.40:
			s := listed[rng.IntN(len(listed))]
			q = query{s.addr, start.Add(time.Duration(s.hour)*time.Hour + time.Duration(rng.Int64N(int64(time.Hour))))}
		case x < 0.60:
			q = query{ever[rng.IntN(len(ever))], inSpan()}
		case x < 0.85:
			for {
				a := w.publicIPv4()
				if rng.IntN(10) == 0 {
					a = w.publicIPv6()
				}
				if !everSet[a] {
					q = query{a, inSpan()}
					break
				}
			}
		default:
			off := time.Duration(rng.Int64N(int64(365*24*time.Hour))) + time.Second
			t := start.Add(-off)
			if rng.IntN(2) == 0 {
				t = start.Add(time.Duration(hours)*time.Hour + off)
			}
			q = query{ever[rng.IntN(len(ever))], t}
		}
		qs = append(qs, q)
	}
	return qs
}

// --- Check, in process and over HTTP ---

func checkLatency(d *tor.Directory, qs []query, window time.Duration, r *result) {
	for _, q := range qs[:min(len(qs), 10000)] { // warm up
		d.Check(q.addr, q.t, window)
	}
	lat := make([]time.Duration, len(qs))
	var listed, unlisted []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i, q := range qs {
		t0 := time.Now()
		a := d.Check(q.addr, q.t, window)
		lat[i] = time.Since(t0)
		if a.IsRelay() {
			listed = append(listed, lat[i])
		} else {
			unlisted = append(unlisted, lat[i])
		}
	}
	runtime.ReadMemStats(&ms1)
	p50, p99, mx := percentiles(lat)
	r.Queries = len(qs)
	r.CheckP50us, r.CheckP99us, r.CheckMaxus = us(p50), us(p99), us(mx)
	r.CheckHits = float64(len(listed)) / float64(len(qs))
	_, lp99, _ := percentiles(listed)
	_, up99, _ := percentiles(unlisted)
	r.CheckListedP99us, r.CheckUnlistedP99us = us(lp99), us(up99)
	r.CheckGCs = int(ms1.NumGC - ms0.NumGC)
	r.CheckAllocBytes = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(len(qs))
	log.Printf("check: %d queries in process: p50 %.1fµs p99 %.1fµs max %.0fµs, %.1f%% listed (p99 %.1fµs listed, %.1fµs not); %d GCs, %.0f B allocated per Check",
		len(qs), r.CheckP50us, r.CheckP99us, r.CheckMaxus, 100*r.CheckHits, r.CheckListedP99us, r.CheckUnlistedP99us, r.CheckGCs, r.CheckAllocBytes)
}

// checkHandler serves the question the way the API route will, from the
// Directory: GET ?ip=&time=&window=, the Answer as JSON.
func checkHandler(d *tor.Directory) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		a, err := netip.ParseAddr(q.Get("ip"))
		if err != nil {
			http.Error(rw, "bad ip", http.StatusBadRequest)
			return
		}
		t, err := time.Parse(time.RFC3339, q.Get("time"))
		if err != nil {
			http.Error(rw, "bad time", http.StatusBadRequest)
			return
		}
		var window time.Duration
		if s := q.Get("window"); s != "" {
			if window, err = time.ParseDuration(s); err != nil {
				http.Error(rw, "bad window", http.StatusBadRequest)
				return
			}
		}
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(d.Check(a, t, window))
	})
}

const httpNote = "in-process net/http handler calling Directory.Check (not the internal/api route), keep-alive client over 127.0.0.1"

func httpLatency(d *tor.Directory, qs []query, window time.Duration, r *result) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/tor/check", checkHandler(d))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}, Timeout: 10 * time.Second}
	base := "http://" + ln.Addr().String() + "/api/v1/tor/check?"
	get := func(q query) error {
		v := url.Values{"ip": {q.addr.String()}, "time": {q.t.Format(time.RFC3339)}, "window": {window.String()}}
		resp, err := client.Get(base + v.Encode())
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("http: %s", resp.Status)
		}
		return err
	}
	for _, q := range qs[:min(len(qs), 1000)] { // warm up
		if err := get(q); err != nil {
			return err
		}
	}
	lat := make([]time.Duration, len(qs))
	for i, q := range qs {
		t0 := time.Now()
		if err := get(q); err != nil {
			return err
		}
		lat[i] = time.Since(t0)
	}
	p50, p99, mx := percentiles(lat)
	r.HTTPQueries = len(qs)
	r.HTTPP50ms, r.HTTPP99ms, r.HTTPMaxms = us(p50)/1000, us(p99)/1000, us(mx)/1000
	r.HTTPNote = httpNote
	log.Printf("http: %d queries: p50 %.3fms p99 %.3fms max %.1fms", len(qs), r.HTTPP50ms, r.HTTPP99ms, r.HTTPMaxms)
	return nil
}

// --- the PostgreSQL baseline ---

const pgTable = "bench_tor_listings"

// baseline loads one row per (address, consensus hour) of the first
// c.pgHours hours — the same network, regenerated from the same seed — and
// asks "was addr listed at hour H" of it. It returns a reason instead when
// PostgreSQL cannot be reached.
func baseline(ctx context.Context, c config, tpl *template, qs []query, d *tor.Directory) (*pgResult, string, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, c.dsn)
	cancel()
	if err != nil {
		return nil, fmt.Sprintf("PostgreSQL unreachable at %s: %v", store.Redact(c.dsn), err), nil
	}
	defer conn.Close(ctx)
	res := &pgResult{Hours: c.pgHours}
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + pgTable,
		"CREATE UNLOGGED TABLE " + pgTable + " (addr inet NOT NULL, hour timestamptz NOT NULL)",
		"SET maintenance_work_mem = '512MB'",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, "", fmt.Errorf("postgres: %s: %w", q, err)
		}
	}
	if !c.pgKeep {
		defer conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+pgTable)
	}
	log.Printf("postgres: COPY of %d hours of (address, hour) rows...", c.pgHours)
	src := &rowSource{w: newWorld(c, tpl, false), hours: c.pgHours, seen: map[netip.Addr]bool{}, lastLog: time.Now()}
	t0 := time.Now()
	n, err := conn.CopyFrom(ctx, pgx.Identifier{pgTable}, []string{"addr", "hour"}, src)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: copy: %w", err)
	}
	res.Rows, res.CopySeconds = n, time.Since(t0).Seconds()
	res.RowsPerSecond = float64(n) / res.CopySeconds
	log.Printf("postgres: %d rows copied in %.1fs; building the index...", n, res.CopySeconds)
	t0 = time.Now()
	if _, err := conn.Exec(ctx, "CREATE INDEX "+pgTable+"_addr_hour ON "+pgTable+" (addr, hour)"); err != nil {
		return nil, "", fmt.Errorf("postgres: index: %w", err)
	}
	res.IndexSeconds = time.Since(t0).Seconds()
	log.Printf("postgres: index built in %.1fs; VACUUM ANALYZE...", res.IndexSeconds)
	t0 = time.Now()
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+pgTable); err != nil {
		return nil, "", fmt.Errorf("postgres: vacuum: %w", err)
	}
	res.VacuumSeconds = time.Since(t0).Seconds()
	res.LoadSeconds = res.CopySeconds + res.IndexSeconds + res.VacuumSeconds
	if err := conn.QueryRow(ctx, "SELECT pg_relation_size($1::regclass), pg_indexes_size($1::regclass), pg_total_relation_size($1::regclass)", pgTable).
		Scan(&res.TableBytes, &res.IndexBytes, &res.TotalBytes); err != nil {
		return nil, "", fmt.Errorf("postgres: size: %w", err)
	}
	if _, err := conn.Prepare(ctx, "listed", "SELECT 1 FROM "+pgTable+" WHERE addr = $1 AND hour = $2 LIMIT 1"); err != nil {
		return nil, "", fmt.Errorf("postgres: prepare: %w", err)
	}
	ask := func(q query) (bool, error) {
		var one int
		err := conn.QueryRow(ctx, "listed", q.addr, q.t.Truncate(time.Hour)).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	for _, q := range qs[:min(len(qs), 1000)] { // warm up
		if _, err := ask(q); err != nil {
			return nil, "", fmt.Errorf("postgres: query: %w", err)
		}
	}
	lat := make([]time.Duration, len(qs))
	hits := 0
	for i, q := range qs {
		t0 := time.Now()
		ok, err := ask(q)
		lat[i] = time.Since(t0)
		if err != nil {
			return nil, "", fmt.Errorf("postgres: query: %w", err)
		}
		if ok {
			hits++
		}
		// The same question of the Directory: listed in the consensus in
		// effect at t (window 0).
		if a := d.Check(q.addr, q.t.Truncate(time.Hour), 0); a.IsRelay() != ok {
			res.Disagreements++
		}
	}
	p50, p99, mx := percentiles(lat)
	res.Queries = len(qs)
	res.P50us, res.P99us, res.Maxus = us(p50), us(p99), us(mx)
	res.Hits = float64(hits) / float64(len(qs))
	log.Printf("postgres: %d queries: p50 %.1fµs p99 %.1fµs, %.1f%% listed, %d disagreements with Directory.Check", len(qs), res.P50us, res.P99us, 100*res.Hits, res.Disagreements)
	return res, "", nil
}

// rowSource regenerates the network hour by hour and yields one row per
// address listed in each hour's consensus.
type rowSource struct {
	w       *world
	hours   int
	h       int
	rows    []netip.Addr // of hour h, not yet yielded
	seen    map[netip.Addr]bool
	vals    [2]any
	hourT   time.Time
	n       int64
	lastLog time.Time
}

func (s *rowSource) Next() bool {
	for len(s.rows) == 0 {
		if s.h == s.hours {
			return false
		}
		if s.h > 0 {
			s.w.step()
		}
		s.h++
		clear(s.seen)
		for _, r := range s.w.relays {
			for _, a := range append([]netip.Addr{r.addr}, ipv6Addrs(r)...) {
				if !s.seen[a] {
					s.seen[a] = true
					s.rows = append(s.rows, a)
				}
			}
		}
		s.hourT = s.w.now
		if time.Since(s.lastLog) > 10*time.Second {
			s.lastLog = time.Now()
			log.Printf("postgres: copying hour %d/%d, %d rows", s.h, s.hours, s.n)
		}
	}
	s.vals[0], s.vals[1] = s.rows[len(s.rows)-1], s.hourT
	s.rows = s.rows[:len(s.rows)-1]
	s.n++
	return true
}

func (s *rowSource) Values() ([]any, error) { return s.vals[:], nil }
func (s *rowSource) Err() error             { return nil }

// --- output ---

func percentiles(d []time.Duration) (p50, p99, mx time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)] }
	return at(0.50), at(0.99), s[len(s)-1]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func human(b int64) string {
	f := float64(b)
	for _, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
		if math.Abs(f) < 1024 || u == "TiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", b)
			}
			return fmt.Sprintf("%.1f %s", f, u)
		}
		f /= 1024
	}
	return ""
}

// cpuTime returns the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rss reads a field (VmRSS, VmHWM) of /proc/self/status, in bytes.
func rss(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			fs := strings.Fields(v)
			if len(fs) > 0 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

func printTable(out io.Writer, c config, r *result) {
	p := func(name, format string, args ...any) {
		fmt.Fprintf(out, "%-40s %s\n", name, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(out, "Tor attribution: %d hourly consensuses from %s (seed %d), grown from the real %d-relay consensus\n",
		r.Hours, r.Start, r.Seed, r.Relays0)
	fmt.Fprintf(out, "per hour: %.2f%% join fresh, %.2f%% rejoin, %.2f%% leave, %.2f%% change address, %.2f%% change flags; republish every 18 h\n\n",
		100*r.JoinRate, 100*r.RejoinRate, 100*r.LeaveRate, 100*r.MoveRate, 100*r.FlagRate)
	p("relays at the last hour", "%d", r.RelaysLast)
	p("addresses ever listed", "%d", r.Addresses)
	p("relay entries (all consensuses)", "%d", r.RelayEntrys)
	p("raw consensus text", "%s (%d bytes, generated in memory)", human(r.RawBytes), r.RawBytes)
	p("generation (not counted in import)", "%.1f s", r.GenSeconds)
	p("import: ParseConsensus", "%.1f s (%.0f MB/s)", r.ParseSeconds, r.ParseMBPerSec)
	p("import: Importer.Add", "%.1f s", r.AddSeconds)
	p("import: Importer.Finish (SQLite write)", "%.1f s", r.FinishSeconds)
	p("import total (parse + Add + Finish)", "%.1f s = %.0f consensuses/s", r.ImportSeconds, r.DocsPerSecond)
	p("  CPU time of the import (user+sys)", "%.1f s = %.0f consensuses per CPU-second", r.ImportCPUSeconds, float64(r.Hours)/r.ImportCPUSeconds)
	p("max RSS after import", "%s", human(r.MaxRSSImport))
	p("intervals", "%d (%.1f relay entries per interval)", r.Intervals, float64(r.RelayEntrys)/float64(r.Intervals))
	p("  addresses; most intervals at one", "%d; %d", r.IntervalAddrs, r.MaxIntervalsPerAddr)
	p("SQLite store (db+wal+shm, checkpointed)", "%s (page_count*page_size %s)", human(r.SQLiteBytes), human(r.SQLitePageBytes))
	if r.TorTableBytes >= 0 {
		p("  of which tor_* tables (dbstat)", "%s", human(r.TorTableBytes))
	}
	p("raw / stored", "%.0f : 1", r.RawPerStored)
	p("Directory load", "%.2f s, heap %s", r.LoadSeconds, human(r.DirHeapBytes))
	fmt.Fprintln(out)
	p("Check in process, window "+r.Window, "%d queries: p50 %.1f µs  p99 %.1f µs  max %.0f µs  (target p99 < 100 µs); %.1f%% listed",
		r.Queries, r.CheckP50us, r.CheckP99us, r.CheckMaxus, 100*r.CheckHits)
	p("", "p99 %.1f µs when listed, %.1f µs when not; %.0f B allocated per Check, %d GC cycles in the loop",
		r.CheckListedP99us, r.CheckUnlistedP99us, r.CheckAllocBytes, r.CheckGCs)
	p("Check over HTTP", "%d queries: p50 %.3f ms  p99 %.3f ms  max %.1f ms  (target p99 < 2 ms)", r.HTTPQueries, r.HTTPP50ms, r.HTTPP99ms, r.HTTPMaxms)
	p("", "(%s)", r.HTTPNote)
	fmt.Fprintln(out)
	if r.PG == nil {
		p("PostgreSQL baseline", "skipped: %s", r.PGSkipped)
		return
	}
	g := r.PG
	scope := "all hours"
	if g.Hours < r.Hours {
		scope = fmt.Sprintf("first %d of %d hours only (--pg-hours); sizes and load time scaled ×%.1f for the ratios", g.Hours, r.Hours, float64(r.Hours)/float64(g.Hours))
	}
	p("PostgreSQL baseline", "UNLOGGED table (addr inet, hour timestamptz), B-tree (addr, hour); %s", scope)
	p("  rows", "%d", g.Rows)
	p("  load", "%.1f s = COPY %.1f s (%.0f rows/s) + index %.1f s + VACUUM ANALYZE %.1f s", g.LoadSeconds, g.CopySeconds, g.RowsPerSecond, g.IndexSeconds, g.VacuumSeconds)
	p("  size (pg_total_relation_size)", "%s (table %s, index %s)", human(g.TotalBytes), human(g.TableBytes), human(g.IndexBytes))
	p("  listed at hour H? (prepared, 1 conn)", "%d queries: p50 %.1f µs  p99 %.1f µs  max %.0f µs; %.1f%% listed", g.Queries, g.P50us, g.P99us, g.Maxus, 100*g.Hits)
	p("  answers differing from Directory.Check", "%d of %d", g.Disagreements, g.Queries)
	fmt.Fprintln(out)
	p("baseline p99 / fusion in-process p99", "%.1f x", g.P99Ratio)
	p("baseline size / SQLite size", "%.1f x (baseline %s for the full %d hours)", g.SizeRatio, human(g.TotalBytesFull), r.Hours)
	p("baseline load / fusion Add+Finish", "%.1f x (neither counts text parsing: the baseline's rows come from the generator)", g.LoadRatio)
}
