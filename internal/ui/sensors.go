package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"fusion/internal/api"
	"fusion/internal/hub"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/zeek"
)

// maxSensorFile bounds an uploaded Zeek log.
const maxSensorFile = 32 << 20

// sensorsData is the sensors page: the answer to an upload, or its error.
type sensorsData struct {
	File      string
	Result    *hub.SightingResult
	Detect    *hub.DetectResult
	ErrorText string
}

// sensors serves GET and POST /sensors: upload a Zeek conn, dns or http log
// (TSV or JSON lines, gzipped or not) and its values are matched and
// recorded as sightings of the signed-in organization, exactly as POST
// /api/v1/events does: the same reader (zeek.NewReader), the same
// extractor (match.Extractor with Events) and the same hub method
// (RecordSightings), which matches only records the caller may see in full.
func (u *UI) sensors(w http.ResponseWriter, r *http.Request, s *session) {
	d := sensorsData{}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		// As the API: a role that may not submit events is refused before
		// its upload is read.
		if err := policy.Require(s.caller, policy.SubmitEvents); err != nil {
			u.fail(w, r, err)
			return
		}
		obs, rows, name, err := formEvents(r, "log")
		d.File = name
		if err == nil {
			var res hub.SightingResult
			res, err = u.hub.RecordSightings(r.Context(), s.caller, obs)
			if err != nil {
				u.fail(w, r, err)
				return
			}
			res.Events = rows
			d.Result = &res
			// Then, as the API does, the organization's C2 detector
			// (a log that is not conn, http, ssl or dns is not fed).
			if det, err := u.formDetect(r, s, "log"); err != nil {
				d.ErrorText = err.Error()
			} else if det.Fed {
				d.Detect = &det
			}
		} else {
			d.ErrorText, status = err.Error(), http.StatusBadRequest
		}
	}
	u.render(w, r, status, "sensors.html", u.page(s, "sensors.title", d))
}

// formDetect feeds the uploaded file field to the organization's C2
// detector (hub.Detect).
func (u *UI) formDetect(r *http.Request, s *session, field string) (hub.DetectResult, error) {
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return hub.DetectResult{}, fmt.Errorf("%s: no file uploaded (%v)", field, err)
	}
	defer f.Close()
	zr, err := zeek.NewReader(io.LimitReader(f, maxSensorFile))
	if err != nil {
		return hub.DetectResult{}, fmt.Errorf("%s: %s: %v", field, hdr.Filename, err)
	}
	res, err := u.hub.Detect(r.Context(), s.caller, zr)
	if err != nil {
		return res, fmt.Errorf("%s: %s: C2 detection: %v", field, hdr.Filename, err)
	}
	return res, nil
}

// formEvents reads the uploaded file field as Zeek log rows and returns
// their observations, the number of rows and the file's name, naming the
// field and the file in its error.
func formEvents(r *http.Request, field string) (obs []match.Observation, rows int, name string, err error) {
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return nil, 0, "", fmt.Errorf("%s: no file uploaded (%v)", field, err)
	}
	defer f.Close()
	name = hdr.Filename
	if hdr.Size > maxSensorFile {
		return nil, 0, name, fmt.Errorf("%s: %s is %d bytes, more than %d", field, name, hdr.Size, maxSensorFile)
	}
	zr, err := zeek.NewReader(io.LimitReader(f, maxSensorFile))
	if err != nil {
		return nil, 0, name, fmt.Errorf("%s: %s: %v", field, name, err)
	}
	x := match.NewExtractor(zr)
	x.Events = true
	for zr.Next() {
		rows++
		x.Row(func(o match.Observation) { obs = append(obs, o.Own()) })
		if len(obs) > api.MaxEvents {
			return nil, 0, name, fmt.Errorf("%s: %s: more than %d values", field, name, api.MaxEvents)
		}
	}
	if err := zr.Err(); err != nil {
		return nil, 0, name, fmt.Errorf("%s: %s: %v", field, name, err)
	}
	if rows == 0 {
		return nil, 0, name, errors.New(field + ": " + name + ": no log rows")
	}
	return obs, rows, name, nil
}
