package authztest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
)

// The relations between organizations around records — feedback, sightings,
// access requests — and the evidence entries, groups and memberships, each
// read back by every organization and held to the rules of docs/policy.md,
// written here as sets.

type modelFeedback struct {
	record, org, outcome, note string
}

type modelRequest struct {
	id, record, owner, requester string
	status                       string // pending, approved, denied
}

// relations is what the world's organizations did to each other.
type relations struct {
	anonymous map[string]bool
	feedback  []modelFeedback
	sighted   map[string]map[string]int64 // record -> observing org -> matches
	requests  []*modelRequest
}

var outcomes = []string{"seen", "blocked", "false-positive", "takedown"}

func (s *worldState) buildRelations(t *rapid.T) {
	rel := &relations{anonymous: map[string]bool{}, sighted: map[string]map[string]int64{}}
	s.rel = rel
	for _, o := range s.w.Orgs {
		if rapid.IntRange(0, 2).Draw(t, "anonymous") == 0 {
			must(t, s.c.SetAnonymous(o, true))
			rel.anonymous[o] = true
		}
	}
	// Sightings: each organization sees some values in its traffic; only
	// records it may use in full are matched (checkMatching holds that).
	for _, o := range s.w.Orgs {
		var obs []match.Observation
		for _, v := range values {
			for range rapid.IntRange(0, 2).Draw(t, "seen") {
				obs = append(obs, match.Observation{Time: time.Unix(1700000000, 0), Field: "value", Kind: match.KindAny, Value: v.variant, Event: s.newEvent()})
			}
		}
		if len(obs) == 0 {
			continue
		}
		_, err := s.c.Sightings(o, obs)
		must(t, err)
		// A sensor that sends its batch again (its answer was lost) adds
		// nothing: each event counts once.
		if rapid.Bool().Draw(t, "sent again") {
			res, err := s.c.Sightings(o, obs)
			must(t, err)
			if res.Matches != 0 {
				t.Fatalf("%s's batch sent again counted %d more sightings", o, res.Matches)
			}
		}
		for _, m := range s.records {
			if !m.active || s.w.Form(o, m.shared) != policy.Full {
				continue
			}
			for _, ob := range obs {
				if sensorRule(valueOf(ob.Value), m.value) != "" {
					if rel.sighted[m.id] == nil {
						rel.sighted[m.id] = map[string]int64{}
					}
					rel.sighted[m.id][o]++
				}
			}
		}
	}
	// Some originators narrow records after they were sighted: the
	// observers' own sightings must stop naming them.
	for range rapid.IntRange(0, 3).Draw(t, "narrowed") {
		m := rapid.SampledFrom(s.records).Draw(t, "narrow")
		if !m.active {
			continue
		}
		tlp, personal := string(intel.Red), rapid.Bool().Draw(t, "narrow-personal")
		aud := intel.Audience{}
		must(t, s.c.UpdateRecord(m.originator, m.id, intel.RecordPatch{TLP: &tlp, Audience: &aud, Personal: &personal}))
		next := policy.Shared{Originator: m.originator, TLP: intel.Red, Audience: intel.Audience{Orgs: []string{}, Groups: []string{}}, Personal: personal}
		if !sameShared(next, m.shared) {
			m.versions = append(m.versions, m.shared)
		}
		m.shared = next
	}
	// Feedback on records the giver may see (in any form).
	for range rapid.IntRange(0, 8).Draw(t, "feedback") {
		o := rapid.SampledFrom(s.w.Orgs).Draw(t, "giver")
		m := rapid.SampledFrom(s.records).Draw(t, "about")
		f := modelFeedback{record: m.id, org: o, outcome: rapid.SampledFrom(outcomes).Draw(t, "outcome"), note: rapid.SampledFrom([]string{"", "note from " + o}).Draw(t, "note")}
		err := s.c.AddFeedback(o, f.record, f.outcome, f.note)
		if s.w.Form(o, m.shared) == policy.Hidden {
			if !hub.IsNotFoundErr(err) {
				t.Fatalf("LEAK: %s gave feedback on record %s it may not see (err %v)", o, m.id, err)
			}
			continue
		}
		must(t, err)
		rel.feedback = append(rel.feedback, f)
	}
	// Access requests for discoverable records a hit/no-hit query found.
	for _, o := range s.w.Orgs {
		var raw []string
		for _, v := range values {
			raw = append(raw, v.value)
		}
		answers, err := s.c.Hits(o, raw)
		must(t, err)
		for _, a := range answers {
			for _, h := range a.Hits {
				if rapid.IntRange(0, 2).Draw(t, "request") != 0 {
					continue
				}
				req, err := s.c.RequestAccess(o, h.Ref, "case "+o)
				if errors.Is(err, intel.ErrConflict) && pendingNamed(rel.requests, o, err) {
					continue // two values hit the same record: one pending request for it is enough
				}
				must(t, err)
				if req.Record != "" || req.Owner != h.Owner || req.Requester != o {
					t.Fatalf("LEAK: the requester's view of its new request names the record: %+v", req)
				}
				rel.requests = append(rel.requests, &modelRequest{id: req.ID, owner: h.Owner, requester: o, status: "pending"})
			}
		}
	}
	// The owners learn which records they are about, and decide some.
	for _, r := range rel.requests {
		got, err := s.c.AccessRequests(r.owner, true)
		must(t, err)
		for _, v := range got {
			if v.ID == r.id {
				r.record = v.Record
			}
		}
		m := s.byID[r.record]
		if m == nil || m.originator != r.owner {
			t.Fatalf("the owner's view of request %s names record %q, not one of its own", r.id, r.record)
		}
		switch rapid.IntRange(0, 2).Draw(t, "decide") {
		case 0:
			continue
		case 1:
			must(t, s.c.DecideAccess(r.owner, r.id, false))
			r.status = "denied"
		case 2:
			// Someone else cannot decide it; the owner can.
			if intruder := rapid.SampledFrom(s.w.Orgs).Draw(t, "intruder"); intruder != r.owner {
				if err := s.c.DecideAccess(intruder, r.id, true); !hub.IsNotFoundErr(err) {
					t.Fatalf("LEAK: %s decided %s's access request %s (err %v)", intruder, r.owner, r.id, err)
				}
			}
			must(t, s.c.DecideAccess(r.owner, r.id, true))
			r.status = "approved"
			if m.active && !slices.Contains(m.shared.Audience.Orgs, r.requester) {
				m.versions = append(m.versions, m.shared)
				m.shared.Audience.Orgs = sortedCopy(append(slices.Clone(m.shared.Audience.Orgs), r.requester))
			}
		}
	}
}

// valueOf returns the canonical value a pool value or its variant stands for.
func valueOf(v string) string {
	for _, x := range values {
		if x.value == v || x.variant == v {
			return x.value
		}
	}
	return v
}

func (s *worldState) checkRelations(t *rapid.T) {
	viewers := s.entryViewers(t)
	for _, org := range s.w.Orgs {
		s.checkFeedback(t, org)
		s.checkOwnSightings(t, org)
		s.checkAccessRequests(t, org)
		s.checkGroups(t, org)
		s.checkEntries(t, org, viewers)
	}
	s.checkTor(t)
	s.checkDetections(t)
	s.checkSMS(t)
}

// checkTor: a Tor check reads no record. For an address that is a record's
// value (when the world has one), every organization — whatever it may
// see of that record — gets the same answer, and the answer names no
// record value but the address asked.
func (s *worldState) checkTor(t *rapid.T) {
	ip := netip.MustParseAddr("198.51.100.7")
	for _, m := range s.records {
		if a, err := netip.ParseAddr(m.value); err == nil {
			ip = a
			break
		}
	}
	at := time.Date(2026, 11, 30, 19, 5, 0, 0, time.UTC)
	var first string
	for i, org := range s.w.Orgs {
		ans, err := s.c.TorCheck(org, ip, at, time.Hour)
		must(t, err)
		got := fmt.Sprintf("%s|%v|%v|%v|%s", ans.IP, ans.Covered, ans.IsRelay(), ans.IsExit(), ans.Verdict)
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("LEAK: the Tor check of %s differs by organization: %s gets %q, %s gets %q", ip, s.w.Orgs[0], first, org, got)
		}
		for _, m := range s.records {
			if !strings.Contains(ip.String(), m.value) && strings.Contains(ans.Verdict, m.value) {
				t.Fatalf("LEAK: %s's Tor check of %s names record %s's value %q", org, ip, m.id, m.value)
			}
		}
		s.cases++
	}
}

// checkFeedback: an organization's feedback summary covers exactly its own
// records that led to anything — feedback by anyone, sightings by others —
// naming each observer unless it chose anonymity, and showing notes only
// for named observers.
func (s *worldState) checkFeedback(t *rapid.T, org string) {
	type entry struct {
		count int
		named bool
		note  string
	}
	want := map[string]map[string]*entry{} // record -> observer/outcome -> entry
	wantTotals := map[string]int{}
	add := func(record, observer, outcome, note string, n int) {
		if want[record] == nil {
			want[record] = map[string]*entry{}
		}
		k := observer + "/" + outcome
		e := want[record][k]
		if e == nil {
			e = &entry{named: observer == org || !s.rel.anonymous[observer]}
			want[record][k] = e
		}
		e.count += n
		if e.named && note != "" {
			e.note = note
		}
		wantTotals[outcome] += n
	}
	for _, f := range s.rel.feedback {
		if s.byID[f.record].originator == org {
			add(f.record, f.org, f.outcome, f.note, 1)
		}
	}
	for id, by := range s.rel.sighted {
		if s.byID[id].originator != org {
			continue
		}
		for o, n := range by {
			if o != org {
				add(id, o, "seen", "", int(n))
			}
		}
	}
	got := map[string]hub.RecordFeedback{}
	cursor := ""
	for pages := 0; ; pages++ {
		sum, err := s.c.Feedback(org, 2, cursor)
		must(t, err)
		if !mapsEqual(sum.Totals, wantTotals) {
			t.Fatalf("LEAK or miss: %s's feedback totals %v, model says %v", org, sum.Totals, wantTotals)
		}
		for _, r := range sum.Records {
			got[r.Record] = r
		}
		if sum.Next == "" {
			break
		}
		if pages > 100 {
			t.Fatal("feedback pages do not end")
		}
		cursor = sum.Next
	}
	for id, r := range got {
		m := s.byID[id]
		if m == nil || m.originator != org || want[id] == nil {
			t.Fatalf("LEAK: %s's feedback lists record %s, not one of its own with feedback", org, id)
		}
		if r.Value != m.value {
			t.Fatalf("%s's feedback on %s gives value %q, want %q", org, id, r.Value, m.value)
		}
		seen := map[string]bool{}
		for _, b := range r.By {
			if b.Observer.Org != "" {
				k := b.Observer.Org + "/" + b.Outcome
				e := want[id][k]
				if e == nil || !e.named || e.count != b.Count || e.note != b.Note {
					t.Fatalf("LEAK or miss: %s's feedback on %s names %s (%s ×%d, note %q); model %+v", org, id, b.Observer.Org, b.Outcome, b.Count, b.Note, e)
				}
				seen[k] = true
				continue
			}
			if b.Note != "" {
				t.Fatalf("LEAK: an anonymous observer's note reached %s: %q", org, b.Note)
			}
			// An anonymous entry: one of the anonymous observers with this outcome and count.
			found := false
			for k, e := range want[id] {
				if !e.named && !seen[k] && strings.HasSuffix(k, "/"+b.Outcome) && e.count == b.Count {
					seen[k], found = true, true
					break
				}
			}
			if !found {
				t.Fatalf("%s's feedback on %s: an anonymous %s ×%d the model does not have", org, id, b.Outcome, b.Count)
			}
		}
		if len(seen) != len(want[id]) {
			t.Fatalf("%s's feedback on %s: %d observer entries, model says %d", org, id, len(seen), len(want[id]))
		}
		s.cases++
	}
	if len(got) != len(want) {
		t.Fatalf("%s's feedback lists %d records, model says %d", org, len(got), len(want))
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkOwnSightings: an organization reads what its own traffic matched,
// for records it may still see in full, and nothing of other organizations'.
func (s *worldState) checkOwnSightings(t *rapid.T, org string) {
	want := map[string]int64{}
	for id, by := range s.rel.sighted {
		if n := by[org]; n > 0 && s.w.Form(org, s.byID[id].shared) == policy.Full {
			want[id] = n
		}
	}
	got := map[string]int64{}
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := s.c.OwnSightings(org, 2, cursor)
		must(t, err)
		for _, x := range page.Items {
			got[x.Record] = x.Count
			if m := s.byID[x.Record]; m == nil || x.Value != m.value {
				t.Fatalf("LEAK: %s's sightings give record %s value %q", org, x.Record, x.Value)
			}
		}
		if page.Next == "" {
			break
		}
		if pages > 100 {
			t.Fatal("sighting pages do not end")
		}
		cursor = page.Next
	}
	for id, n := range got {
		if want[id] != n {
			t.Fatalf("LEAK or miss: %s's own sightings list %s ×%d, model says ×%d", org, id, n, want[id])
		}
		s.cases++
	}
	if len(got) != len(want) {
		t.Fatalf("%s's own sightings list %d records, model says %d", org, len(got), len(want))
	}
}

// checkAccessRequests: each side sees its requests; the owner which record
// each is about, the requester only once approved; nobody else any.
func (s *worldState) checkAccessRequests(t *rapid.T, org string) {
	for _, received := range []bool{true, false} {
		got, err := s.c.AccessRequests(org, received)
		must(t, err)
		want := map[string]*modelRequest{}
		for _, r := range s.rel.requests {
			if (received && r.owner == org) || (!received && r.requester == org) {
				want[r.id] = r
			}
		}
		for _, v := range got {
			r := want[v.ID]
			if r == nil {
				t.Fatalf("LEAK: %s (received=%v) sees access request %s it is no side of", org, received, v.ID)
			}
			wantRecord := ""
			if received || r.status == "approved" {
				wantRecord = r.record
			}
			if v.Record != wantRecord || v.Status != r.status || v.Owner != r.owner || v.Requester != r.requester {
				t.Fatalf("LEAK or miss: %s's view of request %s: record %q status %s; model: record %q status %s", org, v.ID, v.Record, v.Status, wantRecord, r.status)
			}
			s.cases++
		}
		if len(got) != len(want) {
			t.Fatalf("%s (received=%v) sees %d access requests, model says %d", org, received, len(got), len(want))
		}
	}
}

// checkGroups: an organization lists exactly its groups, with their
// members; any other group does not exist for it.
func (s *worldState) checkGroups(t *rapid.T, org string) {
	mine := s.w.GroupsOf(org)
	got, err := s.c.Groups(org)
	must(t, err)
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ID)
		if !slices.Equal(sortedCopy(g.Members), sortedCopy(s.w.Members[g.ID])) {
			t.Fatalf("%s: group %s lists members %v, model %v", org, g.ID, g.Members, s.w.Members[g.ID])
		}
	}
	if !slices.Equal(sortedCopy(ids), sortedCopy(mine)) {
		t.Fatalf("LEAK or miss: %s lists groups %v, model says %v", org, ids, mine)
	}
	for _, g := range s.w.Groups {
		_, err := s.c.Group(org, g)
		if slices.Contains(mine, g) != (err == nil) || (err != nil && !hub.IsNotFoundErr(err)) {
			t.Fatalf("LEAK or miss: %s gets group %s: err %v (member: %v)", org, g, err, slices.Contains(mine, g))
		}
		s.cases++
	}
}

// entryViewers returns, per evidence entry, the organizations that may see
// it: admins of the hub's operator, the owners of its objects, and its
// actor — except for the two entries that name a record the actor may not
// see (a hit on another's discoverable record, an access request by sealed
// reference).
func (s *worldState) entryViewers(t *rapid.T) []map[string]bool {
	ctx := context.Background()
	size, err := s.h.EvidenceSize(ctx)
	must(t, err)
	// The log keeps the entries of earlier worlds (it only grows); this
	// world's organizations reuse their names, so only this world's count.
	out := make([]map[string]bool, size)
	err = s.h.Evidence().Leaves(ctx, s.logFrom, size, func(seq int64, data []byte) error {
		l, err := evidence.ParseLeaf(data)
		if err != nil {
			return err
		}
		v := map[string]bool{s.w.Orgs[0]: true}
		for _, o := range l.Objects {
			v[o.Owner] = true
		}
		if l.Action != "hit" && l.Action != "access.request" {
			v[l.Org] = true
		}
		out[seq] = v
		return nil
	})
	must(t, err)
	return out
}

// checkEntries: an organization sees exactly the evidence entries the
// model lets it.
func (s *worldState) checkEntries(t *rapid.T, org string, viewers []map[string]bool) {
	size := int64(len(viewers))
	want := 0
	for _, v := range viewers {
		if v[org] {
			want++
		}
	}
	got := 0
	for from := s.logFrom; from < size; from += hub.MaxEntries {
		entries, err := s.c.Entries(org, from, min(from+hub.MaxEntries, size))
		must(t, err)
		for _, e := range entries {
			if !viewers[e.Index][org] {
				t.Fatalf("LEAK: %s sees evidence entry %d (%s by %q): %s", org, e.Index, e.Leaf.Action, e.Leaf.Org, e.Data)
			}
			got++
		}
	}
	s.cases += got
	if got != want {
		t.Fatalf("%s sees %d evidence entries, model says %d", org, got, want)
	}
}

// pendingNamed reports whether err names a pending request that requester
// made earlier.
func pendingNamed(reqs []*modelRequest, requester string, err error) bool {
	for _, r := range reqs {
		if r.requester == requester && r.status == "pending" && strings.Contains(err.Error(), r.id) {
			return true
		}
	}
	return false
}
