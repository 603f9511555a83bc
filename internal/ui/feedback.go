package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// feedbackPerPage is how many records a page of the feedback summary shows.
const feedbackPerPage = 50

// feedbackForm is the state of the feedback form on a record's page: what
// was typed, a notice that feedback was sent, and an error to show in
// place.
type feedbackForm struct {
	Outcome, Note string
	Sent          bool
	ErrorText     string
}

// Outcomes lists what feedback may report (hub.Outcomes), for the form.
func (feedbackForm) Outcomes() []string { return hub.Outcomes }

// addFeedback serves POST /records/{id}/feedback: outcome and note to
// hub.AddFeedback as the session's caller (who must see the record: the
// hub answers "not found" otherwise); then the record's page again, with
// a notice. A bad outcome or note is shown on the form.
func (u *UI) addFeedback(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	f := feedbackForm{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note")}
	_, err := u.hub.AddFeedback(r.Context(), s.caller, id, f.Outcome, f.Note)
	var fe *intel.FieldError
	switch {
	case errors.As(err, &fe):
		f.ErrorText = err.Error()
		u.recordPage(w, r, s, id, http.StatusBadRequest, f)
	case err != nil:
		u.fail(w, r, err)
	default:
		http.Redirect(w, r, "/records/"+url.PathEscape(id)+"?"+url.Values{"feedback": {"sent"}}.Encode(), http.StatusSeeOther)
	}
}

// feedbackData is the feedback summary page: what the reader's
// organization's records led to, as the hub summarizes it.
type feedbackData struct {
	Sum hub.FeedbackSummary
	// Totals are Sum.Totals in the order of hub.Outcomes, then any other
	// outcome the hub counted, by name.
	Totals []outcomeCount
	Next   string
}

// outcomeCount is one outcome and its count.
type outcomeCount struct {
	Outcome string
	Count   int
}

// feedbackPage serves GET /feedback: hub.Feedback for the session's
// organization, a page at a time (cursor).
func (u *UI) feedbackPage(w http.ResponseWriter, r *http.Request, s *session) {
	sum, err := u.hub.Feedback(r.Context(), s.caller, feedbackPerPage, r.URL.Query().Get("cursor"))
	var fe *intel.FieldError
	switch {
	case errors.As(err, &fe):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	d := feedbackData{Sum: sum}
	for _, o := range hub.Outcomes {
		if n, ok := sum.Totals[o]; ok {
			d.Totals = append(d.Totals, outcomeCount{o, n})
		}
	}
	var other []string
	for o := range sum.Totals {
		if !slices.Contains(hub.Outcomes, o) {
			other = append(other, o)
		}
	}
	slices.Sort(other)
	for _, o := range other {
		d.Totals = append(d.Totals, outcomeCount{o, sum.Totals[o]})
	}
	if sum.Next != "" {
		d.Next = "/feedback?" + url.Values{"cursor": {sum.Next}}.Encode()
	}
	u.render(w, r, http.StatusOK, "feedback.html", u.page(s, "feedback.title", d))
}
