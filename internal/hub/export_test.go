package hub

import "time"

// SetClock makes h read the time from now: tests move time forward.
func SetClock(h *Hub, now func() time.Time) { h.now = now }
