package ui

import (
	"fmt"
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// Record values are attacker-supplied. Every helper here escapes what it
// is given; none returns a value that a browser could take for markup, a
// link or a reordering of the text around it.

// Visible returns s with every character that could hide or disguise text
// written as ⟨U+XXXX⟩: bidirectional controls (U+202A–U+202E, U+2066–U+2069,
// U+200E, U+200F, U+061C), zero-width and other format characters, control
// characters and the byte-order mark. Invalid UTF-8 becomes U+FFFD. The
// result is text, still to be escaped for HTML (templates do).
func Visible(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune('\uFFFD')
		case hidden(r):
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII only, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// hidden reports whether r is a character Visible writes out as a code.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) ||
		r == '\u115F' || r == '\u1160' || r == '\u3164' || r == '\uFFA0' // Hangul fillers, rendered blank
}

// MaxShown is how many characters of a value are shown before the rest is
// folded into a details element.
const MaxShown = 120

// Truncate returns the first max characters of s and whether it cut any.
func Truncate(s string, max int) (string, bool) {
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	i, n := 0, 0
	for i < len(s) && n < max {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		n++
	}
	return s[:i], true
}

// TLPColour is the colour FIRST specifies for a TLP 2.0 label: the text
// colour on a black (#000000) background.
//
// SPEC: https://www.first.org/tlp/ ("Colour-coding": RGB)
type TLPColour struct{ Text, Background string }

// TLPColours are FIRST's TLP 2.0 colours. AMBER+STRICT is written in the
// amber colour.
var TLPColours = map[intel.TLP]TLPColour{
	intel.Clear:       {"#FFFFFF", "#000000"},
	intel.Green:       {"#33FF00", "#000000"},
	intel.Amber:       {"#FFC000", "#000000"},
	intel.AmberStrict: {"#FFC000", "#000000"},
	intel.Red:         {"#FF2B2B", "#000000"},
}

// TLPBadge returns the badge of a TLP 2.0 label, "TLP:AMBER+STRICT" in
// FIRST's colours (the tlp-* classes of app.css), with the label's meaning
// in lang as its title. The label itself is never translated (FIRST). A
// value that is not a label shows as an unknown badge, escaped.
func TLPBadge(tlp string, lang *Lang) template.HTML {
	t, err := intel.ParseTLP(tlp)
	if err != nil {
		v, _ := Truncate(Visible(tlp), 40)
		return template.HTML(`<span class="tlp tlp-unknown">` + template.HTMLEscapeString(lang.T("tlp.unknown", v)) + `</span>`)
	}
	class := strings.ReplaceAll(string(t), "+", "-")
	return template.HTML(`<span class="tlp tlp-` + class + `" title="` + template.HTMLEscapeString(lang.T(tlpKey(t))) + `">TLP:` + strings.ToUpper(string(t)) + `</span>`)
}

// HCode returns a handling code in words in lang: "H1: no judicial use
// without the originator's consent". An unknown code is named as such,
// escaped by the template.
func HCode(code string, lang *Lang) string {
	switch c := strings.ToUpper(strings.TrimSpace(code)); c {
	case intel.H0, intel.H1, intel.H2, intel.H3:
		return c + ": " + lang.T("handling."+strings.ToLower(c))
	}
	v, _ := Truncate(Visible(code), 40)
	return lang.T("handling.unknown", v)
}

// Value returns a record value for display: defanged (observable.Defang,
// the form Refang undoes) with hidden characters made visible, inside a
// <code>; the canonical form in the title and in a copy button's data (the
// button is hidden until app.js shows it); values longer than MaxShown
// characters are cut, with the whole in a details element. t may be empty
// (the type is then detected).
func Value(t observable.Type, v string, lang *Lang) template.HTML {
	shown := Visible(observable.Defang(t, v))
	canon := Visible(v)
	var b strings.Builder
	b.WriteString(`<span class="value">`)
	if head, cut := Truncate(shown, MaxShown); cut {
		b.WriteString(`<details class="long"><summary><code dir="ltr">`)
		b.WriteString(template.HTMLEscapeString(head))
		b.WriteString(`…</code> <span class="more">`)
		b.WriteString(template.HTMLEscapeString(lang.T("value.more", utf8.RuneCountInString(shown))))
		b.WriteString(`</span></summary><code dir="ltr" class="full">`)
		b.WriteString(template.HTMLEscapeString(shown))
		b.WriteString(`</code></details>`)
	} else {
		b.WriteString(`<code dir="ltr" title="`)
		b.WriteString(template.HTMLEscapeString(canon))
		b.WriteString(`">`)
		b.WriteString(template.HTMLEscapeString(shown))
		b.WriteString(`</code>`)
	}
	b.WriteString(` <button type="button" class="copy" hidden data-copy="`)
	b.WriteString(attrExact(v))
	b.WriteString(`" data-copied="`)
	b.WriteString(template.HTMLEscapeString(lang.T("value.copied")))
	b.WriteString(`">`)
	b.WriteString(template.HTMLEscapeString(lang.T("value.copy")))
	b.WriteString(`</button></span>`)
	return template.HTML(b.String())
}

// attrExact escapes s for a quoted attribute value that the browser decodes
// back to s exactly, with every hidden character (see Visible) written as a
// character reference, so that none reaches the page source raw. Invalid
// UTF-8 becomes U+FFFD.
func attrExact(s string) string {
	s = template.HTMLEscapeString(strings.ToValidUTF8(s, "\uFFFD"))
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) && r != 0 {
			fmt.Fprintf(&b, "&#x%X;", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
