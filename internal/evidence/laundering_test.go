package evidence_test

// Laundering: an edit made behind fusion's back must not be hidden by the
// next legitimate change of the same object, which starts from the edited
// state. Each change leaf records the hash of the content it changed
// (Object.Prev), so Verify sees the chain broken where the edit was made.
//
// Each case: the attacker's SQL, one ordinary action by a legitimate user,
// then `fusion evidence verify` (with the key and the checkpoint file) must
// name the object.

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/tor"
)

func TestTamperLaunderedByNextChange(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		edit  func(t *testing.T, w *world)
		legit func(t *testing.T, w *world)
		after func(t *testing.T, w *world) // shows the effect, optional
		want  string
	}{
		{
			// UPDATE orgs SET operator = TRUE WHERE id = 'org-b'; then org-b's
			// own admin flips its feedback setting (PATCH /api/v1/orgs/org-b):
			// the org.update leaf hashes operator:true. org-b now reads every
			// evidence entry and may import Tor data.
			name: "org made operator, then it changes its own setting",
			edit: func(t *testing.T, w *world) { w.exec(t, "UPDATE orgs SET operator = TRUE WHERE id = 'org-b'") },
			legit: func(t *testing.T, w *world) {
				if err := func() error {
					_, err := w.h.UpdateOrg(ctx, w.b, "org-b", hub.OrgSettings{AnonymousFeedback: ptr(false)})
					return err
				}(); err != nil {
					t.Fatal(err)
				}
			},
			want: "org org-b",
		},
		{
			// INSERT INTO group_members VALUES ('grp', 'org-c', 0); then the
			// owner removes another member: the group.remove-member leaf hashes
			// org-c as a member.
			name: "group member inserted, then the owner edits the group",
			edit: func(t *testing.T, w *world) {
				w.exec(t, "INSERT INTO group_members (group_id, org_id, added) VALUES ('grp', 'org-c', 0)")
			},
			legit: func(t *testing.T, w *world) {
				if _, err := w.h.RemoveGroupMember(ctx, w.a, "grp", "org-b"); err != nil {
					t.Fatal(err)
				}
			},
			want: "group grp",
		},
		{
			// INSERT INTO tor_exit_scans: a suspect's address becomes a Tor exit
			// on 2017-07-17 17:30 ("traffic came from an unknown Tor user");
			// the next `fusion tor import` hashes every Tor row into its leaf.
			name: "Tor exit invented, then the next import",
			edit: func(t *testing.T, w *world) {
				w.exec(t, "INSERT INTO tor_exit_scans (addr, fingerprint, seen, published, last_status) VALUES (?, ?, ?, ?, ?)",
					[]byte{198, 51, 100, 7}, strings.Repeat("AB", 20), int64(1500312600), int64(1500312000), int64(1500312000))
			},
			legit: func(t *testing.T, w *world) {
				if _, err := w.h.ImportTor(ctx, nil, []string{filepath.Join(torFixtures, "2017-04-15-00-00-00-consensus")}, nil); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, w *world) {
				d, err := tor.LoadDirectory(ctx, w.st)
				if err != nil {
					t.Fatal(err)
				}
				if d.IsExit(netip.MustParseAddr("198.51.100.7"), time.Unix(1500312600, 0)) {
					t.Log("effect: the directory now says 198.51.100.7 was a Tor exit at 2017-07-17 17:30 UTC")
				}
			},
			want: "Tor data",
		},
		{
			// UPDATE sightings SET count = count + 1000; then the sensor reports
			// one more event in that hour: the sighting leaf hashes the row as
			// RETURNING gives it, inflated count included.
			name: "sighting count inflated, then one more sighting that hour",
			edit: func(t *testing.T, w *world) { w.exec(t, "UPDATE sightings SET count = count + 1000") },
			legit: func(t *testing.T, w *world) {
				at := time.Unix(w.hour*3600+600, 0).UTC()
				if _, err := w.h.RecordSightings(ctx, w.b, []match.Observation{{Time: at, Kind: match.KindDomain, Value: "evil.example.com"}}); err != nil {
					t.Fatal(err)
				}
			},
			want: "sighting",
		},
		{
			// A record's audience is widened to org-c in records.body and
			// record_terms; the originator then edits the record (PATCH), which
			// copies the tampered body into record_versions and logs a new
			// version that keeps org-c; the attacker puts the genuine earlier
			// body back into record_versions. The AMBER record is now shared
			// with org-c, by a leaf signed by the hub.
			name: "record audience widened, then the owner edits it, then history restored",
			edit: func(t *testing.T, w *world) {
				w.exec(t, "UPDATE records SET body = ? WHERE id = ?", widened(t, w), w.recs[0])
				w.exec(t, "INSERT INTO record_terms (term, record_id) VALUES ('o:org-c', ?)", w.recs[0])
			},
			legit: func(t *testing.T, w *world) {
				conf := 50
				r, err := w.h.UpdateRecord(ctx, w.a, w.recs[0], intel.RecordPatch{Confidence: &conf})
				if err != nil {
					t.Fatal(err)
				}
				if !r.Audience.HasOrg("org-c") {
					t.Fatal("setup: the new version lost the widened audience")
				}
			},
			want: "record",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				w := newWorld(t, st)
				var genuineV2 []byte
				if strings.HasPrefix(c.name, "record audience") {
					genuineV2, _ = st.RecordBody(ctx, w.recs[0])
				}
				c.edit(t, w)
				if rep := w.verify(t); rep.OK() {
					t.Fatal("setup: verify did not even see the raw edit")
				}
				c.legit(t, w)
				if genuineV2 != nil { // restore the genuine version 2 in the history
					var r intel.Record
					if err := json.Unmarshal(genuineV2, &r); err != nil {
						t.Fatal(err)
					}
					w.exec(t, "UPDATE record_versions SET body = ? WHERE record_id = ? AND version = ?", string(genuineV2), w.recs[0], r.Version)
				}
				if c.after != nil {
					c.after(t, w)
				}
				if _, err := w.h.Evidence().Checkpoint(ctx); err != nil {
					t.Fatalf("the running hub refused to sign: %v", err) // it does not: the leaves are genuine
				}
				rep := w.verify(t)
				if rep.OK() {
					t.Errorf("an edit (%s) laundered by one legitimate action: verify says OK, the hub signed a checkpoint over it", c.want)
				}
			})
		})
	}
}

// widened returns recs[0]'s stored body with org-c added to its audience,
// as store.Encode writes it.
func widened(t *testing.T, w *world) string {
	t.Helper()
	body, err := w.st.RecordBody(context.Background(), w.recs[0])
	if err != nil {
		t.Fatal(err)
	}
	var r intel.Record
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	r.Audience.Orgs = append(r.Audience.Orgs, "org-c")
	enc, err := store.Encode(&r)
	if err != nil {
		t.Fatal(err)
	}
	return string(enc.Body)
}

// TestReviewRecordTimeColumnsNotCovered: records.updated (and created, and
// the value of revoked) are not compared with the record's body. The match
// index follows records.updated (store.RecordsChangedSince); one row with a
// far-future updated makes it skip every later record and revocation.
//
//	UPDATE records SET updated = 9000000000000000000 WHERE id = '<any record>';
func TestRecordTimeColumnsNotCovered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		ix := match.New(16)
		feed := match.NewFeed(st, ix, nil)
		if _, err := feed.Load(ctx, nil); err != nil {
			t.Fatal(err)
		}
		w.exec(t, "UPDATE records SET updated = 9000000000000000000, created = 0, revoked = CASE WHEN revoked IS NULL THEN NULL ELSE 1 END")
		if _, err := feed.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		before := ix.Len()
		if _, err := w.h.CreateRecords(ctx, w.a, []intel.RecordInput{{Value: "fresh.example.org", TLP: "green"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := feed.Poll(ctx); err != nil || ix.Len() != before {
			t.Logf("index grew from %d to %d (err %v)", before, ix.Len(), err)
		} else {
			t.Logf("effect: the match index no longer sees new records (or revocations): %d entries before and after a new record", before)
		}
		if rep := w.verify(t); rep.OK() {
			t.Error("records.updated/created/revoked edited on every record: verify says OK")
		}
	})
}
