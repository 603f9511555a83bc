package policy

import (
	"fmt"
	"slices"

	"fusion/internal/intel"
)

// Action is something a token may be allowed to do.
type Action string

// The actions the API checks. Reading is open to every role but the
// sensor's: what is read is decided per object by Decide, never by the
// role. A sensor token lives on a network box; it submits what it sees and
// reads the verdicts on it, never the records themselves.
const (
	ReadIntel     Action = "read"          // records, reports, the directory, own groups, feedback, access requests, evidence entries, hit/no-hit, export
	CreateRecords Action = "create-record" // submit records
	ChangeIntel   Action = "change"        // update or revoke own records; write reports; decide access requests
	ManageGroups  Action = "manage-groups" // create own groups, add and remove members
	ManageTokens  Action = "manage-tokens" // issue and revoke own organization's tokens; the organization's settings
	ManageUsers   Action = "manage-users"  // list, create, disable and enable own organization's users (people); end their sessions
	SubmitEvents  Action = "submit-events" // send traffic events to be matched into sightings
	ReadVerdicts  Action = "read-verdicts" // the organization's own sightings, Tor checks, C2 detections: verdicts on what it observed
	GiveFeedback  Action = "give-feedback" // report what a record led to
	// Federate is a partner hub's read: through TAXII only, and only what
	// Forward lets leave the hub.
	Federate Action = "federate"
	// OperateHub is for admins of the organization that runs the hub only
	// (Caller.Operator): importing Tor data, reading every evidence entry.
	OperateHub Action = "operate-hub"
)

// Actions lists every action, for the role table.
var Actions = []Action{ReadIntel, CreateRecords, ChangeIntel, ManageGroups, ManageTokens, ManageUsers, SubmitEvents, ReadVerdicts, GiveFeedback, Federate, OperateHub}

var allowed = map[intel.Role][]Action{
	intel.RoleAdmin:   {ReadIntel, CreateRecords, ChangeIntel, ManageGroups, ManageTokens, ManageUsers, SubmitEvents, ReadVerdicts, GiveFeedback},
	intel.RoleAnalyst: {ReadIntel, CreateRecords, ChangeIntel, ReadVerdicts, GiveFeedback},
	intel.RoleReader:  {ReadIntel, ReadVerdicts},
	intel.RoleSensor:  {CreateRecords, SubmitEvents, ReadVerdicts},
	intel.RolePartner: {Federate, CreateRecords, ChangeIntel, GiveFeedback},
}

// Can reports whether c's role allows action a.
func Can(c *Caller, a Action) bool {
	if a == OperateHub {
		return c != nil && c.Operator && c.Role == intel.RoleAdmin
	}
	return c != nil && slices.Contains(allowed[c.Role], a)
}

// Require returns an error wrapping intel.ErrForbidden unless c may do a.
func Require(c *Caller, a Action) error {
	if Can(c, a) {
		return nil
	}
	role := intel.Role("")
	if c != nil {
		role = c.Role
	}
	return fmt.Errorf("%w: role %q may not %s", intel.ErrForbidden, role, a)
}
