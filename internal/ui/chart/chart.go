// Package chart draws bar charts and time series as SVG, on the server, for
// pages that must work without JavaScript under a strict Content-Security-
// Policy. The output is a self-contained <svg> element: an accessible
// <title> and <desc> (role="img", aria-labelledby), axis lines, y-axis
// gridlines with their values, x-axis labels, and one <rect> per bar or a
// <polyline> for a line. It uses presentation attributes and class names
// only — no style attributes, no script, no external references — so it can
// be embedded in a page or served as image/svg+xml.
//
// Every text and attribute value is escaped. Values that are negative, NaN
// or infinite are drawn as zero: the charts show counts.
package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Margins around the plot area, in SVG user units.
const (
	MarginLeft   = 56
	MarginRight  = 16
	MarginTop    = 16
	MarginBottom = 48
)

// Default size when a chart's Width or Height is zero or too small.
const (
	DefaultWidth  = 640
	DefaultHeight = 240
	minSize       = 120
	maxSize       = 4096
)

// Point is one bar of a bar chart.
type Point struct {
	Label string
	Value float64
}

// Bar is a bar chart: one bar per point, in order, labelled below.
type Bar struct {
	// Title names the chart (the SVG <title>); Desc says what it shows
	// (the <desc>, read by screen readers). Both are required for
	// accessibility; an empty Desc is replaced by a list of the values.
	Title, Desc string
	// YLabel names the unit of the values ("records").
	YLabel string
	// ID prefixes the ids of the title and description elements, so that
	// several charts can share a page ("chart" when empty; characters
	// other than ASCII letters, digits, "-" and "_" are dropped).
	ID            string
	Width, Height int
	Points        []Point
}

// TimePoint is one value of a time series.
type TimePoint struct {
	T time.Time
	V float64
}

// Kind is how a time series is drawn.
type Kind int

// The kinds of time series.
const (
	Line Kind = iota
	Columns
)

// Series is a time series, drawn as a line or as columns on a time axis
// from its earliest to its latest point.
type Series struct {
	Title, Desc   string
	YLabel        string
	ID            string
	Kind          Kind
	Width, Height int
	// Points need not be sorted; they are drawn in time order.
	Points []TimePoint
	// Loc is the time zone of the x-axis labels (nil: UTC).
	Loc *time.Location
}

// plotRect is the plot area of a chart of the given size: where the bars and
// lines go.
type plotRect struct{ X, Y, W, H float64 }

func plotArea(w, h int) (int, int, plotRect) {
	w, h = size(w, DefaultWidth), size(h, DefaultHeight)
	return w, h, plotRect{MarginLeft, MarginTop, float64(w - MarginLeft - MarginRight), float64(h - MarginTop - MarginBottom)}
}

func size(v, def int) int {
	if v < minSize {
		return def
	}
	return min(v, maxSize)
}

// clean makes v drawable: NaN, infinities and negatives become 0.
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// NiceMax returns the top of the y axis for values up to max: 1, 2, 2.5 or
// 5 times a power of ten, at least max, and 1 when max is 0.
func NiceMax(max float64) float64 {
	max = clean(max)
	if max == 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(max)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= max {
			return m * p
		}
	}
	return 10 * p
}

// SVG draws the bar chart.
func (c Bar) SVG() []byte {
	w, h, p := plotArea(c.Width, c.Height)
	max := 0.0
	for _, pt := range c.Points {
		max = math.Max(max, clean(pt.Value))
	}
	top := NiceMax(max)
	var b svg
	desc := c.Desc
	if desc == "" {
		for i, pt := range c.Points {
			if i > 0 {
				desc += "; "
			}
			desc += pt.Label + ": " + num(clean(pt.Value))
		}
	}
	b.open(c.ID, w, h, c.Title, desc)
	b.axes(p, top, c.YLabel)
	if n := len(c.Points); n > 0 {
		band := p.W / float64(n)
		for i, pt := range c.Points {
			v := clean(pt.Value)
			bh := v / top * p.H
			x := p.X + float64(i)*band + band*0.1
			b.printf(`<rect class="bar" fill="#1f5fa8" x="%s" y="%s" width="%s" height="%s"><title>`, num(x), num(p.Y+p.H-bh), num(band*0.8), num(bh))
			b.text(pt.Label + ": " + num(v))
			b.printf("</title></rect>\n")
			b.label(p.X+float64(i)*band+band/2, p.Y+p.H+16, "middle", pt.Label, fit(band))
		}
	}
	b.close()
	return b.Bytes()
}

// SVG draws the time series.
func (s Series) SVG() []byte {
	w, h, p := plotArea(s.Width, s.Height)
	pts := slices.Clone(s.Points)
	slices.SortStableFunc(pts, func(a, b TimePoint) int { return a.T.Compare(b.T) })
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	max := 0.0
	for _, pt := range pts {
		max = math.Max(max, clean(pt.V))
	}
	top := NiceMax(max)
	desc := s.Desc
	if desc == "" {
		for i, pt := range pts {
			if i > 0 {
				desc += "; "
			}
			desc += pt.T.In(loc).Format(time.DateOnly) + ": " + num(clean(pt.V))
		}
	}
	var b svg
	b.open(s.ID, w, h, s.Title, desc)
	b.axes(p, top, s.YLabel)
	if len(pts) > 0 {
		t0, t1 := pts[0].T, pts[len(pts)-1].T
		span := t1.Sub(t0)
		xs := make([]float64, len(pts))
		for i, pt := range pts {
			switch {
			case s.Kind == Columns:
				band := p.W / float64(len(pts))
				xs[i] = p.X + float64(i)*band + band/2
			case span <= 0:
				xs[i] = p.X + p.W/2
			default:
				xs[i] = p.X + p.W*float64(pt.T.Sub(t0))/float64(span)
			}
		}
		if s.Kind == Columns {
			band := p.W / float64(len(pts))
			for i, pt := range pts {
				v := clean(pt.V)
				bh := v / top * p.H
				b.printf(`<rect class="bar" fill="#1f5fa8" x="%s" y="%s" width="%s" height="%s"><title>`, num(xs[i]-band*0.4), num(p.Y+p.H-bh), num(band*0.8), num(bh))
				b.text(pt.T.In(loc).Format(time.DateOnly) + ": " + num(v))
				b.printf("</title></rect>\n")
			}
		} else {
			b.printf(`<polyline class="line" fill="none" stroke="#1f5fa8" stroke-width="2" points="`)
			for i, pt := range pts {
				if i > 0 {
					b.printf(" ")
				}
				b.printf("%s,%s", num(xs[i]), num(p.Y+p.H-clean(pt.V)/top*p.H))
			}
			b.printf("\"/>\n")
		}
		// Labels at the first, middle and last points.
		for _, i := range labelIndexes(len(pts)) {
			anchor := "middle"
			if s.Kind == Line && len(pts) > 1 && i == 0 {
				anchor = "start"
			} else if s.Kind == Line && len(pts) > 1 && i == len(pts)-1 {
				anchor = "end"
			}
			b.label(xs[i], p.Y+p.H+16, anchor, pts[i].T.In(loc).Format(time.DateOnly), 10)
		}
	}
	b.close()
	return b.Bytes()
}

func labelIndexes(n int) []int {
	switch {
	case n == 0:
		return nil
	case n == 1:
		return []int{0}
	case n == 2:
		return []int{0, 1}
	}
	return []int{0, n / 2, n - 1}
}

// svg builds the document.
type svg struct{ bytes.Buffer }

func (b *svg) printf(format string, a ...any) { fmt.Fprintf(b, format, a...) }

// text writes s escaped as XML character data. Labels are data, possibly
// hostile: characters that could hide or reorder text (controls, format
// characters such as U+202E RIGHT-TO-LEFT OVERRIDE, line and paragraph
// separators) are written visibly as ⟨U+XXXX⟩, and invalid UTF-8 as U+FFFD.
func (b *svg) text(s string) {
	var out strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			out.WriteRune(r)
		case unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || !isXMLChar(r):
			fmt.Fprintf(&out, "⟨U+%04X⟩", r)
		default:
			out.WriteRune(r)
		}
	}
	xml.EscapeText(b, []byte(out.String()))
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func (b *svg) open(id string, w, h int, title, desc string) {
	id = cleanID(id)
	b.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="%s-title %s-desc" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", id, id, w, h, w, h)
	b.printf(`<title id="%s-title">`, id)
	b.text(title)
	b.printf("</title>\n"+`<desc id="%s-desc">`, id)
	b.text(desc)
	b.printf("</desc>\n")
}

// cleanID keeps the ASCII letters, digits, "-" and "_" of id, at most 64.
func cleanID(id string) string {
	out := make([]byte, 0, len(id))
	for i := 0; i < len(id) && len(out) < 64; i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		}
	}
	if len(out) == 0 || out[0] >= '0' && out[0] <= '9' || out[0] == '-' {
		return "chart" + string(out)
	}
	return string(out)
}

func (b *svg) close() { b.printf("</svg>\n") }

// axes draws the axes, four gridlines with their values and the y label.
func (b *svg) axes(p plotRect, top float64, ylabel string) {
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := p.Y + p.H - p.H*float64(i)/4
		b.printf(`<line class="grid" stroke="#d0d4da" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(p.X), num(y), num(p.X+p.W), num(y))
		b.printf(`<text class="tick" fill="#333" font-size="12" text-anchor="end" x="%s" y="%s">%s</text>`+"\n", num(p.X-6), num(y+4), num(v))
	}
	b.printf(`<line class="axis" stroke="#333" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(p.X), num(p.Y), num(p.X), num(p.Y+p.H))
	b.printf(`<line class="axis" stroke="#333" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(p.X), num(p.Y+p.H), num(p.X+p.W), num(p.Y+p.H))
	if ylabel != "" {
		b.printf(`<text class="ylabel" fill="#333" font-size="12" text-anchor="middle" transform="translate(14 %s) rotate(-90)">`, num(p.Y+p.H/2))
		b.text(ylabel)
		b.printf("</text>\n")
	}
}

// fit is how many characters of a label fit under a bar of width band
// (about 7 units a character at the labels' 12-unit font), from 3 to 24.
func fit(band float64) int { return max(3, min(24, int(band/7))) }

// label writes an x-axis label, shortened to max characters.
func (b *svg) label(x, y float64, anchor, s string, max int) {
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	b.printf(`<text class="xlabel" fill="#333" font-size="12" text-anchor="%s" x="%s" y="%s">`, anchor, num(x), num(y))
	b.text(s)
	b.printf("</text>\n")
}

// num formats a coordinate or a value: at most two decimals, no exponent.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// Tick is a labelled position under a histogram: At counts bins from the
// left edge of the first (2.5 is the middle of the third bin).
type Tick struct {
	At    float64
	Label string
}

// Histogram is a histogram: one bar per bin, side by side with a hairline
// between them, labelled only at its Ticks (a histogram has too many bins
// to label each).
type Histogram struct {
	Title, Desc   string
	YLabel        string
	ID            string
	Width, Height int
	// Bins are the bins in order: each bar's label (its range, shown as
	// the bar's tooltip and in the description) and count.
	Bins  []Point
	Ticks []Tick
}

// SVG draws the histogram.
func (c Histogram) SVG() []byte {
	w, h, p := plotArea(c.Width, c.Height)
	max := 0.0
	for _, pt := range c.Bins {
		max = math.Max(max, clean(pt.Value))
	}
	top := NiceMax(max)
	desc := c.Desc
	if desc == "" {
		for _, pt := range c.Bins {
			if clean(pt.Value) == 0 {
				continue
			}
			if desc != "" {
				desc += "; "
			}
			desc += pt.Label + ": " + num(clean(pt.Value))
		}
	}
	var b svg
	b.open(c.ID, w, h, c.Title, desc)
	b.axes(p, top, c.YLabel)
	n := len(c.Bins)
	if n == 0 {
		b.close()
		return b.Bytes()
	}
	band := p.W / float64(n)
	gap := math.Min(1, band/4)
	for i, pt := range c.Bins {
		v := clean(pt.Value)
		if v == 0 {
			continue
		}
		bh := v / top * p.H
		b.printf(`<rect class="bar" fill="#1f5fa8" x="%s" y="%s" width="%s" height="%s"><title>`, num(p.X+float64(i)*band+gap/2), num(p.Y+p.H-bh), num(band-gap), num(bh))
		b.text(pt.Label + ": " + num(v))
		b.printf("</title></rect>\n")
	}
	room := 24
	if len(c.Ticks) > 0 {
		room = fit(p.W / float64(len(c.Ticks)))
	}
	for _, t := range c.Ticks {
		at := math.Max(0, math.Min(float64(n), t.At))
		if math.IsNaN(t.At) {
			at = 0
		}
		x := p.X + at*band
		b.printf(`<line class="tickmark" stroke="#333" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(x), num(p.Y+p.H), num(x), num(p.Y+p.H+4))
		b.label(x, p.Y+p.H+16, "middle", t.Label, room)
	}
	b.close()
	return b.Bytes()
}

// Layer is one part of the stacks of a Stacked chart: its name (in the
// legend, the tooltips and the description) and its colour.
type Layer struct {
	Name string
	// Fill is the layer's colour, "#rrggbb"; anything else is drawn in
	// the default blue.
	Fill string
}

// Stack is one bar of a Stacked chart: its label (in the tooltips and the
// description) and a value per layer, bottom first.
type Stack struct {
	Label  string
	Values []float64
}

// Stacked is a bar chart whose bars are stacks of layers, side by side,
// with a legend under the axis: requests per hour stacked by the verdict
// answered, say. The bars are labelled at the Ticks when there are some
// (a chart of many bars), else each under itself.
type Stacked struct {
	Title, Desc   string
	YLabel        string
	ID            string
	Width, Height int
	Layers        []Layer
	Bars          []Stack
	Ticks         []Tick
	// Max fixes the top of the y axis (100 for percentages); 0 takes
	// NiceMax of the tallest stack.
	Max float64
}

// fill returns c if it is a colour "#rrggbb", else the default blue.
func fill(c string) string {
	if len(c) != 7 || c[0] != '#' {
		return "#1f5fa8"
	}
	for i := 1; i < 7; i++ {
		if h := c[i]; !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
			return "#1f5fa8"
		}
	}
	return c
}

// SVG draws the stacked chart.
func (c Stacked) SVG() []byte {
	w, h, p := plotArea(c.Width, c.Height)
	value := func(s Stack, i int) float64 {
		if i < len(s.Values) {
			return clean(s.Values[i])
		}
		return 0
	}
	tallest := 0.0
	for _, s := range c.Bars {
		sum := 0.0
		for i := range c.Layers {
			sum += value(s, i)
		}
		tallest = math.Max(tallest, sum)
	}
	top := NiceMax(tallest)
	if m := clean(c.Max); m > 0 {
		top = math.Max(m, tallest)
	}
	desc := c.Desc
	if desc == "" {
		for _, s := range c.Bars {
			part := ""
			for i, l := range c.Layers {
				if v := value(s, i); v > 0 {
					if part != "" {
						part += ", "
					}
					part += l.Name + " " + num(v)
				}
			}
			if part == "" {
				continue
			}
			if desc != "" {
				desc += "; "
			}
			desc += s.Label + ": " + part
		}
	}
	var b svg
	b.open(c.ID, w, h, c.Title, desc)
	b.axes(p, top, c.YLabel)
	n := len(c.Bars)
	if n > 0 {
		band := p.W / float64(n)
		gap := math.Min(band*0.2, math.Max(1, band/6))
		for j, s := range c.Bars {
			y := p.Y + p.H
			for i, l := range c.Layers {
				v := value(s, i)
				if v == 0 {
					continue
				}
				bh := v / top * p.H
				y -= bh
				b.printf(`<rect class="seg seg-%d" fill="%s" x="%s" y="%s" width="%s" height="%s"><title>`, i, fill(l.Fill), num(p.X+float64(j)*band+gap/2), num(y), num(band-gap), num(bh))
				b.text(s.Label + " — " + l.Name + ": " + num(v))
				b.printf("</title></rect>\n")
			}
		}
		if len(c.Ticks) > 0 {
			room := fit(p.W / float64(len(c.Ticks)))
			for _, t := range c.Ticks {
				at := math.Max(0, math.Min(float64(n), t.At))
				if math.IsNaN(t.At) {
					at = 0
				}
				x := p.X + at*band
				b.printf(`<line class="tickmark" stroke="#333" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(x), num(p.Y+p.H), num(x), num(p.Y+p.H+4))
				b.label(x, p.Y+p.H+16, "middle", t.Label, room)
			}
		} else {
			for j, s := range c.Bars {
				b.label(p.X+float64(j)*band+band/2, p.Y+p.H+16, "middle", s.Label, fit(band))
			}
		}
	}
	// The legend, under the labels: a swatch and the name of each layer.
	x := p.X
	for i, l := range c.Layers {
		b.printf(`<rect class="swatch seg-%d" fill="%s" x="%s" y="%s" width="10" height="10"/>`+"\n", i, fill(l.Fill), num(x), num(p.Y+p.H+28))
		b.printf(`<text class="legend" fill="#333" font-size="12" x="%s" y="%s">`, num(x+14), num(p.Y+p.H+37))
		b.text(l.Name)
		b.printf("</text>\n")
		x += 14 + textWidth(l.Name) + 18
	}
	b.close()
	return b.Bytes()
}

// textWidth estimates the width of s at the 12-unit font: about 7 units a
// Latin character, 12 a CJK one.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x2E80 {
			w += 12
		} else {
			w += 7
		}
	}
	return w
}
