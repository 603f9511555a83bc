package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// The message catalogues are plain JSON objects, one per language
// (locales/en.json, locales/ja.json), mapping a key to a message that may
// carry fmt verbs (with explicit indexes, %[1]s, where the word order
// differs between the languages). We chose plain catalogues over
// go-i18n: the UI's messages need no plural forms (Japanese has none, and
// the English ones are written to avoid them: "Records: 3"), a flat map is
// trivial to check for completeness, and it adds no dependency.
//
//go:embed locales/*.json
var localeFS embed.FS

// Lang is one language of the UI: its code and its messages.
type Lang struct {
	// Code is the BCP 47 code ("en", "ja"), used in <html lang> and the lang cookie.
	Code string
	// Name is the language's own name ("English", "日本語") for the switch.
	Name string
	tag  language.Tag
	msgs map[string]string
}

// Langs are the UI's languages; the first is the default.
var Langs = mustLoadLangs()

// LangCookie is the cookie that holds the language a user chose with the
// switch; it overrides Accept-Language.
const LangCookie = "lang"

var matcher = language.NewMatcher(func() []language.Tag {
	tags := make([]language.Tag, len(Langs))
	for i, l := range Langs {
		tags[i] = l.tag
	}
	return tags
}())

func mustLoadLangs() []*Lang {
	var out []*Lang
	for _, def := range []struct {
		code, name string
		tag        language.Tag
	}{{"en", "English", language.English}, {"ja", "日本語", language.Japanese}} {
		b, err := localeFS.ReadFile("locales/" + def.code + ".json")
		if err != nil {
			panic("ui: message catalogue: " + err.Error())
		}
		msgs := map[string]string{}
		if err := json.Unmarshal(b, &msgs); err != nil {
			panic(fmt.Sprintf("ui: message catalogue locales/%s.json: %v", def.code, err))
		}
		out = append(out, &Lang{Code: def.code, Name: def.name, tag: def.tag, msgs: msgs})
	}
	return out
}

// LangByCode returns the language of code, or nil.
func LangByCode(code string) *Lang {
	for _, l := range Langs {
		if l.Code == code {
			return l
		}
	}
	return nil
}

// ChooseLang picks the language of a request: the lang cookie if it names
// one of Langs, else the best match of Accept-Language, else English.
func ChooseLang(r *http.Request) *Lang {
	if c, err := r.Cookie(LangCookie); err == nil {
		if l := LangByCode(c.Value); l != nil {
			return l
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" && len(al) <= 1024 {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := matcher.Match(tags...)
			if conf != language.No {
				return Langs[i]
			}
		}
	}
	return Langs[0]
}

// T returns the message key formatted with args. A key missing from the
// catalogue shows as ⟦key⟧, which the catalogue test and the browser tests
// look for.
func (l *Lang) T(key string, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	if len(args) == 0 {
		return m
	}
	return fmt.Sprintf(m, args...)
}

// Has reports whether the catalogue holds key.
func (l *Lang) Has(key string) bool { _, ok := l.msgs[key]; return ok }

// Keys returns the catalogue's keys.
func (l *Lang) Keys() []string {
	keys := make([]string, 0, len(l.msgs))
	for k := range l.msgs {
		keys = append(keys, k)
	}
	return keys
}

// MissingMarker starts the text T shows for a missing key.
const MissingMarker = "⟦"

// safeNext returns next if it is a path on this site ("/x", not "//host"
// or "/\host"), else "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") || len(next) > 2048 {
		return "/"
	}
	return next
}
