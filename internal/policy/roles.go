package policy

import (
	"fmt"
	"slices"

	"fusion/internal/intel"
)

// Action is something a token may be allowed to do.
type Action string

// The actions the API checks. Reading is open to every role: what is read is
// decided per object by Decide, never by the role.
const (
	ReadIntel     Action = "read"          // records, reports, the directory, own groups
	CreateRecords Action = "create-record" // submit records
	ChangeIntel   Action = "change"        // update or revoke own records; write reports
	ManageGroups  Action = "manage-groups" // create own groups, add and remove members
	ManageTokens  Action = "manage-tokens" // issue and revoke own organization's tokens
	SubmitEvents  Action = "submit-events" // send traffic events to be matched into sightings
	GiveFeedback  Action = "give-feedback" // report what a record led to
	// OperateHub is for admins of the organization that runs the hub only
	// (Caller.Operator): importing Tor data.
	OperateHub Action = "operate-hub"
)

var allowed = map[intel.Role][]Action{
	intel.RoleAdmin:   {ReadIntel, CreateRecords, ChangeIntel, ManageGroups, ManageTokens, SubmitEvents, GiveFeedback},
	intel.RoleAnalyst: {ReadIntel, CreateRecords, ChangeIntel, GiveFeedback},
	intel.RoleReader:  {ReadIntel},
	intel.RoleSensor:  {ReadIntel, CreateRecords, SubmitEvents, GiveFeedback},
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
