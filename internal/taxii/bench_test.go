package taxii_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"fusion/internal/bighub"
	"fusion/internal/hub"
	"fusion/internal/server"
	"fusion/internal/taxii"
)

// The benchmarks' hubs are built by internal/bighub through hub.CreateRecords
// and cached in FUSION_BENCH_DIR (default the system's temporary directory):
// a big one of FUSION_BENCH_RECORDS records (default 1,000,000) and a small
// one of 10,000. Each is benchServed by the real router (internal/server, which
// mounts the TAXII server) on a loopback listener, and read as
// bighub.Reader, which sees about 88% of the records in full.

const benchSmallRecords = 10_000

func benchBigRecords(tb testing.TB) int {
	s := os.Getenv("FUSION_BENCH_RECORDS")
	if s == "" {
		return 1_000_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		tb.Fatalf("FUSION_BENCH_RECORDS: %q is not a number of records", s)
	}
	return n
}

type benchServed struct {
	hub   *bighub.Hub
	srv   *httptest.Server
	token string
}

var (
	benchMu   sync.Mutex
	benchHubs = map[int]*benchServed{}
)

// serve returns the cached hub of n records behind a loopback HTTP server,
// opened once per process.
func benchServe(tb testing.TB, n int) *benchServed {
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchHubs[n]; ok {
		return s
	}
	h, err := bighub.Open(context.Background(), os.Getenv("FUSION_BENCH_DIR"), n, os.Stderr)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{Hub: h.Hub, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	s := &benchServed{hub: h, srv: srv, token: h.Tokens[bighub.Reader]}
	benchHubs[n] = s
	return s
}

// benchClient keeps connections alive across pages, as TAXII clients do.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

// benchPage is what a client decodes of a TAXII envelope: every object's type
// and id, as a client sorting objects by type must.
type benchPage struct {
	More    bool   `json:"more"`
	Next    string `json:"next"`
	Objects []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"objects"`
}

// benchGetPage asks for one benchPage of the visible collection (limit 0: the
// server's default) and decodes it.
func benchGetPage(tb testing.TB, s *benchServed, limit int, next string) benchPage {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if next != "" {
		v.Set("next", next)
	}
	u := s.srv.URL + taxii.APIRoot + "collections/" + hub.CollectionVisible + "/objects/"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", taxii.MediaTAXII)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := benchClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		tb.Fatalf("GET %s: %s: %s", u, resp.Status, body)
	}
	var p benchPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		tb.Fatalf("GET %s: decode: %v", u, err)
	}
	return p
}

// benchExportTAXII pages through the whole visible collection and returns how
// many objects and indicators it held.
func benchExportTAXII(tb testing.TB, s *benchServed, limit int) (objects, indicators int) {
	next := ""
	seen := map[string]bool{}
	for {
		p := benchGetPage(tb, s, limit, next)
		for _, o := range p.Objects {
			objects++
			if o.Type == "indicator" {
				indicators++
				if seen[o.ID] {
					tb.Fatalf("indicator %s twice", o.ID)
				}
				seen[o.ID] = true
			}
		}
		if !p.More {
			return objects, indicators
		}
		if p.Next == "" || len(p.Objects) == 0 {
			tb.Fatalf("more without next (%d objects)", len(p.Objects))
		}
		next = p.Next
	}
}

func benchmarkTAXIIExport(b *testing.B, limit int) {
	s := benchServe(b, benchBigRecords(b))
	var objects, indicators int
	cpu0 := benchCPUTime()
	b.ResetTimer()
	for range b.N {
		objects, indicators = benchExportTAXII(b, s, limit)
	}
	b.StopTimer()
	cpu := (benchCPUTime() - cpu0).Seconds() / float64(b.N)
	// Every clear and green record is visible, and some have no STIX form.
	if indicators < s.hub.Records/3 || indicators > s.hub.Records {
		b.Fatalf("%d indicators exported of %d records", indicators, s.hub.Records)
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(objects)/sec, "objects/s")
	b.ReportMetric(float64(indicators)/sec, "records/s")
	b.ReportMetric(float64(objects), "objects")
	b.ReportMetric(float64(objects)/cpu, "objects/cpu-s")
	b.ReportMetric(float64(indicators)/cpu, "records/cpu-s")
}

// benchCPUTime is the user and system CPU time the process has used: server
// and client together. On a shared machine it is steadier than wall time.
func benchCPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTAXIIExportLimit10000 pages the big hub's visible collection end
// to end over HTTP, 10,000 objects a benchPage (the most a benchPage holds).
func BenchmarkTAXIIExportLimit10000(b *testing.B) { benchmarkTAXIIExport(b, 10000) }

// BenchmarkTAXIIExportDefault pages it without a limit: the server's
// default benchPage (hub.DefaultObjectsPage).
func BenchmarkTAXIIExportDefault(b *testing.B) { benchmarkTAXIIExport(b, 0) }

// BenchmarkRecordsExport is the baseline: the same records as fusion's own
// JSON lines (GET /api/v1/records/export, what fusion match --server
// reads), streamed in one response and decoded by the client.
func BenchmarkRecordsExport(b *testing.B) {
	s := benchServe(b, benchBigRecords(b))
	var records int
	cpu0 := benchCPUTime()
	b.ResetTimer()
	for range b.N {
		records = 0
		req, _ := http.NewRequest("GET", s.srv.URL+"/api/v1/records/export", nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := benchClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("export: %s", resp.Status)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
		for sc.Scan() {
			var r struct{ ID, Type, Value string }
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				b.Fatal(err)
			}
			records++
		}
		resp.Body.Close()
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := (benchCPUTime() - cpu0).Seconds()
	if records < s.hub.Records/3 || records > s.hub.Records {
		b.Fatalf("%d records exported of %d", records, s.hub.Records)
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(records)*float64(b.N)/cpu, "records/cpu-s")
}

// BenchmarkTAXIIFirstPage times the first benchPage of the visible collection on
// the small hub (10,000 records) and on the big one, alternating which goes
// first, each iteration one of each; it reports the median of each, their
// ratio big/small, the 90th percentile of the big hub's, and the median CPU
// time of each request (server and client).
func BenchmarkTAXIIFirstPage(b *testing.B) {
	for _, limit := range []int{100, 0} {
		name := "limit=" + strconv.Itoa(limit)
		if limit == 0 {
			name = "limit=default"
		}
		b.Run(name, func(b *testing.B) {
			small, big := benchServe(b, benchSmallRecords), benchServe(b, benchBigRecords(b))
			benchGetPage(b, small, limit, "") // warm connections
			benchGetPage(b, big, limit, "")
			var ts, tb, cs, cb []time.Duration
			timed := func(s *benchServed) time.Duration {
				start, cpu0 := time.Now(), benchCPUTime()
				p := benchGetPage(b, s, limit, "")
				d, cpu := time.Since(start), benchCPUTime()-cpu0
				if s == small {
					cs = append(cs, cpu)
				} else {
					cb = append(cb, cpu)
				}
				want := limit
				if want == 0 {
					want = hub.DefaultObjectsPage
				}
				if len(p.Objects) != want || !p.More {
					b.Fatalf("first page: %d objects (want %d), more %v", len(p.Objects), want, p.More)
				}
				return d
			}
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					ts, tb = append(ts, timed(small)), append(tb, timed(big))
				} else {
					tb, ts = append(tb, timed(big)), append(ts, timed(small))
				}
			}
			ms, mb := benchMedian(ts), benchMedian(tb)
			b.ReportMetric(ms, "ms-small")
			b.ReportMetric(mb, "ms-big")
			b.ReportMetric(mb/ms, "big/small")
			b.ReportMetric(benchMedian(cs), "cpu-ms-small")
			b.ReportMetric(benchMedian(cb), "cpu-ms-big")
			slices.Sort(tb)
			b.ReportMetric(float64(tb[len(tb)*9/10].Microseconds())/1000, "p90-ms-big")
		})
	}
}

func benchMedian(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return float64(m.Microseconds()) / 1000
}
