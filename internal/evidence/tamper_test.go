package evidence_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

type world struct {
	st     *store.Store
	h      *hub.Hub
	notary *evidence.Notary
	a, b   *policy.Caller
	recs   []string // record ids of org-a
	report string
}

// newWorld builds a small hub: two organizations with tokens, a group,
// records, an update, a revocation, a report, disclosures, and a checkpoint.
func newWorld(t *testing.T, st *store.Store) *world {
	ctx := context.Background()
	canon, err := observable.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := evidence.New(st)
	t.Cleanup(log.Close)
	w := &world{st: st, h: hub.New(st, canon, log, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	skey, _, err := evidence.GenerateKey("fusion.test/tamper")
	if err != nil {
		t.Fatal(err)
	}
	if w.notary, err = evidence.NewNotary(skey); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"org-a", "org-b"} {
		if _, err := w.h.OperatorCreateOrg(ctx, o, o, "NL", "bank", false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.h.OperatorIssueToken(ctx, o, intel.RoleAnalyst, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.h.OperatorCreateGroup(ctx, "grp", "g", "org-a"); err != nil {
		t.Fatal(err)
	}
	w.a = &policy.Caller{Org: "org-a", Role: intel.RoleAnalyst, TokenID: "tok-a", Groups: []string{"grp"}}
	w.b = &policy.Caller{Org: "org-b", Role: intel.RoleAnalyst, TokenID: "tok-b", Purpose: "case 2026/117"}
	res, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{
		{Value: "evil.example.com", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Labels: []string{"phishing"}},
		{Value: "192.0.2.9", TLP: "green", Labels: []string{"botnet-c2"}},
		{Value: "+12025550142", TLP: "green", Personal: ptr(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		w.recs = append(w.recs, r.Value.ID)
	}
	conf := 90
	if _, err := w.h.UpdateRecord(ctx, w.a, w.recs[0], intel.RecordPatch{Confidence: &conf}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.RevokeRecord(ctx, w.a, w.recs[1], "false positive"); err != nil {
		t.Fatal(err)
	}
	rep, err := w.h.CreateReport(ctx, w.a, intel.ReportInput{Title: "t", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Records: w.recs[:1]})
	if err != nil {
		t.Fatal(err)
	}
	w.report = rep.ID
	if _, err := w.h.GetRecord(ctx, w.b, w.recs[0]); err != nil { // a disclosure
		t.Fatal(err)
	}
	if _, err := w.h.ListRecords(ctx, w.b, hub.RecordFilter{}); err != nil { // more
		t.Fatal(err)
	}
	if _, err := w.h.GetReport(ctx, w.b, w.report); err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.Evidence().Checkpoint(ctx, w.notary); err != nil {
		t.Fatal(err)
	}
	return w
}

func ptr[T any](v T) *T { return &v }

func (w *world) verify(t *testing.T) *evidence.Report {
	t.Helper()
	rep, err := evidence.Verify(context.Background(), w.st, w.notary.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (w *world) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if w.st.Dialect() == "postgres" {
		n := 0
		q = replaceEach(q, "?", func() string { n++; return "$" + string(rune('0'+n)) })
	}
	if _, err := w.st.DB().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func replaceEach(s, old string, next func() string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i] + next())
		s = s[i+len(old):]
	}
}

func leafData(t *testing.T, st *store.Store, seq int64) []byte {
	var out []byte
	err := st.EvidenceLeaves(context.Background(), seq, seq+1, func(_ int64, d []byte) error { out = d; return nil })
	if err != nil || out == nil {
		t.Fatalf("leaf %d: %v", seq, err)
	}
	return out
}

func TestUntouchedLogVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		rep := w.verify(t)
		if !rep.OK() {
			t.Fatalf("problems in an untouched log: %v", rep.Problems)
		}
		// 2 orgs, 2 tokens, the group, one submission of 3 records, update,
		// revocation, report, 3 disclosures (get, list, report).
		if rep.Size != 12 || rep.Checkpoints != 1 || rep.Objects != 2+2+1+3+1 {
			t.Errorf("report %+v", rep)
		}
	})
}

// TestTamperingIsDetectedAndNamed edits the database directly, one way at a
// time, and expects Verify to name what was edited.
func TestTamperingIsDetectedAndNamed(t *testing.T) {
	tampers := []struct {
		name  string
		edit  func(t *testing.T, w *world)
		wants []string
	}{
		{"record body", func(t *testing.T, w *world) {
			w.exec(t, "UPDATE records SET body = REPLACE(body, 'evil.example.com', 'good.example.com') WHERE id = ?", w.recs[0])
		}, []string{"record {r0} was changed outside fusion"}},
		{"record column", func(t *testing.T, w *world) {
			w.exec(t, "UPDATE records SET tlp = 'clear' WHERE id = ?", w.recs[0])
		}, []string{"record {r0}: column tlp says clear but its content says amber"}},
		{"record lookup terms", func(t *testing.T, w *world) {
			w.exec(t, "INSERT INTO record_terms (term, record_id) VALUES ('o:org-c', ?)", w.recs[0])
		}, []string{"record {r0}: its lookup terms"}},
		{"record deleted", func(t *testing.T, w *world) {
			w.exec(t, "DELETE FROM records WHERE id = ?", w.recs[2])
			w.exec(t, "DELETE FROM record_terms WHERE record_id = ?", w.recs[2])
		}, []string{"record {r2} (last logged in leaf", "was deleted outside fusion"}},
		{"token inserted", func(t *testing.T, w *world) {
			w.exec(t, "INSERT INTO tokens (id, org_id, role, name, hash, created) VALUES ('tok-rogue', 'org-b', 'admin', '', ?, 0)", []byte("0123456789abcdef0123456789abcdef"))
		}, []string{"token tok-rogue has no evidence entry"}},
		{"group member added", func(t *testing.T, w *world) {
			w.exec(t, "INSERT INTO group_members (group_id, org_id, added) VALUES ('grp', 'org-b', 0)")
		}, []string{"group grp was changed outside fusion"}},
		{"leaf edited", func(t *testing.T, w *world) {
			d := leafData(t, w.st, 5)
			w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = 5", bytes.Replace(d, []byte(`"org":"`), []byte(`"org":"x`), 1))
		}, []string{"leaf 5 does not match the hash stored when it was logged"}},
		{"leaf deleted", func(t *testing.T, w *world) {
			w.exec(t, "DELETE FROM evidence_leaves WHERE seq = 3")
		}, []string{"leaf 3 is missing: it was deleted"}},
		{"leaf and tree rewritten", func(t *testing.T, w *world) {
			// A careful forger edits a leaf and recomputes every stored hash:
			// only the signed checkpoint can tell.
			d := leafData(t, w.st, 4)
			w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = 4", bytes.Replace(d, []byte(`"org":"`), []byte(`"org":"x`), 1))
			rehash(t, w)
		}, []string{"checkpoint at size", "does not match the log"}},
		{"checkpoint edited", func(t *testing.T, w *world) {
			w.exec(t, "UPDATE evidence_checkpoints SET note = REPLACE(note, 'fusion.test/tamper\n', 'fusion.test/tamper\n ')")
		}, []string{"checkpoint at size", "signature"}},
	}
	for _, tt := range tampers {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				w := newWorld(t, st)
				tt.edit(t, w)
				rep := w.verify(t)
				all := strings.Join(rep.Problems, "\n")
				for _, want := range tt.wants {
					for i, id := range w.recs {
						want = strings.ReplaceAll(want, "{r"+string(rune('0'+i))+"}", id)
					}
					if !strings.Contains(all, want) {
						t.Errorf("problems do not name %q:\n%s", want, all)
					}
				}
			})
		})
	}
}

// rehash recomputes every stored tree hash from the (edited) leaves.
func rehash(t *testing.T, w *world) {
	ctx := context.Background()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	size, _ := w.st.EvidenceSize(ctx)
	for n := int64(0); n < size; n++ {
		hs, err := tlog.StoredHashes(n, leafData(t, w.st, n), r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	for i, h := range hashes {
		w.exec(t, "UPDATE evidence_hashes SET hash = ? WHERE idx = ?", h[:], int64(i))
	}
}

// TestInconsistentLogIsNeverSigned: once the stored tree disagrees with a
// signed checkpoint, no new checkpoint is signed.
func TestInconsistentLogIsNeverSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		d := leafData(t, st, 2)
		w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = 2", bytes.Replace(d, []byte(`"org":"`), []byte(`"org":"x`), 1))
		rehash(t, w)
		if _, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "new.example.com", TLP: "green"}}); err != nil {
			t.Fatal(err)
		}
		before, _ := st.Checkpoints(ctx)
		_, err := w.h.Evidence().Checkpoint(ctx, w.notary)
		if !errors.Is(err, evidence.ErrInconsistent) {
			t.Fatalf("checkpoint of a rewritten log: %v", err)
		}
		if after, _ := st.Checkpoints(ctx); len(after) != len(before) {
			t.Error("a checkpoint was stored for a rewritten log")
		}
	})
}

// TestFailedAppendRollsBack: when the evidence log cannot be written, the
// change is not made and the disclosure is not made.
func TestFailedAppendRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		w.exec(t, "ALTER TABLE evidence_leaves RENAME TO evidence_leaves_gone")
		_, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "unlogged.example.com", TLP: "green"}})
		if err == nil {
			t.Fatal("a record was created without evidence")
		}
		var n int
		st.DB().QueryRow("SELECT COUNT(*) FROM records WHERE value = 'unlogged.example.com'").Scan(&n)
		if n != 0 {
			t.Error("the record was stored although its evidence leaf was not")
		}
		conf := 10
		if _, err := w.h.UpdateRecord(ctx, w.a, w.recs[0], intel.RecordPatch{Confidence: &conf}); err == nil {
			t.Error("an update succeeded without evidence")
		}
		if r, _ := st.Record(ctx, w.recs[0]); r.Confidence == 10 {
			t.Error("the update was stored although its evidence leaf was not")
		}
		if _, err := w.h.GetRecord(ctx, w.b, w.recs[0]); err == nil {
			t.Error("a disclosure was made without evidence")
		}
		if _, _, err := w.h.OperatorIssueToken(ctx, "org-a", intel.RoleAdmin, ""); err == nil {
			t.Error("a token was issued without evidence")
		}
	})
}
