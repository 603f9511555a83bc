package sms

import "time"

// Buckets is the number of buckets of a Window.
const Buckets = 24

// A Window counts events over a sliding span of Buckets buckets of a fixed
// width: the span is the bucket holding the time asked about and the
// Buckets-1 before it. An event older than the span of the newest event
// added is dropped (Add says so); buckets that slide out are reused, so a
// Window is a fixed 104 bytes whatever it counts.
//
// Times are Unix nanoseconds; the width is the caller's and must be the
// same on every call.
type Window struct {
	last  int64 // the newest bucket index added to; buckets before last-Buckets+1 are stale
	total uint64
	n     [Buckets]uint32
}

// Add counts n events at time t and reports whether they were counted
// (false: t is before the span of the newest event).
func (w *Window) Add(t, width int64, n uint32) bool {
	k := floorDiv(t, width)
	if w.total == 0 {
		w.last = k
	}
	switch {
	case k > w.last:
		if k-w.last >= Buckets {
			w.n = [Buckets]uint32{}
			w.total = 0
		} else {
			for j := w.last + 1; j <= k; j++ {
				w.total -= uint64(w.n[mod(j)])
				w.n[mod(j)] = 0
			}
		}
		w.last = k
	case k <= w.last-Buckets:
		return false
	}
	w.n[mod(k)] += n
	w.total += uint64(n)
	return true
}

// Sum is the count of events in the span ending at t's bucket.
func (w *Window) Sum(t, width int64) uint64 {
	k := floorDiv(t, width)
	switch d := k - w.last; {
	case d == 0:
		return w.total
	case d >= Buckets:
		return 0
	case d > 0:
		// The buckets from last-Buckets+1 to k-Buckets have slid out.
		s := w.total
		for j := w.last - Buckets + 1; j <= k-Buckets; j++ {
			s -= uint64(w.n[mod(j)])
		}
		return s
	}
	var s uint64
	for i := int64(0); i < Buckets; i++ {
		j := w.last - i
		if j <= k && j > k-Buckets {
			s += uint64(w.n[mod(j)])
		}
	}
	return s
}

// Recent is the count of events in the newest `buckets` buckets of the
// span ending at t's bucket.
func (w *Window) Recent(t, width int64, buckets int) uint64 {
	k := floorDiv(t, width)
	var s uint64
	for i := int64(0); i < Buckets; i++ {
		j := w.last - i
		if j <= k && j > k-int64(buckets) {
			s += uint64(w.n[mod(j)])
		}
	}
	return s
}

// Newest is the start of the newest bucket counted in, as Unix
// nanoseconds.
func (w *Window) Newest(width int64) int64 { return w.last * width }

func mod(j int64) int {
	m := j % Buckets
	if m < 0 {
		m += Buckets
	}
	return int(m)
}

func floorDiv(t, w int64) int64 {
	q := t / w
	if t%w != 0 && t < 0 {
		q--
	}
	return q
}

// Window widths: the minute, hour and day windows are 24 buckets of these.
const (
	MinuteBucket = int64(2500 * time.Millisecond)
	HourBucket   = int64(150 * time.Second)
	DayBucket    = int64(time.Hour)
)

// Counts are the requests and verifications of one key (a country, a
// prefix block, a carrier) over the minute, hour and day windows: 672
// bytes.
type Counts struct {
	Req, Ver [3]Window // minute, hour, day
}

var widths = [3]int64{MinuteBucket, HourBucket, DayBucket}

// Request counts a request at t.
func (c *Counts) Request(t int64) {
	for i, w := range widths {
		c.Req[i].Add(t, w, 1)
	}
}

// Verify counts a verification at t.
func (c *Counts) Verify(t int64) {
	for i, w := range widths {
		c.Ver[i].Add(t, w, 1)
	}
}

// Span names a window of Counts.
type Span int

// The windows of Counts.
const (
	Minute Span = iota
	Hour
	Day
)

// Requests is the number of requests in the window ending at t.
func (c *Counts) Requests(s Span, t int64) uint64 { return c.Req[s].Sum(t, widths[s]) }

// Verifications is the number of verifications in the window ending at t.
func (c *Counts) Verifications(s Span, t int64) uint64 { return c.Ver[s].Sum(t, widths[s]) }

// Idle reports whether nothing was counted in the day window ending at t.
func (c *Counts) Idle(t int64) bool {
	return c.Req[Day].Sum(t, DayBucket) == 0 && c.Ver[Day].Sum(t, DayBucket) == 0
}
