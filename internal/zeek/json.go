package zeek

import (
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON objects.
const maxDepth = 32

// jsonParser parses one JSON line into the reader's row. It accepts what
// Zeek writes — an object of strings, numbers, bools, nulls, arrays of
// those, and (from other tools) nested objects, which it flattens with
// dots — and refuses anything else with a reason.
type jsonParser struct {
	r     *Reader
	s     []byte
	i     int
	nkeys int // keys seen on this line
	msg   string
}

func (r *Reader) parseJSON(line []byte) error {
	r.line = line
	r.scratch = r.scratch[:0]
	r.elems = r.elems[:0]
	for i := range r.vals {
		r.vals[i] = span{}
	}
	p := jsonParser{r: r, s: line}
	p.ws()
	if !p.object(0, 0) {
		return syntaxErr(r.n, "%s at byte %d", p.msg, p.i+1)
	}
	p.ws()
	if p.i != len(p.s) {
		return syntaxErr(r.n, "data after the JSON object at byte %d", p.i+1)
	}
	return nil
}

func (p *jsonParser) fail(msg string) bool {
	if p.msg == "" {
		p.msg = msg
	}
	return false
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// object parses an object whose keys are prefixed by keybuf[:prefix].
func (p *jsonParser) object(prefix, depth int) bool {
	if depth > maxDepth {
		return p.fail("JSON nested too deep")
	}
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return p.fail("not a JSON object")
	}
	p.i++
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return true
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.fail("expected a key")
		}
		r := p.r
		r.keybuf = r.keybuf[:prefix]
		var ok bool
		if r.keybuf, ok = p.str(r.keybuf); !ok {
			return false
		}
		key := len(r.keybuf)
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.fail("expected ':'")
		}
		p.i++
		p.ws()
		if !p.value(key, depth) {
			return false
		}
		p.ws()
		if p.i >= len(p.s) {
			return p.fail("unterminated object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return p.fail("expected ',' or '}'")
		}
	}
}

// value parses the value of the field named keybuf[:key].
func (p *jsonParser) value(key, depth int) bool {
	if p.i >= len(p.s) {
		return p.fail("missing value")
	}
	r := p.r
	switch c := p.s[p.i]; {
	case c == '{':
		r.keybuf = append(r.keybuf[:key], '.')
		return p.object(len(r.keybuf), depth+1)
	case c == '[':
		p.i++
		first := int32(len(r.elems))
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
		} else {
			for {
				p.ws()
				e, ok := p.scalar()
				if !ok {
					return false
				}
				if e.k != kUnset {
					r.elems = append(r.elems, e)
				}
				p.ws()
				if p.i >= len(p.s) {
					return p.fail("unterminated array")
				}
				if p.s[p.i] == ']' {
					p.i++
					break
				}
				if p.s[p.i] != ',' {
					return p.fail("expected ',' or ']'")
				}
				p.i++
			}
		}
		p.set(key, span{a: first, b: int32(len(r.elems)), k: kArray})
		return true
	default:
		v, ok := p.scalar()
		if !ok {
			return false
		}
		p.set(key, v)
		return true
	}
}

// set stores v as the value of field keybuf[:key], adding the field if it
// is new. Lines of one log have their keys mostly in the same order, so the
// field the previous line had at this position is tried before the map.
func (p *jsonParser) set(key int, v span) {
	r := p.r
	name := r.keybuf[:key]
	pos := p.nkeys
	p.nkeys++
	i := -1
	if pos < len(r.order) {
		if j := r.order[pos]; r.fields[j] == string(name) {
			i = j
		}
	}
	if i < 0 {
		var ok bool
		if i, ok = r.index[string(name)]; !ok {
			i = r.addField(string(name))
		}
		if pos < len(r.order) {
			r.order[pos] = i
		}
	}
	if pos >= len(r.order) {
		r.order = append(r.order, i)
	}
	for len(r.vals) <= i {
		r.vals = append(r.vals, span{})
	}
	if i == r.jpath && v.k == kText {
		if b := r.scratch[v.a:v.b]; string(b) != r.path {
			r.path = string(b)
		}
	}
	r.vals[i] = v
}

// addField adds a JSON key to the field list and returns its index.
func (r *Reader) addField(name string) int {
	if r.index == nil {
		r.index = make(map[string]int)
	}
	i := len(r.fields)
	r.fields = append(r.fields, name)
	r.index[name] = i
	r.gen++
	if name == "_path" {
		r.jpath = i
	}
	r.guessPath()
	return i
}

// scalar parses a string, number, bool or null into scratch.
func (p *jsonParser) scalar() (span, bool) {
	r := p.r
	if p.i >= len(p.s) {
		return span{}, p.fail("missing value")
	}
	start := int32(len(r.scratch))
	switch c := p.s[p.i]; {
	case c == '"':
		var ok bool
		if r.scratch, ok = p.str(r.scratch); !ok {
			return span{}, false
		}
	case c == 't' || c == 'f' || c == 'n':
		lit := "null"
		out := byte(0)
		switch c {
		case 't':
			lit, out = "true", 'T'
		case 'f':
			lit, out = "false", 'F'
		}
		if len(p.s)-p.i < len(lit) || string(p.s[p.i:p.i+len(lit)]) != lit {
			return span{}, p.fail("invalid literal")
		}
		p.i += len(lit)
		if out == 0 {
			return span{}, true // null: unset
		}
		r.scratch = append(r.scratch, out)
	case c == '-' || '0' <= c && c <= '9':
		n := p.number()
		if n == 0 {
			return span{}, p.fail("invalid number")
		}
		r.scratch = append(r.scratch, p.s[p.i:p.i+n]...)
		p.i += n
	case c == '[' || c == '{':
		return span{}, p.fail("nested value in an array")
	default:
		return span{}, p.fail("invalid value")
	}
	return span{a: start, b: int32(len(r.scratch)), k: kText}, true
}

// number returns the length of the JSON number at p.i, or 0.
func (p *jsonParser) number() int {
	s, i := p.s, p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return 0
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i - p.i
}

// str decodes the JSON string at p.i and appends it to dst.
func (p *jsonParser) str(dst []byte) ([]byte, bool) {
	p.i++ // the opening quote
	for {
		start := p.i
		for p.i < len(p.s) {
			c := p.s[p.i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			p.i++
		}
		dst = append(dst, p.s[start:p.i]...)
		if p.i >= len(p.s) {
			return dst, p.fail("unterminated string")
		}
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return dst, true
		case c < 0x20:
			return dst, p.fail("control character in a string")
		}
		// A backslash escape.
		if p.i >= len(p.s) {
			return dst, p.fail("unterminated string")
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r1, ok := p.hex4()
			if !ok {
				return dst, p.fail("invalid \\u escape")
			}
			if utf16.IsSurrogate(r1) && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
				save := p.i
				p.i += 2
				if r2, ok := p.hex4(); ok {
					if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
						dst = utf8.AppendRune(dst, r)
						continue
					}
				}
				p.i = save
			}
			dst = utf8.AppendRune(dst, r1)
		default:
			return dst, p.fail("invalid escape")
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.s[p.i : p.i+4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	p.i += 4
	return r, true
}

// guessPath names a JSON log without a "_path" field from its fields.
func (r *Reader) guessPath() {
	if r.jpath >= 0 {
		return
	}
	has := func(name string) bool { _, ok := r.index[name]; return ok }
	switch {
	case has("conn_state") || has("orig_ip_bytes"):
		r.path = "conn"
	case has("qtype_name") || has("query") && has("trans_id"):
		r.path = "dns"
	case has("trans_depth") || has("method") && has("uri"):
		r.path = "http"
	case has("ssl_history") || has("server_name") && has("cipher"):
		r.path = "ssl"
	}
}
