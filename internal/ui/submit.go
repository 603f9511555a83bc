package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
)

// Bounds of a submission: the paste box holds at most maxPaste bytes and
// hub.MaxBatch values; the whole form at most maxSubmitForm bytes.
const (
	maxPaste      = 1 << 20
	maxSubmitForm = maxPaste + 64<<10
)

// sharing is how submitted records are shared: the fields the single
// form and the bulk paste box have in common, as typed.
type sharing struct {
	TLP                 string
	Labels              []string
	Tags, Orgs, Groups  string
	Codes               []string
	Purpose, Conditions string
	Force               bool
}

// sharingView is one form's sharing fieldset: the page (for T), the
// form's values, the prefix of its element ids, and the choices.
type sharingView struct {
	Page   *Page
	Prefix string
	S      sharing
	// Warned shows the "share anyway" checkbox: the last attempt met a
	// warning list.
	Warned bool
}

// TLPs lists the TLP labels, least restricted first.
func (sharingView) TLPs() []intel.TLP { return intel.TLPs }

// Labels lists the label vocabulary.
func (sharingView) Labels() []intel.Label { return intel.Labels }

// Codes lists the handling codes.
func (sharingView) Codes() []string { return []string{intel.H0, intel.H1, intel.H2, intel.H3} }

// Has reports whether list holds s (a ticked box).
func (sharingView) Has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lineResult is what became of one submitted value.
type lineResult struct {
	Line  int    // 1-based line of the paste box; 0 for the single form
	Input string // the value as typed
	// Status is hub.Created, hub.Updated or hub.Unchanged, or empty when
	// the value was refused with Error.
	Status string
	Record intel.Record
	Error  string
	// Warnings are the warning lists that refused the value, each with its
	// reason ("public-dns-resolvers: …").
	Warnings []string
}

// submitData is the submit page: both forms as typed, the results of the
// last attempt and a form-level error.
type submitData struct {
	Value, Type, Description string
	Paste                    string
	One, Bulk                sharingView
	Types                    []string
	// Sent names the form of the last attempt ("one" or "bulk").
	Sent      string
	Results   []lineResult
	Refused   int
	ErrorText string
	// CannotSubmit disables the forms: the reader's role may not submit.
	CannotSubmit bool
}

// submitPage serves GET /submit: the form for one record and the paste box.
func (u *UI) submitPage(w http.ResponseWriter, r *http.Request, s *session) {
	d := &submitData{One: sharingView{S: sharing{TLP: "amber"}}, Bulk: sharingView{S: sharing{TLP: "amber"}}}
	u.renderSubmit(w, r, s, http.StatusOK, d)
}

func (u *UI) renderSubmit(w http.ResponseWriter, r *http.Request, s *session, status int, d *submitData) {
	for _, t := range observable.Types() {
		d.Types = append(d.Types, string(t))
	}
	d.CannotSubmit = !policy.Can(s.caller, policy.CreateRecords)
	p := u.page(s, "submit.title", d)
	d.One.Page, d.One.Prefix = p, "one-"
	d.Bulk.Page, d.Bulk.Prefix = p, "bulk-"
	u.render(w, r, status, "submit.html", p)
}

// readSharing reads the sharing fields of a posted form (the names are
// the same in every form; only the element ids carry a prefix).
func readSharing(r *http.Request) sharing {
	f := r.PostForm
	return sharing{
		TLP: strings.TrimSpace(f.Get("tlp")), Labels: f["label"], Tags: f.Get("tags"),
		Orgs: f.Get("orgs"), Groups: f.Get("groups"), Codes: f["handling"],
		Purpose: f.Get("purpose"), Conditions: f.Get("conditions"), Force: f.Get("force") != "",
	}
}

// splitList splits a list typed as words separated by commas, spaces or
// line breaks; empty items are dropped.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// input returns a record input of value under sh.
func (sh sharing) input(typ, value, description string) intel.RecordInput {
	in := intel.RecordInput{Type: typ, Value: value, Description: description, TLP: sh.TLP,
		Labels: sh.Labels, Tags: splitList(sh.Tags), Force: sh.Force}
	if orgs, groups := splitList(sh.Orgs), splitList(sh.Groups); len(orgs)+len(groups) > 0 {
		in.Audience = &intel.Audience{Orgs: orgs, Groups: groups}
	}
	if len(sh.Codes) > 0 || sh.Purpose != "" || sh.Conditions != "" {
		in.Handling = &intel.Handling{Codes: sh.Codes, Purpose: sh.Purpose, Conditions: sh.Conditions}
	}
	return in
}

// pasteLine is one non-blank line of the paste box.
type pasteLine struct {
	n     int
	value string
}

// pasteLines splits a paste into its non-blank lines, trimmed, with their
// line numbers.
func pasteLines(paste string) []pasteLine {
	var out []pasteLine
	for i, l := range strings.Split(paste, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(l, "\uFEFF"))
		if l != "" {
			out = append(out, pasteLine{i + 1, l})
		}
	}
	return out
}

// submit serves POST /submit: the single form (form=one) or the paste box
// (form=bulk) through hub.CreateRecords as the session's caller. Each
// value is answered in place: created, updated or unchanged, or the error
// that refused it (nothing is stored from a refused value; the others are
// stored). Warning-list refusals name the lists and offer "share anyway"
// for the next attempt. The paste box keeps the refused lines.
func (u *UI) submit(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	d := &submitData{Sent: f.Get("form"), One: sharingView{S: sharing{TLP: "amber"}}, Bulk: sharingView{S: sharing{TLP: "amber"}}}
	var lines []pasteLine
	var ins []intel.RecordInput
	switch d.Sent {
	case "one":
		d.One.S = readSharing(r)
		d.Value, d.Type, d.Description = f.Get("value"), f.Get("type"), f.Get("description")
		lines = []pasteLine{{0, strings.TrimSpace(d.Value)}}
		ins = []intel.RecordInput{d.One.S.input(d.Type, lines[0].value, d.Description)}
	case "bulk":
		d.Bulk.S = readSharing(r)
		d.Paste = f.Get("paste")
		if len(d.Paste) > maxPaste {
			d.ErrorText = fmt.Sprintf("paste: %d bytes: longer than the limit of %d bytes", len(d.Paste), maxPaste)
			u.renderSubmit(w, r, s, http.StatusRequestEntityTooLarge, d)
			return
		}
		lines = pasteLines(d.Paste)
		switch {
		case len(lines) == 0:
			d.ErrorText = "paste: is empty: paste one value a line"
		case len(lines) > hub.MaxBatch:
			d.ErrorText = fmt.Sprintf("paste: %d values: more than the limit of %d", len(lines), hub.MaxBatch)
		}
		if d.ErrorText != "" {
			u.renderSubmit(w, r, s, http.StatusBadRequest, d)
			return
		}
		for _, l := range lines {
			ins = append(ins, d.Bulk.S.input("", l.value, ""))
		}
	default:
		d.ErrorText = fmt.Sprintf("form: %q: not a form of this page", d.Sent)
		u.renderSubmit(w, r, s, http.StatusBadRequest, d)
		return
	}
	res, err := u.hub.CreateRecords(r.Context(), s.caller, ins)
	switch {
	case errors.Is(err, hub.ErrTooMany):
		d.ErrorText = err.Error()
		u.renderSubmit(w, r, s, http.StatusBadRequest, d)
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	var kept []string
	for i, res := range res {
		lr := lineResult{Line: lines[i].n, Input: lines[i].value, Status: res.Status, Record: res.Value}
		if res.Err != nil {
			lr.Status, lr.Record = "", intel.Record{}
			d.Refused++
			var wl *hub.WarningListError
			if errors.As(res.Err, &wl) {
				for _, h := range wl.Hits {
					lr.Warnings = append(lr.Warnings, h.List+": "+h.Reason)
				}
				if d.Sent == "one" {
					d.One.Warned = true
				} else {
					d.Bulk.Warned = true
				}
			} else {
				lr.Error = res.Err.Error()
			}
			kept = append(kept, lines[i].value)
		}
		d.Results = append(d.Results, lr)
	}
	if d.Sent == "bulk" {
		d.Paste = strings.Join(kept, "\n")
	} else if d.Refused == 0 {
		d.Value, d.Description = "", ""
	}
	u.renderSubmit(w, r, s, http.StatusOK, d)
}
