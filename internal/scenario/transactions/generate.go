package transactions

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// progressEvery is how many bookings pass between progress updates and
// cancellation checks.
const progressEvery = 1 << 12

// chunkSize is how much output is gathered before it is written: more than
// the Run's buffer, so that writes bypass it and go straight to the file.
const chunkSize = 2 << 20

// world is everything one generation needs.
type world struct {
	run   *scenario.Run
	t     *tables
	h     *hasher
	pop   *population
	legit *legit
	rings *ringPlan
	ids   idMixer
	start int64 // Unix seconds
}

func generate(ctx context.Context, run *scenario.Run) error {
	w, err := newWorld(run)
	if err != nil {
		return err
	}
	out, err := run.Create("bookings.jsonl")
	if err != nil {
		return err
	}
	neg, err := run.Create("negatives.jsonl")
	if err != nil {
		return err
	}
	bar := run.Bar("bookings", run.Params.Count, "bookings")
	defer bar.Finish()
	return w.stream(ctx, out, neg, run.Truth, bar.Add)
}

// stream writes the bookings to out in time order, the hard negatives
// among them to negatives and the truth of the fraudulent ones to truth,
// reporting progress as it goes.
func (w *world) stream(ctx context.Context, out, negatives io.Writer, truth func(finding.Finding) error, progress func(n int64)) error {
	count := w.run.Params.Count
	enc := newEncoder(w.t)
	cw := newChunkWriter(out, chunkSize+4096)
	defer cw.close()
	chunk := cw.buffer()
	negBuf := make([]byte, 0, 1<<16+64)
	var b booking
	legitLeft := count - w.rings.fraud
	nextLegit := math.Inf(1)
	if legitLeft > 0 {
		nextLegit = w.legit.times.next(w.legit.r)
	}
	for seq := int64(0); seq < count; seq++ {
		if seq%progressEvery == 0 && seq > 0 {
			progress(progressEvery)
			if err := ctx.Err(); err != nil {
				return err
			}
			if cw.failed.Load() {
				return cw.close()
			}
		}
		if err := w.rings.activate(min(nextLegit, w.rings.nextBooking())); err != nil {
			return err
		}
		b.id = w.ids.id(uint64(seq))
		var g *ring
		var detail map[string]string
		neg := negNone
		if w.rings.nextBooking() < nextLegit {
			g = w.rings.active[0]
			b.booked = w.start + int64(g.next)
			detail = g.fill(w.t, w.pop, w.h, &b)
			if g.left > 0 {
				g.next = g.times.next(g.r)
			}
			w.rings.active.fix()
		} else {
			b.booked = w.start + int64(nextLegit)
			neg = w.legit.fill(&b)
			if legitLeft--; legitLeft > 0 {
				nextLegit = w.legit.times.next(w.legit.r)
			} else {
				nextLegit = math.Inf(1)
			}
		}
		chunk = enc.append(chunk, &b)
		if len(chunk) >= chunkSize {
			cw.send(chunk)
			chunk = cw.buffer()
		}
		if g != nil {
			at := time.Unix(b.booked, 0).UTC()
			err := truth(finding.Finding{Kind: finding.FraudRing, ID: g.id, Start: at, End: at, Entity: string(b.id[:]), Detail: detail})
			if err != nil {
				return err
			}
		}
		if neg != negNone {
			negBuf = append(negBuf, `{"booking":"`...)
			negBuf = append(negBuf, b.id[:]...)
			negBuf = append(negBuf, `","kind":"`...)
			negBuf = append(negBuf, negativeKinds[neg]...)
			negBuf = append(negBuf, "\"}\n"...)
			if len(negBuf) >= 1<<16 {
				if _, err := negatives.Write(negBuf); err != nil {
					return err
				}
				negBuf = negBuf[:0]
			}
		}
	}
	if _, err := negatives.Write(negBuf); err != nil {
		return err
	}
	cw.send(chunk)
	if err := cw.close(); err != nil {
		return err
	}
	progress((count-1)%progressEvery + 1)
	return nil
}

func newWorld(run *scenario.Run) (*world, error) {
	t, err := loadTables()
	if err != nil {
		return nil, err
	}
	p := run.Params
	w := &world{run: run, t: t, h: newHasher(p.Seed), start: p.Start.Unix()}
	ids := run.Rand("transactions/ids")
	w.ids = idMixer{k0: ids.Uint64(), k1: ids.Uint64()}

	persons := int(min(maxPersons, max(minPersons, p.Count/3)))
	agencies := min(maxAgencies, max(minAgencies, persons/128))
	w.pop = newPopulation(t, w.h, run.Rand("transactions/population"), persons, agencies)

	days := spanDays(p.Count)
	fraud, rings := fraudPlan(p.Count)
	times := newOrdered(diurnal(p.Start, days*24), 3600, 0, p.Count-fraud)
	w.legit = newLegit(t, w.pop, run.Rand("transactions/legit"), times)
	w.rings = newRingPlan(w, run.Rand("transactions/rings"), float64(days)*86400, fraud, rings)
	return w, nil
}

// ringPlan starts rings in time order, sizes them so that their bookings
// add up to the fraud total, and keeps the active ones in a heap. Short and
// long rings start in two sequences of their own, merged by time.
type ringPlan struct {
	w         *world
	r         *rand.Rand
	short     ringStarts
	long      ringStarts
	ringsLeft int64
	fraud     int64 // fraudulent bookings in all
	unplaced  int64 // fraudulent bookings not yet given to a ring
	span      float64
	dmax      float64 // longest short ring
	made      int
	active    ringHeap
	choices   airlineChoices
}

// ringStarts draws the start times of one kind of ring in order.
type ringStarts struct {
	times   ordered
	left    int64
	pending float64 // start of the next ring; +Inf when none is left
}

func newRingStarts(r *rand.Rand, latest float64, n int64) ringStarts {
	s := ringStarts{times: newOrdered([]float64{1}, latest, 0, n), left: n, pending: math.Inf(1)}
	s.advance(r)
	return s
}

func (s *ringStarts) advance(r *rand.Rand) {
	if s.left > 0 {
		s.pending = s.times.next(r)
		s.left--
	} else {
		s.pending = math.Inf(1)
	}
}

// longRings returns how many of rings are long: LongRingShare of them,
// when the span holds a long ring's shortest life and a day.
func longRings(rings int64, span float64) int64 {
	if span < (MinLongDays+1)*86400 {
		return 0
	}
	return int64(float64(rings)*LongRingShare + 0.5)
}

func newRingPlan(w *world, r *rand.Rand, span float64, fraud, rings int64) *ringPlan {
	dmax := min(maxRingDays*86400, span/2)
	rp := &ringPlan{w: w, r: r, ringsLeft: rings, fraud: fraud, unplaced: fraud, span: span, dmax: dmax}
	long := longRings(rings, span)
	rp.short = newRingStarts(r, span-dmax, rings-long)
	rp.long = newRingStarts(r, span-MinLongDays*86400, long)
	return rp
}

// nextBooking returns the time of the earliest booking of an active ring.
func (rp *ringPlan) nextBooking() float64 {
	if len(rp.active) == 0 {
		return math.Inf(1)
	}
	return rp.active[0].next
}

// activate starts every ring that begins at or before until.
func (rp *ringPlan) activate(until float64) error {
	for rp.ringsLeft > 0 && min(rp.short.pending, rp.long.pending) <= until {
		long := rp.long.pending < rp.short.pending
		starts := &rp.short
		if long {
			starts = &rp.long
		}
		start := starts.pending
		size := rp.unplaced
		if rp.ringsLeft > 1 {
			avg := float64(rp.unplaced) / float64(rp.ringsLeft)
			size = int64(avg*(0.6+0.8*rp.r.Float64()) + 0.5)
			size = min(max(size, MinCardUses), rp.unplaced-MinCardUses*(rp.ringsLeft-1))
		}
		dur := rp.dmax * (0.375 + 0.625*rp.r.Float64())
		if long {
			days := MinLongDays + (MaxLongDays-MinLongDays)*rp.r.Float64()
			dur = min(days*86400, rp.span-start)
		}
		rp.made++
		num := rp.made
		g, err := newRing(rp.w.t, rp.w.pop, rp.w.h, rp.w.run.Rand("transactions/ring/"+strconv.Itoa(num)), &rp.choices, num, long, rp.w.run.Params.Start, start, dur, size)
		if err != nil {
			return fmt.Errorf("ring %d: %w", num, err)
		}
		g.next = g.times.next(g.r)
		rp.active.push(g)
		rp.unplaced -= size
		rp.ringsLeft--
		starts.advance(rp.r)
	}
	return nil
}
