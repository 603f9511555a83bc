package hub

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fusion/internal/c2"
	"fusion/internal/finding"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/zeek"
)

// Continuous C2 detection. Each organization whose sensors post Zeek logs
// (POST /api/v1/events) has its own c2.Detector, made on its first log and
// kept in memory for the hub's life: findings are per organization and
// never mixed, because one organization's traffic is not another's to see.
//
// Memory: a detector holds its organization's open windows — about 350
// bytes per (source, destination) pair, address pairs, name pairs and
// polled URLs each, plus 8 bytes a connection in the pair's current window
// (c2's series; at most 86,400 a day before a pair counts as a strobe),
// and bounded DNS groups (c2.DNSTunnels). Windows roll over after 24 h, so
// a steady network's state stays the size of a day of its pairs. The
// findings reported so far are remembered by kind, source and destination
// (a few dozen bytes each).
//
// Cost: Findings scores every open window, in time linear in the pairs and
// their connections (c2's benchmarks: well over a million connections a
// second). The hub scores once after each log is fed and keeps the answer,
// so reading detections costs a copy and never waits for a feed: feeds of
// one organization take turns (its lock), reads take the last answer.

// orgDetector is one organization's detector, its last findings and the
// detections already reported back as sightings.
type orgDetector struct {
	mu       sync.Mutex // held while a log is fed and scored
	det      *c2.Detector
	reported map[detectionKey]bool
	// findings is the answer after the last log, replaced whole, never
	// changed in place.
	findings atomic.Pointer[[]finding.Finding]
}

type detectionKey struct{ kind, src, dst string }

// detectors holds the organizations' detectors, made on first use.
type detectors struct {
	mu   sync.Mutex
	orgs map[string]*orgDetector
}

// detector returns org's detector, making it on first use.
func (h *Hub) detector(org string, create bool) (*orgDetector, error) {
	h.det.mu.Lock()
	defer h.det.mu.Unlock()
	if d := h.det.orgs[org]; d != nil || !create {
		return d, nil
	}
	det, err := c2.New(c2.DefaultConfig())
	if err != nil {
		return nil, err
	}
	if h.det.orgs == nil {
		h.det.orgs = map[string]*orgDetector{}
	}
	d := &orgDetector{det: det, reported: map[detectionKey]bool{}}
	h.det.orgs[org] = d
	return d, nil
}

// DetectResult says what one log did to the organization's detections.
type DetectResult struct {
	// Fed is false for a log that is not a conn, http, ssl or dns log
	// (nothing was read from it).
	Fed bool `json:"fed"`
	// Detections is how many findings the organization has now; New how
	// many of them (kind, source, destination) appeared with this log.
	Detections int `json:"detections"`
	New        int `json:"new"`
	// Sightings is what the new detections' destinations matched: the
	// answer of RecordSightings.
	Sightings SightingResult `json:"sightings"`
}

// Detect feeds one Zeek log of c's organization's traffic (conn, http, ssl
// or dns; names — http, ssl — before the conn logs they name) to the
// organization's C2 detector. A log of another kind is not read and Fed is
// false. A detection that appears for the first time is recorded as a
// sighting, through RecordSightings and so through the gate, on the
// records c may use in full whose value is its destination (an address or
// name; a poll's URL host), so that an indicator someone shared shows the
// hit.
func (h *Hub) Detect(ctx context.Context, c *policy.Caller, zr *zeek.Reader) (DetectResult, error) {
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return DetectResult{}, err
	}
	d, err := h.detector(c.Org, true)
	if err != nil {
		return DetectResult{}, err
	}
	var res DetectResult
	var fresh []finding.Finding
	d.mu.Lock()
	err = d.det.Log(zr)
	if errors.Is(err, c2.ErrLogKind) {
		d.mu.Unlock()
		return res, nil
	}
	res.Fed = true
	// Score even when the log stopped at a bad line: what was read is in.
	fs := d.det.Findings()
	d.findings.Store(&fs)
	for _, f := range fs {
		k := detectionKey{f.Kind, f.Src, f.Dst}
		if !d.reported[k] {
			d.reported[k] = true
			fresh = append(fresh, f)
		}
	}
	d.mu.Unlock()
	res.Detections, res.New = len(fs), len(fresh)
	if err != nil {
		return res, err
	}
	if len(fresh) == 0 || h.m == nil {
		return res, nil
	}
	var obs []match.Observation
	for _, f := range fresh {
		obs = append(obs, detectionObservations(f)...)
	}
	if len(obs) == 0 {
		return res, nil
	}
	if res.Sightings, err = h.RecordSightings(ctx, c, obs); err != nil {
		// Not recorded: the next log reports them again.
		d.mu.Lock()
		for _, f := range fresh {
			delete(d.reported, detectionKey{f.Kind, f.Src, f.Dst})
		}
		d.mu.Unlock()
	}
	return res, err
}

// detectionObservations are what a finding points at, as observations:
// its destination and, for a name, the addresses it was reached at (as
// `fusion detect c2 --server` sends them), so that a record of either
// gets the sighting.
func detectionObservations(f finding.Finding) []match.Observation {
	o, ok := detectionObservation(f)
	if !ok {
		return nil
	}
	out := []match.Observation{o}
	for _, a := range f.DstAddrs {
		if _, err := netip.ParseAddr(a); err != nil {
			continue
		}
		sum := sha256.Sum256([]byte("c2\x00" + f.Kind + "\x00" + f.Src + "\x00" + f.Dst + "\x00" + a))
		oa := o
		oa.Kind, oa.Value = match.KindIP, a
		copy(oa.Event[:], sum[:])
		out = append(out, oa)
	}
	return out
}

// detectionObservation is a finding's destination as an observation: the
// address or name, or a poll's URL host, seen at the finding's last time,
// named as an event by its kind, source and destination so that it counts
// once however often it is reported.
func detectionObservation(f finding.Finding) (match.Observation, bool) {
	dst := f.Dst
	if f.Kind == finding.C2Poll {
		dst, _, _ = strings.Cut(dst, "/")
	}
	if h, _, err := net.SplitHostPort(dst); err == nil {
		dst = h
	}
	dst = strings.Trim(dst, "[]")
	if dst == "" {
		return match.Observation{}, false
	}
	kind := match.KindDomain
	if _, err := netip.ParseAddr(dst); err == nil {
		kind = match.KindIP
	}
	sum := sha256.Sum256([]byte("c2\x00" + f.Kind + "\x00" + f.Src + "\x00" + f.Dst))
	var ev match.EventID
	copy(ev[:], sum[:])
	t := f.End
	if t.IsZero() {
		t = f.Start
	}
	if t.IsZero() {
		t = time.Now().UTC()
	}
	return match.Observation{Time: t, Field: "c2." + f.Kind, Kind: kind, Value: dst, Event: ev}, true
}

// Detections returns the C2 findings of c's own organization's traffic as
// they stand after its last log: never another organization's. Every role
// that reads verdicts on its own traffic may read them (policy.ReadVerdicts).
func (h *Hub) Detections(_ context.Context, c *policy.Caller) ([]finding.Finding, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return nil, err
	}
	d, err := h.detector(c.Org, false)
	if err != nil || d == nil {
		return []finding.Finding{}, err
	}
	fs := d.findings.Load()
	if fs == nil {
		return []finding.Finding{}, nil
	}
	return slices.Clone(*fs), nil
}
