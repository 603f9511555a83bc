package hub

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"

	"fusion/internal/screen"
	"fusion/internal/store"
)

// The inline screeners' state (screen.go) outlives a restart: while the
// server saves it (KeepScreenState), each screener keeps the bookings it
// screened since the last save as hashed JSON lines
// (screen.Booking.AppendJSON: names, card numbers and accounts only as
// keyed hashes, cards as their BIN), and SaveScreens, which the server
// runs every two seconds (server.Config.ScreenSaveEvery) and when it
// stops, appends them to the store (screen_state, one gzip chunk per
// screener and save). A screener made after a restart screens its saved bookings
// again in order (loadScreener), so it holds the same rings as before and
// its answers' basis keeps its count and its since. A crash loses at most
// the last two seconds.
//
// Memory: the lines wait until the next save, about 420 bytes a booking
// (4 MB at 5,000 bookings a second); a screener holds at most
// maxPendingScreen of them. Saving often keeps each save small: at 5,000
// bookings a second, one save a minute wrote 124 MB at once (3.3 s of
// SQLite, and a p99 of 0.8 s while it ran); see docs/benchmarks.md. Past it (the store
// refusing saves for long), the screener goes on in memory but its saved
// state is deleted at the next save, so that a restart starts afresh
// (its since the restart) rather than from an incomplete history.
//
// Time: rebuilding costs screening again (about 5 µs a booking, and
// reading it): a few seconds for a screener of 500,000 bookings, taken by
// the organization's first booking after the restart, with the hub's
// screener map locked meanwhile.

// maxPendingScreen bounds a screener's bookings waiting to be saved, in
// bytes of JSON lines; pendingBlock is the size of the blocks they wait
// in.
const (
	maxPendingScreen = 128 << 20
	pendingBlock     = 1 << 20
)

// KeepScreenState makes the inline screeners keep what SaveScreens saves;
// the server calls it when it starts, before the first booking.
func (h *Hub) KeepScreenState() { h.scr.keep.Store(true) }

// remember keeps b for the next save; o.mu is held.
func (o *orgScreener) remember(b *screen.Booking) {
	if !o.keep || o.overflow {
		return
	}
	o.line = append(b.AppendJSON(o.line[:0]), '\n')
	if o.size+len(o.line) > maxPendingScreen {
		o.pending, o.size, o.overflow = nil, 0, true
		return
	}
	if n := len(o.pending); n == 0 || len(o.pending[n-1])+len(o.line) > cap(o.pending[n-1]) {
		o.pending = append(o.pending, make([]byte, 0, max(pendingBlock, len(o.line))))
	}
	last := &o.pending[len(o.pending)-1]
	*last = append(*last, o.line...)
	o.size += len(o.line)
}

// loadScreener returns org's screener of scope ("" for the built-in
// package, id@version for a shared one) running c, keeping its bookings
// for SaveScreens once KeepScreenState was called: rebuilt from its saved
// state when there is one, else empty. A saved state that does not load
// is logged and set aside (the screener starts afresh, and its first save
// replaces the state): the booking engines depend on the screen answering.
func (h *Hub) loadScreener(ctx context.Context, org, scope string, c *screen.Compiled) (*orgScreener, error) {
	fresh := func() *orgScreener {
		o := newOrgScreener(c, h.now())
		o.org, o.scope, o.keep = org, scope, h.scr.keep.Load()
		return o
	}
	o := fresh()
	if family, _, ok := strings.Cut(scope, "@"); ok {
		// The package's earlier versions' screeners are gone for good.
		if err := h.store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteScreenState(org, scope, family) }); err != nil {
			return nil, err
		}
	}
	n := 0
	since, ok, err := h.store.ScreenState(ctx, org, scope, func(chunk []byte) error {
		zr, err := gzip.NewReader(bytes.NewReader(chunk))
		if err != nil {
			return fmt.Errorf("saved chunk: %w", err)
		}
		lines, err := io.ReadAll(io.LimitReader(zr, maxPendingScreen+1))
		if err != nil {
			return fmt.Errorf("saved chunk: %w", err)
		}
		for line := range bytes.Lines(lines) {
			n++
			b, err := screen.ParseBooking(bytes.TrimSuffix(line, []byte("\n")), screen.ReaderOptions{})
			if err != nil {
				return fmt.Errorf("saved booking %d: %w", n, err)
			}
			if o.s.Len() >= MaxScreenBookings {
				return fmt.Errorf("more than %d saved bookings", MaxScreenBookings)
			}
			if _, err := o.s.Add(&b); err != nil {
				return fmt.Errorf("saved booking %d: %w", n, err)
			}
		}
		return nil
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil:
		h.log.Error("inline screener state not loaded; the screener starts afresh", "org", org, "scope", scope, "err", err)
		o = fresh()
	case ok:
		o.since = since
		h.log.Info("inline screener state loaded", "org", org, "scope", scope, "bookings", o.s.Len(), "since", since)
	}
	return o, nil
}

// SaveScreens appends each inline screener's bookings screened since the
// last save to the store, and returns how many screeners it saved and how
// many bytes. A screener that overflowed has its saved state deleted; one
// made afresh (a new since) replaces the state saved before it.
func (h *Hub) SaveScreens(ctx context.Context) (screeners, size int, err error) {
	var all []*orgScreener
	h.scr.mu.Lock()
	for _, o := range h.scr.orgs {
		all = append(all, o)
	}
	h.scr.mu.Unlock()
	h.rp.mu.Lock()
	for _, ps := range h.rp.screeners {
		all = append(all, ps.o)
	}
	h.rp.mu.Unlock()
	for _, o := range all {
		o.mu.Lock()
		blocks, n, since, overflow := o.pending, o.size, o.since, o.overflow
		o.pending, o.size = nil, 0
		o.mu.Unlock()
		if n == 0 && !overflow {
			continue
		}
		lines, err := gzipped(blocks)
		if err == nil {
			err = h.store.Update(ctx, func(tx *store.Tx) error {
				if overflow {
					return tx.DeleteScreenState(o.org, o.scope, "")
				}
				return tx.AppendScreenState(o.org, o.scope, since, h.now(), lines)
			})
		}
		if err != nil {
			// Put the lines back before those screened meanwhile, unless
			// the screener started afresh since.
			o.mu.Lock()
			if o.since.Equal(since) && !o.overflow {
				o.pending, o.size = append(blocks, o.pending...), o.size+n
			}
			o.mu.Unlock()
			return screeners, size, fmt.Errorf("save the inline screener of %s: %w", o.org, err)
		}
		screeners++
		size += len(lines)
	}
	return screeners, size, nil
}

// gzipped is blocks of JSON lines as one gzip stream at the fastest
// level: the hashes' hex digits and the repeated field names take a
// third of the bytes to write, for about a tenth of the time the writing
// saves (docs/benchmarks.md).
func gzipped(blocks [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if _, err := zw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
