package evidence

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

func TestNotaryKeys(t *testing.T) {
	skey, vkey, err := GenerateKey("fusion.test/keys")
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotary(skey)
	if err != nil {
		t.Fatal(err)
	}
	if n.VerifierKey() != vkey || n.Origin() != "fusion.test/keys" {
		t.Errorf("derived %q (origin %q), GenerateKey said %q", n.VerifierKey(), n.Origin(), vkey)
	}
	if _, err := NewNotary(vkey); err == nil {
		t.Error("a verifier key was accepted as a signer key")
	}
}

func TestCheckpointFormat(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	skey, _, _ := GenerateKey("fusion.test/cp")
	n, _ := NewNotary(skey)
	l := New(st, n, Config{})
	var leaves [][]byte
	for i := range 5 {
		lf := Leaf{Action: Disclose, Org: "o", Objects: []Object{{Kind: KindRecord, ID: fmt.Sprint(i), SHA256: sum("x")}}}
		if err := st.Update(ctx, func(tx *store.Tx) error { return l.Append(tx, lf) }); err != nil {
			t.Fatal(err)
		}
	}
	st.EvidenceLeaves(ctx, 0, 5, func(_ int64, d []byte) error { leaves = append(leaves, d); return nil })
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(cp.Note, "\n")
	if lines[0] != "fusion.test/cp" || lines[1] != "5" || lines[3] != "" || !strings.HasPrefix(lines[4], "— fusion.test/cp ") {
		t.Errorf("checkpoint note:\n%s", cp.Note)
	}
	// The checkpoint is logged as the leaf after the tree it covers; a log
	// that grew by nothing but that leaf gets no new checkpoint.
	if size, _ := l.Size(ctx); size != 6 {
		t.Errorf("log size after a checkpoint: %d, want 6", size)
	}
	again, err := l.Checkpoint(ctx)
	if err != nil || again.Note != cp.Note {
		t.Errorf("an unchanged log got a new checkpoint: %v", err)
	}
	root, _ := l.Root(ctx, 5)
	if cp.Root != root {
		t.Error("checkpoint root is not the tree's root")
	}
	proof, _ := l.InclusionProof(ctx, 2, 5)
	text := FormatProof(2, proof, cp.Note)
	idx, p2, signed, err := ParseProof(text)
	if err != nil || idx != 2 || len(p2) != len(proof) || signed != cp.Note {
		t.Fatalf("tlog-proof round trip: %v", err)
	}
	if err := tlog.CheckRecord(p2, cp.Size, cp.Root, 2, tlog.RecordHash(leaves[2])); err != nil {
		t.Error(err)
	}
}

func FuzzParseLeaf(f *testing.F) {
	good, _ := (&Leaf{V: Format, Seq: 1, Org: "a", Action: Disclose, Objects: []Object{{Kind: "record", ID: "x", SHA256: sum("x")}}}).Encode()
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"seq":-1,"objects":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLeaf(data)
		if err != nil {
			return
		}
		again, err := l.Encode()
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted leaf %q does not re-encode to itself: %q", data, again)
		}
	})
}

func FuzzParseCheckpointText(f *testing.F) {
	f.Add("fusion.test/cp\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
	f.Add("o\n-1\nAAAA\n")
	f.Add("o\n01\n\n")
	f.Add("\n0\n0000000000000000000000000000000000000000001=\n") // empty origin, non-canonical base64
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpointText(text)
		if err != nil {
			return
		}
		if c.Size < 0 || checkpointText(c.Origin, c.Size, c.Root) != strings.Join(strings.Split(text, "\n")[:3], "\n")+"\n" {
			t.Fatalf("accepted %q as %+v", text, c)
		}
	})
}

func FuzzParseProof(f *testing.F) {
	f.Add("c2sp.org/tlog-proof@v1\nindex 5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\nfusion.test/cp\n5\nAAAA\n")
	f.Add("c2sp.org/tlog-proof@v1\nextra AAAA\nindex 0\n\ncp\n")
	f.Add("c2sp.org/tlog-proof@v1\nindex -3\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		idx, proof, _, err := ParseProof(text)
		if err != nil {
			return
		}
		if idx < 0 {
			t.Fatalf("negative index from %q", text)
		}
		for _, h := range proof {
			_ = h
		}
	})
}

func FuzzCheckBundle(f *testing.F) {
	f.Add([]byte(`{"format":"fusion-evidence-bundle/1","origin":"o","public_key":"x","record_id":"r","record":"{}","entries":[]}`))
	f.Add([]byte(`{"format":"fusion-evidence-bundle/1","entries":[{"leaf":"{}","proof":"c2sp.org/tlog-proof@v1\nindex 0\n\nx\n"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := CheckBundle(data, ""); err == nil {
			t.Fatalf("a fuzzed bundle verified: %+v", c)
		}
	})
}

// FuzzLeafEncode holds the direct encoder to the generic RFC 8785 route.
func FuzzLeafEncode(f *testing.F) {
	f.Add(int64(7), "org-a", "tok-1", "disclose", "rec-1", "case 2026/1 \u2028 \"quoted\" \\ \x01 \x7f é", int64(1732000000123456))
	f.Add(int64(0), "", "", "", "", "", int64(0))
	f.Add(int64(-5), "\xff\xfe", "<&>", "a\tb", "x\ny", "\b\f\r", int64(-62135596800000000))
	f.Fuzz(func(t *testing.T, seq int64, org, token, action, id, purpose string, us int64) {
		l := Leaf{Seq: seq, Org: org, Token: token, Action: Action(action), Purpose: purpose, Time: time.UnixMicro(us).UTC(),
			Objects: []Object{{Kind: "record", ID: id, Owner: org, SHA256: token}, {Kind: action, ID: purpose}}}
		if l.Time.Year() < 0 || l.Time.Year() > 9999 {
			return // outside what RFC 3339 can write
		}
		got, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		want, err := Canonical(&l)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("direct encoding\n%q\ndiffers from RFC 8785 via jcs\n%q", got, want)
		}
	})
}
