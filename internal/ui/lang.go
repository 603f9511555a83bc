package ui

import (
	"fmt"
	"net/http"
	"time"
)

// switchLang serves POST /lang: it sets the lang cookie to the chosen
// language (form field lang) for a year and returns to next, a path on this
// site. An unknown language is a 400.
func (u *UI) switchLang(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	code := r.PostFormValue("lang")
	l := LangByCode(code)
	if l == nil {
		http.Error(w, fmt.Sprintf("lang: %.40q is not a language of this UI (en, ja)", code), http.StatusBadRequest)
		return
	}
	c := u.cookie(r, LangCookie, l.Code, time.Now().AddDate(1, 0, 0))
	http.SetCookie(w, c)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}
