package hub

import (
	"context"
	"maps"
	"slices"
	"strings"

	"fusion/internal/policy"
)

// SummaryRow counts bookings of one departure country and airline (or a
// total, with either or both empty).
type SummaryRow struct {
	Country   string         `json:"country,omitempty"`
	Airline   string         `json:"airline,omitempty"`
	Police    string         `json:"police,omitempty"`
	Submitted int            `json:"submitted"`
	Outcomes  map[string]int `json:"outcomes"` // by outcome; every outcome present
	Pending   int            `json:"pending"`  // no outcome yet
}

// ActionDaySummary is an action day's figures, counted over the bookings
// the caller may see: the coordinator's are the whole day's.
type ActionDaySummary struct {
	ActionDay ActionDay    `json:"action_day"`
	Rows      []SummaryRow `json:"rows"` // by country, then airline
	Countries []SummaryRow `json:"countries"`
	Airlines  []SummaryRow `json:"airlines"`
	Total     SummaryRow   `json:"total"`
}

// Summary returns action day id's figures by departure country and
// airline: bookings submitted and what came of them, counted over the
// bookings c may see (policy.Count), so that nobody learns of a booking
// through a count that it could not see.
func (h *Hub) Summary(ctx context.Context, c *policy.Caller, id string) (ActionDaySummary, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return ActionDaySummary{}, err
	}
	d, err := h.visibleDay(ctx, c, id)
	if err != nil {
		return ActionDaySummary{}, err
	}
	rows, err := h.visibleBookings(ctx, c, &d)
	if err != nil {
		return ActionDaySummary{}, err
	}
	d.Bookings = len(rows)
	newRow := func(country, airline string) *SummaryRow {
		r := &SummaryRow{Country: country, Airline: airline, Police: d.Police[country], Outcomes: map[string]int{}}
		for _, o := range ActionDayOutcomes {
			r.Outcomes[o] = 0
		}
		return r
	}
	cells, countries, airlines := map[[2]string]*SummaryRow{}, map[string]*SummaryRow{}, map[string]*SummaryRow{}
	total := newRow("", "")
	for _, b := range rows {
		k := [2]string{b.Country, b.Org}
		if cells[k] == nil {
			cells[k] = newRow(b.Country, b.Org)
		}
		if countries[b.Country] == nil {
			countries[b.Country] = newRow(b.Country, "")
		}
		if airlines[b.Org] == nil {
			airlines[b.Org] = newRow("", b.Org)
			airlines[b.Org].Police = ""
		}
		for _, r := range []*SummaryRow{cells[k], countries[b.Country], airlines[b.Org], total} {
			r.Submitted++
			if b.Outcome == "" {
				r.Pending++
			} else {
				r.Outcomes[b.Outcome]++
			}
		}
	}
	out := ActionDaySummary{ActionDay: d, Total: *total, Rows: []SummaryRow{}, Countries: []SummaryRow{}, Airlines: []SummaryRow{}}
	for _, k := range slices.SortedFunc(maps.Keys(cells), func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	}) {
		out.Rows = append(out.Rows, *cells[k])
	}
	for _, k := range slices.Sorted(maps.Keys(countries)) {
		out.Countries = append(out.Countries, *countries[k])
	}
	for _, k := range slices.Sorted(maps.Keys(airlines)) {
		out.Airlines = append(out.Airlines, *airlines[k])
	}
	return out, nil
}
