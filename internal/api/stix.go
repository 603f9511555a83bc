package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// STIXContentType is the media type of a STIX 2.1 bundle.
const STIXContentType = "application/stix+json;version=2.1"

// stixImport imports a STIX 2.1 bundle as the caller and answers, per
// object of the bundle, what became of it, with totals. Only a body that
// is not a bundle fails as a whole (400, invalid_bundle), storing nothing.
func (s *Server) stixImport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, done := s.idempotency(w, r, c, "POST /api/v1/stix/import", body)
	if done {
		return
	}
	res, err := s.hub.ImportSTIXKept(r.Context(), c, body, keep(id, func(v hub.STIXImport) any { return v }))
	if err == nil {
		t := res.Totals.Records
		s.obs.Ingested(t.Created, t.Updated, t.Unchanged, t.Refused)
	}
	s.answered(w, r, c, id, err, res)
}

// stixBundle exports what the caller may see as one STIX 2.1 bundle, up to
// hub.MaxSTIXExport records; the cursor of the next bundle, if any, is in
// the Fusion-Next-Cursor header, and the number of records and reports that
// got no STIX object in Fusion-Skipped.
func (s *Server) stixBundle(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "type", "label", "tag", "originator", "since", "include_revoked", "limit", "cursor")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := hub.RecordFilter{Type: q.Get("type"), Label: q.Get("label"), Tag: q.Get("tag"), Originator: q.Get("originator"), Cursor: q.Get("cursor")}
	if f.Since, err = timeParam(q, "since"); err == nil {
		if f.IncludeRevoked, err = boolParam(q, "include_revoked"); err == nil && q.Get("limit") != "" {
			f.Limit, err = strconv.Atoi(q.Get("limit"))
			if err != nil || f.Limit < 1 || f.Limit > hub.MaxSTIXExport {
				err = &intel.FieldError{Field: "limit", Value: q.Get("limit"), Reason: fmt.Sprintf("must be a whole number from 1 to %d", hub.MaxSTIXExport)}
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	exp, err := s.hub.ExportSTIX(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := json.Marshal(exp.Bundle)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", STIXContentType)
	if exp.Next != "" {
		w.Header().Set("Fusion-Next-Cursor", exp.Next)
	}
	w.Header().Set("Fusion-Skipped", strconv.Itoa(len(exp.Skipped)))
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}
