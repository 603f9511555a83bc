package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/zeek"
)

// MaxEvents bounds the observations one POST /api/v1/events may carry.
const MaxEvents = 1_000_000

func (s *Server) hits(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		Values *[]string `json:"values"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Values == nil {
		s.fail(w, r, &decodeError{"invalid_field", `values: is required ({"values":[...]})`})
		return
	}
	res, err := s.hub.Hits(r.Context(), c, *in.Values)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
}

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
	res, err := s.hub.RecordSightings(r.Context(), c, obs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res.Events = rows
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) requestAccess(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		Ref     string `json:"ref"`
		Purpose string `json:"purpose"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.hub.RequestAccess(r.Context(), c, in.Ref, in.Purpose)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) listAccessRequests(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "as")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	as := q.Get("as")
	if as != "" && as != "owner" && as != "requester" {
		s.fail(w, r, &intel.FieldError{Field: "as", Value: as, Reason: "owner (requests made to you) or requester (requests you made)"})
		return
	}
	list, err := s.hub.AccessRequests(r.Context(), c, as != "requester")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_requests": list})
}

func (s *Server) decideAccess(approve bool) func(http.ResponseWriter, *http.Request, *policy.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decode(r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		a, err := s.hub.DecideAccess(r.Context(), c, r.PathValue("id"), approve, in.Reason)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}

func (s *Server) addFeedback(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		Outcome string `json:"outcome"`
		Note    string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.hub.AddFeedback(r.Context(), c, r.PathValue("id"), in.Outcome, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (s *Server) feedback(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	sum, err := s.hub.Feedback(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// updateOrg changes an organization's own settings (its admins only).
func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if r.PathValue("id") != c.Org {
		s.fail(w, r, errors.Join(intel.ErrForbidden, errors.New("an organization changes only its own settings")))
		return
	}
	var in struct {
		AnonymousFeedback *bool `json:"anonymous_feedback"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.AnonymousFeedback != nil {
		if err := s.hub.SetAnonymousFeedback(r.Context(), c, *in.AnonymousFeedback); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	org, err := s.hub.GetOrg(r.Context(), c, c.Org)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, org)
}

// exportRecords streams every active record the caller may see in full as
// JSON lines, for matching at the caller's side.
func (s *Server) exportRecords(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	started := false
	enc := json.NewEncoder(w)
	err := s.hub.ExportRecords(r.Context(), c, func(batch []intel.Record) error {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			started = true
		}
		for i := range batch {
			if err := enc.Encode(&batch[i]); err != nil {
				return err
			}
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	})
	if err != nil && !started {
		s.fail(w, r, err)
		return
	}
	if err != nil {
		s.log.Error("export interrupted", "org", c.Org, "err", err)
		return
	}
	if !started {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
	}
}
