package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fusion/internal/api"
	"fusion/internal/hub"
	"fusion/internal/intel"
)

// screenBody is a booking from Bangkok's address space for a flight from
// Paris to Rome the next day on a French card given in clear, bought by
// account "ring" for traveller MULE/i: the pattern of a ring's bookings.
func screenBody(id string, i int, booked time.Time) string {
	return fmt.Sprintf(`{"id":%q,"booked":%q,"departure":%q,"origin":"CDG","destination":"FCO","origin_country":"FR","destination_country":"IT",`+
		`"bin_country":"FR","ip_country":"TH","client_ip":"203.0.113.9","cardholder_name":"Victim / One","traveller_name":"Mule / %d",`+
		`"booker":"%064x","card_number":"4970 1012 3456 7890","amount":"200.00","currency":"EUR","channel":"web"}`,
		id, booked.Format(time.RFC3339), booked.Add(20*time.Hour).Format(time.RFC3339), i, 7)
}

// TestScreenOverHTTP: a sensor token screens a ring's bookings one by one
// and the last is flagged with its reasons and its ring, with no clear
// name or card number in any answer; a reader or analyst token is 403, no
// token 401; a bad field is 400 naming the field, the value and why, the
// value withheld for clear names and card numbers; a large body is 413.
func TestScreenOverHTTP(t *testing.T) {
	f := newFixture(t)
	enableMatching(t, f, hub.DefaultLimits)
	ctx := context.Background()
	for _, role := range []intel.Role{intel.RoleSensor, intel.RoleAnalyst, intel.RoleReader} {
		secret, _, err := f.hub.OperatorIssueToken(ctx, "org-a", role, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens["org-a-"+string(role)] = secret
	}
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var res hub.ScreenResult
	for i := range 5 {
		status, b := f.do("POST", "/api/v1/screen", "org-a-sensor", screenBody(fmt.Sprintf("BK%d", i), i, start.Add(time.Duration(i)*8*time.Hour)), &res)
		if status != 200 {
			t.Fatalf("booking %d: %d %v", i, status, b)
		}
		if s := fmt.Sprint(b); strings.Contains(strings.ToUpper(s), "VICTIM") || strings.Contains(s, "3456") || strings.Contains(strings.ToUpper(s), "MULE") {
			t.Fatalf("a clear value in the answer: %s", s)
		}
	}
	if res.Decision != "flag" || res.Booking != "BK4" || res.Ring == nil || res.Ring.ID != "ring-BK0" || res.Ring.Size != 5 || res.Ring.CardTravellers != 5 || len(res.Reasons) == 0 || res.Score < res.Threshold {
		t.Fatalf("the ring's fifth booking: %+v", res)
	}
	t.Logf("the ring's fifth booking: %+v, ring %+v", res, *res.Ring)
	for _, r := range res.Reasons {
		if r.Rule == "" || r.Reason == "" {
			t.Fatalf("reason without its rule: %+v", res.Reasons)
		}
	}
	// org-b's admin token screens in org-b's own state: no ring.
	var resB hub.ScreenResult
	if status, b := f.do("POST", "/api/v1/screen", "org-b", screenBody("BK5", 5, start.Add(40*time.Hour)), &resB); status != 200 || resB.Ring != nil || resB.Decision != "pass" {
		t.Fatalf("org-b: %d %v %+v", status, b, resB)
	}

	for who, want := range map[string]int{"org-a-reader": 403, "org-a-analyst": 403, "": 401} {
		if status, b := f.do("POST", "/api/v1/screen", who, screenBody("BK9", 9, start), nil); status != want {
			t.Errorf("as %q: %d %v, want %d", who, status, b, want)
		}
	}

	good := screenBody("BK9", 9, start.Add(48*time.Hour))
	for _, c := range []struct {
		body, code  string
		says, hides []string
	}{
		{strings.Replace(good, start.Add(48*time.Hour).Format(time.RFC3339), "yesterday", 1), "invalid_field", []string{"booked", "yesterday", "RFC 3339"}, nil},
		{strings.Replace(good, "4970 1012 3456 7890", "4970 10x2 3456 7890", 1), "invalid_field", []string{"card_number", "(withheld)"}, []string{"3456", "4970"}},
		{strings.Replace(good, "Victim / One", "Victim\\u0001One", 1), "invalid_field", []string{"cardholder_name", "(withheld)"}, []string{"Victim", "VICTIM"}},
		{strings.Replace(good, `"4970 1012 3456 7890"`, `4970101234567890`, 1), "invalid_field", []string{"card_number", "(withheld)", "want a string"}, []string{"4970"}},
		{strings.Replace(good, `"card_number"`, `"card_numbr"`, 1), "invalid_field", []string{"card_numbr", "unknown field"}, []string{"3456"}},
		{strings.Replace(good, `,"channel":"web"`, "", 1), "invalid_json", []string{`missing field "channel"`}, nil},
		{`[1]`, "invalid_json", []string{"booking", "want a JSON object"}, nil},
		{``, "invalid_json", []string{"empty"}, nil},
		{strings.Replace(good, `"web"`, `"web","airline":"`+strings.Repeat("A", 9000)+`"`, 1), "body_too_large", []string{fmt.Sprint(api.MaxScreenBody)}, nil},
	} {
		status, b := f.do("POST", "/api/v1/screen", "org-a-sensor", c.body, nil)
		want := 400
		if c.code == "body_too_large" {
			want = 413
		}
		if status != want || errCode(b) != c.code {
			t.Errorf("%.80s: %d %v, want %d %s", c.body, status, b, want, c.code)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(errMessage(b), s) {
				t.Errorf("%.80s: message %q does not say %q", c.body, errMessage(b), s)
			}
		}
		for _, s := range c.hides {
			if strings.Contains(errMessage(b), s) {
				t.Errorf("%.80s: message %q echoes %q", c.body, errMessage(b), s)
			}
		}
	}
}
