package sms

import (
	"fmt"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func TestStats(t *testing.T) {
	g := newGuard(t, DefaultConfig())
	if s := g.Stats(); s != (Stats{}) {
		t.Fatalf("empty guard: %+v", s)
	}
	gb := example(t, "GB", phonenumbers.MOBILE)
	// Three blocks, 20 distinct numbers each an hour apart (no signal),
	// then one number of the first block again: rings hold the last 16.
	for i := range 60 {
		num := fmt.Sprintf("%s%d%03d", gb[:len(gb)-4], i%3, (i/3)*47)
		g.Check(req("shop", num, t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("192.0.2.%d", i%7+1)))
	}
	g.Check(req("shop", fmt.Sprintf("%s0%03d", gb[:len(gb)-4], 19*47), t0.Add(61*time.Hour), "192.0.2.1"))
	g.Check(req("other", gb, t0.Add(61*time.Hour), "192.0.2.9"))
	want := Stats{Apps: 2, Blocks: 4, Numbers: 3*16 - 1 + 1, Requests: 3*16 + 1, IPs: 8, Analyses: 4}
	if s := g.Stats(); s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
}
