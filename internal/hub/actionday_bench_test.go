package hub_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/scenario"
	"fusion/internal/screen"
	"fusion/internal/store/storetest"
)

// BenchmarkActionDayBookings reads an action day of about 3,000 bookings
// (all a 100,000-booking transactions scenario's screening flags, seed 3,
// submitted by one airline) as its coordinator, who sees them all:
// each read loads the rows, re-screens them in booking-time order with the
// built-in package, links them into rings and logs the disclosure. The
// baseline, in the same run, is loading the rows alone
// (store.ActionDayBookings); the ratio is what screening and the
// disclosure add.
//
//	go test -run '^$' -bench ActionDayBookings -benchtime 20x ./internal/hub/
func BenchmarkActionDayBookings(b *testing.B) {
	ctx := context.Background()
	st := storetest.SQLite(b)
	h, cs := actionDayWorld(b, st)
	day, err := h.CreateActionDay(ctx, cs["coord"], hub.ActionDayInput{Name: "bench", Day: "2026-12-01", Group: "g-ad"})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	p := scenario.Params{Kind: "transactions", Seed: 3, Count: 100_000, Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	if err := scenario.Generate(ctx, p, dir, nil); err != nil {
		b.Fatal(err)
	}
	flagged := flaggedLines(b, dir+"/bookings.jsonl")
	res, err := h.SubmitBookings(ctx, cs["air-fr"], day.ID, "jsonl", bytes.NewReader(flagged))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.ActionDayBookings(ctx, day.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(res.Added), "bookings")
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			p, err := h.ActionDayBookings(ctx, cs["coord"], day.ID, "")
			if err != nil || len(p.Bookings) != res.Added {
				b.Fatal(len(p.Bookings), err)
			}
		}
		b.ReportMetric(float64(res.Added), "bookings")
	})
}

// flaggedLines screens a bookings file with the built-in package and
// returns the flagged bookings' lines.
func flaggedLines(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := screen.Compile(screen.Default())
	if err != nil {
		tb.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	s := screen.New(c, screen.DefaultConfig())
	for _, l := range lines {
		bk, err := screen.ParseBooking(l, screen.ReaderOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := s.Add(&bk); err != nil {
			tb.Fatal(err)
		}
	}
	var out []byte
	for i, v := range s.Verdicts() {
		if v.Flagged {
			out = append(append(out, lines[i]...), '\n')
		}
	}
	return out
}
