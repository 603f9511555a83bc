package c2

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"fusion/internal/scenario"
	_ "fusion/internal/scenario/network" // the network kind
	"fusion/internal/zeek"
)

// benchConnLog returns the conn.log of a network scenario (seed 1) of
// hosts hosts over one weekday: people's traffic, servers, beacons, polls
// and Tor, as the generator makes it.
func benchConnLog(b *testing.B, hosts int) []byte {
	b.Helper()
	dir := b.TempDir()
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "network", Seed: 1, Hosts: hosts, Days: 1}, dir, nil); err != nil {
		b.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(dir, "conn.log"))
	if err != nil {
		b.Fatal(err)
	}
	return log
}

// BenchmarkDetectConn runs, in alternating rounds over the same conn.log (a
// 60-host network scenario's day, about 930,000 rows), the baseline (the Zeek reader reading every row, no fields
// decoded) and the detector (reading, decoding the fields it needs,
// tracking every pair, scoring at the end), and reports both rates, their
// ratio and the heap per tracked address pair. Run it on one core:
//
//	taskset -c 0 go test -run '^$' -bench BenchmarkDetectConn -benchtime 5x ./internal/c2/
func BenchmarkDetectConn(b *testing.B) {
	log := benchConnLog(b, 60)
	n := bytes.Count(log, []byte("\n")) - 9 // the header and #close lines
	var base, det []float64
	var perPair float64
	var pairs int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		zr, err := zeek.NewReader(bytes.NewReader(log))
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for zr.Next() {
			rows++
		}
		if zr.Err() != nil || rows != n {
			b.Fatal(rows, n, zr.Err())
		}
		base = append(base, float64(n)/time.Since(t0).Seconds())

		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		t0 = time.Now()
		d, err := New(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		zr, _ = zeek.NewReader(bytes.NewReader(log))
		if err := d.Log(zr); err != nil {
			b.Fatal(err)
		}
		read := time.Since(t0)
		runtime.ReadMemStats(&after)
		found := d.Findings()
		det = append(det, float64(n)/time.Since(t0).Seconds())
		_ = read
		if len(found) == 0 {
			b.Fatal("no findings: the scenario has a beacon")
		}
		pairs = d.Stats().AddrPairs
		perPair = float64(after.HeapAlloc-before.HeapAlloc) / float64(pairs)
		runtime.KeepAlive(d)
	}
	mb, md := medianOf(base), medianOf(det)
	b.ReportMetric(mb, "baseline-events/s")
	b.ReportMetric(md, "events/s")
	b.ReportMetric(md/mb, "ratio")
	b.ReportMetric(perPair, "heap-B/pair")
	b.ReportMetric(float64(pairs), "pairs")
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
