package api

import (
	"net/http"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
)

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	org, err := s.hub.GetOrg(r.Context(), c, c.Org)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	settings, err := s.hub.OwnOrgSettings(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"org": org, "settings": settings, "role": c.Role, "token": c.TokenID, "groups": c.Groups})
}

// vocabulary lists the controlled terms the API accepts.
func (s *Server) vocabulary(w http.ResponseWriter, _ *http.Request, _ *policy.Caller) {
	writeJSON(w, http.StatusOK, map[string]any{
		"labels":         intel.Labels,
		"types":          observable.Types(),
		"tlp":            intel.TLPs,
		"handling_codes": []string{intel.H0, intel.H1, intel.H2, intel.H3},
		"sectors":        intel.Sectors,
		"roles":          intel.Roles,
	})
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	orgs, err := s.hub.ListOrgs(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgs": orgs})
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	org, err := s.hub.GetOrg(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, org)
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	groups, err := s.hub.ListGroups(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups})
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	g, err := s.hub.GetGroup(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		ID   *string `json:"id"`
		Name string  `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.ID != nil {
		s.fail(w, r, &intel.FieldError{Field: "id", Value: *in.ID, Reason: "group ids are chosen by the hub; send only a name (the answer carries the id)"})
		return
	}
	g, err := s.hub.CreateGroup(r.Context(), c, in.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		Org string `json:"org"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.hub.AddGroupMember(r.Context(), c, r.PathValue("id"), in.Org)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	g, err := s.hub.RemoveGroupMember(r.Context(), c, r.PathValue("id"), r.PathValue("org"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	toks, err := s.hub.ListTokens(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": toks})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		Role string `json:"role"`
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	role, err := intel.ParseRole(in.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	secret, tok, err := s.hub.IssueToken(r.Context(), c, role, in.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		intel.Token
		Secret string `json:"secret"`
	}{tok, secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if err := s.hub.RevokeToken(r.Context(), c, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateOrg changes an organization's own settings (its admins only).
func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in hub.OrgSettings
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	org, err := s.hub.UpdateOrg(r.Context(), c, r.PathValue("id"), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, org)
}
