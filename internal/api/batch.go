package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
)

// splitBatch splits a body of the form {"records":[ITEM, ...]} into its
// items without decoding them, so that items can be decoded in parallel. The
// envelope is checked strictly (one object, the one key "records" holding an
// array or null, nothing after it); each item is checked for JSON syntax, in
// parallel, before anything is stored, so that a body that is not valid JSON
// is refused whole. Items are decoded into records later, one by one.
//
// A nil slice with a nil error means "records" was missing or null.
func splitBatch(b []byte) ([][]byte, error) {
	p := scanner{b: b}
	p.ws()
	if !p.eat('{') {
		return nil, p.syntax("expected a JSON object")
	}
	var items [][]byte
	seen := false
	for first := true; ; first = false {
		p.ws()
		if p.eat('}') {
			break
		}
		if !first && !p.eat(',') {
			return nil, p.syntax("expected , or } after an object member")
		}
		p.ws()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.eat(':') {
			return nil, p.syntax("expected : after an object key")
		}
		p.ws()
		if key != "records" {
			if err := p.skip(); err != nil {
				return nil, err
			}
			return nil, &decodeError{"unknown_field", fmt.Sprintf("unknown field %q", key)}
		}
		if seen {
			return nil, &decodeError{"invalid_json", `field "records" appears twice`}
		}
		seen = true
		if items, err = p.array(); err != nil {
			return nil, err
		}
	}
	p.ws()
	if p.i < len(b) {
		return nil, &decodeError{"invalid_json", "unexpected data after the JSON value"}
	}
	return items, validItems(items)
}

// validItems checks every item's syntax, in parallel for large batches.
func validItems(items [][]byte) error {
	bad := make([]bool, len(items))
	workers := min(runtime.GOMAXPROCS(0), (len(items)+511)/512)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				bad[i] = !json.Valid(items[i])
			}
		}()
	}
	wg.Wait()
	for i, b := range bad {
		if b {
			var v any
			err := json.Unmarshal(items[i], &v)
			return &decodeError{"invalid_json", fmt.Sprintf("invalid JSON in records[%d]: %v", i, err)}
		}
	}
	return nil
}

type scanner struct {
	b []byte
	i int
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) syntax(what string) error {
	if p.i >= len(p.b) {
		return &decodeError{"invalid_json", "invalid JSON: unexpected end of input"}
	}
	return &decodeError{"invalid_json", fmt.Sprintf("invalid JSON at byte %d: %s", p.i, what)}
}

// key reads an object key, unescaping it as encoding/json would.
func (p *scanner) key() (string, error) {
	start := p.i
	if err := p.str(); err != nil {
		return "", err
	}
	var k string
	if err := json.Unmarshal(p.b[start:p.i], &k); err != nil {
		return "", &decodeError{"invalid_json", fmt.Sprintf("invalid JSON at byte %d: bad object key", start)}
	}
	return k, nil
}

// str skips a string starting at p.i.
func (p *scanner) str() error {
	if !p.eat('"') {
		return p.syntax("expected a string")
	}
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '"':
			p.i++
			return nil
		case '\\':
			p.i += 2
		default:
			p.i++
		}
	}
	return p.syntax("unterminated string")
}

// skip skips one value; its syntax is checked later by json.Valid, here
// only where it ends matters.
func (p *scanner) skip() error {
	if p.i >= len(p.b) {
		return p.syntax("expected a value")
	}
	switch p.b[p.i] {
	case '"':
		return p.str()
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if err := p.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			}
			p.i++
		}
		return p.syntax("unterminated object or array")
	}
	start := p.i
	for p.i < len(p.b) && strings.IndexByte(",]} \t\n\r{[\"", p.b[p.i]) < 0 {
		p.i++
	}
	if p.i == start {
		return p.syntax("expected a value")
	}
	return nil
}

// array reads the value of "records": an array of items, or null.
func (p *scanner) array() ([][]byte, error) {
	if bytes.HasPrefix(p.b[p.i:], []byte("null")) {
		p.i += 4
		return nil, nil
	}
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		if err := p.skip(); err != nil {
			return nil, err
		}
		return nil, &decodeError{"invalid_field", `records: expected an array ({"records":[...]})`}
	}
	p.i++
	items := [][]byte{}
	for first := true; ; first = false {
		p.ws()
		if p.eat(']') {
			return items, nil
		}
		if !first && !p.eat(',') {
			return nil, p.syntax("expected , or ] after an array element")
		}
		p.ws()
		start := p.i
		if err := p.skip(); err != nil {
			return nil, err
		}
		items = append(items, p.b[start:p.i])
	}
}
