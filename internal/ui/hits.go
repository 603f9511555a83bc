package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// MaxHitLines bounds the values of one hit/no-hit paste in the UI (the
// hub's own bound, hub.MaxHitValues, is for programs).
const MaxHitLines = 1000

// MaxHitsForm bounds the body of a hit/no-hit post: MaxHitLines values of
// up to 2 KiB each, with room for the form's other fields.
const MaxHitsForm = MaxHitLines*2048 + 4096

// hitsData is the hit/no-hit page: the paste as typed, the answers, and an
// error to show in place.
type hitsData struct {
	Values    string
	Answers   []hitView
	Asked     bool
	ErrorText string
	MaxLines  int
}

// hitView is the answer for one pasted value: the hub's answer, and the
// error of a value the hub could not read, in words.
type hitView struct {
	hub.HitAnswer
	ErrText string
}

// hitsPage serves GET /hits: the paste box.
func (u *UI) hitsPage(w http.ResponseWriter, r *http.Request, s *session) {
	u.render(w, r, http.StatusOK, "hits.html", u.page(s, "hits.title", hitsData{MaxLines: MaxHitLines}))
}

// hits serves POST /hits: each non-empty line of the paste (defanged or
// not) is one value, asked of hub.Hits as the session's caller. The page
// shows, per value, exactly what the hub answered: the records the reader
// may see (linked), and the discoverable records of other organizations as
// their owner and a request-access form carrying the hub's opaque ref.
func (u *UI) hits(w http.ResponseWriter, r *http.Request, s *session) {
	d := hitsData{Values: r.PostFormValue("values"), MaxLines: MaxHitLines, Asked: true}
	values, err := pastedValues(d.Values, MaxHitLines)
	if err != nil {
		d.ErrorText = err.Error()
		u.render(w, r, http.StatusBadRequest, "hits.html", u.page(s, "hits.title", d))
		return
	}
	answers, err := u.hub.Hits(r.Context(), s.caller, values)
	var fe *intel.FieldError
	switch {
	case errors.As(err, &fe) || errors.Is(err, hub.ErrTooMany):
		d.ErrorText = err.Error()
		u.render(w, r, http.StatusBadRequest, "hits.html", u.page(s, "hits.title", d))
		return
	case errors.Is(err, hub.ErrNoIndex):
		d.ErrorText = err.Error()
		u.render(w, r, http.StatusServiceUnavailable, "hits.html", u.page(s, "hits.title", d))
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	for _, a := range answers {
		v := hitView{HitAnswer: a}
		if a.Err != nil {
			v.ErrText = a.Err.Error()
		}
		d.Answers = append(d.Answers, v)
	}
	u.render(w, r, http.StatusOK, "hits.html", u.page(s, "hits.title", d))
}

// pastedValues splits a paste into its values: one a line, trimmed, blank
// lines skipped. More than max values, or none, is an error naming the
// field.
func pastedValues(paste string, max int) ([]string, error) {
	var out []string
	for line := range strings.Lines(paste) {
		v := strings.TrimSpace(line)
		if v == "" {
			continue
		}
		if len(out) == max {
			return nil, &intel.FieldError{Field: "values", Reason: fmt.Sprintf("more than %d values; paste at most %d lines at a time", max, max)}
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, &intel.FieldError{Field: "values", Reason: "no value: paste one value a line"}
	}
	return out, nil
}

// maxSmallForm bounds the body of the one-line forms: an access request,
// a decision, feedback (a note of up to 4 KiB, percent-encoded).
const maxSmallForm = 64 << 10
