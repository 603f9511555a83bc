package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// IsNotFoundErr reports whether err means "does not exist for this caller".
func IsNotFoundErr(err error) bool { return errors.Is(err, intel.ErrNotFound) }

// ListOrgs returns the member directory. Every member may read it: sharing
// to an organization needs its id.
func (h *Hub) ListOrgs(ctx context.Context, c *policy.Caller) ([]intel.Org, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	return h.store.Orgs(ctx)
}

// GetOrg returns one member organization.
func (h *Hub) GetOrg(ctx context.Context, c *policy.Caller, id string) (intel.Org, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return intel.Org{}, err
	}
	return h.store.Org(ctx, id)
}

// ListGroups returns the groups c's organization belongs to, with members.
func (h *Hub) ListGroups(ctx context.Context, c *policy.Caller) ([]intel.Group, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	out := make([]intel.Group, 0, len(c.Groups))
	for _, id := range c.Groups {
		g, err := h.store.Group(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// GetGroup returns a group c's organization belongs to; any other group does
// not exist for c.
func (h *Hub) GetGroup(ctx context.Context, c *policy.Caller, id string) (intel.Group, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return intel.Group{}, err
	}
	if !policy.Group(c, id) {
		return intel.Group{}, fmt.Errorf("group %q: %w", id, intel.ErrNotFound)
	}
	return h.store.Group(ctx, id)
}

// CreateGroup creates a sharing group owned by c's organization. The hub
// chooses its id ("g-" and 16 random hex digits): a member choosing one
// would learn from a refusal that another organization's group holds it.
func (h *Hub) CreateGroup(ctx context.Context, c *policy.Caller, name string) (intel.Group, error) {
	if err := policy.Require(c, policy.ManageGroups); err != nil {
		return intel.Group{}, err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return intel.Group{}, err
	}
	return h.createGroup(ctx, actorOf(c), "g-"+hex.EncodeToString(b[:]), name, c.Org)
}

// AddGroupMember adds org to a group that c's organization owns.
func (h *Hub) AddGroupMember(ctx context.Context, c *policy.Caller, group, org string) (intel.Group, error) {
	if err := h.ownGroup(ctx, c, group); err != nil {
		return intel.Group{}, err
	}
	return h.changeMembers(ctx, actorOf(c), group, org, true)
}

// RemoveGroupMember removes org from a group that c's organization owns.
// The owner cannot leave its own group.
func (h *Hub) RemoveGroupMember(ctx context.Context, c *policy.Caller, group, org string) (intel.Group, error) {
	if err := h.ownGroup(ctx, c, group); err != nil {
		return intel.Group{}, err
	}
	if org == c.Org {
		return intel.Group{}, &intel.FieldError{Field: "org", Value: org, Reason: "the owner cannot leave its own group"}
	}
	return h.changeMembers(ctx, actorOf(c), group, org, false)
}

func (h *Hub) ownGroup(ctx context.Context, c *policy.Caller, group string) error {
	owner := ""
	if policy.Group(c, group) {
		g, err := h.store.Group(ctx, group)
		if err != nil {
			return err
		}
		owner = g.Owner
	}
	return policy.ManageGroup(c, group, owner)
}

// IssueToken creates a token for c's own organization and returns its secret,
// which is shown this once and never stored.
func (h *Hub) IssueToken(ctx context.Context, c *policy.Caller, role intel.Role, name string) (string, intel.Token, error) {
	if err := policy.Require(c, policy.ManageTokens); err != nil {
		return "", intel.Token{}, err
	}
	return h.issueToken(ctx, actorOf(c), c.Org, role, name)
}

// ListTokens lists the tokens of c's organization (never their secrets).
func (h *Hub) ListTokens(ctx context.Context, c *policy.Caller) ([]intel.Token, error) {
	if err := policy.Require(c, policy.ManageTokens); err != nil {
		return nil, err
	}
	return h.store.Tokens(ctx, c.Org)
}

// RevokeToken revokes a token of c's organization.
func (h *Hub) RevokeToken(ctx context.Context, c *policy.Caller, id string) error {
	if err := policy.Require(c, policy.ManageTokens); err != nil {
		return err
	}
	tok, err := h.store.Token(ctx, id)
	if err != nil {
		return err
	}
	if err := policy.ManageToken(c, tok.Org, id); err != nil {
		return err
	}
	return h.revokeToken(ctx, actorOf(c), id)
}

// The Operator methods are for whoever runs the hub, from its own machine
// (fusion admin, fusion serve --demo). They act without a caller; their
// evidence leaves name no organization.

// OperatorCreateOrg adds a member organization; operator marks the one that runs the hub.
func (h *Hub) OperatorCreateOrg(ctx context.Context, id, name, country, sector string, operatorOrg bool) (intel.Org, error) {
	o, err := intel.NewOrg(id, name, country, sector)
	if err != nil {
		return o, err
	}
	o.Created, o.Operator = h.now(), operatorOrg
	return o, h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOrg(o); err != nil {
			return err
		}
		return h.logged(tx, operator, evidence.OrgCreate, evidence.KindOrg, o.ID, o.ID, nil, orgContent(tx, o.ID))
	})
}

// OperatorCreateGroup creates a sharing group; owner becomes its first member.
func (h *Hub) OperatorCreateGroup(ctx context.Context, id, name, owner string) (intel.Group, error) {
	return h.createGroup(ctx, operator, id, name, owner)
}

func (h *Hub) createGroup(ctx context.Context, a actor, id, name, owner string) (intel.Group, error) {
	g, err := intel.NewGroup(id, name, owner)
	if err != nil {
		return g, err
	}
	g.Created, g.Members = h.now(), []string{owner}
	// The owner's cached callers lack the new group.
	defer h.tokens.invalidate()
	return g, h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertGroup(g); err != nil {
			return err
		}
		return h.logged(tx, a, evidence.GroupCreate, evidence.KindGroup, g.ID, g.Owner, nil, groupContent(tx, g.ID))
	})
}

// OperatorAddMember adds org to group.
func (h *Hub) OperatorAddMember(ctx context.Context, group, org string) (intel.Group, error) {
	return h.changeMembers(ctx, operator, group, org, true)
}

func (h *Hub) changeMembers(ctx context.Context, a actor, group, org string, add bool) (intel.Group, error) {
	if _, err := h.store.Org(ctx, org); err != nil {
		return intel.Group{}, &intel.FieldError{Field: "org", Value: org, Reason: "no such organization"}
	}
	var g intel.Group
	// The member's cached callers hold its groups: forget them once the
	// change is committed.
	defer h.tokens.invalidate()
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		before, err := changing(tx, groupContent(tx, group))
		if err != nil {
			return err
		}
		action := evidence.GroupAddMember
		if add {
			err = tx.AddMember(group, org, h.now())
		} else {
			action, err = evidence.GroupRemoveMember, tx.RemoveMember(group, org)
		}
		if err != nil {
			return err
		}
		if g, err = tx.Group(group); err != nil {
			return err
		}
		tx.OnCommit(h.refreshAllShared) // group audiences of shared ranges reach other organizations now
		return h.logged(tx, a, action, evidence.KindGroup, g.ID, g.Owner, before, groupContent(tx, g.ID))
	})
	return g, err
}

// TokenPrefix starts every token secret, so that leaked tokens are easy to scan for.
const TokenPrefix = "fsn_"

// OperatorIssueToken creates a token for org with role and returns its
// secret: 256 random bits, of which only the SHA-256 is stored.
func (h *Hub) OperatorIssueToken(ctx context.Context, org string, role intel.Role, name string) (string, intel.Token, error) {
	return h.issueToken(ctx, operator, org, role, name)
}

func (h *Hub) issueToken(ctx context.Context, a actor, org string, role intel.Role, name string) (string, intel.Token, error) {
	if _, err := intel.ParseRole(string(role)); err != nil {
		return "", intel.Token{}, err
	}
	if len(name) > 256 {
		return "", intel.Token{}, &intel.FieldError{Field: "name", Reason: "longer than 256 bytes"}
	}
	var raw [32]byte
	var idb [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", intel.Token{}, err
	}
	if _, err := rand.Read(idb[:]); err != nil {
		return "", intel.Token{}, err
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	tok := intel.Token{ID: "tok-" + hex.EncodeToString(idb[:]), Org: org, Role: role, Name: name, Created: h.now()}
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertToken(tok, sum[:]); err != nil {
			return err
		}
		return h.logged(tx, a, evidence.TokenIssue, evidence.KindToken, tok.ID, org, nil, tokenContent(tx, tok.ID))
	})
	if err != nil {
		return "", intel.Token{}, err
	}
	return secret, tok, nil
}

// OperatorRevokeToken revokes any token.
func (h *Hub) OperatorRevokeToken(ctx context.Context, id string) error {
	return h.revokeToken(ctx, operator, id)
}

func (h *Hub) revokeToken(ctx context.Context, a actor, id string) error {
	// Forget the cached tokens once the revocation is committed (deferred
	// calls run after the return value, Update, is computed): the revoked
	// token fails on its next request to this hub (tokencache.go).
	defer h.tokens.invalidate()
	return h.store.Update(ctx, func(tx *store.Tx) error {
		before, err := changing(tx, tokenContent(tx, id))
		if err != nil {
			return err
		}
		if err := tx.RevokeToken(id, h.now()); err != nil {
			return err
		}
		tok, err := tx.TokenRow(id)
		if err != nil {
			return err
		}
		return h.logged(tx, a, evidence.TokenRevoke, evidence.KindToken, tok.ID, tok.Org, before, tokenContent(tx, id))
	})
}

// OperatorOrgs lists every organization, for the hub's operator.
func (h *Hub) OperatorOrgs(ctx context.Context) ([]intel.Org, error) { return h.store.Orgs(ctx) }

// OperatorGroups lists every group with its members, for the hub's operator.
func (h *Hub) OperatorGroups(ctx context.Context) ([]intel.Group, error) { return h.store.Groups(ctx) }

// OperatorTokens lists an organization's tokens, for the hub's operator.
func (h *Hub) OperatorTokens(ctx context.Context, org string) ([]intel.Token, error) {
	if _, err := h.store.Org(ctx, org); err != nil {
		return nil, err
	}
	return h.store.Tokens(ctx, org)
}
