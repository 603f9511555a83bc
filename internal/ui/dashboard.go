package ui

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/ui/chart"
)

// dashboardWindow is how many days the dashboard's time charts cover, and
// dashboardRecords the most of the organization's newest records it counts.
const (
	dashboardWindow  = 30
	dashboardRecords = 10_000
)

// dashboardData is the organization's dashboard: its figures and charts.
type dashboardData struct {
	Records, Capped      int  // own records counted (capped at dashboardRecords)
	More                 bool // the organization holds more records than were counted
	Pending              int  // access requests awaiting its decision
	Sightings, Feedback  int  // on its records, by other organizations
	Created, Labels      template.HTML
	Outcomes, TopRecords template.HTML
}

// dashboard serves GET /dashboard: the reader's organization's records
// created over the last 30 days and by label, what its records led to at
// other organizations (feedback by outcome, the most sighted records), and
// the access requests waiting for it — all through hub methods, so every
// count is of what the gate lets this organization see (its own records,
// and the feedback and sightings the hub shows an originator).
func (u *UI) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, c := r.Context(), s.caller
	p := u.page(s, "dashboard.title", nil)
	lang := ChooseLang(r)
	d := dashboardData{}
	now := time.Now().UTC()
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -dashboardWindow+1)
	perDay := map[time.Time]float64{}
	perLabel := map[string]float64{}
	f := hub.RecordFilter{Originator: c.Org, Limit: 1000}
	for d.Records < dashboardRecords {
		page, err := u.hub.ListRecords(ctx, c, f)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		for _, rec := range page.Items {
			d.Records++
			if day := rec.Created.UTC().Truncate(24 * time.Hour); !day.Before(start) {
				perDay[day]++
			}
			for _, l := range rec.Labels {
				perLabel[l]++
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor, d.More = page.Next, true
	}
	if d.Records < dashboardRecords {
		d.More = false
	}
	days := make([]chart.TimePoint, 0, dashboardWindow)
	for i := range dashboardWindow {
		day := start.AddDate(0, 0, i)
		days = append(days, chart.TimePoint{T: day, V: perDay[day]})
	}
	d.Created = template.HTML(chart.Series{ID: "created", Kind: chart.Columns, Title: lang.T("dashboard.created"),
		YLabel: lang.T("dashboard.records"), Points: days, Loc: p.Loc}.SVG())
	d.Labels = template.HTML(chart.Bar{ID: "labels", Title: lang.T("dashboard.labels"), YLabel: lang.T("dashboard.records"),
		Points: top(perLabel, 8)}.SVG())

	fb, err := u.hub.Feedback(ctx, c, 1000, "")
	if err != nil {
		u.fail(w, r, err)
		return
	}
	outcomes := map[string]float64{}
	for o, n := range fb.Totals {
		outcomes[o] = float64(n)
		d.Feedback += n
	}
	sighted := map[string]float64{}
	for _, rf := range fb.Records {
		d.Sightings += rf.Sightings
		if rf.Sightings > 0 {
			v, _ := Truncate(rf.Value, 40)
			sighted[Visible(v)] += float64(rf.Sightings)
		}
	}
	d.Outcomes = template.HTML(chart.Bar{ID: "outcomes", Title: lang.T("dashboard.outcomes"), YLabel: lang.T("dashboard.reports"),
		Points: top(outcomes, 8)}.SVG())
	d.TopRecords = template.HTML(chart.Bar{ID: "sighted", Title: lang.T("dashboard.sighted"), YLabel: lang.T("dashboard.sightings"),
		Points: top(sighted, 8)}.SVG())

	reqs, err := u.hub.AccessRequests(ctx, c, true)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	for _, a := range reqs {
		if a.Status == "pending" {
			d.Pending++
		}
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "dashboard.html", p)
}

// top returns the n largest counts of m as chart points, largest first
// (ties by name).
func top(m map[string]float64, n int) []chart.Point {
	out := make([]chart.Point, 0, len(m))
	for k, v := range m {
		out = append(out, chart.Point{Label: k, Value: v})
	}
	slices.SortFunc(out, func(a, b chart.Point) int {
		switch {
		case a.Value > b.Value:
			return -1
		case a.Value < b.Value:
			return 1
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out[:min(n, len(out))]
}
