package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/intel"
	"fusion/internal/store"
)

// Report is what Verify found.
type Report struct {
	Size        int64    `json:"size"`
	Checkpoints int      `json:"checkpoints"`
	Objects     int      `json:"objects"`
	Problems    []string `json:"problems"`
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// latest is the newest change leaf about an object.
type latest struct {
	seq int64
	obj Object
}

// Verify recomputes the whole tree from the stored leaves, compares it with
// the stored hashes and every stored checkpoint (whose signatures it checks
// with v, if v is not nil), and checks that the current content of every
// record, report, organization, group and token hashes to what its latest
// leaf says. Every discrepancy is reported by name; an error means the
// check itself could not run.
func Verify(ctx context.Context, st *store.Store, v note.Verifier) (*Report, error) {
	rep := &Report{Problems: []string{}}
	size, err := st.EvidenceSize(ctx)
	if err != nil {
		return nil, err
	}
	rep.Size = size

	// 1. Leaves: present, in order, canonical, and rehashed.
	hashes := make([]tlog.Hash, 0, 2*size+1)
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
	changes := map[string]latest{} // kind/id -> newest change leaf
	missing := map[int64]bool{}
	next := int64(0)
	addLeaf := func(seq int64, data []byte) error {
		hs, err := tlog.StoredHashes(seq, data, mem)
		if err != nil {
			return err
		}
		hashes = append(hashes, hs...)
		return nil
	}
	err = st.EvidenceLeaves(ctx, 0, 1<<62, func(seq int64, data []byte) error {
		if seq >= size {
			rep.add("leaf %d exists beyond the log's size %d: it was inserted outside fusion", seq, size)
			return nil
		}
		for ; next < seq; next++ {
			rep.add("leaf %d is missing: it was deleted", next)
			missing[next] = true
			if err := addLeaf(next, nil); err != nil { // keep positions; the hashes will not match
				return err
			}
		}
		next = seq + 1
		leaf, err := ParseLeaf(data)
		switch {
		case err != nil:
			rep.add("leaf %d is damaged: %v", seq, err)
		case leaf.Seq != seq:
			rep.add("leaf %d says it is leaf %d: it was moved or edited", seq, leaf.Seq)
		default:
			if leaf.Action != Disclose {
				for _, o := range leaf.Objects {
					changes[o.Kind+"/"+o.ID] = latest{seq: seq, obj: o}
				}
			}
		}
		return addLeaf(seq, data)
	})
	if err != nil {
		return nil, err
	}
	for ; next < size; next++ {
		rep.add("leaf %d is missing: it was deleted", next)
		missing[next] = true
		if err := addLeaf(next, nil); err != nil {
			return nil, err
		}
	}

	// 2. Stored hashes against the recomputed ones.
	want := tlog.StoredHashCount(size)
	seen := int64(0)
	err = st.AllEvidenceHashes(ctx, func(idx int64, h []byte) error {
		switch {
		case idx >= want:
			rep.add("stored tree hash %d is beyond the log's size: it was inserted outside fusion", idx)
		case !bytes.Equal(h, hashes[idx][:]):
			level, n := tlog.SplitStoredHashIndex(idx)
			if level == 0 && missing[n] {
				break // reported as missing
			}
			if level == 0 {
				rep.add("leaf %d does not match the hash stored when it was logged: the leaf or its hash was edited", n)
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

	// 3. Checkpoints against the recomputed tree.
	cps, err := st.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rep.Checkpoints = len(cps)
	for _, c := range cps {
		var cp Checkpoint
		if v != nil {
			cp, err = OpenCheckpoint([]byte(c.Note), v)
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
			rep.add("checkpoint at size %d: its stored size or root differs from its signed note: it was edited", c.Size)
		case cp.Size > size:
			rep.add("checkpoint at size %d is beyond the log's size %d: leaves were removed", cp.Size, size)
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

	// 4. Objects against their latest leaves.
	check := func(kind, id string, content []byte) {
		rep.Objects++
		l, ok := changes[kind+"/"+id]
		delete(changes, kind+"/"+id)
		switch {
		case !ok && len(missing) > 0:
			rep.add("%s %s has no evidence entry: it was inserted outside fusion, or its entry was among the deleted leaves", kind, id)
		case !ok:
			rep.add("%s %s has no evidence entry: it was inserted outside fusion", kind, id)
		case l.obj.SHA256 != Sum(content):
			rep.add("%s %s was changed outside fusion: its content does not match evidence leaf %d", kind, id, l.seq)
		}
	}
	if err := verifyRecords(ctx, st, rep, check); err != nil {
		return nil, err
	}
	ids, err := st.ReportIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		r, err := st.Report(ctx, id)
		if err != nil {
			rep.add("report %s cannot be read: %v", id, err)
			continue
		}
		c, err := ReportContent(r)
		if err != nil {
			return nil, err
		}
		check(KindReport, id, c)
	}
	orgs, err := st.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		c, err := OrgContent(o)
		if err != nil {
			return nil, err
		}
		check(KindOrg, o.ID, c)
	}
	groups, err := st.Groups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		c, err := GroupContent(g)
		if err != nil {
			return nil, err
		}
		check(KindGroup, g.ID, c)
	}
	toks, err := st.AllTokens(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range toks {
		c, err := TokenContent(t.Token, t.Hash)
		if err != nil {
			return nil, err
		}
		check(KindToken, t.ID, c)
	}
	gone := make([]string, 0, len(changes))
	for k, l := range changes {
		gone = append(gone, fmt.Sprintf("%s (last logged in leaf %d) was deleted outside fusion", strings.Replace(k, "/", " ", 1), l.seq))
	}
	slices.Sort(gone)
	rep.Problems = append(rep.Problems, gone...)
	return rep, nil
}

// verifyRecords checks each record row: body against its leaf, and the
// indexed columns and lookup terms against the body.
func verifyRecords(ctx context.Context, st *store.Store, rep *Report, check func(kind, id string, content []byte)) error {
	terms, err := st.RecordTerms(ctx)
	if err != nil {
		return err
	}
	err = st.ScanRecordRows(ctx, func(row store.RecordRow) error {
		check(KindRecord, row.ID, row.Body)
		var r intel.Record
		if err := json.Unmarshal(row.Body, &r); err != nil {
			rep.add("record %s: its body is not a record: %v", row.ID, err)
			return nil
		}
		cols := []struct {
			name       string
			col, field any
		}{
			{"id", row.ID, r.ID}, {"type", row.Type, string(r.Type)}, {"value", row.Value, r.Value},
			{"originator", row.Originator, r.Originator}, {"tlp", row.TLP, string(r.TLP)},
			{"personal", row.Personal, r.Personal}, {"discoverable", row.Discoverable, r.Discoverable},
			{"revoked", row.Revoked.Valid, r.Revoked != nil}, {"version", row.Version, r.Version},
		}
		for _, c := range cols {
			if c.col != c.field {
				rep.add("record %s: column %s says %v but its content says %v: the row was edited outside fusion", row.ID, c.name, c.col, c.field)
			}
		}
		want := store.Terms(r.Audience, r.Labels)
		slices.Sort(want)
		if got := terms[row.ID]; !slices.Equal(got, want) {
			rep.add("record %s: its lookup terms %v do not match its audience and labels %v: they were edited outside fusion", row.ID, got, want)
		}
		delete(terms, row.ID)
		return nil
	})
	if err != nil {
		return err
	}
	for id := range terms {
		rep.add("lookup terms exist for record %s, which does not exist", id)
	}
	return nil
}
