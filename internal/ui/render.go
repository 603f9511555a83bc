package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"fusion/internal/observable"
)

//go:embed templates
var templateFS embed.FS

// Page is what every page template is executed with: the layout's slots
// and the page's own Data. Its methods are the templates' helpers.
type Page struct {
	Lang *Lang
	// TitleKey is the catalogue key of the page's title.
	TitleKey string
	// Path is the request path, where the language switch returns to.
	Path string
	// User fills the header's user slot; nil when nobody is signed in.
	User *User
	// CSRFField is the hidden CSRF input for the forms of a signed-in
	// page (empty without a session).
	CSRFField template.HTML
	// Loc is the reader's time zone (nil: UTC).
	Loc  *time.Location
	Data any
}

// User is who is signed in, as the header shows them.
type User struct {
	Name, Org, Role string
}

// T translates key (see Lang.T).
func (p *Page) T(key string, args ...any) string { return p.Lang.T(key, args...) }

// Time writes t in the reader's time zone with UTC beside it.
func (p *Page) Time(t time.Time) template.HTML { return timeHTML(t, p.Loc, p.Lang) }

// With returns a copy of p whose Data is data: how a page hands a part of
// its data to a shared partial that needs the page's helpers.
func (p *Page) With(data any) *Page {
	c := *p
	c.Data = data
	return &c
}

// TimeOf is Time of *t, or nothing for nil.
func (p *Page) TimeOf(t *time.Time) template.HTML {
	if t == nil {
		return ""
	}
	return p.Time(*t)
}

// TLP writes a TLP 2.0 badge.
func (p *Page) TLP(tlp string) template.HTML { return TLPBadge(tlp, p.Lang) }

// HCode writes a handling code in words.
func (p *Page) HCode(code string) string { return HCode(code, p.Lang) }

// Value writes a record value defanged, with its canonical form to copy.
func (p *Page) Value(t, v string) template.HTML { return Value(observable.Type(t), v, p.Lang) }

// ValueOf is Value of a value whose type is not at hand (a match's), of the
// type observable.Detect finds (none if no rule fits).
func (p *Page) ValueOf(v string) template.HTML {
	t, _ := observable.Detect(v)
	return Value(t, v, p.Lang)
}

// Visible shows hidden characters of s as codes.
func (p *Page) Visible(s string) string { return Visible(s) }

// Asset returns the hashed URL of an embedded asset.
func (p *Page) Asset(name string) string { return AssetURL(name) }

// Under reports whether the page's path is prefix or below it (the
// navigation marks a section's link as current on all its pages).
func (p *Page) Under(prefix string) bool {
	return p.Path == prefix || strings.HasPrefix(p.Path, prefix+"/")
}

// Langs lists the languages for the switch.
func (p *Page) Langs() []*Lang { return Langs }

// views are the parsed page templates, by page file name ("login.html"),
// each joined with the layout. Parsed at start-up: a broken or missing
// view fails every test at once.
var views = mustParseViews(templateFS, "templates")

// mustParseViews parses every page template in dir of fsys (every file but
// layout.html) with the layout.
func mustParseViews(fsys fs.FS, dir string) map[string]*template.Template {
	v, err := parseViews(fsys, dir)
	if err != nil {
		panic("ui: " + err.Error())
	}
	return v
}

func parseViews(fsys fs.FS, dir string) (map[string]*template.Template, error) {
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse the layout: %w", err)
	}
	// Partials (templates/partials/) are shared by several pages.
	if _, err := layout.ParseFS(templateFS, "templates/partials/*.html"); err != nil {
		return nil, fmt.Errorf("parse the partials: %w", err)
	}
	pages, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := path.Base(p)
		if name == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		out[name] = t
	}
	return out, nil
}

// render executes the view name with p into w with status; the page is
// rendered in full before anything is written, so a template error is a
// clean 500.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	u.renderWith(views, w, r, status, name, p)
}

func (u *UI) renderWith(vs map[string]*template.Template, w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := vs[name]
	if !ok {
		u.log.Error("ui: no such view", "view", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Lang == nil {
		p.Lang = ChooseLang(r)
	}
	if p.Path == "" {
		p.Path = safeNext(r.URL.Path)
		if !isPlain(p.Path) {
			p.Path = "/"
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		u.log.Error("ui: render", "view", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", p.Lang.Code)
	h.Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
