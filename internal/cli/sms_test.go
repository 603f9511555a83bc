package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// TestSMSReplay runs `fusion sms replay` over a generated sms scenario (a
// day, five campaigns): every campaign is found, named as the truth names
// it, stopped early, and legitimate requests are not blocked; the
// decisions file holds one decision per request.
func TestSMSReplay(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "scen")
	if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 3, Count: 100_000}, scen, nil); err != nil {
		t.Fatal(err)
	}
	truthPath := filepath.Join(scen, "truth.jsonl")
	out := filepath.Join(dir, "found.jsonl")
	decisions := filepath.Join(dir, "decisions.jsonl")
	code, _, stderr := run(t, nil, "sms", "replay", "--in", filepath.Join(scen, "requests.jsonl"), "--out", out,
		"--decisions", decisions, "--truth", truthPath)
	if code != 0 {
		t.Fatalf("sms replay: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"replayed 100.0k requests", "pumping: ", "legitimate: ", "pump-1 "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	truth := readFindings(t, truthPath)
	found := readFindings(t, out)
	score := finding.Evaluate(truth, found)
	if ks := score.Kinds[finding.SMSPumping]; ks.Truth < 5 || ks.Recall < 1 || ks.Precision < 0.9 {
		t.Errorf("sms-pumping: truth %d, found %d, precision %.3f, recall %.3f", ks.Truth, ks.Found, ks.Precision, ks.Recall)
	}

	// Every request has a decision; campaigns' requests are stopped, the
	// others are not blocked.
	data, err := os.ReadFile(decisions)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 100_000 {
		t.Fatalf("%d decisions, want 100,000", len(lines))
	}
	var pump, pumpStopped, legit, legitBlocked int
	for _, l := range lines {
		var d struct {
			Time, Number, Decision, Prefix, Rule string
			Reasons                              []string
		}
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatal(err)
		}
		inCampaign := false
		for _, tr := range truth {
			if strings.HasPrefix(d.Number, tr.Entity) && d.Time >= tr.Start.Format("2006-01-02T15:04:05") && d.Time <= tr.End.Add(1e9).Format("2006-01-02T15:04:05") {
				inCampaign = true
			}
		}
		if inCampaign {
			pump++
			if d.Decision != "allow" {
				pumpStopped++
			}
		} else {
			legit++
			if d.Decision == "block" {
				legitBlocked++
			}
		}
	}
	if pump == 0 || float64(pumpStopped) < 0.95*float64(pump) {
		t.Errorf("%d of %d pumping requests blocked or challenged, want at least 95%%", pumpStopped, pump)
	}
	if float64(legitBlocked) > 0.005*float64(legit) {
		t.Errorf("%d of %d legitimate requests blocked, want at most 0.5%%", legitBlocked, legit)
	}
}

func readFindings(t *testing.T, path string) []finding.Finding {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := finding.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSMSReplayErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:10:00Z"}` + "\n"
	bad := write("bad.jsonl", good+`{"app":"a","number":"37120000001","ip":"192.0.2.1","time":"2026-11-02T00:10:00Z"}`+"\n")
	late := write("late.jsonl", good+`{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:00Z"}`+"\n")
	in := write("in.jsonl", good)
	ver := write("ver.jsonl", `{"app":"a","number":"+37120000001","time":"2026-11-02T00:10:00Z","ip":"192.0.2.1"}`+"\n")
	shared := write("shared.txt", "+3712\nnot-a-prefix\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sms", "replay"}, "flag --in is required"},
		{[]string{"sms", "replay", "--in", bad}, `bad.jsonl: line 2: number "37120000001": not an E.164 number`},
		{[]string{"sms", "replay", "--in", late}, "late.jsonl: line 2: time 2026-11-02T00:00:00Z is more than 1m0s before"},
		{[]string{"sms", "replay", "--in", in, "--verified", ver}, "ver.jsonl: line 1: ip: unknown field"},
		{[]string{"sms", "replay", "--in", in, "--mode", "loud"}, `--mode: mode "loud": not block, challenge or record-only`},
		{[]string{"sms", "replay", "--in", in, "--shared", shared}, `shared.txt: line 2: prefix "not-a-prefix": not an E.164 prefix`},
	} {
		code, _, stderr := run(t, nil, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}
