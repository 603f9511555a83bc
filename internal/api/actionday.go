package api

import (
	"encoding/csv"
	"errors"
	"mime"
	"net/http"
	"strconv"

	"fusion/internal/hub"
	"fusion/internal/policy"
	"fusion/internal/screen"
)

// MaxSubmitBody bounds one submission of bookings to an action day: about
// 10,000 bookings (hub.MaxSubmitBookings) of the transactions scenario.
const MaxSubmitBody = 8 << 20

// createActionDay answers POST /api/v1/action-days: the caller's
// organization opens an action day for one of its groups.
func (s *Server) createActionDay(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in hub.ActionDayInput
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.hub.CreateActionDay(r.Context(), c, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

// listActionDays answers GET /api/v1/action-days: the action days the
// caller may see, each with the number of its bookings the caller may see.
func (s *Server) listActionDays(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	ds, err := s.hub.ActionDays(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"action_days": ds})
}

func (s *Server) getActionDay(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.hub.GetActionDay(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// updateActionDay answers PATCH /api/v1/action-days/{id}: its coordinator
// renames it, sets its handling or names police for more countries.
func (s *Server) updateActionDay(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var p hub.ActionDayPatch
	if err := decode(r, &p); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.hub.UpdateActionDay(r.Context(), c, r.PathValue("id"), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// submitBookings answers POST /api/v1/action-days/{id}/bookings: an
// airline's flagged bookings as JSON lines, or as CSV with a header row
// when the Content-Type is text/csv.
func (s *Server) submitBookings(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	format := "jsonl"
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		format = "csv"
	}
	res, err := s.hub.SubmitBookings(r.Context(), c, r.PathValue("id"), format, r.Body)
	if err != nil {
		s.fail(w, r, lineError(err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// lineError makes a submitted booking's read error an API error naming
// the booking's line, the field, the value (withheld for clear names and
// card numbers and for unknown fields, as package screen does) and why.
func lineError(err error) error {
	var le *screen.LineError
	if !errors.As(err, &le) {
		return err
	}
	if le.Field == "" {
		return &decodeError{"invalid_json", "bookings: " + le.Error()}
	}
	return &decodeError{"invalid_field", "bookings: " + le.Error()}
}

// actionDayBookings answers GET /api/v1/action-days/{id}/bookings: the
// bookings the caller may see, of one departure country (?country=) or
// all — a police organization's package, an airline's own submissions.
func (s *Server) actionDayBookings(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "country")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.hub.ActionDayBookings(r.Context(), c, r.PathValue("id"), q.Get("country"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// recordOutcome answers POST /api/v1/action-days/{id}/outcomes: the police
// organization a booking was routed to records what came of it.
func (s *Server) recordOutcome(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var in struct {
		Airline string `json:"airline"`
		Booking string `json:"booking"`
		Outcome string `json:"outcome"`
		Note    string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.hub.RecordOutcome(r.Context(), c, r.PathValue("id"), in.Airline, in.Booking, in.Outcome, in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// actionDaySummary answers GET /api/v1/action-days/{id}/summary: the
// day's figures by departure country and airline, counted over the
// bookings the caller may see; ?format=csv gives the table as CSV.
func (s *Server) actionDaySummary(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "format")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.fail(w, r, &decodeError{"invalid_field", `query parameter "format": value ` + strconv.Quote(format) + ": want json or csv"})
		return
	}
	sum, err := s.hub.Summary(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, sum)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="action-day-`+sum.ActionDay.ID+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(SummaryHeader())
	for _, row := range SummaryRecords(sum) {
		cw.Write(row)
	}
	cw.Flush()
}

// SummaryHeader is the header of an action day's summary as CSV.
func SummaryHeader() []string {
	h := []string{"country", "airline", "police", "submitted"}
	h = append(h, hub.ActionDayOutcomes...)
	return append(h, "pending")
}

// SummaryRecords is an action day's summary as CSV records: a row per
// country and airline, a total per country and per airline (the other
// column "*"), and the day's total ("*", "*").
func SummaryRecords(sum hub.ActionDaySummary) [][]string {
	var out [][]string
	add := func(r hub.SummaryRow, country, airline string) {
		rec := []string{country, airline, r.Police, strconv.Itoa(r.Submitted)}
		for _, o := range hub.ActionDayOutcomes {
			rec = append(rec, strconv.Itoa(r.Outcomes[o]))
		}
		out = append(out, append(rec, strconv.Itoa(r.Pending)))
	}
	for _, r := range sum.Rows {
		add(r, r.Country, r.Airline)
	}
	for _, r := range sum.Countries {
		add(r, r.Country, "*")
	}
	for _, r := range sum.Airlines {
		add(r, "*", r.Airline)
	}
	add(sum.Total, "*", "*")
	return out
}
