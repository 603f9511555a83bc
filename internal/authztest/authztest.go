// Package authztest is the authorization property test harness: it builds
// random worlds of organizations, groups, records, changes and reports
// through a Client, then checks every read path for every organization
// against the independent model in package policymodel. The hub's tests
// drive it directly, the API's tests over HTTP. Only tests import it.
package authztest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/evidence"
	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/misp"
	"fusion/internal/policy"
	"fusion/internal/policymodel"
	"fusion/internal/search"
	"fusion/internal/sms"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/tor"
	"fusion/internal/zeek"
)

// values is a small pool so that records share values and value search has
// something to separate. Each has a written-differently twin that must find it.
var values = []struct{ typ, value, variant string }{
	{"domain", "login-alpha.example.com", "LOGIN-ALPHA.example[.]com."},
	{"domain", "pay.example.net", "pay[.]example[.]net"},
	{"ipv4", "192.0.2.7", "192.0.2[.]7"},
	{"url", "http://bad.example.org/kit/login.php", "hxxp://BAD.example[.]org:80/kit/login.php#top"},
	// URLs that match others: over another scheme (rule url), on a domain
	// of the pool (url-host, url-on-domain) and on a name under one.
	{"url", "https://bad.example.org/kit/login.php", "https://Bad.Example.org/kit/./login.php"},
	{"url", "https://login-alpha.example.com/kit/", "hxxps://LOGIN-ALPHA.example[.]com:443/kit/#x"},
	{"url", "http://www.pay.example.net:8080/pay?x=1", "http://WWW.pay.example.net:8080/pay?x=%31"},
	{"phone", "+12025550142", "+1 (202) 555-0142"},
	{"email", "mule@example.org", "Mule[@]example[.]org"},
}

var labels = []string{"phishing", "botnet-c2", "money-mule", "scam"}

// modelRecord is what the test knows a record should be.
type modelRecord struct {
	id, originator, typ, value string
	labels                     []string
	desc                       string   // from descriptions
	tags                       []string // from tagPool, canonical
	shared                     policy.Shared
	versions                   []policy.Shared // earlier versions, oldest first
	active                     bool
	discoverable               bool
}

type modelReport struct {
	id      string
	shared  policy.Shared
	records []string
}

type worldState struct {
	w       *policymodel.World
	records []*modelRecord
	byID    map[string]*modelRecord
	reports []*modelReport
	callers map[string]*policy.Caller
	c       Client
	cases   int
	h       *hub.Hub   // for the raw evidence leaves the entry check models
	logFrom int64      // the evidence log's size when this world began
	rel     *relations // feedback, sightings and access requests
	events  uint64     // the last event named (newEvent)
	st      *store.Store
	// verifyEvidence is set in a run's first world, where the whole
	// evidence log is this world's and must verify (checkActionDays).
	verifyEvidence bool
}

// newEvent names a new event for a sighting: a sensor's events are its
// connections, each counted once however often it is sent.
func (s *worldState) newEvent() match.EventID {
	s.events++
	var id match.EventID
	binary.BigEndian.PutUint64(id[8:], s.events)
	return id
}

// Client is the surface under test, acting as org.
type Client interface {
	CreateRecords(org string, ins []intel.RecordInput) ([]hub.Result[intel.Record], error)
	UpdateRecord(org, id string, p intel.RecordPatch) error
	RevokeRecord(org, id string) error
	CreateReport(org string, in intel.ReportInput) (string, error)
	// UpdateReport applies p to a report as org and returns the report
	// as the hub answers it.
	UpdateReport(org, id string, p intel.ReportPatch) (intel.Report, error)
	GetRecord(org, id string) (intel.Record, error)
	RecordHistory(org, id string) ([]intel.Record, error)
	ListRecords(org string, f hub.RecordFilter) (hub.Page[intel.Record], error)
	GetReport(org, id string) (intel.Report, error)
	ListReports(org string, f hub.ReportFilter) (hub.Page[intel.Report], error)
	Hits(org string, values []string) ([]hub.HitAnswer, error)
	Sightings(org string, obs []match.Observation) (hub.SightingResult, error)
	// Export returns what GET /api/v1/records/export gives org (the
	// indicators `fusion match --server` matches against).
	Export(org string) ([]intel.Record, error)
	// TAXII returns the indicators of org's visible TAXII collection, every
	// page, as records: the id their STIX id names (stix.FusionRef) and the
	// value they are named by.
	TAXII(org string) ([]intel.Record, error)
	// MISPFeed returns what org's MISP feed serves: every event its
	// manifest lists, read back with misp.ParseEvents, as the records each
	// attribute gives (the attribute uuid as the id: a record's own id when
	// it was not imported from MISP).
	MISPFeed(org string) ([]intel.Record, error)

	// The relations between organizations around records.
	SetAnonymous(org string, anonymous bool) error
	AddFeedback(org, record, outcome, note string) error
	Feedback(org string, limit int, cursor string) (hub.FeedbackSummary, error)
	OwnSightings(org string, limit int, cursor string) (hub.Page[hub.OwnSighting], error)
	RequestAccess(org, ref, purpose string) (hub.AccessView, error)
	DecideAccess(org, id string, approve bool) error
	AccessRequests(org string, received bool) ([]hub.AccessView, error)
	Entries(org string, from, to int64) ([]hub.Entry, error)
	// Bundle returns the evidence bundle of record id as org gets it (the
	// JSON of evidence.Bundle).
	Bundle(org, id string) ([]byte, error)
	Groups(org string) ([]intel.Group, error)
	Group(org, id string) (intel.Group, error)

	// The directory and its administration (checkDirectory): the member
	// organizations, org's own settings, and groups created and changed
	// by org.
	ListOrgs(org string) ([]intel.Org, error)
	GetOrg(org, id string) (intel.Org, error)
	OwnOrgSettings(org string) (hub.OrgSettings, error)
	CreateGroup(org, name string) (intel.Group, error)
	AddGroupMember(org, group, member string) (intel.Group, error)
	RemoveGroupMember(org, group, member string) (intel.Group, error)

	// TorCheck answers whether ip was a Tor relay or exit around at, from
	// the public Tor data the hub holds: the same for every organization.
	TorCheck(org string, ip netip.Addr, at time.Time, window time.Duration) (tor.Answer, error)

	// Events posts a Zeek log of org's traffic (POST /api/v1/events): its
	// sightings, and its organization's C2 detector fed.
	Events(org string, log []byte) error
	// Detections returns org's C2 detections (GET /api/v1/detections).
	Detections(org string) ([]finding.Finding, error)

	// SMSShare shares prefix as a range org's app was pumped on (POST
	// /api/v1/sms/blocks/share) at tlp to aud, and returns the record.
	SMSShare(org, app, prefix, tlp string, aud intel.Audience) (intel.Record, error)
	// The SMS guard (checkSMS): a request checked by org's guard (POST
	// /api/v1/sms/check), org's apps (GET /api/v1/sms/apps and
	// /api/v1/sms/apps/{app}) and a release (POST
	// /api/v1/sms/blocks/release).
	SMSCheck(org string, req sms.Request) (sms.Decision, error)
	SMSApps(org string) ([]hub.SMSApp, error)
	SMSApp(org, app string) (hub.SMSApp, error)
	SMSRelease(org, app, prefix string) (hub.SMSBlock, error)

	// Rule packages of transaction screening (checkRulePackages): one
	// published, revised and revoked by org (POST, PUT and DELETE
	// /api/v1/rule-packages[/{id}]), one read (GET
	// /api/v1/rule-packages/{id}, version 0 the current one) and the list.
	CreateRulePackage(org string, in hub.RulePackageInput) (hub.SharedPackage, error)
	ReviseRulePackage(org, id string, in hub.RulePackageInput) (hub.SharedPackage, error)
	RevokeRulePackage(org, id, reason string) (hub.SharedPackage, error)
	GetRulePackage(org, id string, version int) (hub.SharedPackage, error)
	ListRulePackages(org string) ([]hub.SharedPackage, error)
}

// Run checks random worlds built in st through the client newClient returns
// (given the hub and each organization's caller), and fails t unless at
// least minCases (caller, object, path) cases were checked.
func Run(t *testing.T, st *store.Store, h *hub.Hub, minCases int, newClient func(callers map[string]*policy.Caller) Client) {
	total, first := 0, true
	// Random worlds differ in size: check until enough cases were seen
	// (rapid runs fewer worlds a round with -short).
	for round := 0; total < minCases && round < 20 && !t.Failed(); round++ {
		rapid.Check(t, func(rt *rapid.T) {
			storetest.Reset(t, st)
			s := build(rt, h, newClient)
			index(rt, st, h)
			s.st, s.verifyEvidence, first = st, first, false
			s.checkActionDays(rt) // before checkRelations: its entries are in the evidence checked there
			s.buildRelations(rt)
			s.checkRelations(rt)
			index(rt, st, h) // approvals widened audiences: the feed would catch up within a poll
			s.checkAll(rt)
			s.checkSMSShared(rt) // after checkAll: it adds a record the model does not hold
			s.checkRulePackages(rt)
			s.checkDirectory(rt) // last: it creates groups
			total += s.cases
		})
	}
	t.Logf("%d (caller, object, read path) cases checked", total)
	if total < minCases {
		t.Errorf("only %d cases; want at least %d", total, minCases)
	}
}

// index gives the hub a match index of the world as it now stands.
func index(t *rapid.T, st *store.Store, h *hub.Hub) {
	ix := match.New(64)
	if _, err := match.NewFeed(st, ix, nil).Load(context.Background(), nil); err != nil {
		t.Fatalf("index: %v", err)
	}
	if err := h.EnableMatching(ix, []byte("authztest secret, 32 bytes long!"), hub.Limits{HitRequests: 1 << 30, HitValues: 1 << 30, Lookups: 1 << 30}); err != nil {
		t.Fatal(err)
	}
}

// Direct is a Client calling the hub in-process.
type Direct struct {
	H       *hub.Hub
	Callers map[string]*policy.Caller
}

func (d Direct) CreateRecords(org string, ins []intel.RecordInput) ([]hub.Result[intel.Record], error) {
	return d.H.CreateRecords(context.Background(), d.Callers[org], ins)
}
func (d Direct) UpdateRecord(org, id string, p intel.RecordPatch) error {
	_, err := d.H.UpdateRecord(context.Background(), d.Callers[org], id, p)
	return err
}
func (d Direct) RevokeRecord(org, id string) error {
	_, err := d.H.RevokeRecord(context.Background(), d.Callers[org], id, "test")
	return err
}
func (d Direct) CreateReport(org string, in intel.ReportInput) (string, error) {
	r, err := d.H.CreateReport(context.Background(), d.Callers[org], in)
	return r.ID, err
}
func (d Direct) UpdateReport(org, id string, p intel.ReportPatch) (intel.Report, error) {
	return d.H.UpdateReport(context.Background(), d.Callers[org], id, p)
}
func (d Direct) GetRecord(org, id string) (intel.Record, error) {
	return d.H.GetRecord(context.Background(), d.Callers[org], id)
}
func (d Direct) RecordHistory(org, id string) ([]intel.Record, error) {
	return d.H.RecordHistory(context.Background(), d.Callers[org], id)
}
func (d Direct) ListRecords(org string, f hub.RecordFilter) (hub.Page[intel.Record], error) {
	return d.H.ListRecords(context.Background(), d.Callers[org], f)
}
func (d Direct) GetReport(org, id string) (intel.Report, error) {
	return d.H.GetReport(context.Background(), d.Callers[org], id)
}
func (d Direct) ListReports(org string, f hub.ReportFilter) (hub.Page[intel.Report], error) {
	return d.H.ListReports(context.Background(), d.Callers[org], f)
}
func (d Direct) Hits(org string, values []string) ([]hub.HitAnswer, error) {
	return d.H.Hits(context.Background(), d.Callers[org], values)
}
func (d Direct) Sightings(org string, obs []match.Observation) (hub.SightingResult, error) {
	return d.H.RecordSightings(context.Background(), d.Callers[org], obs)
}
func (d Direct) SetAnonymous(org string, anonymous bool) error {
	_, err := d.H.UpdateOrg(context.Background(), d.Callers[org], org, hub.OrgSettings{AnonymousFeedback: &anonymous})
	return err
}
func (d Direct) AddFeedback(org, record, outcome, note string) error {
	_, err := d.H.AddFeedback(context.Background(), d.Callers[org], record, outcome, note)
	return err
}
func (d Direct) Feedback(org string, limit int, cursor string) (hub.FeedbackSummary, error) {
	return d.H.Feedback(context.Background(), d.Callers[org], limit, cursor)
}
func (d Direct) OwnSightings(org string, limit int, cursor string) (hub.Page[hub.OwnSighting], error) {
	return d.H.OwnSightings(context.Background(), d.Callers[org], limit, cursor)
}
func (d Direct) RequestAccess(org, ref, purpose string) (hub.AccessView, error) {
	return d.H.RequestAccess(context.Background(), d.Callers[org], ref, purpose)
}
func (d Direct) DecideAccess(org, id string, approve bool) error {
	_, err := d.H.DecideAccess(context.Background(), d.Callers[org], id, approve, "")
	return err
}
func (d Direct) AccessRequests(org string, received bool) ([]hub.AccessView, error) {
	return d.H.AccessRequests(context.Background(), d.Callers[org], received)
}
func (d Direct) Entries(org string, from, to int64) ([]hub.Entry, error) {
	return d.H.EvidenceEntries(context.Background(), d.Callers[org], from, to)
}
func (d Direct) Bundle(org, id string) ([]byte, error) {
	b, err := d.H.EvidenceBundle(context.Background(), d.Callers[org], id)
	if err != nil {
		return nil, err
	}
	return json.Marshal(b)
}
func (d Direct) TorCheck(org string, ip netip.Addr, at time.Time, window time.Duration) (tor.Answer, error) {
	return d.H.TorCheck(context.Background(), d.Callers[org], ip, at, window)
}
func (d Direct) Events(org string, log []byte) error {
	zr, err := zeek.NewReader(bytes.NewReader(log))
	if err != nil {
		return err
	}
	x := match.NewExtractor(zr)
	x.Events = true
	var obs []match.Observation
	for zr.Next() {
		x.Row(func(o match.Observation) { obs = append(obs, o.Own()) })
	}
	if err := zr.Err(); err != nil {
		return err
	}
	if _, err := d.H.RecordSightings(context.Background(), d.Callers[org], obs); err != nil {
		return err
	}
	if zr, err = zeek.NewReader(bytes.NewReader(log)); err != nil {
		return err
	}
	_, err = d.H.Detect(context.Background(), d.Callers[org], zr)
	return err
}
func (d Direct) Detections(org string) ([]finding.Finding, error) {
	return d.H.Detections(context.Background(), d.Callers[org])
}
func (d Direct) SMSShare(org, app, prefix, tlp string, aud intel.Audience) (intel.Record, error) {
	return d.H.SMSShare(context.Background(), d.Callers[org], app, prefix, hub.SMSShareOptions{TLP: tlp, Audience: &aud})
}
func (d Direct) Groups(org string) ([]intel.Group, error) {
	return d.H.ListGroups(context.Background(), d.Callers[org])
}
func (d Direct) Group(org, id string) (intel.Group, error) {
	return d.H.GetGroup(context.Background(), d.Callers[org], id)
}
func (d Direct) ListOrgs(org string) ([]intel.Org, error) {
	return d.H.ListOrgs(context.Background(), d.Callers[org])
}
func (d Direct) GetOrg(org, id string) (intel.Org, error) {
	return d.H.GetOrg(context.Background(), d.Callers[org], id)
}
func (d Direct) OwnOrgSettings(org string) (hub.OrgSettings, error) {
	return d.H.OwnOrgSettings(context.Background(), d.Callers[org])
}
func (d Direct) CreateGroup(org, name string) (intel.Group, error) {
	return d.H.CreateGroup(context.Background(), d.Callers[org], name)
}
func (d Direct) AddGroupMember(org, group, member string) (intel.Group, error) {
	return d.H.AddGroupMember(context.Background(), d.Callers[org], group, member)
}
func (d Direct) RemoveGroupMember(org, group, member string) (intel.Group, error) {
	return d.H.RemoveGroupMember(context.Background(), d.Callers[org], group, member)
}
func (d Direct) Export(org string) ([]intel.Record, error) {
	var out []intel.Record
	err := d.H.ExportRecords(context.Background(), d.Callers[org], func(b []intel.Record) error {
		out = append(out, b...)
		return nil
	})
	return out, err
}

func (d Direct) MISPFeed(org string) ([]intel.Record, error) {
	ctx, c := context.Background(), d.Callers[org]
	return FeedRecords(func(name string) ([]byte, error) {
		switch name {
		case "manifest.json":
			return d.H.MISPManifest(ctx, c)
		case "hashes.csv":
			return d.H.MISPHashes(ctx, c)
		}
		return d.H.MISPEvent(ctx, c, strings.TrimSuffix(name, ".json"))
	})
}

// FeedRecords reads a MISP feed through get (a file name to its content)
// as fusion's own feed importer does: the manifest, each event it lists,
// and hashes.csv, which must hash exactly the events' attribute values.
func FeedRecords(get func(name string) ([]byte, error)) ([]intel.Record, error) {
	manifest, err := get("manifest.json")
	if err != nil {
		return nil, err
	}
	entries, err := misp.ParseManifest(manifest)
	if err != nil {
		return nil, err
	}
	var out []intel.Record
	var want []misp.Hash
	for _, e := range entries {
		if e.Refused != "" {
			return nil, fmt.Errorf("the feed's manifest has an entry fusion cannot read: %s", e.Refused)
		}
		data, err := get(e.UUID + ".json")
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", e.UUID, err)
		}
		events, err := misp.ParseEvents(data)
		if err != nil || len(events) != 1 || events[0].UUID != e.UUID {
			return nil, fmt.Errorf("event %s does not read back as itself: %v", e.UUID, err)
		}
		for _, a := range events[0].Attributes {
			if a.Record != nil {
				out = append(out, intel.Record{ID: a.UUID, Value: a.Record.Value})
			}
		}
		want = append(want, misp.EventHashes(events[0])...)
	}
	data, err := get("hashes.csv")
	if err != nil {
		return nil, err
	}
	got, err := misp.ParseHashes(data)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("hashes.csv has %d lines, the events give %d", len(got), len(want))
	}
	return out, nil
}

func (d Direct) TAXII(org string) ([]intel.Record, error) {
	var out []intel.Record
	q := hub.ObjectQuery{Limit: 25, Types: []string{"indicator"}}
	for {
		page, err := d.H.Objects(context.Background(), d.Callers[org], hub.CollectionVisible, q)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Objects {
			ind, ok := o.Object.(*stix.Indicator)
			ref, _, isRef := stix.FusionRef(o.Object.ObjectID())
			if !ok || !isRef {
				return nil, fmt.Errorf("TAXII gave %s an object %s that is not a record's indicator", org, o.Object.ObjectID())
			}
			out = append(out, intel.Record{ID: ref, Value: ind.Name})
		}
		if !page.More {
			return out, nil
		}
		q.Next = page.Next
	}
}

func build(t *rapid.T, h *hub.Hub, newClient func(map[string]*policy.Caller) Client) *worldState {
	ctx := context.Background()
	w := policymodel.DrawWorld(t)
	w.DrawProfiles(t)
	s := &worldState{w: w, byID: map[string]*modelRecord{}, callers: map[string]*policy.Caller{}, h: h}
	var err error
	s.logFrom, err = h.EvidenceSize(ctx)
	must(t, err)
	for _, o := range w.Orgs {
		must(t, err1(h.OperatorCreateOrg(ctx, o, "Org "+o, w.Profiles[o].Country, w.Profiles[o].Sector, o == w.Orgs[0]))) // org-0 runs the hub
	}
	for _, g := range w.Groups {
		if len(w.Members[g]) == 0 {
			w.Members[g] = []string{w.Orgs[0]}
		}
		must(t, err1(h.OperatorCreateGroup(ctx, g, "Group "+g, w.Members[g][0])))
		for _, m := range w.Members[g][1:] {
			must(t, err1(h.OperatorAddMember(ctx, g, m)))
		}
	}
	for _, o := range w.Orgs {
		s.callers[o] = &policy.Caller{Org: o, Role: intel.RoleAdmin, Groups: w.GroupsOf(o), Operator: o == w.Orgs[0]}
	}
	s.c = newClient(s.callers)
	cl := s.c

	// Records, in one batch per originator, with a refused item mixed in.
	n := rapid.IntRange(1, 30).Draw(t, "records")
	batches := map[string][]intel.RecordInput{}
	var order []string
	pending := map[string][]*modelRecord{}
	for range n {
		org := rapid.SampledFrom(w.Orgs).Draw(t, "originator")
		v := rapid.SampledFrom(values).Draw(t, "value")
		sh := w.DrawShared(t, org, w.GroupsOf(org))
		if sh.TLP == "bogus" {
			sh.TLP = intel.Amber
		}
		labs := drawLabels(t)
		disc := rapid.Bool().Draw(t, "discoverable")
		desc := rapid.SampledFrom(descriptions).Draw(t, "description")
		tags := drawTags(t)
		in := intel.RecordInput{Type: v.typ, Value: v.variant, TLP: string(sh.TLP), Labels: labs, Discoverable: &disc,
			Audience: &intel.Audience{Orgs: sh.Audience.Orgs, Groups: sh.Audience.Groups}, Personal: &sh.Personal,
			Description: desc, Tags: tags}
		if _, ok := batches[org]; !ok {
			order = append(order, org)
		}
		batches[org] = append(batches[org], in)
		sh.Audience = normalize(sh.Audience)
		pending[org] = append(pending[org], &modelRecord{originator: org, typ: v.typ, value: v.value, labels: sortedCopy(labs), shared: sh, active: true, discoverable: disc,
			desc: desc, tags: tags})
	}
	for _, org := range order {
		ins := append(batches[org], intel.RecordInput{Value: "not a valid anything", TLP: "green"})
		if outside := notMemberGroup(w, org); outside != "" {
			ins = append(ins, intel.RecordInput{Value: "192.0.2.1", TLP: "amber", Audience: &intel.Audience{Groups: []string{outside}}})
		}
		res, err := cl.CreateRecords(org, ins)
		must(t, err)
		for i, r := range res {
			if i >= len(pending[org]) {
				if r.Err == nil {
					t.Fatalf("invalid input %+v was accepted", ins[i])
				}
				continue
			}
			if r.Err != nil {
				t.Fatalf("record %+v refused: %v", ins[i], r.Err)
			}
			m := pending[org][i]
			m.id = r.Value.ID
			held := s.byID[m.id]
			if held == nil {
				if r.Status != hub.Created {
					t.Fatalf("the first submission of %s by %s: %q, want created", m.value, org, r.Status)
				}
				s.records = append(s.records, m)
				s.byID[m.id] = m
				continue
			}
			// A second submission of a value by its originator changes the
			// record it has: labels and tags added, the rest replaced.
			if held.originator != org || held.value != m.value {
				t.Fatalf("%s's submission of %s answered with record %s, which is %s's %s", org, m.value, m.id, held.originator, held.value)
			}
			next := *held
			next.labels = sortedCopy(append(slices.Clone(held.labels), m.labels...))
			next.tags = unionTags(held.tags, m.tags)
			next.desc, next.discoverable, next.shared = m.desc, m.discoverable, m.shared
			want := hub.Unchanged
			if !slices.Equal(next.labels, held.labels) || !slices.Equal(next.tags, held.tags) || next.desc != held.desc ||
				next.discoverable != held.discoverable || !sameShared(next.shared, held.shared) {
				want = hub.Updated
				next.versions = append(slices.Clone(held.versions), held.shared)
			}
			if r.Status != want {
				t.Fatalf("a second submission of %s by %s: %q, want %q", m.value, org, r.Status, want)
			}
			*held = next
		}
	}

	// Changes by originators; attempts by others must fail.
	for range rapid.IntRange(0, 6).Draw(t, "changes") {
		m := rapid.SampledFrom(s.records).Draw(t, "changed")
		if !m.active {
			continue
		}
		other := rapid.SampledFrom(w.Orgs).Draw(t, "intruder")
		if other != m.originator {
			tlp := "clear"
			if err := cl.UpdateRecord(other, m.id, intel.RecordPatch{TLP: &tlp}); err == nil {
				t.Fatalf("%s changed %s's record", other, m.originator)
			}
		}
		if rapid.IntRange(0, 3).Draw(t, "revoke") == 0 {
			err := cl.RevokeRecord(m.originator, m.id)
			must(t, err)
			m.versions = append(m.versions, m.shared)
			m.active = false
			continue
		}
		sh := w.DrawShared(t, m.originator, w.GroupsOf(m.originator))
		if sh.TLP == "bogus" {
			sh.TLP = intel.Red
		}
		tlp := string(sh.TLP)
		err := cl.UpdateRecord(m.originator, m.id, intel.RecordPatch{TLP: &tlp, Audience: &sh.Audience, Personal: &sh.Personal})
		must(t, err)
		sh.Audience = normalize(sh.Audience)
		if !sameShared(sh, m.shared) { // a change to nothing makes no version
			m.versions = append(m.versions, m.shared)
		}
		m.shared = sh
	}

	// Reports over each originator's own records.
	for range rapid.IntRange(0, 4).Draw(t, "reports") {
		org := rapid.SampledFrom(w.Orgs).Draw(t, "report-originator")
		var own []string
		for _, m := range s.records {
			if m.originator == org && rapid.Bool().Draw(t, "in-report") {
				own = append(own, m.id)
			}
		}
		sh := w.DrawShared(t, org, w.GroupsOf(org))
		if sh.TLP == "bogus" {
			sh.TLP = intel.Green
		}
		sh.Personal = false
		repID, err := cl.CreateReport(org, intel.ReportInput{Title: "r", TLP: string(sh.TLP), Audience: &sh.Audience, Records: own})
		must(t, err)
		sh.Audience = normalize(sh.Audience)
		s.reports = append(s.reports, &modelReport{id: repID, shared: sh, records: own})
	}

	// Reports regrouped and re-shared by their originators (as the web
	// UI's "add records" does); attempts by others must fail. The answer
	// lists the records the originator sees: all of its own, active.
	for _, rep := range s.reports {
		if !rapid.Bool().Draw(t, "report-change") {
			continue
		}
		org := rep.shared.Originator
		other := rapid.SampledFrom(w.Orgs).Draw(t, "report-intruder")
		if other != org {
			none := []string{}
			if _, err := cl.UpdateReport(other, rep.id, intel.ReportPatch{Records: &none}); err == nil {
				t.Fatalf("%s changed %s's report %s", other, org, rep.id)
			}
		}
		own := slices.Clone(rep.records)
		for _, m := range s.records {
			if m.originator == org && !slices.Contains(own, m.id) && rapid.Bool().Draw(t, "report-add") {
				own = append(own, m.id)
			}
		}
		sh := w.DrawShared(t, org, w.GroupsOf(org))
		if sh.TLP == "bogus" {
			sh.TLP = intel.Amber
		}
		sh.Personal = false
		tlp := string(sh.TLP)
		got, err := cl.UpdateReport(org, rep.id, intel.ReportPatch{TLP: &tlp, Audience: &sh.Audience, Records: &own})
		must(t, err)
		sh.Audience = normalize(sh.Audience)
		rep.shared, rep.records = sh, own
		if want := s.visibleRecords(org, own); !slices.Equal(got.Records, want) || got.RecordCount != len(want) {
			t.Fatalf("%s: updating report %s answers %v (count %d), want %v", org, rep.id, got.Records, got.RecordCount, want)
		}
	}
	return s
}

// maxBundleChecks bounds the records of a world whose evidence bundles are
// fetched (each reads the whole log and proves each entry).
const maxBundleChecks = 4

// checkBundle: a record's evidence bundle is the owner's alone. A hidden
// record's is not found; any other reader's is forbidden; the owner's
// checks offline (evidence.CheckBundle) and holds the record in full.
func (s *worldState) checkBundle(t *rapid.T, org string, m *modelRecord, want policy.Form) {
	if i := slices.Index(s.records, m); i < 0 || i >= maxBundleChecks {
		return
	}
	data, err := s.c.Bundle(org, m.id)
	switch {
	case want == policy.Hidden:
		if !hub.IsNotFoundErr(err) {
			t.Fatalf("LEAK: %s gets the evidence bundle of hidden record %s (err %v)", org, m.id, err)
		}
	case org != m.originator:
		if !errors.Is(err, intel.ErrForbidden) {
			t.Fatalf("LEAK: %s, not the owner %s, gets the evidence bundle of %s (err %v)", org, m.originator, m.id, err)
		}
	default:
		must(t, err)
		c, err := evidence.CheckBundle(data, "")
		if err != nil {
			t.Fatalf("%s: the evidence bundle of its record %s does not check: %v", org, m.id, err)
		}
		if c.RecordID != m.id || c.Record.Value != m.value || c.Record.Originator != org {
			t.Fatalf("%s: the evidence bundle of %s holds record %s (%q by %s), want %q by %s", org, m.id, c.RecordID, c.Record.Value, c.Record.Originator, m.value, org)
		}
	}
	s.cases++
}

func (s *worldState) checkAll(t *rapid.T) {
	for _, org := range s.w.Orgs {

		// Get and history, per record.
		for _, m := range s.records {
			want := s.w.Form(org, m.shared)
			got, err := s.c.GetRecord(org, m.id)
			s.checkRecord(t, org, "get", m, want, got, err)
			s.checkBundle(t, org, m, want)
			hist, err := s.c.RecordHistory(org, m.id)
			if want == policy.Hidden {
				if !hub.IsNotFoundErr(err) {
					t.Fatalf("%s: history of hidden record %s: err %v", org, m.id, err)
				}
			} else {
				must(t, err)
				var wantForms []policy.Form
				for _, old := range m.versions {
					if f := min(want, s.w.Form(org, old)); f != policy.Hidden {
						wantForms = append(wantForms, f)
					}
				}
				wantForms = append(wantForms, want)
				if len(hist) != len(wantForms) {
					t.Fatalf("%s: history of %s has %d versions, want %d", org, m.id, len(hist), len(wantForms))
				}
				for i, v := range hist {
					if (wantForms[i] == policy.Full) != (v.Value == m.value) || (wantForms[i] == policy.Redacted) != v.Redacted {
						t.Fatalf("%s: history of %s version %d in wrong form (want %v): %+v", org, m.id, i, wantForms[i], v)
					}
				}
			}
			s.cases += 2
		}

		// Lists with every filter, through small pages.
		s.checkList(t, org, "all", hub.RecordFilter{}, func(m *modelRecord) bool { return m.active })
		s.checkList(t, org, "with revoked", hub.RecordFilter{IncludeRevoked: true}, func(*modelRecord) bool { return true })
		for _, l := range labels {
			s.checkList(t, org, "label "+l, hub.RecordFilter{Label: l}, func(m *modelRecord) bool { return m.active && slices.Contains(m.labels, l) })
		}
		for _, typ := range []string{"domain", "phone"} {
			s.checkList(t, org, "type "+typ, hub.RecordFilter{Type: typ}, func(m *modelRecord) bool { return m.active && m.typ == typ })
		}
		for _, o := range s.w.Orgs[:2] {
			s.checkList(t, org, "originator "+o, hub.RecordFilter{Originator: o}, func(m *modelRecord) bool { return m.active && m.originator == o })
		}
		// Tags and free text: a record seen redacted is found only by what
		// its redacted form shows (labels, tags), never by its value or
		// description.
		for _, tag := range tagPool {
			key := strings.ToLower(tag)
			s.checkList(t, org, "tag "+tag, hub.RecordFilter{Tag: strings.ToUpper(tag[:1]) + tag[1:]}, func(m *modelRecord) bool {
				return m.active && slices.ContainsFunc(m.tags, func(t string) bool { return strings.ToLower(t) == key })
			})
		}
		queries := []string{"phishing", "lazarus group", `"group lazarus"`, "mule-net", "alpha", "bravo lima", "kilo"}
		if len(s.records) > 0 {
			queries = append(queries, rapid.SampledFrom(s.records).Draw(t, "searched").value)
		}
		for _, q := range queries {
			phrases, err := search.Parse(q)
			must(t, err)
			s.checkList(t, org, "search "+q, hub.RecordFilter{Query: q}, func(m *modelRecord) bool {
				switch s.w.Form(org, m.shared) {
				case policy.Full:
					return m.active && containsPhrases(m.searchText(false), phrases)
				case policy.Redacted:
					return m.active && containsPhrases(m.searchText(true), phrases)
				}
				return false
			})
		}
		for _, v := range values {
			// Value search returns only records whose value the caller
			// sees in full: of the value itself, and for a domain the URL
			// records on it and on names under it.
			s.checkList(t, org, "value "+v.variant, hub.RecordFilter{Value: v.variant}, func(m *modelRecord) bool {
				rule := hitRule(v.value, m.value)
				return m.active && (rule == "exact" || rule == "url-on-domain") && s.w.Form(org, m.shared) == policy.Full
			}, func(r intel.Record) string { return hitRule(v.value, r.Value) })
		}

		// Reports: visibility, and only visible records listed and counted.
		for _, rep := range s.reports {
			got, err := s.c.GetReport(org, rep.id)
			if s.w.Form(org, rep.shared) == policy.Hidden {
				if !hub.IsNotFoundErr(err) {
					t.Fatalf("%s sees hidden report %s (err %v)", org, rep.id, err)
				}
			} else {
				must(t, err)
				want := s.visibleRecords(org, rep.records)
				if !slices.Equal(got.Records, want) || got.RecordCount != len(want) {
					t.Fatalf("%s: report %s lists %v (count %d), want %v", org, rep.id, got.Records, got.RecordCount, want)
				}
			}
			s.cases++
		}
		var wantReports []string
		for _, rep := range s.reports {
			if s.w.Form(org, rep.shared) != policy.Hidden {
				wantReports = append(wantReports, rep.id)
			}
		}
		page, err := s.c.ListReports(org, hub.ReportFilter{})
		must(t, err)
		var gotReports []string
		for _, r := range page.Items {
			gotReports = append(gotReports, r.ID)
		}
		if !slices.Equal(sortedCopy(gotReports), sortedCopy(wantReports)) {
			t.Fatalf("%s: lists reports %v, want %v", org, gotReports, wantReports)
		}
		s.cases += len(s.reports)
		s.checkMatching(t, org)
		for _, m := range s.records {
			page, err := s.c.ListReports(org, hub.ReportFilter{Record: m.id})
			must(t, err)
			if s.w.Form(org, m.shared) == policy.Hidden && len(page.Items) > 0 {
				t.Fatalf("%s: filtering reports by hidden record %s lists %d reports", org, m.id, len(page.Items))
			}
			s.cases++
		}
	}
}

// checkMatching holds hit/no-hit and sightings to the model: full records
// only where the caller sees them in full; for the others, a hit naming
// the owner only if the record is discoverable; nothing else, ever.
func (s *worldState) checkMatching(t *rapid.T, org string) {
	var raw []string
	for _, v := range values {
		raw = append(raw, v.variant, v.value)
	}
	answers, err := s.c.Hits(org, raw)
	must(t, err)
	if len(answers) != len(raw) {
		t.Fatalf("%s: %d answers for %d values", org, len(answers), len(raw))
	}
	for i, a := range answers {
		want := values[i/2].value
		var wantFull, wantOwners []string
		for _, m := range s.records {
			rule := hitRule(want, m.value)
			if !m.active || rule == "" {
				continue
			}
			switch form := s.w.Form(org, m.shared); {
			case form == policy.Full:
				wantFull = append(wantFull, m.id+" "+rule)
			case m.discoverable:
				wantOwners = append(wantOwners, m.originator+" "+rule)
			}
			s.cases++
		}
		var gotFull, gotOwners []string
		for _, r := range a.Records {
			gotFull = append(gotFull, r.ID+" "+string(r.Rule))
			if hitRule(want, r.Value) == "" {
				t.Fatalf("%s: hit/no-hit for %q returned record %s of value %q", org, raw[i], r.ID, r.Value)
			}
		}
		for _, h := range a.Hits {
			gotOwners = append(gotOwners, h.Owner+" "+string(h.Rule))
			if !h.Hit || h.Ref == "" {
				t.Fatalf("%s: hit %+v has no reference", org, h)
			}
			for _, m := range s.records {
				if strings.Contains(h.Ref, m.id) {
					t.Fatalf("LEAK: hit reference %q names record %s", h.Ref, m.id)
				}
			}
		}
		if !slices.Equal(sortedAll(gotFull), sortedAll(wantFull)) || !slices.Equal(sortedAll(gotOwners), sortedAll(wantOwners)) {
			t.Fatalf("LEAK or miss: hit/no-hit for %s on %q: records %v hits %v; model says records %v hits %v",
				org, raw[i], gotFull, gotOwners, wantFull, wantOwners)
		}
	}
	var obs []match.Observation
	for _, v := range values {
		obs = append(obs, match.Observation{Time: time.Unix(1800000000, 0), Field: "value", Kind: match.KindAny, Value: v.variant, Event: s.newEvent()})
	}
	res, err := s.c.Sightings(org, obs)
	must(t, err)
	var got, want []string
	for _, r := range res.Records {
		got = append(got, r.Record)
	}
	for _, m := range s.records {
		if m.active && s.w.Form(org, m.shared) == policy.Full {
			want = append(want, m.id)
		}
		s.cases++
	}
	if !slices.Equal(sortedAll(got), sortedAll(want)) {
		t.Fatalf("LEAK or miss: sightings for %s matched %v, model says %v", org, got, want)
	}

	exported, err := s.c.Export(org)
	must(t, err)
	got = got[:0]
	for _, r := range exported {
		got = append(got, r.ID)
		if m := s.byID[r.ID]; m == nil || r.Value != m.value || r.Redacted {
			t.Fatalf("LEAK: export for %s gave record %s with value %q", org, r.ID, r.Value)
		}
	}
	if !slices.Equal(sortedAll(got), sortedAll(want)) {
		t.Fatalf("LEAK or miss: export for %s gave %v, model says %v", org, got, want)
	}

	// TAXII: an indicator for every record org sees in full, revoked ones
	// too (as revocations), except those STIX has no observable for.
	served, err := s.c.TAXII(org)
	must(t, err)
	got, want = got[:0], want[:0]
	for _, r := range served {
		got = append(got, r.ID)
		if m := s.byID[r.ID]; m == nil || r.Value != m.value {
			t.Fatalf("LEAK: TAXII gave %s an indicator of record %s named %q", org, r.ID, r.Value)
		}
	}
	for _, m := range s.records {
		if s.w.Form(org, m.shared) == policy.Full && m.typ != "phone" {
			want = append(want, m.id)
		}
		s.cases++
	}
	if !slices.Equal(sortedAll(got), sortedAll(want)) {
		t.Fatalf("LEAK or miss: TAXII for %s gave %v, model says %v", org, got, want)
	}

	// The MISP feed: the active records org sees in full, of the reports
	// it sees, and nothing else.
	fed, err := s.c.MISPFeed(org)
	must(t, err)
	got, want = got[:0], want[:0]
	for _, r := range fed {
		got = append(got, r.ID)
		if m := s.byID[r.ID]; m == nil || !strings.EqualFold(r.Value, m.value) || !m.active || s.w.Form(org, m.shared) != policy.Full {
			t.Fatalf("LEAK: the MISP feed gave %s record %s valued %q", org, r.ID, r.Value)
		}
	}
	inReports := map[string]bool{}
	for _, rep := range s.reports {
		if s.w.Form(org, rep.shared) != policy.Hidden {
			for _, id := range rep.records {
				inReports[id] = true
			}
		}
	}
	for _, m := range s.records {
		if inReports[m.id] && m.active && s.w.Form(org, m.shared) == policy.Full {
			want = append(want, m.id)
		}
		s.cases++
	}
	if !slices.Equal(sortedAll(slices.Compact(sortedAll(got))), sortedAll(want)) {
		t.Fatalf("LEAK or miss: the MISP feed for %s gave %v, model says %v", org, got, want)
	}
}

// sortedAll sorts a copy, keeping duplicates.
func sortedAll(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

func (s *worldState) visibleRecords(org string, ids []string) []string {
	out := []string{}
	for _, id := range ids {
		if s.w.Form(org, s.byID[id].shared) != policy.Hidden {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (s *worldState) checkRecord(t *rapid.T, org, path string, m *modelRecord, want policy.Form, got intel.Record, err error) {
	switch want {
	case policy.Hidden:
		if !hub.IsNotFoundErr(err) {
			t.Fatalf("LEAK: %s %s: org %s sees record %s (%+v), model says hidden; err=%v", path, m.id, org, m.id, got, err)
		}
		return
	case policy.Redacted:
		if err != nil || !got.Redacted || got.Value != "" || got.Description != "" || got.Region != "" {
			t.Fatalf("%s: org %s gets %+v (err %v) for personal record %s, want redacted", path, org, got, err, m.id)
		}
	case policy.Full:
		if err != nil || got.Redacted || got.Value != m.value {
			t.Fatalf("%s: org %s gets %+v (err %v) for record %s, want full value %q", path, org, got, err, m.id, m.value)
		}
	}
	for _, g := range got.Audience.Groups {
		if org != m.originator && !slices.Contains(s.callers[org].Groups, g) {
			t.Fatalf("%s: org %s sees audience group %s it is not in", path, org, g)
		}
	}
}

// checkList holds a list to the model: the records match selects that org
// may see, each once, in the right form. For a value search, rule gives
// the rule each item must say it matched by.
func (s *worldState) checkList(t *rapid.T, org, name string, f hub.RecordFilter, match func(*modelRecord) bool, rule ...func(intel.Record) string) {
	want := map[string]policy.Form{}
	for _, m := range s.records {
		if match(m) {
			if form := s.w.Form(org, m.shared); form != policy.Hidden {
				want[m.id] = form
			}
		}
	}
	got := map[string]intel.Record{}
	f.Limit = 3
	for pages := 0; ; pages++ {
		page, err := s.c.ListRecords(org, f)
		must(t, err)
		if len(rule) > 0 && len(page.Rules) != len(page.Items) {
			t.Fatalf("list %s: %d rules for %d records", name, len(page.Rules), len(page.Items))
		}
		for i, r := range page.Items {
			if _, dup := got[r.ID]; dup {
				t.Fatalf("list %s: record %s returned twice", name, r.ID)
			}
			got[r.ID] = r
			if len(rule) > 0 && string(page.Rules[i]) != rule[0](r) {
				t.Fatalf("list %s: record %s of value %q by rule %q, want %q", name, r.ID, r.Value, page.Rules[i], rule[0](r))
			}
		}
		if page.Next == "" {
			break
		}
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		f.Cursor = page.Next
	}
	for id, r := range got {
		m := s.byID[id]
		form, ok := want[id]
		if !ok {
			t.Fatalf("LEAK: list %s for %s returned record %s (%s %s, tlp %s, audience %+v) the model hides or does not match",
				name, org, id, m.typ, m.value, m.shared.TLP, m.shared.Audience)
		}
		s.checkRecord(t, org, "list "+name, m, form, r, nil)
	}
	if len(got) != len(want) {
		t.Fatalf("list %s for %s: got %d records, want %d", name, org, len(got), len(want))
	}
	s.cases += len(s.records)
}

func drawLabels(t *rapid.T) []string {
	var out []string
	for _, l := range labels {
		if rapid.IntRange(0, 2).Draw(t, "label") == 0 {
			out = append(out, l)
		}
	}
	return out
}

func notMemberGroup(w *policymodel.World, org string) string {
	for _, g := range w.Groups {
		if !slices.Contains(w.Members[g], org) {
			return g
		}
	}
	return ""
}

func normalize(a intel.Audience) intel.Audience {
	return intel.Audience{Orgs: sortedCopy(a.Orgs), Groups: sortedCopy(a.Groups)}
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return slices.Compact(out)
}

func must(t interface{ Fatalf(string, ...any) }, err error) {
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func err1[T any](_ T, err error) error { return err }

// sameShared reports whether two sharings are the same, an empty list
// being no list.
func sameShared(a, b policy.Shared) bool {
	return a.Originator == b.Originator && a.TLP == b.TLP && a.Personal == b.Personal &&
		slices.Equal(sortedCopy(a.Audience.Orgs), sortedCopy(b.Audience.Orgs)) && slices.Equal(sortedCopy(a.Audience.Groups), sortedCopy(b.Audience.Groups))
}

// descriptions and tagPool are what records are described and tagged with.
var (
	descriptions = []string{"alpha kilo", "bravo lima", "kit of charlie"}
	tagPool      = []string{"APT28", `misp-galaxy:threat-actor="Lazarus Group"`, "mule-net"}
)

func drawTags(t *rapid.T) []string {
	var out []string
	for _, tag := range tagPool {
		if rapid.IntRange(0, 2).Draw(t, "tag") == 0 {
			out = append(out, tag)
		}
	}
	return out
}

// searchText is the model of what a record is found by: in full, its
// value, description, labels and tags; redacted, its labels and tags.
func (m *modelRecord) searchText(redacted bool) []string {
	var words []string
	if !redacted {
		if m.typ != "card" {
			words = append(words, search.Words(m.value)...)
		}
		words = append(words, search.Words(m.desc)...)
	}
	for _, l := range m.labels {
		words = append(words, search.Words(l)...)
	}
	for _, tag := range m.tags {
		words = append(words, search.Words(tag)...)
	}
	return words
}

// containsPhrases reports whether every phrase of q occurs in words, its
// words one after the other.
func containsPhrases(words []string, q search.Query) bool {
	for _, p := range q {
		found := false
		for i := 0; i+len(p) <= len(words) && !found; i++ {
			found = slices.Equal(words[i:i+len(p)], p)
		}
		if !found {
			return false
		}
	}
	return true
}

// unionTags is the tags of a record resubmitted with more: sorted as the
// hub keeps them, case ignored.
func unionTags(a, b []string) []string {
	out := slices.Clone(a)
	for _, t := range b {
		if !slices.ContainsFunc(out, func(have string) bool { return strings.EqualFold(have, t) }) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(x, y string) int { return strings.Compare(strings.ToLower(x), strings.ToLower(y)) })
	return out
}
