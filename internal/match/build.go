package match

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/progress"
	"fusion/internal/store"
)

// LocalOrg is the originator of records loaded from a file for offline
// matching: the person running the match sees all of them.
const LocalOrg = "local"

// v1Like makes the faster JSON decoder accept what encoding/json (which the
// API uses) accepts: names in any case, a repeated name's last value.
var v1Like = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsontext.AllowDuplicateNames(true))

// LoadJSONL adds records given as JSON lines of intel.RecordInput (what
// `fusion scenario generate --kind intel` writes and POST /api/v1/records
// takes) to ix, canonicalizing each value. A line with an "id" (a record
// exported by GET /api/v1/records/export) keeps it, so that findings name
// the hub's record; other lines get one derived from their line number. Lines are parsed in parallel. A
// line that is not a valid record stops the load with an error naming it.
// bar, if not nil, counts lines.
func LoadJSONL(r io.Reader, canon *observable.Canonicalizer, ix *Index, bar *progress.Bar) (int, error) {
	type job struct {
		first int    // line number of the chunk's first line
		data  []byte // whole lines
	}
	type done = struct {
		recs []intel.Record
		err  error
	}
	jobs := make(chan job, 4)
	results := make(chan done, 4)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- parseChunk(canon, j.first, j.data)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		readErr <- chunkLines(r, func(first int, data []byte) { jobs <- job{first, data} })
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

// chunkSize is about how much of the file one job parses.
const chunkSize = 1 << 20

// maxRecordLine bounds one line of a records file.
const maxRecordLine = 16 << 20

// chunkLines reads r in chunks of whole lines, calling emit with each chunk
// and the number of its first line. Each chunk is a new slice, owned by emit.
func chunkLines(r io.Reader, emit func(first int, data []byte)) error {
	line := 1
	var carry []byte
	for {
		buf := make([]byte, max(chunkSize, 2*len(carry)))
		k := copy(buf, carry)
		n, err := io.ReadFull(r, buf[k:])
		buf = buf[:k+n]
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return fmt.Errorf("line %d: read: %w", line, err)
		}
		end := len(buf)
		if !eof {
			end = bytes.LastIndexByte(buf, '\n') + 1
			if end == 0 {
				if len(buf) > maxRecordLine {
					return fmt.Errorf("line %d: longer than %d bytes", line, maxRecordLine)
				}
				carry = buf // one long line: read on
				continue
			}
		}
		if end > 0 {
			emit(line, buf[:end])
			line += bytes.Count(buf[:end], []byte{'\n'})
		}
		if eof {
			return nil
		}
		carry = buf[end:]
	}
}

// parseChunk parses the record lines of data, the first of which is line
// first of the file.
func parseChunk(canon *observable.Canonicalizer, first int, data []byte) (d struct {
	recs []intel.Record
	err  error
}) {
	d.recs = make([]intel.Record, 0, bytes.Count(data, []byte{'\n'})+1)
	for n := first; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var in struct {
			intel.RecordInput
			ID string `json:"id"`
		}
		if err := jsonv2.Unmarshal(line, &in, v1Like); err != nil {
			d.err = fmt.Errorf("line %d: %w", n, err)
			return d
		}
		rec, err := intel.NewRecord(canon, in.RecordInput)
		if err != nil {
			d.err = fmt.Errorf("line %d: %w", n, err)
			return d
		}
		if in.ID == "" {
			rec.ID = uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "line %d", n)).String()
		} else if id, err := uuid.Parse(in.ID); err != nil {
			d.err = fmt.Errorf("line %d: id %q: not a UUID (a record's id as the hub gives it)", n, in.ID)
			return d
		} else {
			rec.ID = id.String()
		}
		rec.Originator, rec.Version = LocalOrg, 1
		d.recs = append(d.recs, rec)
	}
	return d
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
