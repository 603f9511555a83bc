package zeek

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"time"
)

// maxLine bounds the length of one line, so that a corrupt file cannot make
// the reader hold all of it.
const maxLine = 16 << 20

// Value kinds of a field in the current row.
const (
	kUnset = iota // unset ("-", null or absent)
	kEmpty        // "(empty)"
	kRaw          // TSV text in the line, still escaped
	kText         // literal text in scratch (JSON)
	kArray        // JSON array: elems[a:b]
)

// span locates one value of the current row.
type span struct {
	a, b int32
	k    uint8
}

// Reader reads Zeek logs: the TSV form (following the header lines, across
// several header blocks) or JSON lines, either optionally gzip-compressed
// (detected by its magic bytes). It allocates nothing per line beyond what
// the caller asks for:
//
//	r, err := zeek.NewReader(f)
//	if err != nil { ... }
//	uid := r.Index("uid")
//	for r.Next() {
//		t := r.Time()
//		v := r.Bytes(uid) // valid until the next call to Next
//	}
//	if err := r.Err(); err != nil { ... }
//
// Values are addressed by field index; Fields and Index map names to
// indexes. The field list of a TSV log is its "#fields" line; that of a
// JSON log is every key met so far, in order of first appearance, so an
// index stays valid once known (but may not be known before the first
// line that has the key). Nested JSON objects are flattened with dots
// ({"id":{"orig_h":...}} is the field "id.orig_h").
//
// A Reader is not safe for concurrent use.
type Reader struct {
	br   *bufio.Reader
	long []byte // a line that did not fit the bufio buffer
	n    int    // line number of the current line
	err  error
	mode byte // 0 before the first line, 't' TSV, 'j' JSON

	// Header state (TSV); path and fields also serve JSON.
	sep    []byte
	setSep []byte
	empty  []byte
	unset  []byte
	path   string
	fields []string
	types  []string
	index  map[string]int
	gen    int // changes whenever fields change
	tsGen  int
	tsIdx  int

	// The current row.
	line    []byte
	vals    []span
	elems   []span
	scratch []byte
	keybuf  []byte
	order   []int // JSON: the field index of each key of the previous line
	jpath   int   // JSON: index of the "_path" field, or -1
	ts      time.Time
	elem    []byte // EachSet's buffer for an unescaped element

	// Field indexes of the typed decoders, per field-list generation.
	decIdx [SSLLog + 1]decodeIndex
}

// NewReader returns a reader of r. Gzip-compressed input is decompressed;
// a damaged gzip header is an error.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("zeek: gzip: %w", err)
		}
		br = bufio.NewReaderSize(gz, 256<<10)
	}
	zr := &Reader{br: br, tsIdx: -1, tsGen: -1, jpath: -1}
	zr.setDefaults()
	return zr, nil
}

func (r *Reader) setDefaults() {
	r.sep = append(r.sep[:0], separator...)
	r.setSep = append(r.setSep[:0], setSeparator...)
	r.empty = append(r.empty[:0], emptyField...)
	r.unset = append(r.unset[:0], unsetField...)
}

// Err returns the error that stopped Next, or nil at the end of the input.
// Errors about the content wrap ErrSyntax and name the line.
func (r *Reader) Err() error { return r.err }

// Line returns the line number of the current record.
func (r *Reader) Line() int { return r.n }

// Path returns the log's path: the "#path" header of a TSV log; for JSON,
// the "_path" field if the lines have one, or else a guess from the field
// names ("conn", "dns", "http"), or "".
func (r *Reader) Path() string { return r.path }

// JSON reports whether the input is in JSON lines form (known after the
// first record).
func (r *Reader) JSON() bool { return r.mode == 'j' }

// Fields returns the field names; the caller must not modify the slice.
func (r *Reader) Fields() []string { return r.fields }

// Types returns the field types of a TSV log ("#types"), or nil.
func (r *Reader) Types() []string { return r.types }

// Index returns the index of the field called name, or -1.
func (r *Reader) Index(name string) int {
	if i, ok := r.index[name]; ok {
		return i
	}
	return -1
}

// Raw returns the current record's line as read, without its end of line;
// it is valid until the next call to Next.
func (r *Reader) Raw() []byte { return r.line }

// Time returns the ts field of the current record, or the zero time if the
// log has none or it is unset.
func (r *Reader) Time() time.Time { return r.ts }

// Next advances to the next record, reading past header lines. It returns
// false at the end of the input or on an error (see Err).
func (r *Reader) Next() bool {
	if r.err != nil {
		return false
	}
	for {
		line, ok := r.readLine()
		if !ok {
			return false
		}
		if len(line) == 0 {
			continue
		}
		if r.mode == 0 {
			r.mode = 't'
			if line[0] == '{' {
				r.mode = 'j'
			}
		}
		var err error
		if r.mode == 'j' {
			if line[0] == '#' {
				continue // a comment
			}
			err = r.parseJSON(line)
		} else {
			if line[0] == '#' {
				if err := r.header(line); err != nil {
					r.err = err
					return false
				}
				continue
			}
			err = r.parseTSV(line)
		}
		if err == nil {
			err = r.parseTS()
		}
		if err != nil {
			r.err = err
			return false
		}
		return true
	}
}

// readLine returns the next line without its end-of-line bytes.
func (r *Reader) readLine() ([]byte, bool) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
			if len(r.long) > maxLine {
				r.err = syntaxErr(r.n+1, "line longer than %d bytes", maxLine)
				return nil, false
			}
		}
		line = r.long
	}
	if err != nil && err != io.EOF {
		r.err = fmt.Errorf("zeek: line %d: read: %w", r.n+1, err)
		return nil, false
	}
	if len(line) == 0 {
		return nil, false // end of input
	}
	r.n++
	if len(line) > maxLine {
		r.err = syntaxErr(r.n, "line longer than %d bytes", maxLine)
		return nil, false
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, true
}

// header interprets one TSV header line.
func (r *Reader) header(line []byte) error {
	if rest, ok := bytes.CutPrefix(line, []byte("#separator")); ok {
		if len(rest) < 2 || (rest[0] != ' ' && rest[0] != '\t') {
			return syntaxErr(r.n, "#separator without a value")
		}
		sep := unescape(nil, rest[1:])
		if len(sep) == 0 {
			return syntaxErr(r.n, "empty #separator")
		}
		// A #separator line starts a new header block.
		r.setDefaults()
		r.sep = append(r.sep[:0], sep...)
		return nil
	}
	name, rest, _ := bytes.Cut(line, r.sep)
	switch string(name) {
	case "#set_separator":
		v := unescape(nil, rest)
		if len(v) == 0 {
			return syntaxErr(r.n, "empty #set_separator")
		}
		r.setSep = append(r.setSep[:0], v...)
	case "#empty_field":
		r.empty = unescape(r.empty[:0], rest)
	case "#unset_field":
		r.unset = unescape(r.unset[:0], rest)
	case "#path":
		if string(rest) != r.path {
			r.path = string(rest)
		}
	case "#fields":
		if len(rest) == 0 {
			return syntaxErr(r.n, "#fields lists no fields")
		}
		r.fields = r.fields[:0:0]
		r.index = make(map[string]int)
		for f := range bytes.SplitSeq(rest, r.sep) {
			name := string(f)
			if _, dup := r.index[name]; dup {
				return syntaxErr(r.n, "#fields names %s twice", quote(f))
			}
			r.index[name] = len(r.fields)
			r.fields = append(r.fields, name)
		}
		r.types = nil
		r.gen++
	case "#types":
		var types []string
		for t := range bytes.SplitSeq(rest, r.sep) {
			types = append(types, string(t))
		}
		if r.fields != nil && len(types) != len(r.fields) {
			return syntaxErr(r.n, "#types lists %d types, #fields declares %d", len(types), len(r.fields))
		}
		r.types = types
	}
	// #open, #close and unknown header lines carry nothing the reader needs.
	return nil
}

// parseTSV splits a data line into r.vals.
func (r *Reader) parseTSV(line []byte) error {
	if r.fields == nil {
		return syntaxErr(r.n, "data line before any #fields header")
	}
	r.line = line
	r.vals = r.vals[:0]
	r.scratch = r.scratch[:0]
	start := 0
	single := len(r.sep) == 1
	for {
		var i int
		if single {
			i = bytes.IndexByte(line[start:], r.sep[0])
		} else {
			i = bytes.Index(line[start:], r.sep)
		}
		end := len(line)
		if i >= 0 {
			end = start + i
		}
		if len(r.vals) == len(r.fields) {
			return syntaxErr(r.n, "more fields than the %d #fields declares", len(r.fields))
		}
		v := line[start:end]
		k := uint8(kRaw)
		switch {
		case bytes.Equal(v, r.unset):
			k = kUnset
		case bytes.Equal(v, r.empty):
			k = kEmpty
		}
		r.vals = append(r.vals, span{a: int32(start), b: int32(end), k: k})
		if i < 0 {
			break
		}
		start = end + len(r.sep)
	}
	if len(r.vals) != len(r.fields) {
		return syntaxErr(r.n, "%d fields, #fields declares %d", len(r.vals), len(r.fields))
	}
	return nil
}

// parseTS parses the ts field of the current row into r.ts.
func (r *Reader) parseTS() error {
	if r.tsGen != r.gen {
		r.tsGen, r.tsIdx = r.gen, r.Index("ts")
	}
	r.ts = time.Time{}
	if r.tsIdx < 0 || r.tsIdx >= len(r.vals) || r.vals[r.tsIdx].k == kUnset || r.vals[r.tsIdx].k == kEmpty {
		return nil
	}
	b := r.Bytes(r.tsIdx)
	t, ok := parseTime(b)
	if !ok {
		return syntaxErr(r.n, "ts: %s is not a time", quote(b))
	}
	r.ts = t
	return nil
}

// Unset reports whether field i of the current record is unset (or out of
// range).
func (r *Reader) Unset(i int) bool {
	return i < 0 || i >= len(r.vals) || r.vals[i].k == kUnset
}

// Bytes returns field i of the current record, unescaped: nil when it is
// unset, empty when it is the empty string, set or vector. For a set or
// vector the elements are joined by the set separator (use Set to split
// them unambiguously). The slice is valid until the next call to Next.
func (r *Reader) Bytes(i int) []byte {
	if i < 0 || i >= len(r.vals) {
		return nil
	}
	v := r.vals[i]
	switch v.k {
	case kEmpty:
		return []byte{}
	case kRaw:
		raw := r.line[v.a:v.b]
		if bytes.IndexByte(raw, '\\') < 0 {
			return raw
		}
		start := len(r.scratch)
		r.scratch = unescape(r.scratch, raw)
		return r.scratch[start:len(r.scratch):len(r.scratch)]
	case kText:
		return r.scratch[v.a:v.b:v.b]
	case kArray:
		start := len(r.scratch)
		for j, e := range r.elems[v.a:v.b] {
			if j > 0 {
				r.scratch = append(r.scratch, r.setSep...)
			}
			r.scratch = append(r.scratch, r.scratch[e.a:e.b]...)
		}
		return r.scratch[start:len(r.scratch):len(r.scratch)]
	}
	return nil
}

// Field returns field i of the current record as a string: "" when unset
// or empty (see Unset to tell them apart).
func (r *Reader) Field(i int) string { return string(r.Bytes(i)) }

// Set returns the elements of set or vector field i: nil when unset, an
// empty non-nil slice when empty.
func (r *Reader) Set(i int) []string {
	if i < 0 || i >= len(r.vals) {
		return nil
	}
	v := r.vals[i]
	switch v.k {
	case kEmpty:
		return []string{}
	case kRaw:
		raw := r.line[v.a:v.b]
		var out []string
		for e := range bytes.SplitSeq(raw, r.setSep) {
			if bytes.Equal(e, r.empty) {
				out = append(out, "")
				continue
			}
			out = append(out, string(unescape(nil, e)))
		}
		return out
	case kText:
		return []string{string(r.scratch[v.a:v.b])}
	case kArray:
		out := make([]string, 0, v.b-v.a)
		for _, e := range r.elems[v.a:v.b] {
			out = append(out, string(r.scratch[e.a:e.b]))
		}
		return out
	}
	return nil
}

// EachSet calls fn with each element of set or vector field i, without
// allocating; an element is valid only until fn returns.
func (r *Reader) EachSet(i int, fn func([]byte)) {
	if i < 0 || i >= len(r.vals) {
		return
	}
	v := r.vals[i]
	switch v.k {
	case kRaw:
		for e := range bytes.SplitSeq(r.line[v.a:v.b], r.setSep) {
			switch {
			case bytes.Equal(e, r.empty):
				fn(nil)
			case bytes.IndexByte(e, '\\') >= 0:
				r.elem = unescape(r.elem[:0], e)
				fn(r.elem)
			default:
				fn(e)
			}
		}
	case kText:
		fn(r.scratch[v.a:v.b])
	case kArray:
		for _, e := range r.elems[v.a:v.b] {
			fn(r.scratch[e.a:e.b])
		}
	}
}

// unescape appends s to dst with each \xNN replaced by its byte; other
// backslashes are kept.
func unescape(dst, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		if i+4 <= len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
			dst = append(dst, s[:i]...)
			dst = append(dst, unhex(s[i+2])<<4|unhex(s[i+3]))
			s = s[i+4:]
			continue
		}
		dst = append(dst, s[:i+1]...)
		s = s[i+1:]
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
