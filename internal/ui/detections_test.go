package ui_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"fusion/internal/authztest"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/zeek"
)

// TestDetectionsThroughTheUI: an organization's page lists its own
// detections grouped by host — kind, destination, severity, explanation,
// times and the interval histogram drawn as SVG — in both languages;
// another organization's page shows the empty state and nothing of them.
func TestDetectionsThroughTheUI(t *testing.T) {
	w := newWorld(t)
	zr, err := zeek.NewReader(bytes.NewReader(authztest.BeaconLog("10.0.0.5", "198.18.0.9", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), 288, 5*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	sensor := &policy.Caller{Org: "org-b", Role: intel.RoleSensor}
	res, err := w.h.Hub.Detect(context.Background(), sensor, zr)
	if err != nil || res.New != 1 {
		t.Fatalf("org-b's beacon: %+v %v", res, err)
	}
	fs, err := w.h.Hub.Detections(context.Background(), w.callers["org-b"])
	if err != nil || len(fs) != 1 {
		t.Fatalf("org-b's detections: %+v %v", fs, err)
	}
	for lang, words := range map[string][]string{
		"en": {"Beacon", "Host", "First seen", "Intervals between connections to 198.18.0.9"},
		"ja": {"ビーコン", "ホスト", "初回観測", "198.18.0.9 への接続間隔"},
	} {
		b := signInHTTP(t, w.h, "user-org-b", w.pw, lang)
		page := b.get("/detections", 200)
		for _, want := range append(words,
			`<code dir="ltr">10.0.0.5</code>`, `<code dir="ltr">198.18.0.9</code>`,
			`class="sev sev-`+fs[0].Severity+`"`, `<svg xmlns="http://www.w3.org/2000/svg" class="chart"`,
			`<blockquote class="verdict explanation" lang="en" dir="ltr">`+fs[0].Explanation+`</blockquote>`,
			fs[0].UIDs[0], `<a href="/detections" aria-current="page">`) {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q:\n%s", lang, want, page)
			}
		}
		if strings.Contains(page, `id="detections-empty"`) {
			t.Errorf("%s: org-b's page shows the empty state", lang)
		}

		c := signInHTTP(t, w.h, "user-org-c", w.pw, lang)
		other := c.get("/detections", 200)
		if strings.Contains(other, "10.0.0.5") || strings.Contains(other, "198.18.0.9") {
			t.Errorf("LEAK: %s: org-c's page shows org-b's detection:\n%s", lang, other)
		}
		if !strings.Contains(other, `id="detections-empty"`) || !strings.Contains(other, "/api/v1/events") || !strings.Contains(other, "fusion detect c2") {
			t.Errorf("%s: org-c's page does not explain how to feed logs:\n%s", lang, other)
		}
	}

	// An upload on the sensors page feeds the organization's detector as
	// the API does, and says so.
	if _, err := w.h.Hub.OperatorCreateUser(context.Background(), "org-c", "admin-org-c", "Admin of org-c", intel.RoleAdmin, w.pw); err != nil {
		t.Fatal(err)
	}
	adm := signInHTTP(t, w.h, "admin-org-c", w.pw, "en")
	st, body := adm.upload("conn.log", authztest.BeaconLog("10.0.0.77", "198.18.0.10", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), 288, 5*time.Minute))
	if st != 200 || !strings.Contains(body, `id="sensors-detect"`) || !strings.Contains(body, "Detections now: 1 (new: 1).") {
		t.Fatalf("org-c's upload: %d\n%s", st, body)
	}
	if page := adm.get("/detections", 200); !strings.Contains(page, "198.18.0.10") || strings.Contains(page, "198.18.0.9") {
		t.Errorf("org-c's detections after its upload:\n%s", page)
	}
}
