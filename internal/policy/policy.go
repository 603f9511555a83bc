// Package policy is the one gate that decides what a caller may see of each
// record and report, and in what form, and what each role may do. Every read
// path in fusion — API, export, hit/no-hit, reports — asks this package; no
// handler or query filters visibility on its own. The rules are written out
// in docs/policy.md; the property test in this repository checks every read
// path against an independent model of them.
//
// Storage may narrow the rows it hands to the gate for speed (see
// store.Visibility), but such narrowing is only ever a superset of what the
// gate allows: the gate's answer is final.
package policy

import (
	"slices"

	"fusion/internal/intel"
)

// Caller is an authenticated organization acting through one token.
type Caller struct {
	Org     string
	Role    intel.Role
	TokenID string
	// Groups lists the sharing groups Org is a member of.
	Groups []string
	// Operator is set when Org runs the hub.
	Operator bool
	// Purpose is what the caller said it needs the data for (the
	// X-Fusion-Purpose header); it is written into the evidence log.
	Purpose string
}

// InGroup reports whether the caller's organization belongs to group g.
func (c *Caller) InGroup(g string) bool { return slices.Contains(c.Groups, g) }

// Form is how much of an object a caller may see.
type Form int

// The forms, from nothing to everything.
const (
	// Hidden: the object does not exist for the caller (404, absent from lists and counts).
	Hidden Form = iota
	// Redacted: the caller sees that a personal record exists and what it is
	// labelled, but not its value, derived facts or description.
	Redacted
	// Full: the caller sees the whole object.
	Full
)

func (f Form) String() string {
	switch f {
	case Hidden:
		return "hidden"
	case Redacted:
		return "redacted"
	case Full:
		return "full"
	}
	return "invalid"
}

// Shared is what the gate needs to know about a shared object.
type Shared struct {
	Originator string
	TLP        intel.TLP
	Audience   intel.Audience
	Personal   bool
}

// Decide returns the form in which c may see an object shared as s.
//
//   - clear, green: every member organization.
//   - amber: the originator, audience organizations and members of audience groups.
//   - amber+strict, red: the originator and audience organizations; groups do not count.
//   - personal: the value is shown only to the originator and the audience
//     (audience groups count where the TLP lets them); everyone else who may
//     see the object at all sees it Redacted.
//
// An unknown TLP is Hidden to all but the originator: the gate fails closed.
func Decide(c *Caller, s Shared) Form {
	if c == nil || c.Org == "" {
		return Hidden
	}
	if c.Org == s.Originator {
		return Full
	}
	byOrg := s.Audience.HasOrg(c.Org)
	byGroup := slices.ContainsFunc(s.Audience.Groups, c.InGroup)
	var visible, inAudience bool
	switch s.TLP {
	case intel.Clear, intel.Green:
		visible, inAudience = true, byOrg || byGroup
	case intel.Amber:
		visible = byOrg || byGroup
		inAudience = visible
	case intel.AmberStrict, intel.Red:
		visible, inAudience = byOrg, byOrg
	}
	switch {
	case !visible:
		return Hidden
	case s.Personal && !inAudience:
		return Redacted
	}
	return Full
}

// RecordShared returns what the gate needs to know about r.
func RecordShared(r *intel.Record) Shared {
	return Shared{Originator: r.Originator, TLP: r.TLP, Audience: r.Audience, Personal: r.Personal}
}

// ReportShared returns what the gate needs to know about r. Reports are never
// personal; the records they group are judged one by one.
func ReportShared(r *intel.Report) Shared {
	return Shared{Originator: r.Originator, TLP: r.TLP, Audience: r.Audience}
}

// Record returns the copy of r that c may see, and false when r is Hidden to c.
func Record(c *Caller, r *intel.Record) (intel.Record, bool) {
	v, f := RecordForm(c, r)
	return v, f != Hidden
}

// RecordForm returns the copy of r that c may see and the form it is in.
// A Hidden record comes back as the zero Record.
func RecordForm(c *Caller, r *intel.Record) (intel.Record, Form) {
	f := Decide(c, RecordShared(r))
	switch f {
	case Hidden:
		return intel.Record{}, Hidden
	case Redacted:
		v := *r
		v.Redact()
		if c.Org != r.Originator {
			v.Audience = outsiderAudience(c, r.Audience)
		}
		return v, Redacted
	}
	v := *r
	if c.Org != r.Originator {
		v.Audience = outsiderAudience(c, r.Audience)
	}
	return v, Full
}

// outsiderAudience is the audience as a non-originator may see it: the
// organizations named, and only those groups the caller itself belongs to
// (group membership and existence are visible to members only).
func outsiderAudience(c *Caller, a intel.Audience) intel.Audience {
	groups := make([]string, 0, len(a.Groups))
	for _, g := range a.Groups {
		if c.InGroup(g) {
			groups = append(groups, g)
		}
	}
	return intel.Audience{Orgs: append([]string{}, a.Orgs...), Groups: groups}
}

// Report returns the copy of r that c may see, and false when r is Hidden.
// The caller must still filter r.Records through Record one by one.
func Report(c *Caller, r *intel.Report) (intel.Report, bool) {
	if Decide(c, ReportShared(r)) == Hidden {
		return intel.Report{}, false
	}
	v := *r
	if c.Org != r.Originator {
		v.Audience = outsiderAudience(c, r.Audience)
		// The source names the records its attributes became; which of
		// those c may see is decided record by record (the hub's
		// reportView puts back the ones it may).
		v.Source = r.Source.OnlyRecords(func(string) bool { return false })
	}
	return v, true
}

// Version returns the form in which c may see an earlier version of a record
// whose current version is cur: the narrower of the two decisions, so that
// neither widening nor narrowing the audience later leaks an old value.
func Version(c *Caller, cur, old *intel.Record) (intel.Record, bool) {
	fc := Decide(c, RecordShared(cur))
	fo := Decide(c, RecordShared(old))
	f := min(fc, fo)
	if f == Hidden {
		return intel.Record{}, false
	}
	v := *old
	if f == Redacted {
		v.Redact()
	}
	if c.Org != old.Originator {
		v.Audience = outsiderAudience(c, old.Audience)
	}
	return v, true
}

// Searched reports whether a search may return a record the caller sees in
// form: a search by value only a record seen in full (or a personal value
// would be confirmed to someone outside its audience), and a free-text
// search a record seen redacted only when what that form shows (labels,
// tags, reference) matched, not its value or description.
func Searched(form Form, byValue, redactedTextMatched bool) bool {
	switch form {
	case Full:
		return true
	case Redacted:
		return !byValue && redactedTextMatched
	}
	return false
}
