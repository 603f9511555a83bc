package evidence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/store"
)

// ErrRange is wrapped by errors for indexes or sizes outside the log.
var ErrRange = errors.New("outside the log")

// Log appends to and reads the evidence log kept in a store. It is safe for
// concurrent use.
//
// A Log fails closed: once it finds the log inconsistent (Halt), every
// append fails with ErrInconsistent, so that every write and every read
// that would log a disclosure is refused until the hub is restarted on a
// consistent log.
type Log struct {
	st     *store.Store
	n      *Notary
	anchor *Anchor
	log    *slog.Logger
	now    func() time.Time

	halted atomic.Pointer[error]
	// high is the largest committed size this process has seen: the log
	// never shrinks, so a smaller size later means leaves were removed.
	high atomic.Int64

	// Disclosures are appended by one goroutine that commits whatever is
	// queued in one durable transaction (group commit).
	mu      sync.Mutex
	queue   chan *pending
	stopped chan struct{}
}

type pending struct {
	leaves []Leaf
	done   chan error
}

// Config holds what a Log needs besides its store and notary.
type Config struct {
	// Anchor is the checkpoint file outside the database; nil for none.
	Anchor *Anchor
	// Logger receives the one ERROR when the log is found inconsistent.
	Logger *slog.Logger
}

// New returns the log kept in st. n signs checkpoints and authenticates
// leaves; a log without a notary can be read but not appended to.
func New(st *store.Store, n *Notary, cfg Config) *Log {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Log{st: st, n: n, anchor: cfg.Anchor, log: lg, now: func() time.Time { return time.Now().UTC() }}
}

// Notary returns the log's notary (nil if it has none).
func (l *Log) Notary() *Notary { return l.n }

// Anchor returns the log's checkpoint file, or nil.
func (l *Log) Anchor() *Anchor { return l.anchor }

// Halt stops the log for reason (which should wrap ErrInconsistent): every
// later append fails. The first call logs reason at ERROR and, when the log
// has an anchor file, writes the reason beside it (HaltFile), so that a
// restart does not silently lift it; later calls keep the first reason.
func (l *Log) Halt(reason error) {
	if !errors.Is(reason, ErrInconsistent) {
		reason = fmt.Errorf("%w: %v", ErrInconsistent, reason)
	}
	if !l.halted.CompareAndSwap(nil, &reason) {
		return
	}
	l.log.Error("evidence log is inconsistent: refusing every write and every disclosure until restarted on a consistent log", "reason", reason.Error())
	if path := l.HaltFile(); path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			text := fmt.Sprintf("%s\n%s\n", l.now().Format(time.RFC3339), reason)
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				l.log.Error("the halt could not be recorded", "file", path, "err", err)
			}
		}
	}
}

// HaltFile is where a halt is recorded: "halted" beside the anchor file;
// empty for a log without one.
func (l *Log) HaltFile() string {
	if l.anchor == nil {
		return ""
	}
	return filepath.Join(filepath.Dir(l.anchor.Path()), "halted")
}

// haltedBefore returns an error if a halt was recorded and not cleared.
func (l *Log) haltedBefore() error {
	path := l.HaltFile()
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	when, why, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	err = fmt.Errorf("%w: the hub halted at %s because %s; find out what happened (fusion evidence verify), then remove %s to start again",
		ErrInconsistent, when, strings.TrimPrefix(why, ErrInconsistent.Error()+": "), path)
	l.halted.CompareAndSwap(nil, &err)
	return err
}

// Halted returns why the log was halted, or nil.
func (l *Log) Halted() error {
	if p := l.halted.Load(); p != nil {
		return *p
	}
	return nil
}

// seen raises the largest size this process has seen committed.
func (l *Log) seen(size int64) {
	for {
		cur := l.high.Load()
		if size <= cur || l.high.CompareAndSwap(cur, size) {
			return
		}
	}
}

// Append assigns sequence numbers to leaves and stores them, with their
// MACs and the tree hashes they complete, in tx: the leaves commit with the
// change they record or not at all. Leaves without a time get the current
// time. It fails if the log is halted or has no notary.
func (l *Log) Append(tx *store.Tx, leaves ...Leaf) error {
	if len(leaves) == 0 {
		return nil
	}
	if err := l.Halted(); err != nil {
		return err
	}
	if l.n == nil {
		return errors.New("evidence: no signing key, so leaves cannot be authenticated")
	}
	size, err := tx.EvidenceSize()
	if err != nil {
		return err
	}
	if high := l.high.Load(); size < high {
		return l.fail(fmt.Errorf("%w: the database's log holds %d entries, but this hub saw it hold %d: leaves were removed", ErrInconsistent, size, high))
	}
	data := make([][]byte, len(leaves))
	macs := make([][]byte, len(leaves))
	now := l.now()
	m := newMACer(l.n.macKey)
	for i := range leaves {
		lf := &leaves[i]
		lf.V = Format
		lf.Seq = size + int64(i)
		if lf.Time.IsZero() {
			lf.Time = now
		}
		lf.Time = lf.Time.UTC().Truncate(time.Microsecond)
		if err := lf.validate(); err != nil {
			return err
		}
		if data[i], err = lf.Encode(); err != nil {
			return fmt.Errorf("evidence: encode leaf: %w", err)
		}
		macs[i] = m.mac(lf.Seq, data[i])
	}
	if err := appendData(tx, size, data, macs); err != nil {
		if errors.Is(err, store.ErrEvidenceTail) {
			return l.fail(fmt.Errorf("%w: %v", ErrInconsistent, err))
		}
		return err
	}
	end := size + int64(len(leaves))
	tx.OnCommit(func() { l.seen(end) })
	return nil
}

// appendData stores leaf bytes from index size on, with the tree hashes
// they complete.
func appendData(tx *store.Tx, size int64, data, macs [][]byte) error {
	r := &txHashes{tx: tx, known: map[int64]tlog.Hash{}}
	stored := make([]store.IndexedHash, 0, 2*len(data))
	for i, d := range data {
		n := size + int64(i)
		hs, err := tlog.StoredHashes(n, d, r)
		if err != nil {
			return fmt.Errorf("evidence: hash leaf %d: %w", n, err)
		}
		first := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			r.known[first+int64(j)] = h
			stored = append(stored, store.IndexedHash{Index: first + int64(j), Hash: append([]byte(nil), h[:]...)})
		}
	}
	if err := tx.AppendEvidence(size, data, macs, stored); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

// txHashes reads stored hashes inside a transaction, remembering those it
// read or that this append computed.
type txHashes struct {
	tx    *store.Tx
	known map[int64]tlog.Hash
}

func (r *txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for _, x := range indexes {
		if _, ok := r.known[x]; !ok {
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		got, err := r.tx.EvidenceHashes(missing)
		if err != nil {
			return nil, err
		}
		for _, x := range missing {
			h, ok := got[x]
			if !ok || len(h) != tlog.HashSize {
				return nil, fmt.Errorf("evidence: stored hash %d is missing", x)
			}
			r.known[x] = tlog.Hash(h)
		}
	}
	for i, x := range indexes {
		out[i] = r.known[x]
	}
	return out, nil
}

// Record appends leaves in a transaction of their own. Concurrent calls are
// batched into one durable commit; Record returns when its leaves are
// committed, or with the error that stopped them.
func (l *Log) Record(ctx context.Context, leaves ...Leaf) error {
	if len(leaves) == 0 {
		return nil
	}
	l.mu.Lock()
	if l.queue == nil {
		l.queue, l.stopped = make(chan *pending, 1024), make(chan struct{})
		go l.commitLoop()
	}
	q := l.queue
	l.mu.Unlock()
	p := &pending{leaves: leaves, done: make(chan error, 1)}
	select {
	case q <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-p.done // waits even if ctx ends: the leaves may be committing
}

// maxGroup bounds the leaves one group commit writes.
const maxGroup = 8192

func (l *Log) commitLoop() {
	defer close(l.stopped)
	for first := range l.queue {
		group := []*pending{first}
		n := len(first.leaves)
	drain:
		for n < maxGroup {
			select {
			case p, ok := <-l.queue:
				if !ok {
					break drain
				}
				group = append(group, p)
				n += len(p.leaves)
			default:
				break drain
			}
		}
		all := make([]Leaf, 0, n)
		for _, p := range group {
			all = append(all, p.leaves...)
		}
		err := l.st.Update(context.Background(), func(tx *store.Tx) error { return l.Append(tx, all...) })
		if err == nil {
			l.seen(all[len(all)-1].Seq + 1)
		}
		i := 0
		for _, p := range group {
			copy(p.leaves, all[i:i+len(p.leaves)]) // hand back sequence numbers and times
			i += len(p.leaves)
			p.done <- err
		}
	}
}

// Close stops the group committer after what is queued is written.
func (l *Log) Close() {
	l.mu.Lock()
	q, stopped := l.queue, l.stopped
	l.queue = nil
	l.mu.Unlock()
	if q != nil {
		close(q)
		<-stopped
	}
}

// Size returns the committed size of the log.
func (l *Log) Size(ctx context.Context) (int64, error) { return l.st.EvidenceSize(ctx) }

// reader returns a tlog.HashReader over the committed stored hashes.
func (l *Log) reader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		got, err := l.st.EvidenceHashes(ctx, indexes)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			h, ok := got[x]
			if !ok || len(h) != tlog.HashSize {
				return nil, fmt.Errorf("evidence: stored hash %d is missing", x)
			}
			out[i] = tlog.Hash(h)
		}
		return out, nil
	})
}

func (l *Log) checkSize(ctx context.Context, size int64) error {
	n, err := l.Size(ctx)
	if err != nil {
		return err
	}
	if size < 0 || size > n {
		return fmt.Errorf("evidence: size %d: %w (the log holds %d entries)", size, ErrRange, n)
	}
	return nil
}

// Root returns the tree hash of the first size leaves.
func (l *Log) Root(ctx context.Context, size int64) (tlog.Hash, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return tlog.Hash{}, err
	}
	return tlog.TreeHash(size, l.reader(ctx))
}

// InclusionProof proves that leaf index is in the tree of the given size.
func (l *Log) InclusionProof(ctx context.Context, index, size int64) (tlog.RecordProof, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("evidence: index %d: %w of size %d", index, ErrRange, size)
	}
	return tlog.ProveRecord(size, index, l.reader(ctx))
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree of size new.
func (l *Log) ConsistencyProof(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	if err := l.checkSize(ctx, new); err != nil {
		return nil, err
	}
	if old < 1 || old > new {
		return nil, fmt.Errorf("evidence: old size %d: %w (must be 1 to %d)", old, ErrRange, new)
	}
	return tlog.ProveTree(new, old, l.reader(ctx))
}

// Leaves calls fn for each leaf with from <= seq < to.
func (l *Log) Leaves(ctx context.Context, from, to int64, fn func(seq int64, data []byte) error) error {
	return l.st.EvidenceLeaves(ctx, from, to, fn)
}
