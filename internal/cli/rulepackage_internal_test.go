package cli

import (
	"strings"
	"testing"
)

const barePackage = `{"id":"p","version":2,"name":"n","threshold":1,"rules":[{"id":"r","expr":"third_party","score":1,"reason":"x"}]}`

// TestReadRulePackage: a bare package and the hub's answer holding it are
// read alike; an answer whose package is another, a revoked one and an
// unknown member are refused.
func TestReadRulePackage(t *testing.T) {
	shared := `{"id":"p","version":2,"originator":"police-fr","tlp":"amber","audience":{"orgs":[],"groups":["g"]},"handling":{"codes":["H1"]},"created":"2026-11-30T10:00:00Z","package":` + barePackage + `}`
	for _, in := range []string{barePackage, shared} {
		p, err := readRulePackage([]byte(in))
		if err != nil || p.ID != "p" || p.Version != 2 || len(p.Rules) != 1 {
			t.Fatalf("%s: %+v %v", in, p, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{strings.Replace(shared, `"version":2,"o`, `"version":3,"o`, 1), "inside the answer for p version 3"},
		{strings.Replace(shared, `"created"`, `"revoked":"2026-12-01T00:00:00Z","revoked_reason":"old","created"`, 1), "was revoked by police-fr (old)"},
		{strings.Replace(shared, `"tlp"`, `"colour":1,"tlp"`, 1), `unknown field "colour"`},
		{strings.Replace(shared, `third_party`, `depart`, 1), `rule "r": line 1, column 1: unknown name depart`},
		{`[1]`, "rule package:"},
	} {
		if _, err := readRulePackage([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzReadRulePackage: any input is read or refused, never a panic, and
// what is read compiles.
func FuzzReadRulePackage(f *testing.F) {
	f.Add([]byte(barePackage))
	f.Add([]byte(`{"id":"p","version":2,"package":` + barePackage + `}`))
	f.Add([]byte(`{"package":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readRulePackage(data)
		if err == nil && (p == nil || len(p.Rules) == 0) {
			t.Fatalf("read without rules: %+v", p)
		}
	})
}
