// Package progress draws a progress bar for long work — imports, generation,
// matching — on a terminal, and nothing when output is not a terminal (so
// logs and pipes stay clean).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// Bar counts work done towards a total. It is safe for concurrent use; Add
// is cheap enough to call per event.
type Bar struct {
	w     io.Writer
	label string
	unit  string
	total int64
	done  atomic.Int64
	start time.Time

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns a bar for total units (0 if unknown) drawn on w if w is a
// terminal, or a silent bar otherwise.
func New(w io.Writer, label string, total int64, unit string) *Bar {
	b := &Bar{w: w, label: label, unit: unit, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.stop = make(chan struct{})
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int64) { b.done.Add(n) }

// Done returns the units done so far.
func (b *Bar) Done() int64 { return b.done.Load() }

// Finish draws the final state and stops drawing.
func (b *Bar) Finish() {
	if b.stop == nil {
		return
	}
	close(b.stop)
	b.wg.Wait()
	b.draw(true)
}

func (b *Bar) loop() {
	defer b.wg.Done()
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.draw(false)
		}
	}
}

func (b *Bar) draw(final bool) {
	done := b.done.Load()
	secs := time.Since(b.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(done) / secs
	}
	var line string
	if b.total > 0 {
		frac := min(1, float64(done)/float64(b.total))
		const width = 30
		fill := int(frac * width)
		eta := ""
		if rate > 0 && !final {
			eta = " ETA " + (time.Duration(float64(b.total-done)/rate) * time.Second).Round(time.Second).String()
		}
		line = fmt.Sprintf("%s [%s%s] %5.1f%% %s/%s %s %s/s%s", b.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
			100*frac, Count(done), Count(b.total), b.unit, Count(int64(rate)), eta)
	} else {
		line = fmt.Sprintf("%s %s %s, %s/s", b.label, Count(done), b.unit, Count(int64(rate)))
	}
	end := "\r"
	if final {
		end = "\n"
	}
	fmt.Fprintf(b.w, "\r\033[K%s%s", line, end)
}

// Count formats n for people: 950, 12.3k, 4.56M, 7.8G.
func Count(n int64) string {
	f := float64(n)
	switch {
	case n < 1000:
		return fmt.Sprint(n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", f/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.2fM", f/1e6)
	}
	return fmt.Sprintf("%.2fG", f/1e9)
}
