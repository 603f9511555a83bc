package ui

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/screen"
	"fusion/internal/sms"
)

// templateKeys returns every key a template passes to T as a literal.
func templateKeys(t *testing.T) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`\bT\s+"([^"]+)"`)
	keys := map[string]string{}
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 20 {
		t.Fatalf("found only %d translation calls in the templates: is the scan broken?", len(keys))
	}
	return keys
}

// codeKeys returns the catalogue keys the package's Go code names as
// literals (page titles, error messages), and the keys helpers derive.
func codeKeys(t *testing.T) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`"((?:layout|nav|login|about|notfound|tlp|handling|value|submit|reports?|reportnew|hits|access|feedback|tor|orgs|groups?|directory|detections|sms|actionday)\.[a-z0-9.\-]+)"`)
	keys := map[string]string{}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".html") { // view names, not keys
				keys[m[1]] = f
			}
		}
	}
	for _, tl := range intel.TLPs {
		keys[tlpKey(tl)] = "helpers.go (TLPBadge)"
	}
	for _, h := range []string{intel.H0, intel.H1, intel.H2, intel.H3} {
		keys["handling."+strings.ToLower(h)] = "helpers.go (HCode)"
	}
	// Hit/no-hit, access requests and feedback derive keys from the hub's
	// match rules, request statuses and outcomes.
	for _, r := range match.Rules {
		keys["hits.rule."+string(r)] = "hits.html (match rules)"
	}
	for _, st := range []string{"pending", "approved", "denied"} {
		keys["access.status."+st] = "access.html (request statuses)"
	}
	for _, o := range hub.Outcomes {
		keys["feedback.outcome."+o] = "feedback.html, record.html (hub.Outcomes)"
	}
	for _, r := range sms.Reasons(^uint32(0)).Names() {
		keys["sms.reason."+r] = "sms.go (smsReason: sms reasons)"
	}
	// The action-day pages derive keys from the hub's outcomes and the
	// built-in rule package's rules.
	for _, o := range hub.ActionDayOutcomes {
		keys["actionday.outcome."+o] = "actionday_package.html, actionday_summary.html (hub.ActionDayOutcomes)"
	}
	for _, r := range screen.Default().Rules {
		keys["actionday.rule."+r.ID] = "actionday.go (ruleReason: the built-in rule package)"
	}
	for _, sec := range intel.Sectors {
		keys["sector."+string(sec)] = "orgs.html, groups.html (intel.Sectors)"
	}
	return keys
}

// TestCataloguesComplete fails when a key a template or the code uses is
// missing from a catalogue, when a key of one catalogue is missing from
// the other, or when a message's fmt verbs differ between the languages.
func TestCataloguesComplete(t *testing.T) {
	used := templateKeys(t)
	for k, v := range codeKeys(t) {
		used[k] = v
	}
	for _, l := range Langs {
		for k, where := range used {
			if !l.Has(k) {
				t.Errorf("%s: key %q (used in %s) is missing", l.Code, k, where)
			}
		}
	}
	verbs := regexp.MustCompile(`%(\[\d+\])?[a-z]`)
	for _, a := range Langs {
		for _, b := range Langs {
			if a == b {
				continue
			}
			for _, k := range a.Keys() {
				if !b.Has(k) {
					t.Errorf("key %q is in %s but not in %s", k, a.Code, b.Code)
					continue
				}
				va, vb := verbs.FindAllString(a.msgs[k], -1), verbs.FindAllString(b.msgs[k], -1)
				slices.Sort(va)
				slices.Sort(vb)
				if !slices.Equal(va, vb) {
					t.Errorf("key %q: verbs %v in %s, %v in %s", k, va, a.Code, vb, b.Code)
				}
			}
		}
		for _, k := range a.Keys() {
			if strings.TrimSpace(a.msgs[k]) == "" {
				t.Errorf("%s: key %q is empty", a.Code, k)
			}
		}
	}
}

func TestMissingKeyIsVisible(t *testing.T) {
	if got := Langs[0].T("no.such.key"); got != "⟦no.such.key⟧" || !strings.HasPrefix(got, MissingMarker) {
		t.Errorf("missing key shows as %q", got)
	}
}

func TestChooseLang(t *testing.T) {
	for _, tc := range []struct {
		accept, cookie, want string
	}{
		{"", "", "en"},
		{"ja-JP,ja;q=0.9,en;q=0.8", "", "ja"},
		{"ja", "", "ja"},
		{"en-GB,en;q=0.9", "", "en"},
		{"fr-FR,fr;q=0.9", "", "en"},
		{"fr, ja;q=0.5", "", "ja"},
		{"en;q=0.9, ja;q=0.1", "", "en"},
		{"ja", "en", "en"},
		{"en", "ja", "ja"},
		{"ja", "xx", "ja"},
		{"\x00<script>;q=abc", "", "en"},
		{strings.Repeat("ja,", 1000), "", "en"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.Header.Set("Cookie", LangCookie+"="+tc.cookie)
		}
		if got := ChooseLang(r).Code; got != tc.want {
			t.Errorf("Accept-Language %.30q, cookie %q: %s, want %s", tc.accept, tc.cookie, got, tc.want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	at := time.Date(2026, 11, 30, 19, 5, 0, 0, time.UTC)
	en, ja := LangByCode("en"), LangByCode("ja")
	for _, tc := range []struct {
		loc  *time.Location
		lang *Lang
		want string
	}{
		{nil, en, "2026-11-30 19:05 UTC"},
		{time.UTC, ja, "2026年11月30日 19:05 UTC"},
		{ams, en, "2026-11-30 20:05 CET (19:05 UTC)"},
		{tokyo, en, "2026-12-01 04:05 JST (2026-11-30 19:05 UTC)"},
		{tokyo, ja, "2026年12月1日 04:05 JST（2026-11-30 19:05 UTC）"},
	} {
		if got := FormatTime(at, tc.loc, tc.lang); got != tc.want {
			t.Errorf("%v %s: %q, want %q", tc.loc, tc.lang.Code, got, tc.want)
		}
	}
	if got := FormatTime(time.Time{}, tokyo, en); got != "—" {
		t.Errorf("zero time: %q", got)
	}
	if got := string(timeHTML(at, tokyo, en)); got != `<time datetime="2026-11-30T19:05:00Z">2026-12-01 04:05 JST (2026-11-30 19:05 UTC)</time>` {
		t.Errorf("timeHTML: %s", got)
	}
}
