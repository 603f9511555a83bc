package ui_test

import (
	"reflect"
	"testing"

	"fusion/internal/authztest"
	"fusion/internal/ui"
)

// TestPagesReadOnlyWhatTheHarnessCovers: every hub method the UI's pages
// may call (ui.Hub) is one the authorization property harness holds to the
// policy model (a method of authztest.Client, driven through the hub and
// over the API for every organization), except the session's own. A page
// that needs another method must bring it into the harness first.
//
// The exceptions: the session's own methods, and the account and
// administration methods, which manage people and tokens and read no
// intelligence (no record, report, sighting, hit or access request), so
// that the harness, which models who may see what intel, has nothing to
// hold them to. Their policy (the caller's own user; admins of the
// caller's own organization) is tested in internal/hub (users_test.go)
// and through the pages in TestBrowserAccount.
func TestPagesReadOnlyWhatTheHarnessCovers(t *testing.T) {
	session := map[string]bool{"SessionCaller": true, "Logout": true}
	accountManagement := map[string]bool{
		// The reader's own account (account.go).
		"EnrolTOTP": true, "ConfirmTOTP": true, "ChangePassword": true, "RevokeSessions": true,
		// The organization's users and API tokens, admins only (admin.go).
		"ListUsers": true, "CreateUser": true, "DisableUser": true,
		"ListTokens": true, "IssueToken": true, "RevokeToken": true,
	}
	// The action-day pages' methods are not in the harness yet: their
	// policy (policy.ActionDayShared, BookingShared, SubmitBookings,
	// RecordOutcome) is tested in internal/hub (TestActionDay), over the
	// API, and through the pages in TestActionDayThroughTheUI.
	actionDays := map[string]bool{
		"CreateActionDay": true, "ActionDays": true, "GetActionDay": true, "UpdateActionDay": true,
		"SubmitBookings": true, "ActionDayBookings": true, "RecordOutcome": true, "Summary": true,
	}
	// as names the harness method that drives a hub method of another name
	// (authztest.Direct calls the hub's method).
	as := map[string]string{"EvidenceEntries": "Entries", "RecordSightings": "Sightings", "EvidenceBundle": "Bundle",
		"ListGroups": "Groups", "GetGroup": "Group", "UpdateOrg": "SetAnonymous", "Detect": "Events"}
	covered := reflect.TypeFor[authztest.Client]()
	pages := reflect.TypeFor[ui.Hub]()
	for i := range pages.NumMethod() {
		m := pages.Method(i).Name
		if session[m] || accountManagement[m] || actionDays[m] {
			continue
		}
		if a, ok := as[m]; ok {
			m = a
		}
		if _, ok := covered.MethodByName(m); !ok {
			t.Errorf("ui.Hub.%s is not covered by the authorization harness (authztest.Client)", m)
		}
	}
}
