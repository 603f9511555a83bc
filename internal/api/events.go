package api

import (
	"bytes"
	"net/http"

	"fusion/internal/hub"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/zeek"
)

// MaxEvents bounds the observations one POST /api/v1/events may carry.
const MaxEvents = 1_000_000

// events reads a body of Zeek logs (TSV or JSON lines, gzip or not) or
// generic JSON lines ({"time":..., "value":...}) and records the sightings.
func (s *Server) events(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	zr, err := zeek.NewReader(bytes.NewReader(body))
	if err != nil {
		s.fail(w, r, &decodeError{"invalid_field", "events: " + err.Error()})
		return
	}
	x := match.NewExtractor(zr)
	x.Events = true
	var obs []match.Observation
	rows := 0
	for zr.Next() {
		rows++
		x.Row(func(o match.Observation) { obs = append(obs, o.Own()) })
		if len(obs) > MaxEvents {
			s.fail(w, r, &decodeError{"batch_too_large", "more than 1,000,000 values in one request"})
			return
		}
	}
	if err := zr.Err(); err != nil {
		s.fail(w, r, &decodeError{"invalid_field", "events: " + err.Error()})
		return
	}
	id, done := s.idempotency(w, r, c, "POST /api/v1/events", body)
	if done {
		return
	}
	res, err := s.hub.RecordSightingsKept(r.Context(), c, obs, keep(id, func(res hub.SightingResult) any {
		res.Events = rows
		return res
	}))
	res.Events = rows
	if err == nil {
		s.obs.Matched(res.Events, res.Matches)
		s.detect(r, c, body)
	}
	s.answered(w, r, c, id, err, res)
}

// detect feeds a conn, http, ssl or dns log to the caller's organization's
// C2 detector once its sightings are recorded; another body is not read.
// The sightings stand whatever happens here, so a line the detector
// refuses is logged, not answered.
func (s *Server) detect(r *http.Request, c *policy.Caller, body []byte) {
	zr, err := zeek.NewReader(bytes.NewReader(body))
	if err == nil {
		_, err = s.hub.Detect(r.Context(), c, zr)
	}
	if err != nil {
		s.log.Warn("c2 detection: log not read to its end", "org", c.Org, "err", err)
	}
}

// detections lists the C2 detections of the caller's organization's
// traffic, as they stand after its last log.
func (s *Server) detections(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	fs, err := s.hub.Detections(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"detections": fs})
}

// ownSightings lists what the caller's organization's traffic matched.
func (s *Server) ownSightings(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.hub.OwnSightings(r.Context(), c, limit, cursor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sightings": page.Items, "next_cursor": page.Next})
}
