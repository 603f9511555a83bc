package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fusion/internal/misp/client"
	"fusion/internal/misp/client/misptest"
)

// fixtures is the shared MISP sample data, from this package's directory.
const fixtures = "../../../../shared/fixtures/misp/events"

func newClient(t testing.TB, url, key string) *client.Client {
	t.Helper()
	c, err := client.New(url, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// uuidOf returns the uuid of an event {"Event":{...}}.
func uuidOf(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var e struct{ Event struct{ UUID string } }
	if err := json.Unmarshal(raw, &e); err != nil || e.Event.UUID == "" {
		t.Fatalf("not an event {\"Event\":{\"uuid\"}}: %.100s (%v)", raw, err)
	}
	return e.Event.UUID
}

func pullAll(t *testing.T, c *client.Client, since time.Time, limit int) []string {
	t.Helper()
	var uuids []string
	n, err := c.Pull(context.Background(), since, limit, func(raw json.RawMessage) error {
		uuids = append(uuids, uuidOf(t, raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(uuids) {
		t.Errorf("Pull said %d events, gave %d", n, len(uuids))
	}
	return uuids
}

func TestPullPagesEveryEventOnce(t *testing.T) {
	r, srv := misptest.NewReplay(t, fixtures)
	c := newClient(t, srv.URL, misptest.TestKey)
	var want []string
	for u := range r.Events {
		want = append(want, u)
	}
	slices.Sort(want)
	if len(want) != 5 {
		t.Fatalf("the fixtures hold %d full events, want 5 (circl-osint, existing_event, japanese_test, malware_exist, sighting_1)", len(want))
	}
	for _, limit := range []int{1, 2, 5, 100} {
		r.Calls = map[string]int{}
		got := pullAll(t, c, time.Time{}, limit)
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		if !slices.Equal(sorted, want) {
			t.Errorf("limit %d: got %v, want each of %v once", limit, got, want)
		}
		// Pages of limit until a short one: 5/limit+1 requests.
		if pages := r.Calls["/events/restSearch"]; pages != len(want)/limit+1 {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, len(want)/limit+1)
		}
	}
}

// TestPullOlderInstance: an instance that answers "no matches" with 404
// still pages to the end.
func TestPullOlderInstance(t *testing.T) {
	r, srv := misptest.NewReplay(t, fixtures)
	r.NoMatches404 = true
	c := newClient(t, srv.URL, misptest.TestKey)
	for _, limit := range []int{1, 5} {
		if got := pullAll(t, c, time.Time{}, limit); len(got) != 5 {
			t.Errorf("limit %d: %d events", limit, len(got))
		}
	}
	if got := pullAll(t, c, time.Now(), 5); len(got) != 0 {
		t.Errorf("since now: %v", got)
	}
	// Any other 404 is an error.
	other := answer(t, 404, "application/json", `{"name":"Not Found","message":"Not Found","url":"/events/restSearch"}`)
	if _, err := newClient(t, other.URL, misptest.TestKey).Search(context.Background(), client.Query{}); err == nil || !strings.Contains(err.Error(), "404 Not Found: Not Found") {
		t.Errorf("a 404 that is not \"No matches.\": %v", err)
	}
}

func TestSearchPage(t *testing.T) {
	_, srv := misptest.NewReplay(t, fixtures)
	c := newClient(t, srv.URL, misptest.TestKey)
	ctx := context.Background()
	p, err := c.Search(ctx, client.Query{Page: 3, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 1 || p.More {
		t.Errorf("page 3 of 2: %d events, more %v; want 1, false", len(p.Events), p.More)
	}
	p, err = c.Search(ctx, client.Query{Page: 1, Limit: 2})
	if err != nil || len(p.Events) != 2 || !p.More {
		t.Errorf("page 1 of 2: %d events, more %v, %v", len(p.Events), p.More, err)
	}
	// The malware_exist fixture is a bare event inside "response" in its
	// file; what comes back is wrapped, as every event is.
	yes, no := true, false
	pub, err := c.Search(ctx, client.Query{Published: &yes})
	if err != nil {
		t.Fatal(err)
	}
	unpub, err := c.Search(ctx, client.Query{Published: &no})
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.Events) != 2 || len(unpub.Events) != 3 {
		t.Errorf("published %d, unpublished %d; want 2 (circl-osint, sighting_1) and 3", len(pub.Events), len(unpub.Events))
	}
	if _, err := c.Search(ctx, client.Query{Limit: -1}); err == nil {
		t.Error("a negative limit was sent")
	}
}

func TestPullSince(t *testing.T) {
	_, srv := misptest.NewReplay(t, fixtures)
	c := newClient(t, srv.URL, misptest.TestKey)
	// malware_exist's timestamp: it is included (at or after), and so are
	// japanese_test and sighting_1, changed later; circl-osint (2016) and
	// existing_event (2017-12-22) are not.
	got := pullAll(t, c, time.Unix(1515081727, 0), 2)
	slices.Sort(got)
	want := []string{"5a4e4fdd-1eb4-4ff3-9e87-43fa950d210f", "5b646415-7b48-40d5-86b4-c0070acd0835", "5c7cdc3b-2f40-4dca-8200-276c0a00020f"}
	if !slices.Equal(got, want) {
		t.Errorf("since 2018-01-04: %v, want %v", got, want)
	}
	if got := pullAll(t, c, time.Unix(1515081728, 0), 2); len(got) != 2 {
		t.Errorf("a second later: %v, want 2 events", got)
	}
	if got := pullAll(t, c, time.Now(), 2); len(got) != 0 {
		t.Errorf("since now: %v", got)
	}
}

func TestWrongKey(t *testing.T) {
	_, srv := misptest.NewReplay(t, fixtures)
	wrong := "x" + misptest.TestKey[1:]
	c := newClient(t, srv.URL, wrong)
	_, err := c.Pull(context.Background(), time.Time{}, 10, func(json.RawMessage) error { return nil })
	if err == nil {
		t.Fatal("pulled with a wrong key")
	}
	msg := err.Error()
	for _, want := range []string{"POST /events/restSearch", "403 Forbidden", "Authentication failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, wrong) {
		t.Errorf("error shows the key: %s", msg)
	}
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("not ErrUnauthorized: %v", err)
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 403 || e.URL != "/events/restSearch" {
		t.Errorf("error %+v", e)
	}
	if _, err := c.Push(context.Background(), []byte(`{"Event":{"info":"x"}}`)); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("push with a wrong key: %v", err)
	}
}

// equivalent reports whether two JSON texts hold the same value.
func equivalent(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	for _, p := range []struct {
		in  []byte
		out *any
	}{{a, &x}, {b, &y}} {
		d := json.NewDecoder(bytes.NewReader(p.in))
		d.UseNumber()
		if err := d.Decode(p.out); err != nil {
			t.Fatalf("%.80s: %v", p.in, err)
		}
	}
	return reflect.DeepEqual(x, y)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withFields returns the fixture event ({"Event":…}) with fields set.
func withFields(t *testing.T, data []byte, set map[string]any) []byte {
	t.Helper()
	var w struct{ Event map[string]any }
	if err := json.Unmarshal(data, &w); err != nil || w.Event == nil {
		t.Fatalf("not {\"Event\":…}: %v", err)
	}
	for k, v := range set {
		w.Event[k] = v
	}
	out, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPushThenPull(t *testing.T) {
	r, srv := misptest.NewReplay(t, fixtures)
	c := newClient(t, srv.URL, misptest.TestKey)
	ctx := context.Background()
	// The Japanese event as another instance's copy: its own id and uuid.
	const uuid = "6f1d2c3b-4a59-4e6f-8a7b-0c1d2e3f4a5b"
	ts := time.Now().Unix()
	ev := withFields(t, fixture(t, "pymisp-japanese_test.json"), map[string]any{"uuid": uuid, "id": "77777", "timestamp": strconv.FormatInt(ts, 10)})
	res, err := c.Push(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.UUID != uuid || res.ID != "77777" {
		t.Errorf("push: %+v", res)
	}
	if r.Calls["/events/add"] != 1 || len(r.Calls) != 1 {
		t.Errorf("calls %v", r.Calls)
	}
	var back json.RawMessage
	if _, err := c.Pull(ctx, time.Unix(ts, 0), 1, func(raw json.RawMessage) error {
		if uuidOf(t, raw) == uuid {
			back = raw
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if back == nil || !equivalent(t, back, ev) {
		t.Errorf("pulled back %.200s…, want what was pushed", back)
	}
}

func TestPushExistingEdits(t *testing.T) {
	for _, unique := range []bool{false, true} {
		t.Run(fmt.Sprintf("unique-uuid-rule=%v", unique), func(t *testing.T) { testPushExistingEdits(t, unique) })
	}
}

func testPushExistingEdits(t *testing.T, unique bool) {
	r, srv := misptest.NewReplay(t, fixtures)
	r.UniqueUUID = unique
	c := newClient(t, srv.URL, misptest.TestKey)
	ctx := context.Background()
	const uuid = "57c4445b-c548-4654-af0b-4be3950d210f"
	ev := withFields(t, fixture(t, "pymisp-circl-osint-57c4445b.json"), map[string]any{"info": "Ransomware - Xorist (updated)", "timestamp": "1600000000"})
	res, err := c.Push(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.UUID != uuid || res.ID == "" {
		t.Errorf("push of a known uuid: %+v, want updated", res)
	}
	if r.Calls["/events/add"] != 1 || r.Calls["/events/edit/"+uuid] != 1 {
		t.Errorf("calls %v: want one add refused, then one edit by uuid", r.Calls)
	}
	p, err := c.Search(ctx, client.Query{Since: time.Unix(1600000000, 0)})
	if err != nil || len(p.Events) != 1 || !strings.Contains(string(p.Events[0]), "(updated)") {
		t.Errorf("after the edit: %d events, %v", len(p.Events), err)
	}
	if len(r.Events) != 5 {
		t.Errorf("%d events stored, want still 5", len(r.Events))
	}
}

func TestPushNew(t *testing.T) {
	r, srv := misptest.NewReplay(t, fixtures)
	c := newClient(t, srv.URL, misptest.TestKey)
	// A bare event without uuid, as a client first submits one: the
	// instance gives it a uuid, an id and a timestamp.
	res, err := c.Push(context.Background(), fixture(t, "pymisp-attribute_del.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.ID == "" || r.Events[res.UUID] == nil {
		t.Errorf("push: %+v", res)
	}
	if got := pullAll(t, c, time.Time{}, 4); len(got) != 6 || !slices.Contains(got, res.UUID) {
		t.Errorf("pulled %v: want the 5 fixture events and %s", got, res.UUID)
	}
}

func TestPushRefused(t *testing.T) {
	_, srv := misptest.NewReplay(t, fixtures)
	c := newClient(t, srv.URL, misptest.TestKey)
	ctx := context.Background()
	_, err := c.Push(ctx, []byte(`{"Event":{"uuid":"6f1d2c3b-4a59-4e6f-8a7b-0c1d2e3f4a5c","timestamp":"1700000000"}}`))
	if err == nil || !strings.Contains(err.Error(), "POST /events/add: 403 Forbidden: Could not add Event (errors: {\"Event\":{\"info\":[\"Info cannot be empty.\"]}})") {
		t.Errorf("an event without info: %v", err)
	}
	for in, want := range map[string]string{
		`[]`:                         "misp: push: not a JSON object",
		`{"Event":[]}`:               `"Event" is not the only field or not an object`,
		`"null"`:                     "misp: push: not a JSON object",
		`{"Event":{"uuid":"nope"}}`:  `field "uuid" "nope": not a uuid`,
		`{"Event":{"uuid":7}}`:       `field "uuid"`,
		`{"Event":{},"Attribute":1}`: `"Event" is not the only field`,
	} {
		if _, err := c.Push(ctx, []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("push %s: %v, want %q", in, err, want)
		}
	}
}

// answer serves one fixed answer to every request.
func answer(t *testing.T, status int, contentType, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBadAnswers(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name, ct, body string
		status         int
		want           string
	}{
		{"login page", "text/html", "<!DOCTYPE html><html><head><title>Users - MISP</title>", 200, `POST /misp/events/restSearch: 200 OK: answer is not MISP's JSON: invalid character '<' looking for beginning of value: "<!DOCTYPE html>`},
		{"no envelope", "application/json", `[{"Event":{"uuid":"x"}}]`, 200, `answer is not MISP's JSON`},
		{"no response", "application/json", `{"name":"x"}`, 200, `answer has no "response" array`},
		{"not an event", "application/json", `{"response":[{"Event":{"uuid":"a"}},{"id":"1"}]}`, 200, `response[1]: neither {"Event":{...}} nor an event with a "uuid"`},
		{"server error", "text/html", "<h1>Internal error</h1>\n", 500, `POST /misp/events/restSearch: 500 Internal Server Error: "<h1>Internal error</h1>"`},
		{"bad request", "application/json", `{"name":"Invalid JSON input.","message":"Invalid JSON input.","url":"\/events\/restSearch"}`, 400, `400 Bad Request: Invalid JSON input.`},
		{"message object", "application/json", `{"name":"Could not add","message":{"Event":"x"},"url":"/x"}`, 400, `400 Bad Request: Could not add: {"Event":"x"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := answer(t, tt.status, tt.ct, tt.body)
			_, err := newClient(t, srv.URL+"/misp/", misptest.TestKey).Search(ctx, client.Query{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("oversized", func(t *testing.T) {
		_, srv := misptest.NewReplay(t, fixtures)
		c := newClient(t, srv.URL, misptest.TestKey)
		_, err := c.WithMaxBody(64<<10).Search(ctx, client.Query{})
		if err == nil || !strings.Contains(err.Error(), "POST /events/restSearch: 200 OK: answer larger than 65536 bytes") {
			t.Errorf("err = %v", err)
		}
		if _, err := c.Search(ctx, client.Query{}); err != nil {
			t.Errorf("the original client took the bound: %v", err)
		}
		big := answer(t, 200, "application/json", `{"response":[`+strings.Repeat(" ", client.DefaultMaxBody)+`]}`)
		if _, err := newClient(t, big.URL, misptest.TestKey).Search(ctx, client.Query{}); err == nil || !strings.Contains(err.Error(), "answer larger than 67108864 bytes") {
			t.Errorf("over 64 MiB: %v", err)
		}
	})
	t.Run("push answer", func(t *testing.T) {
		srv := answer(t, 200, "application/json", `{"saved":true}`)
		_, err := newClient(t, srv.URL, misptest.TestKey).Push(ctx, []byte(`{"Event":{"info":"x"}}`))
		if err == nil || !strings.Contains(err.Error(), `POST /events/add: 200 OK: answer is not the saved event`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestBasePath(t *testing.T) {
	_, srv := misptest.NewReplay(t, fixtures)
	prefixed := httptest.NewServer(http.StripPrefix("/misp", srv.Config.Handler))
	t.Cleanup(prefixed.Close)
	if got := pullAll(t, newClient(t, prefixed.URL+"/misp/", misptest.TestKey), time.Time{}, 3); len(got) != 5 {
		t.Errorf("under /misp: %d events", len(got))
	}
}

func TestContextCancel(t *testing.T) {
	arrived, done := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // the server notices a closed connection only after the body
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	_, err := newClient(t, srv.URL, misptest.TestKey).Search(ctx, client.Query{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "POST /events/restSearch") {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}

	// each's error stops a pull.
	_, rs := misptest.NewReplay(t, fixtures)
	stop := errors.New("stop here")
	n, err := newClient(t, rs.URL, misptest.TestKey).Pull(context.Background(), time.Time{}, 2, func(json.RawMessage) error { return stop })
	if n != 0 || !errors.Is(err, stop) {
		t.Errorf("pull: %d, %v", n, err)
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct{ url, key, want string }{
		{"ftp://misp.example.org", misptest.TestKey, "must be an http or https URL"},
		{"misp.example.org", misptest.TestKey, "must be an http or https URL"},
		{"https://misp.example.org/?a=1", misptest.TestKey, "must have no query"},
		{"https://user:pw@misp.example.org/", misptest.TestKey, "must have no query, fragment or credentials"},
		{"https://misp.example.org", " ", "automation key: empty"},
		{"https://misp.example.org", "k\r\nX-Evil: 1", "line break"},
		{"https://misp.example.org/%zz", misptest.TestKey, "invalid URL escape"},
	} {
		if _, err := client.New(tt.url, tt.key, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %q) = %v, want %q", tt.url, tt.key, err, tt.want)
		}
	}
}

// roundTrip answers every request with a fixed body, in process.
type roundTrip []byte

func (b roundTrip) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

// FuzzSearchAnswer: whatever a server answers restSearch with, Search
// returns an error or events that are each {"Event":{...}} with nothing
// beside it; never a panic.
func FuzzSearchAnswer(f *testing.F) {
	f.Add(fixtureBytes(f, "pymisp-malware_exist-restsearch-response.json"))
	f.Add([]byte(`{"response":[]}`))
	f.Add([]byte(`{"response":[{"Event":{"uuid":"a"}},{"uuid":"b","info":"x"}]}`))
	f.Add([]byte(`{"response":null}`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := client.New("http://misp.test", misptest.TestKey, &http.Client{Transport: roundTrip(body)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Search(context.Background(), client.Query{Limit: 3})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "misp: POST /events/restSearch: ") {
				t.Fatalf("error does not name the call: %v", err)
			}
			return
		}
		if p.More != (len(p.Events) >= 3) {
			t.Fatalf("%d events, more %v", len(p.Events), p.More)
		}
		for _, ev := range p.Events {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(ev, &m); err != nil || len(m) != 1 || m["Event"] == nil {
				t.Fatalf("event %s: %v", ev, err)
			}
			var inner map[string]json.RawMessage
			if err := json.Unmarshal(m["Event"], &inner); err != nil {
				t.Fatalf("Event %s: %v", m["Event"], err)
			}
		}
	})
}

func fixtureBytes(f *testing.F, name string) []byte {
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		f.Fatal(err)
	}
	return data
}
