package transactions

import (
	"context"
	"io"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// BenchmarkTransactions generates benchCount bookings per iteration into a
// temporary directory, files and all, and reports bookings per second.
func BenchmarkTransactions(b *testing.B) {
	const benchCount = 1_000_000
	dir := b.TempDir()
	var elapsed time.Duration
	n := 0
	for b.Loop() {
		began := time.Now()
		p := scenario.Params{Kind: Name, Seed: uint64(n + 1), Count: benchCount}
		if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(began)
		n++
	}
	b.ReportMetric(float64(n)*benchCount/elapsed.Seconds(), "bookings/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTransactionsCPU generates into io.Discard: the rate without the
// file system.
func BenchmarkTransactionsCPU(b *testing.B) {
	const benchCount = 1_000_000
	var elapsed time.Duration
	n := 0
	for b.Loop() {
		began := time.Now()
		p := scenario.Params{Kind: Name, Seed: uint64(n + 1), Count: benchCount, Start: scenario.DefaultStart}
		run := &scenario.Run{Params: p}
		w, err := newWorld(run)
		if err != nil {
			b.Fatal(err)
		}
		nop := func(finding.Finding) error { return nil }
		if err := w.stream(context.Background(), io.Discard, io.Discard, nop, func(int64) {}); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(began)
		n++
	}
	b.ReportMetric(float64(n)*benchCount/elapsed.Seconds(), "bookings/s")
	b.ReportMetric(0, "ns/op")
}
