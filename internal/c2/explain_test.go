package c2

import (
	"math"
	"testing"
	"time"

	"fusion/internal/finding"
)

func TestThousands(t *testing.T) {
	tests := map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 1049: "1,049", 123456: "123,456",
		1234567: "1,234,567", -1234: "-1,234", math.MinInt64: "-9,223,372,036,854,775,808",
	}
	for n, want := range tests {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		sec  float64
		want string
	}{
		{0, "0 s"}, {-3, "0 s"}, {math.NaN(), "0 s"},
		{0.5, "0.5 s"}, {4, "4 s"}, {4.04, "4 s"}, {9.96, "10 s"}, {300, "300 s"}, {599, "599 s"},
		{600, "10 min"}, {3600, "60 min"}, {5400, "90 min"},
		{7200, "2 h"}, {9000, "2.5 h"}, {82800, "23 h"}, {86100, "24 h"},
		{2 * 86400, "2 days"}, {3.2 * 86400, "3.2 days"}, {400 * 86400, "400 days"},
	}
	for _, tt := range tests {
		if got := Duration(tt.sec); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Count: 277, IntervalMedian: 300, IntervalMAD: 4, SizeMedian: 1049, First: 0, Last: 82800},
			"every 300 s ±4 s, 1,049 bytes each, for 23 h"},
		{Result{Count: 24, IntervalMedian: 3600, IntervalMAD: 90, SizeMedian: 20480.5, SizeMAD: 312, First: 100, Last: 100 + 23*3600},
			"every 60 min ±90 s, 20,481 ±312 bytes each, for 23 h"},
		{Result{Count: 5, IntervalMedian: 10, IntervalMAD: 0, SizeMedian: 1, First: 0, Last: 40},
			"every 10 s ±0 s, 1 byte each, for 40 s"},
		{Result{Count: 90000, Strobe: true, First: 0, Last: 86399},
			"90,000 connections in 24 h, one a second or more (a strobe)"},
		{Result{}, "no connections"},
	}
	for _, tt := range tests {
		if got := Explain(tt.r); got != tt.want {
			t.Errorf("Explain = %q\n          want %q", got, tt.want)
		}
	}
}

func TestResultFinding(t *testing.T) {
	r, err := Score(every(1700000000, 300, 277, 1049), Window{1700000000 - 3600, 1700000000 + 82800})
	if err != nil {
		t.Fatal(err)
	}
	f := r.Finding("10.0.0.5", "203.0.113.9")
	if f.Kind != finding.C2Beacon || f.Entity != "10.0.0.5" || f.Src != "10.0.0.5" || f.Dst != "203.0.113.9" {
		t.Errorf("names: %+v", f)
	}
	if !f.Start.Equal(time.Unix(1700000000, 0)) || f.End.Sub(f.Start) != 276*300*time.Second {
		t.Errorf("span %v–%v", f.Start, f.End)
	}
	if f.Score != r.Score || f.Severity != Severity(r.Score) || f.Scores["timestamp"] != 1 || f.Stats["connections"] != 277 {
		t.Errorf("scores: %+v", f)
	}
	if f.Explanation != "every 300 s ±0 s, 1,049 bytes each, for 23 h" {
		t.Errorf("explanation %q", f.Explanation)
	}
}
