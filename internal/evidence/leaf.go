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
	"fmt"
	"time"

	"github.com/gowebpki/jcs"

	"fusion/internal/canonical"
)

// Action names what a leaf records.
type Action string

// The actions logged.
const (
	RecordCreate      Action = "record.create"
	RecordUpdate      Action = "record.update"
	RecordRevoke      Action = "record.revoke"
	ReportCreate      Action = "report.create"
	ReportUpdate      Action = "report.update"
	ReportRevoke      Action = "report.revoke"
	OrgCreate         Action = "org.create"
	GroupCreate       Action = "group.create"
	GroupAddMember    Action = "group.add-member"
	GroupRemoveMember Action = "group.remove-member"
	TokenIssue        Action = "token.issue"
	TokenRevoke       Action = "token.revoke"
	// Disclose: objects of one owner were shown to an organization other than their owner.
	Disclose Action = "disclose"
	// HitQuery: an organization asked hit/no-hit about values (their keyed
	// hashes are kept in hit_queries; the leaf commits to them).
	HitQuery Action = "hit.query"
	// Hit: discoverable records of one owner matched another organization's
	// query; shown to the owner, never to the asker (policy.HitAction).
	Hit Action = "hit"
	// Sighting: records of one owner were matched in another organization's traffic.
	Sighting Action = "sighting"
	// Feedback: an organization reported what a record led to.
	Feedback Action = "feedback"
	// AccessRequest, AccessGrant, AccessDeny: the steps of an access request.
	AccessRequest Action = "access.request"
	AccessGrant   Action = "access.grant"
	AccessDeny    Action = "access.deny"
)

// Object kinds.
const (
	KindRecord = "record"
	KindReport = "report"
	KindOrg    = "org"
	KindGroup  = "group"
	KindToken  = "token"
	// KindHitQuery is a hit/no-hit query; its sha256 is over the sorted keyed hashes of the values.
	KindHitQuery = "hit-query"
	// KindAccessRequest is an access request; KindFeedback a feedback report.
	KindAccessRequest = "access-request"
	KindFeedback      = "feedback"
)

// Object is what a leaf is about.
type Object struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Owner  string `json:"owner"`
	SHA256 string `json:"sha256"`
}

// Leaf is one entry of the log.
type Leaf struct {
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
	return append(b, '}'), nil
}

// ParseLeaf decodes a stored leaf and checks that it is in canonical form.
func ParseLeaf(data []byte) (Leaf, error) {
	var l Leaf
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, fmt.Errorf("evidence: leaf is not a leaf: %w", err)
	}
	again, err := l.Encode()
	if err != nil {
		return l, err
	}
	if !bytes.Equal(again, data) {
		return l, fmt.Errorf("evidence: leaf %d is not in canonical form", l.Seq)
	}
	return l, nil
}

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
func Canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

// Sum returns the hex SHA-256 of canonical content.
func Sum(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:])
}

// ObjectOf returns the Object for content of kind, id and owner.
func ObjectOf(kind, id, owner string, content []byte) Object {
	return Object{Kind: kind, ID: id, Owner: owner, SHA256: Sum(content)}
}
