package stix

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind is the kind of a lexical token of the patterning language.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokKeyword
	tokString
	tokInt
	tokFloat
	tokBinary
	tokHex
	tokTimestamp
	tokLBrack
	tokRBrack
	tokLParen
	tokRParen
	tokColon
	tokDot
	tokComma
	tokStar
	tokEQ
	tokNEQ
	tokLT
	tokLE
	tokGT
	tokGE
)

// keywords are the reserved words of the grammar (STIX 2.1 section 9.2);
// they are case-sensitive.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "FOLLOWEDBY": true, "LIKE": true,
	"MATCHES": true, "ISSUPERSET": true, "ISSUBSET": true, "EXISTS": true,
	"LAST": true, "IN": true, "START": true, "STOP": true, "SECONDS": true,
	"true": true, "false": true, "WITHIN": true, "REPEATS": true, "TIMES": true,
}

// token is one lexical token. text is the token as written, except for string
// literals, whose text is the decoded value.
type token struct {
	kind tokenKind
	pos  int
	text string
}

// describe names the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of pattern"
	case tokString:
		return "string " + quoteString(t.text)
	case tokKeyword:
		return t.text
	case tokIdent:
		return "identifier " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// lexer splits a pattern into tokens on demand.
type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '-'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isBase64Char(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '+' || c == '/'
}

// next returns the next token or a syntax error.
func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	single := func(k tokenKind) (token, error) {
		l.pos++
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	switch c {
	case '[':
		return single(tokLBrack)
	case ']':
		return single(tokRBrack)
	case '(':
		return single(tokLParen)
	case ')':
		return single(tokRParen)
	case ':':
		return single(tokColon)
	case ',':
		return single(tokComma)
	case '*':
		return single(tokStar)
	case '=':
		if strings.HasPrefix(l.src[l.pos:], "==") {
			l.pos += 2
			return token{kind: tokEQ, pos: start, text: "=="}, nil
		}
		return single(tokEQ)
	case '!':
		if strings.HasPrefix(l.src[l.pos:], "!=") {
			l.pos += 2
			return token{kind: tokNEQ, pos: start, text: "!="}, nil
		}
		return token{}, l.errorf(start, "'!'", "'!='")
	case '<':
		if strings.HasPrefix(l.src[l.pos:], "<>") {
			l.pos += 2
			return token{kind: tokNEQ, pos: start, text: "<>"}, nil
		}
		if strings.HasPrefix(l.src[l.pos:], "<=") {
			l.pos += 2
			return token{kind: tokLE, pos: start, text: "<="}, nil
		}
		return single(tokLT)
	case '>':
		if strings.HasPrefix(l.src[l.pos:], ">=") {
			l.pos += 2
			return token{kind: tokGE, pos: start, text: ">="}, nil
		}
		return single(tokGT)
	case '\'':
		return l.stringLit()
	case '.':
		if l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]) {
			return l.number()
		}
		return single(tokDot)
	case '+', '-':
		return l.number()
	}
	if isDigit(c) {
		return l.number()
	}
	if (c == 'b' || c == 'h' || c == 't') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'' {
		return l.prefixed(c)
	}
	if isIdentStart(c) {
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		text := l.src[start:l.pos]
		if keywords[text] {
			return token{kind: tokKeyword, pos: start, text: text}, nil
		}
		return token{kind: tokIdent, pos: start, text: text}, nil
	}
	return token{}, l.errorf(start, quoteChar(l.src[start:]), "a token (a bracket, parenthesis, comparison operator, quote, number or name)")
}

// stringLit lexes a quoted string; its only escapes are \' and \\.
func (l *lexer) stringLit() (token, error) {
	start := l.pos
	l.pos++
	// Most strings have no escape: the text is then a slice of the source.
	if i := strings.IndexAny(l.src[l.pos:], `'\`); i >= 0 && l.src[l.pos+i] == '\'' {
		text := l.src[l.pos : l.pos+i]
		l.pos += i + 1
		return token{kind: tokString, pos: start, text: text}, nil
	}
	var b strings.Builder
	for {
		if l.pos >= len(l.src) {
			return token{}, l.errorf(start, "an unterminated string", "a closing quote")
		}
		c := l.src[l.pos]
		switch c {
		case '\'':
			l.pos++
			return token{kind: tokString, pos: start, text: b.String()}, nil
		case '\\':
			if l.pos+1 >= len(l.src) {
				return token{}, l.errorf(l.pos, "'\\' at the end of the pattern", `an escape \' or \\`)
			}
			e := l.src[l.pos+1]
			if e != '\'' && e != '\\' {
				return token{}, l.errorf(l.pos, "'\\' followed by "+quoteChar(l.src[l.pos+1:]), `an escape \' or \\ (the only escapes in a STIX string)`)
			}
			b.WriteByte(e)
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
}

// number lexes an integer or a float: '+'? or '-', then digits with an
// optional fraction ('0' | [1-9][0-9]* for integers, [0-9]* '.' [0-9]+ for
// floats).
func (l *lexer) number() (token, error) {
	start := l.pos
	if c := l.src[l.pos]; c == '+' || c == '-' {
		l.pos++
	}
	digits := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	intPart := l.src[digits:l.pos]
	if l.pos < len(l.src) && l.src[l.pos] == '.' {
		l.pos++
		frac := l.pos
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		if l.pos == frac {
			return token{}, l.errorf(l.pos, describeAt(l.src, l.pos), "a digit after the decimal point")
		}
		return token{kind: tokFloat, pos: start, text: l.src[start:l.pos]}, nil
	}
	if intPart == "" {
		return token{}, l.errorf(l.pos, describeAt(l.src, l.pos), "a digit")
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return token{}, l.errorf(digits, strconv.Quote(intPart), "an integer without leading zeros")
	}
	// As in the reference grammar, a number may run into the next token:
	// "5SECONDS" is 5 and SECONDS.
	return token{kind: tokInt, pos: start, text: l.src[start:l.pos]}, nil
}

// skipSpace skips white space and comments ("/* … */" and "// …" to the end
// of the line), as the reference grammar does. White space is the ASCII
// spaces and the Unicode ones the grammar lists.
func (l *lexer) skipSpace() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return l.errorf(l.pos, "an unterminated comment", "'*/' closing the comment")
			}
			l.pos += 2 + end + 2
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "//"):
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if !isUnicodeSpace(r) {
				return nil
			}
			l.pos += size
		default:
			return nil
		}
	}
	return nil
}

// isUnicodeSpace reports whether r is one of the non-ASCII white space
// characters of the grammar's WS rule.
func isUnicodeSpace(r rune) bool {
	switch r {
	case 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200a
}

// prefixed lexes b'base64', h'hex' and t'timestamp'.
func (l *lexer) prefixed(prefix byte) (token, error) {
	start := l.pos
	l.pos += 2
	end := strings.IndexByte(l.src[l.pos:], '\'')
	if end < 0 {
		return token{}, l.errorf(start, "an unterminated "+prefixName(prefix)+" literal", "a closing quote")
	}
	body := l.src[l.pos : l.pos+end]
	l.pos += end + 1
	t := token{pos: start, text: body}
	var reason string
	switch prefix {
	case 'b':
		t.kind = tokBinary
		reason = checkBase64(body)
	case 'h':
		t.kind = tokHex
		reason = checkHex(body)
	case 't':
		t.kind = tokTimestamp
		reason = checkTimestamp(body)
	}
	if reason != "" {
		return token{}, &SyntaxError{Offset: start, Found: prefixName(prefix) + " literal " + quoteString(body) + " (" + reason + ")", Expected: "a valid " + prefixName(prefix) + " literal"}
	}
	return t, nil
}

func prefixName(p byte) string {
	switch p {
	case 'b':
		return "binary"
	case 'h':
		return "hex"
	}
	return "timestamp"
}

// checkBase64 checks the body of a binary literal: base64 in one or more
// groups of four characters, the last possibly padded with one or two '='.
func checkBase64(s string) string {
	if s == "" {
		return "empty; base64 has at least one group of 4 characters"
	}
	if len(s)%4 != 0 {
		return "base64 comes in groups of 4 characters, this has " + strconv.Itoa(len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isBase64Char(c) {
			continue
		}
		if c == '=' && (i == len(s)-1 || i == len(s)-2 && s[len(s)-1] == '=') {
			continue
		}
		return "character " + quoteChar(s[i:]) + " at " + strconv.Itoa(i) + " is not base64"
	}
	return ""
}

// checkHex checks the body of a hex literal: pairs of hex digits.
func checkHex(s string) string {
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return "character " + quoteChar(s[i:]) + " at " + strconv.Itoa(i) + " is not a hex digit"
		}
	}
	if len(s)%2 != 0 {
		return "odd number of hex digits"
	}
	return ""
}

// checkTimestamp checks the body of a timestamp literal against the grammar:
// YYYY-MM-DDTHH:MM:SS[.fraction]Z in UTC, second 60 allowed for a leap second.
func checkTimestamp(s string) string {
	const layout = "dddd-dd-ddTdd:dd:dd"
	bad := "is not YYYY-MM-DDTHH:MM:SS[.s]Z"
	if len(s) < len(layout)+1 {
		return bad
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == 'd' {
			if !isDigit(s[i]) {
				return bad
			}
		} else if s[i] != layout[i] {
			return bad
		}
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		j := 1
		for j < len(rest) && isDigit(rest[j]) {
			j++
		}
		if j == 1 {
			return bad
		}
		rest = rest[j:]
	}
	if rest != "Z" {
		return bad
	}
	num := func(i, n int) int { v, _ := strconv.Atoi(s[i : i+n]); return v }
	month, day, hour, minute, sec := num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	switch {
	case month < 1 || month > 12:
		return "month " + s[5:7] + " is out of range"
	case day < 1 || day > 31:
		return "day " + s[8:10] + " is out of range"
	case hour > 23:
		return "hour " + s[11:13] + " is out of range"
	case minute > 59:
		return "minute " + s[14:16] + " is out of range"
	case sec > 60:
		return "second " + s[17:19] + " is out of range"
	}
	return ""
}

// describeAt names what is at offset i of src for an error message.
func describeAt(src string, i int) string {
	if i >= len(src) {
		return "end of pattern"
	}
	return quoteChar(src[i:])
}

// quoteChar quotes the character at the start of s, or names the byte when s
// does not start with valid UTF-8.
func quoteChar(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return "byte 0x" + strconv.FormatUint(uint64(s[0]), 16)
	}
	return "'" + string(r) + "'"
}

func (l *lexer) errorf(offset int, found, expected string) *SyntaxError {
	return &SyntaxError{Offset: offset, Found: found, Expected: expected}
}
