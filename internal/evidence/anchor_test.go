package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func signedTest(t *testing.T, n *Notary, size int64) string {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: checkpointText(n.Origin(), size, [32]byte{byte(size)})}, n.signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAnchorFile: checkpoints appended are read back in order; a torn last
// entry is reported, not trusted; an entry that does not verify is an
// error naming it; no line length hides later entries.
func TestAnchorFile(t *testing.T) {
	n := testNotary(t)
	path := filepath.Join(t.TempDir(), "evidence", "checkpoints")
	a := NewAnchor(path)
	if cps, torn, err := a.Read(n.Verifier()); err != nil || len(cps) != 0 || torn != "" {
		t.Fatalf("a missing file: %v %v %q", cps, err, torn)
	}
	for _, size := range []int64{3, 7, 7} {
		if err := a.Append(signedTest(t, n, size)); err != nil {
			t.Fatal(err)
		}
	}
	cps, torn, err := NewAnchor(path).Read(n.Verifier())
	if err != nil || torn != "" || len(cps) != 3 || cps[0].Size != 3 || cps[2].Size != 7 {
		t.Fatalf("read back: %+v %q %v", cps, torn, err)
	}
	if cp, ok, err := NewAnchor(path).Newest(n.Verifier()); !ok || err != nil || cp.Size != 7 {
		t.Errorf("newest: %+v %v %v", cp, ok, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode())
	}

	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("fusion.test/log\n9\n") // a crash mid-append
	f.Close()
	if cps, torn, err := NewAnchor(path).Read(n.Verifier()); err != nil || len(cps) != 3 || !strings.HasPrefix(torn, "fusion.test/log\n9\n") {
		t.Errorf("torn tail: %d %q %v", len(cps), torn, err)
	}

	other := testNotary(t) // another key, same origin name
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte(signedTest(t, n, 1)+"\n"+signedTest(t, other, 2)+"\n"), 0o600)
	if _, _, err := NewAnchor(bad).Read(n.Verifier()); err == nil || !strings.Contains(err.Error(), "checkpoint 2 in") {
		t.Errorf("an entry under another key: %v", err)
	}

	long := filepath.Join(t.TempDir(), "long")
	os.WriteFile(long, []byte(signedTest(t, n, 1)+"\n"+strings.Repeat("x", 2<<20)+"\n\n— junk sig\n\n"+signedTest(t, n, 4)+"\n"), 0o600)
	notes, _ := SplitNotes(mustRead(t, long))
	if len(notes) != 3 || !strings.Contains(notes[2], "\n4\n") {
		t.Errorf("a 2 MiB line hid what follows: %d notes", len(notes))
	}

	crlf := strings.ReplaceAll(signedTest(t, n, 5), "\n", "\r\n")
	if notes, torn := SplitNotes([]byte(crlf)); len(notes) != 1 || torn != "" {
		t.Fatalf("CRLF: %q %q", notes, torn)
	} else if _, err := OpenCheckpoint([]byte(notes[0]), n.Verifier()); err != nil {
		t.Errorf("a checkpoint that went through CRLF does not open: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
