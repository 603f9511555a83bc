package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
)

// Bounds of the report forms: at most maxReportLines lines of record ids
// or values, in a form of at most maxReportForm bytes.
const (
	maxReportLines = 1000
	maxReportForm  = 256 << 10
)

// newReportData is the new-report form as typed and the errors that
// refused it.
type newReportData struct {
	Title, Description, Tags, Records string
	Sharing                           sharingView
	Errors                            []string
	// CannotWrite disables the form: the reader's role may not write reports.
	CannotWrite bool
}

// newReportPage serves GET /reports/new: the form for a report.
func (u *UI) newReportPage(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderNewReport(w, r, s, http.StatusOK, &newReportData{Sharing: sharingView{S: sharing{TLP: "amber"}}})
}

func (u *UI) renderNewReport(w http.ResponseWriter, r *http.Request, s *session, status int, d *newReportData) {
	d.CannotWrite = !policy.Can(s.caller, policy.ChangeIntel)
	p := u.page(s, "reportnew.title", d)
	d.Sharing.Page, d.Sharing.Prefix = p, "rep-"
	u.render(w, r, status, "report_new.html", p)
}

// newReport serves POST /reports/new: a report of the reader's
// organization (title, description, TLP, labels, tags, audience, handling)
// grouping records of its own, pasted as ids or values, through
// hub.CreateReport. Nothing is stored when any line or field fails; the
// errors are shown in place and the form keeps what was typed.
func (u *UI) newReport(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	d := &newReportData{Title: f.Get("title"), Description: f.Get("description"), Records: f.Get("records"),
		Sharing: sharingView{S: readSharing(r)}}
	sh := d.Sharing.S
	ids, errs := u.resolveRecords(r, s, d.Records)
	if errs != nil {
		d.Errors = errs
		u.renderNewReport(w, r, s, http.StatusBadRequest, d)
		return
	}
	in := intel.ReportInput{Title: d.Title, Description: d.Description, TLP: sh.TLP, Labels: sh.Labels,
		Tags: splitList(sh.Tags), Records: ids}
	rin := sh.input("", "", "")
	in.Audience, in.Handling = rin.Audience, rin.Handling
	rep, err := u.hub.CreateReport(r.Context(), s.caller, in)
	switch {
	case hub.IsInputError(err):
		d.Errors = []string{err.Error()}
		u.renderNewReport(w, r, s, http.StatusBadRequest, d)
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reports/"+rep.ID, http.StatusSeeOther)
}

// resolveRecords turns pasted lines into record ids: a line that is a
// record id is taken as it is (the hub checks that it is one of the
// organization's own), any other is a value, looked up among the
// organization's own records (hub.ListRecords, exact matches only). It
// answers the ids in order without repeats, or one error a failed line.
func (u *UI) resolveRecords(r *http.Request, s *session, text string) ([]string, []string) {
	lines := pasteLines(text)
	if len(lines) > maxReportLines {
		return nil, []string{fmt.Sprintf("records: %d lines: more than the limit of %d", len(lines), maxReportLines)}
	}
	var ids, errs []string
	seen := map[string]bool{}
	keep := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, l := range lines {
		if uuid.Validate(l.value) == nil {
			keep(strings.ToLower(l.value))
			continue
		}
		page, err := u.hub.ListRecords(r.Context(), s.caller, hub.RecordFilter{Value: l.value, Originator: s.caller.Org, Limit: 10})
		if err != nil {
			if !hub.IsInputError(err) && !errors.Is(err, hub.ErrRateLimited) {
				u.log.Error("ui: resolve a record value", "err", err)
				err = errors.New("the value could not be looked up")
			}
			errs = append(errs, fmt.Sprintf("line %d: %v", l.n, err))
			continue
		}
		n := 0
		for i, rec := range page.Items {
			if page.Rules == nil || page.Rules[i] == match.RuleExact {
				keep(rec.ID)
				n++
			}
		}
		if n == 0 {
			errs = append(errs, fmt.Sprintf("line %d: records: %q: no record of your organization has this value", l.n, l.value))
		}
	}
	return ids, errs
}
