package ui_test

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/ui"
)

// smsPumped is the block smsTraffic's burst gets blocked for shop;
// smsPumpedToo the one for the app with a hostile name (a guard's apps
// share what they learn of a range, so each app's burst has its own,
// in another 10,000-number block).
const (
	smsPumped    = "+37121234"
	smsPumpedToo = "+37121244"
)

// smsTraffic sends org's app, through its sensor, a German user who enters
// the code and then a pumping burst of 30 consecutive Latvian numbers of
// block, two seconds apart, each from another address, no code entered:
// the guard blocks block.
func smsTraffic(t *testing.T, w *world, org, app, block string, start time.Time) {
	t.Helper()
	ctx := context.Background()
	sensor := &policy.Caller{Org: org, Role: intel.RoleSensor, TokenID: "tok-sensor-" + org}
	legit := sms.Request{App: app, Number: "+4915112345678", IP: netip.MustParseAddr("192.0.2.9"), Time: start}
	if _, err := w.h.Hub.SMSCheck(ctx, sensor, &legit); err != nil {
		t.Fatal(err)
	}
	if err := w.h.Hub.SMSVerified(ctx, sensor, &sms.Verified{App: app, Number: legit.Number, Time: start.Add(20 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	var d sms.Decision
	for i := range 30 {
		req := sms.Request{App: app, Number: fmt.Sprintf("%s%03d", block, 100+i), IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)}),
			Time: start.Add(time.Minute + time.Duration(i)*2*time.Second)}
		var err error
		if d, err = w.h.Hub.SMSCheck(ctx, sensor, &req); err != nil {
			t.Fatal(err)
		}
	}
	if d.Decision != sms.Block || d.Prefix != block {
		t.Fatalf("the burst's last decision: %+v", d)
	}
}

// TestSMSThroughTheUI: org-b's apps — one named to attack the page — are
// listed with their last day's figures, and an app's page shows its
// blocks with rule and reasons, its charts and its countries and blocks,
// in both languages; the name comes out inert. org-c sees none of it and
// cannot release org-b's block; a reader sees no release button and is
// refused; an analyst releases the block and the page says so in place.
func TestSMSThroughTheUI(t *testing.T) {
	w := newWorld(t)
	start := time.Now().UTC().Add(-10 * time.Minute)
	smsTraffic(t, w, "org-b", "shop", smsPumped, start)
	evil := "<script>alert(1)</script>\u202Eppa"
	smsTraffic(t, w, "org-b", evil, smsPumpedToo, start)
	evilHref := "/sms/" + url.PathEscape(evil)

	for _, lang := range []string{"en", "ja"} {
		l := ui.LangByCode(lang)
		b := signInHTTP(t, w.h, "user-org-b", w.pw, lang)
		list := b.get("/sms", 200)
		for _, want := range []string{
			`<a href="/sms" aria-current="page">`, l.T("sms.heading"), `<a href="/sms/shop"><code dir="ltr">shop</code></a>`,
			`<td class="num">31</td>`, `<td class="num">3.2 %</td>`, `<span class="sev sev-critical">1</span>`,
			`&lt;script&gt;alert(1)&lt;/script&gt;⟨U&#43;202E⟩ppa`, `href="/sms/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%E2%80%AEppa"`,
		} {
			if !strings.Contains(list, want) {
				t.Errorf("%s: /sms lacks %q:\n%s", lang, want, list)
			}
		}
		page := b.get("/sms/shop", 200)
		for _, want := range []string{
			`<a href="/sms" aria-current="page">`, `<code dir="ltr">&#43;37121234</code>`, l.T("sms.reason.prefix-burst"), l.T("sms.reason.sequential-numbers"),
			`<form class="release" method="post" action="/sms/shop/release">`, `name="prefix" value="&#43;37121234"`,
			`id="sms-hours-title"`, `id="sms-conversion-title"`, `id="sms-countries-title"`, `id="sms-prefixes-title"`,
			`<th scope="row">LV</th>`, `<th scope="row">DE</th>`, `class="seg seg-2"`, l.T("sms.blocked.now"),
			`<blockquote class="verdict explanation" lang="en" dir="ltr">`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: /sms/shop lacks %q:\n%s", lang, want, page)
			}
		}
		hostile := b.get(evilHref, 200)
		if strings.Contains(hostile, "<script>alert") || strings.Contains(list, "<script>alert") || strings.Contains(hostile, "\u202E") {
			t.Errorf("%s: the app's name got onto the page as it is:\n%s", lang, hostile)
		}
		if !strings.Contains(hostile, `action="`+evilHref+`/release"`) {
			t.Errorf("%s: the hostile app's release form:\n%s", lang, hostile)
		}

		// org-c: nothing of org-b's.
		c := signInHTTP(t, w.h, "user-org-c", w.pw, lang)
		other := c.get("/sms", 200)
		if strings.Contains(other, `href="/sms/shop"`) || !strings.Contains(other, `id="sms-empty"`) || !strings.Contains(other, "/api/v1/sms/check") {
			t.Errorf("%s: org-c's /sms:\n%s", lang, other)
		}
		c.get("/sms/shop", 404)
		if st, _, body := c.post("/sms/shop/release", url.Values{"prefix": {smsPumped}}, nil); st != 404 || strings.Contains(body, smsPumped) {
			t.Errorf("LEAK: %s: org-c releasing org-b's block: %d\n%s", lang, st, body)
		}
	}
	bs, err := w.h.Hub.SMSBlocks(context.Background(), w.callers["org-b"])
	if err != nil || len(bs) != 2 {
		t.Fatalf("org-b's blocks after org-c's attempts: %+v %v", bs, err)
	}

	// A reader: no button, and refused.
	if _, err := w.h.Hub.OperatorCreateUser(context.Background(), "org-b", "reader-org-b", "Reader of org-b", intel.RoleReader, w.pw); err != nil {
		t.Fatal(err)
	}
	rd := signInHTTP(t, w.h, "reader-org-b", w.pw, "en")
	if page := rd.get("/sms/shop", 200); strings.Contains(page, `class="release"`) || !strings.Contains(page, ui.LangByCode("en").T("sms.release.cannot")) {
		t.Errorf("the reader's page offers a release:\n%s", page)
	}
	if st, _, _ := rd.post("/sms/shop/release", url.Values{"prefix": {smsPumped}}, nil); st != 403 {
		t.Errorf("the reader's release: %d, want 403", st)
	}

	// The analyst releases it; the page says so in place; a second
	// release finds nothing in force.
	b := signInHTTP(t, w.h, "user-org-b", w.pw, "ja")
	st, _, body := b.post("/sms/shop/release", url.Values{"prefix": {smsPumped}}, nil)
	if st != 200 || !strings.Contains(body, `<input type="hidden" name="next" value="/sms/shop">`) || !strings.Contains(body, `id="sms-released"`) || !strings.Contains(body, strings.ReplaceAll(ui.LangByCode("ja").T("sms.release.done", smsPumped), "+", "&#43;")) || !strings.Contains(body, `id="sms-no-blocks"`) {
		t.Errorf("the release: %d\n%s", st, body)
	}
	st, _, body = b.post("/sms/shop/release", url.Values{"prefix": {smsPumped}}, nil)
	if st != 404 || !strings.Contains(body, `id="sms-error"`) {
		t.Errorf("the second release: %d\n%s", st, body)
	}
	if st, _, body := b.post("/sms/shop/release", url.Values{"prefix": {"371<b>"}}, nil); st != 400 || !strings.Contains(body, "371&lt;b&gt;") {
		t.Errorf("a bad prefix: %d\n%s", st, body)
	}
	if bs, err := w.h.Hub.SMSBlocks(context.Background(), w.callers["org-b"]); err != nil || len(bs) != 1 || bs[0].App != evil {
		t.Errorf("org-b's blocks after the release: %+v %v", bs, err)
	}
}
