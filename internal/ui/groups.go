package ui

import (
	"errors"
	"net/http"
	"net/url"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

// groupsData is the groups page: the sharing groups the reader's
// organization belongs to, with owner and members named from the
// directory, and the form that creates one when the reader's role may.
type groupsData struct {
	Groups []intel.Group
	// Dir is the directory by organization id, to name owners and members.
	Dir map[string]intel.Org
	// CanCreate offers the form (policy.ManageGroups).
	CanCreate bool
	// Name is the name typed, kept when creating failed.
	Name      string
	ErrorText string
}

// Limits on the group forms.
const maxGroupForm = 8 << 10

// groups serves GET /admin/groups.
func (u *UI) groups(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderGroups(w, r, s, http.StatusOK, groupsData{})
}

// renderGroups fills d through hub.ListGroups and hub.ListOrgs and renders
// the page with status; a role that may read neither gets its 403 version.
func (u *UI) renderGroups(w http.ResponseWriter, r *http.Request, s *session, status int, d groupsData) {
	var err error
	d.Groups, err = u.hub.ListGroups(r.Context(), s.caller)
	if err == nil {
		d.Dir, err = u.directory(r, s)
	}
	switch {
	case errors.Is(err, intel.ErrForbidden):
		u.render(w, r, http.StatusForbidden, "groups.html", u.page(s, "groups.title", groupsData{ErrorText: ChooseLang(r).T("directory.forbidden.read")}))
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	d.CanCreate = policy.Can(s.caller, policy.ManageGroups)
	u.render(w, r, status, "groups.html", u.page(s, "groups.title", d))
}

// directory returns the organizations s may see (hub.ListOrgs), by id.
func (u *UI) directory(r *http.Request, s *session) (map[string]intel.Org, error) {
	orgs, err := u.hub.ListOrgs(r.Context(), s.caller)
	if err != nil {
		return nil, err
	}
	dir := make(map[string]intel.Org, len(orgs))
	for _, o := range orgs {
		dir[o.ID] = o
	}
	return dir, nil
}

// createGroup serves POST /admin/groups: hub.CreateGroup with the name
// typed, then the new group's page.
func (u *UI) createGroup(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	g, err := u.hub.CreateGroup(r.Context(), s.caller, name)
	if text, status, ok := directoryFailure(ChooseLang(r), err, "groups.forbidden"); ok {
		u.renderGroups(w, r, s, status, groupsData{Name: name, ErrorText: text})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID)+"?"+url.Values{"done": {"created"}}.Encode(), http.StatusSeeOther)
}
