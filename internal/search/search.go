// Package search turns text into the words fusion's full-text search
// indexes, and a person's search into phrases of those words. Both stores
// (SQLite FTS5 and PostgreSQL text search) are given text already split
// here, one space between words, so that they find the same things.
//
// A word is a run of letters and digits, lowercased; everything else
// separates words ("login-bank-a.example.com" is login bank a example com).
// Runs of Han, Hiragana, Katakana and Hangul, which are written without
// spaces, become their overlapping pairs of characters ("東京都" is 東京
// 京都), so that any two or more characters of such a text are found.
package search

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxWord is the longest word indexed, in bytes; longer runs are cut.
const MaxWord = 128

// Words returns the indexed words of s, in order.
func Words(s string) []string {
	var out []string
	var word strings.Builder
	var cjk []rune
	flushWord := func() {
		if word.Len() > 0 {
			w := word.String()
			if len(w) > MaxWord {
				w = cut(w, MaxWord)
			}
			out = append(out, w)
			word.Reset()
		}
	}
	flushCJK := func() {
		switch len(cjk) {
		case 0:
		case 1:
			out = append(out, string(cjk))
		default:
			for i := 0; i+1 < len(cjk); i++ {
				out = append(out, string(cjk[i:i+2]))
			}
		}
		cjk = cjk[:0]
	}
	for _, r := range s {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			flushCJK()
			word.WriteByte(byte(r))
		case r < 0x80 && r >= 'A' && r <= 'Z':
			flushCJK()
			word.WriteByte(byte(r) + 'a' - 'A')
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) && word.Len() > 0):
			flushCJK()
			word.WriteRune(unicode.ToLower(r))
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	return out
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func isCJK(r rune) bool {
	if r < 0x1100 { // below Hangul Jamo: Latin, Greek, Cyrillic, Arabic, ...
		return false
	}
	switch r {
	case 'ー', 'ｰ', '々', 'ゝ', 'ゞ', 'ヽ', 'ヾ': // prolonged sound and iteration marks, of no script of their own
		return true
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// Text returns the words of every part, one space apart: what is stored
// in a search index.
func Text(parts ...string) string {
	var all []string
	for _, p := range parts {
		all = append(all, Words(p)...)
	}
	return strings.Join(all, " ")
}

// Query is a parsed search: every phrase must occur; a phrase is words
// that must occur one after the other.
type Query [][]string

// Limits on a search.
const (
	MaxQuery   = 512 // bytes
	MaxPhrases = 16
)

// Parse reads a search as a person types it: terms separated by spaces,
// each term the phrase of its words ("bank-a" finds "bank a"), or a
// double-quoted phrase ("\"login page\""). A search with no words is an
// error, so that it never lists everything.
func Parse(q string) (Query, error) {
	if len(q) > MaxQuery {
		return nil, fmt.Errorf("longer than %d bytes", MaxQuery)
	}
	var out Query
	rest := q
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		var term string
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				term, rest = rest[1:], ""
			} else {
				term, rest = rest[1:end+1], rest[end+2:]
			}
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			term, rest = rest[:end], rest[end:]
		}
		if w := Words(term); len(w) > 0 {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("has no words to search for (letters or digits)")
	}
	if len(out) > MaxPhrases {
		return nil, fmt.Errorf("has %d terms, at most %d", len(out), MaxPhrases)
	}
	return out, nil
}

// String returns q as space-separated quoted phrases.
func (q Query) String() string {
	parts := make([]string, len(q))
	for i, p := range q {
		parts[i] = `"` + strings.Join(p, " ") + `"`
	}
	return strings.Join(parts, " ")
}

// Matches reports whether text, as Text writes it (words one space
// apart), holds every phrase of q: each phrase's words one after the
// other. It is how the full-text indexes match, computed on one text.
func (q Query) Matches(text string) bool {
	words := strings.Fields(text)
	for _, p := range q {
		if !hasRun(words, p) {
			return false
		}
	}
	return len(q) > 0
}

// hasRun reports whether words holds phrase as consecutive elements.
func hasRun(words, phrase []string) bool {
	if len(phrase) == 0 {
		return true
	}
	for i := 0; i+len(phrase) <= len(words); i++ {
		j := 0
		for j < len(phrase) && words[i+j] == phrase[j] {
			j++
		}
		if j == len(phrase) {
			return true
		}
	}
	return false
}
