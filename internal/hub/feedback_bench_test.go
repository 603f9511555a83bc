package hub_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// The feedback benchmark's world: org-a holds 1,000,000 records; one in
// ten was seen in org-b's traffic (one hourly row each), one in twenty has
// feedback from org-c (which chose anonymity). Built once into
// FUSION_BENCH_DIR (default a temporary directory) and reused.
const (
	feedbackRecords = 1_000_000
	feedbackSighted = 10 // one in
	feedbackGiven   = 20 // one in
)

var (
	feedbackOnce sync.Once
	feedbackPath string
	feedbackErr  error
)

func feedbackStore(b *testing.B) *store.Store {
	feedbackOnce.Do(func() {
		dir := os.Getenv("FUSION_BENCH_DIR")
		if dir == "" {
			dir, feedbackErr = os.MkdirTemp("", "fusion-bench-")
		}
		feedbackPath = filepath.Join(dir, "feedback-1m.db")
		if _, err := os.Stat(feedbackPath); err == nil {
			return
		}
		feedbackErr = buildFeedbackStore(feedbackPath + ".tmp")
		if feedbackErr == nil {
			feedbackErr = os.Rename(feedbackPath+".tmp", feedbackPath)
		}
	})
	if feedbackErr != nil {
		b.Fatal(feedbackErr)
	}
	st, err := store.Open(context.Background(), feedbackPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func buildFeedbackStore(path string) error {
	ctx := context.Background()
	os.Remove(path)
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	err = st.Update(ctx, func(tx *store.Tx) error {
		for _, o := range []string{"org-a", "org-b", "org-c"} {
			if err := tx.InsertOrg(intel.Org{ID: o, Name: o, Country: "NL", Sector: "bank", Created: t0}); err != nil {
				return err
			}
		}
		return tx.SetAnonymousFeedback("org-c", true)
	})
	if err != nil {
		return err
	}
	const chunk = 20_000
	for from := 0; from < feedbackRecords; from += chunk {
		err := st.Update(ctx, func(tx *store.Tx) error {
			recs := make([]store.Encoded, 0, chunk)
			var sights []store.Sighting
			for i := from; i < from+chunk; i++ {
				r := &intel.Record{ID: fmt.Sprintf("01a20a00-0000-7000-8000-%012d", i), Type: "domain", Value: fmt.Sprintf("host-%d.example.com", i),
					Labels: []string{"phishing"}, TLP: intel.Amber, Audience: intel.Audience{Orgs: []string{"org-b", "org-c"}}, Originator: "org-a",
					Created: t0, Updated: t0, Version: 1, Handling: intel.Handling{Codes: []string{}}}
				enc, err := store.Encode(r)
				if err != nil {
					return err
				}
				recs = append(recs, enc)
				if i%feedbackSighted == 0 {
					sights = append(sights, store.Sighting{RecordID: r.ID, Owner: "org-a", Org: "org-b", Hour: t0.Unix() / 3600, Count: 3, First: t0, Last: t0.Add(time.Minute)})
				}
			}
			if err := tx.InsertRecords(recs); err != nil {
				return err
			}
			if _, _, err := tx.AddSightings(sights); err != nil {
				return err
			}
			for i := from; i < from+chunk; i += feedbackGiven {
				f := store.Feedback{ID: fmt.Sprintf("fb-%012d", i), RecordID: fmt.Sprintf("01a20a00-0000-7000-8000-%012d", i), Owner: "org-a", Org: "org-c", TokenID: "tok-c",
					Outcome: "blocked", Note: "at the gateway", Created: t0.Add(time.Duration(i) * time.Second)}
				if err := tx.InsertFeedback(f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "built the feedback world (%d records) in %v\n", feedbackRecords, time.Since(start).Round(time.Second))
	return nil
}

// rss reads the process's resident set and its peak (kB) from /proc.
func rss() (cur, peak int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1, -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			cur = n
		case "VmHWM":
			peak = n
		}
	}
	return cur, peak
}

// resetPeak makes the kernel forget the resident set's peak (Linux).
func resetPeak() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkFeedback1M: GET /api/v1/feedback's work for an originator of
// 1,000,000 records (totals over all of them and the first page of 100),
// with the extra resident memory one call takes (peak during the call minus
// the resident set before it), in MB.
func BenchmarkFeedback1M(b *testing.B) {
	st := feedbackStore(b)
	h := newHub(b, st)
	c := &policy.Caller{Org: "org-a", Role: intel.RoleAnalyst}
	ctx := context.Background()
	var extra int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		before, _ := rss()
		resetPeak()
		b.StartTimer()
		sum, err := h.Feedback(ctx, c, 100, "")
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(sum.Records) != 100 || sum.Totals["seen"] == 0 || sum.Totals["blocked"] != feedbackRecords/feedbackGiven || sum.Next == "" {
			b.Fatalf("summary: %d records, totals %v", len(sum.Records), sum.Totals)
		}
		_, peak := rss()
		extra = max(extra, peak-before)
		b.StartTimer()
	}
	b.ReportMetric(float64(extra)/1024, "extra-MB")
}

// BenchmarkFeedbackFloor1M is the baseline: the two aggregate queries
// alone (outcome counts and sighting total over the originator's records),
// which any answer with totals must run.
func BenchmarkFeedbackFloor1M(b *testing.B) {
	st := feedbackStore(b)
	ctx := context.Background()
	var extra int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		before, _ := rss()
		resetPeak()
		b.StartTimer()
		if _, _, err := st.FeedbackTotals(ctx, "org-a"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_, peak := rss()
		extra = max(extra, peak-before)
		b.StartTimer()
	}
	b.ReportMetric(float64(extra)/1024, "extra-MB")
}
