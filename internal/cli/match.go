package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/progress"
)

func matchLogs(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "match", "fusion match --in FILE [--in FILE...] [--format FORMAT] (--indicators FILE.jsonl | --server URL --token T) [--out FILE]\n\n"+
		"Matches a log against indicators and writes one JSON line per match: the event time, the\n"+
		"fields that matched, the value and the records behind it. The output is a findings file\n"+
		"that `fusion exercise score` reads (kind intel-contact). Gzip input is read transparently.")
	var ins []string
	fs.Func("in", "a log `FILE` to match (- for standard input); repeat for several logs of one format", func(v string) error {
		ins = append(ins, v)
		return nil
	})
	format := fs.String("format", "zeek", "the log's `FORMAT`: "+strings.Join(match.Formats, ", ")+" (zeek reads TSV or JSON)")
	indicators := fs.String("indicators", "", "match against the records of this JSON-lines `FILE` (as `fusion scenario generate --kind intel` writes)")
	server := fs.String("server", "", "match against the records the token may see on this hub `URL`")
	token := fs.String("token", "", "API `TOKEN` for --server (default $FUSION_TOKEN)")
	out := fs.String("out", "-", "write matches to this `FILE` (- for standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(ins) == 0 {
		fmt.Fprintln(env.Stderr, "flag --in is required")
		fs.Usage()
		return errUsage
	}
	if !slices.Contains(match.Formats, *format) {
		return fmt.Errorf("--format %q: not one of %s", *format, strings.Join(match.Formats, ", "))
	}
	if (*indicators == "") == (*server == "") {
		fmt.Fprintln(env.Stderr, "exactly one of --indicators and --server is required")
		fs.Usage()
		return errUsage
	}
	if *token == "" && env.Getenv != nil {
		*token = env.Getenv("FUSION_TOKEN")
	}
	if *server != "" && *token == "" {
		return errors.New("--server needs --token or FUSION_TOKEN")
	}

	// The card key only has to agree between the indicators and the log of
	// this one run, so a fresh one does.
	key := make([]byte, 32)
	rand.Read(key)
	canon, err := observable.New(key)
	if err != nil {
		return err
	}
	if env.Getenv == nil || env.Getenv("GOGC") == "" {
		// The heap is mostly the index, whose tables hold no pointers and
		// cost the collector next to nothing to mark; collecting at 20%
		// growth instead of 100% keeps the loader's garbage from doubling
		// the resident set, for a few percent more CPU.
		defer debug.SetGCPercent(debug.SetGCPercent(matchGCPercent))
	}
	began := time.Now()
	ix := match.New(0)
	var n int
	if *indicators != "" {
		n, err = loadIndicatorFile(env, *indicators, canon, ix)
	} else {
		n, err = loadFromServer(ctx, env, *server, *token, ix)
	}
	if err != nil {
		return err
	}
	built := time.Since(began)
	// Hand the loader's garbage back, so that what stays resident is the
	// index, and measure it.
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := ms.HeapAlloc

	w, closeOut, err := createOut(env, *out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	m := &match.Matcher{Observer: match.Observer{Index: ix, Canon: canon}}
	var st matchStats
	began = time.Now()
	for _, in := range ins {
		if err := matchLog(ctx, env, in, *format, m, json.NewEncoder(bw), &st); err != nil {
			closeOut()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		closeOut()
		return fmt.Errorf("write matches: %w", err)
	}
	if err := closeOut(); err != nil {
		return err
	}
	events, matched, findings := st.events, st.matched, st.findings
	took := time.Since(began)
	perIndicator := "" // the live heap divided by a handful of indicators says nothing about them
	if n >= 10_000 {
		perIndicator = fmt.Sprintf(", %d B per indicator", heap/uint64(n))
	}
	fmt.Fprintf(env.Stderr, "indexed %s indicators in %v (%d MiB live heap%s); matched %s of %s events (%s matches) in %v, %s events/s\n",
		progress.Count(int64(n)), built.Round(time.Millisecond), heap>>20, perIndicator, progress.Count(matched), progress.Count(events),
		progress.Count(findings), took.Round(time.Millisecond), progress.Count(int64(float64(events)/max(took.Seconds(), 1e-9))))
	return nil
}

// matchGCPercent is the collector's target heap growth while matching
// (GOGC), unless GOGC is set.
const matchGCPercent = 20

type matchStats struct{ events, matched, findings int64 }

// matchLog matches one log, writing a JSON line per finding.
func matchLog(ctx context.Context, env *Env, in, format string, m *match.Matcher, enc *json.Encoder, st *matchStats) error {
	src, bar, closeIn, err := openLog(env, in, format)
	if err != nil {
		return err
	}
	defer closeIn()
	defer bar.Finish()
	for src.Next() {
		st.events++
		found := m.Event(src.Row)
		if len(found) > 0 {
			st.matched++
			uid := src.UID()
			for i := range found {
				found[i].UID = uid
				if err := enc.Encode(&found[i]); err != nil {
					return fmt.Errorf("write matches: %w", err)
				}
			}
			st.findings += int64(len(found))
		}
		if st.events&0xffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := src.Err(); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return nil
}

// loadIndicatorFile indexes the records of a JSON-lines file.
func loadIndicatorFile(env *Env, path string, canon *observable.Canonicalizer, ix *match.Index) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bar := progress.New(env.Stderr, "indexing indicators", 0, "records")
	n, err := match.LoadJSONL(f, canon, ix, bar)
	bar.Finish()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// loadFromServer indexes the records the token may see in full on a hub,
// as GET /api/v1/records/export streams them.
func loadFromServer(ctx context.Context, env *Env, server, token string, ix *match.Index) (int, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("--server %q: not an http(s) URL", server)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/api/v1/records/export", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetch indicators: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return 0, fmt.Errorf("fetch indicators from %s: %s: %s", server, resp.Status, strings.TrimSpace(string(body)))
	}
	bar := progress.New(env.Stderr, "indexing indicators", 0, "records")
	defer bar.Finish()
	dec := json.NewDecoder(bufio.NewReaderSize(resp.Body, 256<<10))
	n := 0
	for {
		var r intel.Record
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return n, nil
		} else if err != nil {
			return n, fmt.Errorf("fetch indicators: record %d: %w", n+1, err)
		}
		if err := ix.Put(&r); err != nil {
			return n, fmt.Errorf("fetch indicators: record %s: %w", r.ID, err)
		}
		n++
		bar.Add(1)
	}
}

// openCounted opens path ("-" for standard input) for reading, with a
// progress bar labelled label counting its bytes.
func openCounted(env *Env, label, path string) (io.Reader, *progress.Bar, func(), error) {
	var r io.Reader = env.Stdin
	var total int64
	closeIn := func() {}
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, nil, err
		}
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		r, closeIn = f, func() { f.Close() }
	}
	bar := progress.New(env.Stderr, label+" "+path, total, "bytes")
	return &countingReader{r: r, bar: bar}, bar, closeIn, nil
}

// openLog opens the log to match with a progress bar counting its bytes.
func openLog(env *Env, path, format string) (match.Source, *progress.Bar, func(), error) {
	r, bar, closeIn, err := openCounted(env, "matching", path)
	if err != nil {
		return nil, nil, nil, err
	}
	src, err := match.NewSource(r, format)
	if err != nil {
		bar.Finish()
		closeIn()
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return src, bar, closeIn, nil
}

type countingReader struct {
	r   io.Reader
	bar *progress.Bar
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bar.Add(int64(n))
	return n, err
}

// createOut opens the output file, or standard output for "-".
func createOut(env *Env, path string) (io.Writer, func() error, error) {
	if path == "-" {
		return env.Stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
