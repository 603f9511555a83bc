package evidence

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// benchLeaf is a disclosure leaf of realistic size (about 300 bytes).
func benchLeaf(i int) Leaf {
	return Leaf{Org: "police-nl", Token: "tok-6df898034f87c457", Action: Disclose, Purpose: "case NL-2026-0042",
		Objects: []Object{{Kind: KindRecord, ID: fmt.Sprintf("01a20a15-25b3-7e27-9224-%012d", i), Owner: "cert-fr",
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}}
}

// BenchmarkAppendUnbatched is the baseline: one leaf per durable transaction.
func BenchmarkAppendUnbatched(b *testing.B) {
	st := storetest.SQLite(b)
	l := New(st, testNotary(b), Config{})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := st.Update(ctx, func(tx *store.Tx) error { return l.Append(tx, benchLeaf(i)) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkAppendGroupCommit: 64 concurrent writers, one leaf per call, as
// disclosures arrive; the log commits whatever is queued together.
func BenchmarkAppendGroupCommit(b *testing.B) {
	st := storetest.SQLite(b)
	l := New(st, testNotary(b), Config{})
	defer l.Close()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := l.Record(ctx, benchLeaf(int(i))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkAppendBatch1000: leaves appended 1,000 per durable transaction.
func BenchmarkAppendBatch1000(b *testing.B) {
	st := storetest.SQLite(b)
	l := New(st, testNotary(b), Config{})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i += 1000 {
		n := min(1000, b.N-i)
		leaves := make([]Leaf, n)
		for j := range leaves {
			leaves[j] = benchLeaf(i + j)
		}
		if err := st.Update(ctx, func(tx *store.Tx) error { return l.Append(tx, leaves...) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

const millionLeaves = 1_000_000

var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
)

// bigLog builds, once per process, a SQLite store holding a 1,000,000-leaf
// log, kept in FUSION_BENCH_DIR if set (and reused by later runs) or in a
// temporary directory.
func bigLog(b *testing.B) *store.Store {
	bigOnce.Do(func() {
		dir := os.Getenv("FUSION_BENCH_DIR")
		if dir == "" {
			dir, bigErr = os.MkdirTemp("", "fusion-bench-")
		}
		bigPath = filepath.Join(dir, "evidence-1m.db")
		st, err := store.Open(context.Background(), bigPath)
		if err != nil {
			bigErr = err
			return
		}
		defer st.Close()
		n, _ := st.EvidenceSize(context.Background())
		start := time.Now()
		for n < millionLeaves {
			data := make([][]byte, min(20000, millionLeaves-n))
			for i := range data {
				lf := benchLeaf(int(n) + i)
				lf.Seq, lf.Time = n+int64(i), time.Unix(1764000000+n+int64(i), 0).UTC()
				data[i], _ = lf.Encode()
			}
			if bigErr = st.Update(context.Background(), func(tx *store.Tx) error { return appendData(tx, n, data, nilMACs(len(data))) }); bigErr != nil {
				return
			}
			n += int64(len(data))
		}
		if d := time.Since(start); d > time.Second {
			fmt.Fprintf(os.Stderr, "built a %d-leaf log in %v (%s)\n", millionLeaves, d.Round(time.Second), bigPath)
		}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	st, err := store.Open(context.Background(), bigPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkInclusionProof1M: an inclusion proof for a random leaf of a
// 1,000,000-leaf log, read from SQLite (target < 100 µs).
func BenchmarkInclusionProof1M(b *testing.B) {
	l := New(bigLog(b), testNotary(b), Config{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for range b.N {
		if _, err := l.InclusionProof(ctx, rng.Int64N(millionLeaves), millionLeaves); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsistencyProof1M: a consistency proof from a random earlier
// size to the 1,000,000-leaf log.
func BenchmarkConsistencyProof1M(b *testing.B) {
	l := New(bigLog(b), testNotary(b), Config{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2, 2))
	b.ResetTimer()
	for range b.N {
		if _, err := l.ConsistencyProof(ctx, 1+rng.Int64N(millionLeaves-1), millionLeaves); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInclusionProof1MInMemory is the baseline: the same proofs from
// hashes held in memory, the cost of the proof itself without storage.
func BenchmarkInclusionProof1MInMemory(b *testing.B) {
	st := bigLog(b)
	hashes := make([]tlog.Hash, tlog.StoredHashCount(millionLeaves))
	err := st.AllEvidenceHashes(context.Background(), func(idx int64, h []byte) error {
		copy(hashes[idx][:], h)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	rng := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for range b.N {
		if _, err := tlog.ProveRecord(millionLeaves, rng.Int64N(millionLeaves), r); err != nil {
			b.Fatal(err)
		}
	}
}
