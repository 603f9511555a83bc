package match

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/progress"
	"fusion/internal/store"
)

// LocalOrg is the originator of records loaded from a file for offline
// matching: the person running the match sees all of them.
const LocalOrg = "local"

// LoadJSONL adds records given as JSON lines of intel.RecordInput (what
// `fusion scenario generate --kind intel` writes and POST /api/v1/records
// takes) to ix, canonicalizing each value. Lines are parsed in parallel. A
// line that is not a valid record stops the load with an error naming it.
// bar, if not nil, counts lines.
func LoadJSONL(r io.Reader, canon *observable.Canonicalizer, ix *Index, bar *progress.Bar) (int, error) {
	type job struct {
		first int
		lines [][]byte
	}
	type done struct {
		first int
		recs  []intel.Record
		err   error
	}
	jobs := make(chan job, 4)
	results := make(chan done, 4)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				d := done{first: j.first, recs: make([]intel.Record, 0, len(j.lines))}
				for k, line := range j.lines {
					var in intel.RecordInput
					if err := json.Unmarshal(line, &in); err != nil {
						d.err = fmt.Errorf("line %d: %w", j.first+k, err)
						break
					}
					rec, err := intel.NewRecord(canon, in)
					if err != nil {
						d.err = fmt.Errorf("line %d: %w", j.first+k, err)
						break
					}
					rec.ID = uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "line %d", j.first+k)).String()
					rec.Originator, rec.Version = LocalOrg, 1
					d.recs = append(d.recs, rec)
				}
				results <- d
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		line, first := 0, 1
		var batch [][]byte
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			batch = append(batch, append([]byte(nil), sc.Bytes()...))
			if len(batch) == 2048 {
				jobs <- job{first: first, lines: batch}
				batch, first = nil, line+1
			}
		}
		if len(batch) > 0 {
			jobs <- job{first: first, lines: batch}
		}
		readErr <- sc.Err()
	}()
	go func() { wg.Wait(); close(results) }()
	n := 0
	var firstErr error
	for d := range results {
		if d.err != nil && firstErr == nil {
			firstErr = d.err
		}
		if firstErr != nil {
			continue // drain
		}
		for i := range d.recs {
			if err := ix.Put(&d.recs[i]); err != nil {
				firstErr = err
				break
			}
		}
		n += len(d.recs)
		if bar != nil {
			bar.Add(int64(len(d.recs)))
		}
	}
	if err := <-readErr; err != nil && firstErr == nil {
		firstErr = err
	}
	return n, firstErr
}

// Feed keeps an index current with the store: Load reads every active
// record, then Poll applies whatever changed since, as often as Run asks.
type Feed struct {
	st    *store.Store
	ix    *Index
	log   *slog.Logger
	since int64 // changes at or after this time (Unix µs) are still to apply
}

// NewFeed returns a feed from st into ix.
func NewFeed(st *store.Store, ix *Index, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.Default()
	}
	return &Feed{st: st, ix: ix, log: log}
}

// overlap is how far back each poll looks again, so that a change committed
// late with an earlier update time (another process, a clock a little
// behind) is not missed. Applying a change twice is harmless.
const overlap = 2 * time.Second

// Load indexes every active record. Bodies are decoded in parallel.
func (f *Feed) Load(ctx context.Context, bar *progress.Bar) (int, error) {
	return f.apply(ctx, 0, true, bar)
}

// Poll applies the changes since the last load or poll.
func (f *Feed) Poll(ctx context.Context) (int, error) {
	return f.apply(ctx, f.since-overlap.Microseconds(), false, nil)
}

func (f *Feed) apply(ctx context.Context, since int64, activeOnly bool, bar *progress.Bar) (int, error) {
	type item struct {
		updated int64
		body    []byte
	}
	in := make(chan []item, 4)
	out := make(chan []intel.Record, 4)
	var wg sync.WaitGroup
	var decodeErr error
	var mu sync.Mutex
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range in {
				recs := make([]intel.Record, len(batch))
				for i, it := range batch {
					if err := json.Unmarshal(it.body, &recs[i]); err != nil {
						mu.Lock()
						decodeErr = errors.Join(decodeErr, fmt.Errorf("match: decode record: %w", err))
						mu.Unlock()
					}
				}
				out <- recs
			}
		}()
	}
	latest := f.since
	scanErr := make(chan error, 1)
	go func() {
		defer close(in)
		var batch []item
		err := f.st.RecordsChangedSince(ctx, since, activeOnly, func(updated int64, body []byte) error {
			batch = append(batch, item{updated, append([]byte(nil), body...)})
			latest = max(latest, updated)
			if len(batch) == 1024 {
				in <- batch
				batch = nil
			}
			return nil
		})
		if len(batch) > 0 {
			in <- batch
		}
		scanErr <- err
	}()
	go func() { wg.Wait(); close(out) }()
	n := 0
	for recs := range out {
		for i := range recs {
			if recs[i].ID == "" {
				continue
			}
			if err := f.ix.Put(&recs[i]); err != nil {
				f.log.Warn("match: record not indexed", "record", recs[i].ID, "err", err)
			}
		}
		n += len(recs)
		if bar != nil {
			bar.Add(int64(len(recs)))
		}
	}
	if err := errors.Join(<-scanErr, decodeErr); err != nil {
		return n, err
	}
	f.since = latest
	return n, nil
}

// Run polls every interval until ctx ends.
func (f *Feed) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := f.Poll(ctx); err != nil && ctx.Err() == nil {
				f.log.Error("match: change feed", "err", err)
			}
		}
	}
}
