package finding

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// at is h hours into a Monday.
func at(h int) time.Time {
	return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
}

var truthSet = []Finding{
	{Kind: C2Beacon, ID: "b1", Start: at(0), End: at(10), Entity: "10.0.0.5"},
	{Kind: C2Beacon, ID: "b2", Start: at(5), End: at(6), Entity: "10.0.0.9"},
	{Kind: TorUse, ID: "t1", Start: at(2), End: at(3), Entity: "10.0.0.7"},
	{Kind: SMSPumping, ID: "s1", Start: at(1), End: at(2), Entity: "+3712001"},
}

func TestScoreTruthAgainstItself(t *testing.T) {
	s := Evaluate(truthSet, truthSet)
	for k, ks := range s.Kinds {
		if ks.F1 != 1 || ks.Precision != 1 || ks.Recall != 1 {
			t.Errorf("%s: %+v, want F1 1", k, ks)
		}
	}
}

func TestScoreEmptyFindings(t *testing.T) {
	s := Evaluate(truthSet, nil)
	for k, ks := range s.Kinds {
		if ks.Recall != 0 || ks.Found != 0 || ks.Truth == 0 {
			t.Errorf("%s: %+v, want recall 0", k, ks)
		}
	}
}

func TestScorePartial(t *testing.T) {
	found := []Finding{
		{Kind: C2Beacon, Start: at(9), End: at(12), Entity: "10.0.0.5"},   // overlaps b1 at its end
		{Kind: C2Beacon, Start: at(7), End: at(8), Entity: "10.0.0.9"},    // right host, wrong time
		{Kind: C2Beacon, Start: at(0), End: at(24), Entity: "10.0.0.66"},  // wrong host
		{Kind: TorUse, Start: at(3), End: at(3), Entity: "10.0.0.7"},      // touches t1's end: closed intervals
		{Kind: SMSPumping, Start: at(1), End: at(1), Entity: "+37120012"}, // a narrower prefix of s1
		{Kind: FraudRing, Start: at(1), End: at(1), Entity: "BK-1"},       // no such truth kind here
	}
	s := Evaluate(truthSet, found)
	want := map[string]KindScore{
		C2Beacon:   {Truth: 2, Found: 3, TruePositives: 1, Detected: 1, Precision: 1.0 / 3, Recall: 0.5},
		TorUse:     {Truth: 1, Found: 1, TruePositives: 1, Detected: 1, Precision: 1, Recall: 1},
		SMSPumping: {Truth: 1, Found: 1, TruePositives: 1, Detected: 1, Precision: 1, Recall: 1},
		FraudRing:  {Truth: 0, Found: 1},
	}
	for k, w := range want {
		g := s.Kinds[k]
		if g.Truth != w.Truth || g.Found != w.Found || g.TruePositives != w.TruePositives || g.Detected != w.Detected ||
			!near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}
	if f1 := s.Kinds[C2Beacon].F1; !near(f1, 0.4) {
		t.Errorf("c2-beacon F1 = %v, want 0.4", f1)
	}
	var out bytes.Buffer
	s.Print(&out)
	if !strings.Contains(out.String(), "c2-beacon") || !strings.Contains(out.String(), "0.400") {
		t.Errorf("table:\n%s", out.String())
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
