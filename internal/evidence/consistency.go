package evidence

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/store"
)

// The running hub's checks, cheap enough to run at start-up, before every
// checkpoint and on a timer: the log has not shrunk, it agrees with the
// newest checkpoint in the database and in the anchor file, and every leaf
// appended since the last checkpoint carries a valid MAC and the tree
// hashes its bytes give. A failure halts the log (fail closed). The full
// recomputation is Verify.

// source reads leaves and stored hashes, in a transaction or not.
type source interface {
	leafMACs(from, to int64, fn func(seq int64, data, mac []byte) error) error
	hashes(idx []int64) (map[int64][]byte, error)
}

type storeSource struct {
	ctx context.Context
	st  *store.Store
}

func (s storeSource) leafMACs(from, to int64, fn func(int64, []byte, []byte) error) error {
	return s.st.EvidenceLeafMACs(s.ctx, from, to, fn)
}
func (s storeSource) hashes(idx []int64) (map[int64][]byte, error) {
	return s.st.EvidenceHashes(s.ctx, idx)
}

type txSource struct{ tx *store.Tx }

func (s txSource) leafMACs(from, to int64, fn func(int64, []byte, []byte) error) error {
	return s.tx.EvidenceLeafMACs(from, to, fn)
}
func (s txSource) hashes(idx []int64) (map[int64][]byte, error) { return s.tx.EvidenceHashes(idx) }

// hashReader reads stored hashes from src, remembering those it computed.
type hashReader struct {
	src   source
	known map[int64]tlog.Hash
}

func (r *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var missing []int64
	for _, x := range indexes {
		if _, ok := r.known[x]; !ok {
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		got, err := r.src.hashes(missing)
		if err != nil {
			return nil, err
		}
		for _, x := range missing {
			h, ok := got[x]
			if !ok || len(h) != tlog.HashSize {
				return nil, fmt.Errorf("%w: stored tree hash %d is missing", ErrInconsistent, x)
			}
			r.known[x] = tlog.Hash(h)
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = r.known[x]
	}
	return out, nil
}

// authenticate checks the leaves from <= seq < to: each is present, carries
// the MAC of its bytes and position, is a well-formed leaf of this format,
// and every stored tree hash it completes is the one its bytes give (the
// hashes of the leaves before from are taken as stored: they were checked
// against a signed checkpoint).
func (l *Log) authenticate(r *hashReader, from, to int64) error {
	if from >= to {
		return nil
	}
	src := r.src
	computed := map[int64]tlog.Hash{}
	m := newMACer(l.n.macKey)
	next := from
	err := src.leafMACs(from, to, func(seq int64, data, mac []byte) error {
		if seq != next {
			return fmt.Errorf("%w: leaf %d is missing: it was deleted outside fusion", ErrInconsistent, next)
		}
		next++
		if !hmac.Equal(mac, m.mac(seq, data)) {
			return fmt.Errorf("%w: leaf %d does not carry a valid MAC: it was written or edited outside fusion", ErrInconsistent, seq)
		}
		leaf, err := ParseLeaf(data)
		if err != nil {
			return fmt.Errorf("%w: leaf %d: %v", ErrInconsistent, seq, err)
		}
		if leaf.Seq != seq {
			return fmt.Errorf("%w: leaf %d says it is leaf %d", ErrInconsistent, seq, leaf.Seq)
		}
		hs, err := tlog.StoredHashes(seq, data, r)
		if err != nil {
			return err
		}
		first := tlog.StoredHashIndex(0, seq)
		for j, h := range hs {
			computed[first+int64(j)] = h
			r.known[first+int64(j)] = h // from here on, what the leaves give
		}
		return nil
	})
	if err != nil {
		return err
	}
	if next != to {
		return fmt.Errorf("%w: leaf %d is missing: it was deleted outside fusion", ErrInconsistent, next)
	}
	// Compare what the leaves give with what is stored, in chunks.
	idx := make([]int64, 0, len(computed))
	for x := range computed {
		if x >= tlog.StoredHashIndex(0, from) {
			idx = append(idx, x)
		}
	}
	for start := 0; start < len(idx); start += 500 {
		part := idx[start:min(start+500, len(idx))]
		stored, err := src.hashes(part)
		if err != nil {
			return err
		}
		for _, x := range part {
			h := computed[x]
			if s, ok := stored[x]; !ok || !bytes.Equal(s, h[:]) {
				level, n := tlog.SplitStoredHashIndex(x)
				return fmt.Errorf("%w: stored tree hash %d (level %d, node %d) does not match the leaves: a leaf or a hash was edited outside fusion", ErrInconsistent, x, level, n)
			}
		}
	}
	return nil
}

// agrees checks that the tree of size cp.Size, as the stored hashes give
// it, has cp's root, and that the log holds at least cp.Size leaves; what
// names where cp came from.
func agrees(r tlog.HashReader, size int64, cp Checkpoint, what string) error {
	if cp.Size > size {
		return fmt.Errorf("%w: the database's log holds %d entries, but %s is a signed checkpoint of %d entries (root %s): the log was rolled back or replaced",
			ErrInconsistent, size, what, cp.Size, b64(cp.Root))
	}
	if cp.Size == 0 {
		return nil
	}
	root, err := tlog.TreeHash(cp.Size, r)
	if err != nil {
		return fmt.Errorf("%w: the tree of %d entries cannot be computed from the stored hashes: %v", ErrInconsistent, cp.Size, err)
	}
	if root != cp.Root {
		return fmt.Errorf("%w: %s is a signed checkpoint of %d entries with root %s, but the database's log gives root %s for its first %d entries (it holds %d): the log was rewritten",
			ErrInconsistent, what, cp.Size, b64(cp.Root), b64(root), cp.Size, size)
	}
	return nil
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// checkHead checks a log of size (read in the same transaction as r)
// against what this process saw, the newest stored checkpoint, and the
// newest checkpoint in the anchor file.
func (l *Log) checkHead(r tlog.HashReader, size int64, latest *store.Checkpoint) error {
	if high := l.high.Load(); size < high {
		return fmt.Errorf("%w: the database's log holds %d entries, but this hub saw it hold %d: leaves were removed", ErrInconsistent, size, high)
	}
	if latest != nil {
		if size < latest.Size+1 {
			return fmt.Errorf("%w: the database's log holds %d entries, but its newest checkpoint, of %d entries, was logged as entry %d: the log was rolled back",
				ErrInconsistent, size, latest.Size, latest.Size)
		}
		cp, err := OpenCheckpoint([]byte(latest.Note), l.n.verifier)
		if err != nil {
			return fmt.Errorf("%w: the newest stored checkpoint (size %d) does not verify: %v", ErrInconsistent, latest.Size, err)
		}
		if cp.Size != latest.Size || !bytes.Equal(cp.Root[:], latest.Root) {
			return fmt.Errorf("%w: the newest stored checkpoint's size or root differs from its signed note: it was edited", ErrInconsistent)
		}
		if err := agrees(r, size, cp, "the newest checkpoint stored in the database"); err != nil {
			return err
		}
	}
	if l.anchor != nil {
		cp, ok, err := l.anchor.Newest(l.n.verifier)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInconsistent, err)
		}
		if ok {
			if err := agrees(r, size, cp, "the newest checkpoint in "+l.anchor.Path()); err != nil {
				return err
			}
			// A checkpoint is stored before it is written to the file.
			if latest == nil || latest.Size < cp.Size {
				held := "none"
				if latest != nil {
					held = fmt.Sprintf("one of %d entries", latest.Size)
				}
				return fmt.Errorf("%w: %s holds a signed checkpoint of %d entries (root %s), but the newest checkpoint in the database is %s: checkpoints were deleted or the database was replaced by an older copy",
					ErrInconsistent, l.anchor.Path(), cp.Size, b64(cp.Root), held)
			}
		}
	}
	return nil
}

// Open checks the log before a hub serves it: the database must hold every
// leaf of the newest checkpoint in the anchor file and agree with it, and
// the leaves since the newest stored checkpoint must authenticate. Stored
// checkpoints newer than the file's newest are appended to it (a crash
// between commit and append leaves the file behind). On failure the log is
// halted and the error names both sizes and roots.
func (l *Log) Open(ctx context.Context) error {
	if l.n == nil {
		return errors.New("evidence: no signing key")
	}
	if err := l.haltedBefore(); err != nil {
		return err
	}
	// The file first: a checkpoint another process signs after this reads
	// the database must not look like a rollback.
	if l.anchor != nil {
		if _, _, err := l.anchor.Newest(l.n.verifier); err != nil {
			return err
		}
	}
	size, err := l.st.EvidenceSize(ctx)
	if err != nil {
		return err
	}
	var latest *store.Checkpoint
	if c, err := l.st.LatestCheckpoint(ctx); err == nil {
		latest = &c
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	r := &hashReader{src: storeSource{ctx, l.st}, known: map[int64]tlog.Hash{}}
	if err := l.checkHead(r, size, latest); err != nil {
		l.Halt(err)
		return err
	}
	from := int64(0)
	if latest != nil {
		from = latest.Size
	}
	if err := l.authenticate(r, from, size); err != nil {
		l.Halt(err)
		return err
	}
	l.seen(size)
	if l.anchor != nil && latest != nil {
		newest, ok, err := l.anchor.Newest(l.n.verifier)
		if err != nil {
			return err
		}
		if !ok || newest.Size < latest.Size {
			cps, err := l.st.Checkpoints(ctx)
			if err != nil {
				return err
			}
			for _, c := range cps {
				if ok && c.Size <= newest.Size {
					continue
				}
				if _, err := OpenCheckpoint([]byte(c.Note), l.n.verifier); err != nil {
					continue // not ours: verify names it
				}
				if err := l.anchor.Append(c.Note); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Checkpoint returns a signed checkpoint of the whole log: a new one if the
// log grew since the latest (beyond that checkpoint's own leaf), else the
// latest. Each call first checks the log (checkHead) and authenticates the
// leaves the new checkpoint would cover; the root it signs is computed
// only from hashes those leaves give and from hashes of the earlier tree
// checked against the latest checkpoint's root, never taken from the store
// on trust. If anything is wrong it signs nothing, halts the log and
// returns an error wrapping ErrInconsistent. A new checkpoint is stored
// with its own leaf in one transaction, then appended to the anchor file.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	if err := l.Halted(); err != nil {
		return Checkpoint{}, err
	}
	if l.n == nil {
		return Checkpoint{}, errors.New("evidence: no signing key")
	}
	// Most of the new leaves are authenticated before taking the write lock;
	// the hashes they give are kept and used under it.
	from := int64(0)
	var latest0 *store.Checkpoint
	if c, err := l.st.LatestCheckpoint(ctx); err == nil {
		latest0, from = &c, c.Size
	} else if !errors.Is(err, store.ErrNotFound) {
		return Checkpoint{}, err
	}
	upto, err := l.st.EvidenceSize(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	known := map[int64]tlog.Hash{}
	if err := l.authenticate(&hashReader{src: storeSource{ctx, l.st}, known: known}, from, upto); err != nil {
		return Checkpoint{}, l.fail(err)
	}
	var out Checkpoint
	fresh := false
	err = l.st.Update(ctx, func(tx *store.Tx) error {
		size, err := tx.EvidenceSize()
		if err != nil {
			return err
		}
		var latest *store.Checkpoint
		if c, err := tx.LatestCheckpoint(); err == nil {
			latest = &c
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if latest != nil && (latest0 == nil || latest.Size != latest0.Size) {
			known = map[int64]tlog.Hash{} // another process signed meanwhile: start over under the lock
			from, upto = latest.Size, latest.Size
		}
		r := &hashReader{src: txSource{tx}, known: known}
		if err := l.checkHead(r, size, latest); err != nil {
			return err
		}
		if latest != nil && size == latest.Size+1 {
			out, err = OpenCheckpoint([]byte(latest.Note), l.n.verifier)
			return err
		}
		if err := l.authenticate(r, max(upto, from), size); err != nil {
			return err
		}
		// checkHead compared the latest checkpoint's root with the tree as r
		// gives it, and r now holds the hashes the leaves give: the root below
		// comes from nothing else.
		root, err := tlog.TreeHash(size, r)
		if err != nil {
			return err
		}
		signed, err := note.Sign(&note.Note{Text: checkpointText(l.n.Origin(), size, root)}, l.n.signer)
		if err != nil {
			return err
		}
		c := store.Checkpoint{Size: size, Root: root[:], Note: string(signed), Created: l.now().Truncate(time.Microsecond)}
		if err := tx.InsertCheckpoint(c); err != nil {
			return err
		}
		leaf := Leaf{Action: CheckpointSigned, Objects: []Object{ObjectOf(KindCheckpoint, fmt.Sprint(size), "", CheckpointContent(c))}}
		if err := l.Append(tx, leaf); err != nil {
			return err
		}
		out, fresh = Checkpoint{Origin: l.n.Origin(), Size: size, Root: root, Note: string(signed)}, true
		return nil
	})
	if err != nil {
		return Checkpoint{}, l.fail(err)
	}
	l.seen(out.Size + 1) // its own leaf
	if l.anchor != nil {
		// A new checkpoint goes to the file; so does one stored earlier that
		// an append failed to write.
		newest, ok, err := l.anchor.Newest(l.n.verifier)
		if err == nil && (fresh || !ok || newest.Size < out.Size) {
			err = l.anchor.Append(out.Note)
		}
		if err != nil {
			return out, fmt.Errorf("evidence: checkpoint of %d entries signed and stored, but not written to %s: %w", out.Size, l.anchor.Path(), err)
		}
	}
	return out, nil
}

// fail halts the log when err says it is inconsistent, and returns err.
func (l *Log) fail(err error) error {
	if errors.Is(err, ErrInconsistent) {
		l.Halt(err)
	}
	return err
}
