package api

import (
	"net/http"
	"net/netip"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

// MaxTorWindow bounds the window of a Tor check.
const MaxTorWindow = 30 * 24 * time.Hour

// torCheck answers GET /api/v1/tor/check?ip=&time=&window=: was ip a Tor
// relay or exit at time (default now), within window (default 1h)?
func (s *Server) torCheck(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "ip", "time", "window")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ip, err := netip.ParseAddr(q.Get("ip"))
	if err != nil {
		s.fail(w, r, &intel.FieldError{Field: "ip", Value: q.Get("ip"), Reason: "not an IPv4 or IPv6 address"})
		return
	}
	t, err := timeParam(q, "time")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.IsZero() {
		t = time.Now()
	}
	window := time.Hour
	if v := q.Get("window"); v != "" {
		if window, err = time.ParseDuration(v); err != nil || window < 0 || window > MaxTorWindow {
			s.fail(w, r, &intel.FieldError{Field: "window", Value: v, Reason: "not a duration from 0s to 720h, such as 1h or 30m"})
			return
		}
	}
	ans, err := s.hub.TorCheck(r.Context(), c, ip, t, window)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}
