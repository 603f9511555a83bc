package policy

import (
	"slices"

	"fusion/internal/evidence"
)

// Entry reports whether c may see an evidence log entry: its own actions,
// entries about its own objects, and — for admins of the hub's operator —
// every entry. Entries that name a record their actor may not see are
// shown to the record's owner and the operator, never to the actor, who
// would otherwise learn the record's id and could link its hits: a hit (a
// discoverable record matched the actor's hit/no-hit query) and an access
// request (named by a sealed reference).
func Entry(c *Caller, l *evidence.Leaf) bool {
	if c == nil || c.Org == "" {
		return false
	}
	if Can(c, OperateHub) {
		return true
	}
	if slices.Contains(l.Owners(), c.Org) {
		return true
	}
	return c.Org == l.Org && !hiddenFromActor[l.Action]
}

// hiddenFromActor are the evidence actions whose entries their actor may
// not see.
var hiddenFromActor = map[evidence.Action]bool{evidence.Hit: true, evidence.AccessRequest: true}
