// Package evidence keeps fusion's tamper-evident log: an append-only Merkle
// tree (RFC 6962 hashing, through golang.org/x/mod/sumdb/tlog) of every
// change and every disclosure, written in the same database transaction as
// the change it records, with signed checkpoints in the C2SP
// tlog-checkpoint format and offline-verifiable proofs.
//
// # Leaves
//
// A leaf is one JSON object in RFC 8785 canonical form (JCS):
//
//	{"action":"record.create","objects":[{"id":"…","kind":"record","owner":"bank-a",
//	 "sha256":"…"}],"org":"bank-a","purpose":"…","seq":41,"time":"2026-11-23T10:00:00.123456Z",
//	 "token":"tok-…"}
//
// seq is the leaf's index in the tree; org and token name who acted (both
// empty for the hub's operator at its own machine); sha256 is the hex SHA-256
// of each object's canonical content after the action — for a disclosure,
// of the form in which it was shown. A record's canonical content is its
// stored body (store.Encode), so anyone holding the record's bytes can check
// them against the log.
//
// SPEC: https://datatracker.ietf.org/doc/html/rfc6962#section-2.1
// SPEC: https://c2sp.org/tlog-checkpoint
// SPEC: https://c2sp.org/tlog-proof
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"fusion/internal/canonical"
)

// Format is the version of the leaf format this package writes and reads.
// Format 1 (fusion before 2026-11-30) gave leaves no exact meaning per
// object and carried no MAC; its logs cannot be verified by this version.
const Format = 2

// Action names what a leaf records.
type Action string

// The actions logged. Each has a fixed list of the object kinds it may name
// and what it says of each (see Role and the table in docs/evidence.md).
const (
	RecordCreate      Action = "record.create"
	RecordUpdate      Action = "record.update"
	RecordRevoke      Action = "record.revoke"
	ReportCreate      Action = "report.create"
	ReportUpdate      Action = "report.update"
	ReportRevoke      Action = "report.revoke"
	OrgCreate         Action = "org.create"
	OrgUpdate         Action = "org.update"
	GroupCreate       Action = "group.create"
	GroupAddMember    Action = "group.add-member"
	GroupRemoveMember Action = "group.remove-member"
	TokenIssue        Action = "token.issue"
	TokenRevoke       Action = "token.revoke"
	// UserCreate, UserResetPassword, UserDisable, UserEnable, UserTOTPEnrol
	// and UserTOTPClear change a user (a person who signs in to the UI).
	UserCreate        Action = "user.create"
	UserResetPassword Action = "user.reset-password"
	UserDisable       Action = "user.disable"
	UserEnable        Action = "user.enable"
	UserTOTPEnrol     Action = "user.totp-enrol"
	UserTOTPClear     Action = "user.totp-clear"
	// UserLogin: a user signed in and a session began; UserRevokeSessions:
	// every session of a user was ended on request. Sessions themselves
	// are not logged objects: they change on every request.
	UserLogin          Action = "user.login"
	UserRevokeSessions Action = "user.revoke-sessions"
	// Disclose: objects of one owner were shown to an organization other than their owner.
	Disclose Action = "disclose"
	// HitQuery: an organization asked hit/no-hit about values (their keyed
	// hashes are kept in hit_queries).
	HitQuery Action = "hit.query"
	// Hit: discoverable records of one owner matched another organization's
	// query; shown to the owner, never to the asker (policy.HitAction).
	Hit Action = "hit"
	// Sighting: records of one owner were matched in another organization's
	// traffic; the hourly sighting rows after the addition.
	Sighting Action = "sighting"
	// Feedback: an organization reported what a record led to.
	Feedback Action = "feedback"
	// AccessRequest, AccessGrant, AccessDeny: the steps of an access request.
	AccessRequest Action = "access.request"
	AccessGrant   Action = "access.grant"
	AccessDeny    Action = "access.deny"
	// TorImport: Tor consensuses and exit lists were imported; the Tor data
	// as a whole after the import.
	TorImport Action = "tor.import"
	// CheckpointSigned: the hub signed a checkpoint of the log up to this leaf.
	CheckpointSigned Action = "checkpoint"
	// WitnessCosign: this hub, as a witness, co-signed another log's checkpoint.
	WitnessCosign Action = "witness.cosign"
	// SMSRelease: an organization lifted a block of its SMS-pumping guard
	// on one of its apps' destination prefixes. The guard's state is in
	// memory, not in the store, so the block is named, not hashed.
	SMSRelease Action = "sms.release"
	// SMSConfigure: an organization set the settings of one of its apps in
	// its SMS-pumping guard (mode, allowed countries, safe list).
	SMSConfigure Action = "sms.configure"
	// ActionDayCreate and ActionDayUpdate: a coordinator created an
	// action day or changed its settings; an update that routes waiting
	// bookings to a police organization changes them too (one leaf per
	// airline, so that no airline's entry names another's bookings).
	ActionDayCreate Action = "action-day.create"
	ActionDayUpdate Action = "action-day.update"
	// ActionDaySubmit: an airline submitted bookings to an action day.
	ActionDaySubmit Action = "action-day.submit"
	// ActionDayOutcome: a police organization recorded what came of a
	// booking routed to it.
	ActionDayOutcome Action = "action-day.outcome"
	// RulePackageCreate and RulePackageRevise: an organization published a
	// rule package of transaction screening (package screen), or a new
	// version of one; each names the new version's row. RulePackageRevoke:
	// its originator revoked a version.
	RulePackageCreate Action = "rule-package.create"
	RulePackageRevise Action = "rule-package.revise"
	RulePackageRevoke Action = "rule-package.revoke"
)

// Object kinds.
const (
	KindRecord = "record"
	KindReport = "report"
	KindOrg    = "org"
	KindGroup  = "group"
	KindToken  = "token"
	// KindUser is a person who signs in to the UI; its id is the user id.
	KindUser = "user"
	// KindHitQuery is a hit/no-hit query.
	KindHitQuery = "hit-query"
	// KindAccessRequest is an access request; KindFeedback a feedback report.
	KindAccessRequest = "access-request"
	KindFeedback      = "feedback"
	// KindSighting is one hourly sighting row; its id is SightingID.
	KindSighting = "sighting"
	// KindTorImport is one Tor import; KindTorData, with id TorDataID, all
	// Tor data held (its sha256 is store.TorDigest).
	KindTorImport = "tor-import"
	KindTorData   = "tor-data"
	// KindCheckpoint is a signed checkpoint; its id is the tree size.
	KindCheckpoint = "checkpoint"
	// KindWitnessLog is what this hub last co-signed for a log; its id is the log's origin.
	KindWitnessLog = "witness-log"
	// KindSMSBlock is a block of the SMS-pumping guard; its id is
	// "app prefix" (the app's name, a space, the E.164 prefix).
	KindSMSBlock = "sms-block"
	// KindSMSApp is the settings of an app of an organization's
	// SMS-pumping guard; its id is SMSAppID.
	KindSMSApp = "sms-app"
	// KindActionDay is an action day; KindBooking a booking submitted to
	// one, its id BookingID.
	KindActionDay = "action-day"
	KindBooking   = "booking"
	// KindRulePackage is one version of a rule package; its id is
	// RulePackageID.
	KindRulePackage = "rule-package"
)

// TorDataID is the id of the one KindTorData object.
const TorDataID = "tor"

// Role is what a leaf says of one of its objects.
type Role int

const (
	// Changed: the object was created or changed, and its content after the
	// change hashes to the object's sha256.
	Changed Role = iota + 1
	// Shown: the object was shown (disclosed) in the form that hashes to sha256.
	Shown
	// Named: the event is about the object, which it did not change; sha256 is empty.
	Named
)

func (r Role) String() string {
	switch r {
	case Changed:
		return "changed"
	case Shown:
		return "shown"
	case Named:
		return "named"
	}
	return "none"
}

// actions lists, for each action, the role each object kind may have in it.
var actions = map[Action]map[string]Role{
	RecordCreate:       {KindRecord: Changed},
	RecordUpdate:       {KindRecord: Changed},
	RecordRevoke:       {KindRecord: Changed},
	ReportCreate:       {KindReport: Changed},
	ReportUpdate:       {KindReport: Changed},
	ReportRevoke:       {KindReport: Changed},
	OrgCreate:          {KindOrg: Changed},
	OrgUpdate:          {KindOrg: Changed},
	GroupCreate:        {KindGroup: Changed},
	GroupAddMember:     {KindGroup: Changed},
	GroupRemoveMember:  {KindGroup: Changed},
	TokenIssue:         {KindToken: Changed},
	TokenRevoke:        {KindToken: Changed},
	UserCreate:         {KindUser: Changed},
	UserResetPassword:  {KindUser: Changed},
	UserDisable:        {KindUser: Changed},
	UserEnable:         {KindUser: Changed},
	UserTOTPEnrol:      {KindUser: Changed},
	UserTOTPClear:      {KindUser: Changed},
	UserLogin:          {KindUser: Named},
	UserRevokeSessions: {KindUser: Named},
	Disclose:           {KindRecord: Shown, KindReport: Shown, KindBooking: Shown, KindRulePackage: Shown},
	HitQuery:           {KindHitQuery: Changed},
	Hit:                {KindRecord: Named},
	Sighting:           {KindSighting: Changed, KindRecord: Named},
	Feedback:           {KindFeedback: Changed, KindRecord: Named},
	AccessRequest:      {KindAccessRequest: Changed, KindRecord: Named},
	AccessGrant:        {KindAccessRequest: Changed, KindRecord: Named},
	AccessDeny:         {KindAccessRequest: Changed, KindRecord: Named},
	TorImport:          {KindTorImport: Changed, KindTorData: Changed},
	CheckpointSigned:   {KindCheckpoint: Changed},
	WitnessCosign:      {KindWitnessLog: Changed},
	SMSRelease:         {KindSMSBlock: Named},
	SMSConfigure:       {KindSMSApp: Changed},
	ActionDayCreate:    {KindActionDay: Changed},
	ActionDayUpdate:    {KindActionDay: Changed, KindBooking: Changed},
	ActionDaySubmit:    {KindBooking: Changed, KindActionDay: Named},
	ActionDayOutcome:   {KindBooking: Changed, KindActionDay: Named},
	RulePackageCreate:  {KindRulePackage: Changed},
	RulePackageRevise:  {KindRulePackage: Changed},
	RulePackageRevoke:  {KindRulePackage: Changed},
}

// Actions lists every action, sorted.
func Actions() []Action {
	out := make([]Action, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// RoleOf returns what action says of an object of kind, or 0 if the action
// may not name that kind.
func RoleOf(action Action, kind string) Role { return actions[action][kind] }

// Object is what a leaf is about.
type Object struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Owner string `json:"owner"`
	// Prev, on a changed object, is the hex SHA-256 of its content before
	// the change, empty when the change created it: each object's changes
	// form a chain, so that an edit made behind fusion's back cannot be
	// laundered by the next legitimate change, which would start from it.
	Prev   string `json:"prev,omitempty"`
	SHA256 string `json:"sha256"`
}

// Leaf is one entry of the log.
type Leaf struct {
	V       int       `json:"v"`
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Org     string    `json:"org"`
	Token   string    `json:"token"`
	Action  Action    `json:"action"`
	Objects []Object  `json:"objects"`
	Purpose string    `json:"purpose,omitempty"`
}

// Encode returns the leaf's canonical bytes: what the tree hashes. It
// writes RFC 8785 directly (members in code-point order, minimal string
// escaping), which is what Canonical(leaf) gives, without its generic
// parse; FuzzLeafEncode holds the two equal.
func (l *Leaf) Encode() ([]byte, error) {
	b := make([]byte, 0, 192+96*len(l.Objects)+len(l.Purpose))
	b = append(b, `{"action":`...)
	b = canonical.String(b, string(l.Action))
	b = append(b, `,"objects":[`...)
	for i, o := range l.Objects {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = canonical.String(b, o.ID)
		b = append(b, `,"kind":`...)
		b = canonical.String(b, o.Kind)
		b = append(b, `,"owner":`...)
		b = canonical.String(b, o.Owner)
		if o.Prev != "" {
			b = append(b, `,"prev":`...)
			b = canonical.String(b, o.Prev)
		}
		b = append(b, `,"sha256":`...)
		b = canonical.String(b, o.SHA256)
		b = append(b, '}')
	}
	b = append(b, `],"org":`...)
	b = canonical.String(b, l.Org)
	if l.Purpose != "" {
		b = append(b, `,"purpose":`...)
		b = canonical.String(b, l.Purpose)
	}
	b = append(b, `,"seq":`...)
	b = canonical.Int(b, l.Seq)
	b = append(b, `,"time":`...)
	b = canonical.String(b, l.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"token":`...)
	b = canonical.String(b, l.Token)
	b = append(b, `,"v":`...)
	b = canonical.Int(b, int64(l.V))
	return append(b, '}'), nil
}

// ParseLeaf decodes a stored leaf and checks that it is in canonical form,
// in this package's format, and that its action and objects have an exact
// meaning: a known action, only the object kinds that action may name, a
// content hash on every changed or shown object and none on a named one.
func ParseLeaf(data []byte) (Leaf, error) {
	var l Leaf
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, fmt.Errorf("evidence: leaf is not a leaf: %w", err)
	}
	if l.V == 0 {
		return l, fmt.Errorf("%w: leaf %d is in evidence format 1, written by a fusion older than this one, which reads format %d", ErrFormat, l.Seq, Format)
	}
	if l.V != Format {
		return l, fmt.Errorf("%w: leaf %d is in evidence format %d; this fusion reads format %d", ErrFormat, l.Seq, l.V, Format)
	}
	again, err := l.Encode()
	if err != nil {
		return l, err
	}
	if !bytes.Equal(again, data) {
		return l, fmt.Errorf("evidence: leaf %d is not in canonical form", l.Seq)
	}
	return l, l.validate()
}

// validate checks that the leaf has an exact meaning: a known action, only
// the object kinds that action may name, each with an id, a content hash on
// every changed or shown object and none on a named one.
func (l *Leaf) validate() error {
	roles, ok := actions[l.Action]
	if !ok {
		return fmt.Errorf("evidence: leaf %d has unknown action %q", l.Seq, l.Action)
	}
	if len(l.Objects) == 0 {
		return fmt.Errorf("evidence: leaf %d (%s) names no object", l.Seq, l.Action)
	}
	for _, o := range l.Objects {
		role := roles[o.Kind]
		if o.Prev != "" && (role != Changed || !isHexSum(o.Prev)) {
			return fmt.Errorf("evidence: leaf %d: %s %s has previous content hash %q, which only a changed object has, as 64 hex digits", l.Seq, o.Kind, o.ID, o.Prev)
		}
		switch role {
		case 0:
			return fmt.Errorf("evidence: leaf %d: action %s does not name objects of kind %q", l.Seq, l.Action, o.Kind)
		case Named:
			if o.SHA256 != "" {
				return fmt.Errorf("evidence: leaf %d: %s %s is only named by %s, yet carries a content hash", l.Seq, o.Kind, o.ID, l.Action)
			}
		default:
			if !isHexSum(o.SHA256) {
				return fmt.Errorf("evidence: leaf %d: %s %s has content hash %q, not 64 hex digits", l.Seq, o.Kind, o.ID, o.SHA256)
			}
		}
		if o.ID == "" {
			return fmt.Errorf("evidence: leaf %d: an object of kind %s has no id", l.Seq, o.Kind)
		}
	}
	return nil
}

// ErrFormat is wrapped by errors for leaves in a format this version does not read.
var ErrFormat = errors.New("evidence: unsupported leaf format")

func isHexSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Role returns what the leaf says of o.
func (l *Leaf) Role(o Object) Role { return RoleOf(l.Action, o.Kind) }

// Owners lists the distinct owners of the leaf's objects.
func (l *Leaf) Owners() []string {
	var out []string
	for _, o := range l.Objects {
		if o.Owner != "" && !contains(out, o.Owner) {
			out = append(out, o.Owner)
		}
	}
	return out
}

// About reports whether the leaf names object id of kind.
func (l *Leaf) About(kind, id string) (Object, bool) {
	for _, o := range l.Objects {
		if o.Kind == kind && o.ID == id {
			return o, true
		}
	}
	return Object{}, false
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Canonical returns the RFC 8785 canonical JSON of v.
func Canonical(v any) ([]byte, error) { return canonical.JSON(v) }

// Sum returns the hex SHA-256 of canonical content.
func Sum(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:])
}

// ObjectOf returns the Object for content of kind, id and owner.
func ObjectOf(kind, id, owner string, content []byte) Object {
	return Object{Kind: kind, ID: id, Owner: owner, SHA256: Sum(content)}
}

// ChangeOf returns the Object for a change of kind, id and owner from
// content before (nil when the change creates the object) to after.
func ChangeOf(kind, id, owner string, before, after []byte) Object {
	o := ObjectOf(kind, id, owner, after)
	if before != nil {
		o.Prev = Sum(before)
	}
	return o
}
