package ui

import "net/http"

// notFoundData is the path that was not found, made visible and cut.
type notFoundData struct{ Path string }

// notFound answers 404 with a page that names the path asked for.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	p, _ := Truncate(Visible(r.URL.Path), MaxShown)
	u.render(w, r, http.StatusNotFound, "notfound.html", &Page{TitleKey: "notfound.title", Data: notFoundData{Path: p}})
}
