package ui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// reportRecordsPerPage is how many of a report's records its page shows at
// a time: each is read with hub.GetRecord, which counts as a lookup.
const reportRecordsPerPage = 50

// maxContextShown is how many of a MISP event's context attributes the
// report page shows.
const maxContextShown = 500

// reportData is one report's page: the report as the reader may see it,
// one page of its records, the MISP event's context attributes, and the
// add-records form of a report of the reader's own organization.
type reportData struct {
	R       intel.Report
	Records []intel.Record
	// From is the index in R.Records of the first record shown; Prev and
	// Next link to the neighbouring pages.
	From, To   int
	Prev, Next string
	Context    []intel.SourceAttribute
	// ContextMore counts the context attributes not shown.
	ContextMore int
	// Own shows the form that adds records (only the originator may).
	Own bool
	// Add is the add-records form as typed, and its outcome.
	Add       string
	Added     int
	AddErrors []string
}

// report serves GET /reports/{id}: one report as the reader may see it
// (hub.GetReport), its records as the reader may see them (hub.GetRecord
// each, a page at a time), and for a report imported from MISP the event
// it came from. A report the reader may not see is "not found", as one
// that does not exist.
func (u *UI) report(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := u.reportPage(w, r, s)
	if !ok {
		return
	}
	u.render(w, r, http.StatusOK, "report.html", u.page(s, "report.title", d))
}

// reportPage reads what the report page shows; false when it has answered
// an error already.
func (u *UI) reportPage(w http.ResponseWriter, r *http.Request, s *session) (*reportData, bool) {
	id := r.PathValue("id")
	rep, err := u.hub.GetReport(r.Context(), s.caller, id)
	if err != nil {
		u.fail(w, r, err)
		return nil, false
	}
	d := &reportData{R: rep, Own: policy.Originates(s.caller, rep.Originator) && policy.Can(s.caller, policy.ChangeIntel) && rep.Revoked == nil}
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			n = 0
		}
		d.From = min(n, max(0, len(rep.Records)-1))
	}
	d.To = min(len(rep.Records), d.From+reportRecordsPerPage)
	for _, rid := range rep.Records[d.From:d.To] {
		rec, err := u.hub.GetRecord(r.Context(), s.caller, rid)
		if hub.IsNotFoundErr(err) {
			continue // revoked or re-shared since the report was read
		}
		if err != nil {
			u.fail(w, r, err)
			return nil, false
		}
		d.Records = append(d.Records, rec)
	}
	base := "/reports/" + rep.ID
	if d.From > 0 {
		d.Prev = base + "?from=" + strconv.Itoa(max(0, d.From-reportRecordsPerPage))
	}
	if d.To < len(rep.Records) {
		d.Next = base + "?from=" + strconv.Itoa(d.To)
	}
	if rep.Source != nil {
		for _, a := range rep.Source.Attributes {
			if a.Record != "" {
				continue // a record, shown above when the reader may see it
			}
			if len(d.Context) == maxContextShown {
				d.ContextMore++
				continue
			}
			d.Context = append(d.Context, a)
		}
	}
	return d, true
}

// addReportRecords serves POST /reports/{id}/records: records of the
// reader's organization, pasted as ids or values, added to a report of
// its own through hub.UpdateReport. Nothing is added when any line fails;
// the errors are shown in place.
func (u *UI) addReportRecords(w http.ResponseWriter, r *http.Request, s *session) {
	add := r.PostForm.Get("records")
	ids, errs := u.resolveRecords(r, s, add)
	if errs == nil && len(ids) == 0 {
		errs = []string{"records: is empty: paste record ids or values, one a line"}
	}
	var d *reportData
	if errs == nil {
		rep, err := u.hub.GetReport(r.Context(), s.caller, r.PathValue("id"))
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if !policy.Originates(s.caller, rep.Originator) {
			u.render(w, r, http.StatusForbidden, "report.html", u.page(s, "report.title", &reportData{R: rep,
				AddErrors: []string{"report: " + rep.ID + ": not a report of your organization: only its originator adds records"}}))
			return
		}
		list := slices.Clone(rep.Records)
		n := 0
		for _, id := range ids {
			if !slices.Contains(list, id) {
				list, n = append(list, id), n+1
			}
		}
		_, err = u.hub.UpdateReport(r.Context(), s.caller, rep.ID, intel.ReportPatch{Records: &list})
		switch {
		case hub.IsInputError(err), errors.Is(err, intel.ErrConflict):
			errs = []string{err.Error()}
		case err != nil:
			u.fail(w, r, err)
			return
		default:
			if d, _ = u.reportPage(w, r, s); d == nil {
				return
			}
			d.Added = n
		}
	}
	status := http.StatusOK
	if errs != nil {
		var ok bool
		if d, ok = u.reportPage(w, r, s); !ok {
			return
		}
		d.Add, d.AddErrors, status = add, errs, http.StatusBadRequest
	}
	u.render(w, r, status, "report.html", u.page(s, "report.title", d))
}
