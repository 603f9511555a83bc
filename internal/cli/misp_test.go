package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/misp"
	"fusion/internal/misp/client/misptest"
	"fusion/internal/server/servertest"
)

// mispFixtures holds real MISP events and a feed (../shared/fixtures/README.md).
const mispFixtures = "../../../shared/fixtures/misp"

// TestMISPFeedThroughCLI: hub A serves its MISP feed at /misp/feed/; fusion's
// own feed importer (`fusion misp import URL`, with the token as a feed
// header) takes it into hub B, where it gives back each report as an event
// and each record; a second import changes nothing. Then `fusion misp
// export` writes B's copy of one event, which reads back as the same event.
func TestMISPFeedThroughCLI(t *testing.T) {
	ctx := context.Background()
	a, b := servertest.Start(t), servertest.Start(t)
	alice := a.Org(t, "org-a", intel.RoleAnalyst)
	ids := a.Records(t, alice, "feed", 7)
	ca, err := a.Hub.Authenticate(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Hub.CreateReport(ctx, ca, intel.ReportInput{Title: "Phishing kit domains", TLP: "green", Records: ids[:5]})
	if err != nil {
		t.Fatal(err)
	}
	bob := b.Org(t, "org-b", intel.RoleAnalyst)

	args := []string{"misp", "import", a.URL + "/misp/feed/", "--feed-header", "Authorization: Bearer " + alice, "--server", b.URL, "--token", bob}
	code, out, errOut := run(t, nil, args...)
	if code != 0 || !strings.Contains(out, "1 events: 1 created") || !strings.Contains(out, "5 attributes: 5 created") {
		t.Fatalf("feed import: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, nil, args...)
	if code != 0 || !strings.Contains(out, "1 events: 0 created, 0 updated, 1 unchanged") {
		t.Fatalf("second feed import: exit %d\n%s%s", code, out, errOut)
	}
	// Without the header, the feed answers 401 and nothing is imported.
	code, _, errOut = run(t, nil, "misp", "import", a.URL+"/misp/feed", "--server", b.URL, "--token", bob)
	if code == 0 || !strings.Contains(errOut, "401") {
		t.Fatalf("feed import without a token: exit %d: %s", code, errOut)
	}

	file := filepath.Join(t.TempDir(), "event.json")
	code, _, errOut = run(t, nil, "misp", "export", "--report", rep.ID, "-o", file, "--server", b.URL, "--token", bob)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	events, err := misp.ParseEvents(data)
	if err != nil || len(events) != 1 {
		t.Fatalf("the export: %v", err)
	}
	e := events[0]
	if e.UUID != rep.ID || e.Info != rep.Title || len(e.Attributes) != 5 || e.TLP != intel.Green {
		t.Errorf("B's export of A's report: %s %q %d attributes %s", e.UUID, e.Info, len(e.Attributes), e.TLP)
	}
	for _, at := range e.Attributes {
		if !strings.HasSuffix(at.Value, ".feed.example.com") || at.Record == nil {
			t.Errorf("attribute %+v", at)
		}
	}
	// A search as one event: B holds only the five records A's feed gave.
	code, out, errOut = run(t, nil, "misp", "export", "--tag", "", "--limit", "100", "--server", b.URL, "--token", bob)
	if code != 0 || strings.Count(out, `"type":"domain"`) != 5 {
		t.Fatalf("search export: exit %d\n%s%s", code, out, errOut)
	}
}

// TestMISPImportFixturesCLI imports every real MISP file and the feed
// directory through the CLI: nothing fails, and the counts are the
// fixtures' (the two sharing groups are not events).
func TestMISPImportFixturesCLI(t *testing.T) {
	h := servertest.Start(t)
	tok := h.Org(t, "cert-a", intel.RoleAnalyst)
	code, out, errOut := run(t, nil, "misp", "import", mispFixtures+"/events", mispFixtures+"/feeds/circl-misp-test-feed", "--server", h.URL, "--token", tok)
	if code != 0 || !strings.Contains(out, " 0 failed") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"10 events: 8 created, 0 updated, 0 unchanged, 2 skipped, 0 failed",
		"145 attributes: 79 created, 0 updated, 0 unchanged, 0 refused, 65 context, 1 deleted (0 revoked), 0 dropped, 6 sightings"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestMISPPullPush syncs a hub with a MISP instance (an in-process replay
// of the real fixture events, answering MISP's REST API): pull takes every
// event, and a second pull from the state takes only what changed; push
// sends the hub's own reports as events, editing them on the next push.
func TestMISPPullPush(t *testing.T) {
	ctx := context.Background()
	remote, srv := misptest.NewReplay(t, mispFixtures+"/events")
	h := servertest.Start(t)
	tok := h.Org(t, "cert-a", intel.RoleAnalyst)
	state := filepath.Join(t.TempDir(), "misp-state.json")
	base := []string{"--url", srv.URL, "--key", misptest.TestKey, "--server", h.URL, "--token", tok, "--state", state}

	code, out, errOut := run(t, nil, append([]string{"misp", "pull", "--limit", "2"}, base...)...)
	if code != 0 || !strings.Contains(out, "pulled 5 events") || !strings.Contains(out, "5 events: 5 created") {
		t.Fatalf("first pull: exit %d\n%s%s", code, out, errOut)
	}
	// The second run asks only for events changed since the newest taken:
	// that one again (MISP's timestamp filter is "at or after"), unchanged.
	code, out, errOut = run(t, nil, append([]string{"misp", "pull"}, base...)...)
	if code != 0 || !strings.Contains(out, "pulled 1 events") || !strings.Contains(out, "1 events: 0 created, 0 updated, 1 unchanged") {
		t.Fatalf("second pull: exit %d\n%s%s", code, out, errOut)
	}
	// A wrong key: nothing happens, and the error says why.
	bad := slices.Clone(base)
	bad[3] = "wrong"
	if code, _, errOut = run(t, nil, append([]string{"misp", "pull"}, bad...)...); code == 0 || !strings.Contains(errOut, "403") {
		t.Fatalf("pull with a wrong key: exit %d: %s", code, errOut)
	}

	// Push: the hub's own report (not one it pulled) goes to MISP.
	ca, err := h.Hub.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	ids := h.Records(t, tok, "push", 3)
	rep, err := h.Hub.CreateReport(ctx, ca, intel.ReportInput{Title: "Loader C2 domains", TLP: "amber", Records: ids})
	if err != nil {
		t.Fatal(err)
	}
	before := len(remote.Events)
	code, out, errOut = run(t, nil, append([]string{"misp", "push", "--report", rep.ID}, base...)...)
	if code != 0 || !strings.Contains(out, "pushed 1 reports: 1 created") {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	if len(remote.Events) != before+1 || remote.Events[rep.ID] == nil {
		t.Fatalf("MISP holds %d events (was %d), report %s among them: %v", len(remote.Events), before, rep.ID, remote.Events[rep.ID] != nil)
	}
	events, err := misp.ParseEvents(remote.Events[rep.ID].Raw)
	if err != nil || len(events) != 1 || len(events[0].Attributes) != 3 || events[0].TLP != intel.Amber {
		t.Fatalf("the pushed event: %v %+v", err, events)
	}
	// Every report of the organization changed since the last run: the
	// pulled ones and this one; those MISP holds are edited.
	code, out, errOut = run(t, nil, append([]string{"misp", "push"}, base...)...)
	if code != 0 || !strings.Contains(out, "pushed 6 reports: 0 created, 6 updated") {
		t.Fatalf("second push: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, nil, append([]string{"misp", "push"}, base...)...)
	if code != 0 || !strings.Contains(out, "pushed 0 reports") {
		t.Fatalf("third push (nothing changed): exit %d\n%s%s", code, out, errOut)
	}
}
