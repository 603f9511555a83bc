package stix

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// MaxPatternLen bounds the patterns Parse reads, in bytes.
const MaxPatternLen = 1 << 20

// maxDepth bounds the nesting of parentheses and brackets, so that a hostile
// pattern cannot exhaust the stack.
const maxDepth = 100

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("pattern syntax error")

// SyntaxError reports where a pattern stops following the grammar: the byte
// offset, what was found there and what the grammar expected instead.
type SyntaxError struct {
	Offset   int
	Found    string
	Expected string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pattern: at offset %d: found %s, expected %s", e.Offset, e.Found, e.Expected)
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Parse parses a STIX 2.1 pattern (STIX 2.1 section 9, the grammar of
// STIXPattern.g4). Keywords are case-sensitive. On failure the error is a
// *SyntaxError.
//
// SPEC: https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html#_e8slinrhxcc9
func Parse(src string) (*Pattern, error) {
	if len(src) > MaxPatternLen {
		return nil, &SyntaxError{Offset: MaxPatternLen, Found: "a pattern of " + strconv.Itoa(len(src)) + " bytes", Expected: "at most " + strconv.Itoa(MaxPatternLen) + " bytes"}
	}
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.observationExprs()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
	}
	return &Pattern{Expr: e}, nil
}

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) unexpected(expected string) error {
	return &SyntaxError{Offset: p.tok.pos, Found: p.tok.describe(), Expected: expected}
}

func (p *parser) isKeyword(k string) bool {
	return p.tok.kind == tokKeyword && p.tok.text == k
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &SyntaxError{Offset: p.tok.pos, Found: "nesting deeper than " + strconv.Itoa(maxDepth), Expected: "a flatter pattern"}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// observationExprs parses observation expressions joined by FOLLOWEDBY
// (the loosest operator), OR and AND, all left-associative.
func (p *parser) observationExprs() (ObservationExpr, error) {
	return p.obsBinary(precFollowedBy)
}

func (p *parser) obsBinary(prec int) (ObservationExpr, error) {
	if prec == precObsPrimary {
		return p.observationExpr()
	}
	var op ObservationOp
	switch prec {
	case precFollowedBy:
		op = FollowedBy
	case precObsOr:
		op = ObsOr
	default:
		op = ObsAnd
	}
	left, err := p.obsBinary(prec + 1)
	if err != nil {
		return nil, err
	}
	for p.isKeyword(string(op)) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.obsBinary(prec + 1)
		if err != nil {
			return nil, err
		}
		left = &ObservationBinary{Pos: left.Offset(), Op: op, Left: left, Right: right}
	}
	return left, nil
}

// observationExpr parses "[ comparisons ]" or "( observation expressions )",
// then any qualifiers.
func (p *parser) observationExpr() (ObservationExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	start := p.tok.pos
	var e ObservationExpr
	switch p.tok.kind {
	case tokLBrack:
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.comparisonExpr(precCmpOr)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRBrack {
			return nil, p.unexpected("AND, OR or ']'")
		}
		e = &Observation{Pos: start, Expr: c}
	case tokLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		inner, err := p.observationExprs()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, p.unexpected("AND, OR, FOLLOWEDBY, a qualifier or ')'")
		}
		e = inner
	default:
		return nil, p.unexpected("'[' or '(' starting an observation expression")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for {
		q, ok, err := p.qualifier()
		if err != nil {
			return nil, err
		}
		if !ok {
			return e, nil
		}
		e = &Qualified{Pos: start, Expr: e, Qualifier: q}
	}
}

// qualifier parses a qualifier if one starts here.
func (p *parser) qualifier() (Qualifier, bool, error) {
	if p.tok.kind != tokKeyword {
		return Qualifier{}, false, nil
	}
	switch p.tok.text {
	case "WITHIN":
		if err := p.advance(); err != nil {
			return Qualifier{}, false, err
		}
		if p.tok.kind != tokInt && p.tok.kind != tokFloat {
			return Qualifier{}, false, p.unexpected("a number of seconds after WITHIN")
		}
		lit, err := p.literal()
		if err != nil {
			return Qualifier{}, false, err
		}
		if lit.Kind == KindInt && lit.Int <= 0 || lit.Kind == KindFloat && !(lit.Float > 0) {
			return Qualifier{}, false, &SyntaxError{Offset: lit.Pos, Found: lit.String(), Expected: "a positive number of seconds after WITHIN"}
		}
		if !p.isKeyword("SECONDS") {
			return Qualifier{}, false, p.unexpected("SECONDS")
		}
		return Qualifier{Kind: Within, Seconds: lit}, true, p.advance()
	case "REPEATS":
		if err := p.advance(); err != nil {
			return Qualifier{}, false, err
		}
		if p.tok.kind != tokInt {
			return Qualifier{}, false, p.unexpected("an integer after REPEATS")
		}
		lit, err := p.literal()
		if err != nil {
			return Qualifier{}, false, err
		}
		if lit.Int <= 0 {
			return Qualifier{}, false, &SyntaxError{Offset: lit.Pos, Found: lit.String(), Expected: "a positive integer after REPEATS"}
		}
		if !p.isKeyword("TIMES") {
			return Qualifier{}, false, p.unexpected("TIMES")
		}
		return Qualifier{Kind: Repeats, Times: lit.Int}, true, p.advance()
	case "START":
		if err := p.advance(); err != nil {
			return Qualifier{}, false, err
		}
		if p.tok.kind != tokTimestamp {
			return Qualifier{}, false, p.unexpected("a timestamp t'…' after START")
		}
		start, err := p.literal()
		if err != nil {
			return Qualifier{}, false, err
		}
		if !p.isKeyword("STOP") {
			return Qualifier{}, false, p.unexpected("STOP")
		}
		if err := p.advance(); err != nil {
			return Qualifier{}, false, err
		}
		if p.tok.kind != tokTimestamp {
			return Qualifier{}, false, p.unexpected("a timestamp t'…' after STOP")
		}
		stop, err := p.literal()
		if err != nil {
			return Qualifier{}, false, err
		}
		if t0, t1, ok := bothTimes(start.Str, stop.Str); ok && !t1.After(t0) {
			return Qualifier{}, false, &SyntaxError{Offset: stop.Pos, Found: stop.String(), Expected: "a STOP time later than START " + start.String()}
		}
		return Qualifier{Kind: StartStop, Start: start, Stop: stop}, true, nil
	}
	return Qualifier{}, false, nil
}

// bothTimes parses two timestamps; ok is false when either cannot be compared
// (a leap second, or a date such as February 30).
func bothTimes(a, b string) (time.Time, time.Time, bool) {
	t0, err0 := time.Parse(time.RFC3339Nano, a)
	t1, err1 := time.Parse(time.RFC3339Nano, b)
	return t0, t1, err0 == nil && err1 == nil
}

// comparisonExpr parses comparisons joined by OR (looser) and AND.
func (p *parser) comparisonExpr(prec int) (ComparisonExpr, error) {
	if prec == precCmpPrimary {
		return p.propTest()
	}
	op := Or
	if prec == precCmpAnd {
		op = And
	}
	left, err := p.comparisonExpr(prec + 1)
	if err != nil {
		return nil, err
	}
	for p.isKeyword(string(op)) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.comparisonExpr(prec + 1)
		if err != nil {
			return nil, err
		}
		left = &ComparisonBinary{Pos: left.Offset(), Op: op, Left: left, Right: right}
	}
	return left, nil
}

// propTest parses one comparison, "EXISTS path" or a parenthesized
// comparison expression.
func (p *parser) propTest() (ComparisonExpr, error) {
	start := p.tok.pos
	switch {
	case p.tok.kind == tokLParen:
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.comparisonExpr(precCmpOr)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, p.unexpected("AND, OR or ')'")
		}
		return e, p.advance()
	case p.isKeyword("EXISTS"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return &Exists{Pos: start, Path: path}, nil
	}
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Pos: start, Path: path}
	if p.isKeyword("NOT") {
		c.Not = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	opTok := p.tok
	switch p.tok.kind {
	case tokEQ:
		c.Op = OpEQ
	case tokNEQ:
		c.Op = OpNEQ
	case tokLT:
		c.Op = OpLT
	case tokLE:
		c.Op = OpLE
	case tokGT:
		c.Op = OpGT
	case tokGE:
		c.Op = OpGE
	case tokKeyword:
		switch p.tok.text {
		case "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET":
			c.Op = CompOp(p.tok.text)
		}
	}
	if c.Op == "" {
		return nil, p.unexpected("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch c.Op {
	case OpIn:
		set, err := p.setLiteral()
		if err != nil {
			return nil, err
		}
		c.Set = set
		return c, nil
	case OpEQ, OpNEQ:
		if !isPrimitive(p.tok.kind) {
			return nil, p.unexpected("a literal after " + opTok.text)
		}
	case OpLT, OpLE, OpGT, OpGE:
		if !isPrimitive(p.tok.kind) || p.tok.kind == tokKeyword {
			return nil, p.unexpected("a string, number, binary, hex or timestamp literal after " + opTok.text)
		}
	default:
		if p.tok.kind != tokString {
			return nil, p.unexpected("a string after " + opTok.text)
		}
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	c.Value = v
	return c, nil
}

// isPrimitive reports whether a token of kind k can start a primitive
// literal; a keyword token is true or false (checked by literal).
func isPrimitive(k tokenKind) bool {
	switch k {
	case tokString, tokInt, tokFloat, tokBinary, tokHex, tokTimestamp, tokKeyword:
		return true
	}
	return false
}

// setLiteral parses "( literal, … )" or "()".
func (p *parser) setLiteral() ([]Literal, error) {
	if p.tok.kind != tokLParen {
		return nil, p.unexpected("'(' starting the set after IN")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	set := []Literal{}
	if p.tok.kind == tokRParen {
		return set, p.advance()
	}
	for {
		if !isPrimitive(p.tok.kind) {
			return nil, p.unexpected("a literal in the set")
		}
		l, err := p.literal()
		if err != nil {
			return nil, err
		}
		set = append(set, l)
		switch p.tok.kind {
		case tokComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
		case tokRParen:
			return set, p.advance()
		default:
			return nil, p.unexpected("',' or ')' in the set")
		}
	}
}

// literal converts the current token to a Literal and advances.
func (p *parser) literal() (Literal, error) {
	t := p.tok
	l := Literal{Pos: t.pos}
	switch t.kind {
	case tokString:
		l.Kind, l.Str = KindString, t.text
	case tokBinary:
		l.Kind, l.Str = KindBinary, t.text
	case tokHex:
		l.Kind, l.Str = KindHex, t.text
	case tokTimestamp:
		l.Kind, l.Str = KindTimestamp, t.text
	case tokInt:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return Literal{}, &SyntaxError{Offset: t.pos, Found: "integer " + t.text, Expected: "an integer from -2^63 to 2^63-1"}
		}
		l.Kind, l.Int = KindInt, n
	case tokFloat:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) {
			return Literal{}, &SyntaxError{Offset: t.pos, Found: "float " + t.text, Expected: "a float within the range of a 64-bit float"}
		}
		l.Kind, l.Float = KindFloat, f
	case tokKeyword:
		switch t.text {
		case "true":
			l.Kind, l.Bool = KindBool, true
		case "false":
			l.Kind = KindBool
		default:
			return Literal{}, p.unexpected("a literal")
		}
	default:
		return Literal{}, p.unexpected("a literal")
	}
	return l, p.advance()
}

// objectPath parses "object-type:property" and its further steps.
func (p *parser) objectPath() (ObjectPath, error) {
	path := ObjectPath{Pos: p.tok.pos}
	if p.tok.kind != tokIdent {
		return ObjectPath{}, p.unexpected("an object path (object-type:property)")
	}
	path.ObjectType = p.tok.text
	if err := p.advance(); err != nil {
		return ObjectPath{}, err
	}
	if p.tok.kind != tokColon {
		return ObjectPath{}, p.unexpected("':' after the object type " + strconv.Quote(path.ObjectType))
	}
	if err := p.advance(); err != nil {
		return ObjectPath{}, err
	}
	key, err := p.key("a property name after ':'")
	if err != nil {
		return ObjectPath{}, err
	}
	path.Steps = append(path.Steps, PathStep{Key: key})
	for {
		switch p.tok.kind {
		case tokDot:
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			key, err := p.key("a property name after '.'")
			if err != nil {
				return ObjectPath{}, err
			}
			path.Steps = append(path.Steps, PathStep{Key: key})
		case tokLBrack:
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			var step PathStep
			switch p.tok.kind {
			case tokStar:
				step.AnyIndex = true
			case tokInt:
				n, err := strconv.ParseInt(p.tok.text, 10, 64)
				if err != nil {
					return ObjectPath{}, &SyntaxError{Offset: p.tok.pos, Found: "index " + p.tok.text, Expected: "an index from -2^63 to 2^63-1"}
				}
				step.IsIndex, step.Index = true, n
			default:
				return ObjectPath{}, p.unexpected("an index or '*' after '['")
			}
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			if p.tok.kind != tokRBrack {
				return ObjectPath{}, p.unexpected("']' closing the index")
			}
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			path.Steps = append(path.Steps, step)
		default:
			return path, nil
		}
	}
}

// key parses a property name: an identifier without hyphens or a quoted
// string.
func (p *parser) key(expected string) (string, error) {
	switch p.tok.kind {
	case tokString:
		k := p.tok.text
		return k, p.advance()
	case tokIdent:
		for i := 0; i < len(p.tok.text); i++ {
			if p.tok.text[i] == '-' {
				return "", &SyntaxError{Offset: p.tok.pos, Found: p.tok.describe() + " (a name with '-')", Expected: "the name in quotes, " + quoteString(p.tok.text)}
			}
		}
		k := p.tok.text
		return k, p.advance()
	}
	return "", p.unexpected(expected)
}
