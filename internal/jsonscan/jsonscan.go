// Package jsonscan walks the envelope of a JSON document — an object's
// keys, the extent of each value, an array's elements — without decoding
// the values, so that a large body's items can be checked and decoded in
// parallel afterwards. Only where a value ends is found here; its syntax is
// for whoever decodes it (json.Valid, json.Unmarshal).
package jsonscan

import (
	"encoding/json"
	"strings"
)

// MaxDepth bounds the nesting of a skipped value.
const MaxDepth = 10000

// Error is a syntax error at a byte offset (At == len of the input: the
// input ended early).
type Error struct {
	At   int
	What string
	EOF  bool
}

func (e *Error) Error() string {
	if e.EOF {
		return "unexpected end of input"
	}
	return e.What
}

// Scanner walks B from I.
type Scanner struct {
	B []byte
	I int
}

func (p *Scanner) fail(what string) error {
	return &Error{At: p.I, What: what, EOF: p.I >= len(p.B)}
}

// WS moves past white space.
func (p *Scanner) WS() {
	for p.I < len(p.B) {
		switch p.B[p.I] {
		case ' ', '\t', '\n', '\r':
			p.I++
		default:
			return
		}
	}
}

// Eat moves past c if it comes next.
func (p *Scanner) Eat(c byte) bool {
	if p.I < len(p.B) && p.B[p.I] == c {
		p.I++
		return true
	}
	return false
}

// Key reads an object key, unescaping it as encoding/json would.
func (p *Scanner) Key() (string, error) {
	start := p.I
	if err := p.str(); err != nil {
		return "", err
	}
	var k string
	if err := json.Unmarshal(p.B[start:p.I], &k); err != nil {
		p.I = start
		return "", p.fail("bad object key")
	}
	return k, nil
}

// str moves past a string starting at I.
func (p *Scanner) str() error {
	if !p.Eat('"') {
		return p.fail("expected a string")
	}
	for p.I < len(p.B) {
		switch p.B[p.I] {
		case '"':
			p.I++
			return nil
		case '\\':
			p.I += 2
		default:
			p.I++
		}
	}
	return p.fail("unterminated string")
}

// Skip moves past one value — a string, an object or array (to its
// matching bracket, strings skipped whole, at most MaxDepth deep) or a
// literal — and returns its text.
func (p *Scanner) Skip() ([]byte, error) {
	start := p.I
	if p.I >= len(p.B) {
		return nil, p.fail("expected a value")
	}
	switch p.B[p.I] {
	case '"':
		err := p.str()
		return p.B[start:p.I], err
	case '{', '[':
		depth := 0
		for p.I < len(p.B) {
			switch p.B[p.I] {
			case '"':
				if err := p.str(); err != nil {
					return nil, err
				}
				continue
			case '{', '[':
				depth++
				if depth > MaxDepth {
					return nil, p.fail("nested too deep")
				}
			case '}', ']':
				depth--
				if depth == 0 {
					p.I++
					return p.B[start:p.I], nil
				}
			}
			p.I++
		}
		return nil, p.fail("unterminated object or array")
	}
	for p.I < len(p.B) && !strings.ContainsRune(",]} \t\n\r{[\":", rune(p.B[p.I])) {
		p.I++
	}
	if p.I == start {
		return nil, p.fail("expected a value")
	}
	return p.B[start:p.I], nil
}

// Elements reads an array starting at I ('[' next) and returns the text
// of its elements; what names the array in errors.
func (p *Scanner) Elements(what string) ([][]byte, error) {
	if !p.Eat('[') {
		return nil, p.fail("expected an array")
	}
	items := [][]byte{}
	for first := true; ; first = false {
		p.WS()
		if p.Eat(']') {
			return items, nil
		}
		if !first && !p.Eat(',') {
			return nil, p.fail("expected , or ] after an element of " + what)
		}
		p.WS()
		v, err := p.Skip()
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
}
