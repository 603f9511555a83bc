package evidence_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

func TestUntouchedLogVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		rep := w.verify(t)
		if !rep.OK() || len(rep.Unchecked) > 0 {
			t.Fatalf("an untouched log: problems %v, unchecked %v", rep.Problems, rep.Unchecked)
		}
		// 3 orgs, 4 tokens, a group, 4 records and 3 earlier versions, a report
		// and its earlier version, a sighting row, a feedback, 2 access
		// requests, 2 hit queries, a Tor import, the Tor data, 2 checkpoints.
		if rep.Checkpoints != 2 || rep.Trusted != 2 || rep.Objects != 27 {
			t.Errorf("report %+v", rep)
		}
	})
}

// tamper is one edit made behind fusion's back, and what Verify must say.
type tamper struct {
	name  string
	edit  func(t *testing.T, w *world)
	wants []string
}

// The suite: every table the log covers, edited, deleted from and inserted
// into; leaves edited with and without recomputed hashes; forged leaves
// appended; checkpoints deleted; the log rolled back. Each case must be
// named in Verify's report as the CLI runs it (with the hub's key and the
// checkpoint file); {r0}.. {rep} {fb} {granted} {denied} {tokB} {tokRev}
// {hour} {size} {cp} are replaced by the world's values.
var tampers = []tamper{
	// records
	{"record body edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE records SET body = REPLACE(body, 'evil.example.com', 'good.example.com') WHERE id = ?", w.recs[0])
	}, []string{"record {r0} was changed outside fusion"}},
	{"record column edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE records SET tlp = 'clear' WHERE id = ?", w.recs[0])
	}, []string{"record {r0}: column tlp says clear but its content says amber"}},
	{"record lookup term inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO record_terms (term, record_id) VALUES ('o:org-c', ?)", w.recs[0])
	}, []string{"record {r0}: its lookup terms"}},
	{"record lookup term deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM record_terms WHERE record_id = ? AND term = 'o:org-b'", w.recs[0])
	}, []string{"record {r0}: its lookup terms"}},
	{"record deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM records WHERE id = ?", w.recs[2])
	}, []string{"record {r2} (last logged in leaf", "was deleted outside fusion"}},
	{"record inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO records (id, type, value, originator, tlp, personal, discoverable, created, updated, revoked, version, body) "+
			"SELECT 'ffffffff-0000-7000-8000-000000000000', type, value, originator, tlp, personal, discoverable, created, updated, revoked, version, body FROM records WHERE id = ?", w.recs[2])
	}, []string{"record ffffffff-0000-7000-8000-000000000000 has no evidence entry"}},
	{"record history edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE record_versions SET body = REPLACE(body, 'evil.example.com', 'good.example.com') WHERE record_id = ?", w.recs[0])
	}, []string{"record {r0}: version 1 in its history was changed outside fusion"}},
	{"record history deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM record_versions WHERE record_id = ?", w.recs[0])
	}, []string{"record {r0}: version 1 is missing from its history"}},
	{"record history inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO record_versions (record_id, version, body) SELECT id, 1, body FROM records WHERE id = ?", w.recs[2])
	}, []string{"record {r2}: version 1 in its history has no evidence entry"}},
	// reports
	{"report body edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE reports SET body = REPLACE(body, 'phishing wave', 'nothing to see') WHERE id = ?", w.report)
	}, []string{"report {rep} was changed outside fusion"}},
	{"report record link inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO report_records (report_id, record_id) VALUES (?, ?)", w.report, w.recs[2])
	}, []string{"report {rep} was changed outside fusion"}},
	{"report audience term inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO report_terms (term, report_id) VALUES ('o:org-c', ?)", w.report)
	}, []string{"report {rep}: its lookup terms"}},
	{"report deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM report_records WHERE report_id = ?", w.report)
		w.exec(t, "DELETE FROM report_terms WHERE report_id = ?", w.report)
		w.exec(t, "DELETE FROM reports WHERE id = ?", w.report)
	}, []string{"report {rep} (last logged in leaf", "deleted outside fusion"}},
	{"report history edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE report_versions SET records = '[]' WHERE report_id = ?", w.report)
	}, []string{"report {rep}: version 1 in its history was changed outside fusion"}},
	// organizations, groups, tokens
	{"organization renamed", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE orgs SET name = 'Org B (renamed)' WHERE id = 'org-b'")
	}, []string{"org org-b was changed outside fusion"}},
	{"organization's feedback anonymity flipped", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE orgs SET anonymous_feedback = NOT anonymous_feedback WHERE id = 'org-b'")
	}, []string{"org org-b was changed outside fusion"}},
	{"organization made operator", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE orgs SET operator = TRUE WHERE id = 'org-b'")
	}, []string{"org org-b was changed outside fusion"}},
	{"organization inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO orgs (id, name, country, sector, operator, anonymous_feedback, created) VALUES ('org-x', 'X', 'NL', 'bank', FALSE, FALSE, 0)")
	}, []string{"org org-x has no evidence entry"}},
	{"group member inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO group_members (group_id, org_id, added) VALUES ('grp', 'org-c', 0)")
	}, []string{"group grp was changed outside fusion"}},
	{"group member deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM group_members WHERE group_id = 'grp' AND org_id = 'org-b'")
	}, []string{"group grp was changed outside fusion"}},
	{"group member's time edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE group_members SET added = added + 1 WHERE org_id = 'org-b'")
	}, []string{"group grp was changed outside fusion"}},
	{"token role raised", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE tokens SET role = 'admin' WHERE id = ?", w.tokB)
	}, []string{"token {tokB} was changed outside fusion"}},
	{"token secret swapped", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE tokens SET hash = ? WHERE id = ?", bytes.Repeat([]byte{7}, 32), w.tokB)
	}, []string{"token {tokB} was changed outside fusion"}},
	{"token inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO tokens (id, org_id, role, name, hash, created) VALUES ('tok-rogue', 'org-b', 'admin', '', ?, 0)", []byte("0123456789abcdef0123456789abcdef"))
	}, []string{"token tok-rogue has no evidence entry"}},
	{"token unrevoked", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE tokens SET revoked = NULL WHERE id = ?", w.tokRev)
	}, []string{"token {tokRev} was changed outside fusion"}},
	// matching
	{"sighting count raised", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE sightings SET count = count + 100")
	}, []string{"sighting {r0}/org-b/{hour} was changed outside fusion"}},
	{"sighting deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM sightings")
	}, []string{"sighting {r0}/org-b/{hour} (last logged in leaf", "deleted outside fusion"}},
	{"sighting inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO sightings (record_id, org_id, hour, count, first, last) VALUES (?, 'org-c', 1, 1, 0, 0)", w.recs[2])
	}, []string{"sighting {r2}/org-c/1 has no evidence entry"}},
	{"feedback outcome edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE feedback SET outcome = 'arrest'")
	}, []string{"feedback {fb} was changed outside fusion"}},
	{"feedback deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM feedback")
	}, []string{"feedback {fb} (last logged in leaf", "deleted outside fusion"}},
	{"feedback inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO feedback (id, record_id, org_id, token_id, outcome, note, created) VALUES ('fb-rogue', ?, 'org-c', '', 'false-positive', '', 0)", w.recs[0])
	}, []string{"feedback fb-rogue has no evidence entry"}},
	{"access request approved behind the owner's back", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE access_requests SET status = 'approved' WHERE id = ?", w.denied)
	}, []string{"access-request {denied} was changed outside fusion"}},
	{"access request deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM access_requests WHERE id = ?", w.granted)
	}, []string{"access-request {granted} (last logged in leaf", "deleted outside fusion"}},
	{"access request inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO access_requests (id, record_id, owner, requester, purpose, status, reason, created) VALUES ('ar-rogue', ?, 'org-a', 'org-b', 'x', 'approved', '', 0)", w.recs[3])
	}, []string{"access-request ar-rogue has no evidence entry"}},
	{"hit query re-attributed", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE hit_queries SET org_id = 'org-a'")
	}, []string{"hit-query", "was changed outside fusion"}},
	{"hit query deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM hit_queries")
	}, []string{"hit-query", "deleted outside fusion"}},
	// Tor data behind attribution verdicts
	{"Tor interval's exit flag flipped", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE tor_intervals SET exit_flag = NOT exit_flag")
	}, []string{"the Tor data was changed outside fusion"}},
	{"Tor consensus deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM tor_consensuses")
	}, []string{"the Tor data was changed outside fusion"}},
	{"Tor exit scan inserted", func(t *testing.T, w *world) {
		w.exec(t, "INSERT INTO tor_exit_scans (addr, fingerprint, seen, published, last_status) VALUES (?, 'AAAA', 1, 1, 1)", []byte{192, 0, 2, 1})
	}, []string{"the Tor data was changed outside fusion"}},
	{"Tor import edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE tor_imports SET consensuses = consensuses + 1")
	}, []string{"tor-import", "was changed outside fusion"}},
	// leaves and the tree
	{"leaf edited", func(t *testing.T, w *world) {
		d := leafData(t, w.st, 5)
		w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = 5", bytes.Replace(d, []byte(`"org":"`), []byte(`"org":"x`), 1))
	}, []string{"leaf 5 does not carry a valid MAC", "leaf 5 does not match the hash stored when it was logged"}},
	{"leaf edited and every hash recomputed", func(t *testing.T, w *world) {
		d := leafData(t, w.st, 4)
		w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = 4", bytes.Replace(d, []byte(`"org":"`), []byte(`"org":"x`), 1))
		rehash(t, w)
	}, []string{"leaf 4 does not carry a valid MAC", "checkpoint at size", "does not match the log", "the log was rewritten"}},
	{"leaf deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM evidence_leaves WHERE seq = 3")
	}, []string{"leaf 3 is missing: it was deleted"}},
	{"leaf MAC removed", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE evidence_leaves SET mac = NULL WHERE seq = 2")
	}, []string{"leaf 2 has no MAC"}},
	{"leaf replayed at the end", func(t *testing.T, w *world) {
		var mac []byte
		w.st.EvidenceLeafMACs(context.Background(), 3, 4, func(_ int64, _, m []byte) error { mac = m; return nil })
		seq := w.size(t)
		w.exec(t, "INSERT INTO evidence_leaves (seq, data, mac) VALUES (?, ?, ?)", seq, leafData(t, w.st, 3), mac)
		w.exec(t, "UPDATE evidence_head SET size = ?", seq+1)
		rehash(t, w)
	}, []string{"leaf {size} does not carry a valid MAC", "leaf {size} says it is leaf 3"}},
	{"stored tree hash edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE evidence_hashes SET hash = ? WHERE idx = 2", bytes.Repeat([]byte{1}, 32))
	}, []string{"stored tree hash 2 (level 1"}},
	{"log size lowered", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE evidence_head SET size = size - 1")
	}, []string{"exists beyond the log's size"}},
	// attack (a): change a record and append a matching change leaf
	{"record edited with a forged change leaf appended", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE records SET body = REPLACE(body, '\"confidence\":90', '\"confidence\":10') WHERE id = ?", w.recs[0])
		body, _ := w.st.RecordBody(context.Background(), w.recs[0])
		appendForged(t, w, evidence.Leaf{Org: "org-a", Action: evidence.RecordUpdate,
			Objects: []evidence.Object{evidence.ObjectOf(evidence.KindRecord, w.recs[0], "org-a", body)}}, nil)
	}, []string{"leaf {size} has no MAC: it was written outside fusion"}},
	{"forged leaf with another leaf's MAC", func(t *testing.T, w *world) {
		var mac []byte
		w.st.EvidenceLeafMACs(context.Background(), 7, 8, func(_ int64, _, m []byte) error { mac = m; return nil })
		appendForged(t, w, evidence.Leaf{Org: "org-b", Action: evidence.Disclose,
			Objects: []evidence.Object{evidence.ObjectOf(evidence.KindRecord, w.recs[0], "org-a", []byte("x"))}}, mac)
	}, []string{"leaf {size} does not carry a valid MAC"}},
	{"forged leaf with a MAC under another key", func(t *testing.T, w *world) {
		skey, _, _ := evidence.GenerateKey("fusion.test/tamper")
		other, _ := evidence.NewNotary(skey)
		seq := w.size(t)
		leaf := evidence.Leaf{V: evidence.Format, Seq: seq, Org: "org-b", Action: evidence.Disclose,
			Objects: []evidence.Object{evidence.ObjectOf(evidence.KindRecord, w.recs[0], "org-a", []byte("x"))}}
		data, _ := leaf.Encode()
		appendForged(t, w, leaf, evidence.LeafMAC(other.MACKey(), seq, data))
	}, []string{"leaf {size} does not carry a valid MAC"}},
	// attack (b): delete every checkpoint, rewrite who a disclosure went to, recompute
	{"checkpoints deleted and a disclosure rewritten", func(t *testing.T, w *world) {
		seq := w.find(t, evidence.Disclose)
		d := leafData(t, w.st, seq)
		w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = ?", bytes.Replace(d, []byte(`"org":"org-b"`), []byte(`"org":"org-c"`), 1), seq)
		w.exec(t, "DELETE FROM evidence_checkpoints")
		rehash(t, w)
	}, []string{"does not carry a valid MAC", "checkpoint {cp} (last logged in leaf", "the log was rewritten"}},
	// attack (c): roll back the newest checkpoint and every leaf since
	{"rolled back to before the newest checkpoint was signed", func(t *testing.T, w *world) {
		rollback(t, w, w.size(t)-w.lastCP) // its row, its leaf and every later leaf
	}, []string{"is a signed checkpoint of {cp} entries, but the database holds no checkpoint of that size"}},
	{"rolled back past the newest checkpoint", func(t *testing.T, w *world) {
		rollback(t, w, w.size(t)-w.lastCP+1)
	}, []string{"is a signed checkpoint of {cp} entries: the log was rolled back"}},
	{"rolled back by the newest ten leaves", func(t *testing.T, w *world) {
		rollback(t, w, 10)
	}, []string{"the log was rolled back"}},
	{"checkpoint edited", func(t *testing.T, w *world) {
		w.exec(t, "UPDATE evidence_checkpoints SET note = REPLACE(note, 'fusion.test/tamper\n', 'fusion.test/tamper\n ')")
	}, []string{"checkpoint at size", "signature"}},
	{"checkpoint deleted", func(t *testing.T, w *world) {
		w.exec(t, "DELETE FROM evidence_checkpoints WHERE size = ?", w.lastCP)
	}, []string{"checkpoint {cp} (last logged in leaf {cp}) was deleted outside fusion", "the database holds no checkpoint of that size"}},
}

func (w *world) expand(s string, size int64) string {
	r := strings.NewReplacer("{rep}", w.report, "{fb}", w.fb, "{granted}", w.granted, "{denied}", w.denied, "{tokB}", w.tokB, "{tokRev}", w.tokRev,
		"{hour}", fmt.Sprint(w.hour), "{size}", fmt.Sprint(size), "{cp}", fmt.Sprint(w.lastCP))
	s = r.Replace(s)
	for i, id := range w.recs {
		s = strings.ReplaceAll(s, fmt.Sprintf("{r%d}", i), id)
	}
	return s
}

// TestTamperingIsDetectedAndNamed edits the database directly, one way at a
// time, and expects Verify to name what was edited.
func TestTamperingIsDetectedAndNamed(t *testing.T) {
	if len(tampers) < 30 {
		t.Fatalf("the suite has %d cases; the bar is 30", len(tampers))
	}
	for _, tt := range tampers {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				w := newWorld(t, st)
				before := w.size(t)
				tt.edit(t, w)
				rep := w.verify(t)
				all := strings.Join(rep.Problems, "\n")
				if rep.OK() {
					t.Fatal("not detected")
				}
				for _, want := range tt.wants {
					if want = w.expand(want, before); !strings.Contains(all, want) {
						t.Errorf("problems do not name %q:\n%s", want, all)
					}
				}
			})
		})
	}
}

// TestRewriteWithoutKeyCaughtByTrustedCheckpoint: an auditor without the
// hub's secrets (no MAC key) still catches a rewrite behind a checkpoint
// obtained out of band, even when every checkpoint in the database is gone
// and every hash recomputed.
func TestRewriteWithoutKeyCaughtByTrustedCheckpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		trusted := w.trusted(t)
		seq := w.find(t, evidence.Disclose)
		d := leafData(t, st, seq)
		w.exec(t, "UPDATE evidence_leaves SET data = ? WHERE seq = ?", bytes.Replace(d, []byte(`"purpose":"case 2026/117"`), []byte(`"purpose":"case 2026/999"`), 1), seq)
		w.exec(t, "DELETE FROM evidence_checkpoints")
		rehash(t, w)
		rep := w.verifyWith(t, nil, trusted)
		if all := strings.Join(rep.Problems, "\n"); !strings.Contains(all, "the log was rewritten") {
			t.Errorf("a trusted checkpoint did not catch the rewrite:\n%s", all)
		}
	})
}

// TestHubRefusesRolledBackLog: a hub opened on a log rolled back behind the
// checkpoint file refuses to serve, naming both sizes and roots; so does one
// whose newest checkpoint or its leaf is gone.
func TestHubRefusesRolledBackLog(t *testing.T) {
	open := func(w *world) error {
		l := evidence.New(w.st, w.notary, evidence.Config{Anchor: evidence.NewAnchor(w.anchor), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		return l.Open(context.Background())
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.exec(t, "DELETE FROM evidence_leaves WHERE seq = ?", w.lastCP) // the newest checkpoint's own leaf, and every later one
		w.exec(t, "DELETE FROM evidence_leaves WHERE seq > ?", w.lastCP)
		w.exec(t, "UPDATE evidence_head SET size = ?", w.lastCP)
		if err := open(w); !errors.Is(err, evidence.ErrInconsistent) || !strings.Contains(err.Error(), fmt.Sprintf("its newest checkpoint, of %d entries, was logged as entry %d", w.lastCP, w.lastCP)) {
			t.Errorf("open without the newest checkpoint's leaf: %v", err)
		}
		// The halt is recorded beside the checkpoint file: a restart does not lift it.
		halted := filepath.Join(filepath.Dir(w.anchor), "halted")
		if err := open(w); !errors.Is(err, evidence.ErrInconsistent) || !strings.Contains(err.Error(), "the hub halted at") || !strings.Contains(err.Error(), "remove "+halted) {
			t.Errorf("open after a halt: %v", err)
		}
		os.Remove(halted) // the operator looked, and lets it check again
		w.exec(t, "DELETE FROM evidence_checkpoints WHERE size = ?", w.lastCP)
		if err := open(w); !errors.Is(err, evidence.ErrInconsistent) || !strings.Contains(err.Error(), fmt.Sprintf("holds a signed checkpoint of %d entries", w.lastCP)) {
			t.Errorf("open without the newest checkpoint: %v", err)
		}
	})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		rollback(t, w, w.size(t)-w.lastCP+1)
		l := evidence.New(st, w.notary, evidence.Config{Anchor: evidence.NewAnchor(w.anchor), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		err := l.Open(context.Background())
		if !errors.Is(err, evidence.ErrInconsistent) || !strings.Contains(err.Error(), fmt.Sprintf("holds %d entries", w.lastCP-1)) ||
			!strings.Contains(err.Error(), fmt.Sprintf("checkpoint of %d entries (root ", w.lastCP)) {
			t.Fatalf("open on a rolled-back log: %v", err)
		}
		if err := l.Halted(); err == nil {
			t.Error("the log was not halted")
		}
		if _, err := l.Checkpoint(context.Background()); !errors.Is(err, evidence.ErrInconsistent) {
			t.Errorf("a halted log signed a checkpoint: %v", err)
		}
	})
}

// TestInconsistentLogIsNeverSigned: once the stored tree disagrees with a
// signed checkpoint, no new checkpoint is signed, and the log halts: every
// write and disclosure fails.
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
		_, err := w.h.Evidence().Checkpoint(ctx)
		if !errors.Is(err, evidence.ErrInconsistent) {
			t.Fatalf("checkpoint of a rewritten log: %v", err)
		}
		if after, _ := st.Checkpoints(ctx); len(after) != len(before) {
			t.Error("a checkpoint was stored for a rewritten log")
		}
		if _, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "later.example.com", TLP: "green"}}); !errors.Is(err, evidence.ErrInconsistent) {
			t.Errorf("a write after the log halted: %v", err)
		}
		if _, err := w.h.GetRecord(ctx, w.b, w.recs[0]); !errors.Is(err, evidence.ErrInconsistent) {
			t.Errorf("a disclosure after the log halted: %v", err)
		}
	})
}

// TestForgedTailIsNeverSigned: a leaf appended behind fusion's back with
// correct tree hashes is refused before a checkpoint could cover it.
func TestForgedTailIsNeverSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		seq := appendForged(t, w, evidence.Leaf{Org: "org-a", Action: evidence.Disclose,
			Objects: []evidence.Object{evidence.ObjectOf(evidence.KindRecord, w.recs[0], "org-a", []byte("x"))}}, nil)
		_, err := w.h.Evidence().Checkpoint(context.Background())
		if !errors.Is(err, evidence.ErrInconsistent) || !strings.Contains(err.Error(), fmt.Sprintf("leaf %d does not carry a valid MAC", seq)) {
			t.Fatalf("checkpoint over a forged leaf: %v", err)
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
