package client_test

import (
	"encoding/json"
	"testing"

	"fusion/internal/taxii/client"
)

// FuzzParse feeds arbitrary bytes to every parser of server answers: they
// must return an error or a value that holds what they promise, never
// panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"more":true,"next":"abc","objects":[{"id":"indicator--1","type":"indicator"}]}`,
		`{"more":false}`, `{}`, `null`, `[]`, `{"objects":[1]}`, `{"objects":[{"id":3}]}`, `{"more":true}`,
		`{"id":"s1","status":"complete","total_count":1,"success_count":1,"successes":[{"id":"x","version":"v","message":"created record r"}]}`,
		`{"id":"s1","status":"pending","pending_count":2,"pendings":[{"id":"x"}]}`, `{"id":"","status":"done"}`,
		`{"title":"Unauthorized","description":"no token","http_status":"401"}`, `{"a":1} {"b":2}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := client.ParsePage(b); err == nil {
			for _, o := range p.Objects {
				if _, _, err := client.Peek(o); err != nil {
					t.Fatalf("ParsePage kept an object Peek refuses: %s", o)
				}
				if !json.Valid(o) {
					t.Fatalf("ParsePage kept invalid JSON: %s", o)
				}
			}
			if p.More && p.Next == "" && len(p.Objects) == 0 {
				t.Fatal("ParsePage took more without next or objects")
			}
		}
		if s, err := client.ParseStatus(b); err == nil {
			if s.ID == "" || (s.Status != "pending" && s.Status != "complete") {
				t.Fatalf("ParseStatus took %+v", s)
			}
		}
		client.Peek(b)
		client.Batches([]json.RawMessage{b, b}, int64(len(b)/2+20), 1)
		c := client.NewCarrier(4)
		c.Learn([]json.RawMessage{b})
		if out, carried := c.Complete([]json.RawMessage{b}); len(out) != 1+len(carried) {
			t.Fatalf("Complete gave %d objects for %d carried", len(out), len(carried))
		}
	})
}
