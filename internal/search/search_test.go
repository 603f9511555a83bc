package search_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"fusion/internal/search"
)

func TestWords(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"login-bank-a.example.com", []string{"login", "bank", "a", "example", "com"}},
		{"https://Login.Example.com/kit/?id=42", []string{"https", "login", "example", "com", "kit", "id", "42"}},
		{"198.51.100.7", []string{"198", "51", "100", "7"}},
		{`misp-galaxy:threat-actor="Lazarus Group"`, []string{"misp", "galaxy", "threat", "actor", "lazarus", "group"}},
		{"Ärger über Straße", []string{"ärger", "über", "straße"}},
		{"東京都庁の掲示板", []string{"東京", "京都", "都庁", "庁の", "の掲", "掲示", "示板"}},
		{"C2サーバ", []string{"c2", "サー", "ーバ"}},
		{"  ", nil},
		{"a_b", []string{"a", "b"}},
	} {
		if got := search.Words(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", 100)
	if w := search.Words(long); len(w) != 1 || len(w[0]) > search.MaxWord || !utf8.ValidString(w[0]) {
		t.Errorf("a long word: %q", w)
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"bank-a phishing", `"bank a" "phishing"`, ""},
		{`"login page" kit`, `"login page" "kit"`, ""},
		{`"unterminated phrase`, `"unterminated phrase"`, ""},
		{"掲示板", `"掲示 示板"`, ""},
		{"--- ...", "", "has no words"},
		{"", "", "has no words"},
		{strings.Repeat("a ", 17), "", "has 17 terms, at most 16"},
		{strings.Repeat("a", 513), "", "longer than 512 bytes"},
	} {
		q, err := search.Parse(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) = %v, %v; want error %q", tt.in, q, err, tt.err)
			}
			continue
		}
		if err != nil || q.String() != tt.want {
			t.Errorf("Parse(%q) = %s, %v; want %s", tt.in, q, err, tt.want)
		}
	}
}

// FuzzParse: a search either parses into non-empty phrases of words as
// Words makes them, or fails; it never panics.
func FuzzParse(f *testing.F) {
	f.Add(`bank-a "login page" 東京`)
	f.Add(`"`)
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, in string) {
		q, err := search.Parse(in)
		if err != nil {
			return
		}
		if len(q) == 0 || len(q) > search.MaxPhrases {
			t.Fatalf("%d phrases", len(q))
		}
		for _, p := range q {
			if len(p) == 0 {
				t.Fatal("an empty phrase")
			}
			for _, w := range p {
				if w == "" || strings.ContainsAny(w, " \"") || len(w) > search.MaxWord {
					t.Fatalf("word %q", w)
				}
			}
		}
	})
}

func TestQueryMatches(t *testing.T) {
	text := search.Text("login-bank-a.example.com", "東京都の銀行", "phishing")
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"bank-a", true},
		{"bank example", true},
		{`"a example com"`, true},
		{`"example a"`, false},
		{"login phishing", true},
		{"login fraud", false},
		{"京都", true},
		{"東京都", true},
		{"京銀", false},
		{"exampl", false}, // whole words only
	} {
		q, err := search.Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Matches(text); got != tc.want {
			t.Errorf("%q in %q = %v, want %v", tc.q, text, got, tc.want)
		}
	}
	if (search.Query{}).Matches(text) {
		t.Error("an empty query matched")
	}
}
