package ui

import (
	"errors"
	"net/http"
	"net/url"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// accessData is the access requests inbox: the requests the reader's
// organization received and sent, as the hub shows each side, a notice of
// what was just done and an error to show in place.
type accessData struct {
	Received, Sent []hub.AccessView
	DoneKey        string
	ErrorText      string
}

// accessDone are the notices the inbox shows after a redirect, by the
// done parameter: a fixed set, so that a link cannot put words on the page.
var accessDone = map[string]string{
	"requested": "access.done.requested",
	"approved":  "access.done.approved",
	"denied":    "access.done.denied",
}

// accessPage serves GET /access-requests: the inbox.
func (u *UI) accessPage(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderAccess(w, r, s, http.StatusOK, accessData{DoneKey: accessDone[r.URL.Query().Get("done")]})
}

// renderAccess fills d with both lists, through hub.AccessRequests, and
// renders the inbox with status.
func (u *UI) renderAccess(w http.ResponseWriter, r *http.Request, s *session, status int, d accessData) {
	var err error
	if d.Received, err = u.hub.AccessRequests(r.Context(), s.caller, true); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Sent, err = u.hub.AccessRequests(r.Context(), s.caller, false); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, status, "access.html", u.page(s, "access.title", d))
}

// requestAccess serves POST /access-requests: ref (the opaque reference a
// hit/no-hit answer gave) and purpose, to hub.RequestAccess; then the
// inbox, where the request shows as sent.
func (u *UI) requestAccess(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := u.hub.RequestAccess(r.Context(), s.caller, r.PostFormValue("ref"), r.PostFormValue("purpose"))
	if u.accessFailed(w, r, s, err) {
		return
	}
	http.Redirect(w, r, "/access-requests?"+url.Values{"done": {"requested"}}.Encode(), http.StatusSeeOther)
}

// decideAccess serves POST /access-requests/{id}/approve and .../deny:
// hub.DecideAccess with the reason given, as the owner; the hub refuses
// anyone else as if the request did not exist.
func (u *UI) decideAccess(approve bool) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		_, err := u.hub.DecideAccess(r.Context(), s.caller, r.PathValue("id"), approve, r.PostFormValue("reason"))
		if u.accessFailed(w, r, s, err) {
			return
		}
		done := "denied"
		if approve {
			done = "approved"
		}
		http.Redirect(w, r, "/access-requests?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
	}
}

// accessFailed answers err of an access request step, if any, and reports
// whether it did: a bad field, a conflict (a request already pending, one
// already decided) or a hub without matching is shown in place on the
// inbox, anything else as the hub's errors are.
func (u *UI) accessFailed(w http.ResponseWriter, r *http.Request, s *session, err error) bool {
	var fe *intel.FieldError
	switch {
	case err == nil:
		return false
	case errors.As(err, &fe):
		u.renderAccess(w, r, s, http.StatusBadRequest, accessData{ErrorText: err.Error()})
	case errors.Is(err, intel.ErrConflict):
		u.renderAccess(w, r, s, http.StatusConflict, accessData{ErrorText: err.Error()})
	case errors.Is(err, hub.ErrNoIndex):
		u.renderAccess(w, r, s, http.StatusServiceUnavailable, accessData{ErrorText: err.Error()})
	default:
		u.fail(w, r, err)
	}
	return true
}
