package stix

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
)

// Bundle is a STIX bundle.
type Bundle struct {
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Objects []Object `json:"objects"`
}

// Skipped is a record, report, sighting or feedback that got no STIX
// object, and why.
type Skipped struct {
	Kind   string `json:"kind"` // "record", "report", "sighting" or "feedback"
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// ExportInput is what a bundle is made of: records and reports as the
// caller may see them (redacted records stay redacted), and the
// organizations to describe as identities (originators and audiences),
// and the sightings and feedback to write as sighting and note objects,
// their observers' anonymity decided by the hub for the recipient (see
// SightingInput).
type ExportInput struct {
	Records   []intel.Record
	Reports   []intel.Report
	Orgs      []intel.Org
	Sightings []SightingInput
	Feedback  []FeedbackInput
}

// tlpRank orders TLP levels from least to most restrictive.
var tlpRank = map[string]int{}

func init() {
	for i, t := range intel.TLPs {
		tlpRank[tlpMarkings[t].id] = i
	}
}

// NewBundle maps records, reports and organizations to one bundle: for each
// exported record its indicator, observable and based-on relationship; each
// report whose records are in the bundle; an identity per organization; a
// sighting per sighting and a note per feedback (their indicators need not
// be in the bundle: the recipient may be the originator, which has them);
// the TLP 2.0 marking-definitions the objects use; and, when any object
// carries it, the fusion extension-definition with fusion's identity
// (fusion's identity also when an anonymous observer's sighting or note
// names it as created_by_ref).
//
// Objects appear once per id and modified: giving the same record version
// twice gives its objects once. Two records with the same value share one
// observable (its id depends on the value only); it is marked with the
// more restrictive TLP of the two. Records and reports that get no object
// are listed in Skipped, with the reason, in the order given; so are
// sightings and feedback that ForSighting and ForFeedback refuse.
func NewBundle(in ExportInput) (*Bundle, []Skipped) {
	var (
		objs     []Object
		skipped  []Skipped
		seen     = map[string]int{} // id + "|" + modified → index in objs
		markings = map[string]bool{}
		exported = map[string]bool{}
		usesExt  bool
		usesSelf bool // fusion's identity is a created_by_ref
	)
	add := func(o Object) {
		key := o.ObjectID() + "|" + o.ObjectModified()
		if i, ok := seen[key]; ok {
			if sco, ok := o.(*Observable); ok {
				have := objs[i].(*Observable)
				if tlpRank[sco.ObjectMarkingRefs[0]] > tlpRank[have.ObjectMarkingRefs[0]] {
					objs[i] = sco
				}
			}
			return
		}
		seen[key] = len(objs)
		objs = append(objs, o)
	}
	skip := func(err error) {
		var se *SkipError
		if errors.As(err, &se) {
			skipped = append(skipped, Skipped{Kind: se.Kind, ID: se.ID, Reason: se.Reason})
		}
	}
	for i := range in.Records {
		ro, err := ForRecord(&in.Records[i])
		if err != nil {
			skip(err)
			continue
		}
		exported[in.Records[i].ID] = true
		usesExt = true
		add(ro.Indicator)
		add(ro.Observable)
		add(ro.Relationship)
	}
	for i := range in.Reports {
		rep, err := ForReport(&in.Reports[i], func(id string) bool { return exported[id] })
		if err != nil {
			skip(err)
			continue
		}
		usesExt = true
		add(rep)
	}
	for i := range in.Orgs {
		usesExt = true
		add(IdentityFor(&in.Orgs[i]))
	}
	for i := range in.Sightings {
		s, err := ForSighting(&in.Sightings[i])
		if err != nil {
			skip(err)
			continue
		}
		usesSelf = usesSelf || s.CreatedByRef == FusionIdentityID
		add(s)
	}
	for i := range in.Feedback {
		n, err := ForFeedback(&in.Feedback[i])
		if err != nil {
			skip(err)
			continue
		}
		usesSelf = usesSelf || n.CreatedByRef == FusionIdentityID
		add(n)
	}
	for _, o := range objs {
		for _, m := range o.Markings() {
			markings[m] = true
		}
	}
	for _, t := range intel.TLPs {
		if m, _ := TLPMarking(t); markings[m.ID] {
			add(m)
		}
	}
	if usesExt || usesSelf {
		add(FusionIdentity())
	}
	if usesExt {
		add(FusionExtension())
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.ObjectID() + "|" + o.ObjectModified()
	}
	slices.Sort(keys)
	id := "bundle--" + uuid.NewSHA1(fusionNamespace, []byte("bundle|"+strings.Join(keys, "\n"))).String()
	if objs == nil {
		objs = []Object{}
	}
	return &Bundle{Type: "bundle", ID: id, Objects: objs}, skipped
}

// Check holds a bundle to the rules of STIX 2.1 that its JSON schemas do
// not express: modified is not before created, a sighting's last_seen is
// not before its first_seen, every object_marking_ref resolves to a
// marking-definition in the bundle, and no two objects share id and
// modified. It returns every violation, joined.
func (b *Bundle) Check() error {
	var errs []error
	ids := map[string]string{}
	seen := map[string]bool{}
	for _, o := range b.Objects {
		ids[o.ObjectID()] = o.ObjectType()
	}
	for _, o := range b.Objects {
		c, m := o.ObjectCreated(), o.ObjectModified()
		if c != "" && m != "" && later(c, m) {
			errs = append(errs, fmt.Errorf("%s: modified %s is before created %s", o.ObjectID(), m, c))
		}
		if s, ok := o.(*Sighting); ok && later(s.FirstSeen, s.LastSeen) {
			errs = append(errs, fmt.Errorf("%s: last_seen %s is before first_seen %s", o.ObjectID(), s.LastSeen, s.FirstSeen))
		}
		key := o.ObjectID() + "|" + m
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s: two objects with modified %q", o.ObjectID(), m))
		}
		seen[key] = true
		for _, ref := range o.Markings() {
			if ids[ref] != "marking-definition" {
				errs = append(errs, fmt.Errorf("%s: object_marking_ref %s is not a marking-definition in the bundle", o.ObjectID(), ref))
			}
		}
	}
	return errors.Join(errs...)
}

// later reports whether timestamp a is after b; a timestamp that does not
// parse counts as neither.
func later(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.After(tb)
}
