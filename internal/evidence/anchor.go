package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// An Anchor is the file outside the database that every signed checkpoint
// is also appended to (DATA/evidence/checkpoints): append-only, each append
// fsynced before the checkpoint is served. A database-level attacker who
// rolls the log back, or rewrites it and recomputes every stored hash,
// leaves the database disagreeing with the newest checkpoint in this file;
// the hub refuses to start on such a database and verify names the
// disagreement.
//
// The file is a sequence of signed notes (C2SP tlog-checkpoint), each
// followed by one blank line: readable with cat, and each entry usable as
// `fusion evidence verify --trusted`. A checkpoint co-signed by witnesses is
// appended again with their signature lines.
type Anchor struct {
	path   string
	mu     sync.Mutex
	newest *Checkpoint // the newest entry, once read or appended
}

// NewAnchor returns the anchor file at path (created on the first append).
func NewAnchor(path string) *Anchor { return &Anchor{path: path} }

// Path is the file's path.
func (a *Anchor) Path() string { return a.path }

// Append adds a signed checkpoint to the file and syncs it to disk.
func (a *Anchor) Append(signed string) error {
	if !strings.HasSuffix(signed, "\n") || !strings.Contains(signed, "\n\n") {
		return fmt.Errorf("evidence: anchor: not a signed note")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	dir := filepath.Dir(a.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("evidence: anchor: %w", err)
	}
	info, statErr := os.Stat(a.path)
	if statErr == nil && info.Size() > 0 {
		if err := a.dropTornTail(info.Size()); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("evidence: anchor: %w", err)
	}
	_, err = f.WriteString(signed + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("evidence: anchor %s: %w", a.path, err)
	}
	text, _, _ := strings.Cut(signed, "\n\n")
	if cp, err := ParseCheckpointText(text + "\n"); err == nil && (a.newest == nil || cp.Size >= a.newest.Size) {
		cp.Note = signed
		a.newest = &cp
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if d, err := os.Open(dir); err == nil { // make the new file's name durable too
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// dropTornTail cuts off an entry a crash left half written at the end of
// the file (of size bytes), so that the next entry does not merge with it.
// A complete file ends with a blank line.
func (a *Anchor) dropTornTail(size int64) error {
	f, err := os.OpenFile(a.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("evidence: anchor: %w", err)
	}
	defer f.Close()
	end := make([]byte, min(size, 2))
	if _, err := f.ReadAt(end, size-int64(len(end))); err != nil {
		return fmt.Errorf("evidence: anchor: %w", err)
	}
	if string(end) == "\n\n" {
		return nil
	}
	data, err := os.ReadFile(a.path)
	if err != nil {
		return fmt.Errorf("evidence: anchor: %w", err)
	}
	keep := completeLen(data)
	if err := f.Truncate(int64(keep)); err != nil {
		return fmt.Errorf("evidence: anchor: cutting off a torn last entry: %w", err)
	}
	return f.Sync()
}

// completeLen returns the length of the longest prefix of data made of
// whole entries: each a note body, a blank line, signature lines (each
// starting "— "), and a blank line.
func completeLen(data []byte) int {
	end, pos := 0, 0
	inSigs, sawSig := false, false
	for pos < len(data) {
		nl := strings.IndexByte(string(data[pos:]), '\n')
		if nl < 0 {
			break // a last line without its newline
		}
		line := strings.TrimSuffix(string(data[pos:pos+nl]), "\r")
		pos += nl + 1
		switch {
		case line == "" && inSigs && sawSig:
			end, inSigs, sawSig = pos, false, false
		case line == "" && !inSigs:
			if pos-nl-1 > end { // a blank line inside a note: its signatures follow
				inSigs = true
			} else {
				end = pos // blank lines between entries
			}
		case inSigs:
			sawSig = sawSig || strings.HasPrefix(line, "— ")
		}
	}
	return end
}

// Newest returns the newest checkpoint in the file, verified with v; false
// if the file holds none. The file is read once; later appends through this
// Anchor keep the answer current.
func (a *Anchor) Newest(v note.Verifier) (Checkpoint, bool, error) {
	a.mu.Lock()
	if a.newest != nil {
		cp := *a.newest
		a.mu.Unlock()
		return cp, true, nil
	}
	a.mu.Unlock()
	cps, _, err := a.Read(v)
	if err != nil || len(cps) == 0 {
		return Checkpoint{}, false, err
	}
	newest := cps[0]
	for _, c := range cps[1:] {
		if c.Size >= newest.Size {
			newest = c
		}
	}
	a.mu.Lock()
	if a.newest == nil || newest.Size > a.newest.Size {
		a.newest = &newest
	}
	cp := *a.newest
	a.mu.Unlock()
	return cp, true, nil
}

// Read returns every checkpoint in the file, oldest first, each verified
// with v. A missing file holds none. An entry cut short at the end (a crash
// during an append) is reported in torn and left out; any other entry that
// does not parse or verify is an error naming it.
func (a *Anchor) Read(v note.Verifier) (cps []Checkpoint, torn string, err error) {
	a.mu.Lock()
	data, err := os.ReadFile(a.path)
	a.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("evidence: anchor: %w", err)
	}
	notes, torn := SplitNotes(data)
	for i, n := range notes {
		cp, err := OpenCheckpoint([]byte(n), v)
		if err != nil {
			return nil, torn, fmt.Errorf("evidence: checkpoint %d in %s: %w", i+1, a.path, err)
		}
		cps = append(cps, cp)
	}
	return cps, torn, nil
}

// SplitNotes splits text holding signed notes one after another (each a
// body, a blank line and signature lines, then a blank line or the end)
// into the notes. A last note without its signature lines, or not ending in
// a newline, is returned as torn. Lines may be of any length; a line ending
// in CR LF counts as ending in LF.
func SplitNotes(data []byte) (notes []string, torn string) {
	text := string(data)
	complete := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var cur strings.Builder
	inSigs := false
	flush := func() {
		if cur.Len() > 0 {
			notes = append(notes, cur.String())
		}
		cur.Reset()
		inSigs = false
	}
	for _, line := range lines {
		line = strings.TrimSuffix(line, "\r") // a file that went through a CRLF system
		switch {
		case line == "" && !inSigs && cur.Len() == 0:
			// blank lines between notes
		case line == "" && !inSigs:
			cur.WriteString("\n")
			inSigs = true
		case line == "" && inSigs:
			flush()
		default:
			cur.WriteString(line + "\n")
		}
	}
	if cur.Len() > 0 {
		if inSigs && complete && !strings.HasSuffix(cur.String(), "\n\n") {
			flush()
		} else {
			torn = cur.String()
		}
	}
	return notes, torn
}
