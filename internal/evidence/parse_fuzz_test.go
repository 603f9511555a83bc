package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/evidence"
	"fusion/internal/store/storetest"
)

// memTree is a Merkle tree of n leaves held in memory, for checkpoints and
// consistency proofs without a store.
type memTree []tlog.Hash

func (m memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("memTree: no hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func newMemTree(tb testing.TB, n int64) memTree {
	tb.Helper()
	var m memTree
	for i := range n {
		hs, err := tlog.StoredHashes(i, fmt.Appendf(nil, "leaf %d", i), m)
		if err != nil {
			tb.Fatal(err)
		}
		m = append(m, hs...)
	}
	return m
}

// signCheckpoint signs the checkpoint of size and root with signers.
func signCheckpoint(tb testing.TB, origin string, size int64, root tlog.Hash, signers ...note.Signer) string {
	tb.Helper()
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
	signed, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		tb.Fatal(err)
	}
	return string(signed)
}

func noteSigner(tb testing.TB, skey string) note.Signer {
	tb.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func FuzzSplitNotes(f *testing.F) {
	skey, _, err := evidence.GenerateKey("fusion.test/f")
	if err != nil {
		f.Fatal(err)
	}
	logSigner := noteSigner(f, skey)
	wskey, _, err := evidence.GenerateWitnessKey("witness.test/w")
	if err != nil {
		f.Fatal(err)
	}
	witnessSigner, err := fnote.NewSignerForCosignatureV1(wskey)
	if err != nil {
		f.Fatal(err)
	}
	root := tlog.Hash(sha256.Sum256([]byte("root")))
	cp5 := signCheckpoint(f, "fusion.test/f", 5, root, logSigner)
	cp6 := signCheckpoint(f, "fusion.test/f", 6, root, logSigner)
	cosigned := signCheckpoint(f, "fusion.test/f", 6, root, logSigner, witnessSigner)
	for _, seed := range []string{
		"",
		"\n",
		"\n\n\n",
		cp5,
		cp5 + "\n",
		cp5 + "\n" + cp6 + "\n" + cosigned + "\n", // an anchor file
		"\n\n" + cp5 + "\n\n\n\n" + cosigned + "\n\n",
		cp5 + "\n" + cp6[:len(cp6)/2],                            // torn tail
		cp5 + "\n" + strings.SplitAfter(cp6, "\n\n")[0],          // a tail without its signatures
		cp5 + "\n" + strings.TrimSuffix(cp6, "\n"),               // a tail without its last newline
		strings.ReplaceAll(cp5+"\n"+cosigned, "\n", "\r\n"),      // CRLF
		"fusion.test/f\n5\n\n\n\n— x y\n\n",                      // blank lines inside
		"body\n\n\n",                                             // a note without signatures
		"a\nb\n\n— s 1\n— t 2\n\nc\n\n— u 3\n\nd\n\n— v 4\r\r\n", // several notes, stray CRs
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		notes, torn := evidence.SplitNotes(data)
		var joined strings.Builder
		for i, n := range notes {
			if !strings.HasSuffix(n, "\n") || !strings.Contains(n, "\n\n") {
				t.Fatalf("SplitNotes(%q): note %d is %q: not a note ending in a newline with a blank line in it", data, i, n)
			}
			joined.WriteString(n + "\n")
		}
		// Nothing is lost: the non-blank lines of the input (each without
		// one trailing CR, as bufio.ScanLines reads them) are those of the
		// notes and the torn tail, in order.
		if in, out := nonBlankLines(string(data), true), nonBlankLines(joined.String()+torn, false); !slices.Equal(in, out) {
			t.Fatalf("SplitNotes(%q) = %q (torn %q): lines lost or changed:\n in %q\nout %q", data, notes, torn, in, out)
		}
		// SplitNotes reads lines with bufio.ScanLines, which drops one
		// trailing CR from each line (so a CRLF file reads as LF), so a
		// note that still holds a CR at the end of a line ("x\r\r\n" in the
		// input) loses it when split again. Such a note never verifies (a
		// note's text holds no control characters but newlines, and a
		// signature line with a CR does not parse), so the round trip is
		// checked only for notes without CRs.
		if slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "\r") }) {
			return
		}
		again, torn2 := evidence.SplitNotes([]byte(joined.String()))
		if !slices.Equal(again, notes) || torn2 != "" {
			t.Fatalf("SplitNotes(%q) = %q (torn %q),\nbut splitting those notes joined, %q, gives %q (torn %q)",
				data, notes, torn, joined.String(), again, torn2)
		}
	})
}

// nonBlankLines returns the lines of s that are not empty, each without one
// trailing CR if dropCR.
func nonBlankLines(s string, dropCR bool) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if dropCR {
			l = strings.TrimSuffix(l, "\r")
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func FuzzWitnessAddCheckpoint(f *testing.F) {
	ctx := context.Background()
	// The log being witnessed.
	const origin = "fusion.test/witnessed"
	logSkey, _, err := evidence.GenerateKey(origin)
	if err != nil {
		f.Fatal(err)
	}
	logNotary, err := evidence.NewNotary(logSkey)
	if err != nil {
		f.Fatal(err)
	}
	logSigner := noteSigner(f, logSkey)
	// The witness, with its own evidence log.
	st := storetest.SQLite(f)
	hubSkey, _, err := evidence.GenerateKey("fusion.test/witness-hub")
	if err != nil {
		f.Fatal(err)
	}
	notary, err := evidence.NewNotary(hubSkey)
	if err != nil {
		f.Fatal(err)
	}
	ev := evidence.New(st, notary, evidence.Config{})
	f.Cleanup(ev.Close)
	witnessSkey, witnessVkey, err := evidence.GenerateWitnessKey("witness.test/w")
	if err != nil {
		f.Fatal(err)
	}
	w, err := evidence.NewWitness(ev, witnessSkey, []string{logNotary.VerifierKey()})
	if err != nil {
		f.Fatal(err)
	}
	witnessV, err := evidence.NewWitnessVerifier(witnessVkey)
	if err != nil {
		f.Fatal(err)
	}
	// Checkpoints of sizes 5 and 8 of one tree, and a consistency proof.
	tree := newMemTree(f, 8)
	root5, err := tlog.TreeHash(5, tree)
	if err != nil {
		f.Fatal(err)
	}
	root8, err := tlog.TreeHash(8, tree)
	if err != nil {
		f.Fatal(err)
	}
	proof, err := tlog.ProveTree(8, 5, tree)
	if err != nil {
		f.Fatal(err)
	}
	var proofText strings.Builder
	for _, h := range proof {
		proofText.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	cp5 := signCheckpoint(f, origin, 5, root5, logSigner)
	cp8 := signCheckpoint(f, origin, 8, root8, logSigner)
	fork8 := signCheckpoint(f, origin, 8, root5, logSigner)
	otherSkey, _, _ := evidence.GenerateKey("fusion.test/other")
	otherLog := signCheckpoint(f, "fusion.test/other", 5, root5, noteSigner(f, otherSkey))
	forgedSkey, _, _ := evidence.GenerateKey(origin) // same name, another key
	forged := signCheckpoint(f, origin, 5, root5, noteSigner(f, forgedSkey))
	for _, seed := range []string{
		// In order: the witness's state carries from one to the next.
		"old 0\n\n" + cp5, // valid: the witness co-signs size 5
		"old 5\n\n" + cp5, // the same checkpoint again
		"old 5\n\n" + cp8, // no proof
		// A wrong proof.
		"old 5\n" + strings.Repeat(base64.StdEncoding.EncodeToString(root5[:])+"\n", len(proof)) + "\n" + cp8,
		"old 5\n" + proofText.String() + "\n" + cp8, // valid: the witness co-signs size 8
		"old 5\n\n" + cp5, // now a conflict
		"old 8\n\n" + fork8,
		"old 0\n" + proofText.String() + "\n" + cp5, // a proof from size 0
		"old 9\n\n" + cp8,
		"old -1\n\n" + cp5,
		"old 05\n\n" + cp5,
		"old 0\n" + cp5, // no blank line
		"old 0\n\n" + otherLog,
		"old 0\n\n" + forged,
		"old 0\n\n" + strings.Replace(cp5, "\n5\n", "\n6\n", 1),
		"old 0\n\n" + strings.Replace(cp5, "\n\n", "\n", 1),
		"old 0\n\n" + origin + "\nfive\nroot\n\n— " + origin + " AAAA\n",
		"old 0\nnot base64\n\n" + cp5,
		"old 5\n" + strings.Repeat("AAAA\n", 64) + "\n" + cp8,
		"\n\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sigs, err := w.AddCheckpoint(ctx, body)
		if err != nil {
			var conflict *evidence.ConflictError
			switch {
			case errors.As(err, &conflict):
				if !errors.Is(err, evidence.ErrWitnessConflict) && !errors.Is(err, evidence.ErrWitnessFork) {
					t.Fatalf("AddCheckpoint(%q): a conflict that is neither ErrWitnessConflict nor ErrWitnessFork: %v", body, err)
				}
			case errors.Is(err, evidence.ErrUnknownLog), errors.Is(err, evidence.ErrWitnessForged),
				errors.Is(err, evidence.ErrWitnessRequest), errors.Is(err, evidence.ErrWitnessProof):
			default:
				t.Fatalf("AddCheckpoint(%q): an error outside the protocol's: %v", body, err)
			}
			return
		}
		// Co-signed: the answer is signature lines that verify with the
		// witness's key over the checkpoint the log signed.
		_, signed, _ := bytes.Cut(body, []byte("\n\n"))
		n, err := note.Open(append(slices.Clone(signed), sigs...), note.VerifierList(logNotary.Verifier(), witnessV))
		if err != nil {
			t.Fatalf("AddCheckpoint(%q) answered %q, which does not verify: %v", body, sigs, err)
		}
		if !slices.ContainsFunc(n.Sigs, func(s note.Signature) bool { return s.Name == witnessV.Name() }) {
			t.Fatalf("AddCheckpoint(%q) answered %q, which holds no cosignature by %s", body, sigs, witnessV.Name())
		}
	})
}
