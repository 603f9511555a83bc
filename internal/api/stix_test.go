package api_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusion/internal/cli"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

const stixExamples = "../../../shared/fixtures/stix/examples"

// TestSTIXImportExamples posts every OASIS example bundle to
// /api/v1/stix/import: each request succeeds, and every object of it is
// created, updated, unchanged or skipped with a reason; the only ones
// failing are the examples' indicators of 10.0.0.0, which the warning list
// of private addresses refuses.
func TestSTIXImportExamples(t *testing.T) {
	if _, err := os.Stat(stixExamples); err != nil {
		t.Skipf("STIX example bundles not found at %s: %v", stixExamples, err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixtureOn(t, st)
		counts := map[string]int{}
		files := 0
		err := filepath.WalkDir(stixExamples, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			var n struct {
				Type    string
				Objects []json.RawMessage
			}
			if err := json.Unmarshal(data, &n); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if n.Type != "bundle" {
				n.Objects = []json.RawMessage{data}
			}
			var ans hub.STIXImport
			status, body := f.do("POST", "/api/v1/stix/import", "org-a", data, &ans)
			if status != http.StatusOK {
				t.Errorf("%s: %d %v", path, status, body)
				return nil
			}
			if len(ans.Objects) != len(n.Objects) || ans.Totals.Objects != len(n.Objects) {
				t.Errorf("%s: %d outcomes for %d objects", path, len(ans.Objects), len(n.Objects))
			}
			for _, o := range ans.Objects {
				counts[o.Status]++
				switch o.Status {
				case hub.Created, hub.Updated, hub.Unchanged:
					if len(o.Records) == 0 && o.Report == "" {
						t.Errorf("%s %s: %s, but no record or report", path, o.ID, o.Status)
					}
				case hub.Skipped:
					if o.Reason == "" {
						t.Errorf("%s %s: skipped without a reason", path, o.ID)
					}
				case hub.Failed:
					// The examples' C2 address 10.0.0.0 is private: the
					// warning list refuses it, as it would any submission.
					if !strings.Contains(o.Reason, `value: "10.0.0.0": on the warning list "private"`) {
						t.Errorf("%s %s: failed: %s", path, o.ID, o.Reason)
					}
				default:
					t.Errorf("%s %s: %s %s", path, o.ID, o.Status, o.Reason)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < 5 || counts[hub.Created] == 0 || counts[hub.Skipped] == 0 {
			t.Errorf("%d files, %v", files, counts)
		}
		t.Logf("%d example files: %v", files, counts)
	})
}

// TestSTIXAPI: the import refuses a caller who may not write and a body
// that is not a bundle, and honours Idempotency-Key; the export is a
// bundle of what the caller may see, paged by its cursor header.
func TestSTIXAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	reader, _, err := f.hub.OperatorIssueToken(ctx, "org-a", intel.RoleReader, "reader")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens["org-a-reader"] = reader

	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
	{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'c2.example.net']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["botnet-c2"],"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]},
	{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd40","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`

	status, body := f.do("POST", "/api/v1/stix/import", "org-a-reader", bundle, nil)
	if status != http.StatusForbidden || errCode(body) != "forbidden" {
		t.Errorf("reader import: %d %v", status, body)
	}
	for _, bad := range []string{`not json`, `{"type":"indicator"}`, `{"type":"bundle","objects":"x"}`} {
		status, body := f.do("POST", "/api/v1/stix/import", "org-a", bad, nil)
		if status != http.StatusBadRequest || errCode(body) != "invalid_bundle" || !strings.Contains(errMessage(body), "stix: bundle:") {
			t.Errorf("%s: %d %v", bad, status, body)
		}
	}

	status, first, replayed := f.post("/api/v1/stix/import", "org-a", "stix-1", bundle)
	if status != http.StatusOK || replayed {
		t.Fatalf("import: %d %s", status, first)
	}
	var ans hub.STIXImport
	if err := json.Unmarshal([]byte(first), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Objects[0].Status != hub.Created || ans.Objects[1].Status != hub.Failed || !strings.Contains(ans.Objects[1].Reason, `on the warning list "private"`) {
		t.Errorf("import: %s", first)
	}
	status, again, replayed := f.post("/api/v1/stix/import", "org-a", "stix-1", bundle)
	if status != http.StatusOK || !replayed || again != first {
		t.Errorf("retry: %d replayed=%v\n%s\nwant\n%s", status, replayed, again, first)
	}
	if status, ans, _ := f.post("/api/v1/stix/import", "org-a", "stix-1", strings.Replace(bundle, "c2.example.net", "c3.example.net", 1)); status != http.StatusUnprocessableEntity {
		t.Errorf("key reused with another bundle: %d %s", status, ans)
	}

	// org-a's red record for org-c only: org-b's export does not hold it.
	var created struct {
		Results []struct{ ID string }
	}
	f.do("POST", "/api/v1/records", "org-a", `{"records":[{"value":"203.0.113.77","tlp":"red","audience":{"orgs":["org-c"]}},{"value":"203.0.113.78","tlp":"green"}]}`, &created)
	red, green := created.Results[0].ID, created.Results[1].ID

	get := func(org, query string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/stix/bundle"+query, nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[org])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	ids := func(b []byte) map[string]bool {
		var doc struct {
			Type    string
			Objects []struct{ ID string }
		}
		if err := json.Unmarshal(b, &doc); err != nil || doc.Type != "bundle" {
			t.Fatalf("not a bundle (%v): %s", err, b)
		}
		out := map[string]bool{}
		for _, o := range doc.Objects {
			out[o.ID] = true
		}
		return out
	}
	resp, b := get("org-b", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/stix+json;version=2.1" {
		t.Fatalf("export: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	got := ids(b)
	if !got[stix.IndicatorID(green)] || got[stix.IndicatorID(red)] || !got[stix.IdentityID("org-a")] {
		t.Errorf("org-b's export: green %v, red %v, org-a's identity %v", got[stix.IndicatorID(green)], got[stix.IndicatorID(red)], got[stix.IdentityID("org-a")])
	}
	if _, b := get("org-c", ""); !ids(b)[stix.IndicatorID(red)] {
		t.Errorf("org-c's export lacks the red record it is the audience of")
	}
	// Pages of one record, by the cursor header.
	seen := map[string]bool{}
	for q, n := "?limit=1", 0; ; n++ {
		resp, b := get("org-a", q)
		if resp.StatusCode != http.StatusOK || n > 5 {
			t.Fatalf("page %d: %d %s", n, resp.StatusCode, b)
		}
		for id := range ids(b) {
			if strings.HasPrefix(id, "indicator--") {
				if seen[id] {
					t.Errorf("page %d repeats %s", n, id)
				}
				seen[id] = true
			}
		}
		next := resp.Header.Get("Fusion-Next-Cursor")
		if next == "" {
			break
		}
		q = "?limit=1&cursor=" + next
	}
	if len(seen) != 3 { // c2.example.net, and the two records above
		t.Errorf("pages gave %d indicators, want 3", len(seen))
	}
	for _, q := range []string{"?limit=0", "?limit=10001", "?value=x", "?type=nonsense", "?cursor=nope"} {
		resp, b := get("org-a", q)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, resp.StatusCode, b)
		}
	}
}

// TestSTIXCommands runs `fusion stix import` and `fusion stix export`
// against the API: a summary per file with the failed objects and their
// reason, a file that is not a bundle named with the hub's reason, JSON
// lines with --json, and an export that another organization imports.
func TestSTIXCommands(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
	{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'c2.example.net']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]},
	{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd40","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
	{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd41","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","name":"x","is_family":true}]}`), 0o644)
	os.WriteFile(bad, []byte(`{"type":"grouping"}`), 0o644)
	run := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		code := cli.Main(args, env)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("stix", "import", good, bad, "--server", f.srv.URL, "--token", f.tokens["org-a"])
	if code != 1 ||
		!strings.Contains(out, "good.json: 3 objects: 1 created, 0 updated, 0 unchanged, 1 skipped, 1 failed") ||
		!strings.Contains(out, `failed indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd40: value: "10.0.0.1": on the warning list "private"`) ||
		strings.Contains(out, "malware--") ||
		!strings.Contains(errOut, `bad.json: 400 Bad Request: stix: bundle: type`) ||
		!strings.Contains(errOut, "1 of 2 files were not imported") {
		t.Errorf("import: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = run("stix", "import", "--json", "--verbose", good, "--server", f.srv.URL, "--token", f.tokens["org-a"])
	var line struct {
		File string
		hub.STIXImport
	}
	if err := json.Unmarshal([]byte(out), &line); code != 0 || err != nil || line.File != good || line.Totals.Unchanged != 1 || len(line.Objects) != 3 {
		t.Errorf("import --json: exit %d, %v\nstdout:\n%s\nstderr:\n%s", code, err, out, errOut)
	}
	if code, _, errOut := run("stix", "import", good, "--server", f.srv.URL, "--token", "fsn_wrong"); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("wrong token: exit %d: %s", code, errOut)
	}

	exported := filepath.Join(dir, "export.json")
	code, _, errOut = run("stix", "export", "--server", f.srv.URL, "--token", f.tokens["org-a"], "-o", exported, "--limit", "1")
	if code != 0 || !strings.Contains(errOut, "exported") {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	code, _, errOut = run("stix", "export", "--server", f.srv.URL, "--token", f.tokens["org-a"], "-o", exported)
	if code != 0 || !strings.Contains(errOut, "exported") {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(exported)
	if !strings.Contains(string(data), "c2.example.net") {
		t.Errorf("export lacks the imported record: %s", data)
	}
	code, out, errOut = run("stix", "import", exported, "--server", f.srv.URL, "--token", f.tokens["org-c"])
	if code != 0 || !strings.Contains(out, "records: 1 created, 0 updated, 0 unchanged, 0 refused") {
		t.Errorf("import of the export by org-c: exit %d\n%s\n%s", code, out, errOut)
	}
}
