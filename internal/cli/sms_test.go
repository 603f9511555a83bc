package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// TestSMSReplay runs `fusion sms replay` over a generated sms scenario (a
// day, five campaigns of the four kinds, a marketing push): every campaign
// is found, named as the truth names it, 95% of each kind's pumping
// requests are stopped, and legitimate requests are not blocked; the
// summary reports each kind and the surge; the decisions file holds one
// decision per request.
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
	for _, want := range []string{"replayed 100.0k requests", "pumping: ", "legitimate: ", "pump-1 ", "\nlow-and-slow ", "\nmarketing-push "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	truth := readFindings(t, truthPath)
	found := readFindings(t, out)
	// Every campaign is found, the low-and-slow one (a few requests an
	// hour into one block over a day or more) too.
	score := finding.Evaluate(truth, found)
	if ks := score.Kinds[finding.SMSPumping]; ks.Truth < 5 || ks.Recall < 1 || ks.Precision < 0.9 {
		t.Errorf("sms-pumping: truth %d, found %d, recall %.3f, precision %.3f", ks.Truth, ks.Found, ks.Recall, ks.Precision)
	}
	kinds := map[string]bool{}
	for _, tr := range truth {
		kinds[tr.Detail["campaign"]] = true
	}
	for _, k := range []string{"burst", "low-and-slow", "in-country", "verifying"} {
		if !kinds[k] {
			t.Errorf("the scenario has no %s campaign", k)
		}
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
	kindPump, kindStopped := map[string]int{}, map[string]int{}
	for _, l := range lines {
		var d struct {
			Time, Number, Decision, Prefix, Rule string
			Reasons                              []string
		}
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatal(err)
		}
		kind := ""
		for _, tr := range truth {
			if strings.HasPrefix(d.Number, tr.Entity) && d.Time >= tr.Start.Format("2006-01-02T15:04:05") && d.Time <= tr.End.Add(1e9).Format("2006-01-02T15:04:05") {
				kind = tr.Detail["campaign"]
			}
		}
		if kind != "" {
			pump++
			kindPump[kind]++
			if d.Decision != "allow" {
				pumpStopped++
				kindStopped[kind]++
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
	// A kind's share is asserted over 100 requests or more: a campaign
	// the end of the run cut to a few requests is stopped after its first
	// ones, which carry no evidence, and is logged.
	for k, n := range kindPump {
		t.Logf("%s: %d of %d pumping requests blocked or challenged", k, kindStopped[k], n)
		if n >= 100 && float64(kindStopped[k]) < 0.95*float64(n) {
			t.Errorf("%s: %d of %d pumping requests blocked or challenged, want at least 95%%", k, kindStopped[k], n)
		}
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
	negs := write("negs.jsonl", `{"kind":"launch","country":"CR","start":"2026-11-02T00:00:00Z","end":"2026-11-01T00:00:00Z","requests":1,"verified":1}`+"\n")
	negField := write("negfield.jsonl", `{"kind":"launch","country":"CR","begin":"2026-11-02T00:00:00Z"}`+"\n")
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
		{[]string{"sms", "replay", "--in", in, "--negatives", negs}, "negs.jsonl line 1: need country, start and end not before start"},
		{[]string{"sms", "replay", "--in", in, "--negatives", negField}, `negfield.jsonl line 1: json: unknown field "begin"`},
	} {
		code, _, stderr := run(t, nil, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestSMSReplayVerified: forty requests to one block, a second apart. With
// their codes entered ten seconds later (a --verified file) nothing is
// blocked (the burst is challenged); without, the block is found; in
// record-only mode it is found but nothing refused.
func TestSMSReplayVerified(t *testing.T) {
	dir := t.TempDir()
	var reqs, vers strings.Builder
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		at := start.Add(time.Duration(i) * time.Second)
		num := fmt.Sprintf("+37121234%03d", 100+i*7)
		fmt.Fprintf(&reqs, `{"app":"shop","number":%q,"ip":"192.0.2.%d","user_agent":"curl/8.0","time":%q}`+"\n", num, i+1, at.Format(time.RFC3339))
		fmt.Fprintf(&vers, `{"app":"shop","number":%q,"time":%q}`+"\n", num, at.Add(10*time.Second).Format(time.RFC3339))
	}
	in := filepath.Join(dir, "requests.jsonl")
	ver := filepath.Join(dir, "verified.jsonl")
	os.WriteFile(in, []byte(reqs.String()), 0o644)
	os.WriteFile(ver, []byte(vers.String()), 0o644)
	for _, tc := range []struct {
		name     string
		args     []string
		findings int
		summary  string
	}{
		{"entered", []string{"--verified", ver}, 0, " 0 blocked; 0 blocked prefixes"},
		{"not entered", nil, 1, "blocked; 1 blocked prefixes"},
		{"record-only", []string{"--mode", "record-only"}, 1, "40 allowed, 0 challenged, 0 blocked; 1 blocked prefixes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".jsonl")
			code, _, stderr := run(t, nil, append([]string{"sms", "replay", "--in", in, "--out", out}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.summary) {
				t.Errorf("summary lacks %q:\n%s", tc.summary, stderr)
			}
			found := readFindings(t, out)
			if len(found) != tc.findings {
				t.Fatalf("%d findings, want %d: %+v", len(found), tc.findings, found)
			}
			if tc.findings > 0 && found[0].Entity != "+37121234" {
				t.Errorf("finding names %s, want +37121234", found[0].Entity)
			}
		})
	}
}
