package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenSharedPackage: --rules takes the hub's answer for a shared
// rule package (GET /api/v1/rule-packages/{id}) as it takes a bare one.
func TestScreenSharedPackage(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "shared.json")
	os.WriteFile(rules, []byte(`{"id":"0192f0c4-1b2a-7cde-8f00-0123456789ab","version":2,"originator":"police-fr","tlp":"amber",`+
		`"audience":{"orgs":[],"groups":["g"]},"handling":{"codes":[]},"created":"2026-11-30T10:00:00Z","package":`+
		`{"id":"0192f0c4-1b2a-7cde-8f00-0123456789ab","version":2,"name":"Paris","threshold":0.5,"rules":[{"id":"third-party","expr":"third_party","score":1,"reason":"r"}]}}`), 0o600)
	in := filepath.Join(dir, "b.csv")
	os.WriteFile(in, []byte("id,booked,departure,origin,destination,origin_country,destination_country,bin_country,ip_country,client_ip,card_bin,cardholder,traveller,booker,card,amount,currency,channel\n"+
		"BK1,2026-11-02T00:00:07Z,2026-11-02T10:00:00Z,CDG,JFK,FR,US,FR,NG,10.0.0.1,497010,"+strings.Repeat("ab", 32)+","+strings.Repeat("cd", 32)+","+strings.Repeat("ef", 32)+","+strings.Repeat("01", 32)+",120.50,EUR,web\n"), 0o600)
	code, stdout, stderr := run(t, nil, "screen", "--rules", rules, "--in", in)
	if code != 0 || !strings.Contains(stderr, "0192f0c4-1b2a-7cde-8f00-0123456789ab version 2") || !strings.Contains(stdout, `"BK1"`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
