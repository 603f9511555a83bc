package ui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// groupData is a group's page: the group, its members named from the
// directory, and, for admins of its owner organization
// (policy.ManageGroup), the forms that add and remove members.
type groupData struct {
	G intel.Group
	// Members are the group's members from the directory (an id the
	// directory lacks is shown by id alone), the owner first.
	Members []intel.Org
	// Candidates are the organizations that may be added: every other
	// one in the directory.
	Candidates []intel.Org
	// CanManage offers the forms.
	CanManage bool
	DoneKey   string
	ErrorText string
}

// groupDone maps a redirect's done parameter to its notice.
var groupDone = map[string]string{
	"created": "group.done.created",
	"added":   "group.done.added",
	"removed": "group.done.removed",
}

// group serves GET /admin/groups/{id}.
func (u *UI) group(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderGroup(w, r, s, http.StatusOK, groupData{DoneKey: groupDone[r.URL.Query().Get("done")]})
}

// renderGroup fills d through hub.GetGroup and hub.ListOrgs and renders
// the group's page with status. A group the reader's organization is not
// in does not exist for it (the 404 page).
func (u *UI) renderGroup(w http.ResponseWriter, r *http.Request, s *session, status int, d groupData) {
	g, err := u.hub.GetGroup(r.Context(), s.caller, r.PathValue("id"))
	var dir map[string]intel.Org
	if err == nil {
		dir, err = u.directory(r, s)
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.G = g
	d.Members = groupMembers(g, dir)
	d.CanManage = policy.ManageGroup(s.caller, g.ID, g.Owner) == nil
	if d.CanManage {
		for _, o := range dir {
			if !slices.Contains(g.Members, o.ID) {
				d.Candidates = append(d.Candidates, o)
			}
		}
		slices.SortFunc(d.Candidates, cmpOrg)
	}
	u.render(w, r, status, "group.html", u.page(s, "group.title", d))
}

// groupMembers returns g's members from dir, the owner first, then by
// name.
func groupMembers(g intel.Group, dir map[string]intel.Org) []intel.Org {
	out := make([]intel.Org, 0, len(g.Members))
	for _, id := range g.Members {
		o, ok := dir[id]
		if !ok {
			o = intel.Org{ID: id}
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b intel.Org) int {
		switch {
		case a.ID == g.Owner:
			return -1
		case b.ID == g.Owner:
			return 1
		}
		return cmpOrg(a, b)
	})
	return out
}

// cmpOrg orders organizations by name, then id.
func cmpOrg(a, b intel.Org) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
}

// addGroupMember serves POST /admin/groups/{id}/members:
// hub.AddGroupMember with the organization picked.
func (u *UI) addGroupMember(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := u.hub.AddGroupMember(r.Context(), s.caller, r.PathValue("id"), r.PostFormValue("org"))
	u.groupChanged(w, r, s, err, "added")
}

// removeGroupMember serves POST /admin/groups/{id}/members/{org}/remove:
// hub.RemoveGroupMember.
func (u *UI) removeGroupMember(w http.ResponseWriter, r *http.Request, s *session) {
	org := r.PathValue("org")
	_, err := u.hub.RemoveGroupMember(r.Context(), s.caller, r.PathValue("id"), org)
	if hub.IsNotFoundErr(err) {
		// The group is not the caller's to see (the 404 page), or org is
		// not a member of it (in place).
		if _, gerr := u.hub.GetGroup(r.Context(), s.caller, r.PathValue("id")); gerr == nil {
			u.renderGroup(w, r, s, http.StatusNotFound, groupData{ErrorText: ChooseLang(r).T("group.notmember", Visible(org))})
			return
		}
	}
	u.groupChanged(w, r, s, err, "removed")
}

// groupChanged answers a membership change: its error in place (a bad
// field, a refusal), the 404 page for a group the caller does not see,
// or the group's page again with the notice of done.
func (u *UI) groupChanged(w http.ResponseWriter, r *http.Request, s *session, err error, done string) {
	if text, status, ok := directoryFailure(ChooseLang(r), err, "group.forbidden"); ok {
		u.renderGroup(w, r, s, status, groupData{ErrorText: text})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(r.PathValue("id"))+"?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}
