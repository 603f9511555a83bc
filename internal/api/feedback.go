package api

import (
	"net/http"

	"fusion/internal/policy"
)

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
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, err := s.hub.Feedback(r.Context(), c, limit, cursor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}
