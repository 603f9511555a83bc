package tor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"fusion/internal/progress"
	"fusion/internal/store"
)

// ImportStats says what an import did.
type ImportStats struct {
	Consensuses int `json:"consensuses"`         // imported
	Skipped     int `json:"consensuses_skipped"` // already in the store (or twice in the input)
	ExitLists   int `json:"exit_lists"`
	ExitScans   int `json:"exit_scans"` // observations read (repeats are stored once)
	Intervals   int `json:"intervals"`  // written or extended
	Relays      int `json:"relay_entries"`
}

// Importer turns consensuses and exit lists into the store's compact form:
// per address, intervals of consecutive consensuses with the same
// attributes. Documents should come in time order (as CollecTor names
// them); one out of order only makes the intervals less compact. Nothing is
// written before Finish, which writes everything in one transaction, so
// an interrupted import leaves the store as it was and may be rerun;
// consensuses already stored are skipped, so reimporting is harmless.
type Importer struct {
	ctx   context.Context
	st    *store.Store
	known map[int64]bool      // valid-after of stored or imported consensuses
	byEnd map[int64]time.Time // fresh-until -> valid-after, of stored consensuses
	open  map[relayKey]*openInterval
	prev  *Consensus // the last consensus added in this run
	done  []store.TorInterval
	cons  []store.TorConsensus
	scans map[scanKey]store.TorExitScan
	stats ImportStats
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

type openInterval struct {
	store.TorInterval
	seen time.Time // valid-after of the last consensus that listed it
}

// NewImporter starts an import into st.
func NewImporter(ctx context.Context, st *store.Store) (*Importer, error) {
	im := &Importer{ctx: ctx, st: st, known: map[int64]bool{}, byEnd: map[int64]time.Time{}, open: map[relayKey]*openInterval{}, scans: map[scanKey]store.TorExitScan{}}
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
	va := c.ValidAfter.Unix()
	if im.known[va] {
		im.stats.Skipped++
		return nil
	}
	im.known[va] = true
	if im.prev == nil || !c.ValidAfter.Equal(im.prev.FreshUntil) {
		// A gap, or out of order: what is open ends here, and what was
		// stored may continue.
		im.closeAll()
		if err := im.loadFrontier(c.ValidAfter); err != nil {
			return err
		}
	}
	for _, r := range c.Relays {
		im.stats.Relays++
		flags := strings.Join(r.Flags, " ")
		exitFlag, exitPolicy := r.HasFlag("Exit"), r.ExitPolicy.AllowsAny()
		im.list(c, r, r.Address, r.ORPort, r.DirPort, flags, exitFlag, exitPolicy)
		for _, ap := range r.IPv6 {
			im.list(c, r, ap.Addr(), ap.Port(), 0, flags, exitFlag, exitPolicy)
		}
	}
	for k, o := range im.open {
		if !o.seen.Equal(c.ValidAfter) {
			im.close(k, o)
		}
	}
	im.cons = append(im.cons, store.TorConsensus{ValidAfter: c.ValidAfter, FreshUntil: c.FreshUntil, ValidUntil: c.ValidUntil, Relays: len(c.Relays)})
	im.stats.Consensuses++
	im.prev = c
	return nil
}

// list records that relay r was listed at addr in c.
func (im *Importer) list(c *Consensus, r Relay, addr netip.Addr, or, dir uint16, flags string, exitFlag, exitPolicy bool) {
	if !addr.IsValid() {
		return
	}
	k := relayKey{addr.Unmap(), r.Fingerprint}
	o := im.open[k]
	if o != nil && o.seen.Equal(c.ValidAfter) {
		return // listed twice in one consensus
	}
	if o != nil && o.Nickname == r.Nickname && o.ORPort == or && o.DirPort == dir && o.Flags == flags && o.ExitFlag == exitFlag && o.ExitPolicy == exitPolicy {
		o.Last, o.Ends, o.seen = c.ValidAfter, c.FreshUntil, c.ValidAfter
		o.Consensuses++
		return
	}
	if o != nil {
		im.close(k, o)
	}
	im.open[k] = &openInterval{seen: c.ValidAfter, TorInterval: store.TorInterval{Addr: k.addr, Fingerprint: r.Fingerprint,
		First: c.ValidAfter, Last: c.ValidAfter, Ends: c.FreshUntil, Consensuses: 1, Nickname: r.Nickname,
		ORPort: or, DirPort: dir, Flags: flags, ExitFlag: exitFlag, ExitPolicy: exitPolicy}}
}

func (im *Importer) close(k relayKey, o *openInterval) {
	im.done = append(im.done, o.TorInterval)
	delete(im.open, k)
}

func (im *Importer) closeAll() {
	for k, o := range im.open {
		im.close(k, o)
	}
}

// loadFrontier opens the stored intervals that end with the consensus
// just before one starting at va, so that they are extended rather than
// split.
func (im *Importer) loadFrontier(va time.Time) error {
	prev, ok := im.byEnd[va.Unix()]
	if !ok {
		return nil
	}
	return im.st.TorIntervals(im.ctx, prev, func(iv store.TorInterval) error {
		im.open[relayKey{iv.Addr, iv.Fingerprint}] = &openInterval{TorInterval: iv, seen: prev}
		return nil
	})
}

// Finish writes what was imported, in one transaction. logged, if not nil,
// runs in that transaction with the import's figures and write, which
// writes the import: the caller logs the import's evidence around it, so
// that it commits with the import or not at all.
func (im *Importer) Finish(logged func(tx *store.Tx, stats ImportStats, write func() error) error) (ImportStats, error) {
	// A frontier interval no consensus of this run extended is unchanged.
	im.closeAll()
	scans := make([]store.TorExitScan, 0, len(im.scans))
	for _, x := range im.scans {
		scans = append(scans, x)
	}
	im.stats.Intervals = len(im.done)
	err := im.st.Update(im.ctx, func(tx *store.Tx) error {
		write := func() error {
			if err := tx.AddTorConsensuses(im.cons); err != nil {
				return err
			}
			if err := tx.PutTorIntervals(im.done); err != nil {
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
// directories, .tar and .tar.xz archives; see Walk) into st. bar, if not
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
