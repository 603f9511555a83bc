// Package misptest is a small MISP for tests: the REST calls fusion's MISP
// client makes (restSearch with paging and timestamps, events/add,
// events/edit), answered as MISP answers them, over real MISP events held
// in memory.
package misptest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// notEvents are fixture files that hold no full event: an event index
// listing (restSearch's returnFormat "json" never answers with one), the
// sharing groups, and an event as a client submits it (no uuid, no
// timestamp: an instance never stores it so; TestPushNew pushes it).
var notEvents = []string{"pymisp-search_index_result.json", "pymisp-sharing_groups.json", "pymisp-attribute_del.json"}

// TestKey is the API key the replay takes.
const TestKey = "pRsS0hTBlmYyOEjpiuSSnlsXG1Tq0Z1k6ruEbxuM"

// Replay is a small MISP: the REST calls the client makes, answered as
// MISP answers them, over events held in memory.
type Replay struct {
	t      testing.TB
	key    string
	mu     sync.Mutex
	Events map[string]*Stored // by uuid
	nextID int
	// Calls counts requests by path.
	Calls map[string]int
	// UniqueUUID makes add refuse a known uuid as a failed validation
	// (403, "The UUID provided is not unique", the Event model's rule)
	// rather than with EventsController's 404 "Event already exists".
	UniqueUUID bool
	// NoMatches404 makes restSearch answer an empty page as MISP did
	// before 2.4.9x: NotFoundException("No matches."), a 404.
	NoMatches404 bool
}

type Stored struct {
	id        int
	timestamp int64
	published bool
	Raw       json.RawMessage // the event object, without the {"Event":} wrapper
}

// fixtureEvents reads every full event in the fixtures: a file {"Event":…},
// a bare event, or a restSearch envelope {"response":[…]}.
func fixtureEvents(t testing.TB, fixtures string) map[string]json.RawMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no MISP fixtures in %s (%v)", fixtures, err)
	}
	out := map[string]json.RawMessage{}
	for _, f := range files {
		if slices.Contains(notEvents, filepath.Base(f)) {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Event    json.RawMessage
			Response []json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		switch {
		case env.Event != nil:
			out[filepath.Base(f)] = env.Event
		case env.Response != nil:
			for i, r := range env.Response {
				var w struct{ Event json.RawMessage }
				if json.Unmarshal(r, &w) == nil && w.Event != nil {
					r = w.Event
				}
				out[fmt.Sprintf("%s[%d]", filepath.Base(f), i)] = r
			}
		default:
			out[filepath.Base(f)] = data
		}
	}
	return out
}

// NewReplay serves, until the test ends, a MISP holding every full event
// in the directory dir (MISP event files: {"Event":…}, bare events, or
// restSearch answers), each given an id as an instance would.
func NewReplay(t testing.TB, dir string) (*Replay, *httptest.Server) {
	r := &Replay{t: t, key: TestKey, Events: map[string]*Stored{}, nextID: 1, Calls: map[string]int{}}
	ids := map[int]bool{}
	for name, ev := range fixtureEvents(t, dir) {
		s, uuid, err := r.parse(ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.id != 0 {
			ids[s.id] = true
		}
		r.Events[uuid] = s
	}
	for _, s := range r.Events {
		for s.id == 0 {
			if !ids[r.nextID] {
				s.id = r.nextID
				ids[s.id] = true
				s.Raw = setID(t, s.Raw, s.id) // an instance's events have its ids
			}
			r.nextID++
		}
	}
	for id := range ids {
		r.nextID = max(r.nextID, id+1)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

// parse reads an event's id, uuid, timestamp and published flag; scalars
// are strings in MISP's answers and may be numbers in what clients send.
func (r *Replay) parse(ev json.RawMessage) (*Stored, string, error) {
	var e struct {
		ID        any  `json:"id"`
		UUID      any  `json:"uuid"`
		Timestamp any  `json:"timestamp"`
		Published bool `json:"published"`
	}
	if err := json.Unmarshal(ev, &e); err != nil {
		return nil, "", err
	}
	uuid, _ := e.UUID.(string)
	if uuid == "" {
		return nil, "", fmt.Errorf("no uuid")
	}
	ts, err := strconv.ParseInt(fmt.Sprint(e.Timestamp), 10, 64)
	if err != nil {
		return nil, "", fmt.Errorf("timestamp %v: %v", e.Timestamp, err)
	}
	id, _ := strconv.Atoi(fmt.Sprint(e.ID))
	return &Stored{id: id, timestamp: ts, published: e.Published, Raw: ev}, uuid, nil
}

// fail answers as MISP's REST error handler does.
func fail(w http.ResponseWriter, status int, name, url string, errs any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	m := map[string]any{"name": name, "message": name, "url": url}
	if errs != nil {
		m["errors"] = errs
	}
	json.NewEncoder(w).Encode(m)
}

func (r *Replay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls[req.URL.Path]++
	if req.Header.Get("Authorization") != r.key {
		fail(w, http.StatusForbidden, "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.", req.URL.Path, nil)
		return
	}
	if req.Header.Get("Accept") != "application/json" || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("%s: Accept %q, Content-Type %q", req.URL.Path, req.Header.Get("Accept"), req.Header.Get("Content-Type"))
	}
	if req.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "You don't have permission to access this location.", req.URL.Path, nil)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	switch {
	case req.URL.Path == "/events/restSearch":
		r.search(w, body)
	case req.URL.Path == "/events/add":
		r.add(w, body)
	case strings.HasPrefix(req.URL.Path, "/events/edit/"):
		r.edit(w, strings.TrimPrefix(req.URL.Path, "/events/edit/"), body)
	default:
		fail(w, http.StatusNotFound, "Not Found", req.URL.Path, nil)
	}
}

// search is restSearch: events ordered by id, filtered by timestamp (at
// or after) and published, then cut into pages of limit from page 1.
func (r *Replay) search(w http.ResponseWriter, body []byte) {
	var q struct {
		ReturnFormat string `json:"returnFormat"`
		Page         int    `json:"page"`
		Limit        int    `json:"limit"`
		Timestamp    int64  `json:"timestamp"`
		Published    *bool  `json:"published"`
	}
	if err := json.Unmarshal(body, &q); err != nil {
		fail(w, http.StatusBadRequest, "Invalid JSON input.", "/events/restSearch", nil)
		return
	}
	if q.ReturnFormat != "json" || q.Page < 1 || q.Limit < 1 {
		r.t.Errorf("restSearch %s: want returnFormat json, page and limit", body)
	}
	var all []*Stored
	for _, s := range r.Events {
		if s.timestamp >= q.Timestamp && (q.Published == nil || *q.Published == s.published) {
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b *Stored) int { return a.id - b.id })
	from := min((q.Page-1)*q.Limit, len(all))
	to := min(from+q.Limit, len(all))
	if from == to && r.NoMatches404 {
		fail(w, http.StatusNotFound, "No matches.", "/events/restSearch", nil)
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"response":[`)
	for i, s := range all[from:to] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Event":`)
		b.Write(s.Raw)
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes())
}

// unwrap takes the event out of {"Event":…}.
func unwrap(body []byte) json.RawMessage {
	var e struct{ Event json.RawMessage }
	if json.Unmarshal(body, &e) == nil && e.Event != nil {
		return e.Event
	}
	return body
}

// add stores a new event. Like MISP, it refuses a known uuid with 404
// and a Location header, and gives an event without a uuid or timestamp
// its own (then the stored event is what it saved, not what was sent).
func (r *Replay) add(w http.ResponseWriter, body []byte) {
	ev := unwrap(body)
	var m map[string]any
	if err := json.Unmarshal(ev, &m); err != nil {
		fail(w, http.StatusBadRequest, "Invalid JSON input.", "/events/add", nil)
		return
	}
	if u, ok := m["uuid"].(string); ok {
		if s, ok := r.Events[u]; ok {
			if r.UniqueUUID {
				fail(w, http.StatusForbidden, "Could not add Event", "/events/add", map[string]any{"Event": map[string]any{"uuid": []string{"The UUID provided is not unique"}}})
				return
			}
			w.Header().Set("Location", "/events/"+strconv.Itoa(s.id))
			fail(w, http.StatusNotFound, "Event already exists, if you would like to edit it, use the url in the location header.", "/events/add", nil)
			return
		}
	} else {
		var b [16]byte
		rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		m["uuid"] = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
		ev = nil
	}
	if _, ok := m["info"].(string); !ok {
		fail(w, http.StatusForbidden, "Could not add Event", "/events/add", map[string]any{"Event": map[string]any{"info": []string{"Info cannot be empty."}}})
		return
	}
	if _, ok := m["timestamp"]; !ok {
		m["timestamp"] = strconv.FormatInt(time.Now().Unix(), 10)
		ev = nil
	}
	if _, ok := m["id"]; !ok {
		m["id"] = strconv.Itoa(r.nextID)
		ev = nil
	}
	if ev == nil {
		ev, _ = json.Marshal(m)
	}
	s, uuid, err := r.parse(ev)
	if err != nil {
		fail(w, http.StatusForbidden, "Could not add Event", "/events/add", map[string]any{"Event": err.Error()})
		return
	}
	if s.id >= r.nextID {
		r.nextID = s.id + 1
	}
	r.Events[uuid] = s
	writeEvent(w, s.Raw)
}

// edit replaces the event of a uuid or id, keeping its id.
func (r *Replay) edit(w http.ResponseWriter, target string, body []byte) {
	var old *Stored
	var uuid string
	for u, s := range r.Events {
		if u == target || strconv.Itoa(s.id) == target {
			old, uuid = s, u
		}
	}
	if old == nil {
		fail(w, http.StatusNotFound, "Invalid event", "/events/edit/"+target, nil)
		return
	}
	s, u, err := r.parse(unwrap(body))
	if err != nil || u != uuid {
		fail(w, http.StatusForbidden, "Could not edit Event", "/events/edit/"+target, map[string]any{"Event": fmt.Sprint("uuid or timestamp: ", err)})
		return
	}
	if s.id != old.id {
		s.id = old.id // MISP keeps its own id, whatever the edit says
		s.Raw = setID(r.t, s.Raw, s.id)
	}
	r.Events[uuid] = s
	writeEvent(w, s.Raw)
}

func writeEvent(w http.ResponseWriter, ev json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"Event":%s}`, ev)
}

// setID returns the event with its "id" set to id, as MISP writes ids.
func setID(t testing.TB, ev json.RawMessage, id int) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ev, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = json.RawMessage(strconv.Quote(strconv.Itoa(id)))
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
