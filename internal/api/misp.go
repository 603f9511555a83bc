package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// mispImport imports MISP events (an event, a bare event, a restSearch
// answer or a list) as the caller and answers, per event, what became of
// it and of its attributes. Only a body that is not MISP JSON fails as a
// whole (400), storing nothing. Importing the same events again changes
// nothing, so a retry needs no Idempotency-Key.
//
// Query: community=GROUP maps MISP distribution 1 and 2; sharing_group=
// SG:GROUP (repeatable) maps a sharing group's uuid for distribution 4;
// create_groups=true creates a group for a sharing group not mapped.
func (s *Server) mispImport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := query(r, "community", "sharing_group", "create_groups")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opt, err := mispOptions(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.hub.ImportMISP(r.Context(), c, body, opt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t := res.Totals.Attributes
	s.obs.Ingested(t.Created, t.Updated, t.Unchanged, t.Refused)
	writeJSON(w, http.StatusOK, res)
}

// mispOptions reads the import's mapping of MISP distribution from q.
func mispOptions(q url.Values) (hub.MISPOptions, error) {
	opt := hub.MISPOptions{Community: q.Get("community")}
	var err error
	if opt.CreateGroups, err = boolParam(q, "create_groups"); err != nil {
		return opt, err
	}
	for _, m := range q["sharing_group"] {
		sg, group, ok := strings.Cut(m, ":")
		if !ok || sg == "" || group == "" {
			return opt, &intel.FieldError{Field: "sharing_group", Value: m, Reason: "must be SHARING-GROUP-UUID:GROUP"}
		}
		if opt.SharingGroups == nil {
			opt.SharingGroups = map[string]string{}
		}
		opt.SharingGroups[strings.ToLower(sg)] = group
	}
	return opt, nil
}

// reportMISP answers a report the caller may see as a MISP event
// ({"Event":…}), with only the records it may see; {id} is the report's
// id or the uuid of the MISP event it was made of.
func (s *Server) reportMISP(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	body, err := s.hub.MISPEvent(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// mispSearch answers one page of the records the caller may see that match
// the query (as GET /api/v1/records filters them) as one MISP event; the
// cursor of the next page, if any, is in the Fusion-Next-Cursor header.
func (s *Server) mispSearch(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "type", "label", "tag", "originator", "since", "limit", "cursor", "title")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := hub.RecordFilter{Type: q.Get("type"), Label: q.Get("label"), Tag: q.Get("tag"), Originator: q.Get("originator"), Cursor: q.Get("cursor")}
	if f.Since, err = timeParam(q, "since"); err == nil && q.Get("limit") != "" {
		f.Limit, err = strconv.Atoi(q.Get("limit"))
		if err != nil || f.Limit < 1 || f.Limit > hub.MaxSTIXExport {
			err = &intel.FieldError{Field: "limit", Value: q.Get("limit"), Reason: fmt.Sprintf("must be a whole number from 1 to %d", hub.MaxSTIXExport)}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, next, err := s.hub.MISPSearchEvent(r.Context(), c, f, q.Get("title"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if next != "" {
		w.Header().Set("Fusion-Next-Cursor", next)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
