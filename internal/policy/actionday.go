package policy

import (
	"fmt"

	"fusion/internal/intel"
)

// Action days. An action day is its coordinator's, shared TLP:AMBER with
// the members of its group (the airlines and police taking part) and the
// police organizations it names. A booking submitted to it stays its
// airline's: it is shared TLP:AMBER with the coordinator and with the
// police organization of its departure country, once it is routed there,
// and with nobody else; group membership does not count for it. So an
// airline sees its own bookings only, a police organization the package
// of its own country, and the coordinator every booking. Counts and rings
// over bookings are taken over the bookings the caller may see (Count),
// so that nothing is learnt of a booking through a figure either.

// ActionDayShared is what the gate needs to know about an action day.
func ActionDayShared(coordinator, group string, police []string) Shared {
	return Shared{Originator: coordinator, TLP: intel.Amber, Audience: intel.Audience{Orgs: police, Groups: []string{group}}}
}

// BookingShared is what the gate needs to know about a booking submitted
// by airline to an action day of coordinator, routed to police ("" when
// it is not routed).
func BookingShared(airline, coordinator, police string) Shared {
	orgs := []string{coordinator}
	if police != "" {
		orgs = append(orgs, police)
	}
	return Shared{Originator: airline, TLP: intel.Amber, Audience: intel.Audience{Orgs: orgs}}
}

// SubmitBookingsRole returns nil if c's role may submit bookings to any
// action day: one that creates records or submits events. A role that may
// not is refused as such even for a day it cannot see.
func SubmitBookingsRole(c *Caller) error {
	if !Can(c, CreateRecords) && !Can(c, SubmitEvents) {
		return Require(c, CreateRecords)
	}
	return nil
}

// SubmitBookings returns nil if c may submit bookings to an action day
// shared as day (ActionDayShared): a member of its group other than the
// coordinator and the police organizations the day names, with a role
// that creates records or submits events (an analyst uploading a file,
// the booking engine's sensor token). To an organization that cannot see
// the day it does not exist.
func SubmitBookings(c *Caller, id string, day Shared) error {
	if err := SubmitBookingsRole(c); err != nil {
		return err
	}
	switch {
	case Decide(c, day) == Hidden:
		return fmt.Errorf("action day %q: %w", id, intel.ErrNotFound)
	case !c.InGroup(day.Audience.Groups[0]):
		return fmt.Errorf("%w: only members of group %s submit bookings to action day %s", intel.ErrForbidden, day.Audience.Groups[0], id)
	case c.Org == day.Originator || day.Audience.HasOrg(c.Org):
		return fmt.Errorf("%w: the coordinator and the police of action day %s receive bookings, they do not submit them", intel.ErrForbidden, id)
	}
	return nil
}

// RecordOutcome returns nil if c may record the outcome of a booking
// shared as b and routed to police: that police organization only, with a
// role that gives feedback. To an organization that cannot see the
// booking it does not exist.
func RecordOutcome(c *Caller, id string, b Shared, police string) error {
	if err := Require(c, GiveFeedback); err != nil {
		return err
	}
	switch {
	case Decide(c, b) == Hidden:
		return fmt.Errorf("booking %q: %w", id, intel.ErrNotFound)
	case police == "" || c.Org != police:
		return fmt.Errorf("%w: only the police organization the booking was routed to records its outcome", intel.ErrForbidden)
	}
	return nil
}
