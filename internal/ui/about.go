package ui

import (
	"net/http"
	"strings"

	"fusion/internal/intel"
)

// aboutData is what the about page shows: the handling model's legend.
type aboutData struct {
	TLPs   []tlpRow
	HCodes []string
}

// tlpRow is a TLP label and the catalogue key of its meaning.
type tlpRow struct{ Label, MeaningKey string }

// tlpKey is the catalogue key of the meaning of t ("tlp.amber-strict").
func tlpKey(t intel.TLP) string { return "tlp." + strings.ReplaceAll(string(t), "+", "-") }

// about serves GET / and GET /about: what the hub is, its other surfaces
// and the handling model (TLP badges and handling codes) in words.
func (u *UI) about(w http.ResponseWriter, r *http.Request) {
	d := aboutData{HCodes: []string{intel.H0, intel.H1, intel.H2, intel.H3}}
	for _, t := range intel.TLPs {
		d.TLPs = append(d.TLPs, tlpRow{string(t), tlpKey(t)})
	}
	u.render(w, r, http.StatusOK, "about.html", &Page{TitleKey: "about.title", Data: d})
}
