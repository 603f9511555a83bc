package c2

import (
	"math"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
)

// Explain says in words what a beacon result shows: the median interval
// ± its median absolute deviation, the median bytes sent (± their MAD when
// they vary) and the time from first to last connection, as in "every
// 300 s ±4 s, 1,049 bytes each, for 23 h". A strobe reads "86,400
// connections in 23 h, one a second or more (a strobe)".
func Explain(r Result) string {
	var b strings.Builder
	switch {
	case r.Count == 0:
		return "no connections"
	case r.Strobe:
		b.WriteString(Thousands(int64(r.Count)))
		b.WriteString(" connections in ")
		b.WriteString(Duration(float64(r.Last - r.First)))
		b.WriteString(", one a second or more (a strobe)")
		return b.String()
	}
	b.WriteString("every ")
	b.WriteString(Duration(r.IntervalMedian))
	b.WriteString(" ±")
	b.WriteString(Duration(r.IntervalMAD))
	b.WriteString(", ")
	b.WriteString(Thousands(int64(math.Round(r.SizeMedian))))
	if mad := int64(math.Round(r.SizeMAD)); mad > 0 {
		b.WriteString(" ±")
		b.WriteString(Thousands(mad))
	}
	if r.SizeMedian == 1 && r.SizeMAD == 0 {
		b.WriteString(" byte each, for ")
	} else {
		b.WriteString(" bytes each, for ")
	}
	b.WriteString(Duration(float64(r.Last - r.First)))
	return b.String()
}

// Duration writes seconds for people: seconds below 10 minutes, minutes
// below 2 hours, hours below 2 days, days beyond; one decimal below 10 of
// the unit, whole numbers above ("0.5 s", "300 s", "45 min", "2.5 h",
// "23 h", "3.2 days"). Negative and NaN durations read "0 s".
func Duration(sec float64) string {
	if !(sec > 0) {
		return "0 s"
	}
	var v float64
	var unit string
	switch {
	case sec < 600:
		v, unit = sec, " s"
	case sec < 2*3600:
		v, unit = sec/60, " min"
	case sec < 2*86400:
		v, unit = sec/3600, " h"
	default:
		v, unit = sec/86400, " days"
	}
	if v < 10 {
		s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
		return s + unit
	}
	return Thousands(int64(math.Round(v))) + unit
}

// Thousands writes n in decimal with commas between groups of three
// digits: 1049 → "1,049".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Finding returns r as a c2-beacon finding of src talking to dst: the
// entity is src, the span first→last connection, with the score, its
// severity, the sub-scores, the figures behind them and the explanation.
// The caller adds UIDs.
func (r Result) Finding(src, dst string) finding.Finding {
	return finding.Finding{
		Kind:        finding.C2Beacon,
		Entity:      src,
		Start:       time.Unix(r.First, 0).UTC(),
		End:         time.Unix(r.Last, 0).UTC(),
		Src:         src,
		Dst:         dst,
		Score:       r.Score,
		Severity:    Severity(r.Score),
		Scores:      r.Scores(),
		Stats:       r.Stats(),
		Explanation: Explain(r),
	}
}
