package client_test

import (
	"encoding/json"
	"strings"
	"testing"

	"fusion/internal/taxii/client"
)

func TestCarrier(t *testing.T) {
	const (
		ident = "identity--11111111-1111-4111-8111-111111111111"
		mark  = "marking-definition--22222222-2222-4222-8222-222222222222"
		other = "identity--33333333-3333-4333-8333-333333333333"
	)
	c := client.NewCarrier(2)
	c.Learn([]json.RawMessage{
		json.RawMessage(`{"type":"identity","id":"` + ident + `","name":"A"}`),
		json.RawMessage(`{"type":"marking-definition","id":"` + mark + `"}`),
		json.RawMessage(`{"type":"identity","id":"` + other + `","name":"over the bound"}`),
		json.RawMessage(`{"type":"indicator","id":"indicator--44444444-4444-4444-8444-444444444444"}`),
	})
	batch := []json.RawMessage{
		json.RawMessage(`{"type":"indicator","id":"indicator--5","created_by_ref":"` + ident + `","object_marking_refs":["` + mark + `"],"extensions":{"x":{"refs":["` + other + `","` + ident + `"]}}}`),
	}
	out, carried := c.Complete(batch)
	if len(out) != 3 || len(carried) != 2 || !carried[ident] || !carried[mark] {
		t.Fatalf("%s %v", out, carried)
	}
	if !strings.Contains(string(out[2]), "indicator--5") {
		t.Errorf("the batch's own objects come last: %s", out)
	}
	// An envelope that holds the object already gets no copy.
	out, carried = c.Complete(append([]json.RawMessage{json.RawMessage(`{"type":"identity","id":"` + ident + `"}`)}, batch...))
	if len(out) != 3 || carried[ident] || !carried[mark] {
		t.Errorf("%s %v", out, carried)
	}
	if out, carried := c.Complete([]json.RawMessage{json.RawMessage(`{"id":"x"}`)}); len(out) != 1 || carried != nil {
		t.Errorf("nothing referred to: %s %v", out, carried)
	}
}
