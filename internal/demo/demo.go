// Package demo seeds a hub with fictional organizations, groups, records and
// reports, for "fusion serve --demo", tours and UI work.
//
// Nothing here may point at a real person or network: addresses come from
// the documentation ranges (RFC 5737, RFC 3849), domains sit under the
// reserved example.com/.net/.org (RFC 2606), phone numbers are in ranges set
// aside for fiction (North American 555-0100 to 555-0199, Australian
// 0491 570 006 to 0491 570 159), card numbers use well-known test BINs,
// and wallets and onion names are random keys nobody holds.
package demo

import (
	"context"
	crand "crypto/rand"
	"crypto/sha3"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/btcsuite/btcd/btcutil/base58"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// Org is a seeded organization and the analyst token issued for it.
type Org struct {
	intel.Org
	Token string
}

// Seeded is what Seed created.
type Seeded struct {
	Orgs    []Org
	Groups  []intel.Group
	Records int
	Reports int
	// PhishURL is a seeded URL as an analyst would paste it, defanged.
	PhishURL string
	// RedRecord is the id of a red record that only police-nl may see besides its originator.
	RedRecord string
	// Sensor is a sensor token of police-nl.
	Sensor string
	// C2Value is a C2 address cert-fr shared with the police only,
	// discoverable, which police-nl's sensor has sighted.
	C2Value string
	// Detections is how many C2 detections police-nl's sensor's day of
	// network logs gave (GET /api/v1/detections, the Detections page).
	Detections int
	// SMS is what airline-azure's OTP backend asked the SMS guard (sms.go).
	SMS SMSDemo
	// ActionDay is the airline action day police-de coordinates (actionday.go).
	ActionDay ActionDayDemo
	// RulePackage is the id of the screening rule package police-de
	// shares with the airline action day's group (rules.go).
	RulePackage string
	// Password signs in to the web UI every organization's user, whose
	// login name is the organization's id (a fresh one each demo).
	Password string
}

// orgs are the demo's members; the clearinghouse runs the hub.
var orgs = []struct {
	id, name, country, sector string
	operator                  bool
}{
	{"police-nl", "Lowland Police Cyber Unit", "NL", "police", false},
	{"police-de", "Rhine Federal Cybercrime Office", "DE", "police", false},
	{"cert-fr", "Hexagone National CERT", "FR", "cert", false},
	{"cert-jp", "Kanto National CSIRT", "JP", "cert", false},
	{"bank-alpha", "Alpha Savings Bank", "GB", "bank", false},
	{"bank-nord", "Nordkap Bank", "NO", "bank", false},
	{"telco-south", "Southwave Telecom", "ES", "telco", false},
	{"airline-azure", "Azure Skies Airlines", "IE", "airline", false},
	{"airline-boreal", "Boreal Air", "FI", "airline", false},
	{"vendor-sentinel", "Sentinel Threat Labs", "US", "vendor", false},
	{"abuse-clearing", "Open Abuse Clearinghouse", "CH", "other", true},
}

var groups = []struct {
	id, name, owner string
	members         []string
}{
	{"eu-financial", "European financial sector ISAC", "bank-alpha", []string{"bank-nord", "police-nl", "cert-fr"}},
	{"otp-abuse", "OTP and SMS abuse working group", "telco-south", []string{"bank-alpha", "airline-azure", "vendor-sentinel"}},
	{"airline-action-day", "Airline action day 2026", "police-de", []string{"airline-azure", "airline-boreal", "bank-alpha", "police-nl"}},
}

// Seed fills an empty hub, which must have matching enabled, with members,
// records and reports, then with what using them leaves behind (sightings,
// feedback, a hit and an access request). It fails if the hub already has
// organizations.
func Seed(ctx context.Context, h *hub.Hub) (Seeded, error) {
	var out Seeded
	existing, err := h.OperatorOrgs(ctx)
	if err != nil {
		return out, err
	}
	if len(existing) > 0 {
		return out, fmt.Errorf("the store already holds %d organizations; the demo needs an empty one", len(existing))
	}
	callers := map[string]*policy.Caller{}
	for _, o := range orgs {
		org, err := h.OperatorCreateOrg(ctx, o.id, o.name, o.country, o.sector, o.operator)
		if err != nil {
			return out, err
		}
		secret, tok, err := h.OperatorIssueToken(ctx, o.id, intel.RoleAdmin, "demo")
		if err != nil {
			return out, err
		}
		out.Orgs = append(out.Orgs, Org{Org: org, Token: secret})
		if out.Password == "" {
			out.Password = "demo-" + crand.Text()[:16]
		}
		if _, err := h.OperatorCreateUser(ctx, o.id, o.id, "Analyst at "+o.name, intel.RoleAdmin, out.Password); err != nil {
			return out, err
		}
		callers[o.id] = &policy.Caller{Org: o.id, Role: intel.RoleAdmin, TokenID: tok.ID, Operator: o.operator}
	}
	for _, g := range groups {
		if _, err := h.OperatorCreateGroup(ctx, g.id, g.name, g.owner); err != nil {
			return out, err
		}
		var grp intel.Group
		for _, m := range g.members {
			if grp, err = h.OperatorAddMember(ctx, g.id, m); err != nil {
				return out, err
			}
		}
		out.Groups = append(out.Groups, grp)
		for _, m := range grp.Members {
			callers[m].Groups = append(callers[m].Groups, g.id)
		}
	}
	w := newWorld(time.Now().UTC())
	var all []seededRecord
	for _, batch := range w.batches() {
		res, err := h.CreateRecords(ctx, callers[batch.org], batch.records)
		if err != nil {
			return out, err
		}
		var ids []string
		for i, r := range res {
			if r.Err != nil {
				return out, fmt.Errorf("demo record %q of %s: %w", batch.records[i].Value, batch.org, r.Err)
			}
			ids = append(ids, r.Value.ID)
			all = append(all, seededRecord{batch.org, r.Value})
		}
		out.Records += len(ids)
		for i, in := range batch.records {
			switch {
			case out.PhishURL == "" && strings.HasPrefix(in.Value, "hxxps://"):
				out.PhishURL = in.Value
			case out.RedRecord == "" && in.TLP == "red":
				out.RedRecord = ids[i]
			}
		}
		if batch.report != nil {
			in := *batch.report
			in.Records = ids
			if _, err := h.CreateReport(ctx, callers[batch.org], in); err != nil {
				return out, fmt.Errorf("demo report %q: %w", in.Title, err)
			}
			out.Reports++
		}
	}
	n, err := importMISP(ctx, h, callers["cert-fr"], w.now)
	if err != nil {
		return out, err
	}
	out.Records += n
	out.Reports++
	if err := activity(ctx, h, callers, all, w.now, &out); err != nil {
		return out, err
	}
	if out.RulePackage, err = publishRules(ctx, h, callers["police-de"]); err != nil {
		return out, err
	}
	if out.SMS, err = SMSTraffic(ctx, h, "airline-azure", time.Now().UTC()); err != nil {
		return out, err
	}
	out.ActionDay, err = actionDay(ctx, h, callers, out.RulePackage)
	return out, err
}

type batch struct {
	org     string
	records []intel.RecordInput
	report  *intel.ReportInput
}

type world struct {
	now time.Time
	rng *rand.Rand
}

func newWorld(now time.Time) *world {
	return &world{now: now, rng: rand.New(rand.NewPCG(2012, 10))}
}

func (w *world) ago(days int) *time.Time {
	t := w.now.Add(-time.Duration(days)*24*time.Hour - time.Duration(w.rng.IntN(86400))*time.Second).Truncate(time.Second)
	return &t
}

func (w *world) rec(typ, value, tlp string, labels []string, conf int, desc string) intel.RecordInput {
	c := conf - 10 + w.rng.IntN(21)
	c = max(0, min(100, c))
	first := w.rng.IntN(60) + 3
	return intel.RecordInput{
		Type: typ, Value: value, TLP: tlp, Labels: labels, Confidence: &c, Description: desc,
		FirstSeen: w.ago(first), LastSeen: w.ago(w.rng.IntN(3)),
		Evaluation: &intel.Evaluation{Reliability: string(rune('A' + w.rng.IntN(3))), Credibility: 1 + w.rng.IntN(3)},
	}
}

var (
	phishWords = []string{"secure", "login", "verify", "update", "account", "support", "online", "auth", "confirm", "access", "client", "portal"}
	reserved   = []string{"example.com", "example.net", "example.org"}
	kitPaths   = []string{"/alpha/login.php", "/wp-content/alpha/index.php", "/secure/verify.html", "/a1/sms.php", "/kit/alpha/card.php"}
	areaCodes  = []string{"202", "305", "415", "646", "713", "808"}
	testPANs   = []string{"411111111111", "555555555555", "378282246310", "601111111111", "353011133330", "400000000000"}
)

func (w *world) batches() []batch {
	yes := true
	var out []batch

	// A phishing-as-a-service kit impersonating Alpha Savings Bank, seen by a vendor.
	var kit []intel.RecordInput
	for i := range 70 {
		brand := []string{"alphasavings", "alpha-savings", "alphasavlngs", "a1phasavings"}[i%4]
		word := phishWords[w.rng.IntN(len(phishWords))]
		d := fmt.Sprintf("%s-%s-%d.%s", brand, word, w.rng.IntN(900)+100, reserved[i%3])
		r := w.rec("domain", d, "green", []string{"phishing", "phishing-kit"}, 85, "lookalike domain served by the AlphaKit phishing-as-a-service panel")
		r.Discoverable = &yes
		kit = append(kit, r)
		if i%2 == 0 {
			u := "hxxps://" + strings.ReplaceAll(d, ".", "[.]") + kitPaths[w.rng.IntN(len(kitPaths))]
			kit = append(kit, w.rec("url", u, "green", []string{"phishing", "phishing-kit"}, 90, "kit landing page harvesting credentials and one-time codes"))
		}
	}
	out = append(out, batch{org: "vendor-sentinel", records: kit, report: &intel.ReportInput{
		Title: "AlphaKit: phishing-as-a-service campaign against Alpha Savings Bank", TLP: "green", Labels: []string{"phishing", "phishing-kit"},
		Description: "Lookalike domains and landing pages produced by one kit panel over eight weeks.",
	}})

	// The bank's own view, shared with its ISAC only.
	var bank []intel.RecordInput
	for i := range 30 {
		d := fmt.Sprintf("alphasavings-%s-%d.%s", phishWords[i%len(phishWords)], 1000+i, reserved[(i+1)%3])
		r := w.rec("url", "https://"+d+"/alpha/login.php?session="+hex.EncodeToString(w.bytes(4)), "amber", []string{"phishing"}, 95, "reported by customers; credentials were entered")
		r.Audience = &intel.Audience{Groups: []string{"eu-financial"}}
		r.Handling = &intel.Handling{Codes: []string{"H2"}}
		bank = append(bank, r)
	}
	out = append(out, batch{org: "bank-alpha", records: bank})

	// Botnet C2 shared by a CERT with two police forces only.
	var c2 []intel.RecordInput
	for i := range 40 {
		ip := fmt.Sprintf("%s.%d", []string{"198.51.100", "203.0.113"}[i%2], 1+w.rng.IntN(254))
		r := w.rec("ipv4", ip, "amber+strict", []string{"botnet-c2"}, 80, "C2 of a remote-access trojan; victims beacon every 60 s")
		r.Audience = &intel.Audience{Orgs: []string{"police-nl", "police-de"}}
		r.Handling = &intel.Handling{Codes: []string{"H0", "H2"}, Purpose: "criminal investigation of the RAT operators"}
		r.Discoverable = &yes
		c2 = append(c2, r)
	}
	c2 = append(c2, w.rec("cidr", "203.0.113.0/26", "amber", []string{"bulletproof-hosting"}, 70, "hosting block that ignores abuse reports"))
	c2[len(c2)-1].Audience = &intel.Audience{Groups: []string{"eu-financial"}}
	for i := range 5 {
		r := w.rec("ipv6", fmt.Sprintf("2001:db8:%x::%x", 0x100+i, 1+w.rng.IntN(0xfff)), "green", []string{"botnet-c2"}, 75, "IPv6 fallback C2")
		c2 = append(c2, r)
	}
	out = append(out, batch{org: "cert-fr", records: c2})

	// Red records: an open investigation.
	var red []intel.RecordInput
	for range 20 {
		r := w.rec("ipv4", fmt.Sprintf("192.0.2.%d", 1+w.rng.IntN(254)), "red", []string{"botnet-c2", "ransomware"}, 90, "under investigation: do not block, do not contact the hoster")
		r.Audience = &intel.Audience{Orgs: []string{"police-nl"}}
		r.Handling = &intel.Handling{Codes: []string{"H1", "H3"}, Conditions: "no judicial use before coordination with the Rhine Federal Cybercrime Office"}
		red = append(red, r)
	}
	out = append(out, batch{org: "police-de", records: red})

	// SMS pumping: sequential blocks of fictional numbers.
	var pump []intel.RecordInput
	for _, ac := range areaCodes[:4] {
		start := 100 + w.rng.IntN(50)
		for n := start; n < start+15; n++ {
			r := w.rec("phone", fmt.Sprintf("+1 (%s) 555-0%03d", ac, n), "green", []string{"sms-pumping"}, 90, "OTP requests in bursts with near-zero verification")
			r.Audience = &intel.Audience{Groups: []string{"otp-abuse"}}
			r.Discoverable = &yes
			pump = append(pump, r)
		}
	}
	for n := 6; n < 26; n++ {
		pump = append(pump, w.rec("phone", fmt.Sprintf("+61 491 570 %03d", n), "amber", []string{"sms-pumping"}, 85, "pumped range, premium termination"))
		pump[len(pump)-1].Audience = &intel.Audience{Groups: []string{"otp-abuse"}}
	}
	out = append(out, batch{org: "telco-south", records: pump, report: &intel.ReportInput{
		Title: "SMS pumping wave against OTP senders", TLP: "amber", Audience: &intel.Audience{Groups: []string{"otp-abuse"}},
		Labels: []string{"sms-pumping"}, Description: "Sequential number blocks targeted by an artificially inflated traffic campaign.",
	}})

	// Money mules: personal records, value visible to the audience only.
	var mules []intel.RecordInput
	for i := range 15 {
		r := w.rec("email", fmt.Sprintf("mule.account%02d@%s", i, reserved[i%3]), "green", []string{"money-mule"}, 70, "recruited through a fake job offer; received victim transfers")
		r.Personal = &yes
		r.Audience = &intel.Audience{Groups: []string{"eu-financial"}}
		mules = append(mules, r)
	}
	for range 10 {
		mules = append(mules, w.rec("btc", base58.CheckEncode(w.bytes(20), 0x00), "amber", []string{"money-mule", "scam"}, 80, "cash-out wallet"))
		mules[len(mules)-1].Audience = &intel.Audience{Groups: []string{"eu-financial"}}
	}
	for range 5 {
		mules = append(mules, w.rec("eth", "0x"+hex.EncodeToString(w.bytes(20)), "green", []string{"money-mule", "scam"}, 70, "investment scam deposit address"))
	}
	out = append(out, batch{org: "bank-nord", records: mules})

	// Card-not-present fraud seen by an airline, for the action day.
	var cards []intel.RecordInput
	for i := range 16 {
		r := w.rec("card", luhn(testPANs[i%len(testPANs)]+fmt.Sprintf("%03d", w.rng.IntN(1000))), "amber", []string{"card-fraud"}, 85, "used for last-minute bookings for several unrelated travellers")
		r.Audience = &intel.Audience{Groups: []string{"airline-action-day"}}
		cards = append(cards, r)
	}
	cards = append(cards, w.rec("bin", "411111", "green", []string{"card-fraud"}, 60, "BIN with an unusual share of fraudulent bookings"))
	out = append(out, batch{org: "airline-azure", records: cards})

	// Malware and ransomware, public.
	var mal []intel.RecordInput
	for i := range 25 {
		lab := []string{"malware"}
		if i%3 == 0 {
			lab = []string{"ransomware", "malware"}
		}
		mal = append(mal, w.rec("sha256", hex.EncodeToString(w.bytes(32)), "clear", lab, 95, "sample from a loader campaign"))
	}
	for range 5 {
		mal = append(mal, w.rec("md5", hex.EncodeToString(w.bytes(16)), "clear", []string{"malware"}, 90, ""))
	}
	for range 4 {
		mal = append(mal, w.rec("onion", w.onion(), "clear", []string{"ransomware", "data-leak"}, 90, "ransomware leak site"))
	}
	mal = append(mal, w.rec("asn", "AS64511", "green", []string{"bulletproof-hosting"}, 60, "hosting behind many of the samples' C2 (documentation ASN)"))
	out = append(out, batch{org: "vendor-sentinel", records: mal})

	// Scam sites from a police hotline, discoverable for hit/no-hit.
	var scam []intel.RecordInput
	for i := range 12 {
		r := w.rec("domain", fmt.Sprintf("crypto-yield-%d.%s", 10+i, reserved[i%3]), "amber", []string{"scam"}, 75, "investment fraud site reported by victims")
		r.Audience = &intel.Audience{Orgs: []string{"police-de", "cert-fr"}}
		r.Discoverable = &yes
		scam = append(scam, r)
	}
	out = append(out, batch{org: "police-nl", records: scam})

	// Scanning and Tor-related sightings from Japan.
	var jp []intel.RecordInput
	for range 10 {
		jp = append(jp, w.rec("ipv4", fmt.Sprintf("198.51.100.%d", 1+w.rng.IntN(254)), "green", []string{"scanning"}, 60, "SSH brute force against government hosts"))
	}
	jp = append(jp, w.rec("url", "http://bbs.example.org/thread/12345", "amber", []string{"botnet-c2"}, 70,
		"bulletin board thread polled by remote-control malware for commands; infected PCs posted threats in their owners' names"))
	jp[len(jp)-1].Audience = &intel.Audience{Orgs: []string{"police-nl", "police-de", "cert-fr"}}
	out = append(out, batch{org: "cert-jp", records: jp})
	return out
}

func (w *world) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.rng.UintN(256))
	}
	return b
}

// onion returns a valid v3 onion name for a random key nobody holds.
func (w *world) onion() string {
	pub := w.bytes(32)
	h := sha3.New256()
	h.Write([]byte(".onion checksum"))
	h.Write(pub)
	h.Write([]byte{3})
	sum := h.Sum(nil)
	raw := append(append(pub, sum[:2]...), 3)
	return strings.ToLower(base32.StdEncoding.EncodeToString(raw)) + ".onion"
}

// luhn appends the Luhn check digit to digits.
func luhn(digits string) string {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

// PrintWelcome tells the person who started the demo what they can do.
func PrintWelcome(out io.Writer, base, dataDir string, s Seeded) {
	fmt.Fprintf(out, "\nfusion demo hub: %s   (data in %s)\n", base, dataDir)
	fmt.Fprintf(out, "seeded %d organizations, %d groups, %d records, %d reports, and a few days of their use — all fictional\n\n", len(s.Orgs), len(s.Groups), s.Records, s.Reports)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tSECTOR\tCOUNTRY\tTOKEN (admin)")
	for _, o := range s.Orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Sector, o.Country, o.Token)
	}
	tw.Flush()
	tok := map[string]string{}
	for _, o := range s.Orgs {
		tok[o.ID] = o.Token
	}
	strings.NewReplacer(
		"{BASE}", base, "{DATA}", dataDir, "{POLICE}", tok["police-nl"], "{BANK}", tok["bank-alpha"], "{CERT}", tok["cert-fr"],
		"{SENSOR}", s.Sensor, "{PASSWORD}", s.Password, "{C2}", s.C2Value, "{PHISH}", url.QueryEscape(s.PhishURL), "{RED}", s.RedRecord, "{VISIBLE}", hub.CollectionVisible, "{MISPEVENT}", MISPEvent, "{DETECTIONS}", fmt.Sprint(s.Detections),
		"{AIRLINE}", tok["airline-azure"], "{RULES}", s.RulePackage, "{SMSREQ}", fmt.Sprint(s.SMS.Requests), "{SMSBLOCK}", s.SMS.Campaign,
		"{DAY}", s.ActionDay.ID, "{DAYBOOKINGS}", fmt.Sprint(s.ActionDay.Submitted), "{DAYNL}", fmt.Sprint(s.ActionDay.Routed["police-nl"]),
		"{DAYDE}", fmt.Sprint(s.ActionDay.Routed["police-de"]), "{POLICEDE}", tok["police-de"],
	).WriteString(out, welcome)
}

const welcome = `
The web UI, in English and Japanese: {BASE}/login — sign in as any organization's
id above (police-nl, bank-alpha, ...) with the password {PASSWORD}

Try it (each organization sees only what was shared with it):
  T={POLICE}   # police-nl
  curl -s {BASE}/api/v1/whoami -H "Authorization: Bearer $T"
  curl -s '{BASE}/api/v1/records?label=botnet-c2&limit=5' -H "Authorization: Bearer $T"
  curl -s '{BASE}/api/v1/records?value={PHISH}' -H "Authorization: Bearer $T"
  curl -s {BASE}/api/v1/reports -H "Authorization: Bearer $T"
  curl -s -X POST {BASE}/api/v1/records -H "Authorization: Bearer $T" \
       -d '{"records":[{"value":"evil-login[.]example[.]net","tlp":"amber","labels":["phishing"],"audience":{"orgs":["bank-alpha"]}}]}'
  curl -s {BASE}/api/v1/openapi.json

A red record police-nl may see answers 404 to bank-alpha:
  curl -s {BASE}/api/v1/records/{RED} -H "Authorization: Bearer $T"
  curl -s {BASE}/api/v1/records/{RED} -H "Authorization: Bearer {BANK}"

Matching: cert-fr shared C2 addresses with the police only. bank-alpha's
hit/no-hit learns that cert-fr holds one, and its access request waits for cert-fr:
  curl -s -X POST {BASE}/api/v1/hits -H "Authorization: Bearer {BANK}" -d '{"values":["{C2}","192.0.2.255"]}'
  curl -s {BASE}/api/v1/access-requests -H "Authorization: Bearer {CERT}"
police-nl's sensor posts traffic (Zeek, JSON lines or CSV) and never reads records:
  S={SENSOR}
  echo '{"ts":1764500000.5,"id.orig_h":"10.1.2.3","id.resp_h":"{C2}","id.resp_p":443}' |
       curl -s -X POST {BASE}/api/v1/events -H "Authorization: Bearer $S" --data-binary @-
  curl -s {BASE}/api/v1/sightings -H "Authorization: Bearer $S"
It also posted a day of a small office network's Zeek logs (fictional, like
everything here: documentation addresses and .example names). police-nl's C2
detections — {DETECTIONS}: a beacon, a bulletin-board poll, a DNS tunnel and
a long connection into a bulletproof-hosting block cert-fr shared — are on
its Detections page in the UI, and:
  curl -s {BASE}/api/v1/detections -H "Authorization: Bearer $S"
and cert-fr sees what its records led to:
  curl -s {BASE}/api/v1/feedback -H "Authorization: Bearer {CERT}"

airline-azure's OTP backend asked the SMS guard before sending {SMSREQ} one-time
codes over the last few hours (an sms scenario's traffic); the guard blocked a
pumping burst to the numbers under {SMSBLOCK}. Sign in as airline-azure for the SMS
guard page ({BASE}/sms): its apps, charts per hour, country and number block,
and the block with a Release button. Or:
  curl -s {BASE}/api/v1/sms/apps -H "Authorization: Bearer {AIRLINE}"

An airline action day (docs/screen.md): police-de coordinates it and shared its
screening rules (version 2) with the day's group at TLP:AMBER (the Screening rules
page, {BASE}/rules, or curl -s {BASE}/api/v1/rule-packages/{RULES} -H "Authorization: Bearer {AIRLINE}").
airline-azure and airline-boreal each screened their own bookings (a transactions
scenario's) and submitted the {DAYBOOKINGS} flagged; the hub linked them into rings across
both airlines with police-de's rules and routed {DAYNL} to police-nl and {DAYDE} to police-de
(the rest wait for police of their countries), who recorded arrests, denied
boardings and no-shows. Sign in as police-de, police-nl or an airline for the
Action days page ({BASE}/action-days), or:
  curl -s {BASE}/api/v1/action-days/{DAY}/summary -H "Authorization: Bearer {POLICEDE}"
  curl -s '{BASE}/api/v1/action-days/{DAY}/summary?format=csv' -H "Authorization: Bearer $T"
  curl -s '{BASE}/api/v1/action-days/{DAY}/bookings?country=NL' -H "Authorization: Bearer $T"

The demo's values come from documentation ranges and example.com names, so
its "documentation" and "special-domains" warning lists are off; the others
refuse values that are almost never indicators, unless forced:
  curl -s -X POST {BASE}/api/v1/records -H "Authorization: Bearer $T" -d '{"records":[{"value":"10.1.2.3","tlp":"green"}]}'

STIX 2.1 and TAXII 2.1 (docs/stix.md, docs/taxii.md): police-nl's collections,
a page of its visible collection, and everything it may see as one bundle:
  curl -s -u x:$T {BASE}/taxii2/api/collections/
  curl -s -H "Authorization: Bearer $T" '{BASE}/taxii2/api/collections/{VISIBLE}/objects/?limit=5&match[type]=indicator'
  fusion stix export --server {BASE} --token $T -o police-nl.json
Other hubs pull with a partner token and send their sightings back:
fusion federation add --help.

MISP (docs/misp.md): cert-fr imported a MISP event (fusion misp import); police-nl reads
it back as MISP, and a MISP instance adds this hub as a feed: URL {BASE}/misp/feed,
custom header "Authorization: Bearer <token>" (it gets only what that organization may see):
  curl -s {BASE}/api/v1/reports/{MISPEVENT}/misp -H "Authorization: Bearer $T"
  curl -s {BASE}/misp/feed/manifest.json -H "Authorization: Bearer $T"
  fusion misp export --server {BASE} --token $T --label phishing -o phishing-misp.json

Evidence and operations:
  curl -s '{BASE}/api/v1/evidence/entries?from=0&to=10' -H "Authorization: Bearer $T"
  curl -s {BASE}/api/v1/evidence/checkpoint -H "Authorization: Bearer $T"
  fusion evidence verify --data {DATA}
  curl -s {BASE}/healthz
  curl -s {BASE}/metrics | grep '^fusion_' | grep -v _bucket
Tor attribution needs CollecTor data: fusion tor import --data {DATA} FILES... (README.md).

Stop with Ctrl-C; the data directory is left for you to inspect or delete.
`
