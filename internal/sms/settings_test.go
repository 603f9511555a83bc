package sms

import (
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings([]byte(`{"mode":"challenge","allowed":["IE","GB","GB"],"safe_prefixes":["+4420"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.JSON()); got != `{"mode":"challenge","allowed":["GB","IE"],"shared":"block","safe_numbers":[],"safe_prefixes":["+4420"]}` {
		t.Errorf("canonical JSON %s", got)
	}
	if d := string(DefaultSettings().JSON()); d != `{"mode":"block","allowed":[],"shared":"block","safe_numbers":[],"safe_prefixes":[]}` {
		t.Errorf("defaults %s", d)
	}
	for body, want := range map[string]string{
		`{"mode":"loud"}`:                     `mode "loud": not block, challenge or record-only`,
		`{"shared":"maybe"}`:                  `shared "maybe": not allow, challenge or block`,
		`{"allowed":["gb"]}`:                  `allowed "gb": not an ISO 3166-1 alpha-2 code`,
		`{"safe_numbers":["0044"]}`:           `safe_numbers "0044": not an E.164 number`,
		`{"safe_prefixes":["+0"]}`:            `safe_prefixes "+0": not an E.164 prefix`,
		`{"modes":"block"}`:                   `unknown field "modes"`,
		`{"mode":"block"} {}`:                 `more than one JSON value`,
		`[]`:                                  `cannot unmarshal array`,
		`{"allowed":` + many(301) + `}`:       `allowed 301: more than 300 countries`,
		`{"safe_numbers":` + nums(1001) + `}`: `more than 1000 numbers and prefixes`,
	} {
		if _, err := ParseSettings([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: %v, want %q", body, err, want)
		}
	}
}

func many(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = `"GB"`
	}
	return "[" + strings.Join(out, ",") + "]"
}

func nums(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = `"+447700900123"`
	}
	return "[" + strings.Join(out, ",") + "]"
}

// TestConfigure: settings take effect for an app already seen, and for
// one not seen yet, without losing what the guard learnt.
func TestConfigure(t *testing.T) {
	g := newGuard(t, DefaultConfig())
	gb, lv := example(t, "GB", phonenumbers.MOBILE), example(t, "LV", phonenumbers.MOBILE)
	if d := g.Check(req("shop", lv, t0, "192.0.2.1")); d.Decision != Allow {
		t.Fatalf("before: %+v", d)
	}
	c, err := Settings{Mode: "block", Shared: "block", Allowed: []string{"GB"}}.Config()
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"shop", "later"} {
		if err := g.Configure(app, c); err != nil {
			t.Fatal(err)
		}
		if d := g.Check(req(app, withSuffix(lv, 7), t0.Add(time.Minute), "192.0.2.1")); d.Decision != Block || d.Rule != "country-not-allowed" {
			t.Errorf("%s: a Latvian number after allowing GB only: %+v", app, d)
		}
		if d := g.Check(req(app, gb, t0.Add(time.Minute), "192.0.2.1")); d.Decision != Allow {
			t.Errorf("%s: a British number: %+v", app, d)
		}
	}
	if g.apps["shop"].requests != 3 {
		t.Errorf("shop's count %d: configuring lost what it learnt", g.apps["shop"].requests)
	}
}

// FuzzParseSettings: any bytes parse or are refused with an error; what
// parses is canonical (its JSON parses to itself) and configures a guard.
func FuzzParseSettings(f *testing.F) {
	f.Add([]byte(`{"mode":"challenge","allowed":["IE","GB"],"safe_prefixes":["+4420"]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"shared":"allow","safe_numbers":["+447700900123"]}`))
	g := newGuard(f, DefaultConfig())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSettings(data)
		if err != nil {
			return
		}
		again, err := ParseSettings(s.JSON())
		if err != nil || string(again.JSON()) != string(s.JSON()) {
			t.Fatalf("%s does not parse to itself: %s %v", s.JSON(), again.JSON(), err)
		}
		c, err := s.Config()
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Configure("fuzz", c); err != nil {
			t.Fatal(err)
		}
	})
}
