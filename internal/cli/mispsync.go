package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/misp"
	"fusion/internal/misp/client"
	"fusion/internal/progress"
)

// mispSyncFlags are the flags pull and push share.
type mispSyncFlags struct {
	url, key, server, token, since, state string
	json                                  bool
}

func addMISPSyncFlags(fs *flag.FlagSet, env *Env) *mispSyncFlags {
	f := &mispSyncFlags{}
	fs.StringVar(&f.url, "url", env.Getenv("FUSION_MISP_URL"), "the MISP instance's base `URL` ($FUSION_MISP_URL)")
	fs.StringVar(&f.key, "key", env.Getenv("FUSION_MISP_KEY"), "the MISP user's API `KEY` ($FUSION_MISP_KEY)")
	fs.StringVar(&f.server, "server", env.Getenv("FUSION_SERVER"), "the fusion hub's `URL` ($FUSION_SERVER)")
	fs.StringVar(&f.token, "token", "", "the hub's API `TOKEN` (default $FUSION_TOKEN)")
	fs.StringVar(&f.since, "since", "", "start from `TIME` (RFC 3339, a date 2026-11-30, or a duration ago like 72h) instead of where the last run stopped")
	fs.StringVar(&f.state, "state", env.Getenv("FUSION_MISP_STATE"), "the state `FILE` remembering where each run stopped (default: the user's config dir, fusion/misp-state.json) ($FUSION_MISP_STATE)")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON line")
	return f
}

// start returns where a run begins (Unix seconds; 0 for everything), the
// state and its key.
func (f *mispSyncFlags) start(direction string) (int64, *taxiiState, string, taxiiStateEntry, error) {
	path := f.state
	if path == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return 0, nil, "", taxiiStateEntry{}, fmt.Errorf("--state: no default (%v): give a file", err)
		}
		path = filepath.Join(dir, "fusion", "misp-state.json")
	}
	st, err := loadTaxiiState(path)
	if err != nil {
		return 0, nil, "", taxiiStateEntry{}, err
	}
	key := taxiiStateEntry{Direction: direction, From: f.url, To: f.server}
	if direction == "misp-push" {
		key.From, key.To = f.server, f.url
	}
	from := st.get(key)
	if f.since != "" {
		if from, err = parseSince(f.since, time.Now()); err != nil {
			return 0, nil, "", taxiiStateEntry{}, err
		}
	}
	if from == "" {
		return 0, st, path, key, nil
	}
	t, err := time.Parse(time.RFC3339Nano, from)
	if err != nil {
		return 0, nil, "", taxiiStateEntry{}, fmt.Errorf("state %s: %q is not a time (remove the file to start over)", path, from)
	}
	return t.Unix(), st, path, key, nil
}

func mispPull(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "misp pull", "fusion misp pull --url MISP_URL --key KEY --server HUB_URL --token T [--since TIME] [--limit N] [--community GROUP] [--sharing-group SG:GROUP]... [--create-groups] [--state FILE] [--json]\n\n"+
		"Pulls events from a MISP instance's REST API (/events/restSearch, page by page, by event\n"+
		"timestamp) into a fusion hub as the token's organization, as `fusion misp import` takes\n"+
		"them. Incremental: the state file remembers the newest event timestamp taken, and the\n"+
		"next run asks only for events changed since then (events changed in the same second are\n"+
		"asked for again; importing them again changes nothing).")
	f := addMISPSyncFlags(fs, env)
	limit := fs.Int("limit", client.DefaultLimit, "events per page `N` asked of MISP (1 to 1000)")
	community := fs.String("community", "", "the fusion `GROUP` MISP distribution 1 and 2 map to")
	var groups stringsFlag
	fs.Var(&groups, "sharing-group", "map a MISP sharing group to a fusion group: `SG-UUID:GROUP`; repeatable")
	createGroups := fs.Bool("create-groups", false, "create a group for each sharing group not mapped")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "url", "key", "server"); err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return fmt.Errorf("--limit %d: must be 1 to 1000", *limit)
	}
	remote, err := client.New(f.url, f.key, nil)
	if err != nil {
		return err
	}
	hubc, err := newHubClient(env, f.server, f.token)
	if err != nil {
		return err
	}
	since, st, statePath, key, err := f.start("misp-pull")
	if err != nil {
		return err
	}
	imp := &mispImporter{client: hubc, path: "/api/v1/misp/import", out: env.Stdout}
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
	if len(q) > 0 {
		imp.path += "?" + q.Encode()
	}
	bar := progress.New(env.Stderr, "pulling", 0, "events")
	newest := since
	var sinceTime time.Time
	if since > 0 {
		sinceTime = time.Unix(since, 0)
	}
	pulled, err := remote.Pull(ctx, sinceTime, *limit, func(raw json.RawMessage) error {
		events, err := misp.ParseEvents(raw)
		if err != nil {
			return fmt.Errorf("an event MISP sent: %w", err)
		}
		for _, e := range events {
			newest = max(newest, e.Timestamp)
		}
		bar.Add(1)
		return imp.add(ctx, raw)
	})
	if err == nil {
		err = imp.flush(ctx)
	}
	bar.Finish()
	if err != nil {
		return fmt.Errorf("pull stopped after %d events; the state is unchanged, so the next run starts where this one did: %w", pulled, err)
	}
	if newest > 0 {
		st.put(key, time.Unix(newest, 0).UTC().Format(time.RFC3339))
		if err := st.save(statePath); err != nil {
			return err
		}
	}
	if f.json {
		return json.NewEncoder(env.Stdout).Encode(struct {
			Pulled int            `json:"pulled"`
			Totals hub.MISPTotals `json:"totals"`
		}{pulled, imp.totals})
	}
	fmt.Fprintf(env.Stdout, "pulled %d events\n", pulled)
	imp.summary(env.Stdout)
	return nil
}

func mispPush(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "misp push", "fusion misp push --url MISP_URL --key KEY --server HUB_URL --token T [--report ID]... [--since TIME] [--state FILE] [--json]\n\n"+
		"Pushes the token's organization's reports from a fusion hub to a MISP instance as events\n"+
		"(POST /events/add; an event MISP holds already is edited), each with the records of it\n"+
		"the organization may see, its handling in TLP and fusion:* tags. Incremental: the state\n"+
		"file remembers the last change pushed; --report pushes the reports named instead.")
	f := addMISPSyncFlags(fs, env)
	var reports stringsFlag
	fs.Var(&reports, "report", "push this report `ID` (repeatable) instead of every report changed since the last run")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "url", "key", "server"); err != nil {
		return err
	}
	remote, err := client.New(f.url, f.key, nil)
	if err != nil {
		return err
	}
	hubc, err := newHubClient(env, f.server, f.token)
	if err != nil {
		return err
	}
	since, st, statePath, key, err := f.start("misp-push")
	if err != nil {
		return err
	}
	todo := []string(reports)
	newest := time.Unix(since, 0)
	if len(todo) == 0 {
		if todo, newest, err = changedReports(ctx, hubc, since); err != nil {
			return err
		}
	}
	type failure struct{ Report, Reason string }
	var sum struct {
		Pushed  int       `json:"pushed"`
		Created int       `json:"created"`
		Updated int       `json:"updated"`
		Failed  []failure `json:"failed,omitempty"`
	}
	bar := progress.New(env.Stderr, "pushing", int64(len(todo)), "reports")
	for _, id := range todo {
		_, event, err := hubc.do(ctx, http.MethodGet, "/api/v1/reports/"+url.PathEscape(id)+"/misp", "", nil)
		var res client.PushResult
		if err == nil {
			res, err = remote.Push(ctx, event)
		}
		bar.Add(1)
		if err != nil {
			sum.Failed = append(sum.Failed, failure{id, err.Error()})
			continue
		}
		sum.Pushed++
		if res.Created {
			sum.Created++
		} else {
			sum.Updated++
		}
	}
	bar.Finish()
	if len(sum.Failed) == 0 && len(reports) == 0 && newest.Unix() > since {
		st.put(key, newest.UTC().Format(time.RFC3339Nano))
		if err := st.save(statePath); err != nil {
			return err
		}
	}
	if f.json {
		if err := json.NewEncoder(env.Stdout).Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "pushed %d reports: %d created, %d updated in MISP; %d failed\n", sum.Pushed, sum.Created, sum.Updated, len(sum.Failed))
		for _, fl := range sum.Failed {
			fmt.Fprintf(env.Stdout, "  failed %s: %s\n", fl.Report, fl.Reason)
		}
	}
	if len(sum.Failed) > 0 {
		return fmt.Errorf("%d of %d reports were not pushed; the state is unchanged, so the next run tries them again", len(sum.Failed), len(todo))
	}
	return nil
}

// changedReports lists the ids of the token's organization's reports
// changed after since (Unix seconds), oldest change first, and the newest
// change among them.
func changedReports(ctx context.Context, hubc *hubClient, since int64) ([]string, time.Time, error) {
	_, body, err := hubc.do(ctx, http.MethodGet, "/api/v1/whoami", "", nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	var who struct {
		Org intel.Org `json:"org"`
	}
	if err := json.Unmarshal(body, &who); err != nil || who.Org.ID == "" {
		return nil, time.Time{}, fmt.Errorf("the hub's whoami: %s", body)
	}
	var reps []intel.Report
	cursor := ""
	for {
		q := url.Values{"originator": {who.Org.ID}, "limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		_, body, err := hubc.do(ctx, http.MethodGet, "/api/v1/reports?"+q.Encode(), "", nil)
		if err != nil {
			return nil, time.Time{}, err
		}
		var page struct {
			Reports    []intel.Report `json:"reports"`
			NextCursor string         `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, time.Time{}, fmt.Errorf("the hub's report list: %w", err)
		}
		for _, r := range page.Reports {
			if r.Updated.Unix() > since || since == 0 {
				reps = append(reps, r)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	slices.SortFunc(reps, func(a, b intel.Report) int { return a.Updated.Compare(b.Updated) })
	ids := make([]string, len(reps))
	newest := time.Unix(since, 0)
	for i, r := range reps {
		ids[i] = r.ID
		if r.Updated.After(newest) {
			newest = r.Updated
		}
	}
	return ids, newest, nil
}
