package finding

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// KindScore is how a findings file did against the truth for one kind.
type KindScore struct {
	Truth     int     `json:"truth"`
	Found     int     `json:"found"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// TruePositives are findings that match some truth line; Detected are
	// truth lines some finding matches.
	TruePositives int `json:"true_positives"`
	Detected      int `json:"detected"`
}

// Score is the result per kind.
type Score struct {
	Kinds map[string]KindScore `json:"kinds"`
}

// Matches reports whether finding f names truth t: same kind, the same
// entity, and overlapping times (closed intervals). For sms-pumping the
// entities are number prefixes and match when one is a prefix of the other.
func Matches(t, f Finding) bool {
	if t.Kind != f.Kind || f.Start.After(t.End) || f.End.Before(t.Start) {
		return false
	}
	te, fe := strings.ToLower(t.Entity), strings.ToLower(f.Entity)
	if t.Kind == SMSPumping {
		return strings.HasPrefix(te, fe) || strings.HasPrefix(fe, te)
	}
	return te == fe
}

// Evaluate scores found against truth, per kind: precision is the share of
// findings that match a truth line, recall the share of truth lines some
// finding matches.
func Evaluate(truth, found []Finding) Score {
	byKind := map[string][]int{}
	for i, t := range truth {
		byKind[t.Kind] = append(byKind[t.Kind], i)
	}
	byEntity := map[string][]int{} // kind + lowercase entity -> truth indexes, for exact kinds
	for i, t := range truth {
		k := t.Kind + "\x00" + strings.ToLower(t.Entity)
		byEntity[k] = append(byEntity[k], i)
	}
	s := Score{Kinds: map[string]KindScore{}}
	detected := make([]bool, len(truth))
	for _, f := range found {
		ks := s.Kinds[f.Kind]
		ks.Found++
		var candidates []int
		if f.Kind == SMSPumping {
			candidates = byKind[f.Kind]
		} else {
			candidates = byEntity[f.Kind+"\x00"+strings.ToLower(f.Entity)]
		}
		hit := false
		for _, i := range candidates {
			if Matches(truth[i], f) {
				hit = true
				detected[i] = true
			}
		}
		if hit {
			ks.TruePositives++
		}
		s.Kinds[f.Kind] = ks
	}
	for i, t := range truth {
		ks := s.Kinds[t.Kind]
		ks.Truth++
		if detected[i] {
			ks.Detected++
		}
		s.Kinds[t.Kind] = ks
	}
	for k, ks := range s.Kinds {
		if ks.Found > 0 {
			ks.Precision = float64(ks.TruePositives) / float64(ks.Found)
		}
		if ks.Truth > 0 {
			ks.Recall = float64(ks.Detected) / float64(ks.Truth)
		}
		if ks.Precision+ks.Recall > 0 {
			ks.F1 = 2 * ks.Precision * ks.Recall / (ks.Precision + ks.Recall)
		}
		s.Kinds[k] = ks
	}
	return s
}

// Print writes the score as a table for people.
func (s Score) Print(w io.Writer) {
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "%-14s %8s %8s %10s %8s %6s\n", "KIND", "TRUTH", "FOUND", "PRECISION", "RECALL", "F1")
	for _, k := range kinds {
		ks := s.Kinds[k]
		fmt.Fprintf(w, "%-14s %8d %8d %10.3f %8.3f %6.3f\n", k, ks.Truth, ks.Found, ks.Precision, ks.Recall, ks.F1)
	}
}
