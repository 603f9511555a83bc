package ui

import (
	"html/template"
	"net/http"
	"os"

	"fusion/internal/ui/chart"
)

// SpecimenHandler serves, for the browser tests only, the UI with one more
// page, GET /specimen: testdata/specimen.html in the real layout, showing
// values through every helper and a chart whose labels are values.
func SpecimenHandler(values []string) http.Handler {
	vs, err := parseViews(os.DirFS("testdata"), ".")
	if err != nil {
		panic(err)
	}
	u := New(Options{Key: make([]byte, 32), Log: quiet})
	pts := make([]chart.Point, len(values))
	for i, v := range values {
		pts[i] = chart.Point{Label: v, Value: float64(i + 1)}
	}
	data := struct {
		Values []string
		Chart  template.HTML
	}{values, template.HTML(chart.Bar{Title: values[0], Desc: values[0], YLabel: "records", Points: pts}.SVG())}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /specimen", func(w http.ResponseWriter, r *http.Request) {
		u.renderWith(vs, w, r, http.StatusOK, "specimen.html", &Page{TitleKey: "about.title", Data: data})
	})
	mux.Handle("/", u.Handler())
	return secure(mux)
}

// NewTestAuth returns the login tests' Auth: user "ann", password "pw",
// and with totp the second step's code "123456".
func NewTestAuth(totp bool) Auth { return &testAuth{totp: totp} }
