package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// RequestAccess asks the owner of the record behind ref for access.
func (h *Hub) RequestAccess(ctx context.Context, c *policy.Caller, ref, purpose string) (AccessView, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return AccessView{}, err
	}
	if h.m == nil {
		return AccessView{}, ErrNoIndex
	}
	purpose = strings.TrimSpace(purpose)
	if purpose == "" || len(purpose) > 1024 {
		return AccessView{}, &intel.FieldError{Field: "purpose", Reason: "is required, at most 1 KiB"}
	}
	id, ok := h.m.openRef(ref)
	if !ok {
		return AccessView{}, &intel.FieldError{Field: "ref", Value: ref, Reason: "not a reference this hub gave out"}
	}
	r, err := h.store.Record(ctx, id)
	if err != nil {
		return AccessView{}, &intel.FieldError{Field: "ref", Value: ref, Reason: "the record it names no longer exists"}
	}
	if _, form := policy.RecordForm(c, &r); form == policy.Full {
		return AccessView{}, fmt.Errorf("%w: %s already sees this record in full; there is nothing to ask for", intel.ErrConflict, c.Org)
	}
	a := store.AccessRequest{ID: newID(), RecordID: id, Owner: r.Originator, Requester: c.Org, Purpose: purpose, Status: "pending", Created: h.now()}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil { // serializes with every other request, on every hub
			return err
		}
		if pending, err := tx.PendingAccessRequest(c.Org, id); err != nil {
			return err
		} else if pending != "" {
			return fmt.Errorf("%w: access request %s for this record is still pending; one at a time", intel.ErrConflict, pending)
		}
		if err := tx.InsertAccessRequest(a); err != nil {
			return err
		}
		return h.logAccess(tx, actorOf(c), evidence.AccessRequest, nil, a)
	})
	v, _ := accessView(c, a)
	return v, err
}

// logAccess logs a step of an access request, whose content was before
// (nil for the request itself).
func (h *Hub) logAccess(tx *store.Tx, a actor, action evidence.Action, before []byte, req store.AccessRequest) error {
	// The request names the record only for its owner: the leaf's objects
	// are owned by the record's owner, and the requester appears as actor.
	return h.ev.Append(tx, a.leaf(action,
		evidence.Object{Kind: evidence.KindRecord, ID: req.RecordID, Owner: req.Owner},
		evidence.ChangeOf(evidence.KindAccessRequest, req.ID, req.Owner, before, evidence.AccessRequestContent(req))))
}

// AccessView is an access request as one side sees it (policy.AccessRequest):
// the owner always sees the record it is about; the requester only once
// access is granted.
type AccessView struct {
	ID        string     `json:"id"`
	Owner     string     `json:"owner"`
	Requester string     `json:"requester"`
	Purpose   string     `json:"purpose"`
	Status    string     `json:"status"` // pending, approved, denied
	Reason    string     `json:"reason,omitempty"`
	Created   time.Time  `json:"created"`
	Decided   *time.Time `json:"decided,omitempty"`
	Record    string     `json:"record,omitempty"`
}

// accessView returns a as c may see it, and false if c may not see it.
func accessView(c *policy.Caller, a store.AccessRequest) (AccessView, bool) {
	visible, showRecord := policy.AccessRequest(c, a.Owner, a.Requester, a.Status)
	if !visible {
		return AccessView{}, false
	}
	v := AccessView{ID: a.ID, Owner: a.Owner, Requester: a.Requester, Purpose: a.Purpose, Status: a.Status, Reason: a.Reason, Created: a.Created, Decided: a.Decided}
	if showRecord {
		v.Record = a.RecordID
	}
	return v, true
}

// AccessRequests lists the requests c's organization received
// (received=true) or made, newest first.
func (h *Hub) AccessRequests(ctx context.Context, c *policy.Caller, received bool) ([]AccessView, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	as, err := h.store.AccessRequests(ctx, c.Org, !received)
	out := make([]AccessView, 0, len(as))
	for _, a := range as {
		if v, ok := accessView(c, a); ok {
			out = append(out, v)
		}
	}
	return out, err
}

// DecideAccess approves or denies a pending request made to c's
// organization. Approval adds the requester to the record's audience (a new
// version of the record, logged like any change).
func (h *Hub) DecideAccess(ctx context.Context, c *policy.Caller, id string, approve bool, reason string) (AccessView, error) {
	if len(reason) > 1024 {
		return AccessView{}, &intel.FieldError{Field: "reason", Reason: "longer than 1 KiB"}
	}
	var out store.AccessRequest
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		a, err := tx.AccessRequest(id)
		if IsNotFoundErr(err) {
			return policy.DecideAccess(c, "", id)
		}
		if err != nil {
			return err
		}
		if err := policy.DecideAccess(c, a.Owner, id); err != nil {
			return err
		}
		before := evidence.AccessRequestContent(a)
		status, action := "denied", evidence.AccessDeny
		if approve {
			status, action = "approved", evidence.AccessGrant
		}
		now := h.now()
		if err := tx.DecideAccessRequest(id, status, reason, now); err != nil {
			return err
		}
		a.Status, a.Reason, a.Decided = status, reason, &now
		if approve {
			prev, prevBody, err := tx.RecordWithBody(a.RecordID)
			if err != nil {
				return err
			}
			if !prev.Audience.HasOrg(a.Requester) {
				next := prev
				next.Audience.Orgs = append(slices.Clone(prev.Audience.Orgs), a.Requester)
				slices.Sort(next.Audience.Orgs)
				if err := h.writeVersion(tx, c, evidence.RecordUpdate, &prev, prevBody, &next, now); err != nil {
					return err
				}
			}
		}
		out = a
		return h.logAccess(tx, actorOf(c), action, before, a)
	})
	v, _ := accessView(c, out)
	return v, err
}
