package chart

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// node is a parsed SVG element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) f(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// all returns the descendants named local, in document order.
func (n node) all(local string) []node {
	var out []node
	for _, c := range n.Children {
		if c.XMLName.Local == local {
			out = append(out, c)
		}
		out = append(out, c.all(local)...)
	}
	return out
}

func parse(t testing.TB, b []byte) node {
	t.Helper()
	var n node
	if err := xml.Unmarshal(b, &n); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if n.XMLName.Local != "svg" || n.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root is %v, want svg", n.XMLName)
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.011 }

func TestBarGeometry(t *testing.T) {
	c := Bar{Title: "Records by TLP", YLabel: "records", Width: 640, Height: 240,
		Points: []Point{{"green", 10}, {"amber", 20}, {"red", 40}}}
	n := parse(t, c.SVG())
	// Plot area: x 56..624 (w 568), y 16..192 (h 176); the axis tops at 50.
	bars := n.all("rect")
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3", len(bars))
	}
	band := 568.0 / 3
	for i, want := range []float64{35.2, 70.4, 140.8} {
		b := bars[i]
		if h := b.f(t, "height"); !near(h, want) {
			t.Errorf("bar %d height %v, want %v", i, h, want)
		}
		if y := b.f(t, "y"); !near(y+b.f(t, "height"), 192) {
			t.Errorf("bar %d does not stand on the x axis: y %v", i, y)
		}
		if x := b.f(t, "x"); !near(x, 56+float64(i)*band+band*0.1) {
			t.Errorf("bar %d x %v", i, x)
		}
		if w := b.f(t, "width"); !near(w, band*0.8) {
			t.Errorf("bar %d width %v", i, w)
		}
	}
	var ticks, labels []string
	for _, tx := range n.all("text") {
		switch tx.attr("class") {
		case "tick":
			ticks = append(ticks, tx.Text)
		case "xlabel":
			labels = append(labels, tx.Text)
		}
	}
	if got := strings.Join(ticks, " "); got != "0 12.5 25 37.5 50" {
		t.Errorf("ticks %q", got)
	}
	if got := strings.Join(labels, " "); got != "green amber red" {
		t.Errorf("x labels %q", got)
	}
	if got := n.all("title")[0].Text; got != "Records by TLP" {
		t.Errorf("title %q", got)
	}
	if got := n.all("desc")[0].Text; got != "green: 10; amber: 20; red: 40" {
		t.Errorf("desc %q", got)
	}
	if n.attr("role") != "img" || n.attr("aria-labelledby") != "chart-title chart-desc" {
		t.Errorf("accessibility attributes: %v", n.Attrs)
	}
}

func TestSeriesGeometry(t *testing.T) {
	d := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	pts := []TimePoint{{d.AddDate(0, 0, 3), 10}, {d, 0}, {d.AddDate(0, 0, 1), 5}} // unsorted on purpose
	n := parse(t, Series{Title: "Sightings", ID: "s1", Width: 640, Height: 240, Points: pts}.SVG())
	lines := n.all("polyline")
	if len(lines) != 1 {
		t.Fatalf("%d polylines", len(lines))
	}
	var got [][2]float64
	for _, xy := range strings.Fields(lines[0].attr("points")) {
		x, y, _ := strings.Cut(xy, ",")
		fx, _ := strconv.ParseFloat(x, 64)
		fy, _ := strconv.ParseFloat(y, 64)
		got = append(got, [2]float64{fx, fy})
	}
	want := [][2]float64{{56, 192}, {56 + 568.0/3, 104}, {624, 16}}
	if len(got) != len(want) {
		t.Fatalf("points %v", got)
	}
	for i := range want {
		if !near(got[i][0], want[i][0]) || !near(got[i][1], want[i][1]) {
			t.Errorf("point %d = %v, want %v", i, got[i], want[i])
		}
	}
	var labels []string
	for _, tx := range n.all("text") {
		if tx.attr("class") == "xlabel" {
			labels = append(labels, tx.Text)
		}
	}
	if strings.Join(labels, " ") != "2026-11-01 2026-11-02 2026-11-04" {
		t.Errorf("x labels %v", labels)
	}
	if n.attr("aria-labelledby") != "s1-title s1-desc" {
		t.Errorf("aria-labelledby %q", n.attr("aria-labelledby"))
	}

	cols := parse(t, Series{Kind: Columns, Width: 640, Height: 240, Points: pts}.SVG()).all("rect")
	if len(cols) != 3 {
		t.Fatalf("%d columns", len(cols))
	}
	for i, h := range []float64{0, 88, 176} {
		if !near(cols[i].f(t, "height"), h) {
			t.Errorf("column %d height %v, want %v", i, cols[i].f(t, "height"), h)
		}
	}
}

func TestHostileText(t *testing.T) {
	evil := "<script>alert(1)</script>\u202Egnp.exe\x00\xff"
	out := Bar{Title: evil, Desc: evil, YLabel: evil, ID: `x" onload="alert(1)`, Points: []Point{{evil, math.NaN()}, {"b", math.Inf(1)}, {"c", -5}}}.SVG()
	n := parse(t, out)
	if len(n.all("script")) != 0 || bytes.Contains(out, []byte("<script")) {
		t.Fatalf("script element in output:\n%s", out)
	}
	if bytes.Contains(out, []byte("onload")) && !bytes.Contains(out, []byte(`id="xonloadalert1-title"`)) {
		t.Fatalf("id not cleaned:\n%s", out)
	}
	if got := n.all("title")[0].Text; got != "<script>alert(1)</script>⟨U+202E⟩gnp.exe⟨U+0000⟩\uFFFD" {
		t.Errorf("title text %q", got)
	}
	for _, r := range n.all("rect") {
		if r.f(t, "height") != 0 {
			t.Errorf("a bad value drew a bar of height %v", r.f(t, "height"))
		}
	}
}

func TestNiceMax(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 1: 1, 3: 5, 7: 10, 11: 20, 21: 25, 40: 50, 99: 100, 0.3: 0.5, 1e6 + 1: 2e6} {
		if got := NiceMax(in); !near(got, want) {
			t.Errorf("NiceMax(%v) = %v, want %v", in, got, want)
		}
	}
}

// FuzzCharts draws charts of arbitrary labels and values: no panic, and
// always well-formed XML with an svg root and no script.
func FuzzCharts(f *testing.F) {
	f.Add("a", 1.0, "b", 2.0, int64(0), int64(86400), 640, 240)
	f.Add("<script>", math.NaN(), "\u202E", math.Inf(-1), int64(-1<<62), int64(1<<62), 0, -1)
	f.Fuzz(func(t *testing.T, l1 string, v1 float64, l2 string, v2 float64, t1, t2 int64, w, h int) {
		bar := Bar{Title: l1, Desc: l2, YLabel: l1, ID: l2, Width: w, Height: h, Points: []Point{{l1, v1}, {l2, v2}}}.SVG()
		for _, k := range []Kind{Line, Columns} {
			s := Series{Title: l2, ID: l1, Kind: k, Width: w, Height: h, Points: []TimePoint{{time.Unix(t1, 0), v1}, {time.Unix(t2, 0), v2}}}.SVG()
			checkXML(t, s)
		}
		checkXML(t, bar)
		checkXML(t, Histogram{Title: l1, ID: l2, Width: w, Height: h, Bins: []Point{{l1, v1}, {l2, v2}, {l1, v2}}, Ticks: []Tick{{v1, l2}, {v2, l1}}}.SVG())
		for _, ticks := range [][]Tick{nil, {{v1, l2}, {v2, l1}}} {
			checkXML(t, Stacked{Title: l1, Desc: l2, ID: l2, Width: w, Height: h, Max: v2, Layers: []Layer{{l1, l2}, {l2, "#00ff00"}},
				Bars: []Stack{{l1, []float64{v1, v2}}, {l2, []float64{v2}}, {l1, nil}}, Ticks: ticks}.SVG())
		}
	})
}

// TestHistogramGeometry: bars side by side over the whole plot width, a
// hairline apart, empty bins drawn as nothing, labels only at the ticks,
// the description listing the bins that hold something.
func TestHistogramGeometry(t *testing.T) {
	c := Histogram{Title: "Intervals", YLabel: "intervals", Width: 640, Height: 240,
		Bins:  []Point{{"1–2 s", 0}, {"2–4 s", 8}, {"4–8 s", 2}, {"8–16 s", 0}},
		Ticks: []Tick{{0, "1 s"}, {2, "4 s"}, {4, "16 s"}, {-3, "clamped"}}}
	n := parse(t, c.SVG())
	// Plot area: x 56..624 (w 568), y 16..192 (h 176); the axis tops at 10.
	bars := n.all("rect")
	if len(bars) != 2 {
		t.Fatalf("%d bars, want 2 (empty bins draw nothing)", len(bars))
	}
	band := 568.0 / 4
	for i, want := range []struct{ bin, h float64 }{{1, 140.8}, {2, 35.2}} {
		b := bars[i]
		if h := b.f(t, "height"); !near(h, want.h) {
			t.Errorf("bar %d height %v, want %v", i, h, want.h)
		}
		if y := b.f(t, "y"); !near(y+b.f(t, "height"), 192) {
			t.Errorf("bar %d does not stand on the x axis: y %v", i, y)
		}
		if x := b.f(t, "x"); !near(x, 56+want.bin*band+0.5) {
			t.Errorf("bar %d x %v, want %v", i, x, 56+want.bin*band+0.5)
		}
		if w := b.f(t, "width"); !near(w, band-1) {
			t.Errorf("bar %d width %v, want %v", i, w, band-1)
		}
	}
	var labels []string
	var xs []float64
	for _, tx := range n.all("text") {
		if tx.attr("class") == "xlabel" {
			labels = append(labels, tx.Text)
			xs = append(xs, tx.f(t, "x"))
		}
	}
	if got := strings.Join(labels, " "); got != "1 s 4 s 16 s clamped" {
		t.Errorf("x labels %q", got)
	}
	for i, want := range []float64{56, 56 + 2*band, 624, 56} {
		if !near(xs[i], want) {
			t.Errorf("label %q at x %v, want %v", labels[i], xs[i], want)
		}
	}
	if got := n.all("desc")[0].Text; got != "2–4 s: 8; 4–8 s: 2" {
		t.Errorf("desc %q", got)
	}
	if got := parse(t, Histogram{Title: "none"}.SVG()).all("rect"); len(got) != 0 {
		t.Errorf("an empty histogram draws %d bars", len(got))
	}
}

func checkXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "script" {
			t.Fatalf("script element:\n%s", b)
		}
	}
	parse(t, b)
}

// TestStackedGeometry: each stack's layers sit on one another from the
// axis up, in layer order, their heights on the chart's scale; the legend
// names every layer in its colour; the description lists the non-zero
// parts; hostile names and colours come out inert.
func TestStackedGeometry(t *testing.T) {
	c := Stacked{Title: "Requests", YLabel: "requests", Width: 640, Height: 240,
		Layers: []Layer{{"allowed", "#1f5fa8"}, {"challenged", "#c77700"}, {"blocked", "#b3261e"}},
		Bars:   []Stack{{"00:00", []float64{6, 2, 0}}, {"01:00", []float64{1, 0, 9}}, {"02:00", nil}, {"03:00", []float64{math.NaN(), -1, 2, 99}}},
		Ticks:  []Tick{{0, "00:00"}, {2, "02:00"}}}
	n := parse(t, c.SVG())
	// Plot area: x 56..624 (w 568), y 16..192 (h 176); the tallest stack
	// is 10, the top 10.
	var segs []node
	for _, r := range n.all("rect") {
		if strings.HasPrefix(r.attr("class"), "seg ") {
			segs = append(segs, r)
		}
	}
	if len(segs) != 5 {
		t.Fatalf("%d segments, want 5 (zero, missing and bad values draw nothing; a value past the layers is ignored)", len(segs))
	}
	band := 568.0 / 4
	for i, want := range []struct {
		bar        int
		bottom, h  float64
		class, col string
	}{
		{0, 192, 105.6, "seg seg-0", "#1f5fa8"}, {0, 192 - 105.6, 35.2, "seg seg-1", "#c77700"},
		{1, 192, 17.6, "seg seg-0", "#1f5fa8"}, {1, 192 - 17.6, 158.4, "seg seg-2", "#b3261e"},
		{3, 192, 35.2, "seg seg-2", "#b3261e"},
	} {
		s := segs[i]
		if h := s.f(t, "height"); !near(h, want.h) {
			t.Errorf("segment %d height %v, want %v", i, h, want.h)
		}
		if y := s.f(t, "y"); !near(y+s.f(t, "height"), want.bottom) {
			t.Errorf("segment %d bottom %v, want %v", i, y+s.f(t, "height"), want.bottom)
		}
		if x := s.f(t, "x"); x < 56+float64(want.bar)*band || x > 56+float64(want.bar+1)*band {
			t.Errorf("segment %d at x %v, outside bar %d", i, x, want.bar)
		}
		if s.attr("class") != want.class || s.attr("fill") != want.col {
			t.Errorf("segment %d: class %q fill %q", i, s.attr("class"), s.attr("fill"))
		}
	}
	var legend []string
	for _, tx := range n.all("text") {
		if tx.attr("class") == "legend" {
			legend = append(legend, tx.Text)
		}
	}
	if got := strings.Join(legend, ","); got != "allowed,challenged,blocked" {
		t.Errorf("legend %q", got)
	}
	if got := n.all("desc")[0].Text; got != "00:00: allowed 6, challenged 2; 01:00: allowed 1, blocked 9; 03:00: blocked 2" {
		t.Errorf("desc %q", got)
	}
	// A fixed top: percentages.
	pct := parse(t, Stacked{Title: "Conversion", Max: 100, Layers: []Layer{{"entered", "#1f5fa8"}}, Bars: []Stack{{"a", []float64{50}}}}.SVG())
	for _, r := range pct.all("rect") {
		if r.attr("class") == "seg seg-0" && !near(r.f(t, "height"), 0.5*(240-16-48)) {
			t.Errorf("50 of 100: height %v", r.f(t, "height"))
		}
	}

	evil := "<script>alert(1)</script>\u202E"
	out := Stacked{Title: evil, Layers: []Layer{{evil, `red" onload="alert(1)`}}, Bars: []Stack{{evil, []float64{1}}}}.SVG()
	h := parse(t, out)
	if bytes.Contains(out, []byte("<script")) || bytes.Contains(out, []byte("onload")) || len(h.all("script")) != 0 {
		t.Fatalf("hostile text or colour got through:\n%s", out)
	}
	for _, r := range h.all("rect") {
		if f := r.attr("fill"); r.attr("class") != "" && strings.HasPrefix(r.attr("class"), "seg") && f != "#1f5fa8" {
			t.Errorf("a bad colour drew as %q", f)
		}
	}
}
