package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/uuid"

	"fusion/internal/hub"
	"fusion/internal/misp"
	"fusion/internal/progress"
)

// mispBatchBytes is how much event JSON one import request carries: a
// feed's events go to the hub in lists of about this size.
const mispBatchBytes = 8 << 20

// mispSource is one event file to import: where it is read from, and
// how.
type mispSource struct {
	name string
	read func(context.Context) ([]byte, error)
}

func mispImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "misp import", "fusion misp import FILE|DIR|URL... --server URL --token T [--community GROUP] [--sharing-group SG:GROUP]... [--create-groups] [--feed-header 'Name: value'] [--json]\n\n"+
		"Imports MISP events into a hub as the token's organization: each event becomes a report, each\n"+
		"indicator attribute a record, the others are kept in the report as context. A FILE holds\n"+
		"events in any MISP envelope ({\"Event\":…}, a bare event, a restSearch answer, a list; - for\n"+
		"standard input). A DIR or URL is a MISP feed (manifest.json and one <uuid>.json per event);\n"+
		"a DIR without manifest.json is read as event files. Importing again updates what changed.\n"+
		"MISP distribution narrows who sees the data: 0 keeps it to your organization, 1 and 2 to\n"+
		"--community (else your organization), 4 to the group --sharing-group maps (else your\n"+
		"organization, or a new group with --create-groups); 3 and 5 leave it to the TLP.")
	server := fs.String("server", env.Getenv("FUSION_SERVER"), "the hub's `URL` ($FUSION_SERVER)")
	token := fs.String("token", "", "API `TOKEN` (default $FUSION_TOKEN)")
	community := fs.String("community", "", "the fusion `GROUP` MISP distribution 1 and 2 map to")
	var groups, headers stringsFlag
	fs.Var(&groups, "sharing-group", "map a MISP sharing group to a fusion group: `SG-UUID:GROUP`; repeatable")
	createGroups := fs.Bool("create-groups", false, "create a group for each sharing group not mapped")
	fs.Var(&headers, "feed-header", "send `'Name: value'` with each request to a feed URL (a feed's API key); repeatable")
	asJSON := fs.Bool("json", false, "write the hub's answer as one JSON line per request instead of a summary")
	args, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "at least one FILE, DIR or URL is required")
		fs.Usage()
		return errUsage
	}
	client, err := newHubClient(env, *server, *token)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *community != "" {
		q.Set("community", *community)
	}
	for _, g := range groups {
		q.Add("sharing_group", g)
	}
	if *createGroups {
		q.Set("create_groups", "true")
	}
	hdr := http.Header{}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("--feed-header %q: must be 'Name: value'", h)
		}
		hdr.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	var sources []mispSource
	for _, a := range args {
		s, err := mispSources(ctx, env, a, hdr)
		if err != nil {
			return err
		}
		sources = append(sources, s...)
	}
	bar := progress.New(env.Stderr, "importing", int64(len(sources)), "files")
	imp := &mispImporter{client: client, path: "/api/v1/misp/import", query: q, json: *asJSON, out: env.Stdout}
	if len(q) > 0 {
		imp.path += "?" + q.Encode()
	}
	var failed []string
	for _, s := range sources {
		data, err := s.read(ctx)
		if err == nil {
			err = imp.add(ctx, data)
		}
		bar.Add(1)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			failed = append(failed, s.name+": "+err.Error())
		}
	}
	if err := imp.flush(ctx); err != nil {
		failed = append(failed, err.Error())
	}
	bar.Finish()
	if !*asJSON {
		imp.summary(env.Stdout)
	}
	for _, f := range failed {
		fmt.Fprintln(env.Stderr, f)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d sources were not imported", len(failed), len(sources))
	}
	return nil
}

// mispImporter sends event files to the hub in lists of about
// mispBatchBytes, and sums the answers.
type mispImporter struct {
	client  *hubClient
	path    string
	query   url.Values
	json    bool
	out     io.Writer
	batch   [][]byte
	size    int
	totals  hub.MISPTotals
	notable []hub.MISPEvent // failed, or with a reason, for the summary
}

func (m *mispImporter) add(ctx context.Context, data []byte) error {
	data = bytes.TrimSpace(data)
	if _, err := misp.ParseEvents(data); err != nil {
		return err
	}
	if m.size+len(data) > mispBatchBytes || !single(data) {
		if err := m.flush(ctx); err != nil {
			return err
		}
	}
	m.batch = append(m.batch, data)
	m.size += len(data)
	if !single(data) {
		return m.flush(ctx)
	}
	return nil
}

// summary prints the totals of what the hub took, and the events that
// failed or came with a reason.
func (m *mispImporter) summary(w io.Writer) {
	t, a := m.totals, m.totals.Attributes
	fmt.Fprintf(w, "%d events: %d created, %d updated, %d unchanged, %d skipped, %d failed\n", t.Events, t.Created, t.Updated, t.Unchanged, t.Skipped, t.Failed)
	fmt.Fprintf(w, "%d attributes: %d created, %d updated, %d unchanged, %d refused, %d context, %d deleted (%d revoked), %d dropped, %d sightings\n",
		a.Total, a.Created, a.Updated, a.Unchanged, a.Refused, a.Context, a.Deleted, a.Revoked, a.Dropped, a.Sightings)
	for _, e := range m.notable {
		fmt.Fprintf(w, "  %s %s %q: %s\n", e.Status, e.UUID, e.Info, e.Reason)
	}
}

// single reports whether data is one event ({"Event":…} or bare), which
// can go in a list with others; lists and restSearch answers cannot.
func single(data []byte) bool {
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, ok := top["response"]
	return !ok
}

func (m *mispImporter) flush(ctx context.Context) error {
	if len(m.batch) == 0 {
		return nil
	}
	body := m.batch[0]
	if len(m.batch) > 1 {
		// A list of events is an envelope (add sends lists and
		// restSearch answers alone).
		body = append([]byte("["), bytes.Join(m.batch, []byte(","))...)
		body = append(body, ']')
	}
	m.batch, m.size = m.batch[:0], 0
	_, answer, err := m.client.do(ctx, http.MethodPost, m.path, "application/json", body)
	if err != nil {
		return err
	}
	var res hub.MISPImport
	if err := json.Unmarshal(answer, &res); err != nil {
		return fmt.Errorf("the hub's answer: %w", err)
	}
	if m.json {
		fmt.Fprintf(m.out, "%s\n", bytes.TrimSpace(answer))
	}
	t, s := &m.totals, res.Totals
	t.Events += s.Events
	t.Created += s.Created
	t.Updated += s.Updated
	t.Unchanged += s.Unchanged
	t.Skipped += s.Skipped
	t.Failed += s.Failed
	a, b := &t.Attributes, s.Attributes
	a.Total += b.Total
	a.Created += b.Created
	a.Updated += b.Updated
	a.Unchanged += b.Unchanged
	a.Refused += b.Refused
	a.Context += b.Context
	a.Deleted += b.Deleted
	a.Revoked += b.Revoked
	a.Dropped += b.Dropped
	a.Sightings += b.Sightings
	for _, e := range res.Events {
		if e.Status == hub.Failed || e.Reason != "" {
			m.notable = append(m.notable, e)
		}
	}
	return nil
}

// mispSources lists the event files arg names: a file, standard input, a
// directory (a feed when it holds manifest.json) or a feed URL.
func mispSources(ctx context.Context, env *Env, arg string, hdr http.Header) ([]mispSource, error) {
	if arg == "-" {
		return []mispSource{{"-", func(context.Context) ([]byte, error) {
			return io.ReadAll(io.LimitReader(env.Stdin, misp.MaxBodyBytes+1))
		}}}, nil
	}
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		return feedURLSources(ctx, strings.TrimSuffix(arg, "/"), hdr)
	}
	st, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []mispSource{fileSource(arg)}, nil
	}
	if manifest, err := os.ReadFile(filepath.Join(arg, "manifest.json")); err == nil {
		uuids, err := feedEvents(manifest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(arg, "manifest.json"), err)
		}
		out := make([]mispSource, len(uuids))
		for i, u := range uuids {
			out[i] = fileSource(filepath.Join(arg, u+".json"))
		}
		return out, nil
	}
	matches, err := filepath.Glob(filepath.Join(arg, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	out := make([]mispSource, len(matches))
	for i, m := range matches {
		out[i] = fileSource(m)
	}
	return out, nil
}

func fileSource(path string) mispSource {
	return mispSource{path, func(context.Context) ([]byte, error) {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.Size() > misp.MaxBodyBytes {
			return nil, fmt.Errorf("%d bytes: larger than %d", st.Size(), misp.MaxBodyBytes)
		}
		return os.ReadFile(path)
	}}
}

// feedURLSources reads a feed's manifest at base and lists its events.
func feedURLSources(ctx context.Context, base string, hdr http.Header) ([]mispSource, error) {
	manifest, err := fetch(ctx, base+"/manifest.json", hdr)
	if err != nil {
		return nil, err
	}
	uuids, err := feedEvents(manifest)
	if err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %w", base, err)
	}
	out := make([]mispSource, len(uuids))
	for i, u := range uuids {
		u := base + "/" + u + ".json"
		out[i] = mispSource{u, func(ctx context.Context) ([]byte, error) { return fetch(ctx, u, hdr) }}
	}
	return out, nil
}

// fetch GETs u with hdr, bounded by misp.MaxBodyBytes.
func fetch(ctx context.Context, u string, hdr http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, misp.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", u, resp.Status, strings.TrimSpace(string(body[:min(len(body), 512)])))
	}
	if len(body) > misp.MaxBodyBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", u, misp.MaxBodyBytes)
	}
	return body, nil
}

// feedEvents returns the event uuids a feed's manifest lists, sorted;
// an entry fusion cannot read fails the feed (its uuid names a file or a
// URL path: nothing but a uuid may pass).
func feedEvents(manifest []byte) ([]string, error) {
	entries, err := misp.ParseManifest(manifest)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Refused != "" {
			return nil, fmt.Errorf("manifest entry %q: %s", e.UUID, e.Refused)
		}
		if _, err := uuid.Parse(e.UUID); err != nil || len(e.UUID) != 36 {
			return nil, fmt.Errorf("manifest key %q: not an event uuid", e.UUID)
		}
		out = append(out, strings.ToLower(e.UUID))
	}
	sort.Strings(out)
	return out, nil
}

func mispExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "misp export", "fusion misp export --server URL --token T (--report ID | [--type T] [--label L] [--tag T] [--originator ORG] [--since TIME] [--limit N] [--title TEXT]) [-o FILE]\n\n"+
		"Writes one MISP event ({\"Event\":…}) of what the token's organization may see on a hub: a\n"+
		"report (by its id, or the uuid of the MISP event it was made of) with the records of it the\n"+
		"organization may see, or the records a search finds (at most --limit, 10,000 by default;\n"+
		"the cursor of the next page is printed on standard error). Handling MISP cannot express\n"+
		"(H-codes, audience, discoverable, personal) goes into fusion:* tags, honoured on re-import.")
	server := fs.String("server", env.Getenv("FUSION_SERVER"), "the hub's `URL` ($FUSION_SERVER)")
	token := fs.String("token", "", "API `TOKEN` (default $FUSION_TOKEN)")
	out := fs.String("o", "-", "write the event to this `FILE` (- for standard output)")
	report := fs.String("report", "", "export this report (`ID` or MISP event uuid)")
	sel := addRecordFilter(fs, true, "at most `N` records (1 to 10000)")
	title := fs.String("title", "", "the event's info for a search (default: \"fusion search, DATE\")")
	if err := parse(fs, args); err != nil {
		return err
	}
	client, err := newHubClient(env, *server, *token)
	if err != nil {
		return err
	}
	path := "/api/v1/reports/" + url.PathEscape(*report) + "/misp"
	if *report == "" {
		q, err := sel.query()
		if err != nil {
			return err
		}
		if *title != "" {
			q.Set("title", *title)
		}
		path = "/api/v1/misp/event?" + q.Encode()
	} else if sel.given() || *title != "" {
		return errors.New("--report exports one report: the search flags do not apply")
	}
	resp, body, err := client.do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	events, err := misp.ParseEvents(body)
	if err != nil || len(events) != 1 {
		return fmt.Errorf("the hub's answer is not one MISP event: %v", err)
	}
	w, closeOut, err := createOut(env, *out)
	if err != nil {
		return err
	}
	_, err = w.Write(append(bytes.TrimSpace(body), '\n'))
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	e := events[0]
	fmt.Fprintf(env.Stderr, "exported MISP event %s %q: %d attributes\n", e.UUID, e.Info, len(e.Attributes))
	if next := resp.Header.Get("Fusion-Next-Cursor"); next != "" {
		fmt.Fprintf(env.Stderr, "more records match: --cursor %s\n", next)
	}
	return nil
}
