package api

import (
	"net/http"
	"net/url"
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
