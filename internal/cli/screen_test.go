package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// TestScreen runs `fusion screen` over a generated transactions scenario
// with the built-in package: findings are fraud-ring lines naming booking
// ids with the rules fired and the ring, they score recall ≥ 0.9 at
// precision ≥ 0.8, and --truth prints the score.
func TestScreen(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "scen")
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "transactions", Seed: 5, Count: 30_000}, scen, nil); err != nil {
		t.Fatal(err)
	}
	truthPath := filepath.Join(scen, "truth.jsonl")
	out := filepath.Join(dir, "found.jsonl")
	flagged := filepath.Join(dir, "flagged.jsonl")
	code, _, stderr := run(t, nil, "screen", "--in", filepath.Join(scen, "bookings.jsonl"), "--out", out, "--truth", truthPath, "--flagged", flagged)
	if code != 0 {
		t.Fatalf("screen: exit %d\n%s", code, stderr)
	}
	// --flagged copies the input line of each booking found, in order.
	lines, err := os.ReadFile(flagged)
	if err != nil {
		t.Fatal(err)
	}
	copied := strings.Split(strings.TrimSuffix(string(lines), "\n"), "\n")
	if fs := readFindings(t, out); len(copied) != len(fs) || !strings.Contains(copied[0], `"id":"`+fs[0].Entity+`"`) {
		t.Errorf("--flagged wrote %d lines for %d findings; first %.80s", len(copied), len(fs), copied[0])
	}
	for _, want := range []string{"screened 30.0k bookings", "action-day-default version 1", "fraud-ring", "HARD NEGATIVE", "\ntravel-agent ", "\nabroad "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	found := readFindings(t, out)
	for _, f := range found[:min(len(found), 50)] {
		if f.Kind != finding.FraudRing || !strings.HasPrefix(f.Entity, "BK") || f.Detail["rules"] == "" || !strings.HasPrefix(f.Detail["ring"], "ring-BK") {
			t.Fatalf("finding %+v", f)
		}
	}
	ks := finding.Evaluate(readFindings(t, truthPath), found).Kinds[finding.FraudRing]
	if ks.Recall < 0.9 || ks.Precision < 0.8 {
		t.Errorf("fraud-ring: truth %d, found %d, precision %.3f, recall %.3f", ks.Truth, ks.Found, ks.Precision, ks.Recall)
	}
}

// TestScreenErrors: a rule that does not compile is refused with its
// position, a bad booking with its line and field, and clear names without
// a key are refused.
func TestScreenErrors(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.json")
	os.WriteFile(rules, []byte(`{"id":"p","version":1,"name":"n","threshold":1,"rules":[{"id":"lead","expr":"lead_hours < depart","score":1,"reason":"r"}]}`), 0o600)
	in := filepath.Join(dir, "b.csv")
	os.WriteFile(in, []byte("id,booked,departure,origin,destination,origin_country,destination_country,bin_country,ip_country,client_ip,cardholder_name,traveller_name,booker,card_number,amount,currency,channel\n"+
		"BK1,2026-11-02T00:00:07Z,2026-11-02T10:00:00Z,CDG,JFK,FR,US,FR,NG,10.0.0.1,Dupont/Marie,Smith/John,"+strings.Repeat("ab", 32)+",4970101234567890,120.50,EUR,web\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rules", rules, "--in", in}, `rule "lead": line 1, column 14: unknown name depart`},
		{[]string{"--in", in}, "line 2: clear names or card numbers need a hashing key"},
	} {
		code, _, stderr := run(t, nil, append([]string{"screen"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
		if strings.Contains(stderr, "4970101234567890") || strings.Contains(stderr, "Dupont") {
			t.Errorf("clear data in the error: %s", stderr)
		}
	}
	code, stdout, stderr := run(t, nil, "screen", "--in", in, "--key", strings.Repeat("0f", 16))
	if code != 0 || strings.Contains(stdout, "Dupont") || strings.Contains(stdout, "4970101234567890") {
		t.Errorf("with --key: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
