package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/misp"
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
		"145 attributes: 79 created, 0 updated, 0 unchanged, 0 refused, 65 context, 1 deleted (0 revoked), 0 dropped"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
