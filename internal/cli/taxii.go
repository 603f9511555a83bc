package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/progress"
	"fusion/internal/taxii/client"
)

// taxiiFlags are the flags pull and push share.
type taxiiFlags struct {
	url, collection, token, user, password string
	server, serverToken, fromCollection    string
	since, state                           string
	limit, retries                         int
	json                                   bool
	timeout                                time.Duration
}

func addTaxiiFlags(fs *flag.FlagSet, env *Env, push bool) *taxiiFlags {
	f := &taxiiFlags{}
	fs.StringVar(&f.url, "url", "", "the remote TAXII server `URL`: its base, its discovery (/taxii2/) or an API root")
	if push {
		fs.StringVar(&f.collection, "collection", "", "the remote collection `ID` to post to (it must allow writing)")
		fs.StringVar(&f.fromCollection, "from-collection", hub.CollectionVisible, "the local collection `ID` to read (default: everything the token may see)")
	} else {
		fs.StringVar(&f.collection, "collection", "", "the remote collection `ID` to pull (it must allow reading)")
	}
	fs.StringVar(&f.token, "token", env.Getenv("FUSION_TAXII_TOKEN"), "bearer `TOKEN` for the remote server ($FUSION_TAXII_TOKEN)")
	fs.StringVar(&f.user, "user", env.Getenv("FUSION_TAXII_USER"), "HTTP Basic `USER` for the remote server, instead of --token ($FUSION_TAXII_USER)")
	fs.StringVar(&f.password, "password", env.Getenv("FUSION_TAXII_PASSWORD"), "HTTP Basic `PASSWORD` for the remote server ($FUSION_TAXII_PASSWORD)")
	fs.StringVar(&f.server, "server", env.Getenv("FUSION_SERVER"), "the local hub's `URL` ($FUSION_SERVER)")
	fs.StringVar(&f.serverToken, "server-token", env.Getenv("FUSION_TOKEN"), "API `TOKEN` for the local hub ($FUSION_TOKEN)")
	fs.StringVar(&f.since, "since", "", "take objects added after `TIME` (RFC 3339, a date 2026-11-30, or a duration ago like 72h) instead of where the last run stopped")
	fs.StringVar(&f.state, "state", env.Getenv("FUSION_TAXII_STATE"), "the state `FILE` remembering where each run stopped (default: the user's config dir, fusion/taxii-state.json) ($FUSION_TAXII_STATE)")
	fs.IntVar(&f.limit, "limit", 1000, "objects per page `N` asked of the source (1 to 10000)")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON line")
	fs.IntVar(&f.retries, "retries", client.DefaultRetries, "retries `N` of a request after 429, 502, 503, 504 or a connection failure, with backoff (0: none)")
	fs.DurationVar(&f.timeout, "timeout", client.DefaultTimeout, "bound on each request (`DURATION`)")
	return f
}

// check validates the flags after parsing.
func (f *taxiiFlags) check(fs *flag.FlagSet) error {
	if err := required(fs, "url", "collection", "server", "server-token"); err != nil {
		return err
	}
	if f.token != "" && (f.user != "" || f.password != "") {
		return errors.New("--token and --user/--password both given: the remote server takes one")
	}
	if f.password != "" && f.user == "" {
		return errors.New("--password needs --user")
	}
	if f.limit < 1 || f.limit > hub.MaxObjectsPage {
		return fmt.Errorf("--limit %d: must be 1 to %d", f.limit, hub.MaxObjectsPage)
	}
	if f.retries < 0 || f.retries > 20 {
		return fmt.Errorf("--retries %d: must be 0 to 20", f.retries)
	}
	if f.timeout <= 0 {
		return fmt.Errorf("--timeout %v: must be positive", f.timeout)
	}
	return nil
}

func (f *taxiiFlags) remote() *client.Client {
	return client.New(client.Options{Token: f.token, User: f.user, Password: f.password, Timeout: f.timeout, Retries: f.clientRetries()})
}

func (f *taxiiFlags) local() *client.Client {
	return client.New(client.Options{Token: f.serverToken, Timeout: f.timeout, Retries: f.clientRetries()})
}

// clientRetries maps --retries to client.Options.Retries (whose 0 is the
// default and negative none).
func (f *taxiiFlags) clientRetries() int {
	if f.retries == 0 {
		return -1
	}
	return f.retries
}

// parseSince reads --since: RFC 3339, a date, or a duration before now.
func parseSince(s string, now time.Time) (string, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC().Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("--since %q: not a time (RFC 3339 like 2026-11-30T12:00:00Z, a date like 2026-11-30, or a duration ago like 72h)", s)
}

func taxiiPull(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "taxii pull", "fusion taxii pull --url URL --collection ID [--token T | --user U --password P] [--since TIME] --server LOCAL_HUB_URL --server-token T [--state FILE] [--json]\n\n"+
		"Pulls a remote TAXII 2.1 collection page by page and posts the objects to the local hub's\n"+
		"TAXII inbox (the collection the local token may write but not read), so they become\n"+
		"records of the token's organization. Incremental: the state file remembers the last\n"+
		"X-TAXII-Date-Added-Last per source and destination; --since overrides it.")
	f := addTaxiiFlags(fs, env, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	remote, local := f.remote(), f.local()
	srcRoot, _, err := remote.FindAPIRoot(ctx, f.url)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	src, err := remote.Collection(ctx, srcRoot, f.collection)
	if err != nil {
		return fmt.Errorf("--collection: %w", err)
	}
	if !src.CanRead {
		return fmt.Errorf("--collection %s (%s) at %s: the token may not read it", src.ID, src.Title, srcRoot)
	}
	dstRoot, dstInfo, err := local.FindAPIRoot(ctx, f.server)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	cols, err := local.Collections(ctx, dstRoot)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	var inbox *client.Collection
	for i := range cols {
		if cols[i].CanWrite && !cols[i].CanRead {
			inbox = &cols[i]
			break
		}
	}
	if inbox == nil {
		return fmt.Errorf("--server %s: no inbox (a collection the token may write but not read) among its %d collections: the token needs a role that submits records", dstRoot, len(cols))
	}
	return transfer(ctx, env, f, "pull", remote, srcRoot, src.ID, local, dstRoot, inbox.ID, dstInfo)
}

func taxiiPush(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "taxii push", "fusion taxii push --url URL --collection ID [--token T | --user U --password P] --server LOCAL_HUB_URL --server-token T [--from-collection ID] [--since TIME] [--state FILE] [--json]\n\n"+
		"Reads a collection of the local hub over TAXII (by default everything the local token may\n"+
		"see) and posts its objects to a remote TAXII 2.1 collection. Incremental as pull is.")
	f := addTaxiiFlags(fs, env, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	remote, local := f.remote(), f.local()
	srcRoot, _, err := local.FindAPIRoot(ctx, f.server)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	src, err := local.Collection(ctx, srcRoot, f.fromCollection)
	if err != nil {
		return fmt.Errorf("--from-collection: %w", err)
	}
	if !src.CanRead {
		return fmt.Errorf("--from-collection %s (%s) at %s: the token may not read it", src.ID, src.Title, srcRoot)
	}
	dstRoot, dstInfo, err := remote.FindAPIRoot(ctx, f.url)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	dst, err := remote.Collection(ctx, dstRoot, f.collection)
	if err != nil {
		return fmt.Errorf("--collection: %w", err)
	}
	if !dst.CanWrite {
		return fmt.Errorf("--collection %s (%s) at %s: the token may not write to it", dst.ID, dst.Title, dstRoot)
	}
	return transfer(ctx, env, f, "push", local, srcRoot, src.ID, remote, dstRoot, dst.ID, dstInfo)
}

// taxiiSummary is what a pull or push did.
type taxiiSummary struct {
	Direction      string `json:"direction"`
	From           string `json:"from"`
	FromCollection string `json:"from_collection"`
	To             string `json:"to"`
	ToCollection   string `json:"to_collection"`
	AddedAfter     string `json:"added_after,omitempty"`
	Fetched        int    `json:"fetched"`
	Created        int    `json:"created"`
	Updated        int    `json:"updated"`
	Unchanged      int    `json:"unchanged"`
	Skipped        int    `json:"skipped"`
	Failed         int    `json:"failed"`
	// Reasons counts the messages of skipped and failed objects (the most
	// frequent 10).
	Reasons map[string]int `json:"reasons,omitempty"`
	// DateAddedLast is where the next run starts.
	DateAddedLast string  `json:"date_added_last,omitempty"`
	Seconds       float64 `json:"seconds"`
}

// tally counts one status resource, leaving out the objects carried into
// the envelope from earlier pages.
func (s *taxiiSummary) tally(st client.Status, carried map[string]bool, reasons map[string]int) {
	for _, d := range st.Successes {
		if carried[d.ID] {
			continue
		}
		switch outcome(d.Message) {
		case "created":
			s.Created++
		case "unchanged":
			s.Unchanged++
		default: // "updated", and successes a server words otherwise
			s.Updated++
		}
	}
	for _, d := range st.Failures {
		if carried[d.ID] {
			continue
		}
		if outcome(d.Message) == "skipped" {
			s.Skipped++
		} else {
			s.Failed++
		}
		reasons[reason(d.Message)]++
	}
}

// outcome is the first word of a status message ("created: record …",
// "created record …").
func outcome(msg string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(msg), " ")
	return strings.ToLower(strings.TrimSuffix(w, ":"))
}

// stixID matches a STIX identifier (type--UUID).
var stixID = regexp.MustCompile(`\b[a-z0-9][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`)

// reason is a failure message with the STIX ids that make each one
// different replaced, so that like reasons count together.
func reason(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return "(no reason given)"
	}
	return stixID.ReplaceAllStringFunc(msg, func(id string) string {
		typ, _, _ := strings.Cut(id, "--")
		return typ + "--…"
	})
}

// later returns the later of two timestamps as servers write them.
func later(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	if errA != nil || errB != nil {
		return b // the newer page's, when either cannot be compared
	}
	if tb.After(ta) {
		return b
	}
	return a
}

// transfer pages through src's collection from where the state (or
// --since) says, posting each page to dst's collection, and saves where it
// stopped once everything is posted.
func transfer(ctx context.Context, env *Env, f *taxiiFlags, direction string, src *client.Client, srcRoot, srcCol string, dst *client.Client, dstRoot, dstCol string, dstInfo client.APIRoot) error {
	began := time.Now()
	statePath := f.state
	if statePath == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return fmt.Errorf("--state: no default (%v): give a file", err)
		}
		statePath = filepath.Join(dir, "fusion", "taxii-state.json")
	}
	st, err := loadTaxiiState(statePath)
	if err != nil {
		return err
	}
	key := taxiiStateEntry{Direction: direction, From: srcRoot, FromCollection: srcCol, To: dstRoot, ToCollection: dstCol}
	sum := taxiiSummary{Direction: direction, From: srcRoot, FromCollection: srcCol, To: dstRoot, ToCollection: dstCol}
	if f.since != "" {
		if sum.AddedAfter, err = parseSince(f.since, time.Now()); err != nil {
			return err
		}
	} else {
		sum.AddedAfter = st.get(key)
	}
	maxObjects := min(hub.MaxAddObjects, 10000)
	reasons := map[string]int{}
	last := ""
	refs := client.NewCarrier(10_000)
	bar := progress.New(env.Stderr, direction+"ing "+srcCol, 0, "objects")
	err = src.Each(ctx, srcRoot, srcCol, client.Query{AddedAfter: sum.AddedAfter, Limit: f.limit}, func(p client.Page) error {
		sum.Fetched += len(p.Objects)
		// Half the bound leaves room for the objects carried from earlier
		// pages (client.Carrier).
		batches, err := client.Batches(p.Objects, dstInfo.MaxContentLength/2, maxObjects)
		if err != nil {
			return err
		}
		refs.Learn(p.Objects)
		for _, b := range batches {
			b, carried := refs.Complete(b)
			status, err := dst.AddObjects(ctx, dstRoot, dstCol, b)
			if err != nil {
				return err
			}
			sum.tally(status, carried, reasons)
		}
		last = later(last, p.DateAddedLast)
		bar.Add(int64(len(p.Objects)))
		return nil
	})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("%s stopped after %d objects (%d created, %d updated, %d unchanged, %d skipped, %d failed); the state is unchanged, so the next run starts where this one did: %w",
			direction, sum.Fetched, sum.Created, sum.Updated, sum.Unchanged, sum.Skipped, sum.Failed, err)
	}
	sum.DateAddedLast = later(sum.AddedAfter, last)
	if sum.DateAddedLast != "" && sum.DateAddedLast != st.get(key) {
		st.put(key, sum.DateAddedLast)
		if err := st.save(statePath); err != nil {
			return err
		}
	}
	sum.Reasons = topReasons(reasons, 10)
	sum.Seconds = time.Since(began).Seconds()
	if f.json {
		return json.NewEncoder(env.Stdout).Encode(sum)
	}
	fmt.Fprintf(env.Stdout, "%sed %s objects from %s collection %s to %s collection %s in %v: %d created, %d updated, %d unchanged, %d skipped, %d failed\n",
		direction, progress.Count(int64(sum.Fetched)), srcRoot, srcCol, dstRoot, dstCol, time.Duration(sum.Seconds*float64(time.Second)).Round(time.Millisecond),
		sum.Created, sum.Updated, sum.Unchanged, sum.Skipped, sum.Failed)
	for _, r := range sortedReasons(sum.Reasons) {
		fmt.Fprintf(env.Stdout, "  %6d × %s\n", sum.Reasons[r], r)
	}
	if sum.DateAddedLast != "" {
		fmt.Fprintf(env.Stdout, "next run starts after %s (state %s)\n", sum.DateAddedLast, statePath)
	}
	return nil
}

func sortedReasons(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func topReasons(m map[string]int, n int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, k := range sortedReasons(m)[:min(n, len(m))] {
		out[k] = m[k]
	}
	return out
}

// taxiiState is the state file: where the last run of each source and
// destination pair stopped.
type taxiiState struct {
	Version int               `json:"version"`
	Runs    []taxiiStateEntry `json:"runs"`
}

type taxiiStateEntry struct {
	Direction      string `json:"direction"`
	From           string `json:"from"`
	FromCollection string `json:"from_collection"`
	To             string `json:"to"`
	ToCollection   string `json:"to_collection"`
	// AddedAfter is the X-TAXII-Date-Added-Last of the last page the
	// last complete run posted.
	AddedAfter string `json:"added_after"`
	Updated    string `json:"updated"`
}

func (e taxiiStateEntry) same(o taxiiStateEntry) bool {
	return e.Direction == o.Direction && e.From == o.From && e.FromCollection == o.FromCollection && e.To == o.To && e.ToCollection == o.ToCollection
}

func loadTaxiiState(path string) (*taxiiState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &taxiiState{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	var st taxiiState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("state %s: not a TAXII state file: %v (remove it to start over)", path, err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("state %s: version %d: this fusion reads version 1", path, st.Version)
	}
	return &st, nil
}

func (st *taxiiState) get(k taxiiStateEntry) string {
	for _, e := range st.Runs {
		if e.same(k) {
			return e.AddedAfter
		}
	}
	return ""
}

func (st *taxiiState) put(k taxiiStateEntry, addedAfter string) {
	k.AddedAfter, k.Updated = addedAfter, time.Now().UTC().Format(time.RFC3339)
	for i, e := range st.Runs {
		if e.same(k) {
			st.Runs[i] = k
			return
		}
	}
	st.Runs = append(st.Runs, k)
}

// save writes the state atomically: a temporary file in the same
// directory, synced, then renamed over the old one.
func (st *taxiiState) save(path string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".taxii-state-*")
	if err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	return nil
}

func taxiiCollections(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "taxii collections", "fusion taxii collections --url URL [--token T | --user U --password P] [--json]\n\n"+
		"Lists the collections a TAXII 2.1 server offers the credentials: id, read, write, title.")
	url := fs.String("url", "", "the TAXII server `URL`: its base, its discovery (/taxii2/) or an API root")
	token := fs.String("token", env.Getenv("FUSION_TAXII_TOKEN"), "bearer `TOKEN` ($FUSION_TAXII_TOKEN)")
	user := fs.String("user", env.Getenv("FUSION_TAXII_USER"), "HTTP Basic `USER`, instead of --token ($FUSION_TAXII_USER)")
	password := fs.String("password", env.Getenv("FUSION_TAXII_PASSWORD"), "HTTP Basic `PASSWORD` ($FUSION_TAXII_PASSWORD)")
	asJSON := fs.Bool("json", false, "print the API root and its collections as one JSON line")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "url"); err != nil {
		return err
	}
	if *token != "" && (*user != "" || *password != "") {
		return errors.New("--token and --user/--password both given: the server takes one")
	}
	c := client.New(client.Options{Token: *token, User: *user, Password: *password})
	root, info, err := c.FindAPIRoot(ctx, *url)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	cols, err := c.Collections(ctx, root)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{"api_root": root, "title": info.Title, "collections": cols})
	}
	fmt.Fprintf(env.Stdout, "%s (%s)\n", root, info.Title)
	for _, col := range cols {
		mode := ""
		if col.CanRead {
			mode += "r"
		} else {
			mode += "-"
		}
		if col.CanWrite {
			mode += "w"
		} else {
			mode += "-"
		}
		fmt.Fprintf(env.Stdout, "%s  %s  %s\n", col.ID, mode, col.Title)
	}
	return nil
}
