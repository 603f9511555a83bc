package ui

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// luminance is the WCAG 2 relative luminance of a #RRGGBB colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #RRGGBB", hex)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestContrast checks the text colours of app.css against their
// backgrounds for WCAG AA (4.5:1), reading the colours from the stylesheet.
func TestContrast(t *testing.T) {
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+): (#[0-9a-fA-F]{6});`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, pair := range [][2]string{
		{vars["ink"], vars["paper"]}, {vars["muted"], vars["paper"]}, {vars["link"], vars["paper"]},
		{vars["error"], "#fde7e9"}, {vars["ink"], "#fff4ce"}, {vars["ink"], "#f1f3f5"},
		{"#ffffff", vars["band"]}, {"#d6dde8", vars["band"]},
		{"#ffffff", vars["critical"]}, {"#ffffff", vars["high"]}, {vars["ink"], vars["medium"]}, {vars["ink"], vars["low"]},
		{vars["muted"], "#f1f3f5"},
	} {
		if pair[0] == "" || pair[1] == "" {
			t.Fatalf("a colour variable is missing from app.css: %v", vars)
		}
		if c := contrast(t, pair[0], pair[1]); c < 4.5 {
			t.Errorf("%s on %s: contrast %.2f < 4.5", pair[0], pair[1], c)
		}
	}
	for tl, c := range TLPColours {
		if r := contrast(t, c.Text, c.Background); r < 4.5 {
			t.Errorf("%s: contrast %.2f < 4.5", tl, r)
		}
	}
}
