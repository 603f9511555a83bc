package policy

import "fusion/internal/intel"

// RulePackage returns the audience c may see of a rule package (package
// screen) shared as s, and false when the package is Hidden to c. A rule
// package is shared like a record and judged by Decide; it is never
// personal (s.Personal is ignored), so a caller sees all of it or nothing.
// A non-originator sees only the audience's groups it belongs to.
//
// An earlier version is visible only when both it and the current version
// are: the hub asks for each and takes the narrower answer, as Version
// does for records, so that neither widening nor narrowing the audience
// in a revision leaks a version to someone outside its own audience.
func RulePackage(c *Caller, s Shared) (intel.Audience, bool) {
	s.Personal = false
	if Decide(c, s) == Hidden {
		return intel.Audience{}, false
	}
	if c.Org == s.Originator {
		return s.Audience, true
	}
	return outsiderAudience(c, s.Audience), true
}
