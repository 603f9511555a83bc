package ui

import (
	"fmt"
	"io"
	"net/http"
	"slices"

	"fusion/internal/finding"
)

// maxExerciseFile bounds each uploaded findings or truth file.
const maxExerciseFile = 32 << 20

// exerciseData is the exercise page: the score, one row per kind, or the
// error of a file.
type exerciseData struct {
	Rows      []exerciseRow
	ErrorText string
}

// exerciseRow is one kind's score.
type exerciseRow struct {
	Kind string
	finding.KindScore
}

// exercises serves GET and POST /exercises: upload a findings file and a
// scenario's truth file (JSON lines, as `fusion exercise score` reads them)
// and see precision, recall and F1 per kind. Nothing is stored and no hub
// data is read: it scores the two files against each other.
func (u *UI) exercises(w http.ResponseWriter, r *http.Request, s *session) {
	d := exerciseData{}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		truth, err := formFindings(r, "truth")
		var found []finding.Finding
		if err == nil {
			found, err = formFindings(r, "found")
		}
		if err != nil {
			d.ErrorText, status = err.Error(), http.StatusBadRequest
		} else {
			score := finding.Evaluate(truth, found)
			for k, ks := range score.Kinds {
				d.Rows = append(d.Rows, exerciseRow{k, ks})
			}
			slices.SortFunc(d.Rows, func(a, b exerciseRow) int {
				if a.Kind < b.Kind {
					return -1
				}
				return 1
			})
		}
	}
	u.render(w, r, status, "exercises.html", u.page(s, "exercises.title", d))
}

// formFindings reads the uploaded file field as findings, naming the field
// in its error.
func formFindings(r *http.Request, field string) ([]finding.Finding, error) {
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return nil, fmt.Errorf("%s: no file uploaded (%v)", field, err)
	}
	defer f.Close()
	if hdr.Size > maxExerciseFile {
		return nil, fmt.Errorf("%s: %s is %d bytes, more than %d", field, hdr.Filename, hdr.Size, maxExerciseFile)
	}
	out, err := finding.Read(io.LimitReader(f, maxExerciseFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %v", field, hdr.Filename, err)
	}
	return out, nil
}
