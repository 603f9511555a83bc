package sms

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"
)

var seriesT0 = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func decision(v Verdict, country, prefix string) Decision {
	return Decision{Decision: v, Would: v, Country: country, Prefix: prefix}
}

// TestSeriesCounts: requests count by verdict per hour, app, country and
// block; verifications count as entered under the number's country and
// kept block; conversion is entered ÷ requests.
func TestSeriesCounts(t *testing.T) {
	s := NewSeries()
	now := seriesT0.Add(3 * time.Hour)
	s.Check("shop", "+37120000001", seriesT0.Add(10*time.Minute), now, decision(Allow, "LV", "+37120000"))
	s.Check("shop", "+37120000002", seriesT0.Add(20*time.Minute), now, decision(Challenge, "LV", "+37120000"))
	s.Check("shop", "+37120000003", seriesT0.Add(70*time.Minute), now, decision(Block, "LV", "+37120000"))
	s.Check("shop", "+4915112345678", seriesT0.Add(80*time.Minute), now, decision(Allow, "DE", "+4915112345"))
	// An unparsable number: the app and its (empty) country, no block.
	s.Check("shop", "+999999999", seriesT0.Add(80*time.Minute), now, Decision{Decision: Block, Prefix: "+999999999"})
	s.Verified("shop", "+37120000001", seriesT0.Add(11*time.Minute), now, Number{Region: "LV", Type: Mobile})
	s.Verified("shop", "+4915112345678", seriesT0.Add(81*time.Minute), now, Number{Region: "DE", Type: Mobile})
	s.Verified("shop", "+4915112345678", seriesT0.Add(82*time.Minute), now, Number{Type: Invalid}) // ignored
	s.Check("other", "+37120000009", seriesT0.Add(5*time.Minute), now, decision(Allow, "LV", "+37120000"))

	apps := s.Apps(now)
	if len(apps) != 2 || apps[0].App != "other" || apps[1].App != "shop" {
		t.Fatalf("apps: %+v", apps)
	}
	a, ok := s.App("shop", now)
	if !ok {
		t.Fatal("shop not counted")
	}
	if want := (Tally{Requests: 5, Allowed: 2, Challenged: 1, Blocked: 2, Entered: 2}); a.Total != want {
		t.Errorf("total %+v, want %+v", a.Total, want)
	}
	if !a.Start.Equal(seriesT0.Add(3*time.Hour - (SeriesHours-1)*time.Hour)) {
		t.Errorf("start %s", a.Start)
	}
	h0, h1 := a.Hours[SeriesHours-4], a.Hours[SeriesHours-3]
	if want := (Tally{Requests: 2, Allowed: 1, Challenged: 1, Entered: 1}); h0 != want {
		t.Errorf("hour 0: %+v, want %+v", h0, want)
	}
	if want := (Tally{Requests: 3, Allowed: 1, Blocked: 2, Entered: 1}); h1 != want {
		t.Errorf("hour 1: %+v, want %+v", h1, want)
	}
	if c, ok := h0.Conversion(); !ok || c != 0.5 {
		t.Errorf("conversion of hour 0: %v %v", c, ok)
	}
	if _, ok := (Tally{}).Conversion(); ok {
		t.Error("conversion of nothing is defined")
	}
	got := map[string]Tally{}
	for _, l := range a.Countries {
		got[l.Key] = l.Total
	}
	if want := map[string]Tally{"LV": {Requests: 3, Allowed: 1, Challenged: 1, Blocked: 1, Entered: 1}, "DE": {Requests: 1, Allowed: 1, Entered: 1}, "": {Requests: 1, Blocked: 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("countries %v, want %v", got, want)
	}
	if a.Countries[0].Key != "LV" {
		t.Errorf("busiest country first: %+v", a.Countries)
	}
	if len(a.Prefixes) != 2 || a.Prefixes[0].Key != "+37120000" || a.Prefixes[0].Country != "LV" || a.Prefixes[0].Total.Entered != 1 {
		t.Errorf("prefixes %+v", a.Prefixes)
	}
	if l := a.Last(24); l != a.Total {
		t.Errorf("last 24 h %+v, total %+v", l, a.Total)
	}
	if _, ok := s.App("nope", now); ok {
		t.Error("an app never counted")
	}
}

// TestSeriesWindow: hours slide out after SeriesHours; events older than
// the window or too far after now are dropped; an app whose counts slid
// out shows nothing.
func TestSeriesWindow(t *testing.T) {
	s := NewSeries()
	now := seriesT0
	s.Check("shop", "+37120000001", seriesT0, now, decision(Allow, "LV", "+37120000"))
	s.Check("shop", "+37120000001", seriesT0.Add(time.Hour), now, decision(Allow, "LV", "+37120000")) // an hour ahead of now
	if s.Dropped() != 1 {
		t.Errorf("dropped %d, want 1 (too far ahead)", s.Dropped())
	}
	now = seriesT0.Add(SeriesHours * time.Hour)
	s.Check("shop", "+4915112345678", now, now, decision(Allow, "DE", "+4915112345"))
	a, _ := s.App("shop", now)
	if a.Total.Requests != 1 || len(a.Countries) != 1 || a.Countries[0].Key != "DE" || len(a.Prefixes) != 1 {
		t.Errorf("after the window slid: %+v", a)
	}
	s.Check("shop", "+37120000001", seriesT0, now, decision(Allow, "LV", "+37120000"))
	if s.Dropped() != 2 {
		t.Errorf("dropped %d, want 2 (too old)", s.Dropped())
	}
	// Read later than the newest event: the window ends at now.
	later := now.Add(47 * time.Hour)
	a, _ = s.App("shop", later)
	if a.Total.Requests != 1 || a.Hours[0].Requests != 1 {
		t.Errorf("read 47 h later: %+v", a.Total)
	}
	a, _ = s.App("shop", later.Add(time.Hour))
	if a.Total.Requests != 0 {
		t.Errorf("read 48 h later: %+v", a.Total)
	}
}

// TestSeriesKeepsTheCampaign: among more blocks than the bound, each
// asked once, a block asked many times and blocked stays counted in full.
func TestSeriesKeepsTheCampaign(t *testing.T) {
	s := NewSeries()
	now := seriesT0.Add(time.Hour)
	at := seriesT0
	for i := range 2000 {
		at = at.Add(time.Second)
		s.Check("shop", fmt.Sprintf("+44770%04d123", i), at, now, decision(Allow, "GB", fmt.Sprintf("+44770%04d", i)))
		if i%10 == 0 {
			s.Check("shop", fmt.Sprintf("+371200%05d", i), at, now, decision(Block, "LV", "+37120012"))
		}
	}
	a, _ := s.App("shop", now)
	if len(a.Prefixes) != SeriesMaxPrefixes {
		t.Errorf("%d prefixes, want %d", len(a.Prefixes), SeriesMaxPrefixes)
	}
	if a.Prefixes[0].Key != "+37120012" || a.Prefixes[0].Total.Blocked != 200 {
		t.Errorf("the campaign's block: %+v", a.Prefixes[0])
	}
}

// TestSeriesAppBound: apps past SeriesMaxApps count under OtherApps.
func TestSeriesAppBound(t *testing.T) {
	s := NewSeries()
	for i := range SeriesMaxApps + 10 {
		s.Check(fmt.Sprintf("app-%03d", i), "+37120000001", seriesT0, seriesT0, decision(Allow, "LV", "+37120000"))
	}
	apps := s.Apps(seriesT0)
	if len(apps) != SeriesMaxApps+1 {
		t.Fatalf("%d apps, want %d", len(apps), SeriesMaxApps+1)
	}
	a, ok := s.App(OtherApps, seriesT0)
	if !ok || a.Total.Requests != 10 {
		t.Errorf("other apps: %+v", a.Total)
	}
}

// TestSeriesSize: the sizes the memory bound in the Series comment rests on.
func TestSeriesSize(t *testing.T) {
	if n := unsafe.Sizeof(hourly{}); n != 980 {
		t.Errorf("hourly is %d bytes; the comment says 980", n)
	}
}

// TestSeriesProperties checks a Series against a list of the events it
// was given: an event is counted exactly when it is within SeriesMaxSkew
// of now and not older than the newest counted event's window; each
// hour's app total is the counted events of that hour; the countries
// add up to the app exactly, the prefixes to at most it; requests are
// allowed + challenged + blocked; the bounds hold.
func TestSeriesProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewSeries()
		type ev struct {
			app  string
			hour int64
			t    Tally
		}
		var counted []ev
		var newest int64
		started := false
		now := seriesT0
		dropped := uint64(0)
		apps := []string{"a", "b", "c"}
		countries := []string{"LV", "DE", "GB", ""}
		steps := rapid.IntRange(1, 400).Draw(t, "steps")
		for range steps {
			now = now.Add(time.Duration(rapid.IntRange(0, 180).Draw(t, "step")) * time.Minute)
			// Late by whole hours and minutes (rapid draws small numbers
			// more often: so the edges of the window are drawn often).
			late := time.Duration(rapid.IntRange(-1, SeriesHours+2).Draw(t, "late hours"))*time.Hour +
				time.Duration(rapid.IntRange(0, 59).Draw(t, "late minutes"))*time.Minute
			at := now.Add(-late)
			app := rapid.SampledFrom(apps).Draw(t, "app")
			country := rapid.SampledFrom(countries).Draw(t, "country")
			p := fmt.Sprintf("+3712%04d", rapid.IntRange(0, 3*SeriesMaxPrefixes).Draw(t, "prefix"))
			number := p + "123"
			var tl Tally
			if rapid.IntRange(0, 3).Draw(t, "kind") == 0 {
				s.Verified(app, number, at, now, Number{Region: country, Type: Mobile})
				tl = Tally{Entered: 1}
			} else {
				v := Verdict(rapid.IntRange(0, 2).Draw(t, "verdict"))
				s.Check(app, number, at, now, decision(v, country, p))
				tl = tallyOf(v)
			}
			k := floorDiv(at.UnixNano(), hourNS)
			switch {
			case at.After(now.Add(SeriesMaxSkew)) || started && k <= newest-SeriesHours:
				dropped++
			default:
				counted = append(counted, ev{app, k, tl})
				if !started || k > newest {
					newest = k
				}
				started = true
			}
		}
		if s.Dropped() != dropped {
			t.Fatalf("dropped %d, want %d", s.Dropped(), dropped)
		}
		listed := s.Apps(now)
		if len(listed) > SeriesMaxApps+1 {
			t.Fatalf("%d apps", len(listed))
		}
		for _, la := range listed {
			a, ok := s.App(la.App, now)
			if !ok {
				t.Fatalf("listed app %q has no counts", la.App)
			}
			if fmt.Sprint(a.Hours) != fmt.Sprint(la.Hours) {
				t.Fatalf("%s: listing and app disagree", la.App)
			}
			end := floorDiv(a.Start.UnixNano(), hourNS) + SeriesHours - 1
			want := make([]Tally, SeriesHours)
			for _, e := range counted {
				if e.app == la.App && e.hour <= end && e.hour > end-SeriesHours && e.hour > newest-SeriesHours {
					want[e.hour-(end-SeriesHours+1)].add(e.t)
				}
			}
			var total Tally
			for i, h := range a.Hours {
				if h != want[i] {
					t.Fatalf("%s hour %d: %+v, want %+v", la.App, i, h, want[i])
				}
				if h.Requests != h.Allowed+h.Challenged+h.Blocked {
					t.Fatalf("%s hour %d: requests %d != %d+%d+%d", la.App, i, h.Requests, h.Allowed, h.Challenged, h.Blocked)
				}
				total.add(h)
			}
			if total != a.Total || a.Last(SeriesHours) != total {
				t.Fatalf("%s: total %+v, hours add up to %+v", la.App, a.Total, total)
			}
			if len(a.Countries) > SeriesMaxCountries || len(a.Prefixes) > SeriesMaxPrefixes {
				t.Fatalf("%s: %d countries, %d prefixes", la.App, len(a.Countries), len(a.Prefixes))
			}
			for i := range SeriesHours {
				var cs, ps Tally
				for _, c := range a.Countries {
					cs.add(c.Hours[i])
				}
				for _, p := range a.Prefixes {
					ps.add(p.Hours[i])
				}
				if cs != a.Hours[i] {
					t.Fatalf("%s hour %d: countries add up to %+v, the app has %+v", la.App, i, cs, a.Hours[i])
				}
				if ps.Requests > a.Hours[i].Requests || ps.Entered > a.Hours[i].Entered || ps.Blocked > a.Hours[i].Blocked {
					t.Fatalf("%s hour %d: prefixes add up to %+v, more than the app's %+v", la.App, i, ps, a.Hours[i])
				}
			}
		}
	})
}

// BenchmarkSeriesCheck: counting one decision, with the app's 50 blocks
// and 20 countries kept and a new block every tenth request (the
// eviction scan).
func BenchmarkSeriesCheck(b *testing.B) {
	s := NewSeries()
	now := seriesT0
	countries := []string{"US", "IN", "BR", "GB", "DE", "FR", "JP", "LV", "UZ", "KG", "MX", "ID", "PH", "VN", "TR", "EG", "NG", "PK", "BD", "AZ"}
	ds := make([]Decision, 1000)
	nums := make([]string, 1000)
	for i := range ds {
		p := fmt.Sprintf("+3712%04d", i%40)
		if i%10 == 0 {
			p = fmt.Sprintf("+3719%04d", i)
		}
		ds[i] = decision(Verdict(i%3), countries[i%len(countries)], p)
		nums[i] = p + "123"
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		j := i % len(ds)
		s.Check("shop", nums[j], now, now, ds[j])
	}
}
