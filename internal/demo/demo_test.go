package demo_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/demo"
	"fusion/internal/evidence/evidencetest"
	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	canon, err := observable.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(st, canon, evidencetest.Log(t, st), slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetWarningLists(warninglist.Fictional())
	if _, err := demo.Seed(ctx, h); err == nil || !strings.Contains(err.Error(), "match index") {
		t.Fatalf("seeding a hub without matching: %v", err)
	}
	st = storetest.SQLite(t)
	h = hub.New(st, canon, evidencetest.Log(t, st), slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetWarningLists(warninglist.Fictional()) // as serve --demo does
	if err := h.EnableMatching(match.New(0), bytes.Repeat([]byte{2}, 32), hub.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	s, err := demo.Seed(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sensor == "" || s.C2Value == "" {
		t.Errorf("seeded %+v", s)
	}
	if s.Records < 300 || s.Reports < 2 || s.PhishURL == "" || s.RedRecord == "" {
		t.Errorf("seeded %+v", s)
	}
	// The action day: both airlines' bookings linked into one ring at
	// the hub for the coordinator, some routed to each police, outcomes.
	ad := s.ActionDay
	if ad.Submitted < 100 || ad.Routed["police-nl"] == 0 || ad.Routed["police-de"] == 0 || ad.Outcomes == 0 {
		t.Errorf("action day %+v", ad)
	}
	coord := &policy.Caller{Org: "police-de", Role: intel.RoleAnalyst, Groups: []string{"airline-action-day"}}
	sum, err := h.Summary(ctx, coord, ad.ID)
	if err != nil || sum.Total.Submitted != ad.Submitted || sum.Total.Outcomes[hub.OutcomeArrest] == 0 || len(sum.Airlines) != 2 {
		t.Errorf("action day %+v summary %+v %v", ad, sum.Total, err)
	}
	all, err := h.ActionDayBookings(ctx, coord, ad.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	across := 0
	for _, b := range all.Bookings {
		if b.Ring != nil && b.Ring.Airlines == 2 {
			across++
		}
	}
	if across == 0 {
		t.Error("no ring links the two airlines' bookings")
	}
	sectors := map[intel.Sector]bool{}
	for _, o := range s.Orgs {
		sectors[o.Sector] = true
	}
	for _, sec := range intel.Sectors {
		if !sectors[sec] {
			t.Errorf("no organization of sector %s", sec)
		}
	}
	// Every TLP is used, and no value can point at a real network or person.
	tlps := map[intel.TLP]bool{}
	for _, o := range s.Orgs {
		c := &policy.Caller{Org: o.ID, Role: intel.RoleReader}
		page, err := h.ListRecords(ctx, c, hub.RecordFilter{Originator: o.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			tlps[r.TLP] = true
			if !fictional(r) {
				t.Errorf("demo record %s %q is not in a reserved or fictional range", r.Type, r.Value)
			}
		}
	}
	for _, tlp := range intel.TLPs {
		if !tlps[tlp] {
			t.Errorf("no demo record under TLP %s", tlp)
		}
	}
	// police-de's rule package: version 2, seen by the action day's group
	// (airline-azure, airline-boreal, bank-alpha, police-nl), not by others.
	for _, o := range s.Orgs {
		c := &policy.Caller{Org: o.ID, Role: intel.RoleReader}
		for _, g := range s.Groups {
			if slices.Contains(g.Members, o.ID) {
				c.Groups = append(c.Groups, g.ID)
			}
		}
		p, err := h.GetRulePackage(ctx, c, s.RulePackage, 0)
		want := map[string]bool{"police-de": true, "airline-azure": true, "airline-boreal": true, "bank-alpha": true, "police-nl": true}[o.ID]
		if want != (err == nil) || want && (p.Version != 2 || p.TLP != intel.Amber || p.Originator != "police-de") {
			t.Errorf("%s reads the demo's rule package: %+v %v", o.ID, p, err)
		}
	}
	if _, err := demo.Seed(ctx, h); err == nil {
		t.Error("seeding a second time succeeded")
	}

	// The use left behind: cert-fr's records were sighted and acted on, and a
	// request for one waits for its decision; the sensor token is a sensor's.
	certFR := &policy.Caller{Org: "cert-fr", Role: intel.RoleAdmin}
	fb, err := h.Feedback(ctx, certFR, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if fb.Totals["seen"] < 6 || fb.Totals["case-opened"] != 1 || fb.Totals["takedown"] != 1 {
		t.Errorf("cert-fr's feedback totals: %v", fb.Totals)
	}
	reqs, err := h.AccessRequests(ctx, certFR, true)
	if err != nil || len(reqs) != 1 || reqs[0].Requester != "bank-alpha" || reqs[0].Status != "pending" {
		t.Errorf("cert-fr's access requests: %+v %v", reqs, err)
	}
	sensor, err := h.Authenticate(ctx, s.Sensor)
	if err != nil || sensor.Org != "police-nl" || sensor.Role != intel.RoleSensor {
		t.Errorf("the sensor token: %+v %v", sensor, err)
	}
	sightings, err := h.OwnSightings(ctx, sensor, 1000, "")
	sighted := map[string]bool{}
	for _, x := range sightings.Items {
		sighted[x.Record] = true
	}
	if err != nil || len(sighted) != 10 {
		t.Errorf("police-nl's sightings name %d records, want 10 (6 C2 addresses, 3 phishing pages, and the hosting block its network's long connection went to): %v", len(sighted), err)
	}
	// The sensor's day of network logs: police-nl's detections show the
	// demo network's beacon, poll, DNS tunnel and long connection, each
	// from its host and to a fictional destination, and nothing else;
	// nobody else's show anything.
	fs, err := h.Detections(ctx, sensor)
	want := map[string]string{finding.C2Beacon: "10.20.0.14", finding.C2Poll: "10.20.0.17", finding.C2DNS: "10.20.0.19", finding.LongConn: "10.20.0.12"}
	for _, f := range fs {
		if want[f.Kind] != f.Entity {
			t.Errorf("unexpected detection %s of %s → %s", f.Kind, f.Entity, f.Dst)
		}
		delete(want, f.Kind)
		dst, _, _ := strings.Cut(f.Dst, "/")
		if a, err := netip.ParseAddr(dst); err == nil {
			if !slices.ContainsFunc(docNets, func(p netip.Prefix) bool { return p.Contains(a) }) {
				t.Errorf("detection %s → %s: not a documentation address", f.Kind, f.Dst)
			}
		} else if !strings.HasSuffix(dst, ".example") {
			t.Errorf("detection %s → %s: not a name under .example", f.Kind, f.Dst)
		}
	}
	if err != nil || len(want) != 0 || len(fs) != s.Detections {
		t.Errorf("police-nl's detections: %d (seeded %d), missing %v: %v", len(fs), s.Detections, want, err)
	}
	if fs, err := h.Detections(ctx, certFR); err != nil || len(fs) != 0 {
		t.Errorf("cert-fr, which posted no logs, has %d detections: %v", len(fs), err)
	}
	// airline-azure's OTP traffic: the scenario's burst is blocked, in
	// force now, and its apps show the traffic; nobody else's do.
	airline := &policy.Caller{Org: "airline-azure", Role: intel.RoleAnalyst}
	apps, err := h.SMSApps(ctx, airline)
	requests := 0
	for _, a := range apps {
		requests += int(a.Total.Requests)
	}
	if err != nil || len(apps) != 3 || requests != s.SMS.Requests || s.SMS.Requests < 10_000 || s.SMS.Verified < s.SMS.Requests/2 {
		t.Errorf("airline-azure's SMS apps: %d apps, %d requests (fed %+v): %v", len(apps), requests, s.SMS, err)
	}
	if !slices.ContainsFunc(s.SMS.Blocks, func(b hub.SMSBlock) bool {
		return strings.HasPrefix(s.SMS.Campaign, b.Prefix) && b.Until.After(time.Now())
	}) {
		t.Errorf("the burst's block %s is not in force: %+v", s.SMS.Campaign, s.SMS.Blocks)
	}
	if apps, err := h.SMSApps(ctx, certFR); err != nil || len(apps) != 0 {
		t.Errorf("cert-fr has SMS apps: %+v %v", apps, err)
	}
	t.Logf("SMS: %+v", s.SMS)
	var out bytes.Buffer
	demo.PrintWelcome(&out, "http://127.0.0.1:8080", "/tmp/x", s)
	if !strings.Contains(out.String(), s.Orgs[0].Token) || !strings.Contains(out.String(), s.RedRecord) ||
		!strings.Contains(out.String(), s.Sensor) || !strings.Contains(out.String(), s.C2Value) || regexp.MustCompile(`\{[A-Z0-9]+\}`).MatchString(out.String()) {
		t.Errorf("welcome text lacks tokens or examples:\n%s", out.String())
	}
}

var docNets = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

func fictional(r intel.Record) bool {
	host := r.Value
	switch r.Type {
	case observable.IPv4, observable.IPv6, observable.CIDR:
		p, err := netip.ParsePrefix(r.Value)
		if err != nil {
			a := netip.MustParseAddr(r.Value)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		for _, d := range docNets {
			if d.Contains(p.Addr()) && p.Bits() >= d.Bits() {
				return true
			}
		}
		return false
	case observable.Phone:
		return strings.HasPrefix(r.Value, "+1") && r.Value[5:9] == "5550" && r.Value[9] == '1' ||
			strings.HasPrefix(r.Value, "+61491570")
	case observable.URL:
		host = strings.SplitN(strings.SplitN(r.Value, "://", 2)[1], "/", 2)[0]
	case observable.Email:
		host = r.Value[strings.Index(r.Value, "@")+1:]
	case observable.ASN:
		return r.Value >= "AS64496" && r.Value <= "AS64511" && len(r.Value) == 7
	case observable.Domain:
	default:
		return true // hashes, wallets, onions and cards are random or test values
	}
	for _, d := range []string{"example.com", "example.net", "example.org"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
