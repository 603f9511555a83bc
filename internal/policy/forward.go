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
//   - it was not itself received from a partner hub (Origin): its
//     originator chose the hubs it reaches, and a partner is never sent
//     back what it sent;
//   - no handling code forbids it: H2 (no onward dissemination without the
//     originator's consent) keeps it on this hub;
//   - its TLP allows a community beyond the hub: clear and green go to any
//     partner that may see them; amber only to a partner the originator
//     named in the audience itself (a group membership is not consent to
//     leave the hub); amber+strict and red never leave.
func Forward(partner *Caller, r *intel.Record) (intel.Record, bool) {
	v, form := RecordForm(partner, r)
	switch {
	case form != Full || !r.Active() || r.Personal || r.Origin != nil:
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

// Export decides what a STIX export (a bundle, a TAXII collection) may
// carry of r: for a partner hub's token (Federate), what Forward lets leave
// the hub; for any other caller, r when it may see it in full (a redacted
// record has no STIX form: its value is what the objects are about). A
// revoked record goes to a partner that could have received it while it
// was active, so that the partner learns of the revocation.
func Export(c *Caller, r *intel.Record) (intel.Record, bool) {
	if c != nil && c.Role == intel.RolePartner {
		if r.Active() {
			return Forward(c, r)
		}
		active := *r
		active.Revoked = nil
		if _, ok := Forward(c, &active); !ok {
			return intel.Record{}, false
		}
		v, _ := RecordForm(c, r)
		return v, true
	}
	v, form := RecordForm(c, r)
	return v, form == Full
}

// ExportVersion is Export for an earlier version old of a record whose
// current version is cur: both must be exportable, and the earlier version
// comes in the form Version gives.
func ExportVersion(c *Caller, cur, old *intel.Record) (intel.Record, bool) {
	if _, ok := Export(c, cur); !ok {
		return intel.Record{}, false
	}
	if _, ok := Export(c, old); !ok {
		return intel.Record{}, false
	}
	return Version(c, cur, old)
}

// ExportReport decides whether c may receive report r through a STIX
// export: a partner hub only a report it could receive under Forward's TLP
// rule (clear or green, or amber naming it), anyone else a report it may see.
func ExportReport(c *Caller, r *intel.Report) (intel.Report, bool) {
	v, ok := Report(c, r)
	if !ok || c == nil || c.Role != intel.RolePartner {
		return v, ok
	}
	switch {
	case r.TLP == intel.Clear || r.TLP == intel.Green:
		return v, true
	case r.TLP == intel.Amber && r.Audience.HasOrg(c.Org) && !slices.Contains(r.Handling.Codes, intel.H2):
		return v, true
	}
	return intel.Report{}, false
}
