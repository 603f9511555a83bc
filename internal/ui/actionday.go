package ui

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"fusion/internal/api"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/screen"
)

// The action-day pages (issue 18), one per step of the workflow:
// /action-days lists the action days the reader's organization may see and
// opens one; /action-days/{id} is a day's overview, where an airline
// uploads its flagged bookings and the coordinator names the police of a
// country; /action-days/{id}/packages/{country} is the package of one
// departure country, where its police record what came of each booking;
// and /action-days/{id}/summary adds up the day (and .csv exports it).
// Everything comes from the hub's action-day methods, which decide through
// the policy gate who sees what: an airline its own bookings, a police
// organization its country's package, the coordinator everything.

// maxActionDayForm bounds the small action-day forms (open a day, name
// police, record an outcome).
const maxActionDayForm = 16 << 10

// maxBookingsForm bounds an upload of flagged bookings: the API's bound on
// a submission and room for the form around it.
const maxBookingsForm = api.MaxSubmitBody + 64<<10

// actionDayHref is the path of action day id's page.
func actionDayHref(id string) string { return "/action-days/" + url.PathEscape(id) }

// packageHref is the path of action day id's package of country.
func packageHref(id, country string) string {
	return actionDayHref(id) + "/packages/" + url.PathEscape(country)
}

// orgNames names organizations from the directory, by id.
type orgNames map[string]intel.Org

// Name is org's name, or its id when the directory lacks it.
func (n orgNames) Name(org string) string {
	if o, ok := n[org]; ok && o.Name != "" {
		return o.Name
	}
	return org
}

// names reads the directory for naming organizations; a role that may not
// read it sees organization ids.
func (u *UI) names(r *http.Request, s *session) (orgNames, error) {
	dir, err := u.directory(r, s)
	if errors.Is(err, intel.ErrForbidden) {
		return orgNames{}, nil
	}
	return orgNames(dir), err
}

// actionDayFailure is the text and status of a hub error a form's page
// shows in place: a field or line of the input, or a refusal of the role
// or organization. ok is false for the rest (not found, internal), which
// u.fail answers.
func actionDayFailure(l *Lang, err error, forbiddenKey string) (text string, status int, ok bool) {
	var fe *intel.FieldError
	var le *screen.LineError
	switch {
	case err == nil:
		return "", 0, false
	case errors.As(err, &le):
		return l.T("actionday.error.line", le.Error()), http.StatusBadRequest, true
	case errors.As(err, &fe):
		return l.T("actionday.error.field", fe.Error()), http.StatusBadRequest, true
	case errors.Is(err, intel.ErrForbidden):
		return l.T(forbiddenKey), http.StatusForbidden, true
	}
	return "", 0, false
}

// actionDaysData is the /action-days page.
type actionDaysData struct {
	Days  []actionDayRow
	Names orgNames
	// Groups are the reader's organization's groups, for the form.
	Groups []intel.Group
	// CanCreate offers the form (policy.CreateRecords, and a group).
	CanCreate bool
	// Packages are the shared rule packages the reader's organization may
	// use, for the form's choice of rules (the built-in package first).
	Packages []hub.SharedPackage
	// Form is what was typed, kept when opening failed.
	Form      actionDayForm
	ErrorText string
}

// actionDayRow is an action day in the listing.
type actionDayRow struct {
	hub.ActionDay
	Href, GroupName string
}

// actionDayForm is the form that opens an action day.
type actionDayForm struct {
	Name, Day, Group, Purpose, Conditions, Rules string
	Codes                                        []string
}

// adFields are the fields of the forms that open and change an action
// day that they share (templates/partials/actionday.html "adfields"): the
// handling codes, the rule package, the purpose and the conditions.
// Pinned is the day's rule package as id@version when it is not among
// Packages (revoked since, say): offered as it is, so that leaving the
// choice alone keeps it.
type adFields struct {
	F        actionDayForm
	Packages []hub.SharedPackage
	Pinned   string
}

// Fields are the create form's shared fields.
func (d actionDaysData) Fields() adFields { return adFields{F: d.Form, Packages: d.Packages} }

// Fields are the settings form's shared fields.
func (d actionDayData) Fields() adFields {
	f := adFields{Packages: d.RulePackages}
	if d.Settings != nil {
		f.F = *d.Settings
	}
	if id, _, _ := strings.Cut(d.Day.Rules, "@"); id != "" && !slices.ContainsFunc(d.RulePackages, func(p hub.SharedPackage) bool { return p.ID == id }) {
		f.Pinned = d.Day.Rules
	}
	return f
}

// AllCodes lists the handling codes the form offers.
func (actionDayForm) AllCodes() []string { return []string{intel.H0, intel.H1, intel.H2, intel.H3} }

// Checked reports whether code is among the codes ticked.
func (f actionDayForm) Checked(code string) bool { return slices.Contains(f.Codes, code) }

// actionDays serves GET /action-days.
func (u *UI) actionDays(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderActionDays(w, r, s, http.StatusOK, actionDaysData{})
}

// renderActionDays fills d through hub.ActionDays and hub.ListGroups and
// renders the listing with status.
func (u *UI) renderActionDays(w http.ResponseWriter, r *http.Request, s *session, status int, d actionDaysData) {
	days, err := u.hub.ActionDays(r.Context(), s.caller)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Names, err = u.names(r, s); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Groups, err = u.hub.ListGroups(r.Context(), s.caller); err != nil && !errors.Is(err, intel.ErrForbidden) {
		u.fail(w, r, err)
		return
	}
	groupName := map[string]string{}
	for _, g := range d.Groups {
		groupName[g.ID] = g.Name
	}
	for _, day := range days {
		row := actionDayRow{ActionDay: day, Href: actionDayHref(day.ID), GroupName: groupName[day.Group]}
		if row.GroupName == "" {
			row.GroupName = day.Group
		}
		d.Days = append(d.Days, row)
	}
	d.CanCreate = policy.Can(s.caller, policy.CreateRecords) && len(d.Groups) > 0
	if d.CanCreate {
		if d.Packages, err = u.usablePackages(r, s); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	u.render(w, r, status, "actiondays.html", u.page(s, "actionday.list.title", d))
}

// usablePackages lists the shared rule packages the reader's organization
// may screen with (hub.ListRulePackages, the revoked ones left out), for a
// form's choice of rules.
func (u *UI) usablePackages(r *http.Request, s *session) ([]hub.SharedPackage, error) {
	pkgs, err := u.hub.ListRulePackages(r.Context(), s.caller)
	if err != nil {
		return nil, err
	}
	var out []hub.SharedPackage
	for _, p := range pkgs {
		if p.Revoked == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// readActionDayForm reads the fields the forms that open and change an
// action day share, and the handling they give (nil when none is set).
func readActionDayForm(r *http.Request) (actionDayForm, *intel.Handling) {
	f := actionDayForm{Name: r.PostFormValue("name"), Day: r.PostFormValue("day"), Group: r.PostFormValue("group"),
		Purpose: r.PostFormValue("purpose"), Conditions: r.PostFormValue("conditions"), Codes: r.PostForm["handling"], Rules: r.PostFormValue("rules")}
	if len(f.Codes) > 0 || strings.TrimSpace(f.Purpose) != "" || strings.TrimSpace(f.Conditions) != "" {
		return f, &intel.Handling{Codes: f.Codes, Purpose: f.Purpose, Conditions: f.Conditions}
	}
	return f, nil
}

// createActionDay serves POST /action-days: hub.CreateActionDay with the
// form, then the new day's page; the police of each country are taken
// from the group.
func (u *UI) createActionDay(w http.ResponseWriter, r *http.Request, s *session) {
	f, hd := readActionDayForm(r)
	in := hub.ActionDayInput{Name: f.Name, Day: f.Day, Group: f.Group, Rules: f.Rules, Handling: hd}
	day, err := u.hub.CreateActionDay(r.Context(), s.caller, in)
	if text, status, ok := actionDayFailure(ChooseLang(r), err, "actionday.forbidden.create"); ok {
		u.renderActionDays(w, r, s, status, actionDaysData{Form: f, ErrorText: text})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, actionDayHref(day.ID), http.StatusSeeOther)
}

// actionDayData is the /action-days/{id} page.
type actionDayData struct {
	Day   hub.ActionDay
	Href  string
	Names orgNames
	// Police lists the police named per country, by country.
	Police []actionDayPolice
	// Packages are the countries whose bookings the reader may see, with
	// their counts (hub.Summary): those with police first.
	Packages []actionDayPackageRow
	// The reader's part in the day.
	Coordinator, IsPolice, Airline bool
	// CanSubmit offers the upload (an airline with a role that submits),
	// CanName the coordinator's police form (policy.ChangeIntel).
	CanSubmit, CanName bool
	// PoliceOrgs are the directory's police organizations, for the form.
	PoliceOrgs []intel.Org
	// Result is the upload just made, File its file's name.
	Result *hub.SubmitResult
	File   string
	// Named is the country whose police was just named.
	Named     string
	ErrorText string
	// CanChange offers the coordinator's settings form (policy.ChangeIntel,
	// as CanName): Settings is the form, the day's settings or as sent
	// back after a refusal, RulePackages its choice of rules, Changed
	// set after a change.
	CanChange    bool
	Settings     *actionDayForm
	RulePackages []hub.SharedPackage
	Changed      bool
	// RulesName is the name of the day's rule package, when the reader
	// may see it.
	RulesName string
}

// actionDayPolice is a country and its police organization.
type actionDayPolice struct{ Country, Org string }

// actionDayPackageRow is a country's package in the overview.
type actionDayPackageRow struct {
	Country, Police, Href string
	Submitted, Pending    int
}

// RoutedRows is the upload's result per police organization, by name.
func (d actionDayData) RoutedRows() []actionDayCount {
	if d.Result == nil {
		return nil
	}
	return counts(d.Result.Routed)
}

// UnroutedRows is the upload's bookings waiting per country.
func (d actionDayData) UnroutedRows() []actionDayCount {
	if d.Result == nil {
		return nil
	}
	return counts(d.Result.Unrouted)
}

// actionDayCount is a key and its count.
type actionDayCount struct {
	Key string
	N   int
}

func counts(m map[string]int) []actionDayCount {
	var out []actionDayCount
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, actionDayCount{k, m[k]})
	}
	return out
}

// actionDay serves GET /action-days/{id}.
func (u *UI) actionDay(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderActionDay(w, r, s, http.StatusOK, actionDayData{})
}

// renderActionDay fills d with the day (hub.GetActionDay) and its
// packages (hub.Summary) and renders the overview with status. A day the
// reader's organization may not see is the 404 page.
func (u *UI) renderActionDay(w http.ResponseWriter, r *http.Request, s *session, status int, d actionDayData) {
	id := r.PathValue("id")
	day, err := u.hub.GetActionDay(r.Context(), s.caller, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	sum, err := u.hub.Summary(r.Context(), s.caller, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Names, err = u.names(r, s); err != nil {
		u.fail(w, r, err)
		return
	}
	d.Day, d.Href = day, actionDayHref(day.ID)
	for _, cc := range slices.Sorted(maps.Keys(day.Police)) {
		d.Police = append(d.Police, actionDayPolice{cc, day.Police[cc]})
	}
	for _, c := range sum.Countries {
		d.Packages = append(d.Packages, actionDayPackageRow{Country: c.Country, Police: c.Police, Href: packageHref(day.ID, c.Country),
			Submitted: c.Submitted, Pending: c.Pending})
	}
	// The countries with police first, then those whose bookings wait.
	slices.SortStableFunc(d.Packages, func(a, b actionDayPackageRow) int {
		return cmp.Compare(boolRank(a.Police == ""), boolRank(b.Police == ""))
	})
	org := s.caller.Org
	d.Coordinator = org == day.Coordinator
	d.IsPolice = slices.Contains(slices.Collect(maps.Values(day.Police)), org)
	d.Airline = policy.Group(s.caller, day.Group) && !d.Coordinator && !d.IsPolice
	d.CanSubmit = d.Airline && (policy.Can(s.caller, policy.CreateRecords) || policy.Can(s.caller, policy.SubmitEvents))
	d.CanName = d.Coordinator && policy.Can(s.caller, policy.ChangeIntel)
	d.CanChange = d.CanName
	rulesID, _, _ := strings.Cut(day.Rules, "@")
	if d.CanChange {
		if d.RulePackages, err = u.usablePackages(r, s); err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Settings == nil {
			// The name is left empty (kept), shown as the placeholder:
			// the originator's words reach the page through Visible.
			d.Settings = &actionDayForm{Codes: day.Handling.Codes, Purpose: day.Handling.Purpose,
				Conditions: day.Handling.Conditions, Rules: rulesID}
		}
		for _, p := range d.RulePackages {
			if p.ID == rulesID {
				d.RulesName = p.Package.Name
			}
		}
	}
	if d.CanName {
		for _, o := range d.Names {
			if o.Sector == "police" {
				d.PoliceOrgs = append(d.PoliceOrgs, o)
			}
		}
		slices.SortFunc(d.PoliceOrgs, func(a, b intel.Org) int {
			return strings.Compare(a.Country+a.Name+a.ID, b.Country+b.Name+b.ID)
		})
	}
	p := u.page(s, "actionday.title", d)
	p.Path = d.Href // after a form, the language switch returns to the day
	u.render(w, r, status, "actionday.html", p)
}

// boolRank orders false before true.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// submitBookings serves POST /action-days/{id}/bookings: the uploaded file
// of flagged bookings (JSON lines or CSV, by the form's format or the
// file's extension) to hub.SubmitBookings, then the day's page with what
// it did, or the line or field refused in place.
func (u *UI) submitBookings(w http.ResponseWriter, r *http.Request, s *session) {
	lang := ChooseLang(r)
	f, hdr, err := r.FormFile("bookings")
	if err != nil {
		u.renderActionDay(w, r, s, http.StatusBadRequest, actionDayData{ErrorText: lang.T("actionday.upload.nofile")})
		return
	}
	defer f.Close()
	format := r.PostFormValue("format")
	if format == "" || format == "auto" {
		format = "jsonl"
		if strings.EqualFold(path.Ext(hdr.Filename), ".csv") {
			format = "csv"
		}
	}
	d := actionDayData{File: hdr.Filename}
	if hdr.Size > api.MaxSubmitBody {
		d.ErrorText = lang.T("actionday.upload.toolarge", hdr.Filename, api.MaxSubmitBody>>20)
		u.renderActionDay(w, r, s, http.StatusRequestEntityTooLarge, d)
		return
	}
	res, err := u.hub.SubmitBookings(r.Context(), s.caller, r.PathValue("id"), format, io.LimitReader(f, api.MaxSubmitBody))
	if text, status, ok := actionDayFailure(lang, err, "actionday.forbidden.submit"); ok {
		d.ErrorText = text
		u.renderActionDay(w, r, s, status, d)
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Result = &res
	u.renderActionDay(w, r, s, http.StatusOK, d)
}

// namePolice serves POST /action-days/{id}/police: the coordinator names
// the police organization of a country (hub.UpdateActionDay), and the
// country's waiting bookings are routed to it.
func (u *UI) namePolice(w http.ResponseWriter, r *http.Request, s *session) {
	cc := strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))
	_, err := u.hub.UpdateActionDay(r.Context(), s.caller, r.PathValue("id"), hub.ActionDayPatch{Police: map[string]string{cc: r.PostFormValue("police")}})
	if text, status, ok := actionDayFailure(ChooseLang(r), err, "actionday.forbidden.police"); ok {
		u.renderActionDay(w, r, s, status, actionDayData{ErrorText: text})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderActionDay(w, r, s, http.StatusOK, actionDayData{Named: cc})
}

// changeActionDay serves POST /action-days/{id}/settings: the
// coordinator renames the day (a name left empty is kept), sets its
// handling again or screens it with another rule package
// (hub.UpdateActionDay). The rule package is sent
// only when another is chosen, so that the day's pinned version stays
// when the choice is left as it was.
func (u *UI) changeActionDay(w http.ResponseWriter, r *http.Request, s *session) {
	f, hd := readActionDayForm(r)
	if hd == nil {
		hd = &intel.Handling{}
	}
	patch := hub.ActionDayPatch{Handling: hd}
	if strings.TrimSpace(f.Name) != "" {
		patch.Name = &f.Name
	}
	day, err := u.hub.GetActionDay(r.Context(), s.caller, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if pinned, _, _ := strings.Cut(day.Rules, "@"); f.Rules != pinned {
		patch.Rules = &f.Rules
	}
	_, err = u.hub.UpdateActionDay(r.Context(), s.caller, r.PathValue("id"), patch)
	if text, status, ok := actionDayFailure(ChooseLang(r), err, "actionday.forbidden.change"); ok {
		u.renderActionDay(w, r, s, status, actionDayData{ErrorText: text, Settings: &f})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderActionDay(w, r, s, http.StatusOK, actionDayData{Changed: true})
}

// packageData is the /action-days/{id}/packages/{country} page.
type packageData struct {
	Day      hub.ActionDay
	DayHref  string
	Href     string
	Action   string
	Names    orgNames
	Package  hub.ActionDayPackage
	Bookings []bookingRow
	// Outcomes lists the outcomes the police may record.
	Outcomes []string
	// Recorded is the booking whose outcome was just recorded.
	Recorded  string
	ErrorText string
}

// bookingRow is a booking of a package as its row shows it.
type bookingRow struct {
	hub.BookingView
	ID string // the row's element id
	// CanRecord offers the outcome form: the reader's organization is the
	// police the booking was routed to, with a role that gives feedback.
	CanRecord bool
	Reasons   []string
}

// actionDayPackage serves GET /action-days/{id}/packages/{country}.
func (u *UI) actionDayPackage(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderPackage(w, r, s, http.StatusOK, r.PathValue("country"), packageData{})
}

// renderPackage fills d with the package of country (hub.ActionDayBookings)
// and renders it with status. A country that is no country, and a country
// whose package the reader has no booking of and is neither the police of
// nor the coordinator, are the 404 page: the overview links only the
// packages the reader may see.
func (u *UI) renderPackage(w http.ResponseWriter, r *http.Request, s *session, status int, country string, d packageData) {
	id := r.PathValue("id")
	lang := ChooseLang(r)
	day, err := u.hub.GetActionDay(r.Context(), s.caller, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	country = strings.ToUpper(country)
	pkg, err := u.hub.ActionDayBookings(r.Context(), s.caller, id, country)
	var fe *intel.FieldError
	if errors.As(err, &fe) {
		err = fmt.Errorf("%w: %w", intel.ErrNotFound, err) // no such country: no such page
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(pkg.Bookings) == 0 && s.caller.Org != day.Coordinator && s.caller.Org != day.Police[country] {
		u.notFound(w, r)
		return
	}
	if d.Names, err = u.names(r, s); err != nil {
		u.fail(w, r, err)
		return
	}
	d.Day, d.DayHref, d.Href, d.Package = day, actionDayHref(day.ID), packageHref(day.ID, country), pkg
	d.Action = d.DayHref + "/outcomes"
	d.Outcomes = hub.ActionDayOutcomes
	for i, b := range pkg.Bookings {
		// The outcome form is offered where the gate would take the outcome.
		may := policy.RecordOutcome(s.caller, b.Booking, policy.BookingShared(b.Airline, day.Coordinator, b.Police), b.Police) == nil
		row := bookingRow{BookingView: b, ID: fmt.Sprintf("booking-%d", i+1), CanRecord: may}
		for _, rs := range b.Reasons {
			row.Reasons = append(row.Reasons, ruleReason(lang, rs))
		}
		d.Bookings = append(d.Bookings, row)
	}
	p := u.page(s, "actionday.package.title", d)
	p.Path = d.Href
	u.render(w, r, status, "actionday_package.html", p)
}

// actionDayRuleKeys prefixes a built-in rule's id to make the catalogue
// key of its reason (in two parts, so that the catalogue test, which
// derives every key from the built-in package, does not take it for one).
const actionDayRuleKeys = "actionday" + ".rule."

// ruleReason is a screening reason in lang: the catalogue's text for a
// rule of the built-in package, else the rule package's own text.
func ruleReason(lang *Lang, r hub.ScreenReason) string {
	if k := actionDayRuleKeys + r.Rule; lang.Has(k) {
		return lang.T(k)
	}
	return r.Reason
}

// recordOutcome serves POST /action-days/{id}/outcomes: the police
// organization a booking was routed to records what came of it
// (hub.RecordOutcome), then the package of the booking's country with the
// outcome in place.
func (u *UI) recordOutcome(w http.ResponseWriter, r *http.Request, s *session) {
	country := r.PostFormValue("country")
	airline, booking := r.PostFormValue("airline"), r.PostFormValue("booking")
	_, err := u.hub.RecordOutcome(r.Context(), s.caller, r.PathValue("id"), airline, booking, r.PostFormValue("outcome"), r.PostFormValue("note"))
	if text, status, ok := actionDayFailure(ChooseLang(r), err, "actionday.forbidden.outcome"); ok {
		u.renderPackage(w, r, s, status, country, packageData{ErrorText: text})
		return
	} else if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderPackage(w, r, s, http.StatusOK, country, packageData{Recorded: booking})
}

// summaryData is the /action-days/{id}/summary page.
type summaryData struct {
	Sum     hub.ActionDaySummary
	DayHref string
	CSVHref string
	Names   orgNames
	// Outcomes are the table's outcome columns, in hub.ActionDayOutcomes'
	// order.
	Outcomes []string
	// Stopped counts arrests and denied boardings: the headline's "→".
	Stopped int
	// Groups are the rows by country, each country's airlines then its
	// total; Airlines the totals per airline; Total the day's.
	Groups   []summaryGroup
	Airlines []summaryRow
	Total    summaryRow
}

// summaryGroup is a country's rows in the summary.
type summaryGroup struct {
	Total summaryRow
	Rows  []summaryRow
}

// summaryRow is a row of the summary with its outcome counts in the
// columns' order.
type summaryRow struct {
	hub.SummaryRow
	Cells []int
}

func summaryRowOf(r hub.SummaryRow) summaryRow {
	v := summaryRow{SummaryRow: r}
	for _, o := range hub.ActionDayOutcomes {
		v.Cells = append(v.Cells, r.Outcomes[o])
	}
	return v
}

// actionDaySummary serves GET /action-days/{id}/summary.
func (u *UI) actionDaySummary(w http.ResponseWriter, r *http.Request, s *session) {
	sum, err := u.hub.Summary(r.Context(), s.caller, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := summaryData{Sum: sum, DayHref: actionDayHref(sum.ActionDay.ID), Outcomes: hub.ActionDayOutcomes,
		Stopped: sum.Total.Outcomes[hub.OutcomeArrest] + sum.Total.Outcomes[hub.OutcomeDeniedBoarding], Total: summaryRowOf(sum.Total)}
	d.CSVHref = d.DayHref + "/summary.csv"
	if d.Names, err = u.names(r, s); err != nil {
		u.fail(w, r, err)
		return
	}
	for _, c := range sum.Countries {
		g := summaryGroup{Total: summaryRowOf(c)}
		for _, row := range sum.Rows {
			if row.Country == c.Country {
				g.Rows = append(g.Rows, summaryRowOf(row))
			}
		}
		d.Groups = append(d.Groups, g)
	}
	for _, a := range sum.Airlines {
		d.Airlines = append(d.Airlines, summaryRowOf(a))
	}
	u.render(w, r, http.StatusOK, "actionday_summary.html", u.page(s, "actionday.summary.title", d))
}

// actionDaySummaryCSV serves GET /action-days/{id}/summary.csv: the
// summary as the API's ?format=csv gives it (api.SummaryHeader and
// api.SummaryRecords).
func (u *UI) actionDaySummaryCSV(w http.ResponseWriter, r *http.Request, s *session) {
	sum, err := u.hub.Summary(r.Context(), s.caller, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="action-day-`+sum.ActionDay.ID+`.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(api.SummaryHeader())
	cw.WriteAll(api.SummaryRecords(sum))
}
