package policy

import (
	"fmt"

	"fusion/internal/intel"
)

// Observation is how an organization that reported on a record — by
// feedback or through sightings in its traffic — appears to a caller.
type Observation int

const (
	// Unseen: the caller may not see the report at all.
	Unseen Observation = iota
	// Anonymous: the report counts, but the observer is shown only as its
	// sector and country, and its notes are left out.
	Anonymous
	// Named: the observer is named and its notes shown.
	Named
)

// Observer decides how a report (feedback or sightings) by observer on a
// record of originator appears to c: the observer sees its own reports;
// the originator sees every report on its records, naming the observer
// unless the observer chose to appear anonymously; nobody else sees them.
func Observer(c *Caller, originator, observer string, anonymous bool) Observation {
	switch {
	case c == nil || c.Org == "":
		return Unseen
	case c.Org == observer:
		return Named
	case c.Org != originator:
		return Unseen
	case anonymous:
		return Anonymous
	}
	return Named
}

// AccessRequest decides what c sees of an access request for a record of
// owner made by requester: both sides see the request; the owner always
// sees which record it is about, the requester only once it is approved
// (until then the requester knows the record only by its sealed reference).
func AccessRequest(c *Caller, owner, requester, status string) (visible, showRecord bool) {
	switch {
	case c == nil || c.Org == "":
		return false, false
	case c.Org == owner:
		return true, true
	case c.Org == requester:
		return true, status == "approved"
	}
	return false, false
}

// DecideAccess returns nil if c may approve or deny a request made to
// owner: only the owner's organization, with a role that may change its
// intelligence; to anyone else the request does not exist.
func DecideAccess(c *Caller, owner, id string) error {
	if err := Require(c, ChangeIntel); err != nil {
		return err
	}
	if c.Org != owner {
		return fmt.Errorf("access request %q: %w", id, intel.ErrNotFound)
	}
	return nil
}

// Count reports whether an object shared as s counts toward a number
// shown to c — dashboard figures, report statistics, totals: exactly when
// c may see the object at all. A count never includes an object the caller
// could not list, so no figure reveals a record, even one at a time.
func Count(c *Caller, s Shared) bool { return Decide(c, s) != Hidden }

// OwnSighting reports whether c may see what record r matched in its own
// organization's traffic (its sightings of r): only while c may see r in
// full. Once the originator narrows the audience or makes r personal, the
// sightings no longer name r to c.
func OwnSighting(c *Caller, r *intel.Record) bool {
	_, form := RecordForm(c, r)
	return form == Full
}
