package sms

import (
	"testing"
	"unsafe"

	"pgregory.net/rapid"
)

// TestWindowProperties checks a Window against a list of the events it
// counted: any window's sum is the count of counted events whose bucket
// lies in its span, an event is refused only when it is older than the
// newest event's span, and sums are never more than was added.
func TestWindowProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		width := rapid.Int64Range(1, 1000).Draw(t, "width")
		var w Window
		var counted []int64
		var newest int64
		now := rapid.Int64Range(0, 1<<40).Draw(t, "start")
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for i := range steps {
			// Time mostly goes forward; sometimes an event is late.
			now += rapid.Int64Range(0, width*6).Draw(t, "step")
			at := now - rapid.Int64Range(0, width*30).Draw(t, "late")
			if at < 0 {
				at = 0
			}
			ok := w.Add(at, width, 1)
			if i == 0 || floorDiv(at, width) > floorDiv(newest, width) {
				if !ok {
					t.Fatalf("event at %d refused with the newest at %d", at, newest)
				}
			}
			wantOK := len(counted) == 0 || floorDiv(at, width) > floorDiv(newest, width)-Buckets
			if ok != wantOK {
				t.Fatalf("Add(%d) = %v, want %v (newest %d, width %d)", at, ok, wantOK, newest, width)
			}
			if ok {
				counted = append(counted, at)
				if at > newest || len(counted) == 1 {
					newest = max(newest, at)
				}
			}
			// Ask about times from the newest event on.
			q := newest + rapid.Int64Range(0, width*30).Draw(t, "query")
			kq := floorDiv(q, width)
			want := uint64(0)
			for _, c := range counted {
				if k := floorDiv(c, width); k <= kq && k > kq-Buckets {
					want++
				}
			}
			if got := w.Sum(q, width); got != want {
				t.Fatalf("Sum(%d) = %d, want %d", q, got, want)
			}
			if got := w.Sum(q, width); got > uint64(len(counted)) {
				t.Fatalf("sum %d over %d events", got, len(counted))
			}
			recent := rapid.IntRange(1, Buckets).Draw(t, "recent")
			wantR := uint64(0)
			for _, c := range counted {
				if k := floorDiv(c, width); k <= kq && k > kq-int64(recent) {
					wantR++
				}
			}
			if got := w.Recent(q, width, recent); got != wantR {
				t.Fatalf("Recent(%d, %d) = %d, want %d", q, recent, got, wantR)
			}
		}
	})
}

// TestCountsProperties checks the three windows of Counts together: the
// minute's sum is at most the hour's, the hour's at most the day's, each
// equal to the events in its span, and verifications separate from
// requests.
func TestCountsProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c Counts
		var reqs, vers []int64
		now := rapid.Int64Range(1e18, 1e18+1e15).Draw(t, "start")
		for range rapid.IntRange(1, 300).Draw(t, "n") {
			now += rapid.Int64Range(0, int64(3*60e9)).Draw(t, "step")
			if rapid.Bool().Draw(t, "verify") {
				c.Verify(now)
				vers = append(vers, now)
			} else {
				c.Request(now)
				reqs = append(reqs, now)
			}
		}
		q := now + rapid.Int64Range(0, int64(2*3600e9)).Draw(t, "query")
		count := func(evs []int64, s Span) uint64 {
			kq := floorDiv(q, widths[s])
			n := uint64(0)
			for _, e := range evs {
				if k := floorDiv(e, widths[s]); k <= kq && k > kq-Buckets {
					n++
				}
			}
			return n
		}
		for s := Minute; s <= Day; s++ {
			if got, want := c.Requests(s, q), count(reqs, s); got != want {
				t.Fatalf("span %d: requests %d, want %d", s, got, want)
			}
			if got, want := c.Verifications(s, q), count(vers, s); got != want {
				t.Fatalf("span %d: verifications %d, want %d", s, got, want)
			}
		}
		if c.Requests(Minute, q) > c.Requests(Hour, q) || c.Requests(Hour, q) > c.Requests(Day, q) {
			t.Fatalf("minute %d > hour %d or hour > day %d", c.Requests(Minute, q), c.Requests(Hour, q), c.Requests(Day, q))
		}
	})
}

// TestBaseline checks the learnt hourly volume and conversion: a steady
// stream's baseline is its rate, and a surge is folded in clipped.
func TestBaseline(t *testing.T) {
	var b baseline
	const h = hourNS
	start := int64(1000) * h
	for i := range int64(72) {
		for j := range int64(10) {
			b.add(start+i*h+j*h/10, 1, 0)
			if j < 8 {
				b.add(start+i*h+j*h/10+1, 0, 1)
			}
		}
	}
	b.add(start+72*h, 0, 0)
	if b.hours != 72 || b.hourly < 9.99 || b.hourly > 10.01 || b.conv < 0.79 || b.conv > 0.81 {
		t.Fatalf("steady: %+v, want 10 an hour, conversion 0.8, 72 hours", b)
	}
	for j := range int64(1000) {
		b.add(start+72*h+j, 1, 0)
	}
	b.add(start+73*h, 0, 0)
	if b.hourly > 10+(3*10+10-10)/24.0+0.01 {
		t.Fatalf("a surge of 1,000 moved the hourly baseline to %.2f", b.hourly)
	}
}

// TestFixedSizes: a Window and Counts are fixed sizes whatever they count,
// so that the memory bound of the package documentation holds.
func TestFixedSizes(t *testing.T) {
	if s := unsafe.Sizeof(Window{}); s != 112 {
		t.Errorf("Window is %d bytes, want 112", s)
	}
	if s := unsafe.Sizeof(Counts{}); s != 672 {
		t.Errorf("Counts is %d bytes, want 672", s)
	}
	if s := unsafe.Sizeof(block{}); s > 1152 {
		t.Errorf("block is %d bytes, more than the 1,152-byte size class the documentation counts", s)
	}
}
