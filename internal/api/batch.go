package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"fusion/internal/jsonscan"
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
	items, err := scanBatch(b)
	if err != nil {
		return nil, syntaxError(err)
	}
	return items, validItems(items)
}

func scanBatch(b []byte) ([][]byte, error) {
	p := &jsonscan.Scanner{B: b}
	p.WS()
	if !p.Eat('{') {
		return nil, &jsonscan.Error{At: p.I, What: "expected a JSON object", EOF: p.I >= len(b)}
	}
	var items [][]byte
	seen := false
	for first := true; ; first = false {
		p.WS()
		if p.Eat('}') {
			break
		}
		if !first && !p.Eat(',') {
			return nil, &jsonscan.Error{At: p.I, What: "expected , or } after an object member", EOF: p.I >= len(b)}
		}
		p.WS()
		key, err := p.Key()
		if err != nil {
			return nil, err
		}
		p.WS()
		if !p.Eat(':') {
			return nil, &jsonscan.Error{At: p.I, What: "expected : after an object key", EOF: p.I >= len(b)}
		}
		p.WS()
		if key != "records" {
			if _, err := p.Skip(); err != nil {
				return nil, err
			}
			return nil, &decodeError{"unknown_field", fmt.Sprintf("unknown field %q", key)}
		}
		if seen {
			return nil, &decodeError{"invalid_json", `field "records" appears twice`}
		}
		seen = true
		if items, err = records(p); err != nil {
			return nil, err
		}
	}
	p.WS()
	if p.I < len(b) {
		return nil, &decodeError{"invalid_json", "unexpected data after the JSON value"}
	}
	return items, nil
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

// syntaxError is a scanner error as the API's invalid_json.
func syntaxError(err error) error {
	var se *jsonscan.Error
	switch {
	case !errors.As(err, &se):
		return err
	case se.EOF:
		return &decodeError{"invalid_json", "invalid JSON: unexpected end of input"}
	}
	return &decodeError{"invalid_json", fmt.Sprintf("invalid JSON at byte %d: %s", se.At, se.What)}
}

// records reads the value of "records": an array of items, or null.
func records(p *jsonscan.Scanner) ([][]byte, error) {
	if bytes.HasPrefix(p.B[p.I:], []byte("null")) {
		p.I += 4
		return nil, nil
	}
	if p.I >= len(p.B) || p.B[p.I] != '[' {
		if _, err := p.Skip(); err != nil {
			return nil, err
		}
		return nil, &decodeError{"invalid_field", `records: expected an array ({"records":[...]})`}
	}
	return p.Elements("records")
}
