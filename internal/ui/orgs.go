package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// orgsData is the organizations page: the hub's directory of member
// organizations, and the reader's own organization's settings, which a
// role the gate lets change them (policy.ChangeOrg) may change.
type orgsData struct {
	Orgs []intel.Org
	// Own is the reader's organization, from Orgs.
	Own intel.Org
	// Anonymous is the own organization's anonymous_feedback setting.
	Anonymous bool
	// CanChange offers the settings form; without it they are read-only.
	CanChange bool
	DoneKey   string
	ErrorText string
}

// orgsDone maps a redirect's done parameter to its notice.
var orgsDone = map[string]string{"settings": "orgs.done.settings", "unchanged": "orgs.done.unchanged"}

// orgs serves GET /admin/orgs.
func (u *UI) orgs(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderOrgs(w, r, s, http.StatusOK, orgsData{DoneKey: orgsDone[r.URL.Query().Get("done")]})
}

// renderOrgs fills d with the directory (hub.ListOrgs) and the own
// organization's settings (hub.OwnOrgSettings), and renders the page with
// status. A role that may read neither gets the page's 403 version.
func (u *UI) renderOrgs(w http.ResponseWriter, r *http.Request, s *session, status int, d orgsData) {
	var err error
	d.Orgs, err = u.hub.ListOrgs(r.Context(), s.caller)
	var set hub.OrgSettings
	if err == nil {
		set, err = u.hub.OwnOrgSettings(r.Context(), s.caller)
	}
	switch {
	case errors.Is(err, intel.ErrForbidden):
		u.render(w, r, http.StatusForbidden, "orgs.html", u.page(s, "orgs.title", orgsData{ErrorText: ChooseLang(r).T("directory.forbidden.read")}))
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	for _, o := range d.Orgs {
		if o.ID == s.caller.Org {
			d.Own = o
		}
	}
	d.Anonymous = set.AnonymousFeedback != nil && *set.AnonymousFeedback
	d.CanChange = policy.ChangeOrg(s.caller, s.caller.Org) == nil
	u.render(w, r, status, "orgs.html", u.page(s, "orgs.title", d))
}

// updateOrgSettings serves POST /admin/orgs/settings: hub.UpdateOrg of the
// reader's own organization with the anonymous_feedback chosen.
func (u *UI) updateOrgSettings(w http.ResponseWriter, r *http.Request, s *session) {
	v := r.PostFormValue("anonymous_feedback")
	anon, perr := strconv.ParseBool(v)
	if perr != nil {
		u.renderOrgs(w, r, s, http.StatusBadRequest, orgsData{ErrorText: directoryErrorText(ChooseLang(r),
			&intel.FieldError{Field: "anonymous_feedback", Value: v, Reason: reasonNotBool})})
		return
	}
	before, err := u.hub.OwnOrgSettings(r.Context(), s.caller)
	if err == nil {
		_, err = u.hub.UpdateOrg(r.Context(), s.caller, s.caller.Org, hub.OrgSettings{AnonymousFeedback: &anon})
	}
	if text, status, ok := directoryFailure(ChooseLang(r), err, "orgs.forbidden"); ok {
		u.renderOrgs(w, r, s, status, orgsData{ErrorText: text})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	done := "settings"
	if before.AnonymousFeedback != nil && *before.AnonymousFeedback == anon {
		done = "unchanged"
	}
	http.Redirect(w, r, "/admin/orgs?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}

// reasonNotBool is the reason of a settings value that is neither true
// nor false (a forged form).
const reasonNotBool = "not true or false"

// directoryReasons translates the reasons of the hub's field errors on the
// directory pages; a reason not listed is shown as the hub gave it.
var directoryReasons = map[string]string{
	"must be 1 to 256 bytes":               "directory.reason.name",
	"no such organization":                 "directory.reason.noorg",
	"the owner cannot leave its own group": "directory.reason.owner",
	reasonNotBool:                          "directory.reason.bool",
}

// directoryFields names the fields of the directory pages' forms.
var directoryFields = map[string]string{
	"name":               "directory.field.name",
	"org":                "directory.field.org",
	"anonymous_feedback": "directory.field.anonymous",
}

// directoryErrorText writes a field error in l's language: the field's
// name, the value given and the reason.
func directoryErrorText(l *Lang, fe *intel.FieldError) string {
	field := fe.Field
	if k, ok := directoryFields[fe.Field]; ok {
		field = l.T(k)
	}
	reason := fe.Reason
	if k, ok := directoryReasons[fe.Reason]; ok {
		reason = l.T(k)
	}
	if fe.Value == "" {
		return l.T("directory.error.empty", field, reason)
	}
	return l.T("directory.error", field, Visible(fe.Value), reason)
}

// directoryFailure turns err of a directory step into a message in l's
// language shown in place and its status, and reports whether it did: a
// bad field (400), a refusal of the caller's role or organization (403),
// a conflict (409); a refusal says forbiddenKey. Anything else (not found above all: a group the
// caller does not see) is left to the caller.
func directoryFailure(l *Lang, err error, forbiddenKey string) (string, int, bool) {
	var fe *intel.FieldError
	switch {
	case err == nil:
		return "", 0, false
	case errors.As(err, &fe):
		return directoryErrorText(l, fe), http.StatusBadRequest, true
	case errors.Is(err, intel.ErrForbidden):
		return l.T(forbiddenKey), http.StatusForbidden, true
	case errors.Is(err, intel.ErrConflict):
		return l.T("directory.conflict"), http.StatusConflict, true
	}
	return "", 0, false
}
