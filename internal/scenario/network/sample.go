package network

import (
	"math"
	"math/rand/v2"
)

// alias is Vose's alias table: it draws an index with probability
// proportional to its weight in constant time, with one random word.
type alias struct {
	thresh []uint32 // keep i when the low word is below thresh[i]
	alias  []int32
}

// newAlias builds the table; weights must be non-negative with a positive
// sum.
func newAlias(w []float64) alias {
	n := len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	a := alias{thresh: make([]uint32, n), alias: make([]int32, n)}
	scaled := make([]float64, n)
	var small, large []int32
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.thresh[s] = prob32(scaled[s])
		a.alias[s] = l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.thresh[i] = math.MaxUint32
		a.alias[i] = i
	}
	return a
}

func prob32(p float64) uint32 {
	if p >= 1 {
		return math.MaxUint32
	}
	return uint32(p * (1 << 32))
}

// pick draws an index.
func (a *alias) pick(r *rand.Rand) int {
	x := r.Uint64()
	i := int((x >> 32) * uint64(len(a.thresh)) >> 32)
	if uint32(x) < a.thresh[i] {
		return i
	}
	return int(a.alias[i])
}

// poisson draws a Poisson variate: Knuth's method for small means, the
// normal approximation for large ones.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 30 {
		l, k, p := math.Exp(-lambda), 0, 1.0
		for {
			p *= r.Float64()
			if p <= l {
				return k
			}
			k++
		}
	}
	n := math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64())
	if n < 0 {
		return 0
	}
	return int(n)
}

// logNormal draws a log-normal value with the given median and sigma,
// bounded to [lo, hi].
func logNormal(r *rand.Rand, median, sigma, lo, hi float64) float64 {
	v := median * math.Exp(sigma*r.NormFloat64())
	return min(max(v, lo), hi)
}

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// between draws an integer from [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// splitmix returns a well-mixed hash of x, for traits derived from an
// index without a random stream.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
