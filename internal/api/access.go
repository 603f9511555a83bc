package api

import (
	"net/http"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

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
		if err := decodeOptional(r, &in); err != nil {
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
