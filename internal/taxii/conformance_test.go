package taxii_test

// A TAXII 2.1 conformance suite: the server as a client sees it, over real
// HTTP (httptest around the hub's real router, internal/server), on a real
// store (SQLite, and PostgreSQL when FUSION_TEST_POSTGRES is set).
//
// SPEC: https://docs.oasis-open.org/cti/taxii/v2.1/os/taxii-v2.1-os.html

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/server"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/taxii"
	"fusion/internal/warninglist"
)

const (
	collectionsPath = "/taxii2/api/collections/"
	mediaTAXII      = "application/taxii+json;version=2.1"
)

// testLimits let the suite look up every record without being rate
// limited or padded.
var testLimits = hub.Limits{HitRequests: 100000, HitValues: 100000000, Lookups: 100000000}

// newHub returns a hub on st with matching enabled, as `fusion serve` runs
// it, and no organizations.
func newHub(t testing.TB, st *store.Store) *hub.Hub {
	t.Helper()
	canon, err := observable.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(st, canon, evidencetest.Log(t, st), slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetWarningLists(warninglist.Fictional())
	if err := h.EnableMatching(match.New(0), bytes.Repeat([]byte{2}, 32), testLimits); err != nil {
		t.Fatal(err)
	}
	return h
}

// serve runs the hub's real router (API, TAXII, everything) on a local
// socket.
func serve(t testing.TB, h *hub.Hub) string {
	t.Helper()
	h.SetLimits(testLimits)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := server.New(server.Config{Hub: h, Secret: bytes.Repeat([]byte{2}, 32), Limits: testLimits, Log: quiet})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// response is one HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// client talks to one hub.
type client struct {
	t    testing.TB
	base string
}

// do sends a request and checks what every TAXII answer must carry: the
// TAXII 2.1 media type. auth is the whole Authorization header ("" for
// none).
func (c client) do(method, path, auth string, hdr http.Header, body []byte) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if strings.HasPrefix(path, "/taxii2/") {
		checkMedia(c.t, method+" "+path, resp.Header.Get("Content-Type"))
	}
	return response{resp.StatusCode, resp.Header, b}
}

func checkMedia(t testing.TB, what, ct string) {
	t.Helper()
	typ, params, err := mime.ParseMediaType(ct)
	if err != nil || typ != "application/taxii+json" || params["version"] != "2.1" {
		t.Errorf("%s: Content-Type %q, want %s", what, ct, mediaTAXII)
	}
}

func (c client) get(path, auth string) response { return c.do("GET", path, auth, nil, nil) }

// ok GETs path and decodes its 200 answer into v.
func (c client) ok(path, auth string, v any) response {
	c.t.Helper()
	r := c.get(path, auth)
	if r.Status != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			c.t.Fatalf("GET %s: %v\n%s", path, err, r.Body)
		}
	}
	return r
}

// taxiiError checks that r is a TAXII error resource with status want.
func taxiiError(t testing.TB, what string, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
		return
	}
	var e struct {
		Title      string `json:"title"`
		HTTPStatus any    `json:"http_status"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Errorf("%s: the %d answer is not a TAXII error resource: %v\n%s", what, want, err, r.Body)
		return
	}
	if e.Title == "" {
		t.Errorf("%s: error resource without title: %s", what, r.Body)
	}
	if s, ok := e.HTTPStatus.(string); !ok || s != strconv.Itoa(want) {
		t.Errorf("%s: http_status %#v, want the string %q", what, e.HTTPStatus, strconv.Itoa(want))
	}
	if want == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: 401 without WWW-Authenticate", what)
	}
}

func bearer(secret string) string { return "Bearer " + secret }

// obj is one STIX object as served: its JSON and the fields the suite reads.
type obj struct {
	Raw      json.RawMessage
	ID       string
	Type     string
	Created  string
	Modified string
	Revoked  bool
	Spec     string
}

// version is what a manifest gives as the object's version: modified,
// else created (else the date it was added, which only the manifest knows).
func (o obj) version() string { return cmpOr(o.Modified, o.Created) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (o *obj) UnmarshalJSON(b []byte) error {
	var v struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Created  string `json:"created"`
		Modified string `json:"modified"`
		Revoked  bool   `json:"revoked"`
		Spec     string `json:"spec_version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = obj{Raw: append(json.RawMessage(nil), b...), ID: v.ID, Type: v.Type, Created: v.Created, Modified: v.Modified, Revoked: v.Revoked, Spec: v.Spec}
	return nil
}

// envelope, manifest and versions are TAXII's resources.
type envelope struct {
	More    bool   `json:"more"`
	Next    string `json:"next"`
	Objects []obj  `json:"objects"`
}

type manifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

type manifest struct {
	More    bool            `json:"more"`
	Next    string          `json:"next"`
	Objects []manifestEntry `json:"objects"`
}

type versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next"`
	Versions []string `json:"versions"`
}

// page is one page of any of the three, as the paging helpers see it.
type page struct {
	More        bool
	Next        string
	N           int
	First, Last string // X-TAXII-Date-Added-First and -Last
}

func parseStamp(t testing.TB, what, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s: %q is not a timestamp: %v", what, s, err)
	}
	return ts
}

// pager pages through a list resource: it sends q, then q plus next (minus
// limit when dropLimit, as some clients do) until more is false, checking
// every page's envelope and headers.
type pager struct {
	c         client
	auth      string
	dropLimit bool
}

func (p pager) all(path string, q url.Values, each func(r response) page) []page {
	p.c.t.Helper()
	var pages []page
	limit, _ := strconv.Atoi(q.Get("limit"))
	next := ""
	for i := 0; ; i++ {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		if next != "" {
			qq.Set("next", next)
			if p.dropLimit {
				qq.Del("limit")
				limit = 0
			}
		}
		r := p.c.get(path+"?"+qq.Encode(), p.auth)
		if r.Status != http.StatusOK {
			p.c.t.Fatalf("GET %s?%s: %d %s", path, qq.Encode(), r.Status, r.Body)
		}
		pg := each(r)
		pg.First, pg.Last = r.Header.Get("X-TAXII-Date-Added-First"), r.Header.Get("X-TAXII-Date-Added-Last")
		what := fmt.Sprintf("GET %s?%s (page %d)", path, qq.Encode(), i)
		if limit > 0 && pg.N > limit {
			p.c.t.Errorf("%s: %d items over limit %d", what, pg.N, limit)
		}
		if pg.More != (pg.Next != "") {
			p.c.t.Errorf("%s: more %v with next %q", what, pg.More, pg.Next)
		}
		if pg.More && pg.N == 0 {
			p.c.t.Errorf("%s: an empty page says there is more", what)
		}
		if (pg.N > 0) != (pg.First != "" && pg.Last != "") {
			p.c.t.Errorf("%s: %d items with X-TAXII-Date-Added-First %q and -Last %q", what, pg.N, pg.First, pg.Last)
		}
		if pg.N > 0 && parseStamp(p.c.t, what, pg.Last).Before(parseStamp(p.c.t, what, pg.First)) {
			p.c.t.Errorf("%s: X-TAXII-Date-Added-Last %s before -First %s", what, pg.Last, pg.First)
		}
		if len(pages) > 0 && pg.N > 0 {
			for _, prev := range slices.Backward(pages) {
				if prev.N > 0 {
					if parseStamp(p.c.t, what, pg.First).Before(parseStamp(p.c.t, what, prev.Last)) {
						p.c.t.Errorf("%s: date_added goes back: this page starts at %s, an earlier one ended at %s", what, pg.First, prev.Last)
					}
					break
				}
			}
		}
		pages = append(pages, pg)
		if !pg.More {
			return pages
		}
		if i > 100000 {
			p.c.t.Fatalf("%s: paging does not end", what)
		}
		next = pg.Next
	}
}

// objects pages through an objects (or object) endpoint.
func (p pager) objects(path string, q url.Values) ([]obj, []page) {
	p.c.t.Helper()
	var out []obj
	pages := p.all(path, q, func(r response) page {
		var e envelope
		if err := json.Unmarshal(r.Body, &e); err != nil {
			p.c.t.Fatalf("GET %s: not an envelope: %v\n%s", path, err, r.Body)
		}
		out = append(out, e.Objects...)
		return page{More: e.More, Next: e.Next, N: len(e.Objects)}
	})
	return out, pages
}

// manifest pages through a manifest endpoint, checking each page's headers
// against its entries.
func (p pager) manifest(path string, q url.Values) ([]manifestEntry, []page) {
	p.c.t.Helper()
	var out []manifestEntry
	pages := p.all(path, q, func(r response) page {
		var m manifest
		if err := json.Unmarshal(r.Body, &m); err != nil {
			p.c.t.Fatalf("GET %s: not a manifest: %v\n%s", path, err, r.Body)
		}
		for i, e := range m.Objects {
			if e.ID == "" || e.Version == "" || e.MediaType == "" {
				p.c.t.Errorf("GET %s: manifest entry %d lacks a field: %+v", path, i, e)
			}
			parseStamp(p.c.t, "version of "+e.ID, e.Version)
			if i > 0 && parseStamp(p.c.t, "date_added", e.DateAdded).Before(parseStamp(p.c.t, "date_added", m.Objects[i-1].DateAdded)) {
				p.c.t.Errorf("GET %s: date_added goes back within a page: %s after %s", path, e.DateAdded, m.Objects[i-1].DateAdded)
			}
		}
		if n := len(m.Objects); n > 0 {
			first, last := r.Header.Get("X-TAXII-Date-Added-First"), r.Header.Get("X-TAXII-Date-Added-Last")
			if !sameInstant(p.c.t, first, m.Objects[0].DateAdded) || !sameInstant(p.c.t, last, m.Objects[n-1].DateAdded) {
				p.c.t.Errorf("GET %s: X-TAXII-Date-Added-First %s and -Last %s, but the page runs from %s to %s", path, first, last, m.Objects[0].DateAdded, m.Objects[n-1].DateAdded)
			}
		}
		out = append(out, m.Objects...)
		return page{More: m.More, Next: m.Next, N: len(m.Objects)}
	})
	return out, pages
}

// versions pages through a versions endpoint.
func (p pager) versions(path string, q url.Values) ([]string, []page) {
	p.c.t.Helper()
	var out []string
	pages := p.all(path, q, func(r response) page {
		var v versions
		if err := json.Unmarshal(r.Body, &v); err != nil {
			p.c.t.Fatalf("GET %s: not a versions resource: %v\n%s", path, err, r.Body)
		}
		out = append(out, v.Versions...)
		return page{More: v.More, Next: v.Next, N: len(v.Versions)}
	})
	return out, pages
}

func sameInstant(t testing.TB, a, b string) bool {
	t.Helper()
	if a == "" || b == "" {
		return false
	}
	return parseStamp(t, "timestamp", a).Equal(parseStamp(t, "timestamp", b))
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func ids(objs []obj) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID + "@" + o.version()
	}
	return out
}

// world is a small hub with every case the suite needs: three member
// organizations (a and b share group g1, c is outside it), a partner hub's
// organization p, and records of a in every TLP, audience and handling the
// gate distinguishes, one of them updated twice.
type world struct {
	h      *hub.Hub
	c      client
	tok    map[string]string // "a", "a-reader", "b", "c", "p" (partner)
	caller map[string]*policy.Caller
	rec    map[string]intel.Record // by name, as a (their originator) sees them
	g1     string                  // the collection id of group g1
}

func newWorld(t testing.TB, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	h := newHub(t, st)
	w := &world{h: h, tok: map[string]string{}, caller: map[string]*policy.Caller{}, rec: map[string]intel.Record{}}
	for _, o := range []string{"org-a", "org-b", "org-c", "org-p"} {
		if _, err := h.OperatorCreateOrg(ctx, o, "Org "+o, "NL", "cert", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.OperatorCreateGroup(ctx, "g1", "Group one", "org-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.OperatorAddMember(ctx, "g1", "org-b"); err != nil {
		t.Fatal(err)
	}
	issue := func(name, org string, role intel.Role) {
		secret, _, err := h.OperatorIssueToken(ctx, org, role, name)
		if err != nil {
			t.Fatal(err)
		}
		w.tok[name] = secret
		if w.caller[name], err = h.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	issue("a", "org-a", intel.RoleAnalyst)
	issue("a-reader", "org-a", intel.RoleReader)
	issue("b", "org-b", intel.RoleAnalyst)
	issue("c", "org-c", intel.RoleAnalyst)
	issue("p", "org-p", intel.RolePartner)
	yes := true
	aud := func(orgs, groups []string) *intel.Audience { return &intel.Audience{Orgs: orgs, Groups: groups} }
	inputs := []struct {
		name string
		in   intel.RecordInput
	}{
		{"green", intel.RecordInput{Value: "green.example.com", TLP: "green"}},
		{"clear-ip", intel.RecordInput{Value: "192.0.2.10", TLP: "clear"}},
		{"amber-b", intel.RecordInput{Value: "amber-b.example.com", TLP: "amber", Audience: aud([]string{"org-b"}, nil)}},
		{"amber-p", intel.RecordInput{Value: "amber-p.example.com", TLP: "amber", Audience: aud([]string{"org-p", "org-b"}, nil)}},
		{"strict-p", intel.RecordInput{Value: "strict-p.example.com", TLP: "amber+strict", Audience: aud([]string{"org-p", "org-b"}, nil)}},
		{"red-p", intel.RecordInput{Value: "red-p.example.com", TLP: "red", Audience: aud([]string{"org-p", "org-b"}, nil)}},
		{"green-h2", intel.RecordInput{Value: "h2.example.com", TLP: "green", Handling: &intel.Handling{Codes: []string{"H2"}}}},
		{"personal", intel.RecordInput{Value: "victim@example.org", TLP: "green", Personal: &yes, Audience: aud([]string{"org-b", "org-p"}, nil)}},
		{"group-green", intel.RecordInput{Value: "g1-green.example.net", TLP: "green", Audience: aud(nil, []string{"g1"})}},
		{"group-amber", intel.RecordInput{Value: "g1-amber.example.net", TLP: "amber", Audience: aud(nil, []string{"g1"})}},
		{"url", intel.RecordInput{Value: "https://phish.example.com/login.php", TLP: "green"}},
		{"sha256", intel.RecordInput{Value: strings.Repeat("ab", 32), TLP: "green"}},
		{"phone", intel.RecordInput{Type: "phone", Value: "+1 202 555 0142", TLP: "green"}},
		{"updated", intel.RecordInput{Value: "updated.example.com", TLP: "green"}},
		{"to-delete", intel.RecordInput{Value: "delete-me.example.com", TLP: "green"}},
	}
	var ins []intel.RecordInput
	for _, in := range inputs {
		ins = append(ins, in.in)
	}
	res, err := h.CreateRecords(ctx, w.caller["a"], ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("record %s: %v", inputs[i].name, r.Err)
		}
		w.rec[inputs[i].name] = r.Value
	}
	res, err = h.CreateRecords(ctx, w.caller["b"], []intel.RecordInput{{Value: "of-b.example.com", TLP: "green"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	w.rec["of-b"] = res[0].Value
	for _, conf := range []int{70, 90} {
		time.Sleep(2 * time.Millisecond) // distinct modified times
		c := conf
		if w.rec["updated"], err = h.UpdateRecord(ctx, w.caller["a"], w.rec["updated"].ID, intel.RecordPatch{Confidence: &c}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.CreateReport(ctx, w.caller["a"], intel.ReportInput{Title: "Phishing wave", TLP: "green", Records: []string{w.rec["green"].ID, w.rec["url"].ID}}); err != nil {
		t.Fatal(err)
	}
	w.c = client{t: t, base: serve(t, h)}
	w.g1 = hub.GroupCollectionID("g1")
	return w
}

func (w *world) auth(name string) string { return bearer(w.tok[name]) }

func objectsPath(col string) string  { return collectionsPath + col + "/objects/" }
func manifestPath(col string) string { return collectionsPath + col + "/manifest/" }
func objectPath(col, id string) string {
	return collectionsPath + col + "/objects/" + id + "/"
}

// TestConformance runs the protocol suite on every store.
func TestConformance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		t.Run("discovery", w.testDiscovery)
		t.Run("auth", w.testAuth)
		t.Run("accept", w.testAccept)
		t.Run("collections", w.testCollections)
		t.Run("forbidden", w.testForbidden)
		t.Run("not-found", w.testNotFound)
		t.Run("bad-parameters", w.testBadParameters)
		t.Run("filters", w.testFilters)
		t.Run("match-version", w.testMatchVersion)
		t.Run("added-after", w.testAddedAfter)
		t.Run("manifest-agrees", w.testManifestAgrees)
		t.Run("object", w.testObject)
		t.Run("versions", w.testVersions)
		t.Run("paging", w.testPaging)
		t.Run("partner-and-group", w.testPartnerAndGroup)
		t.Run("delete", w.testDelete)
		t.Run("partner-revoked", w.testPartnerRevoked)
		t.Run("version-gate", w.testVersionGate)
		t.Run("delete-report", w.testDeleteReport)
		t.Run("post", w.testPost)
		t.Run("concurrent-paging", w.testConcurrentPaging)
	})
}

func (w *world) testDiscovery(t *testing.T) {
	c := client{t, w.c.base}
	var d struct {
		Title    string   `json:"title"`
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}
	for _, path := range []string{"/taxii2/", "/taxii2"} {
		c.ok(path, "", &d)
		if d.Title == "" || len(d.APIRoots) == 0 {
			t.Fatalf("discovery %s: %+v", path, d)
		}
	}
	if !slices.Contains(d.APIRoots, d.Default) {
		t.Errorf("discovery: default %s is not among api_roots %v", d.Default, d.APIRoots)
	}
	for _, root := range d.APIRoots {
		u, err := url.Parse(root)
		if err != nil || !u.IsAbs() {
			t.Fatalf("api root %q is not an absolute URL", root)
		}
		var ar struct {
			Title            string   `json:"title"`
			Versions         []string `json:"versions"`
			MaxContentLength int      `json:"max_content_length"`
		}
		c.ok(u.Path, "", &ar)
		if ar.Title == "" || !slices.Contains(ar.Versions, mediaTAXII) || ar.MaxContentLength <= 0 {
			t.Errorf("API root %s: %+v", root, ar)
		}
		if ar.MaxContentLength != taxii.MaxContentLength {
			t.Errorf("API root max_content_length %d, the server enforces %d", ar.MaxContentLength, taxii.MaxContentLength)
		}
		// The API root is reachable the way discovery names it.
		resp, err := http.Get(root)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s (from discovery): %d", root, resp.StatusCode)
		}
	}
	// Methods the spec does not define on a resource.
	taxiiError(t, "POST /taxii2/", w.c.do("POST", "/taxii2/", w.auth("a"), nil, nil), http.StatusMethodNotAllowed)
	taxiiError(t, "PUT collections", w.c.do("PUT", collectionsPath, w.auth("a"), nil, nil), http.StatusMethodNotAllowed)
	taxiiError(t, "GET /taxii2/nothing/", w.c.get("/taxii2/nothing/", w.auth("a")), http.StatusNotFound)
}

// authedPaths are GET endpoints that need a token, one of each kind.
func (w *world) authedPaths() []string {
	id := stix.IndicatorID(w.rec["updated"].ID)
	return []string{
		collectionsPath,
		collectionsPath + hub.CollectionVisible + "/",
		objectsPath(hub.CollectionVisible),
		manifestPath(hub.CollectionVisible),
		objectPath(hub.CollectionVisible, id),
		objectPath(hub.CollectionVisible, id) + "versions/",
	}
}

func (w *world) testAuth(t *testing.T) {
	secret := w.tok["a"]
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	for _, path := range w.authedPaths() {
		for _, bad := range []string{"", "Bearer", "Bearer not-a-token", "Token not-a-token", basic("org-a", "not-a-token"),
			"Basic !!!not-base64", "Digest " + secret, secret, basic("org-a", "") + "x", basic(secret, "wrong")} {
			taxiiError(t, fmt.Sprintf("GET %s with Authorization %q", path, bad), w.c.get(path, bad), http.StatusUnauthorized)
		}
		for _, good := range []string{"Bearer " + secret, "bearer " + secret, "Token " + secret, basic("anyone", secret), basic("", secret), basic(secret, "")} {
			if r := w.c.get(path, good); r.Status != http.StatusOK {
				t.Errorf("GET %s with Authorization %q: %d %s", path, good, r.Status, r.Body)
			}
		}
	}
	// A revoked token no longer works.
	ctx := context.Background()
	s, tok, err := w.h.OperatorIssueToken(ctx, "org-c", intel.RoleReader, "short-lived")
	if err != nil {
		t.Fatal(err)
	}
	if r := w.c.get(collectionsPath, bearer(s)); r.Status != 200 {
		t.Fatalf("fresh token: %d %s", r.Status, r.Body)
	}
	if err := w.h.OperatorRevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	taxiiError(t, "revoked token", w.c.get(collectionsPath, bearer(s)), http.StatusUnauthorized)
}

func (w *world) testAccept(t *testing.T) {
	paths := append([]string{"/taxii2/", "/taxii2/api/"}, w.authedPaths()...)
	for _, path := range paths {
		for _, acc := range []string{"", "*/*", "application/*", "application/taxii+json", mediaTAXII, "application/taxii+json; version=2.1",
			`application/taxii+json;version="2.1"`, "application/xml, " + mediaTAXII, "application/xml;q=0.9, application/taxii+json;version=2.1;q=1"} {
			r := w.c.do("GET", path, w.auth("a"), http.Header{"Accept": {acc}}, nil)
			if r.Status != http.StatusOK {
				t.Errorf("GET %s with Accept %q: %d %s", path, acc, r.Status, r.Body)
			}
		}
		for _, acc := range []string{"application/xml", "text/html", "application/taxii+json;version=2.0", "application/vnd.oasis.taxii+json; version=2.0", "application/stix+json;version=2.1"} {
			taxiiError(t, fmt.Sprintf("GET %s with Accept %q", path, acc), w.c.do("GET", path, w.auth("a"), http.Header{"Accept": {acc}}, nil), http.StatusNotAcceptable)
		}
	}
	// DELETE negotiates too (before it changes anything).
	path := objectPath(hub.CollectionOwn, stix.IndicatorID(w.rec["green"].ID))
	taxiiError(t, "DELETE with Accept xml", w.c.do("DELETE", path, w.auth("a"), http.Header{"Accept": {"application/xml"}}, nil), http.StatusNotAcceptable)
	if r, err := w.h.GetRecord(context.Background(), w.caller["a"], w.rec["green"].ID); err != nil || !r.Active() {
		t.Errorf("a DELETE refused with 406 changed the record: %v %v", r.Revoked, err)
	}
}

type collectionRes struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	CanRead    bool     `json:"can_read"`
	CanWrite   bool     `json:"can_write"`
	MediaTypes []string `json:"media_types"`
}

func (w *world) collections(t *testing.T, name string) map[string]collectionRes {
	var cs struct {
		Collections []collectionRes `json:"collections"`
	}
	w.c.ok(collectionsPath, w.auth(name), &cs)
	out := map[string]collectionRes{}
	for _, c := range cs.Collections {
		if c.ID == "" || c.Title == "" {
			t.Errorf("%s: collection without id or title: %+v", name, c)
		}
		if _, dup := out[c.ID]; dup {
			t.Errorf("%s: collection %s listed twice", name, c.ID)
		}
		out[c.ID] = c
	}
	return out
}

func (w *world) testCollections(t *testing.T) {
	type rw struct{ read, write bool }
	want := map[string]map[string]rw{
		"a":        {hub.CollectionVisible: {true, false}, hub.CollectionOwn: {true, true}, w.g1: {true, false}, hub.CollectionInbox: {false, true}},
		"b":        {hub.CollectionVisible: {true, false}, hub.CollectionOwn: {true, true}, w.g1: {true, false}, hub.CollectionInbox: {false, true}},
		"c":        {hub.CollectionVisible: {true, false}, hub.CollectionOwn: {true, true}, hub.CollectionInbox: {false, true}},
		"a-reader": {hub.CollectionVisible: {true, false}, hub.CollectionOwn: {true, false}, w.g1: {true, false}},
		"p":        {hub.CollectionVisible: {true, false}, hub.CollectionInbox: {false, true}}, // a partner hub posts sightings and notes back
	}
	for name, cols := range want {
		got := w.collections(t, name)
		if len(got) != len(cols) {
			t.Errorf("%s has collections %v, want %v", name, got, cols)
		}
		for id, perm := range cols {
			c, ok := got[id]
			if !ok {
				t.Errorf("%s lacks collection %s", name, id)
				continue
			}
			if c.CanRead != perm.read || c.CanWrite != perm.write {
				t.Errorf("%s: collection %s (%s) can_read %v can_write %v, want %v %v", name, id, c.Title, c.CanRead, c.CanWrite, perm.read, perm.write)
			}
			if !slices.ContainsFunc(c.MediaTypes, func(m string) bool { return strings.HasPrefix(m, "application/stix+json") }) {
				t.Errorf("%s: collection %s media_types %v", name, id, c.MediaTypes)
			}
			var one collectionRes
			w.c.ok(collectionsPath+id+"/", w.auth(name), &one)
			if one.ID != c.ID || one.Title != c.Title || one.CanRead != c.CanRead || one.CanWrite != c.CanWrite {
				t.Errorf("%s: GET collection %s gives %+v, the list %+v", name, id, one, c)
			}
		}
	}
}

func (w *world) testForbidden(t *testing.T) {
	// The inbox is write-only.
	for _, path := range []string{objectsPath(hub.CollectionInbox), manifestPath(hub.CollectionInbox),
		objectPath(hub.CollectionInbox, stix.IndicatorID(w.rec["green"].ID)), objectPath(hub.CollectionInbox, stix.IndicatorID(w.rec["green"].ID)) + "versions/"} {
		taxiiError(t, "GET "+path, w.c.get(path, w.auth("a")), http.StatusForbidden)
	}
	// A partner hub has only the visible collection: the others are not
	// its (TAXII 2.1 allows 403 or 404 for a collection the client has
	// no access to).
	for _, col := range []string{hub.CollectionOwn, w.g1} {
		for _, path := range []string{collectionsPath + col + "/", objectsPath(col), manifestPath(col)} {
			r := w.c.get(path, w.auth("p"))
			if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
				t.Errorf("partner GET %s: %d %s", path, r.Status, r.Body)
				continue
			}
			taxiiError(t, "partner GET "+path, r, r.Status)
		}
	}
	// org-c is not in g1.
	taxiiError(t, "c reads g1", w.c.get(objectsPath(w.g1), w.auth("c")), http.StatusNotFound)
}

func (w *world) testNotFound(t *testing.T) {
	unknown := "7b0c6a1e-0000-4000-8000-000000000000"
	for _, path := range []string{collectionsPath + unknown + "/", objectsPath(unknown), manifestPath(unknown),
		objectPath(unknown, stix.IndicatorID(w.rec["green"].ID)),
		objectPath(hub.CollectionVisible, "indicator--"+unknown),
		objectPath(hub.CollectionVisible, "indicator--"+unknown) + "versions/",
		objectPath(hub.CollectionVisible, "not-a-stix-id"),
		"/taxii2/api/status/" + unknown + "/",
	} {
		taxiiError(t, "GET "+path, w.c.get(path, w.auth("a")), http.StatusNotFound)
	}
	// A record c may not see is not found, not forbidden: its existence
	// does not show.
	hidden := stix.IndicatorID(w.rec["amber-b"].ID)
	taxiiError(t, "c GET hidden object", w.c.get(objectPath(hub.CollectionVisible, hidden), w.auth("c")), http.StatusNotFound)
	taxiiError(t, "c GET hidden versions", w.c.get(objectPath(hub.CollectionVisible, hidden)+"versions/", w.auth("c")), http.StatusNotFound)
	// b's record is not in a's own collection.
	taxiiError(t, "own collection holds another's", w.c.get(objectPath(hub.CollectionOwn, stix.IndicatorID(w.rec["of-b"].ID)), w.auth("a")), http.StatusNotFound)
}

func (w *world) testBadParameters(t *testing.T) {
	id := stix.IndicatorID(w.rec["updated"].ID)
	paths := []string{objectsPath(hub.CollectionVisible), manifestPath(hub.CollectionVisible), objectPath(hub.CollectionVisible, id), objectPath(hub.CollectionVisible, id) + "versions/"}
	bad := []string{
		"limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=", "added_after=garbage", "added_after=2026-13-01T00:00:00Z", "added_after=yesterday",
		"next=garbage", "next=" + base64.RawURLEncoding.EncodeToString([]byte("1.2")), "next=" + base64.RawURLEncoding.EncodeToString([]byte("-1.0.5")),
		"match[version]=newest", "match[version]=2026-02-30T00:00:00Z",
	}
	for _, path := range paths {
		for _, q := range bad {
			if q == "limit=" {
				continue // an empty limit is no limit
			}
			taxiiError(t, "GET "+path+"?"+q, w.c.get(path+"?"+q, w.auth("a")), http.StatusBadRequest)
		}
	}
	// An empty parameter is the parameter absent.
	for _, path := range paths {
		for _, q := range []string{"limit=", "added_after=", "next=", "limit=&next="} {
			if r := w.c.get(path+"?"+q, w.auth("a")); r.Status != 200 {
				t.Errorf("GET %s?%s: %d %s", path, q, r.Status, r.Body)
			}
		}
	}
	// The versions endpoint does not filter by id, type or version.
	for _, q := range []string{"match[type]=indicator", "match[version]=all", "match[id]=" + id} {
		taxiiError(t, "versions?"+q, w.c.get(paths[3]+"?"+q, w.auth("a")), http.StatusBadRequest)
	}
	// A limit over the server's maximum is lowered, not refused.
	if r := w.c.get(paths[0]+"?limit=1000000", w.auth("a")); r.Status != 200 {
		t.Errorf("limit=1000000: %d %s", r.Status, r.Body)
	}
}

// visibleIndicators returns the record ids of the indicators in a
// collection as caller name gets them.
func (w *world) indicators(t *testing.T, name, col string) map[string]obj {
	objs, _ := pager{c: client{t, w.c.base}, auth: w.auth(name)}.objects(objectsPath(col), vals("match[type]", "indicator"))
	out := map[string]obj{}
	for _, o := range objs {
		ref, kind, ok := stix.FusionRef(o.ID)
		if !ok || kind != store.FeedRecord {
			t.Errorf("%s: indicator id %s names no record", name, o.ID)
			continue
		}
		if _, dup := out[ref]; dup {
			t.Errorf("%s: collection %s serves record %s's indicator twice", name, col, ref)
		}
		out[ref] = o
	}
	return out
}

func (w *world) testFilters(t *testing.T) {
	c := client{t, w.c.base}
	p := pager{c: c, auth: w.auth("a")}
	all, _ := p.objects(objectsPath(hub.CollectionVisible), nil)
	byType := map[string]int{}
	for _, o := range all {
		byType[o.Type]++
		if o.Spec != "2.1" && o.Type != "" {
			t.Errorf("object %s spec_version %q", o.ID, o.Spec)
		}
	}
	for _, typ := range []string{"marking-definition", "identity", "extension-definition", "indicator", "relationship", "domain-name", "ipv4-addr", "url", "file", "report", "email-addr"} {
		if byType[typ] == 0 {
			t.Errorf("the visible collection of org-a holds no %s: %v", typ, byType)
		}
	}
	// The phone record has no STIX form; everything else of a's is there.
	got := w.indicators(t, "a", hub.CollectionVisible)
	for name, r := range w.rec {
		_, in := got[r.ID]
		if want := name != "phone"; in != want {
			t.Errorf("a's visible collection has %s: %v, want %v", name, in, want)
		}
	}
	// match[type], one, several, comma-separated and repeated.
	for _, q := range []url.Values{
		vals("match[type]", "indicator"),
		vals("match[type]", "indicator,report"),
		vals("match[type]", "indicator", "match[type]", "report"),
		vals("match[type]", "marking-definition"),
		vals("match[type]", "identity"),
		vals("match[type]", "domain-name,url"),
		vals("match[type]", "no-such-type"),
	} {
		types := map[string]bool{}
		for _, v := range q["match[type]"] {
			for _, s := range strings.Split(v, ",") {
				types[s] = true
			}
		}
		var want []string
		for _, o := range all {
			if types[o.Type] {
				want = append(want, o.ID+"@"+o.version())
			}
		}
		for _, limit := range []string{"", "3"} {
			qq := url.Values{}
			for k, v := range q {
				qq[k] = v
			}
			if limit != "" {
				qq.Set("limit", limit)
			}
			objs, _ := p.objects(objectsPath(hub.CollectionVisible), qq)
			if got := ids(objs); !slices.Equal(got, want) {
				t.Errorf("%s: %d objects, want the %d of the unfiltered collection of those types\ngot  %v\nwant %v", qq.Encode(), len(got), len(want), got, want)
			}
		}
	}
	// match[id]: one, several, with a type filter that excludes some.
	ind, rep, marking := stix.IndicatorID(w.rec["green"].ID), "", ""
	for _, o := range all {
		switch o.Type {
		case "report":
			rep = o.ID
		case "marking-definition":
			marking = o.ID
		}
	}
	for _, tc := range []struct {
		q    url.Values
		want []string
	}{
		{vals("match[id]", ind), []string{ind}},
		{vals("match[id]", ind+","+rep), []string{ind, rep}},
		{vals("match[id]", ind, "match[id]", rep, "match[type]", "report"), []string{rep}},
		{vals("match[id]", ind, "match[spec_version]", "2.1"), []string{ind}},
		{vals("match[id]", ind, "match[spec_version]", "2.0"), nil},
		{vals("match[id]", "indicator--"+"7b0c6a1e-0000-4000-8000-000000000000"), nil},
		{vals("match[id]", stix.IndicatorID(w.rec["phone"].ID)), nil},
		{vals("match[id]", marking), []string{marking}},
		{vals("match[id]", stix.IdentityID("org-b")), []string{stix.IdentityID("org-b")}},
	} {
		objs, _ := p.objects(objectsPath(hub.CollectionVisible), tc.q)
		var got []string
		for _, o := range objs {
			got = append(got, o.ID)
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.q.Encode(), got, tc.want)
		}
	}
	// match[spec_version]: 2.1 is everything, 2.0 nothing (and no headers).
	objs, _ := p.objects(objectsPath(hub.CollectionVisible), vals("match[spec_version]", "2.1"))
	if !slices.Equal(ids(objs), ids(all)) {
		t.Errorf("match[spec_version]=2.1 gives %d objects, the collection has %d", len(objs), len(all))
	}
	objs, pages := p.objects(objectsPath(hub.CollectionVisible), vals("match[spec_version]", "2.0"))
	if len(objs) != 0 || pages[0].First != "" {
		t.Errorf("match[spec_version]=2.0: %d objects, headers %+v", len(objs), pages[0])
	}
	objs, _ = p.objects(objectsPath(hub.CollectionVisible), vals("match[spec_version]", "2.0,2.1"))
	if len(objs) != len(all) {
		t.Errorf("match[spec_version]=2.0,2.1 gives %d objects, want %d", len(objs), len(all))
	}
}

func (w *world) testMatchVersion(t *testing.T) {
	p := pager{c: client{t, w.c.base}, auth: w.auth("a")}
	id := stix.IndicatorID(w.rec["updated"].ID)
	all, _ := p.objects(objectPath(hub.CollectionVisible, id), vals("match[version]", "all"))
	if len(all) != 3 {
		t.Fatalf("updated twice, match[version]=all: %d versions: %v", len(all), ids(all))
	}
	for i := 1; i < len(all); i++ {
		if !parseStamp(t, "modified", all[i].Modified).After(parseStamp(t, "modified", all[i-1].Modified)) {
			t.Errorf("versions not in order of modified: %v", ids(all))
		}
		if all[i].Created != all[0].Created {
			t.Errorf("created changes between versions: %v", ids(all))
		}
	}
	first, last, mid := all[0], all[2], all[1]
	for _, tc := range []struct {
		q    string
		want []obj
	}{
		{"", []obj{last}},
		{"last", []obj{last}},
		{"first", []obj{first}},
		{"all", all},
		{"first,last", []obj{first, last}},
		{mid.Modified, []obj{mid}},
		{first.Modified + "," + last.Modified, []obj{first, last}},
		{"2020-01-01T00:00:00.000Z", nil},
	} {
		for _, path := range []string{objectPath(hub.CollectionVisible, id), objectsPath(hub.CollectionVisible)} {
			q := vals("match[id]", id)
			if tc.q != "" {
				q.Set("match[version]", tc.q)
			}
			if strings.HasSuffix(path, id+"/") {
				q.Del("match[id]")
			}
			var got []obj
			if path == objectsPath(hub.CollectionVisible) || tc.want != nil {
				got, _ = p.objects(path, q)
			} else {
				taxiiError(t, "GET "+path+"?"+q.Encode(), p.c.get(path+"?"+q.Encode(), p.auth), http.StatusNotFound)
			}
			if !slices.Equal(ids(got), ids(tc.want)) {
				t.Errorf("GET %s?%s: %v, want %v", path, q.Encode(), ids(got), ids(tc.want))
			}
		}
	}
	// The markings, fusion's identity and extension have one version each,
	// their created time: match[version] selects them like any object.
	markings, _ := p.objects(objectsPath(hub.CollectionVisible), vals("match[type]", "marking-definition,extension-definition"))
	if len(markings) == 0 {
		t.Fatal("no markings")
	}
	for _, tc := range []struct {
		v    string
		want []obj
	}{
		{"last", markings}, {"first", markings}, {"all", markings}, {"2020-01-01T00:00:00Z", nil},
		{markings[0].version(), slices.DeleteFunc(slices.Clone(markings), func(o obj) bool { return o.version() != markings[0].version() })},
	} {
		got, _ := p.objects(objectsPath(hub.CollectionVisible), vals("match[type]", "marking-definition,extension-definition", "match[version]", tc.v))
		if !slices.Equal(ids(got), ids(tc.want)) {
			t.Errorf("markings with match[version]=%s: %v, want %v", tc.v, ids(got), ids(tc.want))
		}
	}
	// Over the whole collection, "all" holds every version of every object,
	// "last" one per record and "first" the first versions.
	count := func(v string) (n int, mods []string) {
		objs, _ := p.objects(objectsPath(hub.CollectionVisible), vals("match[version]", v, "match[type]", "indicator"))
		for _, o := range objs {
			if o.ID == id {
				n++
				mods = append(mods, o.Modified)
			}
		}
		return n, mods
	}
	if n, _ := count("all"); n != 3 {
		t.Errorf("collection with match[version]=all holds %d versions of the updated record, want 3", n)
	}
	if n, mods := count("last"); n != 1 || mods[0] != last.Modified {
		t.Errorf("collection with match[version]=last: %v, want %s", mods, last.Modified)
	}
	if n, mods := count("first"); n != 1 || mods[0] != first.Modified {
		t.Errorf("collection with match[version]=first: %v, want %s", mods, first.Modified)
	}
}

func (w *world) testAddedAfter(t *testing.T) {
	p := pager{c: client{t, w.c.base}, auth: w.auth("a")}
	entries, pages := p.manifest(manifestPath(hub.CollectionVisible), vals("limit", "5"))
	if len(entries) < 10 {
		t.Fatalf("only %d manifest entries", len(entries))
	}
	lastHeader := pages[len(pages)-1].Last
	if !sameInstant(t, lastHeader, entries[len(entries)-1].DateAdded) {
		t.Errorf("last page's X-TAXII-Date-Added-Last %s, last entry added %s", lastHeader, entries[len(entries)-1].DateAdded)
	}
	// added_after is strict: after the Last header of a poll, nothing new.
	for _, q := range []url.Values{vals("added_after", lastHeader), vals("added_after", lastHeader, "limit", "2")} {
		got, pg := p.manifest(manifestPath(hub.CollectionVisible), q)
		if len(got) != 0 || pg[0].First != "" {
			t.Errorf("%s: %d entries %v", q.Encode(), len(got), got)
		}
	}
	// After each distinct date_added, exactly the entries added later.
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.DateAdded] {
			continue
		}
		seen[e.DateAdded] = true
		at := parseStamp(t, "date_added", e.DateAdded)
		var want []manifestEntry
		for _, f := range entries {
			if parseStamp(t, "date_added", f.DateAdded).After(at) {
				want = append(want, f)
			}
		}
		for _, limit := range []string{"", "4"} {
			q := vals("added_after", e.DateAdded)
			if limit != "" {
				q.Set("limit", limit)
			}
			got, _ := p.manifest(manifestPath(hub.CollectionVisible), q)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d entries, want %d", q.Encode(), len(got), len(want))
			}
			objs, _ := p.objects(objectsPath(hub.CollectionVisible), q)
			if len(objs) != len(want) {
				t.Errorf("objects %s: %d objects, the manifest has %d", q.Encode(), len(objs), len(want))
			}
		}
		// The same instant written in another zone and precision.
		alt := at.In(time.FixedZone("X", 2*3600)).Format("2006-01-02T15:04:05.999999999-07:00")
		got, _ := p.manifest(manifestPath(hub.CollectionVisible), vals("added_after", alt))
		if len(got) != len(want) {
			t.Errorf("added_after=%s (=%s): %d entries, want %d", alt, e.DateAdded, len(got), len(want))
		}
	}
	// added_after before everything is everything.
	got, _ := p.manifest(manifestPath(hub.CollectionVisible), vals("added_after", "2000-01-01T00:00:00Z"))
	if !slices.Equal(got, entries) {
		t.Errorf("added_after=2000: %d entries, want %d", len(got), len(entries))
	}
	// A new record comes after the Last header, and alone.
	res, err := w.h.CreateRecords(context.Background(), w.caller["b"], []intel.RecordInput{{Value: "added-later.example.com", TLP: "green"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	objs, _ := p.objects(objectsPath(hub.CollectionVisible), vals("added_after", lastHeader))
	want := []string{stix.IndicatorID(res[0].Value.ID)}
	var gotInd []string
	for _, o := range objs {
		if o.Type == "indicator" {
			gotInd = append(gotInd, o.ID)
		}
	}
	if !slices.Equal(gotInd, want) || len(objs) != 3 {
		t.Errorf("after the last poll one record was added: got %v (%d objects), want indicator %v with its observable and relationship", gotInd, len(objs), want)
	}
}

func (w *world) testManifestAgrees(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "p", "a-reader"} {
		p := pager{c: client{t, w.c.base}, auth: w.auth(name)}
		cols := w.collections(t, name)
		for col, res := range cols {
			if !res.CanRead {
				continue
			}
			for _, q := range []url.Values{nil, vals("limit", "3"), vals("match[version]", "all", "limit", "4"), vals("match[type]", "indicator,report", "limit", "2"), vals("match[version]", "first")} {
				objs, opages := p.objects(objectsPath(col), q)
				entries, mpages := p.manifest(manifestPath(col), q)
				if len(objs) != len(entries) {
					t.Errorf("%s %s %s: %d objects, %d manifest entries", name, res.Title, q.Encode(), len(objs), len(entries))
					continue
				}
				for i, o := range objs {
					e := entries[i]
					v := o.version()
					if v == "" {
						v = e.DateAdded // an SCO: its version is when it was added
					}
					if o.ID != e.ID || !sameInstant(t, v, e.Version) {
						t.Errorf("%s %s %s: object %d is %s version %s, the manifest says %s version %s", name, res.Title, q.Encode(), i, o.ID, v, e.ID, e.Version)
					}
					if e.MediaType != "application/stix+json;version=2.1" {
						t.Errorf("manifest media_type %q", e.MediaType)
					}
				}
				if len(opages) != len(mpages) {
					t.Errorf("%s %s %s: %d pages of objects, %d of manifest", name, res.Title, q.Encode(), len(opages), len(mpages))
					continue
				}
				for i := range opages {
					if opages[i].First != mpages[i].First || opages[i].Last != mpages[i].Last || opages[i].N != mpages[i].N {
						t.Errorf("%s %s %s: page %d of objects %+v, of manifest %+v", name, res.Title, q.Encode(), i, opages[i], mpages[i])
					}
				}
			}
		}
	}
}

func (w *world) testObject(t *testing.T) {
	for _, name := range []string{"a", "c", "p"} {
		p := pager{c: client{t, w.c.base}, auth: w.auth(name)}
		entries, _ := p.manifest(manifestPath(hub.CollectionVisible), nil)
		byID := map[string][]manifestEntry{}
		var order []string
		for _, e := range entries {
			if byID[e.ID] == nil {
				order = append(order, e.ID)
			}
			byID[e.ID] = append(byID[e.ID], e)
		}
		for _, id := range order {
			r := p.c.get(objectPath(hub.CollectionVisible, id), p.auth)
			if r.Status != 200 {
				t.Errorf("%s: GET object %s, listed in the manifest: %d %s", name, id, r.Status, r.Body)
				continue
			}
			var e envelope
			if err := json.Unmarshal(r.Body, &e); err != nil || len(e.Objects) == 0 {
				t.Errorf("%s: GET object %s: %v %s", name, id, err, r.Body)
				continue
			}
			for _, o := range e.Objects {
				if o.ID != id {
					t.Errorf("%s: GET object %s gave %s", name, id, o.ID)
				}
			}
			if got, want := len(e.Objects), len(byID[id]); got != want {
				t.Errorf("%s: GET object %s: %d objects, the manifest lists %d", name, id, got, want)
			}
			if !sameInstant(t, r.Header.Get("X-TAXII-Date-Added-First"), byID[id][0].DateAdded) {
				t.Errorf("%s: GET object %s: X-TAXII-Date-Added-First %s, manifest date_added %s", name, id, r.Header.Get("X-TAXII-Date-Added-First"), byID[id][0].DateAdded)
			}
		}
	}
	// Paging one object's versions through the object endpoint.
	p := pager{c: client{t, w.c.base}, auth: w.auth("a")}
	id := stix.IndicatorID(w.rec["updated"].ID)
	for _, drop := range []bool{false, true} {
		p.dropLimit = drop
		objs, pages := p.objects(objectPath(hub.CollectionVisible, id), vals("match[version]", "all", "limit", "1"))
		if len(objs) != 3 || (!drop && len(pages) != 3) {
			t.Errorf("object versions by one (next without limit: %v): %d objects in %d pages", drop, len(objs), len(pages))
		}
	}
}

func (w *world) testVersions(t *testing.T) {
	p := pager{c: client{t, w.c.base}, auth: w.auth("b")}
	id := stix.IndicatorID(w.rec["updated"].ID)
	path := objectPath(hub.CollectionVisible, id) + "versions/"
	all, pages := p.versions(path, nil)
	objs, _ := p.objects(objectPath(hub.CollectionVisible, id), vals("match[version]", "all"))
	if len(all) != 3 || len(objs) != 3 || len(pages) != 1 {
		t.Fatalf("versions of a record updated twice: %v in %d pages; objects %v", all, len(pages), ids(objs))
	}
	for i, v := range all {
		if !sameInstant(t, v, objs[i].Modified) {
			t.Errorf("version %d is %s, the object's modified %s", i, v, objs[i].Modified)
		}
	}
	entries, _ := p.manifest(manifestPath(hub.CollectionVisible), vals("match[id]", id, "match[version]", "all"))
	if len(entries) != 3 {
		t.Fatalf("manifest of all versions: %v", entries)
	}
	if !sameInstant(t, pages[0].First, entries[0].DateAdded) || !sameInstant(t, pages[0].Last, entries[2].DateAdded) {
		t.Errorf("versions headers %s..%s, versions added %s..%s", pages[0].First, pages[0].Last, entries[0].DateAdded, entries[2].DateAdded)
	}
	for _, limit := range []string{"1", "2"} {
		for _, drop := range []bool{false, true} {
			p.dropLimit = drop
			got, pages := p.versions(path, vals("limit", limit))
			n, _ := strconv.Atoi(limit)
			if !slices.Equal(got, all) {
				t.Errorf("versions limit=%s (drop limit %v): %v, want %v", limit, drop, got, all)
			}
			if !drop && len(pages) != (3+n-1)/n {
				t.Errorf("versions limit=%s: %d pages, want %d (the limit counts versions)", limit, len(pages), (3+n-1)/n)
			}
		}
	}
	p.dropLimit = false
	got, _ := p.versions(path, vals("added_after", entries[0].DateAdded))
	if !slices.Equal(got, all[1:]) {
		t.Errorf("versions added after the first: %v, want %v", got, all[1:])
	}
	got, _ = p.versions(path, vals("match[spec_version]", "2.1"))
	if !slices.Equal(got, all) {
		t.Errorf("versions match[spec_version]=2.1: %v", got)
	}
	// A record with one version has one.
	got, _ = p.versions(objectPath(hub.CollectionVisible, stix.IndicatorID(w.rec["green"].ID))+"versions/", nil)
	if len(got) != 1 {
		t.Errorf("versions of a record never updated: %v", got)
	}
	// The versions of objects that are not records' indicators.
	markings, _ := p.objects(objectsPath(hub.CollectionVisible), vals("match[type]", "marking-definition"))
	if len(markings) == 0 {
		t.Fatal("no marking-definitions in the collection")
	}
	for _, oid := range []string{stix.RelationshipID(w.rec["updated"].ID), stix.IdentityID("org-a"), markings[0].ID} {
		if r := p.c.get(objectPath(hub.CollectionVisible, oid)+"versions/", p.auth); r.Status != 200 {
			t.Errorf("versions of %s: %d %s", oid, r.Status, r.Body)
		}
	}
}

func (w *world) testPaging(t *testing.T) {
	for _, name := range []string{"a", "p"} {
		c := client{t, w.c.base}
		for _, base := range []url.Values{nil, vals("match[version]", "all"), vals("match[type]", "indicator,identity,report"), vals("match[version]", "first,last"),
			vals("match[type]", "indicator,relationship", "match[version]", "all", "match[spec_version]", "2.1", "added_after", "2026-06-01T00:00:00Z")} {
			p := pager{c: c, auth: w.auth(name)}
			big, pages := p.objects(objectsPath(hub.CollectionVisible), withLimit(base, "10000"))
			if len(pages) != 1 {
				t.Fatalf("one big page came in %d", len(pages))
			}
			bigM, _ := p.manifest(manifestPath(hub.CollectionVisible), withLimit(base, "10000"))
			for _, limit := range []string{"1", "2", "7"} {
				for _, drop := range []bool{false, true} {
					p.dropLimit = drop
					objs, pages := p.objects(objectsPath(hub.CollectionVisible), withLimit(base, limit))
					if !slices.Equal(ids(objs), ids(big)) {
						t.Errorf("%s: %s limit %s (then next without limit: %v): %d objects differ from one page of %d\ngot  %v\nwant %v", name, base.Encode(), limit, drop, len(objs), len(big), ids(objs), ids(big))
					}
					n, _ := strconv.Atoi(limit)
					if !drop && len(pages) < (len(big)+n-1)/n {
						t.Errorf("limit %s: %d pages for %d objects", limit, len(pages), len(big))
					}
					m, _ := p.manifest(manifestPath(hub.CollectionVisible), withLimit(base, limit))
					if !slices.Equal(m, bigM) {
						t.Errorf("%s: manifest %s limit %s: differs from one page", name, base.Encode(), limit)
					}
				}
			}
		}
	}
}

func withLimit(q url.Values, limit string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	out.Set("limit", limit)
	return out
}

func (w *world) testPartnerAndGroup(t *testing.T) {
	// Partner org-p: clear and green (not H2, not personal), amber naming
	// it; never amber+strict or red, even naming it.
	got := w.indicators(t, "p", hub.CollectionVisible)
	want := map[string]bool{"green": true, "clear-ip": true, "amber-p": true, "group-green": true, "url": true, "sha256": true, "updated": true, "to-delete": true, "of-b": true}
	for name, r := range w.rec {
		if _, in := got[r.ID]; in != want[name] {
			t.Errorf("partner gets %s (TLP %s, audience %v, handling %v): %v, want %v", name, r.TLP, r.Audience, r.Handling.Codes, in, want[name])
		}
	}
	// The partner's reports are only clear, green, or amber naming it.
	objs, _ := pager{c: client{t, w.c.base}, auth: w.auth("p")}.objects(objectsPath(hub.CollectionVisible), vals("match[type]", "report"))
	if len(objs) != 1 {
		t.Errorf("partner gets %d reports, want the one green report", len(objs))
	}
	// Group g1's collection holds exactly the records addressed to g1.
	for _, name := range []string{"a", "b", "a-reader"} {
		got := w.indicators(t, name, w.g1)
		for rn, r := range w.rec {
			_, in := got[r.ID]
			if want := r.Audience.HasGroup("g1"); in != want {
				t.Errorf("%s: g1 collection has %s: %v, want %v", name, rn, in, want)
			}
		}
	}
	// The own collection holds exactly the org's records.
	for _, name := range []string{"a", "b", "c"} {
		got := w.indicators(t, name, hub.CollectionOwn)
		for rn, r := range w.rec {
			_, in := got[r.ID]
			if want := r.Originator == w.caller[name].Org && rn != "phone"; in != want {
				t.Errorf("%s: own collection has %s: %v, want %v", name, rn, in, want)
			}
		}
	}
}

func (w *world) testDelete(t *testing.T) {
	ctx := context.Background()
	del := func(name, col, id string) response {
		return w.c.do("DELETE", objectPath(col, id), w.auth(name), nil, nil)
	}
	target := w.rec["to-delete"]
	id := stix.IndicatorID(target.ID)
	// Not by a reader, nor through a read-only collection, nor by others.
	taxiiError(t, "reader deletes", del("a-reader", hub.CollectionOwn, id), http.StatusForbidden)
	taxiiError(t, "delete through visible", del("a", hub.CollectionVisible, id), http.StatusForbidden)
	taxiiError(t, "b deletes a's through visible", del("b", hub.CollectionVisible, id), http.StatusForbidden)
	taxiiError(t, "b deletes a's through own", del("b", hub.CollectionOwn, id), http.StatusNotFound)
	taxiiError(t, "b deletes a's through g1", del("b", w.g1, stix.IndicatorID(w.rec["group-green"].ID)), http.StatusForbidden)
	if r := del("p", hub.CollectionVisible, id); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("partner deletes: %d %s", r.Status, r.Body)
	}
	taxiiError(t, "delete unknown", del("a", hub.CollectionOwn, "indicator--7b0c6a1e-0000-4000-8000-000000000000"), http.StatusNotFound)
	taxiiError(t, "delete in unknown collection", del("a", "7b0c6a1e-0000-4000-8000-000000000000", id), http.StatusNotFound)
	if r, _ := w.h.GetRecord(ctx, w.caller["a"], target.ID); !r.Active() {
		t.Fatal("a refused DELETE revoked the record")
	}
	// The originator deletes through its own collection: revoked.
	r := del("a", hub.CollectionOwn, id)
	if r.Status != http.StatusOK {
		t.Fatalf("a deletes its own: %d %s", r.Status, r.Body)
	}
	if rec, err := w.h.GetRecord(ctx, w.caller["a"], target.ID); err != nil || rec.Active() {
		t.Errorf("after DELETE the record is active: %v %v", rec.Revoked, err)
	}
	for _, name := range []string{"a", "b", "p"} {
		objs, _ := pager{c: client{t, w.c.base}, auth: w.auth(name)}.objects(objectPath(hub.CollectionVisible, id), nil)
		if len(objs) != 1 || !objs[0].Revoked {
			t.Errorf("%s: the deleted indicator is served as %v", name, objs)
		}
		vs, _ := pager{c: client{t, w.c.base}, auth: w.auth(name)}.versions(objectPath(hub.CollectionVisible, id)+"versions/", nil)
		if len(vs) != 2 {
			t.Errorf("%s: versions after delete: %v, want the original and the revocation", name, vs)
		}
	}
	// The relationship is revoked with it; the observable stays (it is a
	// fact, not a claim).
	objs, _ := pager{c: client{t, w.c.base}, auth: w.auth("a")}.objects(objectPath(hub.CollectionVisible, stix.RelationshipID(target.ID)), nil)
	if len(objs) != 1 || !objs[0].Revoked {
		t.Errorf("the deleted record's relationship: %v", objs)
	}
	// A marking or identity cannot be deleted.
	if r := del("a", hub.CollectionOwn, stix.IdentityID("org-a")); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("delete identity: %d %s", r.Status, r.Body)
	}
}

// testConcurrentPaging pages through a collection while another
// goroutine keeps adding records: every object there before the paging
// started is served exactly once, none twice; then a poll with
// added_after the last date_added seen gets every record added meanwhile.
func (w *world) testConcurrentPaging(t *testing.T) {
	ctx := context.Background()
	p := pager{c: client{t, w.c.base}, auth: w.auth("c")}
	before, _ := p.manifest(manifestPath(hub.CollectionVisible), vals("limit", "10000"))
	type added struct {
		ids []string
		err error
	}
	stop, done := make(chan struct{}), make(chan added)
	go func() {
		var a added
		defer func() { done <- a }()
		for i := 0; i < 100; i++ { // bounded: under -race paging is slow, and each pass pages what the last one saw added
			select {
			case <-stop:
				return
			default:
			}
			time.Sleep(5 * time.Millisecond) // a busy hub, not a benchmark
			org := []string{"a", "b", "c"}[i%3]
			res, err := w.h.CreateRecords(ctx, w.caller[org], []intel.RecordInput{
				{Value: fmt.Sprintf("conc-%d-x.example.org", i), TLP: "green"},
				{Value: fmt.Sprintf("2001:db8::%x", i+1), TLP: "clear"},
			})
			if err != nil {
				a.err = err
				return
			}
			for _, r := range res {
				if r.Err != nil {
					a.err = r.Err
					return
				}
				a.ids = append(a.ids, r.Value.ID)
			}
		}
	}()
	var during []manifestEntry
	var lastSeen string
	for _, limit := range []string{"1", "2", "7"} {
		got, pages := p.manifest(manifestPath(hub.CollectionVisible), vals("limit", limit))
		seen := map[string]bool{}
		for _, e := range got {
			k := e.ID + "|" + e.Version + "|" + e.DateAdded
			if seen[k] {
				t.Errorf("limit %s: %s served twice while records were added", limit, k)
			}
			seen[k] = true
		}
		if len(got) < len(before) || !slices.Equal(got[:len(before)], before) {
			t.Errorf("limit %s: the %d entries there before the paging are not served first and once each (got %d entries)", limit, len(before), len(got))
		}
		during = got
		lastSeen = pages[len(pages)-1].Last
	}
	close(stop)
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	if len(a.ids) == 0 {
		t.Fatal("the writer added nothing while the pages were read")
	}
	// The last paging saw some of the new records; a poll after what it
	// saw gets the rest, none twice, none lost.
	after, _ := p.manifest(manifestPath(hub.CollectionVisible), vals("added_after", lastSeen, "limit", "3"))
	got := map[string]int{}
	for _, e := range append(slices.Clone(during), after...) {
		if ref, kind, ok := stix.FusionRef(e.ID); ok && kind == store.FeedRecord && strings.HasPrefix(e.ID, "indicator--") {
			got[ref]++
		}
	}
	for _, id := range a.ids {
		if got[id] != 1 {
			t.Errorf("record %s added during the paging was served %d times by the paging and the next poll", id, got[id])
		}
	}
	for ref, n := range got {
		if n != 1 {
			t.Errorf("record %s served %d times", ref, n)
		}
	}
	t.Logf("%d entries before, %d records added while paging, %d entries in the last paging, %d in the next poll", len(before), len(a.ids), len(during), len(after))
}

// testVersionGate changes who may see a record between versions: a
// version is served only to whom may see both it and the current one.
func (w *world) testVersionGate(t *testing.T) {
	ctx := context.Background()
	res, err := w.h.CreateRecords(ctx, w.caller["a"], []intel.RecordInput{
		{Value: "narrowed.example.com", TLP: "green"},
		{Value: "widened.example.com", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}},
		{Value: "made-personal@example.org", TLP: "green"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	narrowed, widened, personal := res[0].Value, res[1].Value, res[2].Value
	amber, green, yes := "amber", "green", true
	change := func(id string, p intel.RecordPatch) {
		t.Helper()
		if _, err := w.h.UpdateRecord(ctx, w.caller["a"], id, p); err != nil {
			t.Fatal(err)
		}
	}
	change(narrowed.ID, intel.RecordPatch{TLP: &amber, Audience: &intel.Audience{Orgs: []string{"org-b"}}})
	change(widened.ID, intel.RecordPatch{TLP: &green, Audience: &intel.Audience{}})
	change(personal.ID, intel.RecordPatch{Personal: &yes, Audience: &intel.Audience{Orgs: []string{"org-b"}}})
	for _, tc := range []struct {
		who  string
		rec  intel.Record
		want int // versions served; 0: not found
	}{
		{"a", narrowed, 2}, {"b", narrowed, 2}, {"c", narrowed, 0}, {"p", narrowed, 0},
		{"a", widened, 2}, {"b", widened, 2}, {"c", widened, 1}, {"p", widened, 1},
		{"a", personal, 2}, {"b", personal, 2}, {"c", personal, 0}, {"p", personal, 0},
	} {
		id := stix.IndicatorID(tc.rec.ID)
		p := pager{c: client{t, w.c.base}, auth: w.auth(tc.who)}
		var coll []obj
		objs, _ := p.objects(objectsPath(hub.CollectionVisible), vals("match[version]", "all", "match[type]", "indicator"))
		for _, o := range objs {
			if o.ID == id {
				coll = append(coll, o)
			}
		}
		if len(coll) != tc.want {
			t.Errorf("%s: %s in the collection with match[version]=all: %d versions, want %d", tc.who, tc.rec.Value, len(coll), tc.want)
		}
		path := objectPath(hub.CollectionVisible, id)
		if tc.want == 0 {
			taxiiError(t, tc.who+" GET "+tc.rec.Value, p.c.get(path+"?match[version]=all", p.auth), http.StatusNotFound)
			taxiiError(t, tc.who+" versions of "+tc.rec.Value, p.c.get(path+"versions/", p.auth), http.StatusNotFound)
			continue
		}
		vs, _ := p.versions(path+"versions/", nil)
		if len(vs) != tc.want {
			t.Errorf("%s: versions of %s: %v, want %d", tc.who, tc.rec.Value, vs, tc.want)
		}
		for _, o := range coll {
			if strings.Contains(string(o.Raw), "made-personal") && tc.who != "a" && tc.who != "b" {
				t.Errorf("%s got the personal value: %s", tc.who, o.Raw)
			}
		}
	}
}

// testDeleteReport deletes a report through the originator's own
// collection: it is then served revoked.
func (w *world) testDeleteReport(t *testing.T) {
	rep, err := w.h.CreateReport(context.Background(), w.caller["a"], intel.ReportInput{Title: "To retract", TLP: "green", Records: []string{w.rec["green"].ID}})
	if err != nil {
		t.Fatal(err)
	}
	id := stix.ReportID(rep.ID)
	taxiiError(t, "b deletes a's report", w.c.do("DELETE", objectPath(hub.CollectionVisible, id), w.auth("b"), nil, nil), http.StatusForbidden)
	if r := w.c.do("DELETE", objectPath(hub.CollectionOwn, id), w.auth("a"), nil, nil); r.Status != http.StatusOK {
		t.Fatalf("a deletes its report: %d %s", r.Status, r.Body)
	}
	objs, _ := pager{c: client{t, w.c.base}, auth: w.auth("b")}.objects(objectPath(hub.CollectionVisible, id), nil)
	if len(objs) != 1 || !objs[0].Revoked {
		t.Errorf("the deleted report is served as %v", objs)
	}
	// An observable is not a record: it cannot be deleted.
	sco := ""
	all, _ := pager{c: client{t, w.c.base}, auth: w.auth("a")}.objects(objectsPath(hub.CollectionOwn), vals("match[type]", "domain-name"))
	if len(all) > 0 {
		sco = all[0].ID
	}
	if sco == "" {
		t.Fatal("no domain-name in a's own collection")
	}
	if r := w.c.do("DELETE", objectPath(hub.CollectionOwn, sco), w.auth("a"), nil, nil); r.Status != http.StatusForbidden {
		t.Errorf("DELETE an observable: %d %s", r.Status, r.Body)
	}
}

type statusDetails struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message"`
}

type statusResource struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"`
	RequestTimestamp string          `json:"request_timestamp"`
	TotalCount       *int            `json:"total_count"`
	SuccessCount     *int            `json:"success_count"`
	Successes        []statusDetails `json:"successes"`
	FailureCount     *int            `json:"failure_count"`
	Failures         []statusDetails `json:"failures"`
	PendingCount     *int            `json:"pending_count"`
	Pendings         []statusDetails `json:"pendings"`
}

// checkStatus checks a status resource against the objects posted (id to
// version, "" for an object without one).
func checkStatus(t *testing.T, what string, body []byte, posted map[string]string) statusResource {
	t.Helper()
	var st statusResource
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("%s: not a status resource: %v\n%s", what, err, body)
	}
	if st.ID == "" || (st.Status != "complete" && st.Status != "pending") || st.TotalCount == nil || st.SuccessCount == nil || st.FailureCount == nil || st.PendingCount == nil {
		t.Fatalf("%s: a required property of the status resource is missing: %s", what, body)
	}
	if *st.TotalCount != len(posted) || *st.SuccessCount+*st.FailureCount+*st.PendingCount != *st.TotalCount {
		t.Errorf("%s: %d objects posted, status counts total %d = %d + %d + %d", what, len(posted), *st.TotalCount, *st.SuccessCount, *st.FailureCount, *st.PendingCount)
	}
	if len(st.Successes) != *st.SuccessCount || len(st.Failures) != *st.FailureCount || len(st.Pendings) != *st.PendingCount {
		t.Errorf("%s: lists and counts disagree: %s", what, body)
	}
	if st.Status == "complete" && *st.PendingCount != 0 {
		t.Errorf("%s: complete with %d pending", what, *st.PendingCount)
	}
	if st.RequestTimestamp != "" {
		parseStamp(t, "request_timestamp", st.RequestTimestamp)
	}
	seen := map[string]bool{}
	for _, d := range slices.Concat(st.Successes, st.Failures, st.Pendings) {
		v, ok := posted[d.ID]
		if !ok {
			t.Errorf("%s: status names %s, which was not posted", what, d.ID)
		}
		if seen[d.ID] {
			t.Errorf("%s: status names %s twice", what, d.ID)
		}
		seen[d.ID] = true
		if v != "" && !sameInstant(t, d.Version, v) {
			t.Errorf("%s: status details of %s: version %q, the object posted has version %s (TAXII 2.1 status-details: version is required)", what, d.ID, d.Version, v)
		}
	}
	return st
}

func (w *world) testPost(t *testing.T) {
	ctx := context.Background()
	post := func(name, col, ct string, body []byte) response {
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		return w.c.do("POST", objectsPath(col), w.auth(name), h, body)
	}
	green := "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	envelope := func(tag string) ([]byte, map[string]string) {
		ind := "indicator--" + uuidFor(tag, "indicator")
		objs := []map[string]any{
			{"type": "indicator", "spec_version": "2.1", "id": ind, "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-02T10:00:00.000Z",
				"name": tag, "pattern": "[domain-name:value = '" + tag + ".example.com']", "pattern_type": "stix", "valid_from": "2026-11-01T10:00:00Z",
				"object_marking_refs": []string{green}},
			{"type": "domain-name", "spec_version": "2.1", "id": "domain-name--" + uuidFor(tag, "sco"), "value": tag + "-sco.example.com", "object_marking_refs": []string{green}},
			{"type": "malware", "spec_version": "2.1", "id": "malware--" + uuidFor(tag, "malware"), "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
				"name": "not a record", "is_family": false},
		}
		b, err := json.Marshal(map[string]any{"objects": objs})
		if err != nil {
			t.Fatal(err)
		}
		posted := map[string]string{}
		for _, o := range objs {
			v, _ := o["modified"].(string)
			posted[o["id"].(string)] = v
		}
		return b, posted
	}
	body, _ := envelope("refused")
	// 401, 406, 415, 413, 422, 403, 404: nothing is created.
	before := w.indicators(t, "a", hub.CollectionOwn)
	taxiiError(t, "POST without a token", w.c.do("POST", objectsPath(hub.CollectionInbox), "", http.Header{"Content-Type": {mediaTAXII}}, body), http.StatusUnauthorized)
	taxiiError(t, "POST with a bad token", w.c.do("POST", objectsPath(hub.CollectionInbox), "Bearer nope", http.Header{"Content-Type": {mediaTAXII}}, body), http.StatusUnauthorized)
	taxiiError(t, "POST Accept xml", w.c.do("POST", objectsPath(hub.CollectionInbox), w.auth("a"), http.Header{"Content-Type": {mediaTAXII}, "Accept": {"application/xml"}}, body), http.StatusNotAcceptable)
	for _, ct := range []string{"", "application/json", "text/plain", "application/stix+json;version=2.1", "application/taxii+json;version=2.0", "application/xml"} {
		taxiiError(t, fmt.Sprintf("POST Content-Type %q", ct), post("a", hub.CollectionInbox, ct, body), http.StatusUnsupportedMediaType)
	}
	big := append(append([]byte(`{"objects":[`), bytes.Repeat([]byte(" "), taxii.MaxContentLength)...), []byte(`]}`)...)
	taxiiError(t, "POST over max_content_length", post("a", hub.CollectionInbox, mediaTAXII, big), http.StatusRequestEntityTooLarge)
	for _, bad := range []string{"not json", "{}", `{"objects":"x"}`, `[]`, `{"objects":[`} {
		r := post("a", hub.CollectionInbox, mediaTAXII, []byte(bad))
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Errorf("POST %q: %d %s", bad, r.Status, r.Body)
		}
		taxiiError(t, fmt.Sprintf("POST %q", bad), r, r.Status)
	}
	taxiiError(t, "reader posts to own", post("a-reader", hub.CollectionOwn, mediaTAXII, body), http.StatusForbidden)
	if r := post("a-reader", hub.CollectionInbox, mediaTAXII, body); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("reader posts to the inbox: %d %s", r.Status, r.Body)
	}
	taxiiError(t, "post to visible", post("a", hub.CollectionVisible, mediaTAXII, body), http.StatusForbidden)
	taxiiError(t, "post to g1", post("a", w.g1, mediaTAXII, body), http.StatusForbidden)
	taxiiError(t, "partner posts to visible", post("p", hub.CollectionVisible, mediaTAXII, body), http.StatusForbidden)
	taxiiError(t, "post to unknown collection", post("a", "7b0c6a1e-0000-4000-8000-000000000000", mediaTAXII, body), http.StatusNotFound)
	if after := w.indicators(t, "a", hub.CollectionOwn); len(after) != len(before) {
		t.Fatalf("refused POSTs created %d records", len(after)-len(before))
	}

	// 202 and a status resource, readable by the organization only.
	for _, tc := range []struct{ who, col, tag string }{
		{"a", hub.CollectionInbox, "posted-inbox"},
		{"a", hub.CollectionOwn, "posted-own"},
		{"p", hub.CollectionInbox, "posted-by-partner"},
	} {
		_, pages := pager{c: client{t, w.c.base}, auth: w.auth("b")}.manifest(manifestPath(hub.CollectionVisible), nil)
		last := pages[len(pages)-1].Last
		body, posted := envelope(tc.tag)
		for _, ct := range []string{mediaTAXII, "application/taxii+json; version=2.1", "application/taxii+json"} {
			r := post(tc.who, tc.col, ct, body)
			if r.Status != http.StatusAccepted {
				t.Fatalf("%s posts to %s as %q: %d %s", tc.who, tc.col, ct, r.Status, r.Body)
			}
			st := checkStatus(t, tc.tag, r.Body, posted)
			if *st.SuccessCount < 1 || *st.FailureCount < 1 {
				t.Errorf("%s: an indicator and a malware posted: %s", tc.tag, r.Body)
			}
			sp := "/taxii2/api/status/" + st.ID + "/"
			var again statusResource
			w.c.ok(sp, w.auth(tc.who), &again)
			if again.ID != st.ID || *again.TotalCount != *st.TotalCount {
				t.Errorf("GET %s: %+v, the POST answered %+v", sp, again, st)
			}
			checkStatus(t, "GET "+sp, w.c.get(sp, w.auth(tc.who)).Body, posted)
			if tc.who == "a" {
				w.c.ok(sp, w.auth("a-reader"), nil) // the same organization
			}
			for _, other := range []string{"b", "c", "p", "a"} {
				if w.caller[other].Org != w.caller[tc.who].Org {
					taxiiError(t, other+" reads "+tc.who+"'s status", w.c.get(sp, w.auth(other)), http.StatusNotFound)
				}
			}
			taxiiError(t, "status without a token", w.c.get(sp, ""), http.StatusUnauthorized)
		}
		// The posted indicator is now a record of the poster, served to
		// others with the next poll.
		objs, _ := pager{c: client{t, w.c.base}, auth: w.auth("b")}.objects(objectsPath(hub.CollectionVisible), vals("added_after", last, "match[type]", "indicator"))
		found := 0
		for _, o := range objs {
			if strings.Contains(string(o.Raw), tc.tag+".example.com") {
				found++
				if !strings.Contains(string(o.Raw), stix.IdentityID(w.caller[tc.who].Org)) {
					t.Errorf("%s: the posted indicator is not created by %s: %s", tc.tag, w.caller[tc.who].Org, o.Raw)
				}
			}
		}
		if found != 1 {
			t.Errorf("%s: the next poll has %d indicators of the posted value, want 1", tc.tag, found)
		}
	}
	_ = ctx
}

// uuidFor is a fixed UUIDv4-shaped id per tag and kind.
func uuidFor(tag, kind string) string {
	sum := 0
	for _, c := range tag + kind {
		sum = sum*31 + int(c)
	}
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(sum), uint64(len(tag+kind)))
}

// testPartnerRevoked revokes records: a partner hub learns of the
// revocation of what it could receive, and still gets nothing of what it
// could not.
func (w *world) testPartnerRevoked(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"amber-p", "red-p", "strict-p", "green-h2", "personal"} {
		if _, err := w.h.RevokeRecord(ctx, w.caller["a"], w.rec[name].ID, "withdrawn"); err != nil {
			t.Fatal(err)
		}
	}
	got := w.indicators(t, "p", hub.CollectionVisible)
	for _, name := range []string{"amber-p", "red-p", "strict-p", "green-h2", "personal"} {
		o, in := got[w.rec[name].ID]
		if want := name == "amber-p"; in != want || (in && !o.Revoked) {
			t.Errorf("partner after revoking %s: served %v (revoked %v), want %v", name, in, o.Revoked, want)
		}
		path := objectPath(hub.CollectionVisible, stix.IndicatorID(w.rec[name].ID))
		if name != "amber-p" {
			taxiiError(t, "partner GET revoked "+name, w.c.get(path, w.auth("p")), http.StatusNotFound)
			taxiiError(t, "partner versions of revoked "+name, w.c.get(path+"versions/?limit=1", w.auth("p")), http.StatusNotFound)
		}
	}
}
