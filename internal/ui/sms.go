package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/ui/chart"
)

// The SMS-pumping guard's pages: /sms lists the organization's apps with
// their last 24 hours, /sms/{app} shows one app's traffic over two days
// (per hour, country and 1,000-number block), its blocks in force with
// their reasons, and a button per block that releases it. Everything
// comes from hub.SMSApps, hub.SMSApp and hub.SMSRelease, which give the
// caller's own organization's apps only (policy.ReadVerdicts; a release
// also policy.ChangeIntel).

// smsDayHours is the span of the figures beside an app's name.
const smsDayHours = 24

// smsFigures are an app's, a country's or a block's counts as the pages
// show them.
type smsFigures struct {
	sms.Tally
	// Conversion is codes entered ÷ requests as a percentage, or "—"
	// without requests.
	Conversion string
}

func figures(t sms.Tally) smsFigures {
	f := smsFigures{Tally: t, Conversion: "—"}
	if c, ok := t.Conversion(); ok {
		f.Conversion = strconv.FormatFloat(100*c, 'f', 1, 64) + " %"
	}
	return f
}

// smsAppRow is an app in the listing.
type smsAppRow struct {
	App, Href string
	Day       smsFigures
	Blocks    int
}

// smsListData is the /sms page.
type smsListData struct {
	Apps []smsAppRow
}

// smsHref is the path of app's page.
func smsHref(app string) string { return "/sms/" + url.PathEscape(app) }

// smsList serves GET /sms: the organization's apps with their requests,
// conversion, challenges and blocks over the last 24 hours and the blocks
// they have in force.
func (u *UI) smsList(w http.ResponseWriter, r *http.Request, s *session) {
	apps, err := u.hub.SMSApps(r.Context(), s.caller)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := smsListData{}
	for _, a := range apps {
		d.Apps = append(d.Apps, smsAppRow{App: a.App, Href: smsHref(a.App), Day: figures(a.Last(smsDayHours)), Blocks: len(a.Blocks)})
	}
	u.render(w, r, http.StatusOK, "sms.html", u.page(s, "sms.title", d))
}

// smsBlockView is a block in force as the app's page shows it.
type smsBlockView struct {
	hub.SMSBlock
	ID string // the block's element id
	// RuleText and ReasonTexts are the rule and reasons in the reader's
	// language (a name the catalogue lacks as it is).
	RuleText    string
	ReasonTexts []string
}

// smsLineView is a country or block in a table.
type smsLineView struct {
	Key, Country, Carrier string
	Figures               smsFigures
	// Blocked: for a block, a block in force covers it; for a country,
	// some of its requests were blocked.
	Blocked bool
}

// smsAppData is the /sms/{app} page.
type smsAppData struct {
	App, Href, Action string
	Day, Span         smsFigures
	Start, End        time.Time
	Blocks            []smsBlockView
	// CanRelease offers the release buttons (policy.ChangeIntel and
	// policy.ReadVerdicts, as hub.SMSRelease asks).
	CanRelease bool
	// Released is the block just released; ErrorText a release refused.
	Released  *hub.SMSBlock
	ErrorText string

	HourChart, ConversionChart, CountryChart, PrefixChart template.HTML
	// Countries and Prefixes are the tables' first smsTopRows rows; the
	// rest are under a disclosure.
	Countries, Prefixes, MoreCountries, MorePrefixes []smsLineView
}

// smsTopRows is how many rows of a table show before "all of them".
const smsTopRows = 12

// smsApp serves GET /sms/{app}.
func (u *UI) smsApp(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderSMSApp(w, r, s, http.StatusOK, r.PathValue("app"), smsAppData{})
}

// smsRelease serves POST /sms/{app}/release with prefix: hub.SMSRelease,
// then the app's page with the block released named at its top, or the
// refusal in place. Another organization's app, or one that does not
// exist, is the 404 page, as its page is.
func (u *UI) smsRelease(w http.ResponseWriter, r *http.Request, s *session) {
	app := r.PathValue("app")
	b, err := u.hub.SMSRelease(r.Context(), s.caller, app, r.PostFormValue("prefix"))
	var fe *intel.FieldError
	switch {
	case err == nil:
		u.renderSMSApp(w, r, s, http.StatusOK, app, smsAppData{Released: &b})
	case errors.As(err, &fe):
		u.renderSMSApp(w, r, s, http.StatusBadRequest, app, smsAppData{ErrorText: err.Error()})
	case hub.IsNotFoundErr(err):
		// Not in force (any more): said on the app's page, which is
		// itself not found for an app the caller's organization lacks.
		lang := ChooseLang(r)
		u.renderSMSApp(w, r, s, http.StatusNotFound, app, smsAppData{ErrorText: lang.T("sms.release.gone", r.PostFormValue("prefix"))})
	default:
		u.fail(w, r, err)
	}
}

// smsTopCountries and smsTopPrefixes are how many countries and blocks
// the bar charts show (the tables list them all): as many as have room
// for their labels (a block's is ten characters or more).
const (
	smsTopCountries = 12
	smsTopPrefixes  = 6
)

// renderSMSApp fills d with app's traffic and blocks, through hub.SMSApp,
// and renders the app's page with status.
func (u *UI) renderSMSApp(w http.ResponseWriter, r *http.Request, s *session, status int, app string, d smsAppData) {
	a, err := u.hub.SMSApp(r.Context(), s.caller, app)
	var fe *intel.FieldError
	if errors.As(err, &fe) {
		err = fmt.Errorf("%w: %w", intel.ErrNotFound, err) // a name no app can have: no such page
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := ChooseLang(r)
	d.App, d.Href = a.App, smsHref(a.App)
	d.Action = d.Href + "/release"
	d.Day, d.Span = figures(a.Last(smsDayHours)), figures(a.Total)
	d.Start, d.End = a.Start.Add(time.Duration(smsShown(a))*time.Hour), a.Start.Add(time.Duration(len(a.Hours))*time.Hour)
	d.CanRelease = policy.Can(s.caller, policy.ChangeIntel) && policy.Can(s.caller, policy.ReadVerdicts)
	for i, b := range a.Blocks {
		v := smsBlockView{SMSBlock: b, ID: "block-" + strconv.Itoa(i+1), RuleText: smsReason(lang, b.Rule)}
		for _, r := range b.Reasons {
			v.ReasonTexts = append(v.ReasonTexts, smsReason(lang, r))
		}
		d.Blocks = append(d.Blocks, v)
	}
	blocked := func(prefix string) bool {
		for _, b := range a.Blocks {
			if strings.HasPrefix(prefix, b.Prefix) {
				return true
			}
		}
		return false
	}
	for i, l := range a.Countries {
		v := smsLineView{Key: l.Key, Figures: figures(l.Total), Blocked: l.Total.Blocked > 0}
		if i < smsTopRows {
			d.Countries = append(d.Countries, v)
		} else {
			d.MoreCountries = append(d.MoreCountries, v)
		}
	}
	for i, l := range a.Prefixes {
		v := smsLineView{Key: l.Key, Country: l.Country, Carrier: l.Carrier, Figures: figures(l.Total), Blocked: blocked(l.Key)}
		if i < smsTopRows {
			d.Prefixes = append(d.Prefixes, v)
		} else {
			d.MorePrefixes = append(d.MorePrefixes, v)
		}
	}
	d.HourChart, d.ConversionChart = smsHourCharts(lang, a)
	d.CountryChart = smsLineChart("sms-countries", lang.T("sms.chart.countries"), lang, a.Countries, smsTopCountries, func(l sms.SeriesLine) string {
		if l.Key == "" {
			return lang.T("sms.country.none")
		}
		return l.Key
	})
	d.PrefixChart = smsLineChart("sms-prefixes", lang.T("sms.chart.prefixes"), lang, a.Prefixes, smsTopPrefixes, func(l sms.SeriesLine) string { return l.Key })
	p := u.page(s, "sms.app.title", d)
	// After a release the page is the answer to a POST: the language
	// switch returns to the app's page, not to the release.
	p.Path = d.Href
	u.render(w, r, status, "sms_app.html", p)
}

// smsReasonKeys prefixes a reason's name to make its catalogue key
// (written in two parts so that the catalogue test, which derives every
// sms.reason.* key from sms.Reasons, does not take it for a key).
const smsReasonKeys = "sms" + ".reason."

// smsReason is a reason's (or rule's) name in lang: the catalogue's
// sms.reason.<name>, or the name as it is when the catalogue lacks it.
func smsReason(lang *Lang, name string) string {
	if k := smsReasonKeys + name; lang.Has(k) {
		return lang.T(k)
	}
	return name
}

// smsLayers are the verdict layers of the stacked charts: allowed in
// blue, challenged in amber, blocked in red (each with text beside it in
// the legend, and named in every tooltip and in the description).
func smsLayers(lang *Lang) []chart.Layer {
	return []chart.Layer{{Name: lang.T("sms.allowed"), Fill: "#1f5fa8"}, {Name: lang.T("sms.challenged"), Fill: "#c77700"}, {Name: lang.T("sms.blocked"), Fill: "#b3261e"}}
}

func verdictValues(t sms.Tally) []float64 {
	return []float64{float64(t.Allowed), float64(t.Challenged), float64(t.Blocked)}
}

// smsMinHours is the fewest hours the charts over time show.
const smsMinHours = 12

// smsShown is the first of a's hours the charts show: the first with
// traffic, or the last smsMinHours when later or when there is none.
func smsShown(a hub.SMSApp) int {
	first := slices.IndexFunc(a.Hours, func(t sms.Tally) bool { return t != (sms.Tally{}) })
	if first < 0 {
		first = len(a.Hours)
	}
	return max(0, min(first, len(a.Hours)-smsMinHours))
}

// smsHourCharts draws the app's requests per hour stacked by verdict and
// its conversion per hour, from the hour smsShown gives, with a tick
// every one, two, three, six or twelve hours, at most eight (the date at
// midnight, UTC).
func smsHourCharts(lang *Lang, a hub.SMSApp) (template.HTML, template.HTML) {
	req := chart.Stacked{ID: "sms-hours", Title: lang.T("sms.chart.hours"), YLabel: lang.T("sms.requests"), Width: 880, Height: 260, Layers: smsLayers(lang)}
	conv := chart.Stacked{ID: "sms-conversion", Title: lang.T("sms.chart.conversion"), YLabel: "%", Width: 880, Height: 220, Max: 100,
		Layers: []chart.Layer{{Name: lang.T("sms.conversion.layer"), Fill: "#2e7d32"}}}
	from := smsShown(a)
	step := 1
	for _, s := range []int{2, 3, 6, 12} {
		if (len(a.Hours)-from)/step > 8 {
			step = s
		}
	}
	for i, h := range a.Hours[from:] {
		at := a.Start.Add(time.Duration(from+i) * time.Hour).UTC()
		label := at.Format("2006-01-02 15:04 UTC")
		req.Bars = append(req.Bars, chart.Stack{Label: label, Values: verdictValues(h)})
		c, _ := h.Conversion()
		conv.Bars = append(conv.Bars, chart.Stack{Label: label, Values: []float64{100 * c}})
		if at.Hour()%step == 0 {
			tick := at.Format("15:04")
			if at.Hour() == 0 {
				tick = at.Format("01-02")
			}
			req.Ticks = append(req.Ticks, chart.Tick{At: float64(i) + 0.5, Label: tick})
			conv.Ticks = append(conv.Ticks, chart.Tick{At: float64(i) + 0.5, Label: tick})
		}
	}
	return template.HTML(req.SVG()), template.HTML(conv.SVG())
}

// smsLineChart draws the first top lines' requests over the two days,
// stacked by verdict.
func smsLineChart(id, title string, lang *Lang, lines []sms.SeriesLine, top int, label func(sms.SeriesLine) string) template.HTML {
	if len(lines) == 0 {
		return ""
	}
	c := chart.Stacked{ID: id, Title: title, YLabel: lang.T("sms.requests"), Width: 880, Height: 240, Layers: smsLayers(lang)}
	for _, l := range lines[:min(len(lines), top)] {
		c.Bars = append(c.Bars, chart.Stack{Label: label(l), Values: verdictValues(l.Total)})
	}
	return template.HTML(c.SVG())
}
