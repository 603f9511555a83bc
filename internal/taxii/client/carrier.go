package client

import (
	"encoding/json"
	"regexp"
)

// Carrier keeps the identities and marking-definitions seen while paging a
// collection, so that an envelope posted later whose objects refer to one
// seen on an earlier page can carry it again. An importer resolves
// references (markings, created_by_ref, audiences) within one envelope
// only, while a collection sends each identity and marking-definition
// once, at its own place in the collection's order.
type Carrier struct {
	max  int
	objs map[string]json.RawMessage
}

// NewCarrier returns a Carrier keeping at most max objects.
func NewCarrier(max int) *Carrier {
	return &Carrier{max: max, objs: map[string]json.RawMessage{}}
}

// refID matches the ids of the objects a Carrier keeps.
var refID = regexp.MustCompile(`(?:identity|marking-definition)--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// Learn keeps the identities and marking-definitions among objs (a newer
// copy replaces an older one; past the bound, new ones are not kept).
func (c *Carrier) Learn(objs []json.RawMessage) {
	for _, o := range objs {
		id, typ, err := Peek(o)
		if err != nil || (typ != "identity" && typ != "marking-definition") || !refID.MatchString(id) {
			continue
		}
		if _, ok := c.objs[id]; ok || len(c.objs) < c.max {
			c.objs[id] = o
		}
	}
}

// Complete returns batch with the kept objects it refers to (anywhere in
// an object: created_by_ref, object_marking_refs, extensions) and does not
// hold put first, and the ids of those carried objects (nil: none).
func (c *Carrier) Complete(batch []json.RawMessage) ([]json.RawMessage, map[string]bool) {
	if len(c.objs) == 0 {
		return batch, nil
	}
	has := map[string]bool{}
	for _, o := range batch {
		if id, _, err := Peek(o); err == nil {
			has[id] = true
		}
	}
	var carried map[string]bool
	var extra []json.RawMessage
	for _, o := range batch {
		for _, id := range refID.FindAllString(string(o), -1) {
			ref, ok := c.objs[id]
			if !ok || has[id] {
				continue
			}
			has[id] = true
			if carried == nil {
				carried = map[string]bool{}
			}
			carried[id] = true
			extra = append(extra, ref)
		}
	}
	if len(extra) == 0 {
		return batch, nil
	}
	return append(extra, batch...), carried
}
