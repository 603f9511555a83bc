package sms

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// smallState feeds a guard a campaign and some legitimate traffic over
// two apps, so that every part of the state has something in it: apps,
// countries, carriers, addresses, quiet and busy blocks, a block in force,
// history and closed episodes.
func smallState(t testing.TB, g *Guard) time.Time {
	t.Helper()
	lv := example(t, "LV", phonenumbers.MOBILE)
	bases := []string{example(t, "GB", phonenumbers.MOBILE), example(t, "DE", phonenumbers.MOBILE), lv}
	legit(g, "shop", bases, t0, 2*time.Hour, 400)
	at := t0.Add(2 * time.Hour)
	for i := range 60 {
		at = at.Add(time.Second)
		g.Check(req([]string{"shop", "shop-web"}[i%2], withSuffix(lv, i), at, fmt.Sprintf("203.0.113.%d", i+1)))
	}
	// A second campaign whose block ends before the state is saved.
	gb := otherP4(bases[0]) + "0000"
	for i := range 40 {
		at = at.Add(time.Second)
		g.Check(req("shop", withSuffix(gb, i), at, "198.51.100.7"))
	}
	return at.Add(90 * time.Minute)
}

// TestSnapshotRoundTrip: a guard loaded from another's snapshot decides
// every later request as the other does, and finds the same.
func TestSnapshotRoundTrip(t *testing.T) {
	a := newGuard(t, DefaultConfig())
	at := smallState(t, a)
	b := newGuard(t, DefaultConfig())
	snap, version := a.SaveChanged(0)
	if err := b.Load(snap); err != nil {
		t.Fatal(err)
	}
	if again, v := a.SaveChanged(version); again != nil || v != version {
		t.Fatalf("nothing changed, yet a new snapshot (version %d, was %d)", v, version)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lv := example(t, "LV", phonenumbers.MOBILE)
	gb := example(t, "GB", phonenumbers.MOBILE)
	for i := range 3000 {
		at = at.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
		base := []string{lv, gb, otherP4(gb) + "0000"}[rng.IntN(3)]
		r := req([]string{"shop", "shop-web", "shop-ios"}[rng.IntN(3)], withSuffix(base, rng.IntN(1000)), at, fmt.Sprintf("192.0.2.%d", rng.IntN(50)))
		da, db := a.Check(r), b.Check(r)
		if da != db {
			t.Fatalf("request %d (%s %s): original %+v, loaded %+v", i, r.App, r.Number, da, db)
		}
		if rng.IntN(3) > 0 {
			v := &Verified{App: r.App, Number: r.Number, Time: at.Add(10 * time.Second)}
			a.Verified(v)
			b.Verified(v)
		}
	}
	if again, v := a.SaveChanged(version); again == nil || v == version {
		t.Fatalf("3,000 checks later, no new snapshot (version %d)", v)
	}
	fa, fb := a.Findings(), b.Findings()
	if fmt.Sprint(fa) != fmt.Sprint(fb) || len(fa) == 0 {
		t.Fatalf("findings differ or none:\n%v\n%v", fa, fb)
	}
	if ba, bb := a.Blocked("shop", at), b.Blocked("shop", at); fmt.Sprint(ba) != fmt.Sprint(bb) {
		t.Fatalf("blocks differ: %v, %v", ba, bb)
	}
}

// TestSnapshotRefused: a snapshot that is not one, of another version,
// cut short anywhere, with bytes after its end, or larger than the
// guard's bounds is refused, naming why, and the guard is left as it was.
func TestSnapshotRefused(t *testing.T) {
	src := newGuard(t, DefaultConfig())
	smallState(t, src)
	snap := src.Save()
	g := newGuard(t, DefaultConfig())
	at := smallState(t, g)
	before := g.Findings()
	small := DefaultConfig()
	small.MaxPrefixes = 10
	tiny := newGuard(t, small)
	cases := map[string]struct {
		g    *Guard
		data []byte
		want string
	}{
		"not a snapshot": {g, []byte("hello"), "not a snapshot"},
		"version":        {g, append([]byte(snapshotMagic), 9), "version 9"},
		"trailing":       {g, append(append([]byte{}, snap...), 0), "1 bytes after the end"},
		"bounds":         {tiny, snap, "more than 10"},
	}
	for name, c := range cases {
		err := c.g.Load(c.data)
		if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	for n := len(snapshotMagic) + 1; n < len(snap); n += 1 + n/50 {
		if err := g.Load(snap[:n]); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("cut at %d of %d: %v", n, len(snap), err)
		}
	}
	if after := g.Findings(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a refused snapshot changed the guard")
	}
	if len(g.Blocked("shop", at.Add(-time.Hour))) == 0 {
		t.Fatal("the guard lost its blocks")
	}
}

// FuzzLoad gives Load any bytes: it never panics; what it takes, the guard
// can decide on and save again, and the saved state loads.
func FuzzLoad(f *testing.F) {
	g := newGuard(f, DefaultConfig())
	smallState(f, g)
	f.Add(g.Save())
	f.Add([]byte(snapshotMagic + "\x01"))
	f.Add([]byte(snapshotMagic + "\x01\x00\x00\x00\x00\x00\x00\x00"))
	lv := example(f, "LV", phonenumbers.MOBILE)
	f.Fuzz(func(t *testing.T, data []byte) {
		g := newGuard(t, DefaultConfig())
		if err := g.Load(data); err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("error %v is not ErrSnapshot", err)
			}
			return
		}
		for i := range 20 {
			g.Check(req("shop", withSuffix(lv, i), t0.Add(time.Duration(i)*time.Second), "192.0.2.1"))
		}
		g.Findings()
		if err := newGuard(t, DefaultConfig()).Load(g.Save()); err != nil {
			t.Fatalf("saved state does not load: %v", err)
		}
	})
}
