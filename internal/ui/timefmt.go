package ui

import (
	"html/template"
	"time"
)

// FormatTime writes t in loc for a reader of lang, with the UTC time beside
// it when loc is not UTC: "2026-11-30 20:05 CET (19:05 UTC)"; the UTC date
// is written too when it differs from the local one. A nil loc is UTC.
// The zero time is "—".
func FormatTime(t time.Time, loc *time.Location, lang *Lang) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	lt, ut := t.In(loc), t.UTC()
	layout := "2006-01-02 15:04 MST"
	if lang != nil && lang.Code == "ja" {
		layout = "2006年1月2日 15:04 MST"
	}
	s := lt.Format(layout)
	if lt.Format("-0700") == "+0000" && lt.Location().String() == "UTC" {
		return s
	}
	u := ut.Format("15:04 UTC")
	if ut.Format(time.DateOnly) != lt.Format(time.DateOnly) {
		u = ut.Format("2006-01-02 15:04 UTC")
	}
	if lang != nil && lang.Code == "ja" {
		return s + "（" + u + "）"
	}
	return s + " (" + u + ")"
}

// timeHTML is FormatTime in a <time> element whose datetime is the UTC
// instant.
func timeHTML(t time.Time, loc *time.Location, lang *Lang) template.HTML {
	if t.IsZero() {
		return "—"
	}
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + template.HTMLEscapeString(FormatTime(t, loc, lang)) + `</time>`)
}
