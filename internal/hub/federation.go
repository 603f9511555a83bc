package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
)

// Partner is a partner hub this hub pulls a TAXII collection from
// (federation). Its records arrive here originated by Org, the
// organization of this hub's directory that stands for the partner hub,
// each with its Origin kept.
type Partner = store.Partner

// DefaultPartnerEvery is how often a partner is pulled when not said.
const DefaultPartnerEvery = time.Minute

var partnerName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

// OperatorAddPartner adds a partner hub. Its token is not kept here: the
// caller keeps it with the hub's other secrets.
func (h *Hub) OperatorAddPartner(ctx context.Context, p Partner) (Partner, error) {
	if !partnerName.MatchString(p.Name) {
		return p, &intel.FieldError{Field: "name", Value: p.Name, Reason: "not a partner name (lower-case letters, digits, '.', '-'; up to 63)"}
	}
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p, &intel.FieldError{Field: "partner", Value: p.URL, Reason: "not an http(s) URL of a TAXII server"}
	}
	if _, err := uuid.Parse(p.Collection); err != nil {
		return p, &intel.FieldError{Field: "collection", Value: p.Collection, Reason: "not a TAXII collection id (a UUID)"}
	}
	if p.Every == 0 {
		p.Every = DefaultPartnerEvery
	}
	if p.Every < time.Second || p.Every > 24*time.Hour {
		return p, &intel.FieldError{Field: "every", Value: p.Every.String(), Reason: "out of range (1s to 24h)"}
	}
	org, err := h.store.Org(ctx, p.Org)
	if err != nil {
		return p, &intel.FieldError{Field: "as", Value: p.Org, Reason: "no such organization (create one to stand for the partner hub)"}
	}
	if org.Operator {
		return p, &intel.FieldError{Field: "as", Value: p.Org, Reason: "the hub operator's organization cannot stand for a partner hub"}
	}
	if p.AmberGroup != "" {
		g, err := h.store.Group(ctx, p.AmberGroup)
		if err != nil {
			return p, &intel.FieldError{Field: "amber-group", Value: p.AmberGroup, Reason: "no such sharing group"}
		}
		// The partner's organization shares its amber records with the
		// group: it must be a member.
		if !slices.Contains(g.Members, p.Org) {
			if _, err := h.OperatorAddMember(ctx, p.AmberGroup, p.Org); err != nil {
				return p, err
			}
		}
	}
	p.Created = h.now()
	return p, h.store.Update(ctx, func(tx *store.Tx) error { return tx.InsertPartner(p) })
}

// OperatorPartners lists the partner hubs.
func (h *Hub) OperatorPartners(ctx context.Context) ([]Partner, error) { return h.store.Partners(ctx) }

// PartnerRun records a run of a partner's job (see store.PartnerRun).
func (h *Hub) PartnerRun(ctx context.Context, name string, runErr error, addedAfter string, pulled, sent int64) error {
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	return h.store.PartnerRun(ctx, name, h.now(), msg, addedAfter, pulled, sent)
}

// partnerCaller is the partner hub as a caller of this hub: its
// organization with the partner role.
func (h *Hub) partnerCaller(ctx context.Context, p *Partner) (*policy.Caller, error) {
	groups, err := h.store.GroupsOf(ctx, p.Org)
	if err != nil {
		return nil, err
	}
	return &policy.Caller{Org: p.Org, Role: intel.RolePartner, Groups: groups, Purpose: "federation: pulled from partner hub " + p.Name}, nil
}

// ImportFederated imports objects pulled from partner p, as its
// organization: each record keeps its origin (p's name, the organization
// that originated it there, its STIX id there); an amber record is shared
// with p.AmberGroup (or with nobody else); the audience the partner named
// is not kept (its organizations are the partner's). Sightings and notes
// are not taken from a pull: a partner sends those to the inbox.
func (h *Hub) ImportFederated(ctx context.Context, p Partner, objects []json.RawMessage) (STIXImport, error) {
	c, err := h.partnerCaller(ctx, &p)
	if err != nil {
		return STIXImport{}, err
	}
	// The audience the partner named is its organizations': it is not kept
	// (and need not resolve here). What originated each record is.
	originators := map[string]string{}
	objects = slices.Clone(objects)
	for i, raw := range objects {
		var o map[string]json.RawMessage
		if json.Unmarshal(raw, &o) != nil {
			continue
		}
		var typ, id string
		json.Unmarshal(o["type"], &typ)
		json.Unmarshal(o["id"], &id)
		var exts map[string]map[string]json.RawMessage
		if typ == "identity" || json.Unmarshal(o["extensions"], &exts) != nil || exts[stix.FusionExtensionID] == nil {
			continue
		}
		ext := exts[stix.FusionExtensionID]
		var org string
		if json.Unmarshal(ext["originator"], &org) == nil && org != "" {
			originators[id] = org
		}
		if _, ok := ext["audience"]; !ok {
			continue
		}
		delete(ext, "audience")
		b, err := json.Marshal(exts)
		if err != nil {
			continue
		}
		o["extensions"] = b
		if b, err = json.Marshal(o); err == nil {
			objects[i] = b
		}
	}
	data, err := bundleOf(objects)
	if err != nil {
		return STIXImport{}, err
	}
	return h.importSTIX(ctx, c, data, nil, func(objs []stix.ImportedObject) {
		for i := range objs {
			o := &objs[i]
			if o.Sighting != nil || o.Note != nil {
				o.Status, o.Reason, o.Sighting, o.Note = stix.ObjectSkipped, "a partner's sightings and notes come to the inbox, not from a pull", nil, nil
				continue
			}
			org := originators[o.ID]
			if org == "" {
				org = o.Source
			}
			for j := range o.Records {
				in := &o.Records[j]
				in.Origin = &intel.Origin{Hub: p.Name, Org: org, ID: o.ID}
				in.Audience = &intel.Audience{Orgs: []string{}, Groups: []string{}}
				if strings.EqualFold(in.TLP, string(intel.Amber)) && p.AmberGroup != "" {
					in.Audience.Groups = []string{p.AmberGroup}
				}
			}
			if o.Report != nil {
				o.Report.Input.Audience = &intel.Audience{Orgs: []string{}, Groups: []string{}}
				if strings.EqualFold(o.Report.Input.TLP, string(intel.Amber)) && p.AmberGroup != "" {
					o.Report.Input.Audience.Groups = []string{p.AmberGroup}
				}
			}
		}
	})
}

// bundleOf wraps objects in a bundle.
func bundleOf(objects []json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}{"bundle", "bundle--" + uuid.NewString(), objects})
	if err != nil {
		return nil, &intel.FieldError{Field: "objects", Reason: err.Error()}
	}
	return b, nil
}

// receiveSighting takes a STIX sighting of one of this hub's indicators,
// posted by c (a member organization, or a partner hub reporting what its
// members saw): the count since the last sighting with the same id is
// added to c's sightings of the record, with its evidence. It says what
// became of it (created, updated, unchanged) or why it failed.
func (h *Hub) receiveSighting(ctx context.Context, c *policy.Caller, o *stix.ImportedObject, out *STIXObject) {
	s := o.Sighting
	rec, err := h.receivedOn(ctx, c, s.Indicator)
	if err != nil {
		out.Status, out.Reason = Failed, err.Error()
		return
	}
	count := int64(1)
	if s.Count != nil {
		count = *s.Count
	}
	last := h.now()
	if s.LastSeen != nil {
		last = *s.LastSeen
	}
	first := last
	if s.FirstSeen != nil && !s.FirstSeen.After(last) {
		first = *s.FirstSeen
	}
	out.Records = []string{rec.ID}
	status, err := h.addSightingOnce(ctx, c, &rec, o.ID, count, first, last)
	out.Status = status
	if err != nil {
		out.Status, out.Reason = Failed, err.Error()
	}
}

// addSightingOnce adds c's sighting of rec received from outside (a
// partner hub's STIX sighting, a MISP sighting) as one hourly row at last,
// once per key: count is the total the source gives for key, and only
// what it adds to the count taken before is added. It says whether the
// key was created, updated or unchanged.
func (h *Hub) addSightingOnce(ctx context.Context, c *policy.Caller, rec *intel.Record, key string, count int64, first, last time.Time) (string, error) {
	status := Unchanged
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		prev, had, err := tx.Received(c.Org, key)
		if err != nil {
			return err
		}
		if count <= prev {
			return nil
		}
		row := store.Sighting{RecordID: rec.ID, Owner: rec.Originator, Org: c.Org, Hour: last.Unix() / 3600, Count: count - prev, First: first, Last: last}
		before, after, err := tx.AddSightings([]store.Sighting{row})
		if err != nil {
			return err
		}
		var was []byte
		if before[0] != nil {
			was = evidence.SightingContent(*before[0])
		}
		objs := []evidence.Object{
			{Kind: evidence.KindRecord, ID: rec.ID, Owner: rec.Originator},
			evidence.ChangeOf(evidence.KindSighting, evidence.SightingID(after[0]), rec.Originator, was, evidence.SightingContent(after[0])),
		}
		if err := h.ev.Append(tx, actorOf(c).leaf(evidence.Sighting, objs...)); err != nil {
			return err
		}
		if err := tx.SetReceived(c.Org, key, rec.ID, count); err != nil {
			return err
		}
		status = Created
		if had {
			status = Updated
		}
		return nil
	})
	if err != nil {
		return Failed, err
	}
	return status, nil
}

// receiveNote takes a STIX note on one of this hub's indicators as
// feedback from c (its abstract the outcome, its text the note), once per
// note id.
func (h *Hub) receiveNote(ctx context.Context, c *policy.Caller, o *stix.ImportedObject, out *STIXObject) {
	n := o.Note
	if len(n.Refs) == 0 {
		out.Status, out.Reason = Failed, "object_refs: no indicator"
		return
	}
	rec, err := h.receivedOn(ctx, c, n.Refs[0])
	if err != nil {
		out.Status, out.Reason = Failed, err.Error()
		return
	}
	out.Records = []string{rec.ID}
	status, err := h.addFeedbackOnce(ctx, c, rec.ID, o.ID, strings.TrimSpace(n.Abstract), n.Text)
	out.Status, out.Reason = status, ""
	if err != nil {
		out.Status, out.Reason = Failed, "abstract: "+refusal(err)
	}
}

// addFeedbackOnce gives c's feedback on record id received from outside
// (a partner hub's STIX note, a MISP false-positive sighting), once per
// key, and says whether it was created or was there already (unchanged).
func (h *Hub) addFeedbackOnce(ctx context.Context, c *policy.Caller, id, key, outcome, note string) (string, error) {
	var had bool
	err := h.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		_, had, err = tx.Received(c.Org, key)
		return err
	})
	if err != nil {
		return Failed, err
	}
	if had {
		return Unchanged, nil
	}
	if _, err := h.AddFeedback(ctx, c, id, outcome, note); err != nil {
		return Failed, err
	}
	if err := h.store.Update(ctx, func(tx *store.Tx) error { return tx.SetReceived(c.Org, key, id, 1) }); err != nil {
		return Failed, err
	}
	return Created, nil
}

// receivedOn returns the record a sighting or note from c names by its
// indicator id, if c could have received that record from this hub;
// otherwise an error that says no more than "not one of ours".
func (h *Hub) receivedOn(ctx context.Context, c *policy.Caller, indicator string) (intel.Record, error) {
	notOurs := fmt.Errorf("%s is not an indicator this hub shared with %s", indicator, c.Org)
	ref, kind, ok := stix.FusionRef(indicator)
	if !ok || kind != store.FeedRecord {
		return intel.Record{}, notOurs
	}
	rec, err := h.store.Record(ctx, ref)
	if errors.Is(err, intel.ErrNotFound) {
		return intel.Record{}, notOurs
	}
	if err != nil {
		return intel.Record{}, err
	}
	if _, ok := policy.Export(c, &rec); !ok {
		return intel.Record{}, notOurs
	}
	return rec, nil
}

// SightingsFor returns the STIX objects to send partner p: for each record
// that came from p, each organization's sightings of it as a sighting,
// where the count changed since it was last sent, and each feedback given
// on it as a note, once; the observer named or anonymous as it chose
// (policy.Observer with p's organization as the originator). MarkSent
// records them once p took them.
func (h *Hub) SightingsFor(ctx context.Context, p Partner) ([]json.RawMessage, map[string]int64, error) {
	totals, err := h.store.SightingTotalsOwned(ctx, p.Org)
	if err != nil {
		return nil, nil, err
	}
	feedback, err := h.store.FeedbackOwned(ctx, p.Org)
	if err != nil || len(totals)+len(feedback) == 0 {
		return nil, nil, err
	}
	sent, err := h.store.Sent(ctx, p.Name)
	if err != nil {
		return nil, nil, err
	}
	dir, err := h.directory(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(totals)+len(feedback))
	for _, t := range totals {
		ids = append(ids, t.RecordID)
	}
	for _, f := range feedback {
		ids = append(ids, f.RecordID)
	}
	slices.Sort(ids)
	recs, err := h.store.RecordsByID(ctx, slices.Compact(ids))
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]*intel.Record, len(recs))
	for i := range recs {
		byID[recs[i].ID] = &recs[i]
	}
	recipient, err := h.partnerCaller(ctx, &p)
	if err != nil {
		return nil, nil, err
	}
	var out []json.RawMessage
	marks := map[string]int64{}
	for _, t := range totals {
		r := byID[t.RecordID]
		if r == nil || r.Origin == nil || r.Origin.Hub != p.Name || r.Originator != p.Org {
			continue
		}
		obs := policy.Observer(recipient, r.Originator, t.Org, dir[t.Org].AnonymousFeedback)
		if obs == policy.Unseen {
			continue
		}
		first, last := t.First, t.Last
		s, err := stix.ForSighting(&stix.SightingInput{
			Record: r.ID, Indicator: r.Origin.ID, TLP: r.TLP, Observer: t.Org, Anonymous: obs == policy.Anonymous,
			Key: h.anonymityKey(), Count: t.Count, First: first, Last: last,
		})
		if err != nil || sent[s.ID] == t.Count {
			continue
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, b)
		marks[s.ID] = t.Count
	}
	for _, f := range feedback {
		r := byID[f.RecordID]
		if r == nil || r.Origin == nil || r.Origin.Hub != p.Name || r.Originator != p.Org || f.Org == p.Org {
			continue
		}
		obs := policy.Observer(recipient, r.Originator, f.Org, dir[f.Org].AnonymousFeedback)
		if obs == policy.Unseen {
			continue
		}
		n, err := stix.ForFeedback(&stix.FeedbackInput{
			ID: f.ID, Record: r.ID, Indicator: r.Origin.ID, TLP: r.TLP, Observer: f.Org, Anonymous: obs == policy.Anonymous,
			Outcome: f.Outcome, Note: f.Note, Created: f.Created,
		})
		if err != nil || sent[n.ID] == 1 {
			continue
		}
		b, err := json.Marshal(n)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, b)
		marks[n.ID] = 1
	}
	return out, marks, nil
}

// MarkSent records the sightings a partner took.
func (h *Hub) MarkSent(ctx context.Context, p Partner, marks map[string]int64) error {
	if len(marks) == 0 {
		return nil
	}
	return h.store.MarkSent(ctx, p.Name, h.now(), marks)
}

// anonymityKey keys the ids of anonymous observers' sightings (none
// without matching enabled: such sightings are then not sent).
func (h *Hub) anonymityKey() []byte {
	if h.m == nil {
		return nil
	}
	return h.m.anonKey
}
