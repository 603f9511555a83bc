package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/screen"
	"fusion/internal/store"
)

// Rule packages of transaction screening (package screen) shared through
// the exchange like records: an organization — a country's police, say —
// publishes a package with a TLP, an audience and handling codes, and the
// organizations that may see it (policy.Decide; a package is never
// personal) screen their bookings with it (ScreenWithPackage) and read it.
// Its originator revises it (a new version, same id) and revokes it.
//
// Each version is one immutable row (store.RulePackageRow), written with
// its evidence leaf in the same transaction: rule-package.create and
// rule-package.revise name the new version (evidence.RulePackageID,
// "id@version"), rule-package.revoke the version revoked. A read by
// another organization than the originator is logged as a disclose leaf,
// as a record's is, unless the package is TLP:CLEAR.
//
// The hub names a package: its id is the hub's (a UUID, as a record's),
// whatever id the posted JSON gave (in a revision too: the path names the
// package), so that no organization can learn of another's hidden package
// by trying to take its name. Its version is 1,
// then one more at each revision; a posted version other than that is
// refused, so that two revisions made from the same version do not both
// pass unnoticed.

// RulePackageInput is a rule package as published or revised: the
// package's JSON (screen.Package) and its sharing terms, as a record's.
// In a revision each member left out (or null) keeps its value.
type RulePackageInput struct {
	Package  json.RawMessage `json:"package,omitempty"`
	TLP      string          `json:"tlp"`
	Audience *intel.Audience `json:"audience"`
	Handling *intel.Handling `json:"handling"`
}

// SharedPackage is one version of a rule package as a caller may see it.
type SharedPackage struct {
	ID            string          `json:"id"`
	Version       int             `json:"version"`
	Originator    string          `json:"originator"`
	TLP           intel.TLP       `json:"tlp"`
	Audience      intel.Audience  `json:"audience"`
	Handling      intel.Handling  `json:"handling"`
	Created       time.Time       `json:"created"`
	Revoked       *time.Time      `json:"revoked,omitempty"`
	RevokedReason string          `json:"revoked_reason,omitempty"`
	Package       *screen.Package `json:"package"`
}

// MaxRulePackage bounds a package's JSON, in bytes (64 rules of at most
// 4 KB each, and their reasons).
const MaxRulePackage = 320 << 10

// rulePackages holds the compiled versions of rule packages (rows are
// immutable, so a version compiles once) and the screeners running them.
type rulePackages struct {
	mu        sync.Mutex
	compiled  map[string]*screen.Compiled // by evidence.RulePackageID
	screeners map[string]*pkgScreener     // by org, NUL, package id
}

// pkgScreener is an organization's screener of one version of a package.
type pkgScreener struct {
	version int
	o       *orgScreener
}

// CreateRulePackage publishes a rule package of c's organization. It needs
// policy.CreateRecords. The package is compiled (screen.Compile) and
// refused, as a *intel.FieldError, when it does not compile: a rule's
// expression names the field package.rules[N].expr, the expression, and
// the line, column and reason. TLP, audience and handling are checked as
// a record's (intel.Sharing; organizations must exist, groups must be
// c's).
func (h *Hub) CreateRulePackage(ctx context.Context, c *policy.Caller, in RulePackageInput) (SharedPackage, error) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		return SharedPackage{}, err
	}
	p, err := decodeRulePackage(in.Package)
	if err != nil {
		return SharedPackage{}, err
	}
	if p.Version != 0 && p.Version != 1 {
		return SharedPackage{}, &intel.FieldError{Field: "package.version", Value: strconv.Itoa(p.Version), Reason: "a new package is version 1"}
	}
	p.ID, p.Version = newID(), 1
	if err := compileField(p); err != nil {
		return SharedPackage{}, err
	}
	tlp, aud, hd, err := intel.Sharing(in.TLP, in.Audience, in.Handling)
	if err != nil {
		return SharedPackage{}, err
	}
	row, err := rulePackageRow(p, c.Org, tlp, aud, hd, h.now())
	if err != nil {
		return SharedPackage{}, err
	}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := newAudienceCheck(tx, c).check(aud); err != nil {
			return err
		}
		if err := tx.InsertRulePackage(row); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), evidence.RulePackageCreate, evidence.KindRulePackage, evidence.RulePackageID(row.ID, row.Version),
			row.Originator, nil, rulePackageContent(tx, row.ID, row.Version))
	})
	if err != nil {
		return SharedPackage{}, err
	}
	return sharedPackage(row, aud, p), nil
}

// ReviseRulePackage writes the next version of package id: the same id,
// the version one more, the package and the sharing terms given (those
// left out kept). Only the originator may (policy.Change: a package c
// cannot see is intel.ErrNotFound, one it can see but did not publish
// intel.ErrForbidden); a revoked package is intel.ErrConflict.
func (h *Hub) ReviseRulePackage(ctx context.Context, c *policy.Caller, id string, in RulePackageInput) (SharedPackage, error) {
	var (
		next store.RulePackageRow
		aud  intel.Audience
		p    *screen.Package
	)
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.RulePackageRow(id, 0)
		if err != nil {
			return err
		}
		curAud, curHd, err := rowSharing(cur)
		if err != nil {
			return err
		}
		if err := policy.Change(c, "rule package", id, policy.Shared{Originator: cur.Originator, TLP: intel.TLP(cur.TLP), Audience: curAud}); err != nil {
			return err
		}
		if cur.Revoked != nil {
			return fmt.Errorf("%w: rule package %s was revoked", intel.ErrConflict, id)
		}
		given := len(bytes.TrimSpace(in.Package)) > 0 && !bytes.Equal(bytes.TrimSpace(in.Package), []byte("null"))
		if given {
			if p, err = decodeRulePackage(in.Package); err != nil {
				return err
			}
		} else if p, err = screen.ParsePackage([]byte(cur.Body)); err != nil {
			return fmt.Errorf("stored rule package %s: %w", id, err)
		}
		if given && p.Version != 0 && p.Version != cur.Version+1 {
			return &intel.FieldError{Field: "package.version", Value: strconv.Itoa(p.Version),
				Reason: fmt.Sprintf("the current version is %d, so a revision is %d", cur.Version, cur.Version+1)}
		}
		p.ID, p.Version = id, cur.Version+1
		if err := compileField(p); err != nil {
			return err
		}
		tlp := in.TLP
		if tlp == "" {
			tlp = cur.TLP
		}
		if in.Audience != nil {
			curAud = *in.Audience
		}
		if in.Handling != nil {
			curHd = *in.Handling
		}
		var hd intel.Handling
		var t intel.TLP
		if t, aud, hd, err = intel.Sharing(tlp, &curAud, &curHd); err != nil {
			return err
		}
		if err := newAudienceCheck(tx, c).check(aud); err != nil {
			return err
		}
		if next, err = rulePackageRow(p, cur.Originator, t, aud, hd, h.now()); err != nil {
			return err
		}
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		if err := tx.InsertRulePackage(next); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), evidence.RulePackageRevise, evidence.KindRulePackage, evidence.RulePackageID(next.ID, next.Version),
			next.Originator, nil, rulePackageContent(tx, next.ID, next.Version))
	})
	if err != nil {
		return SharedPackage{}, err
	}
	return sharedPackage(next, aud, p), nil
}

// RevokeRulePackage revokes the current version of package id, and so the
// package: it is still shown, marked revoked, but nobody screens with it
// any more and it cannot be revised. Only the originator may
// (policy.Change); a package revoked already is intel.ErrConflict.
func (h *Hub) RevokeRulePackage(ctx context.Context, c *policy.Caller, id, reason string) (SharedPackage, error) {
	if len(reason) > 1024 {
		return SharedPackage{}, &intel.FieldError{Field: "reason", Reason: "longer than 1 KiB"}
	}
	var row store.RulePackageRow
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.RulePackageRow(id, 0)
		if err != nil {
			return err
		}
		aud, _, err := rowSharing(cur)
		if err != nil {
			return err
		}
		if err := policy.Change(c, "rule package", id, policy.Shared{Originator: cur.Originator, TLP: intel.TLP(cur.TLP), Audience: aud}); err != nil {
			return err
		}
		if cur.Revoked != nil {
			return fmt.Errorf("%w: rule package %s was revoked already", intel.ErrConflict, id)
		}
		before, err := changing(tx, rulePackageContent(tx, id, cur.Version))
		if err != nil {
			return err
		}
		if err := tx.RevokeRulePackage(id, cur.Version, h.now(), reason); err != nil {
			return err
		}
		if row, err = tx.RulePackageRow(id, cur.Version); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), evidence.RulePackageRevoke, evidence.KindRulePackage, evidence.RulePackageID(id, cur.Version),
			cur.Originator, before, rulePackageContent(tx, id, cur.Version))
	})
	if err != nil {
		return SharedPackage{}, err
	}
	return h.packageView(c, row, row)
}

// GetRulePackage returns package id as c may see it: its current version,
// or version when it is more than 0. A package c may not see is
// intel.ErrNotFound, as one that does not exist; an earlier version is
// shown only when c may see both it and the current one. It needs
// policy.ReadIntel. A package shown to another organization than its
// originator is logged as a disclosure before c sees it, unless it is
// TLP:CLEAR.
func (h *Hub) GetRulePackage(ctx context.Context, c *policy.Caller, id string, version int) (SharedPackage, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return SharedPackage{}, err
	}
	if version < 0 {
		return SharedPackage{}, &intel.FieldError{Field: "version", Value: strconv.Itoa(version), Reason: "want 1 or more"}
	}
	cur, err := h.store.RulePackage(ctx, id, 0)
	if err != nil {
		return SharedPackage{}, err
	}
	row := cur
	if version > 0 && version != cur.Version {
		if _, ok, err := rowVisible(c, cur); err != nil || !ok {
			return SharedPackage{}, hiddenPackage(id, err)
		}
		if row, err = h.store.RulePackage(ctx, id, version); err != nil {
			return SharedPackage{}, err
		}
	}
	v, err := h.packageView(c, cur, row)
	if err != nil {
		return SharedPackage{}, err
	}
	return v, h.disclosePackages(ctx, c, []SharedPackage{v})
}

// ListRulePackages returns the current version of every package c may
// see, newest first, revoked ones included (marked). It needs
// policy.ReadIntel; the packages shown are logged as disclosures, as
// GetRulePackage's.
func (h *Hub) ListRulePackages(ctx context.Context, c *policy.Caller) ([]SharedPackage, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	rows, err := h.store.RulePackages(ctx)
	if err != nil {
		return nil, err
	}
	out := []SharedPackage{}
	for _, r := range rows {
		v, err := h.packageView(c, r, r)
		if errors.Is(err, intel.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, h.disclosePackages(ctx, c, out)
}

// RulePackage returns the current version of package id, compiled, for
// screening with it: for ScreenWithPackage and the action-day workflow.
// A package c may not see, and a revoked one, is intel.ErrNotFound. It
// needs policy.ReadIntel or policy.SubmitEvents (a booking engine's
// sensor token screens with packages it cannot read). Its use by another
// organization than the originator is logged as a disclosure, unless it
// is TLP:CLEAR.
func (h *Hub) RulePackage(ctx context.Context, c *policy.Caller, id string) (*screen.Compiled, error) {
	row, comp, err := h.usablePackage(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := h.discloseUse(ctx, c, row); err != nil {
		return nil, err
	}
	return comp, nil
}

// usablePackage is RulePackage without the disclosure.
func (h *Hub) usablePackage(ctx context.Context, c *policy.Caller, id string) (store.RulePackageRow, *screen.Compiled, error) {
	if !policy.Can(c, policy.ReadIntel) {
		if err := policy.Require(c, policy.SubmitEvents); err != nil {
			return store.RulePackageRow{}, nil, err
		}
	}
	row, err := h.store.RulePackage(ctx, id, 0)
	if err != nil {
		return store.RulePackageRow{}, nil, err
	}
	if _, ok, err := rowVisible(c, row); err != nil || !ok {
		return store.RulePackageRow{}, nil, hiddenPackage(id, err)
	}
	if row.Revoked != nil {
		return store.RulePackageRow{}, nil, fmt.Errorf("rule package %q was revoked: %w", id, intel.ErrNotFound)
	}
	comp, err := h.compiledPackage(row)
	return row, comp, err
}

// compiledPackage compiles a stored version once.
func (h *Hub) compiledPackage(row store.RulePackageRow) (*screen.Compiled, error) {
	key := evidence.RulePackageID(row.ID, row.Version)
	h.rp.mu.Lock()
	comp := h.rp.compiled[key]
	h.rp.mu.Unlock()
	if comp != nil {
		return comp, nil
	}
	p, err := screen.ParsePackage([]byte(row.Body))
	if err != nil {
		return nil, fmt.Errorf("stored rule package %s: %w", key, err)
	}
	if comp, err = screen.Compile(p); err != nil {
		return nil, fmt.Errorf("stored rule package %s: %w", key, err)
	}
	h.rp.mu.Lock()
	defer h.rp.mu.Unlock()
	if h.rp.compiled == nil {
		h.rp.compiled = map[string]*screen.Compiled{}
	}
	h.rp.compiled[key] = comp
	return comp, nil
}

// ScreenWithPackage is Screen with the current version of rule package
// pkg visible to c (RulePackage) instead of the built-in package; an empty
// pkg is Screen. Each organization has one screener per package, in
// memory, made on its first booking for the package's current version
// (which is when the package's use is logged as a disclosure); a revision
// replaces it with an empty one, forgetting its rings. A package c may not
// see, or a revoked one, is intel.ErrNotFound.
func (h *Hub) ScreenWithPackage(ctx context.Context, c *policy.Caller, pkg string, body []byte) (ScreenResult, error) {
	if pkg == "" {
		return h.Screen(ctx, c, body)
	}
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return ScreenResult{}, err
	}
	b, err := screen.ParseBooking(body, screen.ReaderOptions{Key: h.screenKey()})
	if err != nil {
		return ScreenResult{}, err
	}
	row, comp, err := h.usablePackage(ctx, c, pkg)
	if err != nil {
		return ScreenResult{}, err
	}
	key := c.Org + "\x00" + row.ID
	h.rp.mu.Lock()
	ps := h.rp.screeners[key]
	h.rp.mu.Unlock()
	if ps == nil || ps.version != row.Version {
		// First use of this version by c's organization: logged before
		// any booking is screened with it.
		if err := h.discloseUse(ctx, c, row); err != nil {
			return ScreenResult{}, err
		}
		h.rp.mu.Lock()
		if h.rp.screeners == nil {
			h.rp.screeners = map[string]*pkgScreener{}
		}
		ps = h.rp.screeners[key]
		if ps == nil || ps.version != row.Version {
			o, err := h.loadScreener(ctx, c.Org, row.ID+"@"+strconv.Itoa(row.Version), comp)
			if err != nil {
				h.rp.mu.Unlock()
				return ScreenResult{}, err
			}
			ps = &pkgScreener{version: row.Version, o: o}
			h.rp.screeners[key] = ps
		}
		h.rp.mu.Unlock()
	}
	return screenIn(ps.o, comp, &b, h.now())
}

// decodeRulePackage reads a posted package strictly; its compilation is
// compileField's.
func decodeRulePackage(data json.RawMessage) (*screen.Package, error) {
	if len(bytes.TrimSpace(data)) == 0 || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil, &intel.FieldError{Field: "package", Reason: "is required"}
	}
	if len(data) > MaxRulePackage {
		return nil, &intel.FieldError{Field: "package", Reason: fmt.Sprintf("%d bytes: at most %d", len(data), MaxRulePackage)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p screen.Package
	if err := dec.Decode(&p); err != nil {
		return nil, &intel.FieldError{Field: "package", Reason: "not a rule package: " + err.Error()}
	}
	if dec.More() {
		return nil, &intel.FieldError{Field: "package", Reason: "text after the object"}
	}
	return &p, nil
}

// compileField compiles p and turns its refusal into a *intel.FieldError
// naming the member: package.rules[N].expr with the expression, the line,
// column and reason; package.threshold with the value given; and so on.
func compileField(p *screen.Package) error {
	_, err := screen.Compile(p)
	var re *screen.RuleError
	var pe *screen.PackageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		r := p.Rules[re.Index]
		fe := &intel.FieldError{Field: fmt.Sprintf("package.rules[%d].%s", re.Index, re.Field), Reason: re.Msg}
		switch re.Field {
		case "expr":
			fe.Value = r.Expr
			if len(fe.Value) > 200 {
				fe.Value = fe.Value[:200] + "…"
			}
			if re.Line > 0 {
				fe.Reason = fmt.Sprintf("line %d, column %d: %s", re.Line, re.Column, re.Msg)
			}
		case "id":
			fe.Value = r.ID
		case "score":
			fe.Value = strconv.FormatFloat(r.Score, 'g', -1, 64)
		}
		return fe
	case errors.As(err, &pe):
		fe := &intel.FieldError{Field: "package." + pe.Field, Reason: pe.Msg}
		if pe.Field == "threshold" {
			fe.Value = strconv.FormatFloat(p.Threshold, 'g', -1, 64)
		}
		return fe
	}
	return &intel.FieldError{Field: "package", Reason: err.Error()}
}

// rulePackageRow is the row of version p.Version of a package.
func rulePackageRow(p *screen.Package, originator string, tlp intel.TLP, aud intel.Audience, hd intel.Handling, now time.Time) (store.RulePackageRow, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return store.RulePackageRow{}, err
	}
	a, err := evidence.Canonical(aud)
	if err != nil {
		return store.RulePackageRow{}, err
	}
	hj, err := evidence.Canonical(hd)
	if err != nil {
		return store.RulePackageRow{}, err
	}
	return store.RulePackageRow{ID: p.ID, Version: p.Version, Originator: originator, TLP: string(tlp), Audience: string(a),
		Handling: string(hj), Body: string(body), Created: now}, nil
}

// rowSharing decodes a row's audience and handling.
func rowSharing(r store.RulePackageRow) (intel.Audience, intel.Handling, error) {
	var a intel.Audience
	var hd intel.Handling
	if err := json.Unmarshal([]byte(r.Audience), &a); err != nil {
		return a, hd, fmt.Errorf("stored rule package %s: audience: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Handling), &hd); err != nil {
		return a, hd, fmt.Errorf("stored rule package %s: handling: %w", r.ID, err)
	}
	return a, hd, nil
}

// rowVisible asks the gate about one stored version: the audience c may
// see of it, and whether c may see it at all.
func rowVisible(c *policy.Caller, r store.RulePackageRow) (intel.Audience, bool, error) {
	a, _, err := rowSharing(r)
	if err != nil {
		return a, false, err
	}
	a, ok := policy.RulePackage(c, policy.Shared{Originator: r.Originator, TLP: intel.TLP(r.TLP), Audience: a})
	return a, ok, nil
}

func hiddenPackage(id string, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("rule package %q: %w", id, intel.ErrNotFound)
}

// packageView returns version row of a package whose current version is
// cur as c may see it: intel.ErrNotFound unless c may see both.
func (h *Hub) packageView(c *policy.Caller, cur, row store.RulePackageRow) (SharedPackage, error) {
	if _, ok, err := rowVisible(c, cur); err != nil || !ok {
		return SharedPackage{}, hiddenPackage(cur.ID, err)
	}
	aud, ok, err := rowVisible(c, row)
	if err != nil || !ok {
		return SharedPackage{}, hiddenPackage(cur.ID, err)
	}
	// The body was compiled when it was stored, and evidence verify holds
	// it to its leaf: decoding it is enough to show it.
	var p screen.Package
	if err := json.Unmarshal([]byte(row.Body), &p); err != nil {
		return SharedPackage{}, fmt.Errorf("stored rule package %s: %w", evidence.RulePackageID(row.ID, row.Version), err)
	}
	return sharedPackage(row, aud, &p), nil
}

func sharedPackage(r store.RulePackageRow, aud intel.Audience, p *screen.Package) SharedPackage {
	_, hd, _ := rowSharing(r)
	if aud.Orgs == nil {
		aud.Orgs = []string{}
	}
	if aud.Groups == nil {
		aud.Groups = []string{}
	}
	if hd.Codes == nil {
		hd.Codes = []string{}
	}
	return SharedPackage{ID: r.ID, Version: r.Version, Originator: r.Originator, TLP: intel.TLP(r.TLP), Audience: aud, Handling: hd,
		Created: r.Created, Revoked: r.Revoked, RevokedReason: r.RevokedReason, Package: p}
}

func rulePackageContent(tx *store.Tx, id string, version int) func() ([]byte, error) {
	return func() ([]byte, error) {
		r, err := tx.RulePackageRow(id, version)
		return evidence.RulePackageContent(r), err
	}
}

// disclosePackages writes, before c sees them, one leaf per originator for
// the packages shown to c that are neither c's own nor TLP:CLEAR, each
// object hashing the form in which it was shown.
func (h *Hub) disclosePackages(ctx context.Context, c *policy.Caller, shown []SharedPackage) error {
	byOwner := map[string][]evidence.Object{}
	for i := range shown {
		p := &shown[i]
		if p.Originator == c.Org || p.TLP == intel.Clear {
			continue
		}
		b, err := evidence.Canonical(p)
		if err != nil {
			return err
		}
		byOwner[p.Originator] = append(byOwner[p.Originator], evidence.ObjectOf(evidence.KindRulePackage, evidence.RulePackageID(p.ID, p.Version), p.Originator, b))
	}
	return h.disclose(ctx, c, byOwner)
}

// discloseUse logs c's use of a stored version to screen (its content as
// stored is what the organization then runs).
func (h *Hub) discloseUse(ctx context.Context, c *policy.Caller, r store.RulePackageRow) error {
	if r.Originator == c.Org || intel.TLP(r.TLP) == intel.Clear {
		return nil
	}
	return h.disclose(ctx, c, map[string][]evidence.Object{r.Originator: {evidence.ObjectOf(evidence.KindRulePackage,
		evidence.RulePackageID(r.ID, r.Version), r.Originator, evidence.RulePackageContent(r))}})
}
