package tor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"fusion/internal/progress"
	"fusion/internal/store"
)

// ImportStats says what an import did.
type ImportStats struct {
	Consensuses int `json:"consensuses"`         // imported
	Skipped     int `json:"consensuses_skipped"` // already in the store (or twice in the input)
	// Microdesc counts microdescriptor consensuses passed over: they have
	// no "p" lines, so they say nothing about exit policies, and a full
	// consensus of the same hour must not be shadowed by one.
	Microdesc int `json:"microdesc_consensuses_skipped"`
	ExitLists int `json:"exit_lists"`
	ExitScans int `json:"exit_scans"` // observations read (repeats are stored once)
	Intervals int `json:"intervals"`  // written or extended
	Relays    int `json:"relay_entries"`
}

// Importer turns consensuses and exit lists into the store's compact form:
// per address and relay, intervals of consecutive consensuses with the
// same attributes. Documents may come in any order (CollecTor archives do
// not keep their members in time order): a consensus joins the interval
// that ends where it begins and the one that begins where it ends, so the
// intervals are the same as if the documents had been sorted by
// valid-after. Stored intervals that end where an imported consensus
// begins are extended. Nothing is written before Finish, which writes
// everything in one transaction, so an interrupted import leaves the store
// as it was and may be rerun; consensuses already stored are skipped, so
// reimporting is harmless. Microdescriptor consensuses are passed over
// (counted in ImportStats.Microdesc).
type Importer struct {
	ctx    context.Context
	st     *store.Store
	known  map[int64]bool      // valid-after of stored or imported consensuses
	inRun  map[int64]bool      // valid-after of the consensuses of this run
	byEnd  map[int64]time.Time // fresh-until -> valid-after, of stored consensuses
	loaded map[int64]bool      // stored consensuses (valid-after) whose intervals are loaded
	ivs    map[relayKey][]*store.TorInterval
	cons   []store.TorConsensus
	scans  map[scanKey]store.TorExitScan
	stats  ImportStats
}

type relayKey struct {
	addr netip.Addr
	fp   string
}

type scanKey struct {
	addr netip.Addr
	fp   string
	seen int64
}

// NewImporter starts an import into st.
func NewImporter(ctx context.Context, st *store.Store) (*Importer, error) {
	im := &Importer{ctx: ctx, st: st, known: map[int64]bool{}, inRun: map[int64]bool{}, byEnd: map[int64]time.Time{}, loaded: map[int64]bool{},
		ivs: map[relayKey][]*store.TorInterval{}, scans: map[scanKey]store.TorExitScan{}}
	cs, err := st.TorConsensuses(ctx)
	if err != nil {
		return nil, fmt.Errorf("tor import: %w", err)
	}
	for _, c := range cs {
		im.known[c.ValidAfter.Unix()] = true
		im.byEnd[c.FreshUntil.Unix()] = c.ValidAfter
	}
	return im, nil
}

// Add takes one document.
func (im *Importer) Add(doc Document) error {
	switch {
	case doc.Consensus != nil:
		return im.addConsensus(doc.Consensus)
	case doc.ExitList != nil:
		im.stats.ExitLists++
		for _, e := range doc.ExitList.Exits {
			for _, a := range e.Addresses {
				im.stats.ExitScans++
				k := scanKey{a.Addr.Unmap(), e.Fingerprint, a.Seen.Unix()}
				im.scans[k] = store.TorExitScan{Addr: k.addr, Fingerprint: e.Fingerprint, Seen: a.Seen, Published: e.Published, LastStatus: e.LastStatus}
			}
		}
	}
	return nil
}

func (im *Importer) addConsensus(c *Consensus) error {
	if c.Flavor == Microdesc {
		im.stats.Microdesc++
		return nil
	}
	va := c.ValidAfter.Unix()
	if im.known[va] {
		im.stats.Skipped++
		return nil
	}
	im.known[va] = true
	im.inRun[va] = true
	if err := im.loadFrontier(c.ValidAfter); err != nil {
		return err
	}
	succ := im.inRun[c.FreshUntil.Unix()] && !c.FreshUntil.Equal(c.ValidAfter)
	for _, r := range c.Relays {
		im.stats.Relays++
		flags := strings.Join(r.Flags, " ")
		exitFlag, exitPolicy := r.HasFlag("Exit"), r.ExitPolicy.AllowsAny()
		im.list(c, succ, r, r.Address, r.ORPort, r.DirPort, flags, exitFlag, exitPolicy)
		for _, ap := range r.IPv6 {
			im.list(c, succ, r, ap.Addr(), ap.Port(), 0, flags, exitFlag, exitPolicy)
		}
	}
	im.cons = append(im.cons, store.TorConsensus{ValidAfter: c.ValidAfter, FreshUntil: c.FreshUntil, ValidUntil: c.ValidUntil, Relays: len(c.Relays)})
	im.stats.Consensuses++
	return nil
}

// sameListing reports whether iv holds a listing with these attributes.
func sameListing(iv *store.TorInterval, nick string, or, dir uint16, flags string, exitFlag, exitPolicy bool) bool {
	return iv.Nickname == nick && iv.ORPort == or && iv.DirPort == dir && iv.Flags == flags && iv.ExitFlag == exitFlag && iv.ExitPolicy == exitPolicy
}

// list records that relay r was listed at addr in c: it extends the
// interval of the same attributes that ends where c begins, joins the one
// that begins where c ends (succ: a consensus of this run begins there),
// or starts a new one.
func (im *Importer) list(c *Consensus, succ bool, r Relay, addr netip.Addr, or, dir uint16, flags string, exitFlag, exitPolicy bool) {
	if !addr.IsValid() {
		return
	}
	k := relayKey{addr.Unmap(), r.Fingerprint}
	ivs := im.ivs[k]
	pred, next := -1, -1
	for i := len(ivs) - 1; i >= 0; i-- { // in time order the predecessor is the last
		iv := ivs[i]
		if !iv.First.After(c.ValidAfter) && !iv.Last.Before(c.ValidAfter) {
			return // listed twice in one consensus
		}
		if pred < 0 && iv.Ends.Equal(c.ValidAfter) && sameListing(iv, r.Nickname, or, dir, flags, exitFlag, exitPolicy) {
			pred = i
			if !succ {
				break
			}
		}
		if succ && next < 0 && iv.First.Equal(c.FreshUntil) && sameListing(iv, r.Nickname, or, dir, flags, exitFlag, exitPolicy) {
			next = i
		}
	}
	switch {
	case pred >= 0 && next >= 0: // c joins two intervals into one
		p, n := ivs[pred], ivs[next]
		p.Last, p.Ends, p.Consensuses = n.Last, n.Ends, p.Consensuses+1+n.Consensuses
		im.ivs[k] = append(ivs[:next], ivs[next+1:]...)
	case pred >= 0:
		p := ivs[pred]
		p.Last, p.Ends = c.ValidAfter, c.FreshUntil
		p.Consensuses++
	case next >= 0:
		n := ivs[next]
		n.First = c.ValidAfter
		n.Consensuses++
	default:
		im.ivs[k] = append(ivs, &store.TorInterval{Addr: k.addr, Fingerprint: r.Fingerprint,
			First: c.ValidAfter, Last: c.ValidAfter, Ends: c.FreshUntil, Consensuses: 1, Nickname: r.Nickname,
			ORPort: or, DirPort: dir, Flags: flags, ExitFlag: exitFlag, ExitPolicy: exitPolicy})
	}
}

// loadFrontier loads the stored intervals that end with the stored
// consensus just before one starting at va, so that they are extended
// rather than split.
func (im *Importer) loadFrontier(va time.Time) error {
	prev, ok := im.byEnd[va.Unix()]
	if !ok || im.loaded[prev.Unix()] {
		return nil
	}
	im.loaded[prev.Unix()] = true
	return im.st.TorIntervals(im.ctx, prev, func(iv store.TorInterval) error {
		k := relayKey{iv.Addr, iv.Fingerprint}
		im.ivs[k] = append(im.ivs[k], &iv)
		return nil
	})
}

// Finish writes what was imported, in one transaction. logged, if not nil,
// runs in that transaction with the import's figures and write, which
// writes the import: the caller logs the import's evidence around it, so
// that it commits with the import or not at all.
func (im *Importer) Finish(logged func(tx *store.Tx, stats ImportStats, write func() error) error) (ImportStats, error) {
	var done []store.TorInterval
	for _, ivs := range im.ivs {
		for _, iv := range ivs {
			done = append(done, *iv)
		}
	}
	// In key order, so that the writes append to the primary key's B-tree.
	slices.SortFunc(done, func(a, b store.TorInterval) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		if c := strings.Compare(a.Fingerprint, b.Fingerprint); c != 0 {
			return c
		}
		return a.First.Compare(b.First)
	})
	scans := make([]store.TorExitScan, 0, len(im.scans))
	for _, x := range im.scans {
		scans = append(scans, x)
	}
	im.stats.Intervals = len(done)
	err := im.st.Update(im.ctx, func(tx *store.Tx) error {
		write := func() error {
			if err := tx.AddTorConsensuses(im.cons); err != nil {
				return err
			}
			if err := tx.PutTorIntervals(done); err != nil {
				return err
			}
			return tx.AddTorExitScans(scans)
		}
		if logged != nil {
			return logged(tx, im.stats, write)
		}
		return write()
	})
	if err != nil {
		return im.stats, fmt.Errorf("tor import: %w", err)
	}
	return im.stats, nil
}

// Import reads every consensus and exit list under paths (files,
// directories, .tar and .tar.xz archives; see Walk) into st, in any order.
// The *SkipError it returns after importing names the files passed over,
// microdescriptor consensuses among them (wrapping [ErrMicrodesc]). bar, if not
// nil, counts documents. logged, if not nil, runs in the import's
// transaction with every file read (name, SHA-256, size), the figures and
// the function that writes the import: the hub logs the import's evidence
// around it.
func Import(ctx context.Context, st *store.Store, paths []string, bar *progress.Bar, logged func(tx *store.Tx, files []store.TorFile, stats ImportStats, write func() error) error) (ImportStats, error) {
	im, err := NewImporter(ctx, st)
	if err != nil {
		return ImportStats{}, err
	}
	var skipped SkipError
	var files []store.TorFile
	onFile := func(name, sum string, size int64) {
		files = append(files, store.TorFile{Name: name, SHA256: sum, Bytes: size})
	}
	for _, p := range paths {
		err := WalkFiles(p, func(name string, doc Document) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if bar != nil {
				bar.Add(1)
			}
			if doc.Consensus != nil && doc.Consensus.Flavor == Microdesc {
				skipped.Skipped = append(skipped.Skipped, fmt.Errorf("tor: %s: %w", name, ErrMicrodesc))
			}
			return im.Add(doc)
		}, onFile)
		var skip *SkipError
		if errors.As(err, &skip) {
			skipped.Skipped = append(skipped.Skipped, skip.Skipped...)
			continue
		}
		if err != nil {
			return im.stats, err
		}
	}
	var finish func(*store.Tx, ImportStats, func() error) error
	if logged != nil {
		finish = func(tx *store.Tx, stats ImportStats, write func() error) error {
			return logged(tx, files, stats, write)
		}
	}
	stats, err := im.Finish(finish)
	if err == nil && len(skipped.Skipped) > 0 {
		err = &skipped // what could be read is imported; say what was not
	}
	return stats, err
}
