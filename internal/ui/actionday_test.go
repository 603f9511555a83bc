package ui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"fusion/internal/api"
	"fusion/internal/intel"
	"fusion/internal/server/servertest"
	"fusion/internal/ui"
)

// adPassword is every action-day user's password.
const adPassword = "correct horse battery staple"

// actionDayHub is a real hub with a coordinator, two airlines and two
// police organizations in group g-ad, a third police organization and a
// bank outside it, each with an analyst user-<org>.
func actionDayHub(t *testing.T) *servertest.Hub {
	t.Helper()
	ctx := context.Background()
	h := servertest.Start(t)
	for _, o := range []struct{ id, name, country, sector string }{
		{"coord", "Europol EC3", "NL", "other"}, {"air-fr", "Air France", "FR", "airline"}, {"air-de", "Lufthansa", "DE", "airline"},
		{"police-fr", "Police nationale", "FR", "police"}, {"police-de", "Bundeskriminalamt", "DE", "police"},
		{"police-es", "Policía Nacional", "ES", "police"}, {"bank-x", "Banque X", "FR", "bank"},
	} {
		if _, err := h.Hub.OperatorCreateOrg(ctx, o.id, o.name, o.country, o.sector, false); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Hub.OperatorCreateUser(ctx, o.id, "user-"+o.id, "User of "+o.id, intel.RoleAnalyst, adPassword); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Hub.OperatorCreateGroup(ctx, "g-ad", "Airline action day 2026", "coord"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"air-fr", "air-de", "police-fr", "police-de"} {
		if _, err := h.Hub.OperatorAddMember(ctx, "g-ad", m); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// Clear values the test's bookings carry; none may reach a page.
const (
	adCard   = "4970101234567890"
	adHolder = "Dupont / Marie-Claire"
)

// adFields are a booking's fields with clear names and card number: bought
// hours before departure from an address in Thailand, far from the card's
// country and both airports, by someone other than the traveller.
func adFields(id, origin, originCountry, carrier string, booked time.Time, traveller string) [][2]string {
	return [][2]string{{"id", id}, {"booked", booked.Format(time.RFC3339)}, {"departure", booked.Add(20 * time.Hour).Format(time.RFC3339)},
		{"origin", origin}, {"destination", "JFK"}, {"origin_country", originCountry}, {"destination_country", "US"},
		{"bin_country", "FR"}, {"ip_country", "TH"}, {"client_ip", "203.0.113.7"}, {"cardholder_name", adHolder},
		{"traveller_name", traveller}, {"booker", strings.Repeat("ab", 32)}, {"card_number", adCard},
		{"amount", "812.40"}, {"currency", "EUR"}, {"channel", "web"}, {"airline", carrier}}
}

// adJSONL writes bookings as JSON lines.
func adJSONL(bookings ...[][2]string) string {
	var b strings.Builder
	for _, fs := range bookings {
		b.WriteString("{")
		for i, f := range fs {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q:%q", f[0], f[1])
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// adCSV writes bookings as CSV with a header row.
func adCSV(bookings ...[][2]string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	var head []string
	for _, f := range bookings[0] {
		head = append(head, f[0])
	}
	w.Write(head)
	for _, fs := range bookings {
		var rec []string
		for _, f := range fs {
			rec = append(rec, f[1])
		}
		w.Write(rec)
	}
	w.Flush()
	return b.String()
}

// uploadBookings posts file as the bookings field of a multipart form with the
// session's CSRF token, and returns the status and the body.
func (c *uiClient) uploadBookings(path, name, file, format string) (int, string) {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf())
	if format != "" {
		mw.WriteField("format", format)
	}
	if name != "" {
		fw, err := mw.CreateFormFile("bookings", name)
		if err != nil {
			c.t.Fatal(err)
		}
		io.WriteString(fw, file)
	}
	mw.Close()
	r, err := http.NewRequest("POST", c.base+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Accept-Language", c.lang)
	r.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: c.token})
	resp, err := noRedirect.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// contains fails t for each of wants that page lacks.
func contains(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) && !strings.Contains(page, html.EscapeString(w)) {
			t.Errorf("%s lacks %q:\n%s", what, w, page)
		}
	}
}

var dayPath = regexp.MustCompile(`^/action-days/([^/]+)$`)

// TestActionDayThroughTheUI walks an action day through its pages: the
// coordinator opens it (a bad day is refused in place); an airline uploads
// JSON lines and another CSV, and sees what was routed where; a bad file
// is refused naming its line; each police organization sees its own
// country's package only (another country's is not found) and records an
// outcome, which the airline sees read-only; an airline may not record
// one; the coordinator names the police of a country whose bookings wait,
// and changes the day's name and handling (only the coordinator may);
// the summary adds up and exports the API's CSV; an outsider gets the 404
// page everywhere; no clear name or card number reaches a page; every
// page in both languages has every key.
func TestActionDayThroughTheUI(t *testing.T) {
	h := actionDayHub(t)
	en, ja := ui.LangByCode("en"), ui.LangByCode("ja")
	coord := signInHTTP(t, h, "user-coord", adPassword, "en")

	// Open the day: a bad day first, refused in place with the name kept.
	list := coord.get("/action-days", 200)
	contains(t, "the coordinator's /action-days", list, `<a href="/action-days" aria-current="page">`, `id="action-day-form"`,
		`<option value="g-ad">Airline action day 2026</option>`, `name="handling" value="H1"`, en.T("actionday.list.none"))
	st, _, body := coord.post("/action-days", url.Values{"name": {"Global Airline Action Day"}, "day": {"1 December"}, "group": {"g-ad"}}, nil)
	if st != 400 || !strings.Contains(body, `id="actionday-error"`) || !strings.Contains(body, `day: &#34;1 December&#34;: not a date`) || !strings.Contains(body, `value="Global Airline Action Day"`) {
		t.Fatalf("a bad day: %d\n%s", st, body)
	}
	st, loc, body := coord.post("/action-days", url.Values{"name": {"Global Airline Action Day"}, "day": {"2026-12-01"}, "group": {"g-ad"}, "handling": {"H1"}}, nil)
	m := dayPath.FindStringSubmatch(loc)
	if st != 303 || m == nil {
		t.Fatalf("opening the day: %d %q\n%s", st, loc, body)
	}
	id, dayHref := m[1], loc
	page := coord.get(dayHref, 200)
	contains(t, "the coordinator's day", page, "Global Airline Action Day", "2026-12-01", `<span class="tlp tlp-amber" title=`,
		"H1: "+en.T("handling.h1"), `<th scope="row">FR</th><td>Police nationale</td>`, `<th scope="row">DE</th><td>Bundeskriminalamt</td>`,
		`id="police-form"`, `<option value="police-es">ES · Policía Nacional</option>`, en.T("actionday.role.coordinator"), `id="packages-none"`)
	if strings.Contains(page, `id="upload-form"`) {
		t.Error("the coordinator is offered the upload")
	}
	if list := coord.get("/action-days", 200); !strings.Contains(list, `<a href="`+dayHref+`">Global Airline Action Day</a>`) || !strings.Contains(list, `<td>Europol EC3</td>`) {
		t.Errorf("the listing after opening:\n%s", list)
	}

	// Airlines submit: air-fr JSON lines (three from Paris, one from
	// Madrid, whose police is not named), air-de CSV.
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var fr, de [][][2]string
	for i := range 3 {
		fr = append(fr, adFields(fmt.Sprintf("AF%d", i), "CDG", "FR", "AF", t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("MULE/%d", i)))
	}
	fr = append(fr, adFields("AF9", "MAD", "ES", "AF", t0.Add(5*time.Hour), "MULE/9"))
	for i := range 2 {
		de = append(de, adFields(fmt.Sprintf("LH%d", i), "FRA", "DE", "LH", t0.Add(time.Duration(i)*time.Hour+30*time.Minute), fmt.Sprintf("MULE/%d", 10+i)))
	}
	airFR := signInHTTP(t, h, "user-air-fr", adPassword, "en")
	page = airFR.get(dayHref, 200)
	contains(t, "air-fr's day", page, `id="upload-form"`, `enctype="multipart/form-data"`, en.T("actionday.upload.privacy"), "fusion screen --in bookings.jsonl --flagged flagged.jsonl",
		en.T("actionday.role.airline"))
	if strings.Contains(page, `id="police-form"`) {
		t.Error("an airline is offered the police form")
	}
	bad := strings.Replace(adJSONL(fr[0]), `"origin_country":"FR"`, `"origin_country":"France"`, 1)
	if st, body := airFR.uploadBookings(dayHref+"/bookings", "flagged.jsonl", bad, "auto"); st != 400 || !strings.Contains(body, `id="actionday-error"`) || !strings.Contains(body, "line 1") || !strings.Contains(body, "origin_country") {
		t.Errorf("a bad file: %d\n%s", st, body)
	}
	if st, body := airFR.uploadBookings(dayHref+"/bookings", "big.jsonl", strings.Repeat(adJSONL(fr[0]), api.MaxSubmitBody/len(adJSONL(fr[0]))+100), ""); st != 413 {
		t.Errorf("a file over the API's bound: %d\n%s", st, body)
	}
	if st, _, _ := airFR.do("POST", dayHref+"/police", url.Values{"country": {"ES"}, "police": {"police-es"}}, nil); st != 403 {
		t.Errorf("a form without its CSRF token: %d", st)
	}
	if st, body := airFR.uploadBookings(dayHref+"/bookings", "", "", ""); st != 400 || !strings.Contains(body, en.T("actionday.upload.nofile")) {
		t.Errorf("no file: %d\n%s", st, body)
	}
	st, body = airFR.uploadBookings(dayHref+"/bookings", "flagged.jsonl", adJSONL(fr...), "auto")
	contains(t, "air-fr's upload", body, `id="upload-result"`, en.T("actionday.upload.done", "flagged.jsonl", 4, 0),
		en.T("actionday.upload.routed", 3, "Police nationale"), en.T("actionday.upload.unrouted", 1, "ES"))
	if st != 200 {
		t.Errorf("air-fr's upload: %d", st)
	}
	if st, body := airFR.uploadBookings(dayHref+"/bookings", "flagged.jsonl", adJSONL(fr[0]), "jsonl"); st != 200 || !strings.Contains(body, en.T("actionday.upload.done", "flagged.jsonl", 0, 1)) {
		t.Errorf("air-fr again: %d\n%s", st, body)
	}
	airDE := signInHTTP(t, h, "user-air-de", adPassword, "ja")
	if st, body := airDE.uploadBookings(dayHref+"/bookings", "flagged.csv", adCSV(de...), "auto"); st != 200 || !strings.Contains(body, ja.T("actionday.upload.done", "flagged.csv", 2, 0)) {
		t.Errorf("air-de's CSV: %d\n%s", st, body)
	}

	// The police: each its own country's package only.
	polFR := signInHTTP(t, h, "user-police-fr", adPassword, "en")
	page = polFR.get(dayHref, 200)
	contains(t, "police-fr's day", page, `<a href="`+dayHref+`/packages/FR">FR</a>`, en.T("actionday.role.police"))
	if strings.Contains(page, "/packages/DE") || strings.Contains(page, "/packages/ES") || strings.Contains(page, `id="upload-form"`) {
		t.Errorf("LEAK: police-fr's day links other packages or offers the upload:\n%s", page)
	}
	polFR.get(dayHref+"/packages/DE", 404)
	polFR.get(dayHref+"/packages/ES", 404)
	polFR.get(dayHref+"/packages/XX", 404)
	pkg := polFR.get(dayHref+"/packages/FR", 200)
	contains(t, "police-fr's package", pkg, "H1: "+en.T("handling.h1"), `<span class="tlp tlp-amber" title=`, "AF0", "AF1", "AF2", "Air France",
		"CDG → JFK", en.T("actionday.rule.third-party"), "ring-air-fr/AF0", en.T("actionday.ring.size", 3, 1, 1),
		`<form method="post" action="`+dayHref+`/outcomes" class="outcome-form">`, `<option value="denied-boarding">`+en.T("actionday.outcome.denied-boarding")+`</option>`)
	if n := strings.Count(pkg, `class="outcome-form"`); n != 3 {
		t.Errorf("police-fr has %d outcome forms, want 3", n)
	}
	if strings.Contains(pkg, "LH0") || strings.Contains(pkg, "AF9") {
		t.Errorf("LEAK: police-fr's package holds another country's booking:\n%s", pkg)
	}
	st, _, body = polFR.post(dayHref+"/outcomes", url.Values{"country": {"FR"}, "airline": {"air-fr"}, "booking": {"AF0"}, "outcome": {"arrest"}, "note": {"arrested at the gate"}}, nil)
	if st != 200 {
		t.Errorf("police-fr records an arrest: %d", st)
	}
	contains(t, "police-fr's package after the arrest", body, `id="outcome-recorded"`, en.T("actionday.outcome.done", "AF0"),
		`<span class="outcome outcome-arrest">`+en.T("actionday.outcome.arrest")+`</span>`, "arrested at the gate", `<option value="arrest" selected>`,
		`<input type="hidden" name="next" value="`+dayHref+`/packages/FR">`)
	st, _, body = polFR.post(dayHref+"/outcomes", url.Values{"country": {"FR"}, "airline": {"air-fr"}, "booking": {"AF1"}, "outcome": {"jailed"}}, nil)
	if st != 400 || !strings.Contains(body, `id="package-error"`) || !strings.Contains(body, "jailed") {
		t.Errorf("a bad outcome: %d\n%s", st, body)
	}
	polDE := signInHTTP(t, h, "user-police-de", adPassword, "ja")
	if st, _, body := polDE.post(dayHref+"/outcomes", url.Values{"country": {"DE"}, "airline": {"air-de"}, "booking": {"LH0"}, "outcome": {"denied-boarding"}}, nil); st != 200 ||
		!strings.Contains(body, ja.T("actionday.outcome.denied-boarding")) {
		t.Errorf("police-de denies boarding: %d\n%s", st, body)
	}
	// police-de may not touch a French booking: it does not exist for it.
	if st, _, body := polDE.post(dayHref+"/outcomes", url.Values{"country": {"DE"}, "airline": {"air-fr"}, "booking": {"AF1"}, "outcome": {"no-show"}}, nil); st != 404 || strings.Contains(body, "AF1") {
		t.Errorf("LEAK: police-de records a French booking: %d\n%s", st, body)
	}
	if st, body := polFR.uploadBookings(dayHref+"/bookings", "flagged.jsonl", adJSONL(fr[0]), ""); st != 403 || !strings.Contains(body, en.T("actionday.forbidden.submit")) {
		t.Errorf("police-fr uploads: %d\n%s", st, body)
	}

	// The airline sees the outcome read-only and may not record one.
	pkg = airFR.get(dayHref+"/packages/FR", 200)
	contains(t, "air-fr's package", pkg, `<span class="outcome outcome-arrest">`+en.T("actionday.outcome.arrest")+`</span>`, "arrested at the gate", "Police nationale")
	if strings.Contains(pkg, `class="outcome-form"`) {
		t.Errorf("air-fr is offered the outcome form:\n%s", pkg)
	}
	airFR.get(dayHref+"/packages/DE", 404)
	if st, _, body := airFR.post(dayHref+"/outcomes", url.Values{"country": {"FR"}, "airline": {"air-fr"}, "booking": {"AF1"}, "outcome": {"arrest"}}, nil); st != 403 || !strings.Contains(body, en.T("actionday.forbidden.outcome")) {
		t.Errorf("air-fr records an outcome: %d\n%s", st, body)
	}

	// The coordinator names the police of Spain; the waiting booking goes to it.
	page = coord.get(dayHref, 200)
	contains(t, "the coordinator's packages", page, `<a href="`+dayHref+`/packages/ES">ES</a>`, en.T("actionday.police.unrouted"))
	if st, _, body := coord.post(dayHref+"/police", url.Values{"country": {"es"}, "police": {"bank-x"}}, nil); st != 400 || !strings.Contains(body, "not a police organization") {
		t.Errorf("a bank as police: %d\n%s", st, body)
	}
	if st, _, body := airFR.post(dayHref+"/police", url.Values{"country": {"ES"}, "police": {"police-es"}}, nil); st != 403 || !strings.Contains(body, en.T("actionday.forbidden.police")) {
		t.Errorf("an airline names police: %d\n%s", st, body)
	}
	st, _, body = coord.post(dayHref+"/police", url.Values{"country": {"es"}, "police": {"police-es"}}, nil)
	if st != 200 || !strings.Contains(body, html.EscapeString(en.T("actionday.police.done", "ES"))) || !strings.Contains(body, `<th scope="row">ES</th><td>Policía Nacional</td>`) {
		t.Errorf("naming police-es: %d\n%s", st, body)
	}
	polES := signInHTTP(t, h, "user-police-es", adPassword, "en")
	if pkg := polES.get(dayHref+"/packages/ES", 200); !strings.Contains(pkg, "AF9") || strings.Contains(pkg, "AF0") {
		t.Errorf("police-es's package:\n%s", pkg)
	}

	// The coordinator changes the day's settings: the form starts from
	// them (H1 ticked, the built-in rules); a bad code is refused in
	// place; a new name and handling show to the police; an airline may
	// not change them; a name left empty is kept.
	contains(t, "the coordinator's settings form", page, `id="settings-form"`, `action="`+dayHref+`/settings"`, `value="H1" checked`,
		`<option value="">`+en.T("actionday.new.rules.builtin"))
	for who, c := range map[string]*uiClient{"airline": airFR, "police": polFR} {
		if strings.Contains(c.get(dayHref, 200), `id="settings-form"`) {
			t.Errorf("the %s is offered the settings form", who)
		}
	}
	if st, _, body := coord.post(dayHref+"/settings", url.Values{"handling": {"H9"}}, nil); st != 400 || !strings.Contains(body, "H9") || !strings.Contains(body, `id="actionday-error"`) {
		t.Errorf("a bad handling code: %d\n%s", st, body)
	}
	if st, _, body := airFR.post(dayHref+"/settings", url.Values{"name": {"Taken over"}, "handling": {"H3"}}, nil); st != 403 || !strings.Contains(body, en.T("actionday.forbidden.change")) {
		t.Errorf("an airline changes the day: %d\n%s", st, body)
	}
	st, _, body = coord.post(dayHref+"/settings", url.Values{"name": {"Global Airline Action Day 2026"}, "handling": {"H2", "H3"}, "purpose": {"arrests at airports"}, "conditions": {"ask EC3 before any court use"}}, nil)
	if st != 200 || !strings.Contains(body, `id="actionday-changed"`) || !strings.Contains(body, "Global Airline Action Day 2026") {
		t.Errorf("changing the settings: %d\n%s", st, body)
	}
	contains(t, "police-fr's package after the change", polFR.get(dayHref+"/packages/FR", 200), "H2", "H3", "arrests at airports", "ask EC3 before any court use", "Global Airline Action Day 2026")
	if st, _, body := coord.post(dayHref+"/settings", url.Values{"name": {""}, "handling": {"H2", "H3"}, "purpose": {"arrests at airports"}, "conditions": {"ask EC3 before any court use"}}, nil); st != 200 || !strings.Contains(body, "Global Airline Action Day 2026") {
		t.Errorf("a name left empty: %d\n%s", st, body)
	}

	// The summary: the coordinator's is the day's; police-fr's its own.
	sum := coord.get(dayHref+"/summary", 200)
	contains(t, "the coordinator's summary", sum, `<span class="figure">6</span>`, `<span class="figure">2</span>`, en.T("actionday.summary.stopped"),
		`href="`+dayHref+`/summary.csv"`, `<tr class="total"><th scope="row">`+en.T("actionday.summary.total")+`</th><td></td><td></td><td class="num">6</td><td class="num">1</td><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">4</td></tr>`,
		`<th scope="row">Lufthansa</th><td class="num">2</td><td class="num">0</td><td class="num">1</td>`)
	st, _, csvBody := coord.do("GET", dayHref+"/summary.csv", nil, nil)
	recs, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if st != 200 || err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != strings.Join(api.SummaryHeader(), ",") ||
		strings.Join(recs[len(recs)-1], ",") != "*,*,,6,1,1,0,0,4" {
		t.Errorf("the CSV: %d %v\n%s", st, err, csvBody)
	}
	sum = polFR.get(dayHref+"/summary", 200)
	if !strings.Contains(sum, `<span class="figure">3</span>`) || strings.Contains(sum, "Lufthansa") || strings.Contains(sum, `<th scope="row">DE</th>`) {
		t.Errorf("LEAK: police-fr's summary:\n%s", sum)
	}

	// An outsider: the 404 page everywhere, and not in its list.
	bank := signInHTTP(t, h, "user-bank-x", adPassword, "en")
	if list := bank.get("/action-days", 200); strings.Contains(list, id) || strings.Contains(list, "Global Airline") {
		t.Errorf("LEAK: the bank's list:\n%s", list)
	}
	for _, p := range []string{dayHref, dayHref + "/packages/FR", dayHref + "/summary", dayHref + "/summary.csv"} {
		if st, _, body := bank.do("GET", p, nil, nil); st != 404 || strings.Contains(body, "AF0") || strings.Contains(body, "Global Airline") {
			t.Errorf("LEAK: the bank gets %s: %d\n%s", p, st, body)
		}
	}
	if st, _, body := bank.post(dayHref+"/outcomes", url.Values{"country": {"FR"}, "airline": {"air-fr"}, "booking": {"AF1"}, "outcome": {"arrest"}}, nil); st != 404 || strings.Contains(body, "AF1") {
		t.Errorf("LEAK: the bank records an outcome: %d\n%s", st, body)
	}
	if st, body := bank.uploadBookings(dayHref+"/bookings", "flagged.jsonl", adJSONL(fr[0]), ""); st != 404 {
		t.Errorf("the bank uploads: %d\n%s", st, body)
	}

	// Hostile values: a day's name, a booking reference and a file name
	// come out inert.
	evil := "<script>alert(1)</script>\u202Eyad"
	st, loc, body = coord.post("/action-days", url.Values{"name": {evil}, "day": {"2026-12-02"}, "group": {"g-ad"}}, nil)
	if st != 303 {
		t.Fatalf("opening the hostile day: %d\n%s", st, body)
	}
	hostile := adFields(`<img/src=x/onerror=alert(1)>`, "CDG", "FR", "AF", t0, "MULE/20")
	if st, body := airFR.uploadBookings(loc+"/bookings", "<b>x</b>\u202E.jsonl", adJSONL(hostile), "jsonl"); st != 200 || strings.Contains(body, "<b>x</b>") || strings.Contains(body, "\u202E") {
		t.Errorf("the hostile upload: %d\n%s", st, body)
	}
	for _, p := range []string{"/action-days", loc, loc + "/packages/FR", loc + "/summary"} {
		body := coord.get(p, 200)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img/src=x") || strings.Contains(body, "\u202E") {
			t.Errorf("%s shows a hostile value as it is:\n%s", p, body)
		}
	}
	st, _, body = signInHTTP(t, h, "user-police-fr", adPassword, "en").post(loc+"/outcomes", url.Values{"country": {"FR"}, "airline": {"air-fr"}, "booking": {`<img/src=x/onerror=alert(1)>`}, "outcome": {"no-show"}}, nil)
	if st != 200 || !strings.Contains(body, `id="outcome-recorded"`) || strings.Contains(body, "<img/src=x") || strings.Contains(body, "\u202E") {
		t.Errorf("the hostile booking's outcome: %d\n%s", st, body)
	}

	// Every page in both languages: no missing key (get checks), no clear
	// name or card number.
	for _, lang := range []string{"en", "ja"} {
		for _, who := range []string{"coord", "air-fr", "police-fr"} {
			c := signInHTTP(t, h, "user-"+who, adPassword, lang)
			for _, p := range []string{"/action-days", dayHref, dayHref + "/packages/FR", dayHref + "/summary"} {
				body := c.get(p, 200)
				for _, clear := range []string{adCard[:10], "Dupont", "DUPONT", "MULE"} {
					if strings.Contains(body, clear) {
						t.Errorf("%s's %s (%s) shows %q", who, p, lang, clear)
					}
				}
			}
		}
	}
}
