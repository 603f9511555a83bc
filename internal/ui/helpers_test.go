package ui

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"fusion/internal/intel"
)

// fragment parses s as HTML in a <div> and fails the test if it holds an
// element or attribute a record value could use to act: script, style,
// iframe, object, embed, a link, an event handler, or a javascript: URL.
func fragment(t *testing.T, s string) []*html.Node {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		t.Fatalf("not HTML: %v", err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "iframe", "object", "embed", "a", "img", "svg", "form", "base", "meta", "link":
				t.Errorf("element <%s> in %q", n.Data, s)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") || a.Key == "href" || a.Key == "src" || a.Key == "style" {
					t.Errorf("attribute %s=%q in %q", a.Key, a.Val, s)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return nodes
}

// text returns the text of the nodes, as a browser would show it.
func text(nodes []*html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return b.String()
}

// hostile are values an attacker may submit as a record or a label.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(document.domain)`,
	`https://evil.example.com/"onmouseover="alert(1)`,
	"evil.example.com\u202Emoc.elgoog",
	"\u2066admin\u2069\u200B\u200E\uFEFF",
	"a\x00b\x1bc\x7fd\u0085",
	"\xff\xfe not utf-8",
	"</code></span><script>alert(1)</script>",
	"{{.Lang}}",
	strings.Repeat("A", 100000),
	strings.Repeat("ｗ", 500) + "<script>",
}

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"evil.example.com":            "evil.example.com",
		"gpj.\u202Eexe":               "gpj.⟨U+202E⟩exe",
		"\u2066x\u2069\u200B\u200F":   "⟨U+2066⟩x⟨U+2069⟩⟨U+200B⟩⟨U+200F⟩",
		"a\x00b\nc\x7f":               "a⟨U+0000⟩b⟨U+000A⟩c⟨U+007F⟩",
		"\xffok":                      "\uFFFDok",
		"日本語のラベル":                     "日本語のラベル",
		"\u061C\uFEFF\u115F":          "⟨U+061C⟩⟨U+FEFF⟩⟨U+115F⟩",
		"\u2028line\u2029":            "⟨U+2028⟩line⟨U+2029⟩",
		"<script>alert(1)</script>\t": "<script>alert(1)</script>⟨U+0009⟩",
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

// bidi reports whether s holds a character that reorders text.
var bidi = regexp.MustCompile("[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]")

func TestValueHostile(t *testing.T) {
	en := LangByCode("en")
	for i, v := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			out := string(Value("", v, en))
			nodes := fragment(t, out)
			if bidi.MatchString(out) {
				t.Errorf("a bidirectional control reached the page: %q", out)
			}
			shown := text(nodes)
			if len(v) > MaxShown && !strings.Contains(out, "<details") {
				t.Errorf("a long value is not folded")
			}
			// The whole value is on the page, visibly: in the text (long
			// values in the details element) or the title.
			if vis := Visible(v); len(v) <= 200 && !strings.Contains(shown, vis) && !strings.Contains(out, htmlAttr(vis)) {
				t.Errorf("value %q not shown: %q", vis, shown)
			}
		})
	}
}

// htmlAttr escapes s as html/template escapes an attribute value.
func htmlAttr(s string) string {
	r := strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")
	return r.Replace(s)
}

func TestValueDefangs(t *testing.T) {
	en := LangByCode("en")
	for _, tc := range []struct{ typ, in, shown string }{
		{"url", "https://evil.example.com/a", "hxxps://evil[.]example[.]com/a"},
		{"ipv4", "198.51.100.7", "198.51.100[.]7"},
		{"", "evil.example.com", "evil[.]example[.]com"},
		{"sha256", strings.Repeat("ab", 32), strings.Repeat("ab", 32)},
	} {
		out := string((&Page{Lang: en}).Value(tc.typ, tc.in))
		nodes := fragment(t, out)
		if got := text(nodes); !strings.HasPrefix(got, tc.shown+" ") {
			t.Errorf("%s shown as %q, want %q", tc.in, got, tc.shown)
		}
		if !strings.Contains(out, `data-copy="`+tc.in+`"`) {
			t.Errorf("canonical %s not offered to copy: %s", tc.in, out)
		}
	}
}

func TestTLPBadge(t *testing.T) {
	en, ja := LangByCode("en"), LangByCode("ja")
	for _, tc := range []struct{ in, class, label string }{
		{"clear", "tlp-clear", "TLP:CLEAR"},
		{"green", "tlp-green", "TLP:GREEN"},
		{"AMBER", "tlp-amber", "TLP:AMBER"},
		{"tlp:amber+strict", "tlp-amber-strict", "TLP:AMBER+STRICT"},
		{"red", "tlp-red", "TLP:RED"},
	} {
		for _, l := range []*Lang{en, ja} {
			out := string(TLPBadge(tc.in, l))
			nodes := fragment(t, out)
			if len(nodes) != 1 || text(nodes) != tc.label || !strings.Contains(out, `class="tlp `+tc.class+`"`) {
				t.Errorf("TLPBadge(%q, %s) = %s", tc.in, l.Code, out)
			}
			if strings.Contains(out, MissingMarker) {
				t.Errorf("TLPBadge(%q, %s): missing translation: %s", tc.in, l.Code, out)
			}
		}
	}
	for _, v := range hostile {
		out := string(TLPBadge(v, en))
		nodes := fragment(t, out)
		if !strings.Contains(out, "tlp-unknown") || bidi.MatchString(out) || len(text(nodes)) > 200 {
			t.Errorf("TLPBadge(%.40q) = %.300s", v, out)
		}
	}
}

// TestTLPColours checks that app.css paints each badge in FIRST's colour
// on black.
func TestTLPColours(t *testing.T) {
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\.tlp \{[^}]*background: #000000;`).Match(css) {
		t.Error("app.css: .tlp has no black background")
	}
	for tl, c := range TLPColours {
		if c.Background != "#000000" {
			t.Errorf("%s: background %s", tl, c.Background)
		}
		class := `\.tlp-` + regexp.QuoteMeta(strings.ReplaceAll(string(tl), "+", "-"))
		re := regexp.MustCompile(class + `[^{]*\{ color: ` + c.Text + `; \}`)
		if !re.Match(css) {
			t.Errorf("app.css does not paint %s in %s", tl, c.Text)
		}
	}
	if len(TLPColours) != len(intel.TLPs) {
		t.Errorf("%d colours for %d labels", len(TLPColours), len(intel.TLPs))
	}
}

func TestHCode(t *testing.T) {
	en, ja := LangByCode("en"), LangByCode("ja")
	for code, want := range map[string]string{
		"H0": "H0: use for the stated purpose only",
		"h1": "H1: no judicial use without the originator's consent",
		"H2": "H2: no onward dissemination without the originator's consent",
		"H3": "H3: other conditions, stated by the originator",
		"H9": "unknown handling code H9",
	} {
		if got := HCode(code, en); got != want {
			t.Errorf("HCode(%q) = %q, want %q", code, got, want)
		}
	}
	if got := HCode("H2", ja); got != "H2: 提供元の同意なく再配布しないこと" {
		t.Errorf("HCode ja: %q", got)
	}
	if got := HCode("\u202Eevil", en); bidi.MatchString(got) {
		t.Errorf("HCode let a bidi control through: %q", got)
	}
}

func TestTruncate(t *testing.T) {
	if s, cut := Truncate("日本語", 2); s != "日本" || !cut {
		t.Errorf("Truncate: %q %v", s, cut)
	}
	if s, cut := Truncate("abc", 3); s != "abc" || cut {
		t.Errorf("Truncate: %q %v", s, cut)
	}
}
