package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/ui"
	"fusion/internal/ui/uitest"
	"fusion/internal/zeek"
)

// TestBrowserDetections: org-b's sensor posts a day of traffic — a beacon
// every five minutes, a jittery one every minute from another host, a
// five-hour connection, people browsing — and its user, in English and
// in Japanese, opens the Detections page from the navigation: hosts with
// their findings, badges, explanations and histograms, no missing key, the
// CSP, no console problem. org-c's user sees the empty state.
func TestBrowserDetections(t *testing.T) {
	w := newWorld(t)
	h := w.h
	sensor := &policy.Caller{Org: "org-b", Role: intel.RoleSensor}
	zr, err := zeek.NewReader(bytes.NewReader(dayOfTraffic(time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC))))
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Hub.Detect(context.Background(), sensor, zr)
	if err != nil || res.Detections < 3 {
		t.Fatalf("org-b's day: %+v %v; want at least 3 detections", res, err)
	}
	text := func(tab *uitest.Tab) string { return uitest.Eval[string](tab, "document.body.innerText") }
	for _, lang := range []*ui.Lang{ui.LangByCode("en"), ui.LangByCode("ja")} {
		b := signIn(t, h, "user-org-b", w.pw, lang.Code)
		resp := b.Navigate(chromedp.Click(chromedp.CSS(`a[href="/detections"]`)))
		checkPage(t, b, uitest.Header(resp, "Content-Security-Policy"), lang)
		body := text(b)
		for _, want := range []string{"10.0.0.5", "10.0.0.23", "198.18.0.9", "198.18.4.2", "198.18.7.7", lang.T("detections.kind.beacon"), lang.T("detections.kind.long")} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q:\n%s", lang.Code, want, body)
			}
		}
		if n := uitest.Eval[int](b, "document.querySelectorAll('figure.histogram svg rect.bar').length"); n < 2 {
			t.Errorf("%s: %d histogram bars drawn", lang.Code, n)
		}
		if n := uitest.Eval[int](b, "document.querySelectorAll('section.host').length"); n != 2 {
			t.Errorf("%s: %d hosts, want 2", lang.Code, n)
		}
		b.Screenshot("detections-" + lang.Code)

		c := signIn(t, h, "user-org-c", w.pw, lang.Code)
		resp = c.Navigate(chromedp.Click(chromedp.CSS(`a[href="/detections"]`)))
		checkPage(t, c, uitest.Header(resp, "Content-Security-Policy"), lang)
		if body := text(c); strings.Contains(body, "10.0.0.5") || !strings.Contains(body, lang.T("detections.empty.heading")) {
			t.Errorf("%s: org-c's page:\n%s", lang.Code, body)
		}
	}
}

// dayOfTraffic is a conn log of a day from start: 10.0.0.5 beaconing to
// 198.18.0.9 every 300 s (±3 s), 10.0.0.23 to 198.18.4.2 every 60 s ±20%,
// and holding a five-hour connection to 198.18.7.7, and six hosts browsing
// during office hours.
func dayOfTraffic(start time.Time) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\torig_ip_bytes\n")
	n := 0
	conn := func(at time.Time, src, dst string, d time.Duration, size int) {
		n++
		fmt.Fprintf(&b, "%d.%06d\tC%07dq9\t%s\t%d\t%s\t443\ttcp\t%.3f\t%d\t%d\n", at.Unix(), at.Nanosecond()/1000, n, src, 40000+n%20000, dst, d.Seconds(), size, size+40)
	}
	for at := start; at.Before(start.Add(24 * time.Hour)); at = at.Add(300*time.Second + time.Duration(r.IntN(7)-3)*time.Second) {
		conn(at, "10.0.0.5", "198.18.0.9", 200*time.Millisecond, 1049)
	}
	for at := start; at.Before(start.Add(24 * time.Hour)); at = at.Add(time.Duration(float64(time.Minute) * (0.8 + 0.4*r.Float64()))) {
		conn(at, "10.0.0.23", "198.18.4.2", 150*time.Millisecond, 320+r.IntN(10))
	}
	conn(start.Add(9*time.Hour), "10.0.0.23", "198.18.7.7", 5*time.Hour, 2_400_000)
	for h := range 6 {
		src := fmt.Sprintf("10.0.1.%d", 10+h)
		for at := start.Add(8 * time.Hour); at.Before(start.Add(18 * time.Hour)); at = at.Add(time.Duration(r.ExpFloat64() * float64(2*time.Minute))) {
			conn(at, src, fmt.Sprintf("198.19.%d.%d", r.IntN(20), 1+r.IntN(200)), time.Duration(r.IntN(20000))*time.Millisecond, 200+r.IntN(5000))
		}
	}
	return b.Bytes()
}
