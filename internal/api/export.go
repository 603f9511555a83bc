package api

import (
	"encoding/json"
	"net/http"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

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
