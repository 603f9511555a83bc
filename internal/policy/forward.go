package policy

import (
	"slices"

	"fusion/internal/intel"
)

// Forward decides whether record r may leave this hub for partner — a
// partner hub or platform outside it (TAXII, federation), known here as an
// organization of the directory — and returns the copy it may receive.
// A record is forwarded only when all of these hold:
//
//   - the partner may see it in full under Decide;
//   - it is active, and not personal (personal data leaves the hub for no one);
//   - no handling code forbids it: H2 (no onward dissemination without the
//     originator's consent) keeps it on this hub;
//   - its TLP allows a community beyond the hub: clear and green go to any
//     partner that may see them; amber only to a partner the originator
//     named in the audience itself (a group membership is not consent to
//     leave the hub); amber+strict and red never leave.
func Forward(partner *Caller, r *intel.Record) (intel.Record, bool) {
	v, form := RecordForm(partner, r)
	switch {
	case form != Full || !r.Active() || r.Personal:
		return intel.Record{}, false
	case slices.Contains(r.Handling.Codes, intel.H2):
		return intel.Record{}, false
	}
	switch r.TLP {
	case intel.Clear, intel.Green:
		return v, true
	case intel.Amber:
		if r.Audience.HasOrg(partner.Org) {
			return v, true
		}
	}
	return intel.Record{}, false
}
