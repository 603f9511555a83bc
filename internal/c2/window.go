package c2

import (
	"math"
	"net/netip"
	"slices"
	"time"

	"fusion/internal/finding"
)

// addTo adds a connection to s, scoring and starting a new window first
// when it falls past the current one.
func (d *Detector) addTo(s *series, ts int64, n uint32, uid []byte, kind string) {
	if ts >= s.start+int64(d.cfg.Window/time.Second) {
		if c, ok := d.score(s, kind); ok {
			d.cands = append(d.cands, c)
		}
		s.reset(ts)
	} else if ts < s.start {
		ts = s.start // late by less than a window: counted at the window's start
	}
	s.add(ts, n, d.limit, uid)
}

// A candidate is a scored window of one pair.
type candidate struct {
	kind    string
	src     netip.Addr
	dst     string
	dstAddr netip.Addr
	name    int32 // the name of the destination, or -1
	byName  bool  // a name pair (dst is the name)
	urlKey  uint64
	window  Window // what the score rests on
	// intervals is the histogram of intervals (Finding.Intervals).
	intervals []int
	// noHistogram: the score left the histogram out (too few connections).
	noHistogram bool
	// addrs are a name pair's addresses.
	addrs []string
	res   Result
	uids  []string
	url   string
}

// score scores s's window and returns it as a candidate when it scores.
func (d *Detector) score(s *series, kind string) (candidate, bool) {
	if int(s.count) < d.cfg.Params.MinUnique {
		return candidate{}, false
	}
	w := Window{Start: s.start, End: s.start + int64(d.cfg.Window/time.Second)}
	if d.last > s.start && d.last < w.End {
		w.End = d.last // the data ends inside the window
	}
	if w.End <= w.Start {
		return candidate{}, false
	}
	d.offsets, d.sizes = unpack(s.conns, d.offsets, d.sizes)
	series := Series{Base: s.start, Offsets: d.offsets, Bytes: d.sizes}
	r, err := d.scorer.Score(series, w)
	if err != nil || r.Strobe {
		return candidate{}, false
	}
	scored := w
	histogramLeftOut := false
	if r.Score < d.cfg.MinScore {
		// RITA's histogram and duration scores ask for a day of activity:
		// a pair active for a few hours, or only in office hours, cannot
		// reach the threshold however regular it is. Its longest active
		// stretch (split at silences of four median intervals, and at
		// least ShortSpan) is scored again over its own span, when that
		// span and its connections are enough to rest on, and must then
		// reach the stricter ShortMinScore.
		gap := max(int64(d.cfg.ShortSpan/time.Second), int64(4*r.IntervalMedian))
		run := d.longestRun(s, gap)
		span := Window{Start: s.start + int64(run[0]>>32), End: s.start + int64(run[len(run)-1]>>32)}
		if distinct(run) < shortMinUnique || span.Len() < int64(d.cfg.ShortSpan/time.Second) || span.Len() > int64(d.cfg.Window/time.Second)/2 {
			return candidate{}, false
		}
		d.offsets, d.sizes = unpack(run, d.offsets, d.sizes)
		series = Series{Base: s.start, Offsets: d.offsets, Bytes: d.sizes}
		sc, bins := d.spanScorer(distinct(run))
		r, err = sc.Score(series, span)
		if err != nil || r.Strobe {
			return candidate{}, false
		}
		if r.Unique < 2*bins {
			// Under two connections a bin, the histogram shows the
			// jitter more than any pattern (ten hourly connections with
			// 30% jitter leave bins empty and doubled): it is left out,
			// and the score is the mean of the other three.
			r.Histogram = 0
			r.Score = math.Round((r.Timestamp+r.Size+r.Duration)/3*1000) / 1000
			histogramLeftOut = true
		}
		if r.Score < d.cfg.ShortMinScore {
			return candidate{}, false
		}
		scored = span
	}
	if r.IntervalMAD > d.cfg.MaxJitter*r.IntervalMedian {
		return candidate{}, false
	}
	c := candidate{kind: kind, src: s.src, dstAddr: s.dst, name: s.name, res: r, uids: s.uids.list(), url: s.url, urlKey: s.urlKey, window: scored,
		intervals: intervalHistogram(d.offsets), noHistogram: histogramLeftOut}
	switch {
	case kind == finding.C2Poll:
		c.dst = s.url
	case kind == "" && s.url == "" && s.name >= 0 && d.named[nameKey{s.src, s.name}] == s:
		c.kind, c.byName, c.dst = finding.C2Beacon, true, d.names[s.name]
		for _, a := range s.addrs {
			c.addrs = append(c.addrs, a.String())
		}
	default:
		c.kind, c.dst = finding.C2Beacon, s.dst.String()
	}
	return c, true
}

// longestRun returns the longest stretch of s's connections, in time
// order, in which no two distinct times are more than gap seconds apart.
// It sorts a copy of the connections in the Detector's scratch.
func (d *Detector) longestRun(s *series, gap int64) []uint64 {
	d.runs = append(d.runs[:0], s.conns...)
	slices.Sort(d.runs) // by offset: the high 32 bits
	best, start := d.runs[:1], 0
	for i := 1; i <= len(d.runs); i++ {
		if i == len(d.runs) || int64(d.runs[i]>>32)-int64(d.runs[i-1]>>32) > gap {
			if d.runs[i-1]>>32-d.runs[start]>>32 > best[len(best)-1]>>32-best[0]>>32 {
				best = d.runs[start:i]
			}
			start = i
		}
	}
	return best
}

// distinct counts the distinct times among sorted packed connections.
func distinct(run []uint64) int {
	n := 0
	for i := range run {
		if i == 0 || run[i]>>32 != run[i-1]>>32 {
			n++
		}
	}
	return n
}

// unpack writes packed connections into the scorer's form.
func unpack(conns []uint64, offsets []int32, bytes []uint32) ([]int32, []uint32) {
	offsets, bytes = offsets[:0], bytes[:0]
	for _, c := range conns {
		offsets = append(offsets, int32(c>>32))
		bytes = append(bytes, uint32(c))
	}
	return offsets, bytes
}

// spanScorer returns the scorer for a pair of unique distinct times scored
// over its own span: one histogram bin per interval, at most the window's
// bins, so that a regular pair fills its bins evenly (over a window, the
// bins are hours; over a span of ten hourly connections, 24 bins would be
// half empty).
func (d *Detector) spanScorer(unique int) (*Scorer, int) {
	bins := min(d.cfg.Params.Bins, max(d.cfg.Params.DurationMinBins, unique-1))
	if sc := d.spanScorers[bins]; sc != nil {
		return sc, bins
	}
	p := d.cfg.Params
	p.Bins = bins
	p.BimodalMinBins = min(p.BimodalMinBins, bins)
	sc, err := NewScorer(p)
	if err != nil {
		return d.scorer, d.cfg.Params.Bins // cannot happen: p differs from a checked Params only in bins within its range
	}
	if d.spanScorers == nil {
		d.spanScorers = map[int]*Scorer{}
	}
	d.spanScorers[bins] = sc
	return sc, bins
}

// IntervalBins is the number of bins of Finding.Intervals: four to an
// octave, from 1 s to 2^18 s (three days).
const IntervalBins = 72

// IntervalBin returns the lower edge, in seconds, of bin i of
// Finding.Intervals: 2^(i/4). Bin 0 also holds intervals under a second,
// the last bin every longer interval.
func IntervalBin(i int) float64 { return math.Exp2(float64(i) / 4) }

// intervalHistogram counts the intervals between the distinct times among
// offsets (which it sorts) in IntervalBins bins, trailing empty bins cut.
func intervalHistogram(offsets []int32) []int {
	slices.Sort(offsets)
	h := make([]int, IntervalBins)
	last := -1
	for i := 1; i < len(offsets); i++ {
		gap := offsets[i] - offsets[i-1]
		if gap == 0 {
			continue
		}
		b := int(math.Floor(4 * math.Log2(float64(gap))))
		b = min(max(b, 0), IntervalBins-1)
		h[b]++
		last = max(last, b)
	}
	return h[:last+1]
}
