package evidence

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

type vectors struct {
	Leaves []string   `json:"leaves"`
	Roots  []string   `json:"roots"`
	Nodes  [][]string `json:"nodes"`
}

func loadVectors(t *testing.T) vectors {
	b, err := os.ReadFile("testdata/rfc6962.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func hx(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC6962Vectors appends the published leaves one at a time through the
// store and checks every root, and the inclusion proofs that the published
// node hashes determine.
func TestRFC6962Vectors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := loadVectors(t)
		ctx := context.Background()
		l := New(st, testNotary(t), Config{})
		for i, leaf := range v.Leaves {
			err := st.Update(ctx, func(tx *store.Tx) error { return appendData(tx, int64(i), [][]byte{hx(t, leaf)}, nilMACs(1)) })
			if err != nil {
				t.Fatal(err)
			}
			root, err := l.Root(ctx, int64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex.EncodeToString(root[:]), v.Roots[i+1]; got != want {
				t.Errorf("root of %d leaves = %s, want %s", i+1, got, want)
			}
		}
		// The inclusion proof of leaf 0 in the tree of 8 is its sibling at
		// each level: node(0,1), node(1,1), node(2,1).
		proof, err := l.InclusionProof(ctx, 0, 8)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{v.Nodes[0][1], v.Nodes[1][1], v.Nodes[2][1]}
		if len(proof) != len(want) {
			t.Fatalf("proof has %d hashes, want %d", len(proof), len(want))
		}
		for i := range want {
			if hex.EncodeToString(proof[i][:]) != want[i] {
				t.Errorf("proof[%d] = %x, want %s", i, proof[i], want[i])
			}
		}
		// And leaf 6 in the tree of 8: node(0,7), node(1,2), node(2,0).
		proof, err = l.InclusionProof(ctx, 6, 8)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range []string{v.Nodes[0][7], v.Nodes[1][2], v.Nodes[2][0]} {
			if hex.EncodeToString(proof[i][:]) != w {
				t.Errorf("leaf 6 proof[%d] = %x, want %s", i, proof[i], w)
			}
		}
	})
}

// TestProofsRoundTrip appends leaves in uneven batches and checks inclusion
// and consistency proofs for many sizes against the roots.
func TestProofsRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l := New(st, testNotary(t), Config{})
		rng := rand.New(rand.NewPCG(1, 2))
		var data [][]byte
		for len(data) < 300 {
			n := 1 + rng.IntN(40)
			batch := make([]Leaf, n)
			for i := range batch {
				batch[i] = Leaf{Org: "org-a", Action: RecordCreate, Objects: []Object{{Kind: KindRecord, ID: fmt.Sprint(len(data) + i), SHA256: sum("r")}}}
			}
			if err := st.Update(ctx, func(tx *store.Tx) error { return l.Append(tx, batch...) }); err != nil {
				t.Fatal(err)
			}
			for i := range batch {
				if batch[i].Seq != int64(len(data)) {
					t.Fatalf("leaf got seq %d, want %d", batch[i].Seq, len(data))
				}
				b, _ := batch[i].Encode()
				data = append(data, b)
			}
		}
		size := int64(len(data))
		for range 200 {
			n := 1 + rng.Int64N(size)
			idx := rng.Int64N(n)
			root, err := l.Root(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.InclusionProof(ctx, idx, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, n, root, idx, tlog.RecordHash(data[idx])); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", idx, n, err)
			}
			if tlog.CheckRecord(p, n, root, idx, tlog.RecordHash([]byte("forged"))) == nil {
				t.Fatal("a forged leaf verified")
			}
			old := 1 + rng.Int64N(n)
			oldRoot, _ := l.Root(ctx, old)
			tp, err := l.ConsistencyProof(ctx, old, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(tp, n, root, old, oldRoot); err != nil {
				t.Fatalf("consistency %d..%d: %v", old, n, err)
			}
		}
		if _, err := l.InclusionProof(ctx, size, size); !errors.Is(err, ErrRange) {
			t.Errorf("proof beyond the log: %v", err)
		}
		if _, err := l.Root(ctx, size+1); !errors.Is(err, ErrRange) {
			t.Errorf("root beyond the log: %v", err)
		}
	})
}

// TestGroupCommit: concurrent Record calls all land, each with its own
// sequence numbers, in fewer transactions than calls.
func TestGroupCommit(t *testing.T) {
	st := storetest.SQLite(t)
	l := New(st, testNotary(t), Config{})
	defer l.Close()
	ctx := context.Background()
	const callers, each = 8, 50
	errs := make(chan error, callers*each)
	seqs := make(chan int64, callers*each)
	for c := range callers {
		go func() {
			for i := range each {
				leaf := Leaf{Org: fmt.Sprint("org-", c), Action: Disclose, Objects: []Object{{Kind: KindRecord, ID: fmt.Sprint(i), SHA256: sum("shown")}}}
				leaves := []Leaf{leaf}
				err := l.Record(ctx, leaves...)
				errs <- err
				seqs <- leaves[0].Seq
			}
		}()
	}
	seen := map[int64]bool{}
	for range callers * each {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		s := <-seqs
		if seen[s] {
			t.Fatalf("sequence %d handed out twice", s)
		}
		seen[s] = true
	}
	if n, _ := l.Size(ctx); n != callers*each {
		t.Errorf("log size %d, want %d", n, callers*each)
	}
}

func TestLeafCanonical(t *testing.T) {
	h := sum("x")
	l := Leaf{V: Format, Seq: 3, Org: "a<b>", Action: Disclose, Objects: []Object{{Kind: "record", ID: "x", Owner: "o", SHA256: h}}, Purpose: "Ermittlung § 100"}
	b, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"disclose","objects":[{"id":"x","kind":"record","owner":"o","sha256":"` + h + `"}],"org":"a<b>","purpose":"Ermittlung § 100","seq":3,"time":"0001-01-01T00:00:00Z","token":"","v":2}`
	if string(b) != want {
		t.Errorf("encoded\n%s\nwant\n%s", b, want)
	}
	if _, err := ParseLeaf(b); err != nil {
		t.Errorf("parse back: %v", err)
	}
	if _, err := ParseLeaf([]byte(`{"seq":3, "action":"disclose","objects":[],"org":"","time":"0001-01-01T00:00:00Z","token":"","v":2}`)); err == nil {
		t.Error("a non-canonical leaf parsed")
	}
}

// TestLeafMeaning: a leaf parses only when its action is known and names
// only the kinds it may, with a content hash exactly where the role needs one.
func TestLeafMeaning(t *testing.T) {
	h := sum("x")
	for _, tt := range []struct {
		name string
		leaf Leaf
		want string
	}{
		{"feedback names its record", Leaf{Action: Feedback, Objects: []Object{{Kind: KindRecord, ID: "r"}, {Kind: KindFeedback, ID: "f", SHA256: h}}}, ""},
		{"named object with a hash", Leaf{Action: Feedback, Objects: []Object{{Kind: KindRecord, ID: "r", SHA256: h}}}, "only named"},
		{"changed object without a hash", Leaf{Action: RecordUpdate, Objects: []Object{{Kind: KindRecord, ID: "r"}}}, "not 64 hex digits"},
		{"kind the action does not name", Leaf{Action: Hit, Objects: []Object{{Kind: KindFeedback, ID: "f"}}}, "does not name objects"},
		{"unknown action", Leaf{Action: "record.delete", Objects: []Object{{Kind: KindRecord, ID: "r", SHA256: h}}}, "unknown action"},
		{"no objects", Leaf{Action: Disclose}, "names no object"},
		{"object without id", Leaf{Action: Disclose, Objects: []Object{{Kind: KindRecord, SHA256: h}}}, "has no id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.leaf.V = Format
			b, _ := tt.leaf.Encode()
			_, err := ParseLeaf(b)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	old := []byte(`{"action":"disclose","objects":[{"id":"x","kind":"record","owner":"o","sha256":"` + h + `"}],"org":"a","seq":7,"time":"0001-01-01T00:00:00Z","token":""}`)
	if _, err := ParseLeaf(old); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "leaf 7 is in evidence format 1") {
		t.Errorf("format-1 leaf: %v", err)
	}
}

// testNotary returns a notary with a fresh key.
func testNotary(t testing.TB) *Notary {
	skey, _, err := GenerateKey("fusion.test/log")
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotary(skey)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// nilMACs is n absent MACs, for tests that store raw leaf bytes.
func nilMACs(n int) [][]byte { return make([][]byte, n) }

// sum is a content hash for test leaves.
func sum(s string) string { return Sum([]byte(s)) }
