package ui

import (
	"cmp"
	"html/template"
	"net/http"
	"slices"
	"strconv"

	"fusion/internal/c2"
	"fusion/internal/finding"
	"fusion/internal/ui/chart"
)

// detectionsData is the detections page: the organization's C2 findings,
// grouped by the internal host that made the traffic.
type detectionsData struct {
	Hosts    []detectionHost
	Findings int
}

// detectionHost is one internal host and its findings, worst first.
type detectionHost struct {
	Host     string
	Severity string // its worst finding's
	Findings []detectionView
}

// detectionView is one finding as the page shows it.
type detectionView struct {
	finding.Finding
	ID string // the finding's element id on the page
	// Chart is the interval histogram of a beacon or poll, as SVG.
	Chart template.HTML
}

// kindKeys and severityKeys are the catalogue keys of the finding kinds and
// the severity buckets (c2.Severity).
var (
	kindKeys = map[string]string{
		finding.C2Beacon: "detections.kind.beacon",
		finding.C2Poll:   "detections.kind.poll",
		finding.C2DNS:    "detections.kind.dns",
		finding.LongConn: "detections.kind.long",
	}
	severityKeys = map[string]string{
		c2.SevCritical: "detections.severity.critical",
		c2.SevHigh:     "detections.severity.high",
		c2.SevMedium:   "detections.severity.medium",
		c2.SevLow:      "detections.severity.low",
		c2.SevNone:     "detections.severity.none",
	}
)

// KindKey is the catalogue key of the finding's kind (another detector's
// kind is shown as it is named).
func (v detectionView) KindKey() string { return cmp.Or(kindKeys[v.Kind], v.Kind) }

// severityKey is the catalogue key of a severity.
func severityKey(sev string) string { return cmp.Or(severityKeys[sev], "detections.severity.none") }

// severityClass is the badge's class for a severity.
func severityClass(sev string) string {
	if _, ok := severityKeys[sev]; ok {
		return "sev sev-" + sev
	}
	return "sev sev-none"
}

// SeverityKey and SeverityClass name the host's worst severity and its
// badge's class.
func (h detectionHost) SeverityKey() string   { return severityKey(h.Severity) }
func (h detectionHost) SeverityClass() string { return severityClass(h.Severity) }

// SeverityKey and SeverityClass name the finding's severity and its
// badge's class.
func (v detectionView) SeverityKey() string   { return severityKey(v.Severity) }
func (v detectionView) SeverityClass() string { return severityClass(v.Severity) }

// ScoreText writes the score with two decimals.
func (v detectionView) ScoreText() string { return strconv.FormatFloat(v.Score, 'f', 2, 64) }

// Connections is the connection count the finding rests on, or 0.
func (v detectionView) Connections() int { return int(v.Stats["connections"]) }

// detections serves GET /detections: the C2 detections (beacons, web
// polling, DNS tunnels, long connections) in the Zeek logs the reader's
// organization posted, from hub.Detections, which gives only the caller's
// own organization's.
func (u *UI) detections(w http.ResponseWriter, r *http.Request, s *session) {
	fs, err := u.hub.Detections(r.Context(), s.caller)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := ChooseLang(r)
	d := detectionsData{Findings: len(fs)}
	byHost := map[string]int{}
	for i, f := range fs {
		host := cmp.Or(f.Entity, f.Src)
		j, ok := byHost[host]
		if !ok {
			j = len(d.Hosts)
			byHost[host] = j
			d.Hosts = append(d.Hosts, detectionHost{Host: host, Severity: f.Severity})
		}
		v := detectionView{Finding: f, ID: "detection-" + strconv.Itoa(i+1)}
		if len(f.Intervals) > 0 {
			v.Chart = template.HTML(intervalChart(v.ID, lang.T("detections.chart.title", f.Dst), lang.T("detections.chart.y"), f.Intervals).SVG())
		}
		d.Hosts[j].Findings = append(d.Hosts[j].Findings, v)
	}
	// Hosts by their worst finding (findings come highest score first).
	slices.SortStableFunc(d.Hosts, func(a, b detectionHost) int {
		return cmp.Or(cmp.Compare(b.Findings[0].Score, a.Findings[0].Score), cmp.Compare(a.Host, b.Host))
	})
	u.render(w, r, http.StatusOK, "detections.html", u.page(s, "detections.title", d))
}

// chartBins is the fewest bins an interval histogram shows (four
// octaves), so that a beacon's one tall bar stands among empty ones.
const chartBins = 16

// intervalChart draws a finding's interval histogram (bin i starts at
// c2.IntervalBin(i) seconds, four bins an octave): the bins that hold
// something and an octave either side, at least chartBins, with ticks at
// whole octaves.
func intervalChart(id, title, ylabel string, bins []int) chart.Histogram {
	first := max(0, slices.IndexFunc(bins, func(n int) bool { return n > 0 }))
	last := max(first, len(bins)-1)
	from, to := max(0, first-4), min(c2.IntervalBins, last+5)
	for to-from < chartBins && (from > 0 || to < c2.IntervalBins) {
		if from > 0 {
			from--
		}
		if to < c2.IntervalBins && to-from < chartBins {
			to++
		}
	}
	h := chart.Histogram{ID: id + "-chart", Title: title, YLabel: ylabel, Width: 480, Height: 180}
	for i := from; i < to; i++ {
		n := 0
		if i < len(bins) {
			n = bins[i]
		}
		h.Bins = append(h.Bins, chart.Point{Label: c2.Duration(c2.IntervalBin(i)) + " – " + c2.Duration(c2.IntervalBin(i+1)), Value: float64(n)})
	}
	// A tick every octave, or every second or fourth one on a wide range.
	step := 4
	for (to-from)/step > 6 {
		step *= 2
	}
	for i := from + (4-from%4)%4; i < to; i += step {
		h.Ticks = append(h.Ticks, chart.Tick{At: float64(i - from), Label: c2.Duration(c2.IntervalBin(i))})
	}
	return h
}
