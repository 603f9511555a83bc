package ui

import (
	"net/http"
	"net/url"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// reportsPerPage is how many reports a page of the list shows.
const reportsPerPage = 50

// reportsData is the report list: the search as typed, the page, the
// link to the next page and an error to show in place.
type reportsData struct {
	Q, Originator string
	Reports       []intel.Report
	Next          string
	ErrorText     string
}

// reports serves GET /reports: the reports the reader may see (q,
// originator) with cursor pagination, through hub.ListReports and so the
// gate. Each report counts only the records the reader may see.
func (u *UI) reports(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := reportsData{Q: q.Get("q"), Originator: q.Get("originator")}
	status := http.StatusOK
	page, err := u.hub.ListReports(r.Context(), s.caller, hub.ReportFilter{Query: d.Q, Originator: d.Originator,
		Limit: reportsPerPage, Cursor: q.Get("cursor")})
	switch {
	case hub.IsInputError(err):
		d.ErrorText, status = err.Error(), http.StatusBadRequest
	case err != nil:
		u.fail(w, r, err)
		return
	default:
		d.Reports = page.Items
		if page.Next != "" {
			next := url.Values{"cursor": {page.Next}}
			if d.Q != "" {
				next.Set("q", d.Q)
			}
			if d.Originator != "" {
				next.Set("originator", d.Originator)
			}
			d.Next = "/reports?" + next.Encode()
		}
	}
	u.render(w, r, status, "reports.html", u.page(s, "reports.title", d))
}
