package c2

import (
	"math"
	"slices"
	"testing"
)

// The vectors below are the inputs and expected outputs of RITA v5's own
// unit tests (activecm/rita, analysis/beacons_test.go), which assert to
// within 0.001; they check that this package scores as RITA does.

func TestRITAStatisticalScore(t *testing.T) {
	tests := []struct {
		name             string
		values           []float64
		zeroMedian       float64
		skew, mad, score float64
	}{
		// Q 3, 5.5, 8: IQR 5 < 10, no skew; MAD 2.5 → (5.5−2.5)/5.5.
		{"simple list", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 0, 2.5, 0.773},
		{"identical", []float64{60, 60, 60, 60, 60, 60, 60, 60, 60}, 0, 0, 0, 1},
		{"closely valued", []float64{98, 99, 99, 100, 100, 100, 101, 101, 102}, 1, 0, 1, 0.995},
		// Q 13.5, 90, 1000: skew 833.5/986.5; MAD 89 → 1/90.
		{"random intervals", []float64{1, 299, 25, 4975, 90, 2, 42, 500, 1500}, 1, 0.845, 89, 0.083},
		// Q 22, 2525, 311769.5: skew 0.984; MAD 2523 → 2/2525.
		{"random sizes", []float64{524885, 1, 5000, 98654, 50, 41, 965842, 3}, 0, 0.984, 2523, 0.008},
		{"median 0, sizes", make([]float64, 10), 0, 0, 0, 0.5},
		{"median 0, intervals", make([]float64, 10), 1, 0, 0, 1},
		{"Q1 = Q2", []float64{7, 8, 7, 8, 7, 8, 7, 8, 7}, 1, 0, 0, 1},
		{"Q2 = Q3", []float64{1, 1, 2, 2, 2, 2}, 1, 0, 0, 1},
		// Intervals alternating 98 and 300: Q 98, 199, 300 → no skew
		// (numerator 0); MAD 101 → (199−101)/199 = 0.492; (1+0.492)/2.
		{"bimodal intervals", []float64{98, 300, 98, 300, 98, 300, 98, 300, 98, 300}, 1, 0, 101, 0.746},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slices.Clone(tt.values)
			slices.Sort(v)
			st := statScore(v, tt.zeroMedian)
			if math.Abs(st.skew-tt.skew) > 0.001 || math.Abs(st.mad-tt.mad) > 0.001 || math.Abs(st.score-tt.score) > 0.001 {
				t.Errorf("skew %v mad %v score %v; RITA: %v %v %v", st.skew, st.mad, st.score, tt.skew, tt.mad, tt.score)
			}
		})
	}
}

func TestRITAMedianAbsDevScore(t *testing.T) {
	tests := []struct {
		in         []float64
		mad, score float64
	}{
		{[]float64{1, 2, 2, 3, 3, 3, 4, 5, 5}, 1, 0.6667},
		{[]float64{11, 12, 12, 14, 15, 16}, 1.5, 0.8846},
		{[]float64{1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500}, 1250, 0.6154},
	}
	for _, tt := range tests {
		m := median(tt.in)
		mad := MedianAbsDev(tt.in)
		if mad != tt.mad || math.Abs((m-mad)/m-tt.score) > 0.0001 {
			t.Errorf("MAD(%v) = %v, score %v; RITA: %v, %v", tt.in, mad, (m-mad)/m, tt.mad, tt.score)
		}
	}
}

func TestRITAHistogram(t *testing.T) {
	p := DefaultParams()
	p.BimodalMinBins = 6
	tests := []struct {
		name          string
		bins          int
		w             Window
		ts            []int32
		busy, run     int
		cvScore, hist float64
	}{
		// Histogram 4 1 4 1 ...: mean 2.5, sd 1.5, CV 0.6 → 0.4; buckets
		// 4:5, 1:5 → 10/9 → 1.
		{"bimodal", 10, Window{0, 100}, []int32{1, 2, 3, 4, 15, 21, 22, 23, 24, 35, 41, 42, 43, 44, 55, 61, 62, 63, 64, 75, 81, 82, 83, 84, 95}, 10, 10, 0.4, 1},
		// Histogram 2 0 3 0 1: CV 1.1662/1.2 → 0.028; 3 busy bins, no
		// bimodal fit; the run wraps from bin 4 to bin 0.
		{"gaps and wrap", 5, Window{0, 250}, []int32{10, 20, 100, 110, 110, 220}, 3, 2, 0.028, 0.028},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Bins = tt.bins
			sc, err := NewScorer(p)
			if err != nil {
				t.Fatal(err)
			}
			r, err := sc.Score(Series{Offsets: tt.ts, Bytes: make([]uint32, len(tt.ts))}, tt.w)
			if err != nil {
				t.Fatal(err)
			}
			if r.BusyBins != tt.busy || r.LongestRun != tt.run || r.CVScore != tt.cvScore || r.Histogram != tt.hist {
				t.Errorf("busy %d run %d cv score %v histogram %v; RITA: %d %d %v %v", r.BusyBins, r.LongestRun, r.CVScore, r.Histogram, tt.busy, tt.run, tt.cvScore, tt.hist)
			}
		})
	}
}
