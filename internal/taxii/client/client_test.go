package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server/servertest"
	"fusion/internal/taxii/client"
)

// visible fetches every object of the caller's visible collection in one
// page, by id+modified, with how many times each came.
func collect(t *testing.T, c *client.Client, root string, q client.Query) (map[string]int, []client.Page) {
	t.Helper()
	seen := map[string]int{}
	var pages []client.Page
	err := c.Each(context.Background(), root, hub.CollectionVisible, q, func(p client.Page) error {
		pages = append(pages, p)
		for _, o := range p.Objects {
			var v struct{ ID, Modified string }
			if err := json.Unmarshal(o, &v); err != nil {
				return err
			}
			seen[v.ID+"@"+v.Modified]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen, pages
}

func TestFindAPIRootAndCollections(t *testing.T) {
	h := servertest.Start(t)
	tok := h.Org(t, "org-a", intel.RoleAnalyst)
	c := client.New(client.Options{Token: tok})
	ctx := context.Background()
	want := h.URL + "/taxii2/api/"
	for _, u := range []string{h.URL, h.URL + "/", h.URL + "/taxii2/", h.URL + "/taxii2", h.URL + "/taxii2/api/", h.URL + "/taxii2/api"} {
		root, info, err := c.FindAPIRoot(ctx, u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if root != want || info.MaxContentLength <= 0 || len(info.Versions) == 0 || info.Versions[0] != client.MediaTAXII {
			t.Errorf("%s: root %q info %+v", u, root, info)
		}
	}
	cols, err := c.Collections(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	var inbox, visible bool
	for _, col := range cols {
		switch col.ID {
		case hub.CollectionInbox:
			inbox = col.CanWrite && !col.CanRead
		case hub.CollectionVisible:
			visible = col.CanRead
		}
	}
	if !inbox || !visible {
		t.Errorf("collections %+v: want a readable visible collection and a write-only inbox", cols)
	}
	col, err := c.Collection(ctx, want, hub.CollectionVisible)
	if err != nil || col.ID != hub.CollectionVisible {
		t.Errorf("collection: %+v %v", col, err)
	}
	if _, err := c.Collection(ctx, want, "no-such-collection"); err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no-such-collection") {
		t.Errorf("unknown collection: %v", err)
	}
	for _, bad := range []string{"", "ftp://x/", "localhost:8080", "http://"} {
		if _, _, err := c.FindAPIRoot(ctx, bad); err == nil || !strings.Contains(err.Error(), "not an absolute http(s) URL") {
			t.Errorf("FindAPIRoot(%q): %v", bad, err)
		}
	}
}

func TestPagingGetsEveryObjectOnce(t *testing.T) {
	h := servertest.Start(t)
	tok := h.Org(t, "org-a", intel.RoleAnalyst)
	h.Records(t, tok, "paging", 23)
	c := client.New(client.Options{Token: tok})
	root := h.URL + "/taxii2/api/"
	all, pages := collect(t, c, root, client.Query{})
	if len(pages) != 1 {
		t.Fatalf("the whole collection took %d pages", len(pages))
	}
	indicators := 0
	for k := range all {
		if strings.HasPrefix(k, "indicator--") {
			indicators++
		}
	}
	if indicators != 23 {
		t.Fatalf("%d indicators in the collection, want 23: %v", indicators, all)
	}
	for _, limit := range []int{1, 2, 3, 7, 50} {
		got, pages := collect(t, c, root, client.Query{Limit: limit})
		for k, n := range got {
			if n != 1 {
				t.Errorf("limit %d: %s came %d times", limit, k, n)
			}
			if all[k] == 0 {
				t.Errorf("limit %d: %s is not in the collection", limit, k)
			}
		}
		if len(got) != len(all) {
			t.Errorf("limit %d: %d objects, want %d", limit, len(got), len(all))
		}
		if want := (len(all) + limit - 1) / limit; len(pages) < want {
			t.Errorf("limit %d: %d pages for %d objects", limit, len(pages), len(all))
		}
		for i, p := range pages {
			if len(p.Objects) > limit {
				t.Errorf("limit %d: page %d has %d objects", limit, i, len(p.Objects))
			}
			if len(p.Objects) > 0 && (p.DateAddedFirst == "" || p.DateAddedLast == "" || p.DateAddedLast < p.DateAddedFirst) {
				t.Errorf("limit %d: page %d date added %q..%q", limit, i, p.DateAddedFirst, p.DateAddedLast)
			}
		}
	}
	// match[type] filters on the server.
	got, _ := collect(t, c, root, client.Query{Types: []string{"indicator"}, Limit: 5})
	if len(got) != 23 {
		t.Errorf("match[type]=indicator: %d objects", len(got))
	}
	// The manifest lists the same objects.
	m, err := c.Manifest(context.Background(), root, hub.CollectionVisible, client.Query{Types: []string{"indicator"}})
	if err != nil || len(m.Objects) != 23 || m.More || m.DateAddedLast == "" {
		t.Errorf("manifest: %d objects, more %v, last %q, err %v", len(m.Objects), m.More, m.DateAddedLast, err)
	}
}

func TestIncrementalByDateAdded(t *testing.T) {
	h := servertest.Start(t)
	tok := h.Org(t, "org-a", intel.RoleAnalyst)
	h.Records(t, tok, "first", 5)
	c := client.New(client.Options{Token: tok})
	root := h.URL + "/taxii2/api/"
	_, pages := collect(t, c, root, client.Query{Limit: 4})
	last := ""
	for _, p := range pages {
		last = max(last, p.DateAddedLast)
	}
	if last == "" {
		t.Fatal("no X-TAXII-Date-Added-Last")
	}
	got, _ := collect(t, c, root, client.Query{AddedAfter: last})
	if len(got) != 0 {
		t.Fatalf("added_after the last page: %v", got)
	}
	time.Sleep(2 * time.Millisecond)
	h.Records(t, tok, "second", 4)
	got, _ = collect(t, c, root, client.Query{AddedAfter: last, Limit: 3})
	indicators := 0
	for k := range got {
		if strings.HasPrefix(k, "indicator--") {
			indicators++
		}
	}
	if indicators != 4 {
		t.Errorf("after adding 4 records, added_after gives %d indicators: %v", indicators, got)
	}
}

func TestErrors(t *testing.T) {
	h := servertest.Start(t)
	h.Org(t, "org-a", intel.RoleAnalyst)
	ctx := context.Background()
	root := h.URL + "/taxii2/api/"

	_, err := client.New(client.Options{Token: "not-a-token"}).Collections(ctx, root)
	var te *client.Error
	if !errors.As(err, &te) || te.Status != 401 || !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("bad token: %v", err)
	}
	for _, want := range []string{root + "collections/", "401", "Unauthorized"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("bad token: %q does not name %q", err, want)
		}
	}
	_, err = client.New(client.Options{User: "u", Password: "wrong"}).Objects(ctx, root, hub.CollectionVisible, client.Query{})
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("bad basic password: %v", err)
	}

	// Nothing listens: retried, then a clear error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/taxii2/api/"
	ln.Close()
	began := time.Now()
	_, err = client.New(client.Options{Retries: 2, Backoff: time.Millisecond}).Collections(ctx, dead)
	if err == nil || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("unreachable: %v", err)
	}
	if time.Since(began) > 5*time.Second {
		t.Errorf("unreachable took %v", time.Since(began))
	}

	// A web page is not TAXII.
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Welcome</body></html>"))
	}))
	defer web.Close()
	_, _, err = client.New(client.Options{}).FindAPIRoot(ctx, web.URL)
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "not a TAXII answer") || !strings.Contains(err.Error(), web.URL+"/taxii2/") {
		t.Errorf("web page: %v", err)
	}
	_, err = client.New(client.Options{}).Objects(ctx, web.URL+"/", "c", client.Query{})
	if err == nil || !strings.Contains(err.Error(), "not a TAXII") {
		t.Errorf("web page objects: %v", err)
	}
	// JSON that is neither discovery nor an API root.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer other.Close()
	if _, _, err = client.New(client.Options{}).FindAPIRoot(ctx, other.URL); err == nil || !strings.Contains(err.Error(), "neither a TAXII discovery resource nor an API root") {
		t.Errorf("other JSON: %v", err)
	}

	// A body over the bound.
	_, err = client.New(client.Options{Token: "x", MaxBody: 10}).APIRoot(ctx, root)
	if err == nil || !strings.Contains(err.Error(), "over 10 bytes") {
		t.Errorf("body bound: %v", err)
	}
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", client.MediaTAXII)
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"title":"Slow down","http_status":"429"}`))
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"title":"Busy","description":"try later","http_status":"503"}`))
		default:
			w.Write([]byte(`{"title":"root","versions":["` + client.MediaTAXII + `"],"max_content_length":1000}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	info, err := client.New(client.Options{Backoff: time.Millisecond}).APIRoot(ctx, srv.URL+"/api/")
	if err != nil || info.MaxContentLength != 1000 || calls.Load() != 3 {
		t.Fatalf("after 429 and 503: %+v %v (%d calls)", info, err, calls.Load())
	}
	calls.Store(1) // the next answer is 503, then success: but no retries allowed
	_, err = client.New(client.Options{Retries: -1}).APIRoot(ctx, srv.URL+"/api/")
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "Busy: try later") {
		t.Errorf("no retries: %v", err)
	}
}

// TestEachWithoutNext pages a server that says more without next by
// added_after, as TAXII allows.
func TestEachWithoutNext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", client.MediaTAXII)
		switch r.URL.Query().Get("added_after") {
		case "":
			w.Header().Set("X-TAXII-Date-Added-Last", "2026-01-01T00:00:01Z")
			w.Write([]byte(`{"more":true,"objects":[{"id":"a","type":"x"}]}`))
		case "2026-01-01T00:00:01Z":
			w.Header().Set("X-TAXII-Date-Added-Last", "2026-01-01T00:00:02Z")
			w.Write([]byte(`{"more":false,"objects":[{"id":"b","type":"x"}]}`))
		default:
			w.WriteHeader(400)
		}
	}))
	defer srv.Close()
	var ids []string
	err := client.New(client.Options{}).Each(context.Background(), srv.URL+"/", "c", client.Query{}, func(p client.Page) error {
		for _, o := range p.Objects {
			id, _, _ := client.Peek(o)
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil || strings.Join(ids, ",") != "a,b" {
		t.Errorf("%v %v", ids, err)
	}
}

func TestBatches(t *testing.T) {
	objs := []json.RawMessage{json.RawMessage(`{"id":"a"}`), json.RawMessage(`{"id":"bb"}`), json.RawMessage(`{"id":"ccc"}`)}
	b, err := client.Batches(objs, 0, 2)
	if err != nil || len(b) != 2 || len(b[0]) != 2 || len(b[1]) != 1 {
		t.Errorf("by count: %v %v", b, err)
	}
	b, err = client.Batches(objs, 40, 0)
	if err != nil || len(b) != 2 {
		t.Fatalf("by bytes: %v %v", b, err)
	}
	for _, batch := range b {
		env, _ := json.Marshal(map[string]any{"objects": batch})
		if len(env) > 40 {
			t.Errorf("envelope of %d bytes: %s", len(env), env)
		}
	}
	if _, err := client.Batches(objs, 26, 0); err == nil || !strings.Contains(err.Error(), `"ccc"`) {
		t.Errorf("object over the bound: %v", err)
	}
}

func TestAddObjectsToHub(t *testing.T) {
	h := servertest.Start(t)
	tok := h.Org(t, "org-a", intel.RoleAnalyst)
	c := client.New(client.Options{Token: tok})
	ctx := context.Background()
	root := h.URL + "/taxii2/api/"
	objs := []json.RawMessage{
		json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","pattern":"[domain-name:value = 'posted.example.com']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"}`),
		json.RawMessage(`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","name":"x","is_family":false}`),
	}
	st, err := c.AddObjects(ctx, root, hub.CollectionInbox, objs)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Complete() || st.TotalCount != 2 || st.SuccessCount != 1 || st.FailureCount != 1 || !strings.HasPrefix(st.Successes[0].Message, "created") {
		t.Fatalf("status %+v", st)
	}
	again, err := c.GetStatus(ctx, root, st.ID)
	if err != nil || again.ID != st.ID || again.SuccessCount != 1 {
		t.Errorf("status read back: %+v %v", again, err)
	}
	st, err = c.AddObjects(ctx, root, hub.CollectionInbox, objs[:1])
	if err != nil || st.SuccessCount != 1 || !strings.HasPrefix(st.Successes[0].Message, "unchanged") {
		t.Errorf("posting again: %+v %v", st, err)
	}
	// The visible collection may not be written.
	_, err = c.AddObjects(ctx, root, hub.CollectionVisible, objs[:1])
	var te *client.Error
	if !errors.As(err, &te) || te.Status != 403 || !strings.Contains(err.Error(), "/collections/"+hub.CollectionVisible+"/objects/") {
		t.Errorf("posting to the visible collection: %v", err)
	}
	if _, err := c.GetStatus(ctx, root, "no-such-status"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown status: %v", err)
	}
}

// TestAddObjectsPolls follows a status that is pending at first, and gives
// up on one that stays pending.
func TestAddObjectsPolls(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", client.MediaTAXII)
		switch {
		case r.Method == "POST" && r.Header.Get("Content-Type") != client.MediaTAXII:
			w.WriteHeader(415)
		case r.Method == "POST":
			w.WriteHeader(202)
			w.Write([]byte(`{"id":"s1","status":"pending","total_count":1,"pending_count":1}`))
		case strings.HasSuffix(r.URL.Path, "/status/s1/") && polls.Add(1) >= 2:
			w.Write([]byte(`{"id":"s1","status":"complete","total_count":1,"success_count":1,"successes":[{"id":"x","message":"created"}]}`))
		case strings.HasSuffix(r.URL.Path, "/status/s1/"):
			w.Write([]byte(`{"id":"s1","status":"pending","total_count":1,"pending_count":1}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	objs := []json.RawMessage{json.RawMessage(`{"id":"x"}`)}
	st, err := client.New(client.Options{}).AddObjects(context.Background(), srv.URL+"/api/", "c", objs)
	if err != nil || !st.Complete() || st.SuccessCount != 1 || polls.Load() != 2 {
		t.Errorf("%+v %v after %d polls", st, err, polls.Load())
	}
	polls.Store(-1000)
	_, err = client.New(client.Options{StatusWait: 300 * time.Millisecond}).AddObjects(context.Background(), srv.URL+"/api/", "c", objs)
	if !errors.Is(err, client.ErrPending) || !strings.Contains(err.Error(), "s1") {
		t.Errorf("never complete: %v", err)
	}
}

func TestEachStopsOnRepeatedNext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", client.MediaTAXII)
		w.Write([]byte(`{"more":true,"next":"same","objects":[{"id":"a"}]}`))
	}))
	defer srv.Close()
	pages := 0
	err := client.New(client.Options{}).Each(context.Background(), srv.URL+"/", "c", client.Query{}, func(client.Page) error { pages++; return nil })
	if err == nil || !strings.Contains(err.Error(), `next "same" twice`) || pages != 2 {
		t.Errorf("%d pages: %v", pages, err)
	}
}
