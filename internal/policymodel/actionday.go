package policymodel

import (
	"maps"
	"slices"

	"pgregory.net/rapid"
)

// Action days, modelled as sets of viewers (docs/policy.md, issue 18). An
// action day is its coordinator's; it is seen by the coordinator, every
// member of its group and every police organization it names for a
// country. A booking submitted to it is its airline's; it is seen by the
// airline, the coordinator and the police organization it was routed to,
// and by nobody else — group membership does not count for it. A booking
// is read through its action day, so an organization reads it only when it
// sees both. Every count, ring and score is taken over what the caller reads.

// Profile is an organization's country and sector in the directory.
type Profile struct{ Country, Sector string }

// Countries are the departure countries drawn. No organization is of the
// last, so its bookings are never routed.
var Countries = []string{"FR", "DE", "ES", "IT"}

// Sectors are the sectors drawn.
var Sectors = []string{"police", "airline", "bank"}

// DrawProfiles draws a country and sector for each organization of w.
// Police organizations are of the first two countries only, so that a
// country often has two (one replacing the other on an action day) and
// the third never has any.
func (w *World) DrawProfiles(t *rapid.T) {
	w.Profiles = map[string]Profile{}
	for _, o := range w.Orgs {
		p := Profile{Sector: rapid.SampledFrom(Sectors).Draw(t, "sector")}
		countries := Countries[:len(Countries)-1]
		if p.Sector == "police" {
			countries = Countries[:2]
		}
		p.Country = rapid.SampledFrom(countries).Draw(t, "country")
		w.Profiles[o] = p
	}
}

// Police returns the police organizations of country.
func (w *World) Police(country string) []string {
	var out []string
	for _, o := range w.Orgs {
		if p := w.Profiles[o]; p.Sector == "police" && p.Country == country {
			out = append(out, o)
		}
	}
	return out
}

// ActionDay is what the model knows of an action day.
type ActionDay struct {
	Coordinator, Group string
	// Police is the police organization named per country.
	Police map[string]string
}

// Booking is what the model knows of a submitted booking.
type Booking struct {
	Airline, ID, Country string
	// Police is the organization it was routed to, "" while it waits.
	Police string
	// Card names the card it was paid with; Outcome is what its police
	// recorded ("" for none).
	Card, Outcome string
}

// Verdict is the model's answer to an attempt.
type Verdict int

// The verdicts.
const (
	Allowed Verdict = iota
	// NotFound: the object does not exist for the caller.
	NotFound
	// Forbidden: the caller sees the object but may not do this to it.
	Forbidden
)

func (v Verdict) String() string {
	return [...]string{"allowed", "not found", "forbidden"}[v]
}

// AutoPolice is the police an action day of group gets when its
// coordinator names none: each police organization of the group, for its
// own country. It is false when two of them are of one country (the
// coordinator must then name one).
func (w *World) AutoPolice(group string) (map[string]string, bool) {
	out := map[string]string{}
	for _, m := range w.Members[group] {
		p := w.Profiles[m]
		if p.Sector != "police" {
			continue
		}
		if _, dup := out[p.Country]; dup {
			return nil, false
		}
		out[p.Country] = m
	}
	return out, true
}

// PoliceValid reports whether org may be named the police of country: a
// police organization of that country.
func (w *World) PoliceValid(country, org string) bool {
	p, ok := w.Profiles[org]
	return ok && p.Sector == "police" && p.Country == country
}

// DayViewers is the set of organizations that see action day d.
func (w *World) DayViewers(d *ActionDay) map[string]bool {
	v := map[string]bool{d.Coordinator: true}
	for _, m := range w.Members[d.Group] {
		v[m] = true
	}
	for _, p := range d.Police {
		v[p] = true
	}
	return v
}

// BookingReaders is the set of organizations that read booking b of
// action day d: its airline, the coordinator and its police, of those that
// see d.
func (w *World) BookingReaders(d *ActionDay, b *Booking) map[string]bool {
	day := w.DayViewers(d)
	v := map[string]bool{}
	for _, o := range []string{b.Airline, d.Coordinator, b.Police} {
		if o != "" && day[o] {
			v[o] = true
		}
	}
	return v
}

// Readable returns the bookings of bs that org reads, in order.
func (w *World) Readable(org string, d *ActionDay, bs []*Booking) []*Booking {
	var out []*Booking
	for _, b := range bs {
		if w.BookingReaders(d, b)[org] {
			out = append(out, b)
		}
	}
	return out
}

// MaySubmit is the verdict on org submitting bookings to d: members of its
// group other than its coordinator and the police it names.
func (w *World) MaySubmit(org string, d *ActionDay) Verdict {
	switch {
	case !w.DayViewers(d)[org]:
		return NotFound
	case !slices.Contains(w.Members[d.Group], org), org == d.Coordinator, slices.Contains(slices.Collect(maps.Values(d.Police)), org):
		return Forbidden
	}
	return Allowed
}

// MayUpdate is the verdict on org changing d: its coordinator only.
func (w *World) MayUpdate(org string, d *ActionDay) Verdict {
	switch {
	case !w.DayViewers(d)[org]:
		return NotFound
	case org != d.Coordinator:
		return Forbidden
	}
	return Allowed
}

// MayRecordOutcome is the verdict on org recording the outcome of booking
// b of d (nil: a booking that was never submitted): the police it was
// routed to only.
func (w *World) MayRecordOutcome(org string, d *ActionDay, b *Booking) Verdict {
	switch {
	case b == nil || !w.BookingReaders(d, b)[org]:
		return NotFound
	case b.Police == "" || org != b.Police:
		return Forbidden
	}
	return Allowed
}

// Replaces reports whether naming p the police of cc would replace the
// police d names for cc, which is refused: police are named for more
// countries, never replaced.
func (d *ActionDay) Replaces(cc, p string) bool { return d.Police[cc] != "" && d.Police[cc] != p }

// Route is d with the police of patch named (added; a patch that would
// replace one is refused, see Replaces): the bookings of bs that wait, of
// a country patch names, are routed to its police; bookings already
// routed stay where they are.
func (d *ActionDay) Route(patch map[string]string, bs []*Booking) {
	for cc, p := range patch {
		d.Police[cc] = p
	}
	for _, b := range bs {
		if b.Police == "" && patch[b.Country] != "" {
			b.Police = patch[b.Country]
		}
	}
}
