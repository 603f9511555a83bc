package transactions

import (
	"errors"
	"math"
	"math/rand/v2"
)

// alias draws indexes in proportion to fixed weights in constant time
// (Vose's alias method), with one random number per draw.
type alias struct {
	thresh []uint64 // chance of keeping i, scaled to 2^32
	alias  []int32
}

func newAlias(w []float64) (alias, error) {
	n := len(w)
	if n == 0 || n > math.MaxInt32 {
		return alias{}, errors.New("no weights")
	}
	sum := 0.0
	for _, x := range w {
		if !(x >= 0) || math.IsInf(x, 0) {
			return alias{}, errors.New("weights must be finite and not negative")
		}
		sum += x
	}
	if !(sum > 0) {
		return alias{}, errors.New("weights sum to zero")
	}
	a := alias{thresh: make([]uint64, n), alias: make([]int32, n)}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.thresh[s] = uint64(scaled[s] * (1 << 32))
		a.alias[s] = int32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.thresh[i] = 1 << 32
		a.alias[i] = int32(i)
	}
	return a, nil
}

// draw returns an index with probability proportional to its weight.
func (a *alias) draw(r *rand.Rand) int {
	u := r.Uint64()
	i := int((u >> 32) * uint64(len(a.thresh)) >> 32)
	if u&0xffffffff < a.thresh[i] {
		return i
	}
	return int(a.alias[i])
}
