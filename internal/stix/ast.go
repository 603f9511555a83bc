package stix

import (
	"fmt"
	"strconv"
	"strings"
)

// Pattern is a parsed STIX 2.1 pattern (section 9): one observation
// expression.
type Pattern struct {
	Expr ObservationExpr
}

// String renders the pattern in the patterning language. Parsing the result
// gives the same pattern; parentheses appear only where precedence needs them.
func (p *Pattern) String() string {
	var b strings.Builder
	writeObs(&b, p.Expr, precFollowedBy)
	return b.String()
}

// ObservationExpr is an observation expression: an *Observation, an
// *ObservationBinary or a *Qualified.
type ObservationExpr interface {
	// Offset is the byte offset in the source where the expression starts.
	Offset() int
	obsNode()
}

// Observation is "[ comparison expression ]": a condition on one observed
// object.
type Observation struct {
	Pos  int
	Expr ComparisonExpr
}

// ObservationBinary joins two observation expressions with AND, OR or
// FOLLOWEDBY.
type ObservationBinary struct {
	Pos         int
	Op          ObservationOp
	Left, Right ObservationExpr
}

// Qualified is an observation expression followed by a qualifier.
type Qualified struct {
	Pos       int
	Expr      ObservationExpr
	Qualifier Qualifier
}

func (o *Observation) Offset() int       { return o.Pos }
func (o *ObservationBinary) Offset() int { return o.Pos }
func (o *Qualified) Offset() int         { return o.Pos }
func (*Observation) obsNode()            {}
func (*ObservationBinary) obsNode()      {}
func (*Qualified) obsNode()              {}

// ObservationOp is an operator between observation expressions.
type ObservationOp string

// The observation operators, from the loosest to the tightest binding.
const (
	FollowedBy ObservationOp = "FOLLOWEDBY"
	ObsOr      ObservationOp = "OR"
	ObsAnd     ObservationOp = "AND"
)

// QualifierKind names a qualifier.
type QualifierKind string

// The qualifiers of section 9.6.
const (
	Within    QualifierKind = "WITHIN"
	Repeats   QualifierKind = "REPEATS"
	StartStop QualifierKind = "START"
)

// Qualifier is WITHIN n SECONDS, REPEATS n TIMES or START t'…' STOP t'…'.
type Qualifier struct {
	Kind QualifierKind
	// Seconds is the WITHIN duration, an integer or float literal.
	Seconds Literal
	// Times is the REPEATS count.
	Times int64
	// Start and Stop are the START and STOP timestamps.
	Start, Stop Literal
}

// ComparisonExpr is a comparison expression inside an observation: a
// *Comparison, an *Exists or a *ComparisonBinary.
type ComparisonExpr interface {
	Offset() int
	cmpNode()
}

// ComparisonBinary joins two comparison expressions with AND or OR.
type ComparisonBinary struct {
	Pos         int
	Op          BoolOp
	Left, Right ComparisonExpr
}

// Comparison compares an object path with a literal ("path op value") or, for
// IN, with a set of literals.
type Comparison struct {
	Pos  int
	Path ObjectPath
	// Not is true when the operator is preceded by NOT.
	Not   bool
	Op    CompOp
	Value Literal   // every operator but IN
	Set   []Literal // IN
}

// Exists is "EXISTS path".
type Exists struct {
	Pos  int
	Path ObjectPath
}

func (c *ComparisonBinary) Offset() int { return c.Pos }
func (c *Comparison) Offset() int       { return c.Pos }
func (c *Exists) Offset() int           { return c.Pos }
func (*ComparisonBinary) cmpNode()      {}
func (*Comparison) cmpNode()            {}
func (*Exists) cmpNode()                {}

// BoolOp is AND or OR between comparisons.
type BoolOp string

// The operators between comparisons; AND binds tighter than OR.
const (
	And BoolOp = "AND"
	Or  BoolOp = "OR"
)

// CompOp is a comparison operator (section 9.5).
type CompOp string

// The comparison operators.
const (
	OpEQ         CompOp = "="
	OpNEQ        CompOp = "!="
	OpLT         CompOp = "<"
	OpLE         CompOp = "<="
	OpGT         CompOp = ">"
	OpGE         CompOp = ">="
	OpIn         CompOp = "IN"
	OpLike       CompOp = "LIKE"
	OpMatches    CompOp = "MATCHES"
	OpIsSubset   CompOp = "ISSUBSET"
	OpIsSuperset CompOp = "ISSUPERSET"
)

// ObjectPath is "object-type:property" followed by key and index steps.
type ObjectPath struct {
	Pos        int
	ObjectType string
	// Steps holds the first property as a key step, then the others.
	Steps []PathStep
}

// PathStep is one step of an object path: a key (".name" or ".'name'"), an
// index ("[0]") or any index ("[*]").
type PathStep struct {
	Key      string
	Index    int64
	IsIndex  bool
	AnyIndex bool
}

// String renders the path, quoting keys that are not plain identifiers.
func (p ObjectPath) String() string {
	var b strings.Builder
	b.WriteString(p.ObjectType)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch {
		case s.AnyIndex:
			b.WriteString("[*]")
		case s.IsIndex:
			b.WriteString("[" + strconv.FormatInt(s.Index, 10) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainKey(s.Key) {
				b.WriteString(s.Key)
			} else {
				b.WriteString(quoteString(s.Key))
			}
		}
	}
	return b.String()
}

// isPlainKey reports whether a key can be written unquoted: an identifier
// without hyphens that is not a keyword.
func isPlainKey(k string) bool {
	if k == "" || !isIdentStart(k[0]) || keywords[k] {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isIdentChar(k[i]) || k[i] == '-' {
			return false
		}
	}
	return true
}

// LiteralKind names the kind of a literal.
type LiteralKind string

// The literal kinds of section 9.4.
const (
	KindString    LiteralKind = "string"
	KindInt       LiteralKind = "integer"
	KindFloat     LiteralKind = "float"
	KindBool      LiteralKind = "boolean"
	KindBinary    LiteralKind = "binary"
	KindHex       LiteralKind = "hex"
	KindTimestamp LiteralKind = "timestamp"
)

// Literal is a constant in a pattern.
type Literal struct {
	Pos  int
	Kind LiteralKind
	// Str is the decoded string, the base64 text of a binary literal, the hex
	// digits of a hex literal or the text of a timestamp.
	Str   string
	Int   int64
	Float float64
	Bool  bool
}

// String renders the literal in the patterning language.
func (l Literal) String() string {
	switch l.Kind {
	case KindString:
		return quoteString(l.Str)
	case KindInt:
		return strconv.FormatInt(l.Int, 10)
	case KindFloat:
		s := strconv.FormatFloat(l.Float, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case KindBool:
		return strconv.FormatBool(l.Bool)
	case KindBinary:
		return "b'" + l.Str + "'"
	case KindHex:
		return "h'" + l.Str + "'"
	case KindTimestamp:
		return "t'" + l.Str + "'"
	}
	return fmt.Sprintf("<literal kind %q>", l.Kind)
}

// quoteString writes s as a STIX string literal: in single quotes, with ' and
// \ escaped by a backslash (the only two escapes of the grammar).
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// Precedences of observation operators: a larger number binds tighter.
const (
	precFollowedBy = iota
	precObsOr
	precObsAnd
	precObsPrimary
)

func obsPrec(op ObservationOp) int {
	switch op {
	case FollowedBy:
		return precFollowedBy
	case ObsOr:
		return precObsOr
	}
	return precObsAnd
}

// writeObs writes e in a context that needs precedence at least min.
// Operators are left-associative, so a right operand of the same operator
// is parenthesized.
func writeObs(b *strings.Builder, e ObservationExpr, min int) {
	switch e := e.(type) {
	case *Observation:
		b.WriteByte('[')
		writeCmp(b, e.Expr, precCmpOr)
		b.WriteByte(']')
	case *ObservationBinary:
		p := obsPrec(e.Op)
		paren := p < min
		if paren {
			b.WriteByte('(')
		}
		writeObs(b, e.Left, p)
		b.WriteString(" " + string(e.Op) + " ")
		writeObs(b, e.Right, p+1)
		if paren {
			b.WriteByte(')')
		}
	case *Qualified:
		writeObs(b, e.Expr, precObsPrimary)
		b.WriteByte(' ')
		b.WriteString(e.Qualifier.String())
	}
}

// String renders the qualifier.
func (q Qualifier) String() string {
	switch q.Kind {
	case Within:
		return "WITHIN " + q.Seconds.String() + " SECONDS"
	case Repeats:
		return "REPEATS " + strconv.FormatInt(q.Times, 10) + " TIMES"
	}
	return "START " + q.Start.String() + " STOP " + q.Stop.String()
}

const (
	precCmpOr = iota
	precCmpAnd
	precCmpPrimary
)

func writeCmp(b *strings.Builder, e ComparisonExpr, min int) {
	switch e := e.(type) {
	case *ComparisonBinary:
		p := precCmpOr
		if e.Op == And {
			p = precCmpAnd
		}
		paren := p < min
		if paren {
			b.WriteByte('(')
		}
		writeCmp(b, e.Left, p)
		b.WriteString(" " + string(e.Op) + " ")
		writeCmp(b, e.Right, p+1)
		if paren {
			b.WriteByte(')')
		}
	case *Exists:
		b.WriteString("EXISTS " + e.Path.String())
	case *Comparison:
		b.WriteString(e.Path.String())
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" " + string(e.Op) + " ")
		if e.Op == OpIn {
			b.WriteByte('(')
			for i, l := range e.Set {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(l.String())
			}
			b.WriteByte(')')
			return
		}
		b.WriteString(e.Value.String())
	}
}
