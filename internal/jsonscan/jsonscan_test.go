package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSkip: over any input Skip never panics, and over a valid JSON value
// it moves past exactly that value.
func FuzzSkip(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x\"]",{}]}`, `"s"`, `true`, `[[[`, `{"k":"v"`, `12.5e3`, `["\\"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &Scanner{B: b}
		p.WS()
		v, err := p.Skip()
		trimmed := bytes.TrimSpace(b)
		if json.Valid(b) && bytes.Count(trimmed, []byte("[")) <= MaxDepth {
			if err != nil || !bytes.Equal(v, trimmed) {
				t.Fatalf("Skip(%q) = %q, %v; want the whole value", b, v, err)
			}
		}
		if err == nil && (p.I > len(b) || len(v) == 0) {
			t.Fatalf("Skip(%q) ended at %d with %q", b, p.I, v)
		}
	})
}

func TestElementsAndKey(t *testing.T) {
	p := &Scanner{B: []byte(`{"obj\u0065cts" : [ {"a":1} , "b",null ]}`)}
	p.Eat('{')
	p.WS()
	k, err := p.Key()
	if err != nil || k != "objects" {
		t.Fatalf("Key = %q, %v", k, err)
	}
	p.WS()
	p.Eat(':')
	p.WS()
	els, err := p.Elements("objects")
	if err != nil || len(els) != 3 || string(els[0]) != `{"a":1}` || string(els[2]) != "null" {
		t.Fatalf("Elements = %q, %v", els, err)
	}
	for _, bad := range []string{`[1 2]`, `[1,`, `["x]`} {
		p := &Scanner{B: []byte(bad)}
		if _, err := p.Elements("x"); err == nil {
			t.Errorf("Elements(%s) took it", bad)
		}
	}
}
