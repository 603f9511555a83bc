package evidence_test

// Attacks on the running hub's checks (consistency.go, log.go),
// Verify (verify.go) and the witness client and server (witness.go), each
// found by a review and kept as a regression test.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// lockHead takes, on a connection of its own, the lock every append and
// every checkpoint waits for, as an attacker's SQL session can:
// SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN; SELECT ... FOR UPDATE.
// It returns an exec function inside that transaction and commit.
func lockHead(t *testing.T, st *store.Store) (exec func(q string, args ...any), commit func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pg := st.Dialect() == "postgres"
	if pg {
		_, err = conn.ExecContext(ctx, "BEGIN")
		if err == nil {
			_, err = conn.ExecContext(ctx, "SELECT size FROM evidence_head WHERE id = 1 FOR UPDATE")
		}
	} else {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		t.Fatal(err)
	}
	exec = func(q string, args ...any) {
		if pg {
			n := 0
			q = replaceEach(q, "?", func() string { n++; return fmt.Sprintf("$%d", n) })
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	commit = func() {
		exec("COMMIT")
		conn.Close()
	}
	return exec, commit
}

// memHashes computes every stored hash of leaves.
func memHashes(t *testing.T, leaves [][]byte) []tlog.Hash {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for n, d := range leaves {
		hs, err := tlog.StoredHashes(int64(n), d, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	return hashes
}

// TestReviewCheckpointSignedOverForgedLeaf: Checkpoint authenticates the
// leaves since the last checkpoint OUTSIDE its transaction, then, inside
// it, only what was appended meanwhile, and takes the root from the stored
// hashes. An attacker who holds the head lock while the hub authenticates,
// rewrites the stored hashes of an unsigned leaf to those of a forged one
// and commits, gets the forged leaf signed. No later check looks at it
// again (Open and Checkpoint start from the newest checkpoint).
func TestCheckpointSignedOverForgedLeaf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		size := w.size(t)
		p := w.lastCP + 1 // a disclosure, after the newest checkpoint: not yet signed
		leaves := make([][]byte, size)
		for i := range leaves {
			leaves[i] = leafData(t, st, int64(i))
		}
		forged := bytes.Replace(leaves[p], []byte(`"org":"org-b"`), []byte(`"org":"org-c"`), 1)
		if bytes.Equal(forged, leaves[p]) {
			t.Fatal("setup: leaf not changed")
		}
		if _, err := evidence.ParseLeaf(forged); err != nil {
			t.Fatal(err)
		}
		leaves[p] = forged
		hashes := memHashes(t, leaves)
		mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = hashes[x]
			}
			return out, nil
		})
		forgedRoot, err := tlog.TreeHash(size, mem)
		if err != nil {
			t.Fatal(err)
		}

		exec, commit := lockHead(t, st)
		type result struct {
			cp  evidence.Checkpoint
			err error
		}
		done := make(chan result, 1)
		go func() {
			cp, err := w.h.Evidence().Checkpoint(ctx)
			done <- result{cp, err}
		}()
		time.Sleep(time.Second) // the hub authenticates the new leaves, then waits for the lock
		for x := tlog.StoredHashIndex(0, p); x < int64(len(hashes)); x++ {
			exec("UPDATE evidence_hashes SET hash = ? WHERE idx = ?", hashes[x][:], x)
		}
		commit()
		res := <-done
		if res.err != nil {
			t.Logf("the hub refused: %v", res.err)
			return
		}
		if res.cp.Root == forgedRoot {
			proof, err := tlog.ProveRecord(size, p, mem)
			if err == nil && tlog.CheckRecord(proof, res.cp.Size, res.cp.Root, p, tlog.RecordHash(forged)) == nil {
				t.Logf("an inclusion proof of the forged leaf %d verifies against the hub's signed checkpoint of %d", p, res.cp.Size)
			}
			if _, err := w.h.Evidence().Checkpoint(ctx); err == nil && w.h.Evidence().Halted() == nil {
				t.Log("and the running hub keeps signing: it never looks at that leaf again")
			}
			t.Errorf("the hub signed a checkpoint whose root commits to a forged leaf %d (org-c instead of org-b)", p)
		}
	})
}

// TestReviewVerifyCrashes: values Verify trusts from the database make it
// panic instead of naming them.
//
//	UPDATE evidence_head SET size = -1;                          -- or 4611686018427387904
//	INSERT INTO evidence_hashes (idx, hash) VALUES (-1, x'00');
func TestVerifyCrashes(t *testing.T) {
	for _, c := range []struct{ name, q string }{
		{"negative size", "UPDATE evidence_head SET size = -1"},
		{"huge size", "UPDATE evidence_head SET size = 4611686018427387904"},
		{"negative hash index", "INSERT INTO evidence_hashes (idx, hash) VALUES (-1, ?)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				w := newWorld(t, st)
				if strings.Contains(c.q, "?") {
					w.exec(t, c.q, []byte{0})
				} else {
					w.exec(t, c.q)
				}
				func() {
					defer func() {
						if v := recover(); v != nil {
							t.Errorf("verify panics instead of naming the edit: %v", v)
						}
					}()
					rep, err := evidence.Verify(context.Background(), st, evidence.VerifyOptions{Verifier: w.notary.Verifier(), MACKey: w.notary.MACKey(), Trusted: w.trusted(t)})
					if err == nil && rep.OK() {
						t.Error("verify says OK")
					}
				}()
			})
		})
	}
}

// TestReviewNegativeSeqLeafNotNamed: a row of evidence_leaves below 0 is
// never read by Verify (it reads seq 0 to 2^62).
//
//	INSERT INTO evidence_leaves (seq, data, mac) VALUES (-1, 'anything', NULL);
func TestNegativeSeqLeafNotNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.exec(t, "INSERT INTO evidence_leaves (seq, data, mac) VALUES (-1, ?, NULL)", []byte(`{"v":2,"forged":true}`))
		if rep := w.verify(t); rep.OK() {
			t.Error("an inserted evidence_leaves row (seq -1) is not named")
		}
	})
}

// TestReviewVerifyOnLiveHubCriesWolf: Verify reads the size, the leaves, the
// hashes, the checkpoints and every table in separate statements, not in
// one snapshot. Run while the hub works (PostgreSQL, or SQLite in WAL), it
// reports leaves "inserted outside fusion", rows with "no evidence entry",
// checkpoints "beyond the log's size".
func TestVerifyOnLiveHubCriesWolf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: fmt.Sprintf("live%d.example.com", i), TLP: "green"}})
				w.h.GetRecord(ctx, w.b, w.recs[0])
				if i%5 == 0 {
					w.h.Evidence().Checkpoint(ctx)
				}
			}
		}()
		var alarms []string
		for i := 0; i < 10 && len(alarms) == 0; i++ {
			rep, err := evidence.Verify(ctx, st, evidence.VerifyOptions{Verifier: w.notary.Verifier(), MACKey: w.notary.MACKey()})
			if err != nil {
				t.Fatal(err)
			}
			alarms = rep.Problems
		}
		close(stop)
		wg.Wait()
		if len(alarms) > 0 {
			t.Errorf("verify on an untouched store, while the hub works, reports %d problems, e.g. %q", len(alarms), alarms[0])
		}
	})
}

// TestReviewTruncatedTailUnseenByRunningHub: the running hub's "size never
// shrinks" check only knows sizes committed through Record (disclosures)
// and Checkpoint; changes logged with Append in the caller's transaction
// (records, reports, orgs, tokens, ...) never raise it. So deleting the
// newest record.create and its leaf, hashes and size while the hub runs is
// seen neither by the next append nor by the next checkpoint, contrary to
// docs/evidence.md ("A running hub sees it").
//
//	DELETE FROM records WHERE id = '<new>'; DELETE FROM record_terms WHERE record_id = '<new>';
//	DELETE FROM evidence_leaves WHERE seq = N; DELETE FROM evidence_hashes WHERE idx >= <StoredHashCount(N)>;
//	UPDATE evidence_head SET size = N;
func TestTruncatedTailUnseenByRunningHub(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		if _, err := w.h.Evidence().Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "incriminating.example.com", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}}})
		if err != nil {
			t.Fatal(err)
		}
		id := res[0].Value.ID
		n := w.size(t) - 1
		w.exec(t, "DELETE FROM record_terms WHERE record_id = ?", id)
		w.exec(t, "DELETE FROM records WHERE id = ?", id)
		w.exec(t, "DELETE FROM evidence_leaves WHERE seq = ?", n)
		w.exec(t, "DELETE FROM evidence_hashes WHERE idx >= ?", tlog.StoredHashCount(n))
		w.exec(t, "UPDATE evidence_head SET size = ?", n)
		if _, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "other.example.com", TLP: "green"}}); err != nil {
			t.Logf("next append refused: %v", err)
		}
		_, err = w.h.Evidence().Checkpoint(ctx)
		if w.h.Evidence().Halted() == nil && err == nil && w.verify(t).OK() {
			t.Error("a record and its leaf removed under a running hub: it appends, signs over the shortened log, and verify says OK")
		}
	})
}

// witnessStub answers add-checkpoint with status and body.
func witnessStub(t *testing.T, status int, contentType, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rw.Header().Set("Content-Type", contentType)
		rw.WriteHeader(status)
		io.WriteString(rw, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestReviewWitnessAnswerBricksHub: `fusion serve --witness URL` builds
// WitnessClient without a Verifier (there is no flag for the witness key),
// and Log.Witness then appends whatever the witness (or anyone on the path:
// plain HTTP) answered after "— " to DATA/evidence/checkpoints. One
// malformed signature line makes the file unreadable: the hub refuses to
// start again, and `fusion evidence verify` errors out.
func TestWitnessAnswerBricksHub(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, st)
	url := witnessStub(t, http.StatusOK, "text/plain", "— witness.example garbage\n")
	if _, err := w.h.Evidence().Witness(ctx, &evidence.WitnessClient{URL: url}); err != nil {
		t.Logf("witness: %v", err)
	}
	restart := evidence.New(st, w.notary, evidence.Config{Anchor: evidence.NewAnchor(w.anchor), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := restart.Open(ctx); err != nil {
		t.Errorf("after one bad witness answer the hub refuses to start: %v", err)
	}
}

// TestReviewWitness409HaltsHub: a witness's bare claim "409, I co-signed
// size N" (no signature, no proof) with N larger than the log halts the
// hub: every write and every disclosure then answers 503. Any witness, or
// anyone on its plain-HTTP path, can do this on every checkpoint.
func TestWitness409HaltsHub(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, st)
	url := witnessStub(t, http.StatusConflict, "text/x.tlog.size", "999999999\n")
	w.h.Evidence().Witness(ctx, &evidence.WitnessClient{URL: url})
	if err := w.h.Evidence().Halted(); err != nil {
		_, gerr := w.h.GetRecord(ctx, w.b, w.recs[0])
		t.Errorf("an unauthenticated 409 halted the hub (%v); a disclosure now fails with %v", err, gerr)
	}
}

// TestReviewWitnessFirstCosignRace: two witness processes on one
// PostgreSQL (two Witness values on one store) asked concurrently to
// co-sign two different checkpoints of the same size of a log they have not
// seen yet: the SELECT ... FOR UPDATE finds no row to lock, both pass the
// "old == 0" check, the upsert of the second overwrites the first, and the
// witness co-signs a fork.
func TestWitnessFirstCosignRace(t *testing.T) {
	st := storetest.Postgres(t)
	ctx := context.Background()
	const tries = 20
	var logKeys []string
	var signers []string
	for i := 0; i < tries; i++ {
		skey, vkey, err := evidence.GenerateKey(fmt.Sprintf("fusion.test/raced-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		logKeys, signers = append(logKeys, vkey), append(signers, skey)
	}
	hubSkey, _, _ := evidence.GenerateKey("fusion.test/witness-hub")
	notary, err := evidence.NewNotary(hubSkey)
	if err != nil {
		t.Fatal(err)
	}
	wskey, _, _ := evidence.GenerateWitnessKey("witness.test/w")
	var ws [2]*evidence.Witness
	for i := range ws {
		ev := evidence.New(st, notary, evidence.Config{})
		t.Cleanup(ev.Close)
		if ws[i], err = evidence.NewWitness(ev, wskey, logKeys); err != nil {
			t.Fatal(err)
		}
	}
	// Control: one after the other, the second (a fork) is refused.
	{
		origin := "fusion.test/raced-0"
		var a, b tlog.Hash
		b[0] = 1
		if _, err := ws[0].AddCheckpoint(ctx, []byte("old 0\n\n"+signCheckpoint(t, origin, 5, a, noteSigner(t, signers[0])))); err != nil {
			t.Fatal(err)
		}
		if _, err := ws[1].AddCheckpoint(ctx, []byte("old 0\n\n"+signCheckpoint(t, origin, 5, b, noteSigner(t, signers[0])))); err == nil {
			t.Fatal("setup: a sequential fork was co-signed")
		}
	}
	forks := 0
	for i := 1; i < tries; i++ {
		origin := fmt.Sprintf("fusion.test/raced-%d", i)
		var roots [2]tlog.Hash
		roots[1][0] = 1
		var wg sync.WaitGroup
		var errs [2]error
		start := make(chan struct{})
		for j := range ws {
			body := "old 0\n\n" + signCheckpoint(t, origin, 5, roots[j], noteSigner(t, signers[i]))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[j] = ws[j].AddCheckpoint(ctx, []byte(body))
			}()
		}
		close(start)
		wg.Wait()
		if errs[0] == nil && errs[1] == nil {
			forks++
		}
	}
	if forks > 0 {
		t.Errorf("in %d of %d tries the witness co-signed two checkpoints of size 5 with different roots for one log", forks, tries-1)
	}
}

// TestReviewConcurrentGroupChangesCryWolf: on PostgreSQL (READ COMMITTED),
// two member additions to one group commit concurrently; each leaf hashes
// the members its transaction saw, so the newest leaf lacks the other's
// member and verify reports "group grp was changed outside fusion" on an
// untouched store. (The same holds for two concurrent Tor imports: each
// TorDigest misses the other's rows.)
func TestConcurrentGroupChangesCryWolf(t *testing.T) {
	st := storetest.Postgres(t)
	ctx := context.Background()
	w := newWorld(t, st)
	var orgs []string
	for i := 0; i < 64; i++ {
		id := fmt.Sprintf("org-m%d", i)
		if _, err := w.h.OperatorCreateOrg(ctx, id, id, "NL", "bank", false); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, id)
	}
	for i := 0; i < len(orgs); i += 8 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, o := range orgs[i : i+8] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := w.h.OperatorAddMember(ctx, "grp", o); err != nil {
					t.Logf("add %s: %v", o, err)
				}
			}()
		}
		close(start)
		wg.Wait()
	}
	if rep := w.verify(t); !rep.OK() {
		t.Errorf("concurrent, legitimate group changes: verify reports %q", rep.Problems)
	}
}

// TestReviewTermsOrderCollation: Verify compares record_terms and
// report_terms, read "ORDER BY ..., term" in the database's collation,
// with Go's byte order. On PostgreSQL with a glibc en_US.UTF-8 database
// (the common default; simulated here by an ICU collation that, like
// glibc, ignores punctuation) a record shared with "cert-eu" and
// "certbund" is reported as tampered.
func TestTermsOrderCollation(t *testing.T) {
	st := storetest.Postgres(t)
	ctx := context.Background()
	w := newWorld(t, st)
	w.exec(t, `CREATE COLLATION shifted (provider = icu, locale = 'en-US-u-ka-shifted')`)
	w.exec(t, `ALTER TABLE record_terms ALTER COLUMN term TYPE TEXT COLLATE shifted`)
	w.exec(t, `ALTER TABLE report_terms ALTER COLUMN term TYPE TEXT COLLATE shifted`)
	for _, o := range []string{"cert-eu", "certbund"} {
		if _, err := w.h.OperatorCreateOrg(ctx, o, o, "DE", "cert", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "shared.example.com", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"cert-eu", "certbund"}}}}); err != nil {
		t.Fatal(err)
	}
	if rep := w.verify(t); !rep.OK() {
		t.Errorf("an untouched store on an en_US-collated database: %q", rep.Problems)
	}
}

// TestReviewTornAnchorThenAppendBricks: a crash in the middle of an append
// to DATA/evidence/checkpoints leaves a torn last entry, which Read
// tolerates ("left out"). But Anchor.Append then writes the next note right
// after the torn bytes, so the torn fragment and the next note merge into
// one entry whose signature does not verify: the hub starts once (Open
// re-appends the missing checkpoint after the fragment), and from the next
// restart on it refuses to start, and verify errors out.
func TestTornAnchorThenAppendBricks(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, st)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A checkpoint stored in the database whose append to the file was cut
	// short by a crash: only its first 17 bytes reached the disk.
	if _, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "before-crash.example.com", TLP: "green"}}); err != nil {
		t.Fatal(err)
	}
	noFile := evidence.New(st, w.notary, evidence.Config{Logger: quiet})
	cp, err := noFile.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(w.anchor, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(cp.Note[:17])
	f.Close()
	for i := 1; i <= 2; i++ {
		l := evidence.New(st, w.notary, evidence.Config{Anchor: evidence.NewAnchor(w.anchor), Logger: quiet})
		if err := l.Open(ctx); err != nil {
			t.Errorf("restart %d after a crash during an append to the checkpoint file: %v", i, err)
			return
		}
	}
}
