package sms

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/scenario"
)

// longRun is a 500,000-request run (five days), in which every campaign
// kind and every surge kind occurs more than once.
var longRun struct {
	once      sync.Once
	requests  []request
	truth     []finding.Finding
	negatives []Negative
	err       error
}

func loadLong(t *testing.T) ([]request, []finding.Finding, []Negative) {
	t.Helper()
	if testing.Short() {
		t.Skip("a 500,000-request run; skipped with -short")
	}
	longRun.once.Do(func() {
		dir, err := os.MkdirTemp("", "sms-long-")
		if err != nil {
			longRun.err = err
			return
		}
		defer os.RemoveAll(dir)
		if err := scenario.Generate(context.Background(), scenario.Params{Kind: "sms", Seed: 5, Count: 500_000}, dir, nil); err != nil {
			longRun.err = err
			return
		}
		longRun.requests, longRun.truth, longRun.err = readRun(dir)
		if longRun.err == nil {
			longRun.negatives, longRun.err = readNegatives(dir)
		}
	})
	if longRun.err != nil {
		t.Fatal(longRun.err)
	}
	return longRun.requests, longRun.truth, longRun.negatives
}

func readNegatives(dir string) ([]Negative, error) {
	f, err := os.Open(filepath.Join(dir, "negatives.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Negative
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n Negative
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, sc.Err()
}

// inCampaigns marks the requests of every campaign: under its prefix,
// between its start and end.
func inCampaigns(reqs []request, truth []finding.Finding) []bool {
	in := make([]bool, len(reqs))
	for _, tr := range truth {
		for i, r := range reqs {
			if strings.HasPrefix(r.Number, tr.Entity) && !r.Time.Before(tr.Start) && !r.Time.After(tr.End) {
				in[i] = true
			}
		}
	}
	return in
}

func TestCampaignKinds(t *testing.T) {
	reqs, truth, _ := loadLong(t)
	in := inCampaigns(reqs, truth)
	share := map[string]float64{}
	for _, c := range countries {
		share[c.Region] = c.Share
	}
	kinds := map[string]int{}
	for _, tr := range truth {
		kind := tr.Detail["campaign"]
		kinds[kind]++
		want, _ := strconv.Atoi(tr.Detail["requests"])
		wantVerified, _ := strconv.Atoi(tr.Detail["verified"])
		var mine []request
		countryLegit := 0 // the country's other requests meanwhile
		for i, r := range reqs {
			if r.Time.Before(tr.Start) || r.Time.After(tr.End) {
				continue
			}
			if strings.HasPrefix(r.Number, tr.Entity) {
				mine = append(mine, r)
			} else if r.Country == tr.Detail["country"] && !in[i] {
				countryLegit++
			}
		}
		verified := 0
		perHour := map[int64]int{}
		for _, r := range mine {
			if r.Verified {
				verified++
			}
			perHour[r.Time.Unix()/3600]++
		}
		if len(mine) != want || verified != wantVerified {
			t.Errorf("truth %s: %d requests (%d verified) under %s, truth says %d (%d)", tr.ID, len(mine), verified, tr.Entity, want, wantVerified)
			continue
		}
		span, vshare := tr.End.Sub(tr.Start), float64(verified)/float64(len(mine))
		switch kind {
		case Burst:
			if span > 2*time.Hour || vshare > 0.05 {
				t.Errorf("burst %s: %s long, %.3f verified; want at most 2 h, almost none", tr.ID, span, vshare)
			}
		case LowAndSlow:
			if tr.Detail["cut_short"] == "" && span < 24*time.Hour {
				t.Errorf("low-and-slow %s lasts %s, want at least 24 h", tr.ID, span)
			}
			if m := maxOf(perHour); m > 15 {
				t.Errorf("low-and-slow %s: %d requests in one hour, want a few", tr.ID, m)
			}
			if rate := float64(len(mine)) / span.Hours(); span > time.Hour && rate > 1.5*maxSlowPerHour {
				t.Errorf("low-and-slow %s: %.1f requests an hour, want at most %v", tr.ID, rate, maxSlowPerHour)
			}
			if vshare > 0.15 {
				t.Errorf("low-and-slow %s: %.3f verified, want almost none", tr.ID, vshare)
			}
		case InCountry:
			if share[tr.Detail["country"]] < inCountryMinShare {
				t.Errorf("in-country %s targets %s, not one of the app's large markets", tr.ID, tr.Detail["country"])
			}
			// Close to the country's own volume: not above it by much,
			// not negligible beside it.
			if r := float64(len(mine)) / float64(countryLegit); r < 0.1 || r > 1.5 {
				t.Errorf("in-country %s: %d requests beside %d of the country's users, want a comparable volume", tr.ID, len(mine), countryLegit)
			}
			for _, r := range mine {
				if !strings.HasPrefix(r.UserAgent, "AzureSkies/7.") {
					t.Errorf("in-country %s: user agent %q, want the current apps'", tr.ID, r.UserAgent)
					break
				}
			}
		case Verifying:
			if vshare < minFarmVerify-0.08 || vshare > maxFarmVerify+0.08 {
				t.Errorf("verifying %s: %.3f of %d codes entered, want %.2f to %.2f", tr.ID, vshare, len(mine), minFarmVerify, maxFarmVerify)
			}
			if ips := distinct(mine, func(r request) string { return r.ClientIP }); ips > 32 {
				t.Errorf("verifying %s: %d client addresses, want a farm's few", tr.ID, ips)
			}
		default:
			t.Errorf("truth %s: campaign kind %q", tr.ID, kind)
		}
	}
	for _, k := range campaignKinds {
		if kinds[k] < 3 {
			t.Errorf("%d %s campaigns in a 500,000-request run, want a few (all: %v)", kinds[k], k, kinds)
		}
	}
}

// TestSurgesAreLegitimate checks the hard negatives: launches and
// marketing pushes are surges of users who enter their codes.
func TestSurgesAreLegitimate(t *testing.T) {
	reqs, truth, negs := loadLong(t)
	in := inCampaigns(reqs, truth)
	known := map[string]bool{}
	for _, c := range countries {
		known[c.Region] = true
	}
	kinds := map[string]int{}
	for _, n := range negs {
		kinds[n.Kind]++
		if n.Verified > n.Requests || !n.End.After(n.Start) {
			t.Errorf("negative %+v: inconsistent", n)
		}
		var before, during, verified int
		var times []time.Time
		for i, r := range reqs {
			if r.Country != n.Country || in[i] {
				continue
			}
			switch {
			case r.Time.Before(n.Start):
				before++
			case !r.Time.After(n.End):
				during++
				times = append(times, r.Time)
				if r.Verified {
					verified++
				}
			}
		}
		if v := float64(verified) / float64(during); v < 0.80 || v > 0.97 {
			t.Errorf("%s in %s: %.3f of %d codes entered, want a normal 0.85 to 0.95", n.Kind, n.Country, v, during)
		}
		switch n.Kind {
		case Launch:
			if known[n.Country] || before > 0 || during != n.Requests {
				t.Errorf("launch in %s: known market %v, %d requests before it, %d during (want %d)", n.Country, known[n.Country], before, during, n.Requests)
			}
			// Rising from nothing: fewer in the first half than the second.
			mid := n.Start.Add(n.End.Sub(n.Start) / 2)
			first := 0
			for _, at := range times {
				if at.Before(mid) {
					first++
				}
			}
			if first*10 > (len(times)-first)*8 {
				t.Errorf("launch in %s: %d requests in the first half, %d in the second, want a rise", n.Country, first, len(times)-first)
			}
		case MarketingPush:
			if !known[n.Country] {
				t.Errorf("marketing push in %s, not a market of the app", n.Country)
			}
			// The same hours a day before or after, when inside the run.
			shift := -24 * time.Hour
			if n.Start.Add(shift).Before(reqs[0].Time) {
				shift = -shift
			}
			other := 0
			for i, r := range reqs {
				if r.Country == n.Country && !in[i] && !r.Time.Before(n.Start.Add(shift)) && !r.Time.After(n.End.Add(shift)) {
					other++
				}
			}
			if float64(during) < 1.8*float64(other) {
				t.Errorf("marketing push in %s: %d requests, %d the same hours a day apart, want a surge", n.Country, during, other)
			}
		default:
			t.Errorf("negative kind %q", n.Kind)
		}
	}
	if kinds[Launch] < 2 || kinds[MarketingPush] < 2 {
		t.Errorf("surges in a 500,000-request run: %v, want at least two of each", kinds)
	}
}

func maxOf(m map[int64]int) int {
	best := 0
	for _, v := range m {
		best = max(best, v)
	}
	return best
}

func distinct(reqs []request, key func(request) string) int {
	seen := map[string]bool{}
	for _, r := range reqs {
		seen[key(r)] = true
	}
	return len(seen)
}

// TestNewMarkets checks that every market a launch may add is new to the
// app and has valid mobile ranges.
func TestNewMarkets(t *testing.T) {
	finder, err := newRangeFinder()
	if err != nil {
		t.Fatal(err)
	}
	r := &scenario.Run{Params: scenario.Params{Seed: 1}}
	for _, c := range newMarkets {
		if slices.ContainsFunc(countries, func(k country) bool { return k.Region == c.Region }) {
			t.Errorf("new market %s is already one of the app's countries", c.Region)
		}
		if _, err := finder.ranges(r.Rand("test"), c.Region, minRanges, 3, 6); err != nil {
			t.Errorf("new market %s: %v", c.Region, err)
		}
	}
}
