package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/google/uuid"

	"fusion/internal/hub"
	"fusion/internal/progress"
	"fusion/internal/stix"
)

// hubClient is a hub's API as --server and --token name it.
type hubClient struct {
	base, token string
}

func newHubClient(env *Env, server, token string) (*hubClient, error) {
	if token == "" && env.Getenv != nil {
		token = env.Getenv("FUSION_TOKEN")
	}
	if server == "" {
		return nil, errors.New("--server is required")
	}
	if token == "" {
		return nil, errors.New("--server needs --token or FUSION_TOKEN")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: not an http(s) URL", server)
	}
	return &hubClient{base: strings.TrimSuffix(server, "/"), token: token}, nil
}

// do sends a request and returns the answer, or an error with the
// hub's message for any status but 200.
func (c *hubClient) do(ctx context.Context, method, path, contentType string, body []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(answer, &e) == nil && e.Error.Message != "" {
			return nil, nil, fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
		}
		return nil, nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(answer[:min(len(answer), 4<<10)])))
	}
	return resp, answer, nil
}

func stixImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "stix import", "fusion stix import FILE... --server URL --token T [--json] [--verbose]\n\n"+
		"Imports STIX 2.1 bundles (- for standard input) into a hub as the token's organization:\n"+
		"indicators and observables become records, reports become reports. Prints per file what\n"+
		"became of its objects (created, updated, unchanged, skipped, failed), the failed ones with\n"+
		"their reason; --json writes one JSON line per file with every object instead.")
	server := fs.String("server", "", "the hub's `URL`")
	token := fs.String("token", "", "API `TOKEN` (default $FUSION_TOKEN)")
	asJSON := fs.Bool("json", false, "write one JSON line per file: {file, objects, totals} or {file, error}")
	verbose := fs.Bool("verbose", false, "also list the skipped objects with their reason")
	files, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintln(env.Stderr, "at least one FILE is required")
		fs.Usage()
		return errUsage
	}
	client, err := newHubClient(env, *server, *token)
	if err != nil {
		return err
	}
	var bar *progress.Bar
	if len(files) > 1 {
		bar = progress.New(env.Stderr, "importing", int64(len(files)), "files")
	}
	var all hub.STIXTotals
	failed := 0
	enc := json.NewEncoder(env.Stdout)
	for _, file := range files {
		res, err := importBundleFile(ctx, env, client, file)
		if bar != nil {
			bar.Add(1)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			failed++
			if *asJSON {
				enc.Encode(map[string]string{"file": file, "error": err.Error()})
			} else {
				fmt.Fprintf(env.Stderr, "%s: %v\n", file, err)
			}
			continue
		}
		addTotals(&all, res.Totals)
		if *asJSON {
			if err := enc.Encode(struct {
				File string `json:"file"`
				hub.STIXImport
			}{file, res}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %s\n", file, summary(res.Totals))
		for _, o := range res.Objects {
			if o.Status == hub.Failed || *verbose && o.Status == hub.Skipped {
				fmt.Fprintf(env.Stdout, "  %s %s: %s\n", o.Status, o.ID, o.Reason)
			}
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if !*asJSON && len(files) > 1 {
		fmt.Fprintf(env.Stdout, "total, %d files: %s\n", len(files), summary(all))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not imported", failed, len(files))
	}
	return nil
}

func importBundleFile(ctx context.Context, env *Env, client *hubClient, file string) (hub.STIXImport, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(env.Stdin, stix.MaxImportBytes+1))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return hub.STIXImport{}, err
	}
	_, answer, err := client.do(ctx, http.MethodPost, "/api/v1/stix/import", "application/stix+json", data)
	if err != nil {
		return hub.STIXImport{}, err
	}
	var res hub.STIXImport
	if err := json.Unmarshal(answer, &res); err != nil {
		return hub.STIXImport{}, fmt.Errorf("the hub's answer: %w", err)
	}
	return res, nil
}

// recordFilter is the flags that select records for an export: the
// filters of GET /api/v1/records.
type recordFilter struct {
	typ, label, tag, originator, since, cursor string
	limit                                      int
}

func addRecordFilter(fs *flag.FlagSet, originator bool, limitUsage string) *recordFilter {
	f := &recordFilter{}
	fs.StringVar(&f.typ, "type", "", "only records of this observable `TYPE`")
	fs.StringVar(&f.label, "label", "", "only records with this `LABEL`")
	fs.StringVar(&f.tag, "tag", "", "only records with this `TAG`")
	if originator {
		fs.StringVar(&f.originator, "originator", "", "only records of this `ORG`")
	}
	fs.StringVar(&f.since, "since", "", "only records changed at or after this `TIME`")
	fs.IntVar(&f.limit, "limit", 0, limitUsage)
	fs.StringVar(&f.cursor, "cursor", "", "continue from this `CURSOR` (printed by a --limit export)")
	return f
}

// given reports whether any filter was given.
func (f *recordFilter) given() bool {
	return f.typ+f.label+f.tag+f.originator+f.since+f.cursor != "" || f.limit != 0
}

// query is the filters as the API's query parameters.
func (f *recordFilter) query() (url.Values, error) {
	q := url.Values{}
	for k, v := range map[string]string{"type": f.typ, "label": f.label, "tag": f.tag, "originator": f.originator, "cursor": f.cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.since != "" {
		t, err := parseWhen(f.since)
		if err != nil {
			return nil, fmt.Errorf("--since %q: %w", f.since, err)
		}
		q.Set("since", t.Format("2006-01-02T15:04:05.999999999Z07:00"))
	}
	if f.limit != 0 {
		q.Set("limit", fmt.Sprint(f.limit))
	}
	return q, nil
}

func addTotals(sum *hub.STIXTotals, t hub.STIXTotals) {
	sum.Objects += t.Objects
	sum.Created += t.Created
	sum.Updated += t.Updated
	sum.Unchanged += t.Unchanged
	sum.Skipped += t.Skipped
	sum.Failed += t.Failed
	sum.Records.Submitted += t.Records.Submitted
	sum.Records.Created += t.Records.Created
	sum.Records.Updated += t.Records.Updated
	sum.Records.Unchanged += t.Records.Unchanged
	sum.Records.Refused += t.Records.Refused
}

func summary(t hub.STIXTotals) string {
	return fmt.Sprintf("%d objects: %d created, %d updated, %d unchanged, %d skipped, %d failed; records: %d created, %d updated, %d unchanged, %d refused",
		t.Objects, t.Created, t.Updated, t.Unchanged, t.Skipped, t.Failed, t.Records.Created, t.Records.Updated, t.Records.Unchanged, t.Records.Refused)
}

func stixExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "stix export", "fusion stix export --server URL --token T [-o FILE] [--type T] [--label L] [--tag T] [--since TIME] [--limit N]\n\n"+
		"Writes what the token's organization may see on a hub as one STIX 2.1 bundle: the records\n"+
		"(indicator, observable, based-on relationship), the reports that group them and the\n"+
		"organizations they name. The hub sends at most 10,000 records per bundle; without --limit\n"+
		"the export follows every page and writes them as one bundle.")
	server := fs.String("server", "", "the hub's `URL`")
	token := fs.String("token", "", "API `TOKEN` (default $FUSION_TOKEN)")
	out := fs.String("o", "-", "write the bundle to this `FILE` (- for standard output)")
	sel := addRecordFilter(fs, false, "export one bundle of at most `N` records and print the cursor of the next on standard error")
	if err := parse(fs, args); err != nil {
		return err
	}
	client, err := newHubClient(env, *server, *token)
	if err != nil {
		return err
	}
	q, err := sel.query()
	if err != nil {
		return err
	}
	limit := &sel.limit
	var bundle struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}
	seen := map[string]int{} // id|modified → index in bundle.Objects
	skipped, pages := 0, 0
	var bar *progress.Bar
	for {
		resp, answer, err := client.do(ctx, http.MethodGet, "/api/v1/stix/bundle?"+q.Encode(), "", nil)
		if err != nil {
			return err
		}
		pages++
		var page struct {
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(answer, &page); err != nil {
			return fmt.Errorf("the hub's bundle: %w", err)
		}
		bundle.Type, bundle.ID = "bundle", page.ID
		for _, o := range page.Objects {
			var head struct{ Type, ID, Modified string }
			if err := json.Unmarshal(o, &head); err != nil {
				return fmt.Errorf("the hub's bundle: %w", err)
			}
			key := head.ID + "|" + head.Modified
			i, ok := seen[key]
			switch {
			case !ok:
				seen[key] = len(bundle.Objects)
				bundle.Objects = append(bundle.Objects, o)
			case head.Type == "report":
				// A report with records on several pages came with each
				// page's records: one report of them all.
				if bundle.Objects[i], err = mergeRefs(bundle.Objects[i], o); err != nil {
					return fmt.Errorf("the hub's bundle: %w", err)
				}
			}
		}
		var n int
		fmt.Sscan(resp.Header.Get("Fusion-Skipped"), &n)
		skipped += n
		next := resp.Header.Get("Fusion-Next-Cursor")
		if next != "" && *limit != 0 {
			fmt.Fprintf(env.Stderr, "more records follow: --cursor %s\n", next)
		}
		if next == "" || *limit != 0 {
			break
		}
		if bar == nil {
			bar = progress.New(env.Stderr, "exporting", 0, "bundles")
		}
		bar.Add(1)
		q.Set("cursor", next)
	}
	if bar != nil {
		bar.Finish()
	}
	if pages > 1 {
		// One bundle of several pages is a new bundle.
		bundle.ID = "bundle--" + uuid.NewString()
	}
	if bundle.Objects == nil {
		bundle.Objects = []json.RawMessage{}
	}
	w, closeOut, err := createOut(env, *out)
	if err != nil {
		return err
	}
	data, err := json.Marshal(bundle)
	if err == nil {
		_, err = w.Write(append(data, '\n'))
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %d STIX objects; %d records or reports had no STIX form (redacted, or a type STIX has no observable for)\n", len(bundle.Objects), skipped)
	return nil
}

// mergeRefs returns report a with the object_refs of b it lacks added.
func mergeRefs(a, b json.RawMessage) (json.RawMessage, error) {
	var ra, rb map[string]any
	if err := json.Unmarshal(a, &ra); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &rb); err != nil {
		return nil, err
	}
	refs, _ := ra["object_refs"].([]any)
	for _, r := range asSlice(rb["object_refs"]) {
		if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	ra["object_refs"] = refs
	return json.Marshal(ra)
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
