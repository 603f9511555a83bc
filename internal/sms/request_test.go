package sms

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRequest(t *testing.T) {
	good := `{"app":"shop","number":"+37120000001","ip":"192.0.2.1","user_agent":"curl/8.0","time":"2026-11-02T00:00:10.5Z"}`
	r, err := ParseRequest([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 2, 0, 0, 10, 5e8, time.UTC)
	if r.App != "shop" || r.Number != "+37120000001" || r.IP.String() != "192.0.2.1" || r.UserAgent != "curl/8.0" || !r.Time.Equal(want) {
		t.Fatalf("got %+v", r)
	}
	// The sms scenario's line.
	scen := `{"time":"2026-11-02T00:00:02.379956179Z","id":"req-8b16","number":"+12769149781","country":"US","client_ip":"84.73.145.13",` +
		`"user_agent":"Mozilla/5.0","app":"azureskies-web","verified":true,"verified_at":"2026-11-02T00:00:12.414269818Z"}`
	r, err = ParseRequest([]byte(scen))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "req-8b16" || r.IP.String() != "84.73.145.13" || r.VerifiedAt.IsZero() {
		t.Fatalf("got %+v", r)
	}
	bad := []struct{ name, in, field, reason string }{
		{"unknown field", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z","x":1}`, "x", "unknown field"},
		{"no app", `{"number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "app", "is required"},
		{"empty app", `{"app":"","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "app", "1 to 128"},
		{"national number", `{"app":"a","number":"020000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "number", "E.164"},
		{"letters", `{"app":"a","number":"+3712000000a","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "number", "E.164"},
		{"too long", `{"app":"a","number":"+3712000000123456","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "number", "E.164"},
		{"number type", `{"app":"a","number":37120000001,"ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "number", "must be a string"},
		{"bad ip", `{"app":"a","number":"+37120000001","ip":"192.0.2","time":"2026-11-02T00:00:10Z"}`, "ip", "not an IPv4"},
		{"both ips", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","client_ip":"192.0.2.1","time":"2026-11-02T00:00:10Z"}`, "client_ip", "not both"},
		{"no ip", `{"app":"a","number":"+37120000001","time":"2026-11-02T00:00:10Z"}`, "ip", "is required"},
		{"bad time", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"yesterday"}`, "time", "RFC 3339"},
		{"time number", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":17}`, "time", "RFC 3339"},
		{"no time", `{"app":"a","number":"+37120000001","ip":"192.0.2.1"}`, "time", "is required"},
		{"verified early", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z","verified_at":"2026-11-02T00:00:09Z"}`, "verified_at", "before"},
		{"verified no time", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z","verified":true}`, "verified", "needs verified_at"},
		{"country", `{"app":"a","number":"+37120000001","ip":"192.0.2.1","time":"2026-11-02T00:00:10Z","country":"Latvia"}`, "country", "alpha-2"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRequest([]byte(c.in))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Reason, c.reason) {
				t.Fatalf("err = %v, want field %s, reason containing %q", err, c.field, c.reason)
			}
		})
	}
	for _, in := range []string{``, `[]`, `{"app":"a"} {}`, `{`} {
		if _, err := ParseRequest([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseVerified(t *testing.T) {
	v, err := ParseVerified([]byte(`{"app":"shop","number":"+37120000001","time":"2026-11-02T00:01:00Z"}`))
	if err != nil || v.App != "shop" || v.Number != "+37120000001" || v.Time.IsZero() {
		t.Fatalf("got %+v, %v", v, err)
	}
	_, err = ParseVerified([]byte(`{"app":"shop","number":"+37120000001","time":"2026-11-02T00:01:00Z","ip":"192.0.2.1"}`))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "ip" {
		t.Fatalf("err = %v, want unknown field ip", err)
	}
}

// FuzzParseRequest feeds any bytes to the parsers: each reads them or says
// why not, never panics, and what it reads holds its invariants.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"app":"shop","number":"+37120000001","ip":"192.0.2.1","user_agent":"curl/8.0","time":"2026-11-02T00:00:10.5Z"}`))
	f.Add([]byte(`{"time":"2026-11-02T00:00:02.379956179Z","id":"req-8b16","number":"+12769149781","country":"US","client_ip":"84.73.145.13","user_agent":"Mozilla/5.0","app":"w","verified":true,"verified_at":"2026-11-02T00:00:12Z"}`))
	f.Add([]byte(`{"app":"shop","number":"+37120000001","time":"2026-11-02T00:01:00Z"}`))
	f.Add([]byte(`{"app":"a","number":"+1","ip":"::ffff:1.2.3.4","time":"2026-11-02T00:00:10+09:00"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if r, err := ParseRequest(in); err == nil {
			if !isE164(r.Number) || r.App == "" || !r.IP.IsValid() || r.Time.IsZero() {
				t.Fatalf("accepted a bad request: %+v", r)
			}
			if !r.VerifiedAt.IsZero() && r.VerifiedAt.Before(r.Time) {
				t.Fatalf("verified before the request: %+v", r)
			}
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}
		if v, err := ParseVerified(in); err == nil && (!isE164(v.Number) || v.App == "" || v.Time.IsZero()) {
			t.Fatalf("accepted a bad verification: %+v", v)
		}
		_ = checkPrefix(string(in))
	})
}
