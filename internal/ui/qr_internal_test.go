package ui

import (
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

// TestQRSVG: the SVG is well-formed XML, square with the quiet zone, has
// one unit square per dark module of the code (the finder patterns'
// corners among them) and carries nothing of the text it encodes, even
// markup.
func TestQRSVG(t *testing.T) {
	const text = `otpauth://totp/fusion:ann?secret=ABC&issuer=fusion"><script>alert(1)</script>`
	svg, err := qrSVG(text)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
	if strings.Contains(s, "script") || strings.Contains(s, "otpauth") {
		t.Errorf("the encoded text leaks into the SVG: %s", s)
	}
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx() + 8
	if want := `viewBox="0 0 ` + strconv.Itoa(n) + " " + strconv.Itoa(n) + `"`; !strings.Contains(s, want) {
		t.Errorf("no %s in %.200s", want, s)
	}
	dark := 0
	for y := 0; y < code.Bounds().Dy(); y++ {
		for x := 0; x < code.Bounds().Dx(); x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				dark++
			}
		}
	}
	squares := regexp.MustCompile(`M\d+ \d+h1v1h-1z`).FindAllString(s, -1)
	if len(squares) != dark || dark == 0 {
		t.Errorf("%d squares for %d dark modules", len(squares), dark)
	}
	// The top-left finder pattern's outer corners, shifted by the quiet zone.
	for _, corner := range []string{"M4 4h", "M10 4h", "M4 10h", "M10 10h"} {
		if !strings.Contains(s, corner) {
			t.Errorf("no module at %q: not a QR code's finder pattern", corner)
		}
	}
}
