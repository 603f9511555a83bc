package ui

import (
	"strings"
	"testing"
)

// FuzzPasteLines checks the paste box's reading: every line it answers is
// non-blank, trimmed, one line of the input at the line number given, in
// order; and the list splitter never answers an empty item or a separator.
func FuzzPasteLines(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\n\n x \r\n", "\uFEFFhxxp://a[.]b\n198.51.100[.]7\r\n", "a,b 、c\td", "\n\u2028\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		all := strings.Split(s, "\n")
		prev := 0
		for _, l := range pasteLines(s) {
			if l.value == "" || strings.TrimSpace(l.value) != l.value || strings.Contains(l.value, "\n") {
				t.Fatalf("line %d: %q is blank, untrimmed or not one line", l.n, l.value)
			}
			if l.n <= prev || l.n > len(all) || !strings.Contains(all[l.n-1], l.value) {
				t.Fatalf("line %d: %q is not line %d of the input", l.n, l.value, l.n)
			}
			prev = l.n
		}
		for _, item := range splitList(s) {
			if item == "" || strings.ContainsAny(item, ", \t\n\r、") {
				t.Fatalf("list item %q is empty or holds a separator", item)
			}
		}
		nonBlank := 0
		for _, l := range all {
			if strings.TrimSpace(strings.TrimPrefix(l, "\uFEFF")) != "" {
				nonBlank++
			}
		}
		if got := len(pasteLines(s)); got != nonBlank {
			t.Fatalf("%d lines read, %d non-blank lines in the input", got, nonBlank)
		}
	})
}
