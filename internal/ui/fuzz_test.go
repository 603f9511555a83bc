package ui

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzValue renders arbitrary values through every value helper: the
// output must parse as HTML with no active element or attribute and no
// raw bidirectional control.
func FuzzValue(f *testing.F) {
	for _, v := range hostile {
		if len(v) < 1000 {
			f.Add(v)
		}
	}
	en := LangByCode("en")
	f.Fuzz(func(t *testing.T, v string) {
		for _, out := range []string{string(Value("", v, en)), string(Value("url", v, en)), string(TLPBadge(v, en)), "<span>" + htmlText(HCode(v, en)) + "</span>"} {
			fragment(t, out)
			if bidi.MatchString(out) {
				t.Fatalf("raw bidi control in %q", out)
			}
		}
	})
}

func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// FuzzChooseLang: any Accept-Language and lang cookie picks a language.
func FuzzChooseLang(f *testing.F) {
	f.Add("ja-JP,ja;q=0.9", "en")
	f.Add("*;q=0", "")
	f.Fuzz(func(t *testing.T, accept, cookie string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Accept-Language"] = []string{accept}
		r.Header["Cookie"] = []string{LangCookie + "=" + cookie}
		if l := ChooseLang(r); l == nil || LangByCode(l.Code) != l {
			t.Fatalf("ChooseLang(%q, %q) = %v", accept, cookie, l)
		}
	})
}
