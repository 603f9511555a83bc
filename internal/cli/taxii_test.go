package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fusion/internal/cli"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server/servertest"
	"fusion/internal/taxii/client"
)

type summary struct {
	Fetched, Created, Updated, Unchanged, Skipped, Failed int
	Reasons                                               map[string]int
	DateAddedLast                                         string `json:"date_added_last"`
}

// run runs the fusion command line in-process.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

func runJSON(t *testing.T, env map[string]string, args ...string) summary {
	t.Helper()
	code, out, errOut := run(t, env, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("fusion %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	var s summary
	if err := json.Unmarshal([]byte(out), &s); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	return s
}

// values returns the indicator patterns of a collection, read over TAXII,
// that mention marker.
func values(t *testing.T, h *servertest.Hub, token, collection, marker string) map[string]int {
	t.Helper()
	out := map[string]int{}
	c := client.New(client.Options{Token: token})
	err := c.Each(context.Background(), h.URL+"/taxii2/api/", collection, client.Query{Types: []string{"indicator"}}, func(p client.Page) error {
		for _, o := range p.Objects {
			var v struct{ Pattern string }
			if err := json.Unmarshal(o, &v); err != nil {
				return err
			}
			if strings.Contains(v.Pattern, marker) {
				out[v.Pattern]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTaxiiPullPush federates two hubs, each with its own store, over
// TAXII only: pull A's collection into B, incrementally, then push B's
// own records to A.
func TestTaxiiPullPush(t *testing.T) {
	a, b := servertest.Start(t), servertest.Start(t)
	alice := a.Org(t, "org-a", intel.RoleAnalyst)
	a.Records(t, alice, "alpha", 12)
	partner := a.Org(t, "hub-b", intel.RolePartner) // B's token at A
	bob := b.Org(t, "org-b", intel.RoleAnalyst)
	state := filepath.Join(t.TempDir(), "state.json")
	env := map[string]string{"FUSION_TOKEN": bob, "FUSION_TAXII_TOKEN": partner}
	pull := []string{"taxii", "pull", "--url", a.URL, "--collection", hub.CollectionVisible, "--server", b.URL, "--state", state, "--limit", "5"}

	s := runJSON(t, env, pull...)
	if s.Fetched < 12 || s.Created != 12 || s.Failed != 0 || s.DateAddedLast == "" {
		t.Fatalf("first pull: %+v", s)
	}
	if got := values(t, b, bob, hub.CollectionOwn, ".alpha.example.com"); len(got) != 12 {
		t.Fatalf("B holds %d of A's 12 records as its own: %v", len(got), got)
	}
	saved, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(saved), s.DateAddedLast) || !strings.Contains(string(saved), a.URL+"/taxii2/api/") {
		t.Fatalf("state after the first pull: %s %v", saved, err)
	}

	// Nothing new: nothing fetched.
	if s := runJSON(t, env, pull...); s.Fetched != 0 || s.Created != 0 {
		t.Errorf("second pull: %+v", s)
	}
	// Everything again (--since): nothing created, all unchanged.
	if s := runJSON(t, env, append(pull, "--since", "2000-01-01")...); s.Created != 0 || s.Updated != 0 || s.Unchanged < 12 || s.Failed != 0 {
		t.Errorf("full re-pull: %+v", s)
	}
	if got := values(t, b, bob, hub.CollectionOwn, ".alpha.example.com"); len(got) != 12 {
		t.Errorf("after re-pulling, B holds %d records of A's", len(got))
	}
	// New records at A: only they come.
	a.Records(t, alice, "again", 3)
	if s := runJSON(t, env, pull...); s.Created != 3 || s.Unchanged != 0 || s.Fetched == 0 || s.Fetched >= 12 {
		t.Errorf("pull after 3 new records: %+v", s)
	}
	if got := values(t, b, bob, hub.CollectionOwn, ".again.example.com"); len(got) != 3 {
		t.Errorf("B holds %d of A's 3 new records", len(got))
	}

	// Push B's own records to A's inbox, as an organization of A.
	b.Records(t, bob, "bravo", 4)
	carol := a.Org(t, "org-c", intel.RoleAnalyst)
	push := []string{"taxii", "push", "--url", a.URL + "/taxii2/", "--collection", hub.CollectionInbox, "--token", carol,
		"--server", b.URL, "--from-collection", hub.CollectionOwn, "--state", state}
	s = runJSON(t, env, push...)
	if s.Created != 12+3+4 || s.Failed != 0 || s.Skipped == 0 || len(s.Reasons) == 0 {
		t.Errorf("push: %+v", s)
	}
	if got := values(t, a, carol, hub.CollectionOwn, ".bravo.example.com"); len(got) != 4 {
		t.Errorf("A holds %d of B's 4 records as org-c's", len(got))
	}
	if s := runJSON(t, env, push...); s.Fetched != 0 {
		t.Errorf("second push: %+v", s)
	}
	// The push's records come back to B with the next pull (B's own four
	// once more, updated with where they were seen); then both directions
	// are quiet: no echo.
	if s := runJSON(t, env, pull...); s.Created != 0 || s.Failed != 0 {
		t.Errorf("pull after push: %+v", s)
	}
	runJSON(t, env, push...)
	if s := runJSON(t, env, pull...); s.Fetched != 0 {
		t.Errorf("pull after a round: %+v", s)
	}
	if s := runJSON(t, env, push...); s.Fetched != 0 {
		t.Errorf("push after a round: %+v", s)
	}
	if saved, _ := os.ReadFile(state); strings.Count(string(saved), `"direction"`) != 2 {
		t.Errorf("state keeps the pull and the push apart: %s", saved)
	}
	if len(s.Reasons) > 0 {
		for r := range s.Reasons {
			if regexp.MustCompile(`--[0-9a-f]{8}-`).MatchString(r) {
				t.Errorf("reason %q names an object: like reasons do not count together", r)
			}
		}
	}

	// The human summary.
	a.Records(t, alice, "human", 1)
	code, out, errOut := run(t, env, pull...)
	if code != 0 || !strings.Contains(out, "1 created, 0 updated, 0 unchanged") || !strings.Contains(out, "next run starts after") {
		t.Errorf("summary: %d %s %s", code, out, errOut)
	}
}

func TestTaxiiErrors(t *testing.T) {
	a, b := servertest.Start(t), servertest.Start(t)
	alice := a.Org(t, "org-a", intel.RoleAnalyst)
	a.Records(t, alice, "alpha", 2)
	bob := b.Org(t, "org-b", intel.RoleAnalyst)
	reader := b.Token(t, "org-b", intel.RoleReader)
	state := filepath.Join(t.TempDir(), "state.json")
	base := []string{"taxii", "pull", "--collection", hub.CollectionVisible, "--state", state}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"bad remote token", []string{"--url", a.URL, "--token", "nope", "--server", b.URL, "--server-token", bob}, 1,
			[]string{"--collection", a.URL + "/taxii2/api/collections/" + hub.CollectionVisible + "/", "401", "Unauthorized"}},
		{"bad local token", []string{"--url", a.URL, "--token", alice, "--server", b.URL, "--server-token", "nope"}, 1, []string{"--server", "401"}},
		{"local token without inbox", []string{"--url", a.URL, "--token", alice, "--server", b.URL, "--server-token", reader}, 1, []string{"no inbox"}},
		{"unreachable", []string{"--url", dead, "--token", alice, "--server", b.URL, "--server-token", bob, "--timeout", "2s", "--retries", "1"}, 1, []string{"--url", dead, "gave up after 2 attempts"}},
		{"unknown collection", []string{"--url", a.URL, "--token", alice, "--server", b.URL, "--server-token", bob, "--collection", "nope"}, 1, []string{"404", "nope"}},
		{"not a URL", []string{"--url", "a.example.com", "--token", alice, "--server", b.URL, "--server-token", bob}, 1, []string{`"a.example.com"`, "not an absolute http(s) URL"}},
		{"bad since", []string{"--url", a.URL, "--token", alice, "--server", b.URL, "--server-token", bob, "--since", "yesterday"}, 1, []string{`--since "yesterday"`}},
		{"token and basic", []string{"--url", a.URL, "--token", alice, "--user", "u", "--server", b.URL, "--server-token", bob}, 1, []string{"--token and --user"}},
		{"missing url", []string{"--server", b.URL, "--server-token", bob}, 2, []string{"--url is required"}},
		{"bad limit", []string{"--url", a.URL, "--token", alice, "--server", b.URL, "--server-token", bob, "--limit", "0"}, 1, []string{"--limit 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, append(base, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not name %q", errOut, w)
				}
			}
		})
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("failed runs wrote the state: %v", err)
	}
	// Listing collections.
	code, out, errOut := run(t, nil, "taxii", "collections", "--url", a.URL, "--token", alice)
	if code != 0 || !strings.Contains(out, hub.CollectionVisible+"  r-  Visible to org-a") || !strings.Contains(out, hub.CollectionInbox+"  -w  ") {
		t.Errorf("collections: %d %s %s", code, out, errOut)
	}
	code, _, errOut = run(t, nil, "taxii", "collections", "--url", a.URL, "--token", "nope")
	if code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("collections with a bad token: %d %s", code, errOut)
	}
	// HTTP Basic with the token as password works.
	code, out, errOut = run(t, nil, append(base, "--url", a.URL, "--user", "b", "--password", alice, "--server", b.URL, "--server-token", bob)...)
	if code != 0 || !strings.Contains(out, "2 created") {
		t.Errorf("basic: %d %s %s", code, out, errOut)
	}
	// A broken state file is named, not overwritten.
	os.WriteFile(state, []byte("{"), 0o600)
	code, _, errOut = run(t, nil, append(base, "--url", a.URL, "--token", alice, "--server", b.URL, "--server-token", bob)...)
	if code != 1 || !strings.Contains(errOut, state) || !strings.Contains(errOut, "not a TAXII state file") {
		t.Errorf("broken state: %d %s", code, errOut)
	}
}

// TestTaxiiPullCarriesReferences pulls a page at a time: records whose
// audience names an organization keep it, though the organization's
// identity came pages earlier.
func TestTaxiiPullCarriesReferences(t *testing.T) {
	a, b := servertest.Start(t), servertest.Start(t)
	alice := a.Org(t, "org-a", intel.RoleAnalyst)
	partner := a.Org(t, "hub-b", intel.RolePartner)
	bob := b.Org(t, "org-b", intel.RoleAnalyst)
	b.Org(t, "hub-b", intel.RoleReader)
	c, err := a.Hub.Authenticate(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	var ins []intel.RecordInput
	for _, v := range []string{"one.amber.example.com", "two.amber.example.com"} {
		ins = append(ins, intel.RecordInput{Value: v, TLP: "amber", Audience: &intel.Audience{Orgs: []string{"hub-b"}}})
	}
	if res, err := a.Hub.CreateRecords(context.Background(), c, ins); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatal(err, res)
	}
	s := runJSON(t, map[string]string{"FUSION_TOKEN": bob}, "taxii", "pull", "--url", a.URL, "--collection", hub.CollectionVisible, "--token", partner,
		"--server", b.URL, "--state", filepath.Join(t.TempDir(), "s.json"), "--limit", "1")
	if s.Created != 2 || s.Failed != 0 {
		t.Errorf("pull: %+v", s)
	}
	for r := range s.Reasons {
		if strings.Contains(r, "cannot be kept") {
			t.Errorf("reason %q", r)
		}
	}
	if got := values(t, b, bob, hub.CollectionOwn, ".amber.example.com"); len(got) != 2 {
		t.Errorf("B holds %v", got)
	}
}
