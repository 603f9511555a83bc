package tor

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// walked is what one Walk call handed to its callback.
type walked struct {
	names []string
	docs  []Document
}

func walkAll(t *testing.T, path string) (walked, error) {
	t.Helper()
	var w walked
	err := Walk(path, func(name string, doc Document) error {
		if (doc.Consensus == nil) == (doc.ExitList == nil) {
			t.Errorf("%s: document has both or neither of Consensus and ExitList", name)
		}
		w.names = append(w.names, name)
		w.docs = append(w.docs, doc)
		return nil
	})
	return w, err
}

// directDocs parses the three fixtures directly, in lexical order of their
// names, as the reference Walk is checked against.
func directDocs(t *testing.T) []Document {
	t.Helper()
	full, err := ParseConsensus(bytes.NewReader(readFixture(t, fullConsensus)))
	if err != nil {
		t.Fatal(err)
	}
	cropped, err := ParseConsensus(bytes.NewReader(readFixture(t, croppedConsensus)))
	if err != nil {
		t.Fatal(err)
	}
	exits, err := ParseExitList(bytes.NewReader(readFixture(t, exitListFixture)))
	if err != nil {
		t.Fatal(err)
	}
	return []Document{{Consensus: full}, {Consensus: cropped}, {ExitList: exits}}
}

// tarFile is one member of a test archive.
type tarFile struct {
	name string
	body []byte
	dir  bool
}

func writeTar(t *testing.T, files []tarFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if f.dir {
			h = &tar.Header{Name: f.name, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0)}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xzCompress(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureTar is a CollecTor-like archive of the three fixtures, with a
// directory entry and a file that is not a Tor document.
func fixtureTar(t *testing.T) []byte {
	return writeTar(t, []tarFile{
		{name: "recent/", dir: true},
		{name: "recent/" + fullConsensus, body: readFixture(t, fullConsensus)},
		{name: "recent/" + croppedConsensus, body: readFixture(t, croppedConsensus)},
		{name: "recent/README", body: []byte("CollecTor archive\n")},
		{name: "recent/" + exitListFixture, body: readFixture(t, exitListFixture)},
	})
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// skippedOnly returns the errors of a completed walk's *SkipError, failing
// the test for any other error.
func skippedOnly(t *testing.T, err error) []error {
	t.Helper()
	if err == nil {
		return nil
	}
	var se *SkipError
	if !errors.As(err, &se) || error(se) != err {
		t.Fatalf("walk error %v, want nil or a *SkipError", err)
	}
	return se.Skipped
}

func TestWalk(t *testing.T) {
	want := directDocs(t)
	tmp := t.TempDir()
	tarBytes := fixtureTar(t)
	tarPath := filepath.Join(tmp, "consensuses-2017.tar")
	writeFile(t, tarPath, tarBytes)
	txzPath := filepath.Join(tmp, "consensuses-2017.TAR.XZ")
	writeFile(t, txzPath, xzCompress(t, tarBytes))

	// A directory tree: fixtures in nested directories, in an order that
	// lexical sorting must restore, plus an unrelated file.
	tree := filepath.Join(tmp, "tree")
	writeFile(t, filepath.Join(tree, "a", fullConsensus), readFixture(t, fullConsensus))
	writeFile(t, filepath.Join(tree, "b", "c", croppedConsensus), readFixture(t, croppedConsensus))
	writeFile(t, filepath.Join(tree, "b", "d", exitListFixture), readFixture(t, exitListFixture))
	writeFile(t, filepath.Join(tree, "b", "notes.txt"), []byte("hello\n"))

	tests := []struct {
		name        string
		path        string
		wantNames   []string
		wantSkipped []string // names of skipped files, with what their errors wrap
		wantDocs    []Document
	}{
		{
			name: "tar",
			path: tarPath,
			wantNames: []string{
				tarPath + "/recent/" + fullConsensus,
				tarPath + "/recent/" + croppedConsensus,
				tarPath + "/recent/" + exitListFixture,
			},
			wantSkipped: []string{tarPath + "/recent/README"},
			wantDocs:    want,
		},
		{
			name: "tar.xz",
			path: txzPath,
			wantNames: []string{
				txzPath + "/recent/" + fullConsensus,
				txzPath + "/recent/" + croppedConsensus,
				txzPath + "/recent/" + exitListFixture,
			},
			wantSkipped: []string{txzPath + "/recent/README"},
			wantDocs:    want,
		},
		{
			name: "directory tree",
			path: tree,
			wantNames: []string{
				filepath.Join(tree, "a", fullConsensus),
				filepath.Join(tree, "b", "c", croppedConsensus),
				filepath.Join(tree, "b", "d", exitListFixture),
			},
			wantSkipped: []string{filepath.Join(tree, "b", "notes.txt")},
			wantDocs:    want,
		},
		{
			name:      "single file",
			path:      fixturePath(t, exitListFixture),
			wantNames: []string{fixturePath(t, exitListFixture)},
			wantDocs:  want[2:],
		},
		{
			name: "fixture directory",
			path: fixtureDir,
			wantNames: []string{
				filepath.Join(fixtureDir, fullConsensus),
				filepath.Join(fixtureDir, croppedConsensus),
				filepath.Join(fixtureDir, exitListFixture),
			},
			wantSkipped: []string{
				filepath.Join(fixtureDir, "LICENSE.metrics-lib"),
				filepath.Join(fixtureDir, "LICENSE.zoossh"),
			},
			wantDocs: want,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walkAll(t, tt.path)
			skipped := skippedOnly(t, err)
			if !slices.Equal(got.names, tt.wantNames) {
				t.Errorf("names %q, want %q", got.names, tt.wantNames)
			}
			if len(got.docs) != len(tt.wantDocs) {
				t.Fatalf("%d documents, want %d", len(got.docs), len(tt.wantDocs))
			}
			for i := range got.docs {
				if !reflect.DeepEqual(got.docs[i], tt.wantDocs[i]) {
					t.Errorf("document %d (%s) differs from parsing the file directly", i, got.names[i])
				}
			}
			if len(skipped) != len(tt.wantSkipped) {
				t.Fatalf("skipped %v, want %q", skipped, tt.wantSkipped)
			}
			for i, e := range skipped {
				if !errors.Is(e, ErrUnrecognized) || !strings.Contains(e.Error(), tt.wantSkipped[i]+": ") {
					t.Errorf("skipped[%d] = %v, want an ErrUnrecognized naming %s", i, e, tt.wantSkipped[i])
				}
			}
		})
	}
}

func TestWalkMalformedDocuments(t *testing.T) {
	tmp := t.TempDir()
	cropped := readFixture(t, croppedConsensus)
	// Cut the consensus in the middle of its router entries, as a failed
	// download would; and break one line of an exit list.
	truncated := cropped[:bytes.Index(cropped, []byte("r weiner"))]
	badExits := bytes.Replace(readFixture(t, exitListFixture), []byte("ExitAddress 162.247.72.201"), []byte("ExitAddress 162.247.72.2011"), 1)
	writeFile(t, filepath.Join(tmp, "1-consensus"), truncated)
	writeFile(t, filepath.Join(tmp, "2-consensus"), cropped)
	writeFile(t, filepath.Join(tmp, "3-exit-list"), badExits)
	writeFile(t, filepath.Join(tmp, "4-empty"), nil)

	got, err := walkAll(t, tmp)
	if want := []string{filepath.Join(tmp, "2-consensus")}; !slices.Equal(got.names, want) {
		t.Errorf("names %q, want %q", got.names, want)
	}
	skipped := skippedOnly(t, err)
	if len(skipped) != 3 {
		t.Fatalf("skipped %v, want 3 errors", skipped)
	}
	wants := []struct {
		is   error
		text string
	}{
		{ErrSyntax, "tor: " + filepath.Join(tmp, "1-consensus") + ": consensus line 54: no directory-signature"},
		{ErrSyntax, "tor: " + filepath.Join(tmp, "3-exit-list") + ": exit list line 6: ExitAddress \"162.247.72.2011\""},
		{ErrUnrecognized, "tor: " + filepath.Join(tmp, "4-empty") + ": not a consensus or exit list: empty file"},
	}
	for i, w := range wants {
		if !errors.Is(skipped[i], w.is) || !strings.HasPrefix(skipped[i].Error(), w.text) {
			t.Errorf("skipped[%d] = %q, want it to wrap %v and start with %q", i, skipped[i], w.is, w.text)
		}
	}
	if !errors.Is(err, ErrSyntax) || !errors.Is(err, ErrUnrecognized) {
		t.Errorf("errors.Is does not see through the *SkipError %v", err)
	}
}

func TestWalkCallbackError(t *testing.T) {
	// Even fs.SkipDir from the callback stops the walk and comes back
	// unchanged: the callback's errors have no special meanings.
	dir := filepath.Dir(fixturePath(t, fullConsensus))
	for _, stop := range []error{errors.New("stop"), fs.SkipDir, fs.SkipAll} {
		t.Run(stop.Error(), func(t *testing.T) {
			calls := 0
			err := Walk(dir, func(name string, doc Document) error {
				calls++
				return stop
			})
			if err != stop || calls != 1 {
				t.Errorf("Walk returned %v after %d calls, want %v after 1", err, calls, stop)
			}
		})
	}
}

func TestWalkReadErrors(t *testing.T) {
	tmp := t.TempDir()
	txz := xzCompress(t, fixtureTar(t))
	tests := []struct {
		name string
		file string
		body []byte
	}{
		{"truncated tar.xz", "a.tar.xz", txz[:len(txz)/2]},
		{"not xz", "b.tar.xz", []byte("plain text, not xz\n")},
		{"truncated tar", "c.tar", fixtureTar(t)[:5000]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(tmp, tt.file)
			writeFile(t, path, tt.body)
			_, err := walkAll(t, path)
			var se *SkipError
			if err == nil || errors.As(err, &se) || errors.Is(err, ErrSyntax) {
				t.Errorf("Walk error %v, want a read error that stops the walk", err)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
		})
	}
	if _, err := walkAll(t, filepath.Join(tmp, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Walk of a missing path: %v, want fs.ErrNotExist", err)
	}
}
