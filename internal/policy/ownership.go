package policy

import (
	"fmt"

	"fusion/internal/intel"
)

// Change returns nil if c may change (update, revoke) an object of kind
// and id shared as s: only its originator, with a role that may change
// intelligence. To an organization that cannot see the object it does not
// exist (ErrNotFound); one that can see it is refused (ErrForbidden).
func Change(c *Caller, kind, id string, s Shared) error {
	if err := Require(c, ChangeIntel); err != nil {
		return err
	}
	switch {
	case Decide(c, s) == Hidden:
		return fmt.Errorf("%s %q: %w", kind, id, intel.ErrNotFound)
	case c.Org != s.Originator:
		return fmt.Errorf("%w: only the originator %s may change %s %s", intel.ErrForbidden, s.Originator, kind, id)
	}
	return nil
}

// Group reports whether c may see group id and its membership: members
// only. To everyone else the group does not exist.
func Group(c *Caller, id string) bool { return c != nil && c.InGroup(id) }

// ManageGroup returns nil if c may add or remove members of group id owned
// by owner: admins of the owner. A group c is not in does not exist for c.
func ManageGroup(c *Caller, id, owner string) error {
	if err := Require(c, ManageGroups); err != nil {
		return err
	}
	switch {
	case !Group(c, id):
		return fmt.Errorf("group %q: %w", id, intel.ErrNotFound)
	case owner != c.Org:
		return fmt.Errorf("%w: group %s is managed by its owner %s", intel.ErrForbidden, id, owner)
	}
	return nil
}

// ManageToken returns nil if c may see or revoke a token of org: admins of
// that organization. Other organizations' tokens do not exist for c.
func ManageToken(c *Caller, org, id string) error {
	if err := Require(c, ManageTokens); err != nil {
		return err
	}
	if org != c.Org {
		return fmt.Errorf("token %q: %w", id, intel.ErrNotFound)
	}
	return nil
}

// ManageUser returns nil if c may see, disable, enable or end the sessions
// of a user of org: admins of that organization. Other organizations'
// users do not exist for c.
func ManageUser(c *Caller, org, login string) error {
	if err := Require(c, ManageUsers); err != nil {
		return err
	}
	if org != c.Org {
		return fmt.Errorf("user %q: %w", login, intel.ErrNotFound)
	}
	return nil
}

// ChangeOrg returns nil if c may change organization org's settings:
// admins of that organization only.
func ChangeOrg(c *Caller, org string) error {
	if err := Require(c, ManageTokens); err != nil {
		return err
	}
	if org != c.Org {
		return fmt.Errorf("%w: an organization changes only its own settings", intel.ErrForbidden)
	}
	return nil
}

// Originates reports whether c's organization is originator: what a
// report may group, and whose records a change may touch.
func Originates(c *Caller, originator string) bool {
	return c != nil && c.Org != "" && c.Org == originator
}
