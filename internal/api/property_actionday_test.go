package api_test

import (
	"net/url"

	"fusion/internal/authztest"
	"fusion/internal/hub"
)

// The action-day surface of the property test's HTTP client: the routes
// under /api/v1/action-days.

var _ authztest.ActionDayClient = (*httpClient)(nil)

func (c *httpClient) CreateActionDay(org string, in hub.ActionDayInput) (hub.ActionDay, error) {
	var d hub.ActionDay
	err := c.call(org, "POST", "/api/v1/action-days", in, &d)
	return d, err
}

func (c *httpClient) ActionDays(org string) ([]hub.ActionDay, error) {
	var ans struct {
		ActionDays []hub.ActionDay `json:"action_days"`
	}
	err := c.call(org, "GET", "/api/v1/action-days", nil, &ans)
	return ans.ActionDays, err
}

func (c *httpClient) GetActionDay(org, id string) (hub.ActionDay, error) {
	var d hub.ActionDay
	err := c.call(org, "GET", "/api/v1/action-days/"+url.PathEscape(id), nil, &d)
	return d, err
}

func (c *httpClient) UpdateActionDay(org, id string, p hub.ActionDayPatch) (hub.ActionDay, error) {
	var d hub.ActionDay
	err := c.call(org, "PATCH", "/api/v1/action-days/"+url.PathEscape(id), p, &d)
	return d, err
}

func (c *httpClient) SubmitBookings(org, id string, jsonl []byte) (hub.SubmitResult, error) {
	var res hub.SubmitResult
	err := c.call(org, "POST", "/api/v1/action-days/"+url.PathEscape(id)+"/bookings", jsonl, &res)
	return res, err
}

func (c *httpClient) ActionDayBookings(org, id, country string) (hub.ActionDayPackage, error) {
	var p hub.ActionDayPackage
	path := "/api/v1/action-days/" + url.PathEscape(id) + "/bookings"
	if country != "" {
		path += "?country=" + url.QueryEscape(country)
	}
	err := c.call(org, "GET", path, nil, &p)
	return p, err
}

func (c *httpClient) RecordOutcome(org, id, airline, booking, outcome string) (hub.Outcome, error) {
	var o hub.Outcome
	in := map[string]string{"airline": airline, "booking": booking, "outcome": outcome}
	err := c.call(org, "POST", "/api/v1/action-days/"+url.PathEscape(id)+"/outcomes", in, &o)
	return o, err
}

func (c *httpClient) ActionDaySummary(org, id string) (hub.ActionDaySummary, error) {
	var s hub.ActionDaySummary
	err := c.call(org, "GET", "/api/v1/action-days/"+url.PathEscape(id)+"/summary", nil, &s)
	return s, err
}
