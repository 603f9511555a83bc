package tor

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"
)

// Document is one recognised, parsed file handed to [Walk]'s callback.
// Exactly one of Consensus and ExitList is non-nil.
type Document struct {
	Consensus *Consensus
	ExitList  *ExitList
}

// Walk reads every consensus and exit list under path and calls fn for
// each, one at a time, with the document's name and its parsed content.
// Walk keeps no reference to a document after fn returns, so memory does
// not grow with the number of documents; fn may keep what it needs.
//
// path may be:
//   - a directory, walked recursively in lexical order (symbolic links to
//     directories below path are not followed);
//   - a file whose name ends in ".tar" or ".tar.xz" (any case): a CollecTor
//     archive, whose regular files are read in archive order and named
//     "path/member";
//   - any other file, read as one document.
//
// Archives found in a directory are read as archives; archives inside
// archives are not. Files that are not regular (devices, pipes) are passed
// over. A file is a consensus when its first line is "@type
// network-status-consensus-3" (or the microdesc consensus type), or, without
// "@type", when its first line is "network-status-version"; it is an exit
// list when its first line is "@type tordnsel", or, without "@type", when
// its first line is "Downloaded" or "ExitNode".
//
// Walk returns:
//   - nil when every file was a well-formed document handed to fn;
//   - a *SkipError when the walk went through everything but passed over
//     files that are not consensuses or exit lists, or are malformed ones;
//   - fn's error, unchanged, as soon as fn returns one;
//   - any other error when path or an archive could not be read; the walk
//     stops there, so the documents seen are incomplete.
//
// Check for the walk having finished with errors.As(err, new(*SkipError)).
func Walk(path string, fn func(name string, doc Document) error) error {
	return WalkFiles(path, fn, nil)
}

// WalkFiles is Walk that also reports, for every regular file it opened
// (archives as a whole), its name, the SHA-256 of its bytes and its size,
// after the file was read to its end. onFile may be nil.
func WalkFiles(path string, fn func(name string, doc Document) error, onFile func(name, sha256 string, size int64)) error {
	w := walker{fn: fn, onFile: onFile}
	err := w.walk(path)
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	if err != nil {
		return err
	}
	if len(w.skipped) > 0 {
		return &SkipError{Skipped: w.skipped}
	}
	return nil
}

// fnError carries the callback's error up through filepath.WalkDir, which
// would otherwise give fs.SkipDir and fs.SkipAll a meaning of its own.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// walker holds the state of one Walk call.
type walker struct {
	fn      func(string, Document) error
	onFile  func(name, sha256 string, size int64)
	skipped []error
}

// hashing counts and hashes what is read through it.
type hashing struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashing) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (w *walker) walk(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("tor: walk: %w", err)
	}
	if !info.IsDir() {
		return w.file(path, info)
	}
	root := path
	if l, err := os.Lstat(path); err == nil && l.Mode()&fs.ModeSymlink != 0 {
		root += string(filepath.Separator) // make WalkDir follow the link
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("tor: walk: %w", err)
		}
		if d.IsDir() {
			return nil
		}
		info, err := os.Stat(p) // follows a link to a file
		if err != nil {
			return fmt.Errorf("tor: walk: %w", err)
		}
		if info.IsDir() {
			return nil // a link to a directory
		}
		return w.file(p, info)
	})
}

// file reads one file named name: an archive or a single document.
func (w *walker) file(name string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("tor: walk: %w", err)
	}
	defer f.Close()
	hr := &hashing{r: f, h: sha256.New()}
	if err := w.read(name, hr); err != nil {
		return err
	}
	if w.onFile != nil {
		if _, err := io.Copy(io.Discard, hr); err != nil { // hash what the parsers left unread
			return fmt.Errorf("tor: walk: %w", err)
		}
		w.onFile(name, hex.EncodeToString(hr.h.Sum(nil)), hr.n)
	}
	return nil
}

// read reads the open file r named name: an archive or a single document.
func (w *walker) read(name string, r io.Reader) error {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".tar.xz"):
		xr, err := xz.NewReader(bufio.NewReaderSize(r, 64<<10))
		if err != nil {
			return fmt.Errorf("tor: %s: reading xz: %w", name, err)
		}
		return w.tar(name, xr)
	case strings.HasSuffix(lower, ".tar"):
		return w.tar(name, bufio.NewReaderSize(r, 64<<10))
	}
	return w.doc(name, r)
}

// tar reads the documents in a tar stream.
func (w *walker) tar(name string, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tor: %s: reading tar: %w", name, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := w.doc(name+"/"+h.Name, tr); err != nil {
			return err
		}
	}
}

// docKind is what detect found a file to be.
type docKind int

const (
	unknownDoc docKind = iota
	consensusDoc
	exitListDoc
)

// doc detects, parses and hands over the document in r.
func (w *walker) doc(name string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return fmt.Errorf("tor: %s: %w", name, err)
	}
	var d Document
	switch kind, why := detect(head); kind {
	case consensusDoc:
		d.Consensus, err = parseConsensus(br, name)
	case exitListDoc:
		d.ExitList, err = parseExitList(br, name)
	default:
		w.skipped = append(w.skipped, fmt.Errorf("tor: %s: %w: %s", name, ErrUnrecognized, why))
		return nil
	}
	if err != nil {
		if errors.Is(err, ErrSyntax) {
			w.skipped = append(w.skipped, err)
			return nil
		}
		return err
	}
	if err := w.fn(name, d); err != nil {
		return fnError{err}
	}
	return nil
}

// detect tells from the start of a file what document it holds. For an
// unknown file it says why.
func detect(head []byte) (docKind, string) {
	if len(head) == 0 {
		return unknownDoc, "empty file"
	}
	first := head
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	f := splitFields(nil, first)
	if len(f) >= 2 && string(f[0]) == "@type" {
		switch {
		case consensusTypes[string(f[1])]:
			return consensusDoc, ""
		case string(f[1]) == "tordnsel":
			return exitListDoc, ""
		}
		return unknownDoc, "@type " + quote(f[1])
	}
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		kw := firstField(line)
		if len(bytes.TrimRight(kw, "\r")) == 0 {
			continue // blank line
		}
		switch string(bytes.TrimRight(kw, "\r")) {
		case "network-status-version":
			return consensusDoc, ""
		case "Downloaded", "ExitNode":
			return exitListDoc, ""
		}
		return unknownDoc, "first line starts with " + quote(kw)
	}
	return unknownDoc, "no content"
}
