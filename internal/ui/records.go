package ui

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
)

// recordsPerPage is how many records a page of the list shows.
const recordsPerPage = 50

// recordsData is the record list: the search as typed, the page, the
// link to the next page and an error to show in place.
type recordsData struct {
	Q, Label, Tag, Type, Originator, Since string
	Records                                []intel.Record
	Next                                   string
	ErrorText                              string
	Types, Labels                          []string
}

// records serves GET /records: search (q, label, tag, type, originator,
// since) with cursor pagination, through hub.ListRecords and so the gate.
func (u *UI) records(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := recordsData{Q: q.Get("q"), Label: q.Get("label"), Tag: q.Get("tag"), Type: q.Get("type"),
		Originator: q.Get("originator"), Since: q.Get("since")}
	for _, t := range observable.Types() {
		d.Types = append(d.Types, string(t))
	}
	for _, l := range intel.Labels {
		d.Labels = append(d.Labels, l.Name)
	}
	f := hub.RecordFilter{Query: d.Q, Label: d.Label, Tag: d.Tag, Type: d.Type, Originator: d.Originator,
		Limit: recordsPerPage, Cursor: q.Get("cursor")}
	status := http.StatusOK
	if d.Since != "" {
		t, err := time.Parse(time.DateOnly, d.Since)
		if err != nil {
			d.ErrorText = "since: " + d.Since + ": not a date (2026-11-30)"
			status = http.StatusBadRequest
		}
		f.Since = t
	}
	if d.ErrorText == "" {
		page, err := u.hub.ListRecords(r.Context(), s.caller, f)
		var fe *intel.FieldError
		switch {
		case errors.As(err, &fe):
			d.ErrorText, status = fe.Error(), http.StatusBadRequest
		case err != nil:
			u.fail(w, r, err)
			return
		default:
			d.Records = page.Items
			if page.Next != "" {
				next := url.Values{}
				for k, v := range map[string]string{"q": d.Q, "label": d.Label, "tag": d.Tag, "type": d.Type, "originator": d.Originator, "since": d.Since, "cursor": page.Next} {
					if v != "" {
						next.Set(k, v)
					}
				}
				d.Next = "/records?" + next.Encode()
			}
		}
	}
	u.render(w, r, status, "records.html", u.page(s, "records.title", d))
}

// recordData is one record's page: the record, its earlier versions, and
// the feedback form (feedback.go).
type recordData struct {
	R        intel.Record
	History  []intel.Record
	Feedback feedbackForm
	// Custody is the record's chain of custody as the reader may see it
	// (custody.go).
	Custody custody
}

// record serves GET /records/{id}: one record as the reader may see it,
// with its handling in words and its history; a record the reader may not
// see is "not found", as one that does not exist.
func (u *UI) record(w http.ResponseWriter, r *http.Request, s *session) {
	u.recordPage(w, r, s, r.PathValue("id"), http.StatusOK, feedbackForm{Sent: r.URL.Query().Get("feedback") == "sent"})
}

// recordPage renders record id's page with status and the feedback form's
// state fb.
func (u *UI) recordPage(w http.ResponseWriter, r *http.Request, s *session, id string, status int, fb feedbackForm) {
	rec, err := u.hub.GetRecord(r.Context(), s.caller, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	hist, err := u.hub.RecordHistory(r.Context(), s.caller, id)
	if err != nil && !hub.IsNotFoundErr(err) {
		u.fail(w, r, err)
		return
	}
	if len(hist) > 0 && hist[len(hist)-1].Version == rec.Version {
		hist = hist[:len(hist)-1] // the current version is the page itself
	}
	cust, err := u.recordCustody(r.Context(), s.caller, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cust.Owner = rec.Originator == s.caller.Org
	u.render(w, r, status, "record.html", u.page(s, "record.title", recordData{R: rec, History: hist, Feedback: fb, Custody: cust}))
}

// fail answers a hub error: not found (hidden or absent) as the 404 page,
// rate limits as 429, anything else as a logged 500.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case hub.IsNotFoundErr(err):
		u.notFound(w, r)
	case errors.Is(err, hub.ErrRateLimited):
		http.Error(w, "too many lookups: wait a minute", http.StatusTooManyRequests)
	case errors.Is(err, intel.ErrForbidden):
		http.Error(w, "your role may not do this", http.StatusForbidden)
	case errors.Is(err, intel.ErrConflict):
		// Such as a rule package revoked meanwhile: the hub's reason
		// names what the caller acted on.
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		u.log.Error("ui: hub", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}
