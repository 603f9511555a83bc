package api

import (
	"net/http"

	"fusion/internal/hub"
	"fusion/internal/policy"
)

// hitAnswer is a hit/no-hit answer with the API's error for a value it
// could not read.
type hitAnswer struct {
	hub.HitAnswer
	Error *apiError `json:"error,omitempty"`
}

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
	out := make([]hitAnswer, len(res))
	for i := range res {
		out[i].HitAnswer = res[i]
		if res[i].Err != nil {
			out[i].Error = itemError(res[i].Err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}
