package sms

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fusion/internal/finding"
)

// Findings returns one sms-pumping finding per block episode — a prefix
// blocked from its evidence's first request to its last refused request —
// oldest first. Blocks of 1,000 numbers that a block of their 10,000 covers
// at the same time are left out: the wider block names them. The entity
// is the blocked E.164 prefix, as the sms scenario's truth names the
// targeted block (or a longer prefix of it).
func (g *Guard) Findings() []finding.Finding {
	g.mu.Lock()
	defer g.mu.Unlock()
	all := append([]*episode(nil), g.episodes...)
	for _, e := range g.ranges.blocks {
		all = append(all, e)
	}
	wide := map[string][]*episode{}
	for _, e := range all {
		wide[e.prefix] = append(wide[e.prefix], e)
	}
	var out []finding.Finding
	for _, e := range all {
		covered := false
		for _, p := range wide[e.prefix[:len(e.prefix)-1]] {
			if p.start <= e.last && e.start <= p.last {
				covered = true
			}
		}
		if covered {
			continue
		}
		out = append(out, e.finding())
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Entity < out[j].Entity
	})
	return out
}

func (e *episode) finding() finding.Finding {
	detail := map[string]string{"app": e.app, "rule": e.rule, "reasons": e.reasons.String(),
		"number_type": e.numberType.String(), "level": strconv.Itoa(e.level)}
	if e.country != "" {
		detail["country"] = e.country
	}
	if e.carrier != "" {
		detail["carrier"] = e.carrier
	}
	var why []string
	switch e.rule {
	case "low-conversion":
		why = append(why, fmt.Sprintf("%d of %d numbers given a code in the %s before entered it", e.entered, e.matured, span(time.Duration(e.placed-e.start))))
	case "prefix-burst":
		why = append(why, fmt.Sprintf("a burst of %d requests to distinct numbers, none entered", e.evidence))
	}
	for _, r := range []Reasons{ReasonSequential, ReasonClustered, ReasonIPRotation, ReasonUARotation, ReasonNextToBlocked} {
		if e.reasons.Has(r) {
			why = append(why, ruleName(r))
		}
	}
	ttl := time.Duration(e.until - e.placed)
	expl := fmt.Sprintf("%s (%s %s%s) blocked for %s for app %s: %s; %d requests refused while blocked",
		e.prefix+strings.Repeat("x", e.free), e.country, e.numberType,
		carrierNote(e.carrier), ttl, e.app, strings.Join(why, ", "), e.blocked)
	return finding.Finding{
		Kind:        finding.SMSPumping,
		Start:       time.Unix(0, e.start).UTC(),
		End:         time.Unix(0, max(e.last, e.placed)).UTC(),
		Entity:      e.prefix,
		Detail:      detail,
		Explanation: expl,
		Stats: map[string]float64{"evidence_requests": float64(e.evidence), "matured": float64(e.matured),
			"entered": float64(e.entered), "refused": float64(e.blocked), "ttl_seconds": ttl.Seconds()},
	}
}

// span says how long the evidence took, in minutes under two hours and
// in hours above.
func span(d time.Duration) string {
	if d < 2*time.Hour {
		return fmt.Sprintf("%d minutes", max(1, int(d.Round(time.Minute)/time.Minute)))
	}
	return fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
}

func carrierNote(c string) string {
	if c == "" {
		return ""
	}
	return ", " + c
}
