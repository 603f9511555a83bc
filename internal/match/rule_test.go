package match

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// The record of issue 12: an https URL a phishing kit sits at, and what a
// sensor sees of it.
const kitURL = "https://login-bank-a.example.com/kit/"

func TestURLTargets(t *testing.T) {
	ix := New(8)
	for _, r := range []*intel.Record{
		rec(observable.URL, kitURL),
		rec(observable.URL, "https://login-bank-a.example.com:8443/kit/"),
		rec(observable.URL, "http://drop.example.net/a?x=1"),
	} {
		if err := ix.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	url := func(s string) func(func(Entry) bool) { return func(fn func(Entry) bool) { ix.LookupURL(s, fn) } }
	for _, tt := range []struct {
		seen string
		want []string
	}{
		{"https://login-bank-a.example.com/kit/", []string{kitURL}},
		{"http://login-bank-a.example.com/kit/", []string{kitURL}},
		{"http://user@login-bank-a.example.com/kit/", []string{kitURL}},
		{"ftp://login-bank-a.example.com/kit/", []string{kitURL}},
		{"http://login-bank-a.example.com:8443/kit/", []string{"https://login-bank-a.example.com:8443/kit/"}},
		{"http://login-bank-a.example.com:8080/kit/", nil},     // another port, another server
		{"http://login-bank-a.example.com:443/kit/", nil},      // as Zeek: ":port" unless 80 is part of the URL
		{"http://login-bank-a.example.com/kit/index.php", nil}, // another path
		{"https://drop.example.net/a?x=1", []string{"http://drop.example.net/a?x=1"}},
		{"https://drop.example.net/a?x=2", nil},           // another query
		{"http://sub.login-bank-a.example.com/kit/", nil}, // another host
	} {
		if got := ids(ix, url(tt.seen)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: matched %v, want %v", tt.seen, got, tt.want)
		}
	}
}

func TestURLsOnDomain(t *testing.T) {
	ix := New(8)
	kit := rec(observable.URL, kitURL)
	for _, r := range []*intel.Record{
		kit,
		rec(observable.URL, "http://a.b.example.org/x"),
		rec(observable.URL, "http://b.example.org:8080/y"),
		rec(observable.URL, "http://192.0.2.7/z"),
		rec(observable.URL, "http://notexample.org/w"),
		rec(observable.Domain, "example.org"),
	} {
		if err := ix.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	on := func(name string) []string {
		got := ids(ix, func(fn func(Entry) bool) { ix.LookupURLsOn(name, fn) })
		slices.Sort(got)
		return got
	}
	for _, tt := range []struct {
		name string
		want []string
	}{
		{"login-bank-a.example.com", []string{kitURL}},
		{"example.com", []string{kitURL}},
		{"www.login-bank-a.example.com", nil}, // a URL on a parent is not on the subdomain
		{"example.org", []string{"http://a.b.example.org/x", "http://b.example.org:8080/y"}},
		{"b.example.org", []string{"http://a.b.example.org/x", "http://b.example.org:8080/y"}},
		{"a.b.example.org", []string{"http://a.b.example.org/x"}},
		{"notexample.org", []string{"http://notexample.org/w"}},
		{"org", nil}, // a bare TLD lists nothing
		{"192.0.2.7", nil},
	} {
		if got := on(tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("URLs on %s: %v, want %v", tt.name, got, tt.want)
		}
	}
	now := time.Now()
	v2 := *kit
	v2.Version, v2.Revoked = 2, &now
	if err := ix.Put(&v2); err != nil {
		t.Fatal(err)
	}
	if got := on("example.com"); got != nil {
		t.Errorf("a revoked URL record is still on its domain: %v", got)
	}
}

// matchLog runs a Matcher over one log with the given records and returns
// "entity rule observed" per finding.
func matchLog(t *testing.T, input, format string, recs ...*intel.Record) []string {
	t.Helper()
	ix := New(len(recs))
	for _, r := range recs {
		if err := ix.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	m := &Matcher{Observer: Observer{Index: ix, Canon: testCanon(t)}}
	src, err := NewSource(strings.NewReader(input), format)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for src.Next() {
		for _, f := range m.Event(src.Row) {
			if f.Start.IsZero() {
				t.Errorf("finding on %s has no time", f.Entity)
			}
			out = append(out, f.Entity+" "+f.Rule+" "+f.Observed)
		}
	}
	if err := src.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKitURLFromLogs(t *testing.T) {
	tsv := httpHeader +
		"1700000000.0\tC1\t10.0.0.1\t5000\t192.0.2.9\t80\tGET\tlogin-bank-a.example.com\t/kit/\n" +
		"1700000001.0\tC2\t10.0.0.1\t5001\t192.0.2.9\t8080\tGET\tlogin-bank-a.example.com\t/kit/\n" +
		"1700000002.0\tC3\t10.0.0.1\t5002\t192.0.2.9\t80\tGET\tLOGIN-BANK-A.example.com\t/kit/\n"
	zjson := `{"ts":1700000000.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"192.0.2.9","id.resp_p":80,"method":"GET","host":"login-bank-a.example.com","uri":"/kit/"}` + "\n" +
		`{"ts":1700000001.0,"uid":"C2","id.orig_h":"10.0.0.1","id.orig_p":5001,"id.resp_h":"192.0.2.9","id.resp_p":8080,"method":"GET","host":"login-bank-a.example.com","uri":"/kit/"}` + "\n"
	jsonl := `{"time":"2026-11-30T10:00:00Z","value":"http://login-bank-a.example.com/kit/"}` + "\n" +
		`{"time":"2026-11-30T10:00:01Z","values":["hxxp://login-bank-a[.]example[.]com/kit/"]}` + "\n" +
		`{"time":"2026-11-30T10:00:02Z","value":"http://login-bank-a.example.com:8080/kit/"}` + "\n"
	seen := "http://login-bank-a.example.com/kit/"
	want := kitURL + " url " + seen
	for _, tt := range []struct {
		name, input, format string
		want                []string
	}{
		{"zeek tsv http.log", tsv, "zeek-http", []string{want, want}},
		{"zeek json http.log", zjson, "zeek-json", []string{want}},
		{"json lines", jsonl, "jsonl", []string{want, want}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchLog(t, tt.input, tt.format, rec(observable.URL, kitURL)); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	// The port rule: Zeek drops the port from the Host header, so a
	// connection to another port than 80 makes the URL carry it; a record
	// naming that port matches those lines and only those.
	got := matchLog(t, tsv, "zeek-http", rec(observable.URL, "https://login-bank-a.example.com:8080/kit/"))
	if want := []string{"https://login-bank-a.example.com:8080/kit/ url http://login-bank-a.example.com:8080/kit/"}; !slices.Equal(got, want) {
		t.Errorf("port 8080 record: findings %q, want %q", got, want)
	}
}

func TestRules(t *testing.T) {
	log := `{"time":"2026-11-30T10:00:00Z","value":"192.0.2.7"}` + "\n" +
		`{"time":"2026-11-30T10:00:01Z","value":"198.51.100.9"}` + "\n" +
		`{"time":"2026-11-30T10:00:02Z","value":"a.evil.example.com"}` + "\n" +
		`{"time":"2026-11-30T10:00:03Z","value":"https://kit.example.org/login"}` + "\n" +
		`{"time":"2026-11-30T10:00:04Z","value":"http://kit.example.org/login"}` + "\n" +
		`{"time":"2026-11-30T10:00:05Z","value":"http://drop.example.net/any"}` + "\n" +
		`{"time":"2026-11-30T10:00:06Z","value":"http://[2001:db8::1]/x"}` + "\n"
	got := matchLog(t, log, "jsonl",
		rec(observable.IPv4, "192.0.2.7"),
		rec(observable.CIDR, "198.51.100.0/24"),
		rec(observable.Domain, "evil.example.com", func(r *intel.Record) { r.Subdomains = true }),
		rec(observable.URL, "https://kit.example.org/login"),
		rec(observable.Domain, "drop.example.net"),
		rec(observable.IPv6, "2001:db8::1"),
	)
	want := []string{
		"192.0.2.7 exact 192.0.2.7",
		"198.51.100.0/24 cidr 198.51.100.9",
		"evil.example.com subdomain a.evil.example.com",
		"https://kit.example.org/login exact https://kit.example.org/login",
		"https://kit.example.org/login url http://kit.example.org/login",
		"drop.example.net url-host http://drop.example.net/any",
		"2001:db8::1 url-host http://[2001:db8::1]/x",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
}
