package c2

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
)

// ErrNotEnough is wrapped by the error [Score] returns for a pair with too
// few distinct timestamps to score (fewer than Params.MinUnique, 4 by
// default: three intervals are the fewest that quartiles make sense of).
var ErrNotEnough = errors.New("not enough distinct timestamps to score")

// ErrWindow is wrapped by the error for a window that is empty, reversed
// or too long for 32-bit offsets.
var ErrWindow = errors.New("invalid window")

// ErrSeries is wrapped by the error for a series whose slices disagree in
// length or whose timestamps fall outside the window.
var ErrSeries = errors.New("invalid series")

// Window is the span of time a pair is scored over: Start and End in Unix
// seconds, both included. RITA scores the last 24 hours of its data set.
type Window struct {
	Start, End int64
}

// Day is RITA's scoring window, 24 hours, in seconds.
const Day = 86400

// LastDay returns the window of the 24 hours ending at end (Unix s).
func LastDay(end int64) Window { return Window{Start: end - Day, End: end} }

// Len returns End − Start in seconds.
func (w Window) Len() int64 { return w.End - w.Start }

// Check reports whether w can be scored over: End must be after Start and
// the window at most math.MaxInt32 seconds (68 years) long, so that every
// timestamp in it fits a 32-bit offset from Start.
func (w Window) Check() error {
	if w.End <= w.Start {
		return fmt.Errorf("c2: window end %d is not after start %d: %w", w.End, w.Start, ErrWindow)
	}
	if w.End-w.Start > math.MaxInt32 {
		return fmt.Errorf("c2: window %d..%d is %d s long, more than %d: %w", w.Start, w.End, w.End-w.Start, math.MaxInt32, ErrWindow)
	}
	return nil
}

// Series is one source→destination pair's connections in a window. Each
// connection costs 8 bytes: its time as a 32-bit offset in seconds from
// Base, and the bytes its source sent (RITA uses Zeek's orig_ip_bytes) as
// a uint32 — see [ClampBytes].
type Series struct {
	// Base is the Unix time in seconds that Offsets count from.
	Base int64
	// Offsets are the connections' start times, seconds after Base, in
	// any order; repeated values are connections in the same second.
	Offsets []int32
	// Bytes are the bytes sent by the source on each connection, in the
	// order of Offsets.
	Bytes []uint32
}

// ClampBytes converts a byte count to the uint32 a [Series] keeps:
// negative counts become 0 and counts above 4 GiB saturate. A saturated
// size only ever looks less regular, never more.
func ClampBytes(n int64) uint32 {
	switch {
	case n < 0:
		return 0
	case n > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(n)
}

// Params are the scoring knobs. [DefaultParams] returns RITA v5's
// defaults (config.go, default-config.hjson).
type Params struct {
	// Bins is the number of histogram bins over the window (RITA: 24, one
	// an hour for its 24-hour window).
	Bins int
	// MinUnique is the fewest distinct timestamps a pair needs (RITA's
	// unique_connection_threshold: 4).
	MinUnique int
	// StrobePerDay is the connection rate, per 86,400 s of window, at
	// which a pair is a strobe rather than a beacon (RITA: 86,400, one a
	// second).
	StrobePerDay int64
	// ModeSensitivity sets the bucket width of the bimodal fit as a share
	// of the busiest bin (RITA's histogram_mode_sensitivity: 0.05).
	ModeSensitivity float64
	// BimodalOutlierRemoval is how many busy bins the bimodal fit may
	// leave out of its two modes (RITA: 1).
	BimodalOutlierRemoval int
	// BimodalMinBins is the fewest busy bins for a bimodal fit (RITA's
	// histogram_bimodal_min_hours_seen: 11).
	BimodalMinBins int
	// DurationMinBins is the fewest busy bins for a duration score (RITA's
	// duration_min_hours_seen: 6).
	DurationMinBins int
	// DurationIdealRun is the run of consecutive busy bins that scores 1
	// (RITA's duration_consistency_ideal_hours_seen: 12).
	DurationIdealRun int
}

// DefaultParams returns RITA v5's default scoring parameters.
func DefaultParams() Params {
	return Params{
		Bins:                  24,
		MinUnique:             4,
		StrobePerDay:          86400,
		ModeSensitivity:       0.05,
		BimodalOutlierRemoval: 1,
		BimodalMinBins:        11,
		DurationMinBins:       6,
		DurationIdealRun:      12,
	}
}

// maxBins bounds Params.Bins.
const maxBins = 4096

// Check reports the first parameter out of range.
func (p Params) Check() error {
	switch {
	case p.Bins < 1 || p.Bins > maxBins:
		return fmt.Errorf("c2: params: bins %d is outside 1..%d", p.Bins, maxBins)
	case p.MinUnique < 4:
		return fmt.Errorf("c2: params: min unique %d is below 4 (three intervals are needed)", p.MinUnique)
	case p.StrobePerDay < 1 || p.StrobePerDay > math.MaxInt32:
		return fmt.Errorf("c2: params: strobe per day %d is outside 1..%d", p.StrobePerDay, math.MaxInt32)
	case !(p.ModeSensitivity > 0 && p.ModeSensitivity <= 1):
		return fmt.Errorf("c2: params: mode sensitivity %v is outside (0, 1]", p.ModeSensitivity)
	case p.BimodalOutlierRemoval < 0:
		return fmt.Errorf("c2: params: bimodal outlier removal %d is negative", p.BimodalOutlierRemoval)
	case p.BimodalMinBins < 3:
		return fmt.Errorf("c2: params: bimodal min bins %d is below 3", p.BimodalMinBins)
	case p.DurationMinBins < 1:
		return fmt.Errorf("c2: params: duration min bins %d is below 1", p.DurationMinBins)
	case p.DurationIdealRun < 1:
		return fmt.Errorf("c2: params: duration ideal run %d is below 1", p.DurationIdealRun)
	}
	return nil
}

// Result is a pair's beacon score and the figures behind it. Scores are
// in [0, 1], rounded to three decimals as RITA rounds them.
type Result struct {
	// Score is the mean of the four sub-scores.
	Score float64
	// Timestamp measures how regular the intervals between connections
	// are; Size how regular the bytes sent are; Histogram how evenly (or
	// in two steady levels) connections spread over the window's bins;
	// Duration how much of the window the pair spans.
	Timestamp, Size, Histogram, Duration float64
	// Strobe is set when the pair made a connection a second or more on
	// average (RITA: 86,400 a day): it is reported as a strobe and not
	// scored, and the scores are zero.
	Strobe bool

	// Count is the number of connections; Unique the number of distinct
	// timestamps.
	Count, Unique int
	// First and Last are the first and last connection times, Unix s.
	First, Last int64

	// Interval statistics, in seconds, over the intervals between
	// consecutive distinct timestamps: quartiles, median absolute
	// deviation from the median, and Bowley skewness as scored (0 where
	// RITA's guards apply).
	IntervalQ1, IntervalMedian, IntervalQ3, IntervalMAD, IntervalSkew float64
	// Size statistics, in bytes, over the bytes sent per connection.
	SizeQ1, SizeMedian, SizeQ3, SizeMAD, SizeSkew float64
	// TotalBytes is the sum of the bytes sent.
	TotalBytes int64

	// CV is the coefficient of variation of the bin counts; CVScore is
	// 1 − CV, floored at 0; Bimodal is the bimodal fit. Histogram is the
	// larger of the two scores.
	CV, CVScore, Bimodal float64
	// BusyBins counts the bins with a connection; LongestRun is the
	// longest run of consecutive busy bins, wrapping from the last bin to
	// the first.
	BusyBins, LongestRun int
	// Coverage is (Last − First) over the window's length; Consistency is
	// LongestRun over Params.DurationIdealRun; both capped at 1. Duration
	// is the larger, or 0 with fewer than Params.DurationMinBins busy bins.
	Coverage, Consistency float64
}

// Scores returns the sub-scores by name, for finding.Finding.Scores.
func (r Result) Scores() map[string]float64 {
	return map[string]float64{
		"timestamp": r.Timestamp,
		"size":      r.Size,
		"histogram": r.Histogram,
		"duration":  r.Duration,
	}
}

// Stats returns the figures behind the scores by name, for
// finding.Finding.Stats.
func (r Result) Stats() map[string]float64 {
	return map[string]float64{
		"connections":     float64(r.Count),
		"unique_ts":       float64(r.Unique),
		"interval_q1":     r.IntervalQ1,
		"interval_median": r.IntervalMedian,
		"interval_q3":     r.IntervalQ3,
		"interval_iqr":    r.IntervalQ3 - r.IntervalQ1,
		"interval_mad":    r.IntervalMAD,
		"interval_skew":   r.IntervalSkew,
		"size_q1":         r.SizeQ1,
		"size_median":     r.SizeMedian,
		"size_q3":         r.SizeQ3,
		"size_iqr":        r.SizeQ3 - r.SizeQ1,
		"size_mad":        r.SizeMAD,
		"size_skew":       r.SizeSkew,
		"total_bytes":     float64(r.TotalBytes),
		"hist_cv":         r.CV,
		"hist_bimodal":    r.Bimodal,
		"busy_bins":       float64(r.BusyBins),
		"longest_run":     float64(r.LongestRun),
		"coverage":        r.Coverage,
		"consistency":     r.Consistency,
		"span_s":          float64(r.Last - r.First),
	}
}

// Scorer scores series with fixed parameters, reusing its buffers: after
// it has seen the longest series it will be given, Score allocates
// nothing. Its scratch space is 12 bytes per connection of the longest
// series plus 8 bytes per bin. A Scorer is not safe for concurrent use.
type Scorer struct {
	p    Params
	ts   []int32   // window offsets, sorted
	vals []float64 // intervals, then sizes, sorted
	hist []int32   // connections per bin
	keys []int32   // bimodal buckets
}

// NewScorer returns a Scorer for p, or an error naming the first bad
// parameter.
func NewScorer(p Params) (*Scorer, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &Scorer{p: p}, nil
}

var pool = sync.Pool{New: func() any { return &Scorer{p: DefaultParams()} }}

// Score scores s over w with [DefaultParams], using a pooled [Scorer]; it
// allocates only when no pooled Scorer is large enough. See
// [Scorer.Score].
func Score(s Series, w Window) (Result, error) {
	sc := pool.Get().(*Scorer)
	r, err := sc.Score(s, w)
	pool.Put(sc)
	return r, err
}

// Score scores a pair's series over w, as RITA v5 scores a beacon. The
// series is not modified. The error wraps [ErrWindow] for a bad window,
// [ErrSeries] when the slices differ in length or a timestamp lies
// outside w, and [ErrNotEnough] when the pair has fewer than MinUnique
// distinct timestamps and is no strobe. A strobe is not an error: the
// result has Strobe set, the counts and times filled in, and zero scores.
func (sc *Scorer) Score(s Series, w Window) (Result, error) {
	var r Result
	if err := w.Check(); err != nil {
		return r, err
	}
	if len(s.Offsets) != len(s.Bytes) {
		return r, fmt.Errorf("c2: series has %d offsets but %d byte counts: %w", len(s.Offsets), len(s.Bytes), ErrSeries)
	}
	n := len(s.Offsets)
	r.Count = n
	if n == 0 {
		return r, fmt.Errorf("c2: series is empty: %w", ErrNotEnough)
	}

	// Window-relative offsets, checked and sorted.
	sc.ts = slices.Grow(sc.ts[:0], n)[:n]
	for i, o := range s.Offsets {
		t := s.Base + int64(o)
		if t < w.Start || t > w.End {
			return r, fmt.Errorf("c2: series timestamp %d (base %d + offset %d) is outside the window %d..%d: %w", t, s.Base, o, w.Start, w.End, ErrSeries)
		}
		sc.ts[i] = int32(t - w.Start)
	}
	ts := sc.ts
	slices.Sort(ts)
	r.First, r.Last = w.Start+int64(ts[0]), w.Start+int64(ts[n-1])
	r.Unique = 1
	for i := 1; i < n; i++ {
		if ts[i] != ts[i-1] {
			r.Unique++
		}
	}

	// A strobe: one connection a second or more, scaled from 86,400 a day.
	if int64(n)*86400 >= sc.p.StrobePerDay*w.Len() {
		r.Strobe = true
		for _, b := range s.Bytes {
			r.TotalBytes += int64(b)
		}
		return r, nil
	}
	if r.Unique < sc.p.MinUnique {
		return r, fmt.Errorf("c2: series has %d distinct timestamps, %d needed: %w", r.Unique, sc.p.MinUnique, ErrNotEnough)
	}

	// Timestamp score, over the intervals between distinct timestamps.
	sc.vals = slices.Grow(sc.vals[:0], n)[:0]
	for i := 1; i < n; i++ {
		if d := ts[i] - ts[i-1]; d > 0 {
			sc.vals = append(sc.vals, float64(d))
		}
	}
	slices.Sort(sc.vals)
	st := statScore(sc.vals, 1)
	r.Timestamp = st.score
	r.IntervalQ1, r.IntervalMedian, r.IntervalQ3 = st.q.Q1, st.q.Q2, st.q.Q3
	r.IntervalMAD, r.IntervalSkew = st.mad, st.skew

	// Data-size score, over the bytes sent per connection.
	sc.vals = sc.vals[:0]
	for _, b := range s.Bytes {
		sc.vals = append(sc.vals, float64(b))
		r.TotalBytes += int64(b)
	}
	slices.Sort(sc.vals)
	st = statScore(sc.vals, 0)
	r.Size = st.score
	r.SizeQ1, r.SizeMedian, r.SizeQ3 = st.q.Q1, st.q.Q2, st.q.Q3
	r.SizeMAD, r.SizeSkew = st.mad, st.skew

	// Histogram score.
	bins := sc.p.Bins
	sc.hist = slices.Grow(sc.hist[:0], bins)[:bins]
	clear(sc.hist)
	span := w.Len()
	for _, t := range ts {
		b := int64(t) * int64(bins) / span
		if b >= int64(bins) {
			b = int64(bins) - 1
		}
		sc.hist[b]++
	}
	r.CV = CoefVar(sc.hist)
	r.CVScore = cvScore(r.CV)
	r.BusyBins, r.LongestRun = busyRuns(sc.hist)
	r.Bimodal = sc.bimodal(r.BusyBins)
	r.Histogram = max(r.CVScore, r.Bimodal)

	// Duration score.
	if r.BusyBins >= sc.p.DurationMinBins {
		r.Coverage = min(math.Ceil(float64(r.Last-r.First)/float64(span)*1000)/1000, 1)
		r.Consistency = min(math.Ceil(float64(r.LongestRun)/float64(sc.p.DurationIdealRun)*1000)/1000, 1)
		r.Duration = max(r.Coverage, r.Consistency)
	}

	r.Score = round3((r.Timestamp + r.Size + r.Histogram + r.Duration) / 4)
	return r, nil
}

// stat is the outcome of statScore.
type stat struct {
	q                Quartile
	mad, skew, score float64
}

// statScore is RITA's statistical score of sorted values (len ≥ 2): the
// mean of the Bowley skewness score and the MAD score, where the MAD score
// is zeroMedian when the median is below 1.
func statScore(sorted []float64, zeroMedian float64) stat {
	q, _ := Quartiles(sorted)
	skew := scoredSkew(q)
	mad := MedianAbsDev(sorted)
	madScore := zeroMedian
	if q.Q2 >= 1 {
		madScore = (q.Q2 - mad) / q.Q2
	}
	if !(madScore >= 0) { // also catches NaN
		madScore = 0
	}
	madScore = min(madScore, 1)
	return stat{q: q, mad: mad, skew: skew, score: round3(((1 - math.Abs(skew)) + madScore) / 2)}
}

// scoredSkew is the Bowley skewness as RITA scores it: 0 when the
// interquartile range is under 10 (seconds or bytes) or the median sits
// on a quartile, so that small jitter or a lopsided handful of values
// does not count as skew.
func scoredSkew(q Quartile) float64 {
	if q.Q3-q.Q1 < 10 || q.Q2 == q.Q1 || q.Q2 == q.Q3 {
		return 0
	}
	return Bowley(q)
}

// Quartile holds the three quartiles of a data set.
type Quartile struct {
	Q1, Q2, Q3 float64
}

// Quartiles returns the quartiles of sorted (ascending) values as RITA
// computes them (montanaflynn/stats): Q2 is the median; Q1 and Q3 are the
// medians of the lower and upper halves, which leave out the median
// element when the count is odd. It needs at least two values.
func Quartiles(sorted []float64) (Quartile, error) {
	n := len(sorted)
	if n < 2 {
		return Quartile{}, fmt.Errorf("c2: quartiles of %d values: at least 2 are needed", n)
	}
	lo, hi := n/2, n/2
	if n%2 == 1 {
		hi = lo + 1
	}
	return Quartile{Q1: median(sorted[:lo]), Q2: median(sorted), Q3: median(sorted[hi:])}, nil
}

// median returns the median of sorted, non-empty values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Bowley returns the Bowley (quartile) skewness (Q1 + Q3 − 2·Q2) / (Q3 −
// Q1), in [−1, 1]; it is 0 when Q3 = Q1. (The score uses it only where
// the interquartile range is at least 10 and the median lies strictly
// between the quartiles, as RITA does.)
func Bowley(q Quartile) float64 {
	den := q.Q3 - q.Q1
	if !(den > 0) {
		return 0
	}
	return max(-1, min(1, (q.Q1+q.Q3-2*q.Q2)/den))
}

// MedianAbsDev returns the median absolute deviation from the median of
// sorted (ascending) values, 0 for none. It allocates nothing: the
// deviations below and above the median are each already in order, so
// their median is found by merging the two runs outward from the middle.
func MedianAbsDev(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	m := median(sorted)
	// Values ≤ m lie in sorted[:p], values > m in sorted[p:].
	p := sort.SearchFloat64s(sorted, math.Nextafter(m, math.Inf(1)))
	i, j := p-1, p // i walks down, j walks up
	next := func() float64 {
		if j >= n || (i >= 0 && m-sorted[i] <= sorted[j]-m) {
			d := m - sorted[i]
			i--
			return d
		}
		d := sorted[j] - m
		j++
		return d
	}
	var a float64
	for k := 0; k <= (n-1)/2; k++ {
		a = next()
	}
	if n%2 == 1 {
		return a
	}
	return (a + next()) / 2
}

// CoefVar returns the coefficient of variation of counts: the population
// standard deviation over the mean. It is 0 when every count is 0 and for
// no counts.
func CoefVar(counts []int32) float64 {
	if len(counts) == 0 {
		return 0
	}
	var sum float64
	for _, c := range counts {
		sum += float64(c)
	}
	if sum == 0 {
		return 0
	}
	mean := sum / float64(len(counts))
	var ss float64
	for _, c := range counts {
		d := float64(c) - mean
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(counts))) / mean
}

// cvScore is RITA's score of a coefficient of variation: 1 − cv, 0 above 1.
func cvScore(cv float64) float64 {
	if !(cv <= 1) {
		return 0
	}
	return round3(1 - max(cv, 0))
}

// busyRuns returns the number of non-empty bins and the longest run of
// consecutive non-empty bins, wrapping from the last bin to the first
// (capped at the number of bins).
func busyRuns(hist []int32) (busy, longest int) {
	run := 0
	for i := range 2 * len(hist) {
		if hist[i%len(hist)] > 0 {
			if i < len(hist) {
				busy++
			}
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return busy, min(longest, len(hist))
}

// bimodal is RITA's bimodal fit of the histogram in sc.hist.
func (sc *Scorer) bimodal(busy int) float64 {
	sc.keys = sc.keys[:0]
	var largest int32
	for _, c := range sc.hist {
		largest = max(largest, c)
	}
	for _, c := range sc.hist {
		if c > 0 {
			sc.keys = append(sc.keys, c)
		}
	}
	return BimodalFit(sc.keys, largest, busy, sc.p)
}

// BimodalFit returns RITA's bimodal fit of a histogram: the busy bins'
// counts are put in buckets of width ⌈largest · ModeSensitivity⌉, and the
// fit is the share of busy bins in the two fullest buckets, after
// BimodalOutlierRemoval bins are forgiven; it is 0 with fewer than
// BimodalMinBins busy bins, so that one or two bars do not count as two
// modes. counts are the busy bins' counts (it reorders them); largest is
// the largest; busy is their number.
func BimodalFit(counts []int32, largest int32, busy int, p Params) float64 {
	if busy < p.BimodalMinBins || busy <= 0 || largest <= 0 || len(counts) == 0 {
		return 0
	}
	width := int32(math.Ceil(float64(largest) * p.ModeSensitivity))
	width = max(width, 1)
	for i, c := range counts {
		counts[i] = c / width
	}
	slices.Sort(counts)
	var first, second int
	for i := 0; i < len(counts); {
		j := i
		for j < len(counts) && counts[j] == counts[i] {
			j++
		}
		switch k := j - i; {
		case k > first:
			first, second = k, first
		case k > second:
			second = k
		}
		i = j
	}
	denom := max(float64(busy-p.BimodalOutlierRemoval), 1)
	return min(round3(float64(first+second)/denom), 1)
}

// round3 rounds to three decimals, as RITA rounds its scores.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
