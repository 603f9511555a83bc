package sms

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/observable"
	"fusion/internal/scenario"
)

// request is a line of requests.jsonl.
type request struct {
	Time       time.Time  `json:"time"`
	ID         string     `json:"id"`
	Number     string     `json:"number"`
	Country    string     `json:"country"`
	ClientIP   string     `json:"client_ip"`
	UserAgent  string     `json:"user_agent"`
	App        string     `json:"app"`
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at"`
}

var keyOrder = []string{`"time":`, `"id":`, `"number":`, `"country":`, `"client_ip":`, `"user_agent":`, `"app":`, `"verified":`}

func generateTo(t testing.TB, p scenario.Params) string {
	t.Helper()
	dir := t.TempDir()
	p.Kind = "sms"
	if err := scenario.Generate(context.Background(), p, dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readFile(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministic(t *testing.T) {
	p := scenario.Params{Seed: 7, Count: 30_000}
	a, b := generateTo(t, p), generateTo(t, p)
	p.Seed = 8
	c := generateTo(t, p)
	for _, name := range []string{"requests.jsonl", "truth.jsonl", "negatives.jsonl", "scenario.json"} {
		if !bytes.Equal(readFile(t, a, name), readFile(t, b, name)) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	for _, name := range []string{"requests.jsonl", "truth.jsonl"} {
		if bytes.Equal(readFile(t, a, name), readFile(t, c, name)) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
}

// defaultRun is a default-size run, shared by the tests that check it.
var defaultRun struct {
	once     sync.Once
	dir      string
	requests []request
	truth    []finding.Finding
	err      error
}

func loadDefault(t *testing.T) ([]request, []finding.Finding) {
	t.Helper()
	defaultRun.once.Do(func() {
		dir, err := os.MkdirTemp("", "sms-default-")
		if err != nil {
			defaultRun.err = err
			return
		}
		defaultRun.dir = dir
		if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 1}, dir, nil); err != nil {
			defaultRun.err = err
			return
		}
		defaultRun.requests, defaultRun.truth, defaultRun.err = readRun(dir)
	})
	if defaultRun.err != nil {
		t.Fatal(defaultRun.err)
	}
	return defaultRun.requests, defaultRun.truth
}

func TestMain(m *testing.M) {
	code := m.Run()
	if defaultRun.dir != "" {
		os.RemoveAll(defaultRun.dir)
	}
	os.Exit(code)
}

func readRun(dir string) ([]request, []finding.Finding, error) {
	f, err := os.Open(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var out []request
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		last := -1
		for _, k := range keyOrder {
			i := bytes.Index(line, []byte(k))
			if i <= last {
				return nil, nil, &lineError{n, "key " + k + " missing or out of order: " + string(line)}
			}
			last = i
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var r request
		if err := dec.Decode(&r); err != nil {
			return nil, nil, &lineError{n, err.Error()}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	tf, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return nil, nil, err
	}
	defer tf.Close()
	truth, err := finding.Read(tf)
	return out, truth, err
}

type lineError struct {
	n   int
	msg string
}

func (e *lineError) Error() string { return "requests.jsonl line " + strconv.Itoa(e.n) + ": " + e.msg }

func TestDefaultRunIsWellFormed(t *testing.T) {
	reqs, _ := loadDefault(t)
	if len(reqs) != DefaultCount {
		t.Fatalf("%d requests, want %d", len(reqs), DefaultCount)
	}
	ids := make(map[string]bool, len(reqs))
	for i, r := range reqs {
		if i > 0 && r.Time.Before(reqs[i-1].Time) {
			t.Fatalf("request %d at %s is before the one before it (%s)", i, r.Time, reqs[i-1].Time)
		}
		if r.Time.Location() != time.UTC || r.Time.Before(scenario.DefaultStart) {
			t.Fatalf("request %d: time %s is not UTC after the start", i, r.Time)
		}
		if ids[r.ID] || !strings.HasPrefix(r.ID, "req-") {
			t.Fatalf("request %d: id %q repeated or malformed", i, r.ID)
		}
		ids[r.ID] = true
		a, err := netip.ParseAddr(r.ClientIP)
		if err != nil || !a.Is4() || a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalUnicast() {
			t.Fatalf("request %d: client_ip %q is not a public IPv4 address", i, r.ClientIP)
		}
		if r.UserAgent == "" || r.App == "" {
			t.Fatalf("request %d: empty user agent or app", i)
		}
		if r.Verified != (r.VerifiedAt != nil) {
			t.Fatalf("request %d: verified %v but verified_at %v", i, r.Verified, r.VerifiedAt)
		}
		if r.VerifiedAt != nil && !r.VerifiedAt.After(r.Time) {
			t.Fatalf("request %d: verified at %s, not after the request at %s", i, r.VerifiedAt, r.Time)
		}
	}
	span := reqs[len(reqs)-1].Time.Sub(reqs[0].Time)
	if span < 18*time.Hour || span > 30*time.Hour {
		t.Errorf("the default run spans %s, want about a day", span)
	}
}

// TestEveryNumberIsValid checks every number of a default-size run with
// fusion's own canonicalizer: valid for its region per libphonenumber,
// already in E.164, and of the country the request names.
func TestEveryNumberIsValid(t *testing.T) {
	reqs, _ := loadDefault(t)
	c, err := observable.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, r := range reqs {
		if seen[r.Number] {
			continue
		}
		seen[r.Number] = true
		o, err := c.Parse(observable.Phone, r.Number)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if o.Value != r.Number || o.Region != r.Country {
			t.Fatalf("request %d: %s in %s canonicalizes to %s in %s", i, r.Number, r.Country, o.Value, o.Region)
		}
		if o.NumberType != "mobile" && o.NumberType != "fixed-line-or-mobile" {
			t.Fatalf("request %d: %s is a %s number", i, r.Number, o.NumberType)
		}
	}
	t.Logf("%d distinct numbers valid", len(seen))
}

func TestTruthMatchesRequests(t *testing.T) {
	reqs, truth := loadDefault(t)
	if len(truth) < 3 || len(truth) > 8 {
		t.Errorf("%d campaigns in a default run, want about 5", len(truth))
	}
	inCampaign := make([]bool, len(reqs))
	for _, tr := range truth {
		if tr.Kind != finding.SMSPumping || !strings.HasPrefix(tr.Entity, "+") || tr.End.Before(tr.Start) {
			t.Errorf("truth %+v: want an sms-pumping line with an E.164 prefix", tr)
			continue
		}
		want, err := strconv.Atoi(tr.Detail["requests"])
		if err != nil {
			t.Errorf("truth %s: requests %q", tr.ID, tr.Detail["requests"])
			continue
		}
		n, verified, atStart, atEnd := 0, 0, false, false
		for i, r := range reqs {
			if !strings.HasPrefix(r.Number, tr.Entity) || r.Time.Before(tr.Start) || r.Time.After(tr.End) {
				continue
			}
			inCampaign[i] = true
			n++
			if r.Verified {
				verified++
			}
			if r.Country != tr.Detail["country"] {
				t.Errorf("truth %s: request %s to %s in %s, want %s", tr.ID, r.ID, r.Number, r.Country, tr.Detail["country"])
			}
			atStart = atStart || r.Time.Equal(tr.Start)
			atEnd = atEnd || r.Time.Equal(tr.End)
		}
		if n < want || !atStart || !atEnd {
			t.Errorf("truth %s: %d requests under %s between start and end (want at least %d), first at start %v, last at end %v",
				tr.ID, n, tr.Entity, want, atStart, atEnd)
		}
		if !slices.Contains(campaignKinds[:], tr.Detail["campaign"]) {
			t.Errorf("truth %s: campaign kind %q", tr.ID, tr.Detail["campaign"])
		}
		if tr.Detail["campaign"] != Burst {
			continue // see TestCampaignKinds
		}
		if float64(verified) > 0.05*float64(n) {
			t.Errorf("truth %s: %d of %d requests verified, want almost none", tr.ID, verified, n)
		}
		if d := tr.End.Sub(tr.Start); d > 2*time.Hour {
			t.Errorf("truth %s lasts %s, want a burst", tr.ID, d)
		}
	}
	legit, verified := 0, 0
	for i, r := range reqs {
		if inCampaign[i] {
			continue
		}
		legit++
		if r.Verified {
			verified++
		}
	}
	if rate := float64(verified) / float64(legit); rate < 0.80 || rate > 0.97 {
		t.Errorf("legitimate verification rate %.3f, want about 0.85 to 0.95", rate)
	}
	if share := 1 - float64(legit)/float64(len(reqs)); share < 0.01 || share > 0.15 {
		t.Errorf("campaign share of requests %.3f, want about 0.05", share)
	}
}

func TestTruthScoresItself(t *testing.T) {
	_, truth := loadDefault(t)
	s := finding.Evaluate(truth, truth)
	ks, ok := s.Kinds[finding.SMSPumping]
	if !ok || ks.F1 != 1 || ks.Truth != len(truth) {
		t.Errorf("truth against itself: %+v, want F1 1 over %d campaigns", ks, len(truth))
	}
}

func TestSmallRuns(t *testing.T) {
	for _, n := range []int64{1, 10, 1_999, 2_000, 5_001} {
		t.Run(strconv.FormatInt(n, 10), func(t *testing.T) {
			dir := generateTo(t, scenario.Params{Seed: 3, Count: n})
			reqs, truth, err := readRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(reqs)) != n {
				t.Errorf("%d requests, want %d", len(reqs), n)
			}
			if n >= 2_000 && len(truth) != 1 || n < 2_000 && len(truth) != 0 {
				t.Errorf("%d campaigns for %d requests", len(truth), n)
			}
		})
	}
}

func TestCheckRefusesBadCount(t *testing.T) {
	for _, n := range []int64{-1, MaxCount + 1} {
		err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Count: n}, t.TempDir(), nil)
		if err == nil || !strings.Contains(err.Error(), "--count") {
			t.Errorf("count %d: error %v, want one naming --count", n, err)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := scenario.Generate(ctx, scenario.Params{Kind: "sms", Seed: 1}, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("error %v, want context canceled", err)
	}
}

// BenchmarkGenerate measures the whole run — start-up, generation and
// writing — for a million requests.
func BenchmarkGenerate(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 1, Count: n}, b.TempDir(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkStream measures generation alone, without start-up or disk.
func BenchmarkStream(b *testing.B) {
	r := &scenario.Run{Params: scenario.Params{Seed: 1, Count: 1 << 62, Start: scenario.DefaultStart}}
	w, err := newWorld(r)
	if err != nil {
		b.Fatal(err)
	}
	g := newGenerator(w, r)
	g.emit = func(finding.Finding) error { return nil }
	b.ResetTimer()
	for m := int64(0); g.written < int64(b.N); m++ {
		if err := g.minute(m); err != nil {
			b.Fatal(err)
		}
		g.buf = g.buf[:0]
	}
	b.ReportMetric(float64(g.written)/b.Elapsed().Seconds(), "requests/s")
}
