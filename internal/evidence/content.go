package evidence

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/canonical"
	"fusion/internal/store"
)

// The content of each kind of object, as its leaves hash it: RFC 8785
// canonical JSON written by hand from the row as stored (store's row types),
// never from the API's structs, so that a field added to an API type does
// not change what old leaves hash. Each encoder is versioned by the leaf
// format (Format); within a format an encoder may only gain members that it
// omits at their zero value, so that content written before the member
// existed hashes the same afterwards. TestContentEncodersKnowEveryField
// fails when a row type gains a field its encoder does not know of, and
// testdata/content.json holds golden vectors.
//
// A record's content is its stored body (store.Encode). Tor data has no
// content of its own: its hash is store.TorDigest over every Tor row.

// object writes a canonical JSON object; members must come in code-point
// order of their names.
type object struct {
	b     []byte
	first bool
}

func newObject() *object { return &object{b: append(make([]byte, 0, 256), '{'), first: true} }

func (o *object) key(name string) *object {
	o.b = canonical.Member(o.b, name, &o.first)
	return o
}

func (o *object) str(name, v string) *object { o.key(name); o.b = canonical.String(o.b, v); return o }
func (o *object) int(name string, v int64) *object {
	o.key(name)
	o.b = canonical.Int(o.b, v)
	return o
}
func (o *object) bool(name string, v bool) *object {
	o.key(name)
	o.b = canonical.Bool(o.b, v)
	return o
}
func (o *object) time(name string, t time.Time) *object {
	o.key(name)
	o.b = canonical.Time(o.b, t.UTC())
	return o
}
func (o *object) strs(name string, v []string) *object {
	o.key(name)
	if v == nil {
		v = []string{}
	}
	o.b = canonical.Strings(o.b, v)
	return o
}
func (o *object) raw(name string, v []byte) *object { o.key(name); o.b = append(o.b, v...); return o }
func (o *object) done() []byte                      { return append(o.b, '}') }

// OrgContent is an organization's row. operator and anonymous_feedback are
// written only when true.
func OrgContent(r store.OrgRow) []byte {
	o := newObject()
	if r.AnonymousFeedback {
		o.bool("anonymous_feedback", true)
	}
	o.str("country", r.Country).time("created", r.Created).str("id", r.ID).str("name", r.Name)
	if r.Operator {
		o.bool("operator", true)
	}
	return o.str("sector", r.Sector).done()
}

// GroupContent is a group's row with every member row, ordered by
// organization id.
func GroupContent(r store.GroupRow) []byte {
	members := slices.Clone(r.Members)
	slices.SortFunc(members, func(a, b store.MemberRow) int { return strings.Compare(a.Org, b.Org) })
	o := newObject().time("created", r.Created).str("id", r.ID).key("members")
	o.b = append(o.b, '[')
	for i, m := range members {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = newObjectAt(o.b).time("added", m.Added).str("org", m.Org).done()
	}
	o.b = append(o.b, ']')
	return o.str("name", r.Name).str("owner", r.Owner).done()
}

// newObjectAt starts an object appended to b.
func newObjectAt(b []byte) *object { return &object{b: append(b, '{'), first: true} }

// TokenContent is a token's row with the hex SHA-256 of its secret, so that
// swapping a token's secret is detected, and without its last use, which
// changes with no leaf.
func TokenContent(r store.TokenRow) []byte {
	o := newObject().time("created", r.Created).str("hash", hex.EncodeToString(r.Hash)).str("id", r.ID)
	if r.Name != "" {
		o.str("name", r.Name)
	}
	o.str("org", r.Org)
	if r.Revoked != nil {
		o.time("revoked", *r.Revoked)
	}
	return o.str("role", r.Role).done()
}

// SMSAppContent is the settings of an app of an organization's
// SMS-pumping guard.
func SMSAppContent(r store.SMSAppRow) []byte {
	return newObject().str("app", r.App).str("org", r.Org).str("settings", r.Settings).time("updated", r.Updated).done()
}

// SMSAppID is the evidence id of an app's settings: the organization, a
// space, the app's name.
func SMSAppID(org, app string) string { return org + " " + app }

// ActionDayContent is an action day's row.
func ActionDayContent(r store.ActionDayRow) []byte {
	return newObject().str("coordinator", r.Coordinator).time("created", r.Created).str("id", r.ID).
		str("settings", r.Settings).time("updated", r.Updated).done()
}

// BookingID is the evidence id of a booking submitted to an action day:
// the action day, the airline and the airline's booking id, joined by "/".
func BookingID(actionDay, org, booking string) string { return actionDay + "/" + org + "/" + booking }

// ActionDayBookingContent is a submitted booking's row: the booking as
// stored (hashed), its routing and its outcome, written only when there
// is one.
func ActionDayBookingContent(r store.ActionDayBookingRow) []byte {
	o := newObject().str("action_day", r.ActionDay).str("booking", r.Booking).str("booking_id", r.BookingID).str("country", r.Country).str("org", r.Org)
	if r.Outcome != "" {
		o.str("outcome", r.Outcome).time("outcome_at", r.OutcomeAt).str("outcome_note", r.OutcomeNote).str("outcome_org", r.OutcomeOrg)
	}
	return o.str("police", r.Police).time("submitted", r.Submitted).done()
}

// RulePackageContent is one version of a rule package as stored: its
// audience and handling as the canonical JSON strings the row holds, its
// body (the package's JSON) as a string; revoked and revoked_reason are
// written only once it is revoked.
func RulePackageContent(r store.RulePackageRow) []byte {
	o := newObject().str("audience", r.Audience).str("body", r.Body).time("created", r.Created).str("handling", r.Handling).
		str("id", r.ID).str("originator", r.Originator)
	if r.Revoked != nil {
		o.time("revoked", *r.Revoked)
	}
	if r.RevokedReason != "" {
		o.str("revoked_reason", r.RevokedReason)
	}
	return o.str("tlp", r.TLP).int("version", int64(r.Version)).done()
}

// RulePackageID is the evidence id of one version of a rule package: the
// package's id, "@", the version.
func RulePackageID(id string, version int) string { return id + "@" + strconv.Itoa(version) }

// UserContent is a user's row with the hex SHA-256 of its password hash
// and of its TOTP secret (written only when there is one), so that swapping
// either is detected without the leaf's content holding them; disabled is
// written only when true. A pending TOTP secret and the last TOTP step
// accepted change without a leaf and are not covered.
func UserContent(r store.UserRow) []byte {
	o := newObject().time("created", r.Created)
	if r.Disabled {
		o.bool("disabled", true)
	}
	o.str("id", r.ID).str("login", r.Login).str("name", r.Name).str("org", r.Org).
		str("password", Sum([]byte(r.Password))).str("role", r.Role)
	if r.TOTPSecret != "" {
		o.str("totp", Sum([]byte(r.TOTPSecret)))
	}
	return o.time("updated", r.Updated).done()
}

// ReportContent is a report's stored body, embedded as it is, with the ids
// of the records it groups, sorted. The same encoding covers a report's
// current row and its earlier versions.
func ReportContent(body []byte, records []string) []byte {
	return newObject().raw("body", body).strs("records", slices.Sorted(slices.Values(records))).done()
}

// SightingID is the id of one hourly sighting row: record/org/hour.
func SightingID(s store.Sighting) string {
	return s.RecordID + "/" + s.Org + "/" + strconv.FormatInt(s.Hour, 10)
}

// SightingContent is one hourly sighting row.
func SightingContent(s store.Sighting) []byte {
	return newObject().int("count", s.Count).time("first", s.First).int("hour", s.Hour).time("last", s.Last).
		str("org", s.Org).str("owner", s.Owner).str("record", s.RecordID).done()
}

// FeedbackContent is a feedback row, with the token that gave it and the
// record's originator.
func FeedbackContent(f store.Feedback) []byte {
	o := newObject().time("created", f.Created).str("id", f.ID)
	if f.Note != "" {
		o.str("note", f.Note)
	}
	return o.str("org", f.Org).str("outcome", f.Outcome).str("owner", f.Owner).str("record", f.RecordID).str("token", f.TokenID).done()
}

// AccessRequestContent is an access request row, with the record it names.
func AccessRequestContent(a store.AccessRequest) []byte {
	o := newObject().time("created", a.Created)
	if a.Decided != nil {
		o.time("decided", *a.Decided)
	}
	o.str("id", a.ID).str("owner", a.Owner).str("purpose", a.Purpose)
	if a.Reason != "" {
		o.str("reason", a.Reason)
	}
	return o.str("record", a.RecordID).str("requester", a.Requester).str("status", a.Status).done()
}

// HitQueryContent is a hit/no-hit query row: who asked, when, and the keyed
// hashes of the values (hex).
func HitQueryContent(q store.HitQuery) []byte {
	return newObject().time("created", q.Created).str("hashes", hex.EncodeToString(q.Hashes)).str("id", q.ID).
		str("org", q.Org).str("token", q.TokenID).done()
}

// TorImportContent is one Tor import: the files read with their SHA-256
// and size, and what was added.
func TorImportContent(x store.TorImport) []byte {
	o := newObject().int("consensuses", int64(x.Consensuses)).int("exit_lists", int64(x.ExitLists)).int("exit_scans", int64(x.ExitScans)).key("files")
	o.b = append(o.b, '[')
	for i, f := range x.Files {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = newObjectAt(o.b).int("bytes", f.Bytes).str("name", f.Name).str("sha256", f.SHA256).done()
	}
	o.b = append(o.b, ']')
	return o.str("id", x.ID).time("imported", x.Imported).int("intervals", int64(x.Intervals)).
		int("relay_entries", int64(x.Relays)).int("skipped", int64(x.Skipped)).done()
}

// CheckpointContent is a stored checkpoint: the signed note, its size and
// root (base64), and when it was stored.
func CheckpointContent(c store.Checkpoint) []byte {
	return newObject().time("created", c.Created).str("note", c.Note).str("root", base64.StdEncoding.EncodeToString(c.Root)).
		int("size", c.Size).done()
}

// WitnessLogContent is what this hub, as a witness, last co-signed for a log.
func WitnessLogContent(w store.WitnessLog) []byte {
	return newObject().str("note", w.Note).str("origin", w.Origin).str("root", base64.StdEncoding.EncodeToString(w.Root)).
		int("size", w.Size).time("updated", w.Updated).done()
}
