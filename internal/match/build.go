package match

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
// the hub's record; other lines get one derived from their line number.
//
// Only what matching uses is decoded and checked: type, value, id, labels,
// tlp, subdomains, personal and discoverable, each as POST /api/v1/records
// checks it; the other fields of a line (description, dates, evaluation…)
// are skipped, checked for JSON syntax only. Lines are parsed in parallel
// and put into the index a chunk at a time; when r can tell its size (a
// file, a bytes.Reader), the index is first grown for about as many
// records as r holds. A line that is not a valid record stops the load
// with an error naming it. bar, if not nil, counts lines.
func LoadJSONL(r io.Reader, canon *observable.Canonicalizer, ix *Index, bar *progress.Bar) (int, error) {
	type job struct {
		first int    // line number of the chunk's first line
		data  []byte // whole lines
	}
	jobs := make(chan job, 4)
	results := make(chan parsed, 4)
	free := make(chan []byte, 8) // chunk buffers parsed, to read into again
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha1.New()
			for j := range jobs {
				results <- parseChunk(canon, ix, h, j.first, j.data)
				select {
				case free <- j.data:
				default:
				}
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		readErr <- chunkLines(r, free, func(first int, data []byte) { jobs <- job{first, data} })
	}()
	go func() { wg.Wait(); close(results) }()
	size := readerSize(r)
	n := 0
	var firstErr error
	for d := range results {
		if d.err != nil && firstErr == nil {
			firstErr = d.err
		}
		if firstErr != nil {
			continue // drain
		}
		if n == 0 && size > 0 && d.bytes > 0 {
			// Grow for the records r holds at this chunk's density, a
			// little over, so that the tables are sized once.
			scale := float64(size) / float64(d.bytes) * 1.05
			ix.mu.Lock()
			ix.grow(int(scale*float64(len(d.items))), int(scale*float64(d.values)))
			ix.mu.Unlock()
		}
		ix.putBatch(d.items)
		n += len(d.items)
		if bar != nil {
			bar.Add(int64(len(d.items)))
		}
	}
	if err := <-readErr; err != nil && firstErr == nil {
		firstErr = err
	}
	return n, firstErr
}

// readerSize returns how many bytes r holds, if it can tell, or 0.
func readerSize(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if st, err := r.Stat(); err == nil && st.Mode().IsRegular() {
			return st.Size()
		}
	case interface{ Size() int64 }:
		return r.Size()
	}
	return 0
}

// chunkSize is about how much of the file one job parses.
const chunkSize = 1 << 20

// maxRecordLine bounds one line of a records file.
const maxRecordLine = 16 << 20

// chunkLines reads r in chunks of whole lines, calling emit with each chunk
// and the number of its first line. Each chunk is owned by emit, which may
// hand it back through free once done with it, to be read into again.
func chunkLines(r io.Reader, free chan []byte, emit func(first int, data []byte)) error {
	line := 1
	var carry []byte
	for {
		var buf []byte
		select {
		case b := <-free:
			buf = b[:cap(b)]
		default:
		}
		if len(buf) < max(chunkSize, 2*len(carry)) {
			buf = make([]byte, max(chunkSize, 2*len(carry)))
		}
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
		carry = append(carry[:0:0], buf[end:]...) // buf goes back to free once parsed
	}
}

// parsed is a chunk of lines read into prepared items.
type parsed struct {
	items  []item
	bytes  int // the chunk's length
	values int // the length of its items' values
	err    error
}

// lineInput is what LoadJSONL decodes of a line: the fields of
// intel.RecordInput that matching uses, and an exported record's id.
type lineInput struct {
	ID           string   `json:"id"`
	Type         string   `json:"type"`
	Value        string   `json:"value"`
	Subdomains   *bool    `json:"subdomains"`
	Labels       []string `json:"labels"`
	TLP          string   `json:"tlp"`
	Discoverable *bool    `json:"discoverable"`
	Personal     *bool    `json:"personal"`
}

// parseChunk parses the record lines of data, the first of which is line
// first of the file, into items prepared for ix.
func parseChunk(canon *observable.Canonicalizer, ix *Index, h hash.Hash, first int, data []byte) (d parsed) {
	d.bytes = len(data)
	d.items = make([]item, 0, bytes.Count(data, []byte{'\n'})+1)
	var in lineInput
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
		in = lineInput{Labels: in.Labels[:0]}
		if err := jsonv2.Unmarshal(line, &in, v1Like); err != nil {
			d.err = fmt.Errorf("line %d: %w", n, err)
			return d
		}
		it, err := in.item(canon, h, n)
		if err != nil {
			d.err = fmt.Errorf("line %d: %w", n, err)
			return d
		}
		ix.prepare(&it)
		d.items = append(d.items, it)
		d.values += len(it.value)
	}
	return d
}

// item checks what matching uses of the record on line n as NewRecord
// would, and returns it as LocalOrg's, version 1.
// h is a SHA-1 to derive the id with.
func (in *lineInput) item(canon *observable.Canonicalizer, h hash.Hash, n int) (item, error) {
	var t observable.Type
	if in.Type != "" {
		var err error
		if t, err = observable.ParseType(strings.ToLower(strings.TrimSpace(in.Type))); err != nil {
			return item{}, &intel.FieldError{Field: "type", Value: in.Type, Reason: "not an observable type"}
		}
	}
	if strings.TrimSpace(in.Value) == "" {
		return item{}, &intel.FieldError{Field: "value", Reason: "is required"}
	}
	obs, err := canon.Parse(t, in.Value)
	if err != nil {
		return item{}, fmt.Errorf("value: %w", err)
	}
	it := item{typ: obs.Type, value: obs.Value, version: 1, originator: LocalOrg}
	if in.Subdomains != nil && *in.Subdomains {
		if obs.Type != observable.Domain {
			return item{}, &intel.FieldError{Field: "subdomains", Reason: "only a domain record can match its subdomains"}
		}
		it.flags |= flagSubdomains
	}
	if len(in.Labels) > 32 {
		return item{}, &intel.FieldError{Field: "labels", Reason: "too many labels"}
	}
	for _, l := range in.Labels {
		i := slices.IndexFunc(intel.Labels, func(x intel.Label) bool { return x.Name == l })
		if i < 0 {
			if i = slices.IndexFunc(intel.Labels, func(x intel.Label) bool { return x.Name == strings.ToLower(strings.TrimSpace(l)) }); i < 0 {
				return item{}, &intel.FieldError{Field: "labels", Value: l, Reason: "not in the label vocabulary (see GET /api/v1/vocabulary)"}
			}
		}
		if i < 32 {
			it.labels |= 1 << i
		}
	}
	if in.TLP == "" {
		return item{}, &intel.FieldError{Field: "tlp", Reason: "is required"}
	}
	tlp, err := intel.ParseTLP(in.TLP)
	if err != nil {
		return item{}, err
	}
	it.tlp = tlpIndex(tlp)
	if personal := obs.Type == observable.Card; in.Personal != nil && *in.Personal || in.Personal == nil && personal {
		it.flags |= flagPersonal
	}
	if in.Discoverable != nil && *in.Discoverable {
		it.flags |= flagDiscoverable
	}
	if in.ID == "" {
		var b [32]byte
		it.id = uuid.NewHash(h, uuid.NameSpaceOID, strconv.AppendInt(append(b[:0], "line "...), int64(n), 10), 5) // uuid.NewSHA1
	} else if it.id, err = uuid.Parse(in.ID); err != nil {
		return item{}, fmt.Errorf("id %q: not a UUID (a record's id as the hub gives it)", in.ID)
	}
	return it, nil
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
	in := make(chan [][]byte, 4)
	out := make(chan []item, 4)
	var wg sync.WaitGroup
	var decodeErr error
	var mu sync.Mutex
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r storedRecord
			for batch := range in {
				items := make([]item, 0, len(batch))
				for _, body := range batch {
					r = storedRecord{Labels: r.Labels[:0]}
					it, err := r.decode(f.ix, body)
					var idErr *badID
					switch {
					case errors.As(err, &idErr):
						f.log.Warn("match: record not indexed", "record", r.ID, "err", err)
					case err != nil:
						mu.Lock()
						decodeErr = errors.Join(decodeErr, err)
						mu.Unlock()
					case r.ID != "":
						items = append(items, it)
					}
				}
				out <- items
			}
		}()
	}
	latest := f.since
	scanErr := make(chan error, 1)
	go func() {
		defer close(in)
		var batch [][]byte
		err := f.st.RecordsChangedSince(ctx, since, activeOnly, func(updated int64, body []byte) error {
			batch = append(batch, append([]byte(nil), body...))
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
	for items := range out {
		f.ix.putBatch(items)
		n += len(items)
		if bar != nil {
			bar.Add(int64(len(items)))
		}
	}
	if err := errors.Join(<-scanErr, decodeErr); err != nil {
		return n, err
	}
	f.since = latest
	return n, nil
}

// storedRecord is what the feed decodes of a record's body in the store
// (an intel.Record): what matching and the policy gate use.
type storedRecord struct {
	ID           string          `json:"id"`
	Type         observable.Type `json:"type"`
	Value        string          `json:"value"`
	Subdomains   bool            `json:"subdomains"`
	Labels       []string        `json:"labels"`
	TLP          intel.TLP       `json:"tlp"`
	Audience     intel.Audience  `json:"audience"`
	Discoverable bool            `json:"discoverable"`
	Personal     bool            `json:"personal"`
	Originator   string          `json:"originator"`
	Version      int             `json:"version"`
	Revoked      jsontext.Value  `json:"revoked"`
}

// badID is a record whose id is not a UUID: the feed logs and skips it.
type badID struct {
	id  string
	err error
}

func (e *badID) Error() string { return fmt.Sprintf("id %q: %v", e.id, e.err) }

// decode reads body into r and returns its item, prepared for ix.
func (r *storedRecord) decode(ix *Index, body []byte) (item, error) {
	if err := jsonv2.Unmarshal(body, r, v1Like); err != nil {
		return item{}, fmt.Errorf("match: decode record: %w", err)
	}
	if r.ID == "" {
		return item{}, nil
	}
	id, err := uuid.Parse(r.ID)
	if err != nil {
		return item{}, &badID{r.ID, err}
	}
	it := item{id: id, typ: r.Type, value: r.Value, labels: labelBits(r.Labels), version: uint32(r.Version), tlp: tlpIndex(r.TLP),
		revoked: len(r.Revoked) > 0 && string(r.Revoked) != "null", originator: r.Originator, audience: r.Audience}
	it.flags = flagsOf(r.Personal, r.Discoverable, r.Subdomains)
	ix.prepare(&it)
	return it, nil
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
