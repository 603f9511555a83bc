package evidence_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
	"fusion/internal/warninglist"
)

// torFixtures is the shared directory of real Tor data.
const torFixtures = "../../../shared/fixtures/tor"

// world is a small hub in which every kind of object the evidence log
// covers exists: organizations (one anonymous in feedback), tokens (one
// revoked), a group, records (updated, revoked, personal, granted), a report
// with an earlier version, disclosures, hit/no-hit queries and hits, access
// requests granted and denied, sightings, feedback, a Tor import, and
// checkpoints — the last followed by a few more leaves.
type world struct {
	st      *store.Store
	h       *hub.Hub
	notary  *evidence.Notary
	anchor  string // the checkpoint file
	a, b, c *policy.Caller
	recs    []string // 0 amber to org-b, updated; 1 green, revoked; 2 personal; 3 red, discoverable, granted to org-c
	report  string
	tokB    string // org-b's analyst token
	tokRev  string // a revoked token of org-b
	fb      string // feedback by org-b on recs[0]
	granted string // org-c's access request, approved
	denied  string // org-b's access request, denied
	hour    int64  // the hour of org-b's sightings of recs[0]
	lastCP  int64  // size of the newest checkpoint
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	canon, err := observable.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := evidence.GenerateKey("fusion.test/tamper")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, anchor: filepath.Join(t.TempDir(), "evidence", "checkpoints")}
	if w.notary, err = evidence.NewNotary(skey); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	log := evidence.New(st, w.notary, evidence.Config{Anchor: evidence.NewAnchor(w.anchor), Logger: quiet})
	t.Cleanup(log.Close)
	w.h = hub.New(st, canon, log, quiet)
	w.h.SetWarningLists(warninglist.Fictional())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	toks := map[string]string{}
	for _, o := range []string{"org-a", "org-b", "org-c"} {
		_, err := w.h.OperatorCreateOrg(ctx, o, o, "NL", "bank", o == "org-c")
		must(err)
		_, tok, err := w.h.OperatorIssueToken(ctx, o, intel.RoleAnalyst, "")
		must(err)
		toks[o] = tok.ID
	}
	w.tokB = toks["org-b"]
	_, rev, err := w.h.OperatorIssueToken(ctx, "org-b", intel.RoleReader, "old laptop")
	must(err)
	must(w.h.OperatorRevokeToken(ctx, rev.ID))
	w.tokRev = rev.ID
	_, err = w.h.OperatorCreateGroup(ctx, "grp", "g", "org-a")
	must(err)
	_, err = w.h.OperatorAddMember(ctx, "grp", "org-b")
	must(err)
	w.a = &policy.Caller{Org: "org-a", Role: intel.RoleAdmin, TokenID: toks["org-a"], Groups: []string{"grp"}}
	w.b = &policy.Caller{Org: "org-b", Role: intel.RoleAdmin, TokenID: toks["org-b"], Groups: []string{"grp"}, Purpose: "case 2026/117"}
	w.c = &policy.Caller{Org: "org-c", Role: intel.RoleAdmin, TokenID: toks["org-c"], Operator: true}

	res, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{
		{Value: "evil.example.com", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Labels: []string{"phishing"}},
		{Value: "192.0.2.9", TLP: "green", Labels: []string{"botnet-c2"}},
		{Value: "+12025550142", TLP: "green", Personal: ptr(true)},
		{Value: "c2.example.net", TLP: "red", Discoverable: ptr(true), Labels: []string{"botnet-c2"}},
	})
	must(err)
	for _, r := range res {
		must(r.Err)
		w.recs = append(w.recs, r.Value.ID)
	}
	conf := 90
	_, err = w.h.UpdateRecord(ctx, w.a, w.recs[0], intel.RecordPatch{Confidence: &conf})
	must(err)
	_, err = w.h.RevokeRecord(ctx, w.a, w.recs[1], "false positive")
	must(err)
	rep, err := w.h.CreateReport(ctx, w.a, intel.ReportInput{Title: "t", TLP: "amber", Audience: &intel.Audience{Orgs: []string{"org-b"}}, Records: w.recs[:1]})
	must(err)
	w.report = rep.ID
	title := "phishing wave"
	_, err = w.h.UpdateReport(ctx, w.a, w.report, intel.ReportPatch{Title: &title})
	must(err)
	_, err = w.h.GetRecord(ctx, w.b, w.recs[0]) // disclosures
	must(err)
	_, err = w.h.ListRecords(ctx, w.b, hub.RecordFilter{})
	must(err)
	_, err = w.h.GetReport(ctx, w.b, w.report)
	must(err)
	_, err = w.h.UpdateOrg(ctx, w.b, "org-b", hub.OrgSettings{AnonymousFeedback: ptr(true)})
	must(err)

	// Matching: hits, access requests, sightings, feedback.
	ix := match.New(16)
	if _, err := match.NewFeed(st, ix, nil).Load(ctx, nil); err != nil {
		t.Fatal(err)
	}
	must(w.h.EnableMatching(ix, bytes.Repeat([]byte{5}, 32), hub.DefaultLimits))
	ask := func(c *policy.Caller) string {
		ans, err := w.h.Hits(ctx, c, []string{"c2.example.net", "clean.example.org"})
		must(err)
		if len(ans[0].Hits) != 1 {
			t.Fatalf("%s got no hit: %+v", c.Org, ans[0])
		}
		return ans[0].Hits[0].Ref
	}
	g, err := w.h.RequestAccess(ctx, w.c, ask(w.c), "botnet takedown")
	must(err)
	w.granted = g.ID
	_, err = w.h.DecideAccess(ctx, w.a, w.granted, true, "agreed")
	must(err)
	d, err := w.h.RequestAccess(ctx, w.b, ask(w.b), "curiosity")
	must(err)
	w.denied = d.ID
	_, err = w.h.DecideAccess(ctx, w.a, w.denied, false, "no")
	must(err)
	at := time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC)
	w.hour = at.Unix() / 3600
	obs := []match.Observation{{Time: at, Kind: match.KindDomain, Value: "evil.example.com"}, {Time: at.Add(time.Minute), Kind: match.KindDomain, Value: "evil.example.com"}}
	_, err = w.h.RecordSightings(ctx, w.b, obs)
	must(err)
	_, err = w.h.RecordSightings(ctx, w.b, obs[:1]) // the same hour again: the row grows
	must(err)
	f, err := w.h.AddFeedback(ctx, w.b, w.recs[0], "blocked", "at the mail gateway")
	must(err)
	w.fb = f.ID

	// Tor data behind attribution verdicts.
	if _, err := os.Stat(torFixtures); err != nil {
		t.Skipf("Tor fixtures not available at %s: %v", torFixtures, err)
	}
	_, err = w.h.ImportTor(ctx, nil, []string{filepath.Join(torFixtures, "2017-07-17-17-00-00-consensus"), filepath.Join(torFixtures, "2017-07-17-17-02-00-exit-list")}, nil)
	must(err)

	// Checkpoints: one now, more leaves, the newest, then two disclosures.
	_, err = w.h.Evidence().Checkpoint(ctx)
	must(err)
	_, err = w.h.GetRecord(ctx, w.b, w.recs[0])
	must(err)
	cp, err := w.h.Evidence().Checkpoint(ctx)
	must(err)
	w.lastCP = cp.Size
	_, err = w.h.GetRecord(ctx, w.b, w.recs[0])
	must(err)
	_, err = w.h.GetReport(ctx, w.b, w.report)
	must(err)
	return w
}

func ptr[T any](v T) *T { return &v }

// verify runs Verify as `fusion evidence verify` does on the hub's own
// machine: with the key (MACs, signatures) and the checkpoint file.
func (w *world) verify(t *testing.T) *evidence.Report {
	t.Helper()
	return w.verifyWith(t, w.notary.MACKey(), w.trusted(t))
}

func (w *world) verifyWith(t *testing.T, macKey []byte, trusted []evidence.Trusted) *evidence.Report {
	t.Helper()
	rep, err := evidence.Verify(context.Background(), w.st, evidence.VerifyOptions{Verifier: w.notary.Verifier(), MACKey: macKey, Trusted: trusted})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// trusted reads the checkpoint file.
func (w *world) trusted(t *testing.T) []evidence.Trusted {
	t.Helper()
	cps, torn, err := evidence.NewAnchor(w.anchor).Read(w.notary.Verifier())
	if err != nil || torn != "" {
		t.Fatalf("checkpoint file: %v (torn %q)", err, torn)
	}
	var out []evidence.Trusted
	for i, cp := range cps {
		out = append(out, evidence.Trusted{Checkpoint: cp, Source: "checkpoint " + string(rune('1'+i)) + " in the checkpoint file"})
	}
	return out
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

func (w *world) size(t *testing.T) int64 {
	n, err := w.st.EvidenceSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func leafData(t *testing.T, st *store.Store, seq int64) []byte {
	t.Helper()
	var out []byte
	err := st.EvidenceLeaves(context.Background(), seq, seq+1, func(_ int64, d []byte) error { out = d; return nil })
	if err != nil || out == nil {
		t.Fatalf("leaf %d: %v", seq, err)
	}
	return out
}

// find returns the index of the first leaf with action.
func (w *world) find(t *testing.T, action evidence.Action) int64 {
	t.Helper()
	for seq := int64(0); seq < w.size(t); seq++ {
		if l, err := evidence.ParseLeaf(leafData(t, w.st, seq)); err == nil && l.Action == action {
			return seq
		}
	}
	t.Fatalf("no %s leaf", action)
	return -1
}

// rehash recomputes every stored tree hash from the (edited) leaves, as a
// careful forger with database access would.
func rehash(t *testing.T, w *world) {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	size := w.size(t)
	for n := int64(0); n < size; n++ {
		hs, err := tlog.StoredHashes(n, leafData(t, w.st, n), r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	w.exec(t, "DELETE FROM evidence_hashes")
	for i, h := range hashes {
		w.exec(t, "INSERT INTO evidence_hashes (idx, hash) VALUES (?, ?)", int64(i), h[:])
	}
}

// appendForged appends a leaf as a forger would: the next sequence number,
// the given MAC (nil for none), the log's size raised, every hash recomputed.
func appendForged(t *testing.T, w *world, leaf evidence.Leaf, mac []byte) int64 {
	t.Helper()
	seq := w.size(t)
	leaf.V, leaf.Seq, leaf.Time = evidence.Format, seq, time.Now().UTC().Truncate(time.Microsecond)
	data, err := leaf.Encode()
	if err != nil {
		t.Fatal(err)
	}
	w.exec(t, "INSERT INTO evidence_leaves (seq, data, mac) VALUES (?, ?, ?)", seq, data, mac)
	w.exec(t, "UPDATE evidence_head SET size = ?", seq+1)
	rehash(t, w)
	return seq
}

// rollback removes the newest n leaves, the checkpoints they covered, and
// their tree hashes, and lowers the log's size: a consistent older log.
func rollback(t *testing.T, w *world, n int64) {
	t.Helper()
	size := w.size(t) - n
	w.exec(t, "DELETE FROM evidence_leaves WHERE seq >= ?", size)
	w.exec(t, "DELETE FROM evidence_checkpoints WHERE size >= ?", size)
	w.exec(t, "DELETE FROM evidence_hashes WHERE idx >= ?", tlog.StoredHashCount(size))
	w.exec(t, "UPDATE evidence_head SET size = ?", size)
}
