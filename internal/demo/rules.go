package demo

import (
	"context"
	"encoding/json"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// The demo's shared rule package: police-de, which coordinates the
// airline action day (it owns group airline-action-day, with
// airline-azure, airline-boreal, bank-alpha and police-nl), publishes its screening
// criteria to the group at TLP:AMBER with H2 (no onward dissemination),
// then revises them once (a rule for last-minute third-party bookings
// departing from Germany). The action day screens its bookings with it
// (actionday.go); airline-azure's booking engine screens with the package
// through POST /api/v1/screen?package=ID; the other members
// read it on the Screening rules page (/rules); organizations outside the
// group do not see it.

// rulesDemo is police-de's package, version 1.
const rulesDemo = `{"name":"Action day 2026: criteria of the Rhine Federal Cybercrime Office","threshold":0.95,"rules":[
 {"id":"last-minute","expr":"lead_hours >= 0 && lead_hours < 48","score":0.35,"reason":"bought less than 48 hours before departure"},
 {"id":"ip-far","expr":"ip_foreign && ip_far_km >= 2500","score":0.35,"reason":"bought from an address far from the card's country and both airports"},
 {"id":"third-party","expr":"third_party","score":0.1,"reason":"cardholder is not the traveller"},
 {"id":"own-ticket","expr":"!third_party","score":-0.3,"reason":"cardholder flies"},
 {"id":"card-many-names","expr":"card_travellers >= 4","score":0.15,"reason":"one card paid for four travellers or more"}]}`

// rulesDemoRevision adds, in version 2, a rule for Germany's departures.
const rulesDemoRevision = `{"name":"Action day 2026: criteria of the Rhine Federal Cybercrime Office","threshold":0.95,"rules":[
 {"id":"last-minute","expr":"lead_hours >= 0 && lead_hours < 48","score":0.35,"reason":"bought less than 48 hours before departure"},
 {"id":"ip-far","expr":"ip_foreign && ip_far_km >= 2500","score":0.35,"reason":"bought from an address far from the card's country and both airports"},
 {"id":"third-party","expr":"third_party","score":0.1,"reason":"cardholder is not the traveller"},
 {"id":"own-ticket","expr":"!third_party","score":-0.3,"reason":"cardholder flies"},
 {"id":"card-many-names","expr":"card_travellers >= 4","score":0.15,"reason":"one card paid for four travellers or more"},
 {"id":"de-same-day","expr":"origin_country == \"DE\" && third_party && lead_hours >= 0 && lead_hours < 24","score":0.1,"reason":"a third party's booking departing from Germany within a day"}]}`

// publishRules publishes police-de's package to the action day's group
// and revises it; it returns the package's id.
func publishRules(ctx context.Context, h *hub.Hub, police *policy.Caller) (string, error) {
	p, err := h.CreateRulePackage(ctx, police, hub.RulePackageInput{Package: json.RawMessage(rulesDemo), TLP: string(intel.Amber),
		Audience: &intel.Audience{Groups: []string{"airline-action-day"}}, Handling: &intel.Handling{Codes: []string{intel.H2}}})
	if err != nil {
		return "", err
	}
	if _, err := h.ReviseRulePackage(ctx, police, p.ID, hub.RulePackageInput{Package: json.RawMessage(rulesDemoRevision)}); err != nil {
		return "", err
	}
	return p.ID, nil
}
