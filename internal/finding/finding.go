// Package finding defines what a detection is called and how it is written:
// the finding kinds and the one Finding shape that sensors emit, that
// scenario generators write as ground truth, and that `fusion exercise
// score` reads and scores.
//
// # Format
//
// A findings file is JSON lines, one Finding per line. Every line has a kind
// (one of [Kinds], or another detector's own), an entity (what the finding
// names: a host, an indicator value, a number prefix, a booking) and the
// time span start–end, RFC 3339, closed; end may be left out when it equals
// start. id and detail are for people and for the generators' truth lines;
// scoring ignores them. The other members are evidence a sensor adds — the
// indicator records behind an intel-contact, the relays behind a tor-use —
// and are written only when set.
//
// A truth file (truth.jsonl, as package scenario writes it) is a findings
// file whose lines are the activities injected, so findings score directly
// against it: see [Evaluate].
package finding

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Finding kinds: what injected activities are called, and what findings
// that name them must be called. Each comment says who writes the kind and
// what its entity is.
const (
	C2Beacon     = "c2-beacon"       // scenario network: periodic connections to a C2 server; entity: internal host IP
	C2Poll       = "c2-poll"         // scenario network: a host polling a web page for commands; entity: internal host IP
	C2DNS        = "c2-dns"          // scenario network: a host tunnelling through DNS queries under one domain; entity: internal host IP
	LongConn     = "long-connection" // scenario network: connections, or chains of them, to one destination lasting hours; entity: internal host IP
	TorUse       = "tor-use"         // scenario network, tor.Scanner: a host connecting to Tor relays; entity: internal host IP
	IntelContact = "intel-contact"   // scenario network, match.Matcher: contact with a known-bad value; entity: the indicator value
	SMSPumping   = "sms-pumping"     // scenario sms: a pumping campaign; entity: the E.164 prefix of the targeted block
	FraudRing    = "fraud-ring"      // scenario transactions: a fraudulent booking; entity: the booking id
)

// Kinds lists every finding kind.
var Kinds = []string{C2Beacon, C2Poll, C2DNS, LongConn, TorUse, IntelContact, SMSPumping, FraudRing}

// Finding is one detection, or one injected activity in a truth file.
type Finding struct {
	Kind string `json:"kind"`
	// ID names a truth line (generators set it); sensors leave it empty.
	ID     string    `json:"id,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Entity string    `json:"entity"`
	// Detail is optional context for people (campaign, destination, ...);
	// scoring ignores it.
	Detail map[string]string `json:"detail,omitempty"`

	// Evidence of an intel-contact (match.Matcher).

	// Observed is the value as seen in the event, canonical; Entity is the
	// indicator value that matched it.
	Observed string `json:"observed,omitempty"`
	// Rule says how Observed matched Entity: exact, cidr, subdomain, url
	// (the same URL over another scheme), url-host (a URL's host is the
	// indicator) — match.Rule.
	Rule string `json:"rule,omitempty"`
	// Fields are the event's fields the value was seen in.
	Fields []string `json:"fields,omitempty"`
	// Records are the indicator records behind the match.
	Records []Record `json:"records,omitempty"`
	// UID identifies the event in its log (Zeek's uid), if it has one.
	UID string `json:"uid,omitempty"`

	// Evidence of a tor-use (tor.Scanner).

	// Connections counts the connections to relays in the session.
	Connections int `json:"connections,omitempty"`
	// Relays are the relays connected to, each written "nickname
	// (fingerprint) addr:port" (tor.Scanner keeps the first 16).
	Relays []string `json:"relays,omitempty"`
	// Onions are the .onion names looked up.
	Onions []string `json:"onions,omitempty"`

	// Evidence of a C2 finding (c2-beacon, c2-poll, c2-dns,
	// long-connection).

	// Src is the internal host; Dst the destination: an IP address, or a
	// name (FQDN, or registered domain for c2-dns) when grouped by name.
	Src string `json:"src,omitempty"`
	Dst string `json:"dst,omitempty"`
	// DstAddrs are the addresses a name was reached at (the first eight).
	DstAddrs []string `json:"dst_addrs,omitempty"`
	// Score is the detector's score in [0, 1]; Severity its bucket
	// (critical, high, medium, low).
	Score    float64 `json:"score,omitempty"`
	Severity string  `json:"severity,omitempty"`
	// Scores are the sub-scores behind Score, by name.
	Scores map[string]float64 `json:"scores,omitempty"`
	// Stats are the figures the scores rest on (connection count,
	// interval and size statistics, durations, query counts), by name.
	Stats map[string]float64 `json:"stats,omitempty"`
	// Explanation says in words what was seen ("every 300 s ±4 s, 1,049
	// bytes each, for 23 h").
	Explanation string `json:"explanation,omitempty"`
	// UIDs are Zeek uids of evidence lines (the first and last few).
	UIDs []string `json:"uids,omitempty"`
	// Intervals is a beacon's or poll's histogram of the intervals
	// between its distinct connection times: bin i counts intervals from
	// 2^(i/4) s up to the next bin's edge (four bins to an octave; bin 0
	// also holds intervals under a second), trailing empty bins left out.
	Intervals []int `json:"intervals,omitempty"`
}

// Record is an indicator record behind a finding, as the caller may see it.
type Record struct {
	ID     string   `json:"id"`
	Type   string   `json:"type"`
	Value  string   `json:"value"`
	Labels []string `json:"labels"`
}

// maxLine is the longest line Read accepts.
const maxLine = 16 << 20

// Read reads a findings or truth file: JSON lines of Finding; blank lines
// are skipped. Every finding needs a kind and an entity, a missing end is
// its start, and end must not be before start. A line that is not a
// finding is an error naming the line.
func Read(r io.Reader) ([]Finding, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []Finding
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var f Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if f.Kind == "" || f.Entity == "" {
			return nil, fmt.Errorf("line %d: kind and entity are required", n)
		}
		if f.End.IsZero() {
			f.End = f.Start
		}
		if f.End.Before(f.Start) {
			return nil, fmt.Errorf("line %d: end %s is before start %s", n, f.End, f.Start)
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return out, nil
}
