package hub

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"fusion/internal/policy"
	"fusion/internal/tor"
)

// TorCaution marks a sighting or hit on an address that was a Tor exit at
// the time: traffic from it came from some Tor user, not from whoever holds
// the address.
type TorCaution struct {
	Exit    bool      `json:"tor_exit"`
	At      time.Time `json:"at"`
	Caution string    `json:"caution"`
}

// SetTorDirectory makes d the directory Tor checks and cautions use; it
// may be called again after an import.
func (h *Hub) SetTorDirectory(d *tor.Directory) { h.tor.Store(d) }

// TorDirectory returns the directory in use, or nil.
func (h *Hub) TorDirectory() *tor.Directory { return h.tor.Load() }

// TorCheck answers whether ip was a Tor relay or exit at t.
func (h *Hub) TorCheck(_ context.Context, c *policy.Caller, ip netip.Addr, t time.Time, window time.Duration) (tor.Answer, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return tor.Answer{}, err
	}
	d := h.tor.Load()
	if d == nil {
		d = &tor.Directory{} // no data: the answer says so
	}
	return d.Check(ip, t, window), nil
}

// torCaution returns the caution for value at t, if value is an address
// that was a Tor exit then.
func (h *Hub) torCaution(value string, t time.Time) *TorCaution {
	d := h.tor.Load()
	if d == nil {
		return nil
	}
	a, err := netip.ParseAddr(value)
	if err != nil || !d.IsExit(a, t) {
		return nil
	}
	return &TorCaution{Exit: true, At: t.UTC(), Caution: fmt.Sprintf(
		"%s was a Tor exit at %s: traffic from it came from an unknown Tor user, not from the address's operator or subscriber", a, t.UTC().Format(time.RFC3339))}
}
