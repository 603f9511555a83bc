package misp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/observable"
)

// uuidNamespace is the UUIDv5 namespace of the uuids export derives for
// events and attributes that have none of their own.
var uuidNamespace = uuid.MustParse("07a337ba-d66f-4a04-87f9-e06528d460a8")

// exportTypes maps an observable type to the MISP type and default
// category (MISP's describeTypes sane defaults) it is exported as.
var exportTypes = map[observable.Type][2]string{
	observable.IPv4:   {"ip-dst", "Network activity"},
	observable.IPv6:   {"ip-dst", "Network activity"},
	observable.CIDR:   {"ip-dst", "Network activity"},
	observable.Domain: {"domain", "Network activity"},
	observable.Onion:  {"domain", "Network activity"},
	observable.URL:    {"url", "Network activity"},
	observable.Email:  {"email-src", "Payload delivery"},
	observable.MD5:    {"md5", "Payload delivery"},
	observable.SHA1:   {"sha1", "Payload delivery"},
	observable.SHA256: {"sha256", "Payload delivery"},
	observable.ASN:    {"AS", "Network activity"},
	observable.BTC:    {"btc", "Financial fraud"},
	observable.BIN:    {"bin", "Financial fraud"},
	observable.Phone:  {"phone-number", "Person"},
}

// ExportType returns the MISP type and category a record of type t is
// exported as. It is false for card (a keyed hash that means nothing
// outside the hub that made it), eth (MISP has no Ethereum type) and
// phone-range (MISP has no type for a number prefix, and a phone-number
// attribute would be read as one number): EventFor leaves such records out.
func ExportType(t observable.Type) (mispType, category string, ok bool) {
	tc, ok := exportTypes[t]
	return tc[0], tc[1], ok
}

// tlpColours are the colours of MISP's tlp taxonomy.
var tlpColours = map[intel.TLP]string{
	intel.Clear: "#ffffff", intel.Green: "#339900", intel.Amber: "#ffc000",
	intel.AmberStrict: "#ffc000", intel.Red: "#cc0033",
}

type outEvent struct {
	UUID         string    `json:"uuid"`
	Info         string    `json:"info"`
	Date         string    `json:"date"`
	ThreatLevel  string    `json:"threat_level_id"`
	Analysis     string    `json:"analysis"`
	Distribution string    `json:"distribution"`
	Timestamp    string    `json:"timestamp"`
	Orgc         outOrg    `json:"Orgc"`
	Tag          []outTag  `json:"Tag"`
	Attribute    []outAttr `json:"Attribute"`
}

type outOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid,omitempty"`
}

type outTag struct {
	Name   string `json:"name"`
	Colour string `json:"colour,omitempty"`
}

type outAttr struct {
	UUID         string   `json:"uuid"`
	Type         string   `json:"type"`
	Category     string   `json:"category"`
	Value        string   `json:"value"`
	ToIDs        bool     `json:"to_ids"`
	Comment      string   `json:"comment"`
	Timestamp    string   `json:"timestamp"`
	Distribution string   `json:"distribution"`
	Deleted      bool     `json:"deleted,omitempty"`
	FirstSeen    string   `json:"first_seen,omitempty"`
	LastSeen     string   `json:"last_seen,omitempty"`
	Tag          []outTag `json:"Tag,omitempty"`
}

// EventFor writes report r and its records recs as one MISP event,
// {"Event":{...}}, with scalars as MISP itself writes them (strings).
// recs MUST already be only the records the recipient may see: every one
// given is exported (revoked ones as deleted) except redacted ones and
// those ExportType refuses, and nothing else of the report's is looked up. r may be a synthetic report (a search result)
// with no ID and no Source. creator is the event's Orgc when r has no
// MISP Source. The mapping is documented in docs/misp.md ("Export").
func EventFor(r *intel.Report, recs []intel.Record, creator Org) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("misp: export: no report")
	}
	src := r.Source
	if src != nil && src.Kind != intel.SourceMISP {
		src = nil
	}
	ev := outEvent{
		UUID: eventUUID(r, src, recs), Info: r.Title,
		ThreatLevel: "4", Analysis: "2", Orgc: outOrg(creator),
	}
	tlp := eventTLP(r, recs)
	ev.Distribution = distribution(tlp)
	ts := latest(r, src, recs)
	ev.Timestamp = strconv.FormatInt(ts, 10)
	ev.Date = eventDate(r, src, ts)
	if src != nil {
		if src.Org != "" || src.OrgUUID != "" {
			ev.Orgc = outOrg{Name: src.Org, UUID: src.OrgUUID}
		}
		if src.ThreatLevel >= 1 && src.ThreatLevel <= 4 {
			ev.ThreatLevel = strconv.Itoa(src.ThreatLevel)
		}
		ev.Analysis = strconv.Itoa(src.Analysis)
	}
	ev.Tag = eventTags(r, tlp)
	ev.Attribute = attributes(src, recs, tlp, ev.UUID, ev.Timestamp)
	return json.Marshal(struct {
		Event outEvent `json:"Event"`
	}{ev})
}

// eventUUID: the MISP event's own uuid, else the report's id when it is a
// uuid, else a UUIDv5 of the sorted record ids.
func eventUUID(r *intel.Report, src *intel.Source, recs []intel.Record) string {
	if src != nil && isUUID(src.ID) {
		return strings.ToLower(src.ID)
	}
	if isUUID(r.ID) {
		return strings.ToLower(r.ID)
	}
	ids := make([]string, 0, len(recs))
	for _, rec := range recs {
		ids = append(ids, rec.ID)
	}
	slices.Sort(ids)
	return uuid.NewSHA1(uuidNamespace, []byte("event|"+r.ID+"|"+strings.Join(ids, ","))).String()
}

// eventTLP is the report's TLP; a synthetic report without one takes the
// strictest of its records' (amber when it has none).
func eventTLP(r *intel.Report, recs []intel.Record) intel.TLP {
	if r.TLP != "" {
		return r.TLP
	}
	ts := make([]intel.TLP, 0, len(recs))
	for _, rec := range recs {
		ts = append(ts, rec.TLP)
	}
	if t, ok := strictest(ts); ok {
		return t
	}
	return DefaultTLP
}

// distribution is the MISP distribution a TLP maps to: 3 (all
// communities) for clear and green, 0 (your organisation only) otherwise.
func distribution(t intel.TLP) string {
	if t == intel.Clear || t == intel.Green {
		return "3"
	}
	return "0"
}

// latest is the newest change of the report, its Source and its records,
// in epoch seconds.
func latest(r *intel.Report, src *intel.Source, recs []intel.Record) int64 {
	var ts int64
	if src != nil {
		ts = src.Timestamp
	}
	ts = max(ts, unix(r.Updated), unix(r.Created))
	for _, rec := range recs {
		ts = max(ts, unix(rec.Updated), unix(rec.Created))
	}
	return ts
}

func unix(t time.Time) int64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return t.Unix()
}

func eventDate(r *intel.Report, src *intel.Source, ts int64) string {
	switch {
	case src != nil && src.Date != "":
		return src.Date
	case !r.Created.IsZero():
		return r.Created.UTC().Format("2006-01-02")
	}
	return time.Unix(ts, 0).UTC().Format("2006-01-02")
}

func eventTags(r *intel.Report, tlp intel.TLP) []outTag {
	tags := []outTag{tlpTag(tlp)}
	for _, t := range r.Tags {
		tags = append(tags, outTag{Name: exportTagName(t)})
	}
	tags = append(tags, labelTags(r.Labels)...)
	tags = append(tags, handlingTags(r.Handling)...)
	return append(tags, audienceTags(r.Audience)...)
}

func tlpTag(t intel.TLP) outTag {
	return outTag{Name: "tlp:" + string(t), Colour: tlpColours[t]}
}

// exportTagName writes a tag as MISP names it: PAP in upper case
// (PAP:AMBER), everything else as it is.
func exportTagName(t string) string {
	if ns, rest, ok := strings.Cut(t, ":"); ok && ns == "pap" {
		return "PAP:" + strings.ToUpper(rest)
	}
	return t
}

func fusionTag(pred, value string) outTag {
	return outTag{Name: NSFusion + ":" + pred + `="` + escapeTagValue(value) + `"`}
}

func labelTags(labels []string) []outTag {
	var out []outTag
	for _, l := range labels {
		out = append(out, fusionTag("label", l))
	}
	return out
}

func handlingTags(h intel.Handling) []outTag {
	var out []outTag
	for _, c := range h.Codes {
		out = append(out, fusionTag("handling", c))
	}
	if h.Purpose != "" {
		out = append(out, textTag("purpose", h.Purpose))
	}
	if h.Conditions != "" {
		out = append(out, textTag("conditions", h.Conditions))
	}
	return out
}

// maxMISPTag is the longest tag name MISP stores (and about what
// intel.ParseTag accepts).
const maxMISPTag = 255

// textTag writes H0's purpose or H3's conditions; text too long for a MISP
// tag is replaced by a note to ask the originator (the codes themselves
// are always written).
func textTag(pred, text string) outTag {
	t := fusionTag(pred, text)
	if len(t.Name) > maxMISPTag {
		return fusionTag(pred, "too long for a MISP tag: ask the originator before any use")
	}
	return t
}

func audienceTags(a intel.Audience) []outTag {
	var out []outTag
	for _, o := range a.Orgs {
		out = append(out, fusionTag("audience-org", o))
	}
	for _, g := range a.Groups {
		out = append(out, fusionTag("audience-group", g))
	}
	return out
}

// attributes writes the records and the Source's context attributes, in
// Source order; records the Source does not name come last, in the order
// given.
func attributes(src *intel.Source, recs []intel.Record, tlp intel.TLP, eventUUID, ts string) []outAttr {
	byID := make(map[string]*intel.Record, len(recs))
	for i := range recs {
		byID[recs[i].ID] = &recs[i]
	}
	done := make(map[string]bool, len(recs))
	var out []outAttr
	if src != nil {
		for i, a := range src.Attributes {
			if a.Record == "" {
				out = append(out, contextAttr(a, tlp, eventUUID, ts, i))
				continue
			}
			// Two attributes of an event may give one record (one value):
			// each comes back with its own uuid.
			if rec := byID[a.Record]; rec != nil {
				done[rec.ID] = true
				if oa, ok := recordAttr(rec, a.UUID, tlp); ok {
					out = append(out, oa)
				}
			}
		}
	}
	for i := range recs {
		if !done[recs[i].ID] {
			done[recs[i].ID] = true
			if oa, ok := recordAttr(&recs[i], "", tlp); ok {
				out = append(out, oa)
			}
		}
	}
	if out == nil {
		out = []outAttr{}
	}
	return out
}

// contextAttr writes a Source attribute kept as context, with the event's
// timestamp. A tlp:* tag in its Tags (the importer keeps one when the
// attribute's TLP differed from the event's) sets its distribution.
func contextAttr(a intel.SourceAttribute, eventTLP intel.TLP, eventUUID, ts string, i int) outAttr {
	id := strings.ToLower(a.UUID)
	if !isUUID(id) {
		id = uuid.NewSHA1(uuidNamespace, []byte(fmt.Sprintf("context|%s|%d", eventUUID, i))).String()
	}
	oa := outAttr{UUID: id, Type: a.Type, Category: a.Category, Value: a.Value, ToIDs: a.ToIDs,
		Comment: a.Comment, Timestamp: ts, Distribution: "5",
		Deleted: strings.HasPrefix(a.Reason, "deleted")}
	if oa.Category == "" {
		oa.Category = "Other"
	}
	var tlps []intel.TLP
	for _, t := range a.Tags {
		if ns, level, ok := strings.Cut(t, ":"); ok && strings.EqualFold(ns, "tlp") {
			if l, err := tlpLevel(level); err == nil {
				tlps = append(tlps, l)
			}
		}
		oa.Tag = append(oa.Tag, outTag{Name: exportTagName(t)})
	}
	if t, ok := strictest(tlps); ok && t != eventTLP {
		oa.Distribution = distribution(t)
	}
	return oa
}

// recordAttr writes one record; ok is false for a type MISP cannot hold
// and for a redacted record (it has no value to give).
func recordAttr(rec *intel.Record, srcUUID string, eventTLP intel.TLP) (outAttr, bool) {
	typ, cat, ok := ExportType(rec.Type)
	if !ok || rec.Redacted || rec.Value == "" {
		return outAttr{}, false
	}
	oa := outAttr{UUID: recordUUID(rec.ID, srcUUID), Type: typ, Category: cat, Value: rec.Value, ToIDs: true,
		Comment: rec.Description, Timestamp: strconv.FormatInt(max(unix(rec.Updated), unix(rec.Created)), 10),
		Distribution: "5", Deleted: rec.Revoked != nil,
		FirstSeen: mispTime(rec.FirstSeen), LastSeen: mispTime(rec.LastSeen)}
	tlp, mispTLP := recordTLP(rec)
	switch {
	case mispTLP:
		oa.Distribution = "0"
		oa.Tag = append(oa.Tag, tlpTag(tlp))
	case tlp != eventTLP:
		oa.Distribution = distribution(tlp)
		oa.Tag = append(oa.Tag, tlpTag(tlp))
	}
	oa.Tag = append(oa.Tag, recordTags(rec)...)
	return oa, true
}

// recordUUID: the uuid the MISP event gave the attribute, else the record
// id (a UUIDv7), else a UUIDv5 of the id.
func recordUUID(id, srcUUID string) string {
	switch {
	case isUUID(srcUUID):
		return strings.ToLower(srcUUID)
	case isUUID(id):
		return strings.ToLower(id)
	}
	return uuid.NewSHA1(uuidNamespace, []byte("record|"+id)).String()
}

// recordTLP is the TLP a record is exported with: the one fusion:misp-tlp
// names (mispTLP true), else its own.
func recordTLP(rec *intel.Record) (tlp intel.TLP, mispTLP bool) {
	for _, t := range rec.Tags {
		pred, v, ok := strings.Cut(t, "=")
		if !ok || !strings.EqualFold(pred, MISPTLPTag) {
			continue
		}
		switch l := intel.TLP(strings.ToLower(strings.Trim(v, `"`))); l {
		case intel.Clear, intel.Green:
			return l, true
		}
	}
	return rec.TLP, false
}

// recordTags writes the record's tags (not fusion:misp-tlp) and every
// handling field as fusion and admiralty-scale tags. Handling, audience
// and labels are written even when empty (as "none"), so that the record
// does not take the event's on import.
func recordTags(rec *intel.Record) []outTag {
	var out []outTag
	for _, t := range rec.Tags {
		if pred, _, _ := strings.Cut(t, "="); strings.EqualFold(pred, MISPTLPTag) {
			continue
		}
		out = append(out, outTag{Name: exportTagName(t)})
	}
	out = append(out, labelTags(rec.Labels)...)
	if len(rec.Labels) == 0 {
		out = append(out, fusionTag("label", None))
	}
	out = append(out, handlingTags(rec.Handling)...)
	if len(rec.Handling.Codes) == 0 && rec.Handling.Purpose == "" {
		out = append(out, fusionTag("handling", None))
	}
	out = append(out, audienceTags(rec.Audience)...)
	if len(rec.Audience.Orgs)+len(rec.Audience.Groups) == 0 {
		out = append(out, fusionTag("audience", None))
	}
	out = append(out,
		fusionTag("discoverable", strconv.FormatBool(rec.Discoverable)),
		fusionTag("personal", strconv.FormatBool(rec.Personal)),
		fusionTag("confidence", strconv.Itoa(rec.Confidence)))
	if rec.Subdomains {
		out = append(out, fusionTag("subdomains", "true"))
	}
	switch ref := fusionTag("reference", rec.Reference); {
	case rec.Reference == "":
		out = append(out, fusionTag("reference", None))
	case len(ref.Name) <= maxMISPTag:
		out = append(out, ref)
	}
	if rec.ValidUntil != nil {
		out = append(out, fusionTag("valid-until", rec.ValidUntil.UTC().Format(time.RFC3339Nano)))
	}
	if e := rec.Evaluation; e.Reliability != "" {
		out = append(out, outTag{Name: NSAdmiralty + `:source-reliability="` + strings.ToLower(e.Reliability) + `"`})
	}
	if e := rec.Evaluation; e.Credibility != 0 {
		out = append(out, outTag{Name: NSAdmiralty + `:information-credibility="` + strconv.Itoa(e.Credibility) + `"`})
	}
	return out
}

// mispTime writes first_seen/last_seen as MISP does:
// 2019-06-25T15:13:44.000000+00:00.
func mispTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
}
