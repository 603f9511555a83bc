package api

import (
	"net/http"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

func (s *Server) createReport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in intel.ReportInput
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.hub.CreateReport(r.Context(), c, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	rep, err := s.hub.GetReport(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

type reportList struct {
	Reports    []intel.Report `json:"reports"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

func (s *Server) listReports(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "originator", "record", "tag", "q", "include_revoked", "limit", "cursor")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := hub.ReportFilter{Originator: q.Get("originator"), Record: q.Get("record"), Tag: q.Get("tag"), Query: q.Get("q"), Cursor: q.Get("cursor")}
	if f.Limit, err = limitParam(q); err == nil {
		f.IncludeRevoked, err = boolParam(q, "include_revoked")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.hub.ListReports(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reportList{Reports: page.Items, NextCursor: page.Next})
}

func (s *Server) updateReport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var p intel.ReportPatch
	if err := decode(r, &p); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.hub.UpdateReport(r.Context(), c, r.PathValue("id"), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) revokeReport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "reason")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.hub.RevokeReport(r.Context(), c, r.PathValue("id"), q.Get("reason"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
