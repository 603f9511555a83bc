package transactions

import (
	"math"
	"math/rand/v2"
	"time"
)

// ordered draws n times from a piecewise-constant density in increasing
// order, one at a time and in constant memory: the k-th call returns the
// k-th smallest of n independent draws. Each step takes the minimum of the
// remaining uniforms, U(k+1) = U(k) + (1 - U(k))·(1 - V^(1/m)) with m
// draws left, and maps it through the inverse distribution function.
type ordered struct {
	cum   []float64 // cumulative bucket weights; cum[0] = 0
	width float64   // seconds per bucket
	base  float64   // seconds from the scenario start to bucket 0
	left  int64
	u     float64
	h     int
}

func newOrdered(weights []float64, width, base float64, n int64) ordered {
	cum := make([]float64, len(weights)+1)
	for i, w := range weights {
		cum[i+1] = cum[i] + w
	}
	return ordered{cum: cum, width: width, base: base, left: n}
}

// next returns the next time in seconds from the scenario start; the caller
// MUST NOT call it more than n times.
func (o *ordered) next(r *rand.Rand) float64 {
	o.u += (1 - o.u) * -math.Expm1(-r.ExpFloat64()/float64(o.left))
	o.left--
	target := o.u * o.cum[len(o.cum)-1]
	last := len(o.cum) - 2
	for o.h < last && o.cum[o.h+1] <= target {
		o.h++
	}
	frac := 0.0
	if w := o.cum[o.h+1] - o.cum[o.h]; w > 0 {
		frac = min(1, max(0, (target-o.cum[o.h])/w))
	}
	return o.base + (float64(o.h)+frac)*o.width
}

// hourWeights is the booking rhythm by hour of the day (UTC) of a global
// booking site: the sum of Asian, European and American waking hours,
// quietest when Europe and the Americas sleep.
var hourWeights = [24]float64{
	0.55, 0.45, 0.40, 0.40, 0.45, 0.55, 0.70, 0.85, 1.00, 1.10, 1.15, 1.20,
	1.25, 1.30, 1.35, 1.35, 1.30, 1.25, 1.20, 1.10, 1.00, 0.90, 0.80, 0.65,
}

// weekendFactor scales bookings on Saturdays and Sundays.
const weekendFactor = 0.85

// diurnal returns hourly weights for hours hours from start.
func diurnal(start time.Time, hours int) []float64 {
	w := make([]float64, hours)
	for h := range w {
		t := start.Add(time.Duration(h) * time.Hour)
		w[h] = hourWeights[t.Hour()]
		if d := t.Weekday(); d == time.Saturday || d == time.Sunday {
			w[h] *= weekendFactor
		}
	}
	return w
}
