package network

import (
	"math/rand/v2"
	"slices"

	"fusion/internal/zeek"
)

// table holds the rows of one log generated for the current time slice.
// Rows are sorted by time when the slice is written; rows whose time falls
// after the slice (a connection that follows its DNS lookup across the
// boundary) are carried into the next slice, so every file is in time
// order while memory stays bounded by the slice.
type table[T any] struct {
	rows []T
	us   []int64 // time of each row, microseconds since the epoch
	keys []uint64
}

// idxBits is the width of the row index in a sort key; the time offset
// from the slice start takes the bits above it.
const idxBits = 24

// add appends a row at time us and returns it; the pointer is valid until
// the next add. The row may hold an old value: the caller assigns a whole
// new one.
func (t *table[T]) add(us int64) *T {
	n := len(t.rows)
	if n < cap(t.rows) {
		t.rows = t.rows[:n+1]
	} else {
		var zero T
		t.rows = append(t.rows, zero)
	}
	t.us = append(t.us, us)
	return &t.rows[n]
}

// flush writes, in time order, the rows before end (microseconds) and keeps
// the others. from is the start of the slice: no row is earlier.
func (t *table[T]) flush(from, end int64, write func(*T) error) error {
	n := len(t.rows)
	if n == 0 {
		return nil
	}
	if n >= 1<<idxBits {
		return errTooManyRows
	}
	t.keys = t.keys[:0]
	for i, us := range t.us {
		off := max(us-from, 0)
		t.keys = append(t.keys, uint64(off)<<idxBits|uint64(i))
	}
	slices.Sort(t.keys)
	k := 0
	for ; k < n; k++ {
		i := t.keys[k] & (1<<idxBits - 1)
		if t.us[i] >= end {
			break
		}
		if err := write(&t.rows[i]); err != nil {
			return err
		}
	}
	if k == n {
		t.rows, t.us = t.rows[:0], t.us[:0]
		return nil
	}
	// Keep the rest, in order, at the front. They are few; copying them
	// out first keeps the move simple.
	keep := make([]T, 0, n-k)
	keepUS := make([]int64, 0, n-k)
	for _, key := range t.keys[k:] {
		i := key & (1<<idxBits - 1)
		keep = append(keep, t.rows[i])
		keepUS = append(keepUS, t.us[i])
	}
	t.rows = append(t.rows[:0], keep...)
	t.us = append(t.us[:0], keepUS...)
	return nil
}

// drop forgets every row (those left after the end of the scenario).
func (t *table[T]) drop() { t.rows, t.us = t.rows[:0], t.us[:0] }

// uidPool hands out Zeek uids cut from one long string, so that making a
// uid does not allocate; a new block is drawn when one runs out. The rows
// that hold uids keep their block alive.
type uidPool struct {
	r      *rand.Rand
	prefix byte
	block  string
	next   int
	buf    []byte
}

const uidsPerBlock = 4096

func (p *uidPool) uid() string {
	if p.next == len(p.block) {
		p.buf = p.buf[:0]
		for range uidsPerBlock {
			p.buf = zeek.AppendUID(p.buf, p.prefix, p.r.Uint64(), p.r.Uint64())
		}
		p.block, p.next = string(p.buf), 0
	}
	s := p.block[p.next : p.next+zeek.UIDLen]
	p.next += zeek.UIDLen
	return s
}

// oneOf hands out one-element string slices (a file id for resp_fuids)
// cut from a slab, without an allocation each.
type oneOf struct {
	slab []string
}

func (o *oneOf) of(s string) []string {
	if len(o.slab) == 0 {
		o.slab = make([]string, uidsPerBlock)
	}
	o.slab[0] = s
	v := o.slab[0:1:1]
	o.slab = o.slab[1:]
	return v
}
