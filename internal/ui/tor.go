package ui

import (
	"net/http"
	"time"

	"fusion/internal/intel"
	"fusion/internal/tor"
)

// torWindow is the period either side of the time asked about that the
// Tor check looks at, as the API's default.
const torWindow = time.Hour

// torData is the Tor check page: the question as typed, the hub's answer
// and an error to show in place.
type torData struct {
	IP, Time  string
	Answer    *tor.Answer
	ErrorText string
}

// StatusKey is the catalogue key of a one-word summary of the answer: an
// exit, a relay, neither, or no data (no consensus held covers any of the
// period and no exit scan saw the address). The hub's verdict text, shown
// beside it as the hub words it, is what the answer rests on.
func (d torData) StatusKey() string {
	a := d.Answer
	switch {
	case a == nil:
		return ""
	case a.IsExit() || a.ExitByScan:
		return "tor.status.exit"
	case a.IsRelay():
		return "tor.status.relay"
	case len(a.CoveredParts) == 0:
		return "tor.status.nodata"
	case !a.Covered:
		return "tor.status.partial"
	default:
		return "tor.status.none"
	}
}

// torTimeLayouts are the forms the time field takes: RFC 3339 (seconds
// optional), and a date and time with no zone, read as UTC.
var torTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04"}

// torCheck serves GET /tor?ip=&time=: with an address, hub.TorCheck over
// an hour either side of time (default now), and the verdict exactly as
// the hub words it; without one, the form.
func (u *UI) torCheck(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := torData{IP: q.Get("ip"), Time: q.Get("time")}
	if d.IP == "" && d.Time == "" {
		u.render(w, r, http.StatusOK, "tor.html", u.page(s, "tor.title", d))
		return
	}
	ip, err := tor.ParseIP(d.IP)
	if err != nil {
		d.ErrorText = err.Error()
		u.render(w, r, http.StatusBadRequest, "tor.html", u.page(s, "tor.title", d))
		return
	}
	at := time.Now()
	if d.Time != "" {
		at, err = parseTorTime(d.Time)
		if err != nil {
			d.ErrorText = err.Error()
			u.render(w, r, http.StatusBadRequest, "tor.html", u.page(s, "tor.title", d))
			return
		}
	}
	a, err := u.hub.TorCheck(r.Context(), s.caller, ip, at, torWindow)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Answer = &a
	u.render(w, r, http.StatusOK, "tor.html", u.page(s, "tor.title", d))
}

// parseTorTime reads the time field: RFC 3339, or a date and time with no
// zone, read as UTC.
func parseTorTime(v string) (time.Time, error) {
	for _, l := range torTimeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &intel.FieldError{Field: "time", Value: v, Reason: "not a time such as 2026-11-30T19:05 (UTC) or 2026-11-30T19:05:00+09:00"}
}
