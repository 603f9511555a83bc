package tor

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by every error about the content of a document:
// a malformed, missing, repeated or misplaced line. The error is a
// *SyntaxError, which carries the line number.
var ErrSyntax = errors.New("malformed document")

// ErrUnrecognized is wrapped by the error [Walk] records for a file that is
// neither a consensus nor an exit list.
var ErrUnrecognized = errors.New("not a consensus or exit list")

// ErrMicrodesc is wrapped by the error [Import] records for a
// microdescriptor consensus it passed over: such a consensus has no "p"
// lines (dir-spec §3.9.2), so it cannot say whether a relay allowed
// exiting, and the full consensus of the same hour is the one to import.
var ErrMicrodesc = errors.New("microdescriptor consensus passed over (no exit policies; import the full consensus of that hour)")

// SyntaxError reports content that does not follow the document's format.
// It wraps [ErrSyntax].
type SyntaxError struct {
	// Name is the file (or "archive/member") the document came from. The
	// Parse functions leave it empty; [Walk] fills it in.
	Name string
	// Doc is the kind of text being parsed: "consensus", "exit list" or
	// "port policy".
	Doc string
	// Line is the 1-based line number the problem was found on. For a
	// problem with the document as a whole (a missing line) it is the last
	// line read; it is 0 only when the input has no lines at all, and for
	// a port policy parsed on its own.
	Line int
	// Msg says what is wrong, naming the offending value.
	Msg string
}

// Error returns, for example,
// "tor: consensus line 4711: r line has 7 fields, want 9 (8 in a microdesc consensus)".
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("tor: ")
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Doc)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns [ErrSyntax].
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// SkipError is returned by [Walk] when it walked everything but passed
// over some files: files that are not consensuses or exit lists (each
// error wraps [ErrUnrecognized]) and documents that failed to parse (each
// is a *SyntaxError naming the file). The documents it did hand to the
// callback are complete and correct.
type SkipError struct {
	Skipped []error // one per skipped file, in walk order
}

// Error lists the skipped files, one per line.
func (e *SkipError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tor: walk skipped %d file(s)", len(e.Skipped))
	for _, err := range e.Skipped {
		b.WriteString("\n")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the errors for the skipped files, so that errors.Is and
// errors.As look through them.
func (e *SkipError) Unwrap() []error { return e.Skipped }
