package api

import (
	"net/http"
	"strconv"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// MaxRulePackageBody bounds a posted rule package with its sharing terms.
const MaxRulePackageBody = hub.MaxRulePackage + 16<<10

// createRulePackage answers POST /api/v1/rule-packages: {"package": {...},
// "tlp": ..., "audience": ..., "handling": ...}.
func (s *Server) createRulePackage(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in hub.RulePackageInput
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.hub.CreateRulePackage(r.Context(), c, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

type rulePackageList struct {
	RulePackages []hub.SharedPackage `json:"rule_packages"`
}

// listRulePackages answers GET /api/v1/rule-packages: the current version
// of every package the caller may see.
func (s *Server) listRulePackages(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.hub.ListRulePackages(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rulePackageList{RulePackages: list})
}

// getRulePackage answers GET /api/v1/rule-packages/{id}[?version=N].
func (s *Server) getRulePackage(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "version")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	version := 0
	if v := q.Get("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			s.fail(w, r, &intel.FieldError{Field: "version", Value: v, Reason: "must be a whole number from 1 up"})
			return
		}
	}
	p, err := s.hub.GetRulePackage(r.Context(), c, r.PathValue("id"), version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// reviseRulePackage answers PUT /api/v1/rule-packages/{id}: the next
// version, with the members given (package, tlp, audience, handling) and
// the others kept.
func (s *Server) reviseRulePackage(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in hub.RulePackageInput
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.hub.ReviseRulePackage(r.Context(), c, r.PathValue("id"), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// revokeRulePackage answers DELETE /api/v1/rule-packages/{id}[?reason=...].
func (s *Server) revokeRulePackage(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "reason")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.hub.RevokeRulePackage(r.Context(), c, r.PathValue("id"), q.Get("reason"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
