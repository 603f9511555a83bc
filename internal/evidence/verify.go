package evidence

import (
	"bytes"
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/intel"
	"fusion/internal/store"
)

// Report is what Verify found.
type Report struct {
	Size        int64 `json:"size"`
	Checkpoints int   `json:"checkpoints"`
	// Trusted counts the checkpoints from outside the database (the anchor
	// file, --trusted) the log was checked against.
	Trusted int `json:"trusted"`
	Objects int `json:"objects"`
	// Unchecked says what could not be checked, and why.
	Unchecked []string `json:"unchecked"`
	Problems  []string `json:"problems"`
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Trusted is a checkpoint obtained outside the database, and where from.
type Trusted struct {
	Checkpoint Checkpoint
	Source     string
}

// VerifyOptions say what Verify checks against.
type VerifyOptions struct {
	// Verifier checks checkpoint signatures; nil leaves them unchecked.
	Verifier note.Verifier
	// MACKey checks every leaf's MAC; nil leaves MACs unchecked.
	MACKey []byte
	// Trusted are checkpoints from outside the database: the log must
	// hold every leaf each covers and agree with its root.
	Trusted []Trusted
}

// ErrNoLog means the store holds no evidence log to verify: it is empty.
var ErrNoLog = errors.New("the store holds no evidence log (no entry was ever written)")

// changes is the state the leaves give each object: its newest change leaf
// and, for records and reports, the content hash of every change in order
// (version k is the k-th).
type objState struct {
	seq  int64
	sum  string
	sums []string
}

// Verify recomputes the whole tree from the stored leaves and checks:
// every leaf's MAC and meaning; every stored tree hash; every stored
// checkpoint (signature, and that it matches the recomputed tree); every
// trusted checkpoint; and every row of every table the log covers against
// the newest leaf that changed it — records and their history and lookup
// terms, reports and their history, links and terms, organizations,
// groups and members, tokens, sightings, feedback, access requests,
// hit/no-hit queries, Tor imports and the Tor data, checkpoints and
// witnessed logs — and that no object a leaf changed is missing. Every
// discrepancy is reported by name; an error means the check itself could
// not run, or that there is nothing to verify (ErrNoLog).
func Verify(ctx context.Context, st *store.Store, opt VerifyOptions) (*Report, error) {
	var rep *Report
	err := st.Snapshot(ctx, func(snap *store.Store) error {
		var err error
		rep, err = verify(ctx, snap, opt)
		return err
	})
	return rep, err
}

// maxGap bounds the run of missing leaves Verify still recomputes the tree
// over (each stands in as an empty leaf); beyond it the tree is not
// recomputed and the report says why.
const maxGap = 1 << 22

// verify is Verify inside one snapshot of the database.
func verify(ctx context.Context, st *store.Store, opt VerifyOptions) (*Report, error) {
	rep := &Report{Unchecked: []string{}, Problems: []string{}}
	size, err := st.EvidenceSize(ctx)
	if err != nil {
		return nil, err
	}
	rep.Size = size
	count, _, last, err := st.EvidenceLeafStats(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case size < 0:
		rep.add("the log's recorded size is %d: it was edited outside fusion", size)
		size = 0
	case size > last+1 && size-count > maxGap:
		rep.add("the log's recorded size is %d, but it holds %d leaves, the last of them leaf %d: the size was raised outside fusion, or leaves were deleted", size, count, last)
		size = last + 1
	}
	if size-count > maxGap {
		rep.add("%d of the log's %d leaves are missing: they were deleted outside fusion; the tree is not recomputed", size-count, size)
		rep.Unchecked = append(rep.Unchecked, "the tree, its stored hashes and checkpoints: too many leaves are missing")
		size = 0
	}
	if opt.Verifier == nil {
		rep.Unchecked = append(rep.Unchecked, "checkpoint signatures: no verifier key")
	}
	if opt.MACKey == nil {
		rep.Unchecked = append(rep.Unchecked, "leaf MACs: no signing key (the MAC key is derived from it), so a leaf forged by someone who could write the database is caught only by a checkpoint signed after it")
	}

	// 1. Leaves: present, in order, authentic, well formed, rehashed.
	hashes := make([]tlog.Hash, 0, 2*min(size, count)+1)
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(hashes)) {
				return nil, fmt.Errorf("hash %d not computed", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	changes := map[string]*objState{}
	missing := map[int64]bool{}
	next := int64(0)
	var oldFormat, oldFirst int64 = 0, -1
	addLeaf := func(seq int64, data []byte) error {
		hs, err := tlog.StoredHashes(seq, data, mem)
		if err != nil {
			return err
		}
		hashes = append(hashes, hs...)
		return nil
	}
	var macs *macer
	if opt.MACKey != nil {
		macs = newMACer(opt.MACKey)
	}
	err = st.EvidenceLeafMACs(ctx, -1<<62, 1<<62, func(seq int64, data, mac []byte) error {
		if seq < 0 {
			rep.add("leaf %d exists, at a position no log has: it was inserted outside fusion", seq)
			return nil
		}
		if seq >= size {
			rep.add("leaf %d exists beyond the log's size %d: it was inserted outside fusion, or the log's size was lowered", seq, size)
			return nil
		}
		for ; next < seq; next++ {
			rep.add("leaf %d is missing: it was deleted outside fusion", next)
			missing[next] = true
			if err := addLeaf(next, nil); err != nil { // keep positions; the hashes will not match
				return err
			}
		}
		next = seq + 1
		if opt.MACKey != nil {
			switch {
			case mac == nil:
				rep.add("leaf %d has no MAC: it was written outside fusion", seq)
			case !hmac.Equal(mac, macs.mac(seq, data)):
				rep.add("leaf %d does not carry a valid MAC: it was written or edited outside fusion", seq)
			}
		}
		leaf, err := ParseLeaf(data)
		switch {
		case errors.Is(err, ErrFormat):
			if oldFirst < 0 {
				oldFirst = seq
			}
			oldFormat++
		case err != nil:
			rep.add("leaf %d is damaged: %v", seq, err)
		case leaf.Seq != seq:
			rep.add("leaf %d says it is leaf %d: it was moved or edited outside fusion", seq, leaf.Seq)
		default:
			for _, o := range leaf.Objects {
				if leaf.Role(o) != Changed {
					continue
				}
				k := o.Kind + "/" + o.ID
				s := changes[k]
				switch {
				case s == nil && o.Prev != "":
					rep.add("%s %s was inserted outside fusion: leaf %d records a change from content no earlier leaf logged", o.Kind, o.ID, seq)
				case s != nil && o.Prev == "":
					rep.add("%s %s was deleted outside fusion before leaf %d created it again (evidence leaf %d had logged it)", o.Kind, o.ID, seq, s.seq)
				case s != nil && o.Prev != s.sum:
					rep.add("%s %s was changed outside fusion before leaf %d: the change it records started from content that does not match evidence leaf %d", o.Kind, o.ID, seq, s.seq)
				}
				if s == nil {
					s = &objState{}
					changes[k] = s
				}
				s.seq, s.sum = seq, o.SHA256
				if o.Kind == KindRecord || o.Kind == KindReport {
					s.sums = append(s.sums, o.SHA256)
				}
			}
		}
		return addLeaf(seq, data)
	})
	if err != nil {
		return nil, err
	}
	for ; next < size; next++ {
		rep.add("leaf %d is missing: it was deleted outside fusion", next)
		missing[next] = true
		if err := addLeaf(next, nil); err != nil {
			return nil, err
		}
	}
	if oldFormat > 0 {
		rep.add("%d leaves (the first is leaf %d) are in evidence format 1, written by a fusion older than 2026-11-30: this version cannot check what they cover; verify this log with the fusion that wrote it, and start a new data directory", oldFormat, oldFirst)
	}

	// 2. Stored hashes against the recomputed ones.
	want := tlog.StoredHashCount(size)
	seen := int64(0)
	err = st.AllEvidenceHashes(ctx, func(idx int64, h []byte) error {
		switch {
		case idx < 0:
			rep.add("stored tree hash %d is at a position no tree has: it was inserted outside fusion", idx)
			return nil
		case idx >= want:
			rep.add("stored tree hash %d is beyond the log's size: it was inserted outside fusion", idx)
		case !bytes.Equal(h, hashes[idx][:]):
			level, n := tlog.SplitStoredHashIndex(idx)
			if level == 0 && missing[n] {
				break // reported as missing
			}
			if level == 0 {
				rep.add("leaf %d does not match the hash stored when it was logged: the leaf or its hash was edited outside fusion", n)
			} else {
				rep.add("stored tree hash %d (level %d, leaves %d to %d) does not match the leaves", idx, level, n<<level, (n+1)<<level-1)
			}
		}
		if idx < want {
			seen++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if seen != want {
		rep.add("%d stored tree hashes are missing", want-seen)
	}

	// 3. Stored checkpoints against the recomputed tree.
	cps, err := st.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rep.Checkpoints = len(cps)
	for _, c := range cps {
		var cp Checkpoint
		if opt.Verifier != nil {
			cp, err = OpenCheckpoint([]byte(c.Note), opt.Verifier)
			if err != nil {
				rep.add("checkpoint at size %d: %v", c.Size, err)
				continue
			}
		} else {
			text, _, _ := strings.Cut(c.Note, "\n\n")
			if cp, err = ParseCheckpointText(text + "\n"); err != nil {
				rep.add("checkpoint at size %d: %v", c.Size, err)
				continue
			}
		}
		switch {
		case cp.Size != c.Size || !bytes.Equal(cp.Root[:], c.Root):
			rep.add("checkpoint at size %d: its stored size or root differs from its signed note: it was edited outside fusion", c.Size)
		case cp.Size > size:
			rep.add("checkpoint at size %d is beyond the log's size %d: leaves were removed outside fusion", cp.Size, size)
		default:
			root, err := tlog.TreeHash(cp.Size, mem)
			if err != nil {
				return nil, err
			}
			if root != cp.Root {
				rep.add("checkpoint at size %d does not match the log: entries before %d were rewritten after it was signed", cp.Size, cp.Size)
			}
		}
	}

	// 4. Checkpoints from outside the database. Each was stored when it was
	// signed, so each must also still be in the database.
	stored := map[int64]bool{}
	for _, c := range cps {
		stored[c.Size] = true
	}
	for _, t := range opt.Trusted {
		rep.Trusted++
		cp := t.Checkpoint
		if cp.Size > size {
			rep.add("the log holds %d entries, but %s is a signed checkpoint of %d entries: the log was rolled back (entries %d to %d were removed) or replaced", size, t.Source, cp.Size, size, cp.Size-1)
			continue
		}
		if cp.Size == 0 {
			continue
		}
		root, err := tlog.TreeHash(cp.Size, mem)
		if err != nil {
			return nil, err
		}
		if root != cp.Root {
			rep.add("%s is a signed checkpoint of %d entries with root %s, but the log's first %d entries give root %s: the log was rewritten", t.Source, cp.Size, b64(cp.Root), cp.Size, b64(root))
			continue
		}
		if !stored[cp.Size] {
			rep.add("%s is a signed checkpoint of %d entries, but the database holds no checkpoint of that size: checkpoints were deleted outside fusion", t.Source, cp.Size)
		}
	}
	if rep.Size == 0 && count == 0 {
		return rep, ErrNoLog
	}

	// 5. Every covered row against its newest change leaf.
	v := &objects{rep: rep, changes: changes, missingLeaves: len(missing) > 0}
	for _, step := range []func(context.Context, *store.Store) error{
		v.records, v.recordVersions, v.reports, v.reportVersions, v.orgs, v.groups, v.tokens, v.users, v.smsApps, v.rulePackages, v.actionDays, v.actionDayBookings,
		v.sightings, v.feedback, v.accessRequests, v.hitQueries, v.torImports, v.torData, v.checkpoints, v.witnessLogs,
	} {
		if err := step(ctx, st); err != nil {
			return nil, err
		}
	}
	gone := make([]string, 0, len(changes))
	for k, s := range changes {
		gone = append(gone, fmt.Sprintf("%s (last logged in leaf %d) was deleted outside fusion", strings.Replace(k, "/", " ", 1), s.seq))
	}
	slices.Sort(gone)
	rep.Problems = append(rep.Problems, gone...)
	return rep, nil
}

// objects checks rows against the change leaves; each row checked is
// removed from changes, so that what remains was deleted.
type objects struct {
	rep           *Report
	changes       map[string]*objState
	missingLeaves bool
	// hist and reportHist hold, per record or report with earlier
	// versions, the content hash of every change in order.
	hist, reportHist map[string][]string
}

// check compares an object's content with its newest change leaf and
// returns that leaf's state (nil if there is none).
func (v *objects) check(kind, id string, content []byte) *objState {
	return v.checkSum(kind, id, Sum(content))
}

func (v *objects) checkSum(kind, id, sum string) *objState {
	v.rep.Objects++
	k := kind + "/" + id
	s, ok := v.changes[k]
	delete(v.changes, k)
	switch {
	case !ok && v.missingLeaves:
		v.rep.add("%s %s has no evidence entry: it was inserted outside fusion, or its entry was among the deleted leaves", kind, id)
	case !ok:
		v.rep.add("%s %s has no evidence entry: it was inserted outside fusion", kind, id)
	case s.sum != sum:
		v.rep.add("%s %s was changed outside fusion: its content does not match evidence leaf %d", kind, id, s.seq)
	}
	return s
}

func (v *objects) records(ctx context.Context, st *store.Store) error {
	terms, err := st.RecordTerms(ctx)
	if err != nil {
		return err
	}
	hist := map[string][]string{}
	err = st.ScanRecordRows(ctx, func(row store.RecordRow) error {
		if s := v.check(KindRecord, row.ID, row.Body); s != nil && len(s.sums) > 1 {
			hist[row.ID] = s.sums
		}
		var r intel.Record
		if err := json.Unmarshal(row.Body, &r); err != nil {
			v.rep.add("record %s: its body is not a record: %v", row.ID, err)
			return nil
		}
		revoked := int64(-1)
		if r.Revoked != nil {
			revoked = r.Revoked.UnixMicro()
		}
		cols := []struct {
			name       string
			col, field any
		}{
			{"id", row.ID, r.ID}, {"type", row.Type, string(r.Type)}, {"value", row.Value, r.Value},
			{"originator", row.Originator, r.Originator}, {"tlp", row.TLP, string(r.TLP)},
			{"personal", row.Personal, r.Personal}, {"discoverable", row.Discoverable, r.Discoverable},
			{"revoked", nullMicros(row.Revoked), revoked}, {"version", row.Version, r.Version},
			{"created", row.Created, r.Created.UnixMicro()}, {"updated", row.Updated, r.Updated.UnixMicro()},
		}
		for _, c := range cols {
			if c.col != c.field {
				v.rep.add("record %s: column %s says %v but its content says %v: the row was edited outside fusion", row.ID, c.name, c.col, c.field)
			}
		}
		want := store.Terms(r.Audience, r.Labels, r.Tags)
		slices.Sort(want)
		got := terms[row.ID]
		slices.Sort(got) // in byte order, whatever the database's collation
		if !slices.Equal(got, want) {
			v.rep.add("record %s: its lookup terms %v do not match its audience, labels and tags %v: they were edited outside fusion", row.ID, got, want)
		}
		delete(terms, row.ID)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range sortedKeys(terms) {
		v.rep.add("lookup terms %v exist for record %s, which does not exist: they were inserted outside fusion", terms[id], id)
	}
	v.hist = hist
	return nil
}

func (v *objects) recordVersions(ctx context.Context, st *store.Store) error {
	return v.versions(KindRecord, v.hist, func(fn func(store.VersionRow) error) error { return st.ScanRecordVersions(ctx, fn) },
		func(r store.VersionRow) []byte { return r.Body })
}

func (v *objects) reportVersions(ctx context.Context, st *store.Store) error {
	return v.versions(KindReport, v.reportHist, func(fn func(store.VersionRow) error) error { return st.ScanReportVersions(ctx, fn) },
		func(r store.VersionRow) []byte { return ReportContent(r.Body, r.Records) })
}

// versions checks the earlier versions of records or reports: version k
// must hash to the k-th change leaf of its object, and every version
// before the current one must be there.
func (v *objects) versions(kind string, hist map[string][]string, scan func(func(store.VersionRow) error) error, content func(store.VersionRow) []byte) error {
	seen := map[string]map[int]bool{}
	err := scan(func(r store.VersionRow) error {
		v.rep.Objects++
		sums, ok := hist[r.ID]
		switch {
		case !ok || r.Version < 1 || r.Version >= len(sums):
			v.rep.add("%s %s: version %d in its history has no evidence entry: it was inserted outside fusion", kind, r.ID, r.Version)
		case Sum(content(r)) != sums[r.Version-1]:
			v.rep.add("%s %s: version %d in its history was changed outside fusion: it does not match the evidence of that version", kind, r.ID, r.Version)
		}
		if seen[r.ID] == nil {
			seen[r.ID] = map[int]bool{}
		}
		seen[r.ID][r.Version] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range sortedKeys(hist) {
		for k := 1; k < len(hist[id]); k++ {
			if !seen[id][k] {
				v.rep.add("%s %s: version %d is missing from its history: it was deleted outside fusion", kind, id, k)
			}
		}
	}
	return nil
}

func (v *objects) reports(ctx context.Context, st *store.Store) error {
	hist := map[string][]string{}
	err := st.ScanReportRows(ctx, func(row store.ReportRow) error {
		if row.Body == nil {
			v.rep.add("report %s does not exist, yet it has record links %v and terms %v: they were inserted outside fusion", row.ID, row.Records, row.Terms)
			return nil
		}
		if s := v.check(KindReport, row.ID, ReportContent(row.Body, row.Records)); s != nil && len(s.sums) > 1 {
			hist[row.ID] = s.sums
		}
		var r struct {
			ID         string         `json:"id"`
			Originator string         `json:"originator"`
			TLP        string         `json:"tlp"`
			Version    int            `json:"version"`
			Revoked    *time.Time     `json:"revoked"`
			Created    time.Time      `json:"created"`
			Updated    time.Time      `json:"updated"`
			Audience   intel.Audience `json:"audience"`
			Tags       []string       `json:"tags"`
			Source     *intel.Source  `json:"source"`
		}
		if err := json.Unmarshal(row.Body, &r); err != nil {
			v.rep.add("report %s: its body is not a report: %v", row.ID, err)
			return nil
		}
		cols := []struct {
			name       string
			col, field any
		}{
			{"id", row.ID, r.ID}, {"originator", row.Originator, r.Originator}, {"tlp", row.TLP, r.TLP},
			{"version", row.Version, r.Version}, {"revoked", row.Revoked != nil, r.Revoked != nil},
			{"created", row.Created.UnixMicro(), r.Created.UnixMicro()}, {"updated", row.Updated.UnixMicro(), r.Updated.UnixMicro()},
		}
		for _, c := range cols {
			if c.col != c.field {
				v.rep.add("report %s: column %s says %v but its content says %v: the row was edited outside fusion", row.ID, c.name, c.col, c.field)
			}
		}
		want := store.ReportTerms(&intel.Report{ID: r.ID, Audience: r.Audience, Tags: r.Tags, Source: r.Source})
		slices.Sort(want)
		slices.Sort(row.Terms)
		if !slices.Equal(row.Terms, want) {
			v.rep.add("report %s: its lookup terms %v do not match its audience, tags and source %v: they were edited outside fusion", row.ID, row.Terms, want)
		}
		return nil
	})
	v.reportHist = hist
	return err
}

func (v *objects) orgs(ctx context.Context, st *store.Store) error {
	return st.ScanOrgRows(ctx, func(o store.OrgRow) error { v.check(KindOrg, o.ID, OrgContent(o)); return nil })
}

func (v *objects) groups(ctx context.Context, st *store.Store) error {
	return st.ScanGroupRows(ctx, func(g store.GroupRow) error {
		if g.Name == "" && g.Owner == "" {
			v.rep.add("group %s does not exist, yet it has members: they were inserted outside fusion", g.ID)
			return nil
		}
		v.check(KindGroup, g.ID, GroupContent(g))
		return nil
	})
}

func (v *objects) tokens(ctx context.Context, st *store.Store) error {
	return st.ScanTokenRows(ctx, func(t store.TokenRow) error { v.check(KindToken, t.ID, TokenContent(t)); return nil })
}

func (v *objects) users(ctx context.Context, st *store.Store) error {
	return st.ScanUserRows(ctx, func(u store.UserRow) error { v.check(KindUser, u.ID, UserContent(u)); return nil })
}

func (v *objects) smsApps(ctx context.Context, st *store.Store) error {
	return st.ScanSMSAppRows(ctx, func(r store.SMSAppRow) error {
		v.check(KindSMSApp, SMSAppID(r.Org, r.App), SMSAppContent(r))
		return nil
	})
}

func (v *objects) actionDays(ctx context.Context, st *store.Store) error {
	return st.ScanActionDayRows(ctx, func(r store.ActionDayRow) error {
		v.check(KindActionDay, r.ID, ActionDayContent(r))
		return nil
	})
}

func (v *objects) actionDayBookings(ctx context.Context, st *store.Store) error {
	return st.ScanActionDayBookingRows(ctx, func(r store.ActionDayBookingRow) error {
		v.check(KindBooking, BookingID(r.ActionDay, r.Org, r.BookingID), ActionDayBookingContent(r))
		return nil
	})
}

func (v *objects) rulePackages(ctx context.Context, st *store.Store) error {
	return st.ScanRulePackageRows(ctx, func(r store.RulePackageRow) error {
		v.check(KindRulePackage, RulePackageID(r.ID, r.Version), RulePackageContent(r))
		return nil
	})
}

func (v *objects) sightings(ctx context.Context, st *store.Store) error {
	return st.ScanSightings(ctx, func(s store.Sighting) error { v.check(KindSighting, SightingID(s), SightingContent(s)); return nil })
}

func (v *objects) feedback(ctx context.Context, st *store.Store) error {
	return st.ScanFeedback(ctx, func(f store.Feedback) error { v.check(KindFeedback, f.ID, FeedbackContent(f)); return nil })
}

func (v *objects) accessRequests(ctx context.Context, st *store.Store) error {
	return st.ScanAccessRequests(ctx, func(a store.AccessRequest) error {
		v.check(KindAccessRequest, a.ID, AccessRequestContent(a))
		return nil
	})
}

func (v *objects) hitQueries(ctx context.Context, st *store.Store) error {
	return st.ScanHitQueries(ctx, func(q store.HitQuery) error { v.check(KindHitQuery, q.ID, HitQueryContent(q)); return nil })
}

func (v *objects) torImports(ctx context.Context, st *store.Store) error {
	return st.ScanTorImports(ctx, func(x store.TorImport) error { v.check(KindTorImport, x.ID, TorImportContent(x)); return nil })
}

func (v *objects) torData(ctx context.Context, st *store.Store) error {
	c, s, err := st.TorState(ctx)
	if err != nil {
		return err
	}
	_, logged := v.changes[KindTorData+"/"+TorDataID]
	if !logged && c == 0 && s == 0 {
		return nil
	}
	d, err := st.TorDigest(ctx)
	if err != nil {
		return err
	}
	if !logged {
		v.rep.Objects++
		v.rep.add("Tor data (%d consensuses, %d exit scans) exists without any import in the evidence log: it was inserted outside fusion", c, s)
		return nil
	}
	if st := v.checkSum(KindTorData, TorDataID, hex.EncodeToString(d[:])); st != nil && st.sum != hex.EncodeToString(d[:]) {
		v.rep.Problems[len(v.rep.Problems)-1] = fmt.Sprintf("the Tor data was changed outside fusion: its rows do not match what the import in evidence leaf %d left", st.seq)
	}
	return nil
}

func (v *objects) checkpoints(ctx context.Context, st *store.Store) error {
	cps, err := st.Checkpoints(ctx)
	if err != nil {
		return err
	}
	for _, c := range cps {
		v.check(KindCheckpoint, fmt.Sprint(c.Size), CheckpointContent(c))
	}
	return nil
}

func (v *objects) witnessLogs(ctx context.Context, st *store.Store) error {
	return st.ScanWitnessLogs(ctx, func(w store.WitnessLog) error { v.check(KindWitnessLog, w.Origin, WitnessLogContent(w)); return nil })
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func nullMicros(n sql.NullInt64) int64 {
	if !n.Valid {
		return -1
	}
	return n.Int64
}
