package policy

import (
	"slices"

	"fusion/internal/intel"
)

// Addressed reports whether an object shared as s is addressed to c's
// organization: c may see it in full (Decide), and c is its originator,
// an organization its audience names, or a member of an audience group
// where the TLP lets groups count (clear, green, amber); a clear or green
// object with no audience is addressed to every member.
//
// It is narrower than Decide, never wider: clear and green objects are
// visible to every member, but their audience says whom the originator
// sent them to. What acts on shared records of its own accord, without a
// person reading them — the SMS guard's shared ranges (hub/sms_share.go) —
// takes only the records addressed to its organization.
func Addressed(c *Caller, s Shared) bool {
	if Decide(c, s) != Full {
		return false
	}
	if c.Org == s.Originator || s.Audience.HasOrg(c.Org) {
		return true
	}
	switch s.TLP {
	case intel.Clear, intel.Green:
		// With no audience, the originator sent it to every member.
		if len(s.Audience.Orgs) == 0 && len(s.Audience.Groups) == 0 {
			return true
		}
		return slices.ContainsFunc(s.Audience.Groups, c.InGroup)
	case intel.Amber:
		return slices.ContainsFunc(s.Audience.Groups, c.InGroup)
	}
	return false
}
