package api_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/tor"
)

const torFixture = "../../../shared/fixtures/tor/2017-04-15-00-00-00-consensus"

// TestTorCheckAndCautions answers GET /api/v1/tor/check from the real
// consensus, and marks sightings of an exit address at a time it was one.
func TestTorCheckAndCautions(t *testing.T) {
	if _, err := os.Stat(torFixture); err != nil {
		t.Skipf("Tor fixture not available: %v", err)
	}
	f := newFixture(t)
	ctx := context.Background()
	body, err := os.ReadFile(torFixture)
	if err != nil {
		t.Fatal(err)
	}
	// Only admins of the hub's operator import Tor data.
	if status, _ := f.do("POST", "/api/v1/tor/import?name=2017-04-15-00-00-00-consensus", "org-c", body, nil); status != 403 {
		t.Fatalf("a member imported Tor data: %d", status)
	}
	var stats tor.ImportStats
	if status, b := f.do("POST", "/api/v1/tor/import?name=2017-04-15-00-00-00-consensus", "hub-op", body, &stats); status != 200 || stats.Consensuses != 1 {
		t.Fatalf("import: %d %v %+v", status, b, stats)
	}
	if status, b := f.do("POST", "/api/v1/tor/import?name=../../etc/passwd", "hub-op", body, nil); status != 400 || !strings.Contains(errMessage(b), "name") {
		t.Errorf("a path as the upload's name: %d %v", status, b)
	}
	if status, b := f.do("POST", "/api/v1/tor/import?name=notes.txt", "hub-op", "hello", nil); status != 400 || !strings.Contains(errMessage(b), "no consensus or exit list") {
		t.Errorf("a file that is not Tor data: %d %v", status, b)
	}
	_ = ctx

	var ans tor.Answer
	if status, b := f.do("GET", "/api/v1/tor/check?ip=91.197.131.152&time=2017-04-15T00:30:00Z&window=0s", "org-c", nil, &ans); status != 200 {
		t.Fatalf("check: %d %v", status, b)
	}
	if !ans.Covered || !ans.IsRelay() || !ans.IsExit() || !ans.ExitByFlag || !ans.ExitByPolicy || len(ans.Intervals) != 1 || !strings.Contains(ans.Verdict, "was a Tor exit") {
		t.Errorf("exit relay: %+v", ans)
	}
	f.do("GET", "/api/v1/tor/check?ip=91.197.131.152&time=2016-01-01T00:00:00Z", "org-c", nil, &ans)
	if ans.Covered || ans.Relay != nil || !strings.HasPrefix(ans.Verdict, "No data for") {
		t.Errorf("outside the data: %+v", ans)
	}
	for _, bad := range []string{"ip=91.197.131&time=2017-04-15T00:30:00Z", "ip=91.197.131.152&time=yesterday", "ip=91.197.131.152&window=9999h", "ip=1.2.3.4&when=now",
		"ip=fe80::1%25eth0&time=2017-04-15T00:30:00Z", "ip=91.197.131.152&rule=guess", "ip=91.197.131.152&rule=exonerator&window=1h"} {
		if status, _ := f.do("GET", "/api/v1/tor/check?"+bad, "org-c", nil, nil); status != 400 {
			t.Errorf("%s: status %d, want 400", bad, status)
		}
	}
	// ExoneraTor's rule: the date and the day either side, exits by policy.
	if status, b := f.do("GET", "/api/v1/tor/check?ip=91.197.131.152&time=2017-04-15T12:00:00Z&rule=exonerator", "org-c", nil, &ans); status != 200 {
		t.Fatalf("rule=exonerator: status %d: %s", status, b)
	}
	if ans.Rule != "exonerator" || !ans.IsRelay() || !ans.ExitByPolicy || ans.ExitByFlag || ans.Covered || !strings.Contains(ans.Verdict, "by ExoneraTor's rule") {
		t.Errorf("rule=exonerator: %+v", ans)
	}
	if status, _ := f.do("GET", "/api/v1/tor/check?ip=1.2.3.4", "", nil, nil); status != 401 {
		t.Errorf("no token: status %d", status)
	}

	// A sighting of the exit address while it was an exit carries the caution.
	create(t, f, "org-a", `{"value":"91.197.131.152","tlp":"green","labels":["botnet-c2"]},{"value":"198.51.100.77","tlp":"green"}`)
	enableMatching(t, f, hub.DefaultLimits)
	var res hub.SightingResult
	events := `{"time":"2017-04-15T00:30:00Z","value":"91.197.131.152"}` + "\n" + `{"time":"2017-04-15T00:31:00Z","value":"198.51.100.77"}` + "\n"
	if status, b := f.do("POST", "/api/v1/events", "org-c", events, &res); status != 200 {
		t.Fatalf("events: %d %v", status, b)
	}
	for _, r := range res.Records {
		switch r.Value {
		case "91.197.131.152":
			if r.TorExitEvents != 1 || r.Tor == nil || !strings.Contains(r.Tor.Caution, "Tor exit") {
				t.Errorf("exit sighting without caution: %+v", r)
			}
		default:
			if r.Tor != nil || r.TorExitEvents != 0 {
				t.Errorf("caution on %s, not a Tor exit: %+v", r.Value, r)
			}
		}
	}
	if len(res.Records) != 2 {
		t.Errorf("sightings: %+v", res)
	}
}
