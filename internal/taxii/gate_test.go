package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"fusion/internal/demo"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// schemasDir holds the OASIS STIX 2.1 JSON schemas (../shared/fixtures).
const schemasDir = "../../../shared/fixtures/stix/schemas"

// schemaIDBase is the $id prefix of the OASIS schemas; their $refs are
// relative to it.
const schemaIDBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

type schemaLoader struct{ dir string }

func (l schemaLoader) Load(u string) (any, error) {
	rel, ok := strings.CutPrefix(u, schemaIDBase)
	if !ok {
		return nil, fmt.Errorf("schema %s is not one of the OASIS STIX schemas", u)
	}
	abs, err := filepath.Abs(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	return jsonschema.FileLoader{}.Load((&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
}

// validator validates served objects, by type, against the OASIS schemas,
// and the fusion extension in them against its own schema.
type validator struct {
	c       *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
	ext     *jsonschema.Schema
}

func newValidator(t testing.TB) *validator {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(schemaLoader{schemasDir})
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(stix.FusionExtensionSchema))
	if err != nil {
		t.Fatal(err)
	}
	ec := jsonschema.NewCompiler()
	if err := ec.AddResource("fusion-extension.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	ext, err := ec.Compile("fusion-extension.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return &validator{c: c, schemas: map[string]*jsonschema.Schema{}, ext: ext}
}

func schemaFile(typ string) string {
	switch typ {
	case "indicator", "report", "identity", "note", "grouping", "location", "opinion", "incident", "malware", "observed-data":
		return "sdos/" + typ + ".json"
	case "relationship", "sighting":
		return "sros/" + typ + ".json"
	case "marking-definition", "extension-definition":
		return "common/" + typ + ".json"
	}
	return "observables/" + typ + ".json"
}

func (v *validator) check(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("not a JSON object: %s", raw)
	}
	typ, _ := m["type"].(string)
	s, ok := v.schemas[typ]
	if !ok {
		if s, err = v.c.Compile(schemaIDBase + schemaFile(typ)); err != nil {
			return fmt.Errorf("no schema for type %q: %v", typ, err)
		}
		v.schemas[typ] = s
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("%s %v does not validate against %s: %v", typ, m["id"], schemaFile(typ), err)
	}
	exts, _ := m["extensions"].(map[string]any)
	if ext, ok := exts[stix.FusionExtensionID]; ok {
		if err := v.ext.Validate(ext); err != nil {
			return fmt.Errorf("%s %v: fusion extension: %v", typ, m["id"], err)
		}
	}
	return nil
}

// demoWorld is the demo hub served over HTTP, with every record as its
// originator sees it.
type demoWorld struct {
	h       *hub.Hub
	c       client
	seeded  demo.Seeded
	callers map[string]*policy.Caller // by org, the demo's admin tokens
	tokens  map[string]string
	records map[string]intel.Record // every record, as its originator sees it
	reports map[string]intel.Report
}

func newDemoWorld(t *testing.T, st *store.Store) *demoWorld {
	t.Helper()
	ctx := context.Background()
	h := newHub(t, st)
	seeded, err := demo.Seed(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	w := &demoWorld{h: h, seeded: seeded, callers: map[string]*policy.Caller{}, tokens: map[string]string{}, records: map[string]intel.Record{}, reports: map[string]intel.Report{}}
	for _, o := range seeded.Orgs {
		w.tokens[o.ID] = o.Token
		if w.callers[o.ID], err = h.Authenticate(ctx, o.Token); err != nil {
			t.Fatal(err)
		}
	}
	h.SetLimits(testLimits)
	for org, c := range w.callers {
		for cursor := ""; ; {
			page, err := h.ListRecords(ctx, c, hub.RecordFilter{Originator: org, IncludeRevoked: true, Limit: 500, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				w.records[r.ID] = r
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		for cursor := ""; ; {
			page, err := h.ListReports(ctx, c, hub.ReportFilter{Originator: org, IncludeRevoked: true, Limit: 500, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				if r.Originator == org {
					w.reports[r.ID] = r
				}
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
	}
	if len(w.records) != seeded.Records {
		t.Fatalf("found %d records of the %d the demo seeded", len(w.records), seeded.Records)
	}
	w.c = client{t: t, base: serve(t, h)}
	return w
}

// served pages through a collection as token gets it (limit 97, an odd
// size), validating every object, and returns the records and reports
// its indicators and reports stand for.
func (w *demoWorld) served(t *testing.T, v *validator, token, col string) (records, reports map[string]obj, n int) {
	t.Helper()
	objs, _ := pager{c: client{t, w.c.base}, auth: bearer(token)}.objects(objectsPath(col), vals("limit", "97"))
	records, reports = map[string]obj{}, map[string]obj{}
	for _, o := range objs {
		if err := v.check(o.Raw); err != nil {
			t.Error(err)
		}
		switch o.Type {
		case "indicator", "report":
			ref, kind, ok := stix.FusionRef(o.ID)
			if !ok {
				t.Errorf("%s %s names no record or report", o.Type, o.ID)
				continue
			}
			m := records
			if kind == store.FeedReport {
				m = reports
			}
			if _, dup := m[ref]; dup {
				t.Errorf("%s of %s served twice", o.Type, ref)
			}
			m[ref] = o
		}
	}
	return records, reports, len(objs)
}

// hasSTIX reports whether a record has a STIX form at all (types such as
// phone and card have no observable).
func hasSTIX(r intel.Record) bool {
	_, err := stix.ForRecord(&r)
	return err == nil
}

// TestGate checks, for every demo organization, that its visible
// collection holds exactly the indicators of the records the hub's own API
// shows it in full, and reports only ones the API shows it; that every
// object validates; that a partner hub's token gets only what may leave
// the hub; and that group collections hold only what names the group.
func TestGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if testing.Short() && strings.HasSuffix(t.Name(), "postgres") {
			t.Skip("the demo on PostgreSQL is not short")
		}
		w := newDemoWorld(t, st)
		v := newValidator(t)
		ctx := context.Background()
		seenTLP := map[intel.TLP]bool{}
		for _, o := range w.seeded.Orgs {
			auth := bearer(o.Token)
			recs, reps, n := w.served(t, v, o.Token, hub.CollectionVisible)
			want := map[string]bool{}
			for id, stored := range w.records {
				r := w.c.get("/api/v1/records/"+id, auth)
				switch r.Status {
				case http.StatusOK:
					var rec intel.Record
					if err := json.Unmarshal(r.Body, &rec); err != nil {
						t.Fatal(err)
					}
					if !rec.Redacted && hasSTIX(rec) {
						want[id] = true
					}
				case http.StatusNotFound, http.StatusForbidden:
				default:
					t.Fatalf("GET /api/v1/records/%s as %s: %d %s", id, o.ID, r.Status, r.Body)
				}
				_, got := recs[id]
				if got != want[id] {
					t.Errorf("%s: record %s (TLP %s, originator %s, audience %v, personal %v): in the TAXII collection %v, shown in full by the API %v",
						o.ID, id, stored.TLP, stored.Originator, stored.Audience, stored.Personal, got, want[id])
				}
				if got {
					seenTLP[stored.TLP] = true
				}
			}
			for id := range reps {
				if r := w.c.get("/api/v1/reports/"+id, auth); r.Status != http.StatusOK {
					t.Errorf("%s: TAXII serves report %s, the API answers %d", o.ID, id, r.Status)
				}
			}
			for id := range recs {
				if _, ok := w.records[id]; !ok {
					t.Errorf("%s: TAXII serves record %s, which no organization originated", o.ID, id)
				}
			}
			t.Logf("%s: %d objects, %d indicators, %d reports", o.ID, n, len(recs), len(reps))

			// The same organization's partner hub gets only what may leave.
			secret, _, err := w.h.OperatorIssueToken(ctx, o.ID, intel.RolePartner, "partner hub")
			if err != nil {
				t.Fatal(err)
			}
			precs, preps, _ := w.served(t, v, secret, hub.CollectionVisible)
			for id := range precs {
				r := w.records[id]
				switch {
				case r.Personal:
					t.Errorf("partner %s got personal record %s", o.ID, id)
				case r.Handling.Has(intel.H2):
					t.Errorf("partner %s got H2 record %s", o.ID, id)
				case r.TLP == intel.AmberStrict || r.TLP == intel.Red:
					t.Errorf("partner %s got %s record %s", o.ID, r.TLP, id)
				case r.TLP == intel.Amber && !r.Audience.HasOrg(o.ID):
					t.Errorf("partner %s got amber record %s whose audience %v does not name it", o.ID, id, r.Audience)
				}
				if !want[id] {
					t.Errorf("partner %s got record %s its organization does not see in full", o.ID, id)
				}
			}
			for id := range preps {
				r := w.reports[id]
				if r.TLP != intel.Clear && r.TLP != intel.Green && !(r.TLP == intel.Amber && r.Audience.HasOrg(o.ID)) {
					t.Errorf("partner %s got %s report %s (audience %v)", o.ID, r.TLP, id, r.Audience)
				}
			}
			// Every record a partner may receive is there.
			c := w.callers[o.ID]
			partner := &policy.Caller{Org: c.Org, Role: intel.RolePartner, Groups: c.Groups}
			for id, r := range w.records {
				if v, ok := policy.Export(partner, &r); ok && hasSTIX(v) {
					if _, got := precs[id]; !got {
						t.Errorf("partner %s lacks record %s (TLP %s, audience %v) that policy.Export lets it have", o.ID, id, r.TLP, r.Audience)
					}
				}
			}

			// Group collections: only records and reports whose audience
			// names the group.
			for _, g := range c.Groups {
				grecs, greps, _ := w.served(t, v, o.Token, hub.GroupCollectionID(g))
				for id := range grecs {
					if r := w.records[id]; !r.Audience.HasGroup(g) {
						t.Errorf("%s: group %s collection holds record %s, audience %v", o.ID, g, id, r.Audience)
					}
					if !want[id] {
						t.Errorf("%s: group %s collection holds record %s its organization does not see in full", o.ID, g, id)
					}
				}
				for id := range greps {
					if r := w.reports[id]; !r.Audience.HasGroup(g) {
						t.Errorf("%s: group %s collection holds report %s, audience %v", o.ID, g, id, r.Audience)
					}
				}
				for id, r := range w.records {
					if _, got := grecs[id]; r.Audience.HasGroup(g) && want[id] && !got {
						t.Errorf("%s: group %s collection lacks record %s addressed to the group", o.ID, g, id)
					}
				}
			}
			// The own collection: exactly the organization's records.
			orecs, _, _ := w.served(t, v, o.Token, hub.CollectionOwn)
			for id, r := range w.records {
				_, got := orecs[id]
				if want := r.Originator == o.ID && hasSTIX(r); got != want {
					t.Errorf("%s: own collection has record %s of %s: %v, want %v", o.ID, id, r.Originator, got, want)
				}
			}
		}
		for _, tlp := range []intel.TLP{intel.Clear, intel.Green, intel.Amber, intel.AmberStrict, intel.Red} {
			if !seenTLP[tlp] {
				t.Errorf("no organization was served a %s record: the gate test does not cover it", tlp)
			}
		}
		if !slices.ContainsFunc(w.seeded.Orgs, func(o demo.Org) bool { return len(w.callers[o.ID].Groups) > 0 }) {
			t.Error("no demo organization is in a group")
		}
	})
}
