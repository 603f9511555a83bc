package c2

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

const day = 86400

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestQuartiles(t *testing.T) {
	tests := []struct {
		in   []float64
		want Quartile
	}{
		// Even: halves [1 2] and [3 4]; median (2+3)/2.
		{[]float64{1, 2, 3, 4}, Quartile{1.5, 2.5, 3.5}},
		// Odd: the middle 3 is left out of both halves [1 2] and [4 5].
		{[]float64{1, 2, 3, 4, 5}, Quartile{1.5, 3, 4.5}},
		// Two values: halves [1] and [2].
		{[]float64{1, 2}, Quartile{1, 1.5, 2}},
		// Halves [7 15 36] and [39 40 41]; median (36+39)/2.
		{[]float64{7, 15, 36, 39, 40, 41}, Quartile{15, 37.5, 40}},
		// Halves [6 7 15] and [40 41 42]; the middle 36 is left out.
		{[]float64{6, 7, 15, 36, 40, 41, 42}, Quartile{7, 36, 41}},
		{[]float64{300, 300, 300, 300}, Quartile{300, 300, 300}},
	}
	for _, tt := range tests {
		got, err := Quartiles(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Quartiles(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range [][]float64{nil, {5}} {
		if _, err := Quartiles(in); err == nil {
			t.Errorf("Quartiles(%v): want an error", in)
		}
	}
}

func TestBowley(t *testing.T) {
	tests := []struct {
		q    Quartile
		want float64
	}{
		{Quartile{15, 37.5, 40}, -0.8}, // (15+40-75)/(40-15) = -20/25
		{Quartile{15, 25, 65}, 0.6},    // (15+65-50)/(65-15) = 30/50
		{Quartile{10, 20, 30}, 0},      // symmetric
		{Quartile{300, 300, 300}, 0},   // no spread: defined as 0
		{Quartile{10, 10, 30}, 1},      // median on Q1: (10+30-20)/20
		{Quartile{10, 30, 30}, -1},     // median on Q3: (10+30-60)/20
	}
	for _, tt := range tests {
		if got := Bowley(tt.q); !near(got, tt.want) {
			t.Errorf("Bowley(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	// RITA's guards: an IQR under 10, or a median on a quartile, is no skew.
	for _, q := range []Quartile{{298, 299, 305}, {10, 10, 30}, {10, 30, 30}} {
		if got := scoredSkew(q); got != 0 {
			t.Errorf("scoredSkew(%v) = %v, want 0", q, got)
		}
	}
	if got := scoredSkew(Quartile{15, 25, 65}); !near(got, 0.6) {
		t.Errorf("scoredSkew = %v, want 0.6", got)
	}
}

func TestMedianAbsDev(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		// Median 2; |x−2| = 1 1 0 0 2 4 7, sorted 0 0 1 1 2 4 7: median 1.
		{[]float64{1, 1, 2, 2, 4, 6, 9}, 1},
		// Median 2.5; deviations 1.5 .5 .5 1.5: median (.5+1.5)/2 = 1.
		{[]float64{1, 2, 3, 4}, 1},
		// Median 25; deviations 15 5 5 75, sorted 5 5 15 75: median 10.
		{[]float64{10, 20, 30, 100}, 10},
		// Median 3; deviations 3 2 0 0 97: sorted 0 0 2 3 97: median 2.
		{[]float64{0, 1, 3, 3, 100}, 2},
		{[]float64{5}, 0},
		{[]float64{3, 3, 3}, 0},
		{nil, 0},
	}
	for _, tt := range tests {
		if got := MedianAbsDev(tt.in); !near(got, tt.want) {
			t.Errorf("MedianAbsDev(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestMedianAbsDevMatchesSort checks the merge against the definition.
func TestMedianAbsDevMatchesSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		xs := rapid.SliceOfN(rapid.Float64Range(-1e6, 1e6), 1, 50).Draw(t, "xs")
		slices.Sort(xs)
		m := median(xs)
		dev := make([]float64, len(xs))
		for i, x := range xs {
			dev[i] = math.Abs(x - m)
		}
		slices.Sort(dev)
		if got, want := MedianAbsDev(xs), median(dev); got != want {
			t.Fatalf("MedianAbsDev(%v) = %v, want %v", xs, got, want)
		}
	})
}

func TestCoefVar(t *testing.T) {
	tests := []struct {
		in   []int32
		want float64
	}{
		{[]int32{1, 1, 1, 1}, 0},
		{[]int32{0, 2}, 1},                       // mean 1, sd √((1+1)/2) = 1
		{[]int32{1, 2, 3}, math.Sqrt(2.0/3) / 2}, // mean 2, sd √(2/3)
		{[]int32{0, 0, 0}, 0},
		{nil, 0},
		{[]int32{24, 0, 0, 0}, math.Sqrt(3)}, // mean 6, sd √((18²+3·6²)/4) = √108
	}
	for _, tt := range tests {
		if got := CoefVar(tt.in); !near(got, tt.want) {
			t.Errorf("CoefVar(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := cvScore(math.Sqrt(3)); got != 0 {
		t.Errorf("cvScore(√3) = %v, want 0", got)
	}
	if got := cvScore(0.25); got != 0.75 {
		t.Errorf("cvScore(0.25) = %v, want 0.75", got)
	}
}

func TestBimodalFit(t *testing.T) {
	p := DefaultParams()
	hist := func(spec ...int32) []int32 { // pairs of (count, bins)
		var h []int32
		for i := 0; i < len(spec); i += 2 {
			for range spec[i+1] {
				h = append(h, spec[i])
			}
		}
		return h
	}
	tests := []struct {
		name    string
		busy    []int32
		largest int32
		want    float64
	}{
		// 12 bins at 10 and 10 at 2; width ⌈10·0.05⌉ = 1; (12+10)/(22−1) > 1.
		{"two levels", hist(10, 12, 2, 10), 10, 1},
		// Buckets 10:6, 5:5, 7:3, 1:3; (6+5)/(17−1) = 0.6875 → 0.688.
		{"four levels", hist(10, 6, 5, 5, 7, 3, 1, 3), 10, 0.688},
		// 10 busy bins: fewer than 11, no fit.
		{"too few bins", hist(5, 10), 5, 0},
		// Width ⌈99·0.05⌉ = 5: 95, 97, 99 fall in bucket 19, 50 and 54 in
		// bucket 10: 12/(12−1) > 1.
		{"within tolerance", hist(95, 2, 97, 2, 99, 2, 50, 3, 54, 3), 99, 1},
		// Width ⌈104·0.05⌉ = 6: 100, 101 → 16; 104 → 17; 50, 53 → 8:
		// buckets 8:6, 16:4, 17:2 → (6+4)/(12−1) = 0.909.
		{"bucket edge", hist(100, 2, 101, 2, 104, 2, 50, 3, 53, 3), 104, 0.909},
		// Width ⌈104·0.05⌉ = 6: 100,101 → 16; 104 → 17; 50,53 → 8;
		// buckets 16:4, 8:6, 17:2, plus 11 bins at 1 → 0: (11+6)/(23−1).
		{"tolerance plus noise", hist(100, 2, 101, 2, 104, 2, 50, 3, 53, 3, 1, 11), 104, 0.773},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BimodalFit(slices.Clone(tt.busy), tt.largest, len(tt.busy), p); got != tt.want {
				t.Errorf("BimodalFit = %v, want %v", got, tt.want)
			}
		})
	}
}

// every returns n timestamps from start, step apart, with size bytes each.
func every(start, step int64, n int, size uint32) Series {
	s := Series{Base: start}
	for i := range n {
		s.Offsets = append(s.Offsets, int32(int64(i)*step))
		s.Bytes = append(s.Bytes, size)
	}
	return s
}

func TestScorePerfectBeacon(t *testing.T) {
	// 288 connections every 300 s from 0 to 86,100: intervals all 300,
	// 12 in each of the 24 hourly bins; span 86,100/86,400 → ⌈996.5⌉/1000.
	r, err := Score(every(0, 300, 288, 1049), LastDay(Day))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Score: 1, Timestamp: 1, Size: 1, Histogram: 1, Duration: 1,
		Count: 288, Unique: 288, First: 0, Last: 86100,
		IntervalQ1: 300, IntervalMedian: 300, IntervalQ3: 300,
		SizeQ1: 1049, SizeMedian: 1049, SizeQ3: 1049, TotalBytes: 288 * 1049,
		CV: 0, CVScore: 1, Bimodal: 1, BusyBins: 24, LongestRun: 24,
		Coverage: 0.997, Consistency: 1,
	}
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	if Severity(r.Score) != SevHigh {
		t.Errorf("severity %q, want high", Severity(r.Score))
	}
}

func TestScoreHandComputed(t *testing.T) {
	// Timestamps 0, 10, 30, 60, 160 (window 0..86,400):
	// intervals 10 20 30 100: Q1 15, Q2 25, Q3 65; Bowley (15+65−50)/50 =
	// 0.6 → 0.4; MAD 10 → (25−10)/25 = 0.6; timestamp (0.4+0.6)/2 = 0.5.
	// Bytes 100 100 100 100 400: quartiles 100 100 250 — median on Q1, no
	// skew → 1; MAD 0 → 1; size 1.
	// All five in bin 0: CV of [5, 0×23] = √23 > 1 → 0; 1 busy bin: no
	// bimodal fit; histogram 0. 1 busy bin < 6: duration 0.
	// Score (0.5+1+0+0)/4 = 0.375.
	s := Series{Base: 1000, Offsets: []int32{-1000, -990, -970, -940, -840}, Bytes: []uint32{100, 400, 100, 100, 100}}
	r, err := Score(s, Window{0, day})
	if err != nil {
		t.Fatal(err)
	}
	if r.Timestamp != 0.5 || r.Size != 1 || r.Histogram != 0 || r.Duration != 0 || r.Score != 0.375 {
		t.Errorf("scores %v %v %v %v → %v; want 0.5 1 0 0 → 0.375", r.Timestamp, r.Size, r.Histogram, r.Duration, r.Score)
	}
	if r.IntervalSkew != 0.6 || r.IntervalMAD != 10 || r.IntervalMedian != 25 || r.SizeQ3 != 250 {
		t.Errorf("stats %+v", r)
	}
	if r.First != 0 || r.Last != 160 || r.Count != 5 || r.BusyBins != 1 || r.LongestRun != 1 {
		t.Errorf("counts %+v", r)
	}
	if Severity(r.Score) != SevNone {
		t.Errorf("severity %q, want none", Severity(r.Score))
	}
	if !slices.Equal(s.Offsets, []int32{-1000, -990, -970, -940, -840}) || s.Bytes[1] != 400 {
		t.Error("Score modified its input")
	}
}

func TestScoreSleepsOvernight(t *testing.T) {
	// Every 600 s from 08:00 to 20:00 inclusive: 73 connections, 6 in each
	// of bins 8..19 and 1 in bin 20. CV ≈ 0.975 → 0.025, but the bimodal
	// fit has buckets 6:12 and 1:1 over 13−1 busy bins → 1. Coverage
	// 43,200/86,400 = 0.5, run 13/12 → 1: duration 1.
	r, err := Score(every(8*3600, 600, 73, 512), Window{0, day})
	if err != nil {
		t.Fatal(err)
	}
	if r.CVScore != 0.025 || r.Bimodal != 1 || r.Histogram != 1 {
		t.Errorf("histogram: cv score %v bimodal %v → %v", r.CVScore, r.Bimodal, r.Histogram)
	}
	if r.Coverage != 0.5 || r.Consistency != 1 || r.Duration != 1 || r.BusyBins != 13 || r.LongestRun != 13 {
		t.Errorf("duration: %+v", r)
	}
	if r.Score != 1 {
		t.Errorf("score %v, want 1", r.Score)
	}
}

func TestScoreLastBinAndWrap(t *testing.T) {
	// Busy in bins 0..2 and 21..23 only (a beacon over midnight): the run
	// wraps to 6 = minimum for a duration score; consistency 6/12 = 0.5;
	// coverage is first→last = almost the whole day.
	var offs []int32
	for h := range 24 {
		if h <= 2 || h >= 21 {
			offs = append(offs, int32(h*3600), int32(h*3600+1800))
		}
	}
	offs = append(offs, day) // the window's end falls in the last bin
	s := Series{Offsets: offs, Bytes: make([]uint32, len(offs))}
	r, err := Score(s, Window{0, day})
	if err != nil {
		t.Fatal(err)
	}
	if r.BusyBins != 6 || r.LongestRun != 6 || r.Consistency != 0.5 || r.Coverage != 1 || r.Duration != 1 {
		t.Errorf("%+v", r)
	}
	// All bytes 0: no skew → 1, median < 1 → MAD score 0: size 0.5.
	if r.Size != 0.5 {
		t.Errorf("size %v, want 0.5", r.Size)
	}
}

func TestScoreDegenerate(t *testing.T) {
	w := Window{0, day}
	tests := []struct {
		name string
		s    Series
		w    Window
		err  error
	}{
		{"empty", Series{}, w, ErrNotEnough},
		{"two connections", every(0, 60, 2, 1), w, ErrNotEnough},
		{"three timestamps", every(0, 60, 3, 1), w, ErrNotEnough},
		{"duplicates only", Series{Offsets: []int32{5, 5, 5, 9, 9, 9, 12}, Bytes: make([]uint32, 7)}, w, ErrNotEnough},
		{"zero-length window", every(0, 60, 10, 1), Window{0, 0}, ErrWindow},
		{"reversed window", every(0, 60, 10, 1), Window{10, 0}, ErrWindow},
		{"window too long", every(0, 60, 10, 1), Window{0, math.MaxInt32 + 1}, ErrWindow},
		{"lengths differ", Series{Offsets: []int32{1, 2, 3, 4}, Bytes: []uint32{1}}, w, ErrSeries},
		{"before window", Series{Base: -1, Offsets: []int32{0, 1, 2, 3}, Bytes: make([]uint32, 4)}, w, ErrSeries},
		{"after window", Series{Base: day - 2, Offsets: []int32{0, 1, 2, 3}, Bytes: make([]uint32, 4)}, w, ErrSeries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Score(tt.s, tt.w)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
	// Four distinct timestamps among duplicates are enough.
	r, err := Score(Series{Offsets: []int32{5, 5, 65, 125, 125, 185}, Bytes: make([]uint32, 6)}, w)
	if err != nil || r.Unique != 4 || r.Count != 6 || r.Timestamp != 1 {
		t.Errorf("four distinct: %+v, %v", r, err)
	}
}

func TestScoreStrobe(t *testing.T) {
	// 86,400 connections in a day (some in the same second) is a strobe.
	s := Series{}
	for i := range day {
		s.Offsets = append(s.Offsets, int32(i/2))
		s.Bytes = append(s.Bytes, 60)
	}
	r, err := Score(s, Window{0, day})
	if err != nil || !r.Strobe || r.Score != 0 || r.Count != day || r.TotalBytes != 60*day || r.Last != day/2-1 {
		t.Errorf("strobe: %+v, %v", r, err)
	}
	// One fewer is scored: 43,200 distinct seconds, intervals all 1.
	s.Offsets, s.Bytes = s.Offsets[1:], s.Bytes[1:]
	r, err = Score(s, Window{0, day})
	if err != nil || r.Strobe || r.Timestamp != 1 || r.Count != day-1 {
		t.Errorf("just under: %+v, %v", r, err)
	}
	// The rate scales with the window: 10 in a 10 s window is a strobe.
	r, err = Score(every(0, 1, 10, 1), Window{0, 10})
	if err != nil || !r.Strobe {
		t.Errorf("short window: %+v, %v", r, err)
	}
}

func TestScoreHugeValues(t *testing.T) {
	// Sizes near 4 GiB, a window of 68 years, offsets at both extremes.
	s := Series{Base: 0, Offsets: []int32{0, 1, math.MaxInt32 / 2, math.MaxInt32 - 1, math.MaxInt32}, Bytes: []uint32{math.MaxUint32, 0, math.MaxUint32, 1, math.MaxUint32}}
	r, err := Score(s, Window{0, math.MaxInt32})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r)
	if r.TotalBytes != 3*math.MaxUint32+1 {
		t.Errorf("total bytes %d", r.TotalBytes)
	}
	if ClampBytes(-5) != 0 || ClampBytes(1<<40) != math.MaxUint32 || ClampBytes(1049) != 1049 {
		t.Error("ClampBytes")
	}
}

func TestParamsCheck(t *testing.T) {
	if err := DefaultParams().Check(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Params){
		func(p *Params) { p.Bins = 0 },
		func(p *Params) { p.MinUnique = 3 },
		func(p *Params) { p.StrobePerDay = 0 },
		func(p *Params) { p.ModeSensitivity = math.NaN() },
		func(p *Params) { p.BimodalOutlierRemoval = -1 },
		func(p *Params) { p.BimodalMinBins = 2 },
		func(p *Params) { p.DurationMinBins = 0 },
		func(p *Params) { p.DurationIdealRun = 0 },
	}
	for i, f := range bad {
		p := DefaultParams()
		f(&p)
		if _, err := NewScorer(p); err == nil {
			t.Errorf("case %d: want an error", i)
		}
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		score  float64
		threat float64
		sev    string
	}{
		{0, 0, SevNone},
		{0.49, 0, SevNone},
		{0.5, 0.2, SevNone},
		{0.625, 0.3, SevLow}, // 0.2 + 0.125/0.25·0.2
		{0.75, 0.4, SevLow},
		{0.825, 0.5, SevMedium}, // 0.4 + 0.075/0.15·0.2
		{0.9, 0.6, SevMedium},
		{0.95, 0.7, SevHigh},
		{1, 0.8, SevHigh},
		{math.NaN(), 0, SevNone},
	}
	for _, tt := range tests {
		if got := ThreatScore(tt.score); !near(got, tt.threat) {
			t.Errorf("ThreatScore(%v) = %v, want %v", tt.score, got, tt.threat)
		}
		if got := Severity(tt.score); got != tt.sev {
			t.Errorf("Severity(%v) = %q, want %q", tt.score, got, tt.sev)
		}
	}
	if Category(0.81) != SevCritical || Category(0.2) != SevNone {
		t.Error("Category")
	}
}

// checkResult fails unless every score of r lies in [0, 1].
func checkResult(t interface {
	Helper()
	Fatalf(string, ...any)
}, r Result) {
	t.Helper()
	for name, v := range map[string]float64{
		"score": r.Score, "timestamp": r.Timestamp, "size": r.Size, "histogram": r.Histogram,
		"duration": r.Duration, "cv score": r.CVScore, "bimodal": r.Bimodal,
		"coverage": r.Coverage, "consistency": r.Consistency,
	} {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("%s = %v, outside [0, 1]: %+v", name, v, r)
		}
	}
	for name, v := range r.Stats() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("stat %s = %v", name, v)
		}
	}
}

func TestScoreProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		length := rapid.Int64Range(1, 3*day).Draw(t, "window")
		start := rapid.Int64Range(-1e10, 1e10).Draw(t, "start")
		n := rapid.IntRange(0, 400).Draw(t, "n")
		// Mix clustered and spread offsets, sizes small and huge.
		base := rapid.Int64Range(0, length).Draw(t, "base")
		spread := rapid.Int64Range(0, length).Draw(t, "spread")
		s := Series{Base: start}
		for i := range n {
			o := rapid.Int64Range(max(0, base-spread), min(length, base+spread)).Draw(t, "o")
			_ = i
			s.Offsets = append(s.Offsets, int32(o))
			s.Bytes = append(s.Bytes, rapid.Uint32().Draw(t, "b"))
		}
		r, err := Score(s, Window{start, start + length})
		if err != nil {
			if !errors.Is(err, ErrNotEnough) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkResult(t, r)
		if !r.Strobe && r.Unique < 4 {
			t.Fatalf("scored with %d distinct timestamps", r.Unique)
		}
		if r.First > r.Last || r.First < start || r.Last > start+length {
			t.Fatalf("first %d last %d", r.First, r.Last)
		}
	})
}

func TestScoreJitter(t *testing.T) {
	// Beacons every 10 s to 1 h with up to 30% jitter score high (≥ 0.9);
	// a random (Poisson) process of the same mean rate and random sizes
	// scores below 0.9 — though not far below: RITA's sub-scores are
	// lenient with steady random traffic (0.7–0.83 here), which is why
	// thresholds, allowlists and prevalence matter.
	rng := rand.New(rand.NewPCG(5, 6))
	for _, iv := range []int64{10, 60, 300, 3600} {
		for _, jitter := range []float64{0, 0.1, 0.3} {
			var beacon, poisson Series
			for ts := int64(0); ts <= Day; ts += iv + int64((rng.Float64()*2-1)*jitter*float64(iv)) {
				beacon.Offsets = append(beacon.Offsets, int32(ts))
				beacon.Bytes = append(beacon.Bytes, uint32(900+rng.IntN(40)))
			}
			for ts := int64(0); ts <= Day; ts += int64(rng.ExpFloat64() * float64(iv)) {
				poisson.Offsets = append(poisson.Offsets, int32(ts))
				poisson.Bytes = append(poisson.Bytes, uint32(200+rng.IntN(5000)))
			}
			rb, err := Score(beacon, LastDay(Day))
			if err != nil {
				t.Fatal(err)
			}
			rp, err := Score(poisson, LastDay(Day))
			if err != nil {
				t.Fatal(err)
			}
			if rb.Score < 0.9 || Severity(rb.Score) != SevHigh || rp.Score >= 0.9 {
				t.Errorf("every %d s ±%.0f%%: beacon %v (%v %v %v %v), Poisson %v", iv, jitter*100,
					rb.Score, rb.Timestamp, rb.Size, rb.Histogram, rb.Duration, rp.Score)
			}
		}
	}
}

func TestScorerAllocs(t *testing.T) {
	sc, err := NewScorer(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	s := every(0, 300, 288, 1049)
	if _, err := sc.Score(s, Window{0, day}); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, func() { _, _ = sc.Score(s, Window{0, day}) }); a != 0 {
		t.Errorf("%v allocations per warm Score, want 0", a)
	}
}

func BenchmarkScore288(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := Series{}
	for i := range 288 {
		s.Offsets = append(s.Offsets, int32(i*300+rng.IntN(30)))
		s.Bytes = append(s.Bytes, uint32(1000+rng.IntN(50)))
	}
	sc, _ := NewScorer(DefaultParams())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.Score(s, Window{0, day}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHelperProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		counts := rapid.SliceOfN(rapid.Int32Range(0, math.MaxInt32/2), 1, 64).Draw(t, "counts")
		if cv := CoefVar(counts); !(cv >= 0) || math.IsInf(cv, 0) {
			t.Fatalf("CoefVar(%v) = %v", counts, cv)
		}
		p := DefaultParams()
		p.ModeSensitivity = rapid.Float64Range(1e-6, 1).Draw(t, "sensitivity")
		p.BimodalOutlierRemoval = rapid.IntRange(0, 30).Draw(t, "outliers")
		p.BimodalMinBins = rapid.IntRange(3, 30).Draw(t, "min bins")
		var busy []int32
		var largest int32
		for _, c := range counts {
			if c > 0 {
				busy = append(busy, c)
				largest = max(largest, c)
			}
		}
		if f := BimodalFit(busy, largest, len(busy), p); !(f >= 0 && f <= 1) {
			t.Fatalf("BimodalFit = %v", f)
		}
		vals := rapid.SliceOfN(rapid.Float64Range(0, 1e12), 2, 64).Draw(t, "vals")
		slices.Sort(vals)
		q, err := Quartiles(vals)
		if err != nil || !(q.Q1 <= q.Q2 && q.Q2 <= q.Q3) {
			t.Fatalf("Quartiles(%v) = %v, %v", vals, q, err)
		}
		if b := Bowley(q); !(b >= -1 && b <= 1) {
			t.Fatalf("Bowley(%v) = %v", q, b)
		}
		for _, z := range []float64{0, 1} {
			if st := statScore(vals, z); !(st.score >= 0 && st.score <= 1) {
				t.Fatalf("statScore(%v) = %+v", vals, st)
			}
		}
	})
}

// FuzzScore feeds arbitrary series and windows: Score must return a
// result in range or one of its errors, never panic.
func FuzzScore(f *testing.F) {
	f.Add(int64(0), int64(day), int64(0), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add(int64(-5), int64(0), int64(-5), []byte{255, 255, 255, 127, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, start, end, base int64, raw []byte) {
		s := Series{Base: base}
		for i := 0; i+8 <= len(raw); i += 8 {
			o := int32(uint32(raw[i]) | uint32(raw[i+1])<<8 | uint32(raw[i+2])<<16 | uint32(raw[i+3])<<24)
			b := uint32(raw[i+4]) | uint32(raw[i+5])<<8 | uint32(raw[i+6])<<16 | uint32(raw[i+7])<<24
			s.Offsets = append(s.Offsets, o)
			s.Bytes = append(s.Bytes, b)
		}
		r, err := Score(s, Window{start, end})
		if err != nil {
			if !errors.Is(err, ErrNotEnough) && !errors.Is(err, ErrWindow) && !errors.Is(err, ErrSeries) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkResult(t, r)
		_ = Explain(r)
	})
}
