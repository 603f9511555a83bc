package network

import (
	"container/heap"
	"math/rand/v2"
	"time"

	"fusion/internal/finding"
)

// activity is an injected behaviour that emits events at times it
// chooses: a beacon, a poller, a Tor user, an intel contact. The generator
// keeps activities in a heap by next event time and runs each step when the
// current slice reaches it.
type activity interface {
	// at returns when the next step happens, in microseconds.
	at() int64
	// step emits the events due at at() and advances; it returns false when
	// the activity is over.
	step(g *gen) (more bool, err error)
}

type actItem struct {
	a   activity
	seq int // tie-break: activities made earlier go first
}

type actHeap []actItem

func (h actHeap) Len() int { return len(h) }
func (h actHeap) Less(i, j int) bool {
	ai, aj := h[i].a.at(), h[j].a.at()
	return ai < aj || ai == aj && h[i].seq < h[j].seq
}
func (h actHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *actHeap) Push(x any)   { *h = append(*h, x.(actItem)) }
func (h *actHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// schedule adds an activity.
func (g *gen) schedule(a activity) {
	g.seq++
	heap.Push(&g.acts, actItem{a: a, seq: g.seq})
}

// runActivities steps every activity due before end.
func (g *gen) runActivities(end int64) error {
	for len(g.acts) > 0 && g.acts[0].a.at() < end {
		it := g.acts[0]
		more, err := it.a.step(g)
		if err != nil {
			return err
		}
		if more {
			heap.Fix(&g.acts, 0)
		} else {
			heap.Pop(&g.acts)
		}
	}
	return nil
}

// lastStep is how close to the end of the scenario an activity may still
// start a step, so that what it emits stays inside the scenario.
const lastStep = 5 * int64(time.Second/time.Microsecond)

// episode records the first and last event time of an activity, for its
// truth line.
type episode struct {
	first, last int64
	n           int
}

func (e *episode) saw(us int64) {
	if e.n == 0 || us < e.first {
		e.first = us
	}
	e.last = max(e.last, us)
	e.n++
}

// truth writes the truth line of an episode that emitted something.
func (g *gen) truth(e episode, kind, id, entity string, detail map[string]string) error {
	if e.n == 0 {
		return nil
	}
	return g.run.Truth(finding.Finding{Kind: kind, ID: id, Start: ts(e.first), End: ts(e.last), Entity: entity, Detail: detail})
}

// pickHosts draws n distinct hosts that are not excluded and not taken.
func (g *gen) pickHosts(r *rand.Rand, n int, taken map[int]bool) []int {
	var out []int
	for tries := 0; len(out) < n && tries < 100*n+1000; tries++ {
		h := r.IntN(g.hosts)
		if taken[h] || g.excluded[h] {
			continue
		}
		taken[h] = true
		out = append(out, h)
	}
	return out
}

// span draws when an activity runs: at least minSpan, at most the whole
// scenario, placed at random within it.
func (g *gen) span(r *rand.Rand, minSpan int64) (from, to int64) {
	total := g.endUS - g.startUS
	minSpan = min(minSpan, total)
	length := minSpan + int64(r.Float64()*float64(total-minSpan))
	from = g.startUS + int64(r.Float64()*float64(total-length))
	return from, from + length
}
