package zeek

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrSyntax is wrapped by every error about the content of a log. The error
// is a *SyntaxError, which carries the line number.
var ErrSyntax = errors.New("malformed zeek log")

// SyntaxError reports a line that does not follow the log format, or a
// value that does not parse as its field's type.
type SyntaxError struct {
	Line int    // 1-based line number
	Msg  string // what is wrong, naming the offending value
}

// Error returns, for example,
// "zeek: line 12: 20 fields, #fields declares 21".
func (e *SyntaxError) Error() string {
	return "zeek: line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

func syntaxErr(line int, format string, args ...any) error {
	return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// quote returns b quoted for an error message, cut to a readable length.
func quote(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
