package match

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
)

var n int

func rec(t observable.Type, v string, mods ...func(*intel.Record)) *intel.Record {
	n++
	r := &intel.Record{ID: uuid.NewSHA1(uuid.Nil, fmt.Append(nil, n)).String(), Type: t, Value: v, TLP: intel.Green,
		Originator: "org-a", Version: 1, Labels: []string{"botnet-c2"}}
	for _, m := range mods {
		m(r)
	}
	return r
}

func ids(ix *Index, look func(func(Entry) bool)) []string {
	var out []string
	look(func(e Entry) bool { out = append(out, e.Value()); return true })
	return out
}

func TestLookups(t *testing.T) {
	ix := New(16)
	put := func(r *intel.Record) *intel.Record {
		if err := ix.Put(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	put(rec(observable.IPv4, "192.0.2.7"))
	put(rec(observable.IPv4, "192.0.2.7", func(r *intel.Record) { r.Originator = "org-b" })) // same value, second record
	put(rec(observable.CIDR, "192.0.2.0/24"))
	put(rec(observable.CIDR, "192.0.0.0/16"))
	put(rec(observable.IPv6, "2001:db8::1"))
	put(rec(observable.Domain, "evil.example.com", func(r *intel.Record) { r.Subdomains = true }))
	put(rec(observable.Domain, "exact.example.net"))
	put(rec(observable.URL, "http://kit.example.org/login.php"))
	put(rec(observable.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
	put(rec(observable.Email, "mule@example.org"))

	ip := func(s string) func(func(Entry) bool) {
		return func(fn func(Entry) bool) { ix.LookupIP(netip.MustParseAddr(s), fn) }
	}
	dom := func(s string) func(func(Entry) bool) { return func(fn func(Entry) bool) { ix.LookupDomain(s, fn) } }
	url := func(s string) func(func(Entry) bool) { return func(fn func(Entry) bool) { ix.LookupURL(s, fn) } }
	tests := []struct {
		name string
		look func(func(Entry) bool)
		want []string
	}{
		{"address and both prefixes, longest first", ip("192.0.2.7"), []string{"192.0.2.7", "192.0.2.7", "192.0.2.0/24", "192.0.0.0/16"}},
		{"mapped address", ip("::ffff:192.0.2.7"), []string{"192.0.2.7", "192.0.2.7", "192.0.2.0/24", "192.0.0.0/16"}},
		{"prefix only", ip("192.0.3.1"), []string{"192.0.0.0/16"}},
		{"no match", ip("198.51.100.1"), nil},
		{"ipv6", ip("2001:db8::1"), []string{"2001:db8::1"}},
		{"domain itself", dom("evil.example.com"), []string{"evil.example.com"}},
		{"subdomain of a subdomains record", dom("a.b.evil.example.com"), []string{"evil.example.com"}},
		{"subdomain of an exact record", dom("www.exact.example.net"), nil},
		{"parent of a record", dom("example.com"), nil},
		{"url exact", url("http://kit.example.org/login.php"), []string{"http://kit.example.org/login.php"}},
		{"url falls back to host", url("https://x.evil.example.com/other"), []string{"evil.example.com"}},
		{"url with address host", url("http://192.0.2.7:8080/a"), []string{"192.0.2.7", "192.0.2.7", "192.0.2.0/24", "192.0.0.0/16"}},
		{"other url on an unknown host", url("http://kit.example.org/other.php"), nil},
		{"hash", func(fn func(Entry) bool) {
			ix.Lookup(observable.Observable{Type: observable.SHA256, Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, fn)
		}, []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		{"email", func(fn func(Entry) bool) {
			ix.Lookup(observable.Observable{Type: observable.Email, Value: "mule@example.org"}, fn)
		}, []string{"mule@example.org"}},
		{"email is not a domain", func(fn func(Entry) bool) {
			ix.Lookup(observable.Observable{Type: observable.Domain, Value: "mule@example.org"}, fn)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(ix, tt.look); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if ix.Len() != 10 {
		t.Errorf("Len = %d", ix.Len())
	}
}

func TestUpdatesAndRevocation(t *testing.T) {
	ix := New(4)
	r := rec(observable.Domain, "c2.example.com")
	ix.Put(r)
	v2 := *r
	v2.Version, v2.Labels, v2.TLP = 2, []string{"phishing"}, intel.Red
	ix.Put(&v2)
	ix.Put(r) // an old version arriving late changes nothing
	var got []Entry
	ix.LookupDomain("c2.example.com", func(e Entry) bool { got = append(got, e); return true })
	if len(got) != 1 || !slices.Equal(got[0].Labels(), []string{"phishing"}) || got[0].Shared().TLP != intel.Red || got[0].ID() != r.ID {
		t.Fatalf("after update: %d entries", len(got))
	}
	v3 := v2
	now := time.Now()
	v3.Version, v3.Revoked = 3, &now
	ix.Put(&v3)
	if ids(ix, func(fn func(Entry) bool) { ix.LookupDomain("c2.example.com", fn) }) != nil || ix.Len() != 0 {
		t.Error("a revoked record still matches")
	}
}

func TestFormCache(t *testing.T) {
	ix := New(4)
	ix.Put(rec(observable.IPv4, "192.0.2.1", func(r *intel.Record) {
		r.TLP, r.Audience = intel.Amber, intel.Audience{Orgs: []string{"org-b"}}
	}))
	var forms Forms
	for _, org := range []string{"org-b", "org-c"} {
		c := &policy.Caller{Org: org}
		ix.LookupIP(netip.MustParseAddr("192.0.2.1"), func(e Entry) bool {
			want := policy.Decide(c, e.Shared())
			if got := e.Form(c, &forms); got != want {
				t.Errorf("%s: cached form %v, gate %v", org, got, want)
			}
			return true
		})
		forms = Forms{} // one cache per caller
	}
}

func TestStaleVersionAfterRevocation(t *testing.T) {
	ix := New(4)
	r := rec(observable.Domain, "late.example.com")
	v2 := *r
	v2.Version = 2
	now := time.Now()
	v3 := v2
	v3.Version, v3.Revoked = 3, &now
	ix.Put(r)
	ix.Put(&v3) // the revocation overtakes version 2
	ix.Put(&v2)
	if got := ids(ix, func(fn func(Entry) bool) { ix.LookupDomain("late.example.com", fn) }); got != nil {
		t.Errorf("a stale version revived a revoked record: %v", got)
	}
}
