// Package tor reads the Tor network's public records: network-status
// consensus documents (dir-spec v3) and TorDNSEL exit lists, from files,
// directories and the .tar/.tar.xz archives CollecTor publishes. No
// maintained Go parser exists for these formats, so they are written here.
//
// # Consensus documents
//
// [ParseConsensus] reads a network-status consensus (the "ns" flavour with
// nine-field "r" lines, or the microdescriptor flavour with eight): the
// validity times of the header and, for every router entry, the "r", "a",
// "s" and "p" lines. Other lines (v, pr, w, m, params, the footer and the
// signatures) are checked only for being well-formed keyword lines or
// objects and are otherwise ignored.
//
// # Exit lists
//
// [ParseExitList] reads a TorDNSEL exit list: the addresses that the exit
// scanner saw each exit relay use, and when.
//
// # Strictness
//
// Answers drawn from these documents ("was this IP a Tor exit at time T?")
// must be exact, so the parsers reject a document rather than guess: a
// malformed value in a line they interpret, a required line that is
// missing or repeated, or a consensus that ends before its signatures (a
// truncated download) is an error wrapping [ErrSyntax] that names the line.
// Unknown keyword lines are ignored, as dir-spec requires.
//
// # Walking files and archives
//
// [Walk] hands over the documents in a file, a directory tree or a CollecTor
// .tar or .tar.xz archive one at a time, so memory does not grow with the
// size of the archive.
//
// SPEC: https://spec.torproject.org/dir-spec/consensus-formats.html
// SPEC: https://metrics.torproject.org/collector.html#type-tordnsel
package tor

import (
	"net/netip"
	"time"
)

// Microdesc is the flavour of a microdescriptor consensus.
const Microdesc = "microdesc"

// Consensus is one network-status consensus. All times are in UTC.
type Consensus struct {
	// Flavor is "" for the full ("ns") consensus and [Microdesc] for a
	// microdescriptor consensus (said by its "@type" line, its
	// "network-status-version 3 microdesc" line or its eight-field "r"
	// lines). A microdescriptor consensus has no "p" lines: dir-spec
	// §3.9.2 does not generate them there, so it says nothing about exit
	// policies.
	Flavor     string
	ValidAfter time.Time // "valid-after"
	FreshUntil time.Time // "fresh-until"
	ValidUntil time.Time // "valid-until"
	Relays     []Relay   // router entries, in document order
}

// Relay is one router entry ("r" line and the lines that follow it).
type Relay struct {
	Nickname    string
	Fingerprint string           // hex, uppercase, 40 characters (from the base64 identity)
	Published   time.Time        // publication time of the relay's descriptor, UTC
	Address     netip.Addr       // the "r" line's IPv4 address
	ORPort      uint16           // the "r" line's ORPort, never 0
	DirPort     uint16           // 0 when none
	IPv6        []netip.AddrPort // "a" lines: IPv6 addresses (never with a zone) and ORPorts
	Flags       []string         // "s" line, as written (Exit, Fast, Guard, Running, Stable, Valid, ...)
	// ExitPolicy is the "p" line: an accept or reject list of ports. It is
	// the zero PortPolicy, which allows no port, when the entry has no "p"
	// line.
	ExitPolicy PortPolicy
}

// PortPolicy is a summarized exit policy: "accept 80,443,1000-2000" or
// "reject 1-65535". The Ranges are kept as written.
//
// A PortPolicy with no Ranges, such as the zero value, allows no port: it
// stands for a missing "p" line, about which this package does not guess.
type PortPolicy struct {
	Accept bool        // true for "accept", false for "reject"
	Ranges []PortRange // the PortList, in document order
}

// PortRange is an inclusive range of ports. A single port has Low == High.
type PortRange struct{ Low, High uint16 }

// ExitList is one TorDNSEL exit list.
type ExitList struct {
	Downloaded time.Time // "Downloaded" header, if present; zero otherwise
	Exits      []Exit    // entries, in document order
}

// Exit is one "ExitNode" entry. All times are in UTC.
type Exit struct {
	Fingerprint string        // hex, uppercase, 40 characters
	Published   time.Time     // "Published": the relay's descriptor publication time
	LastStatus  time.Time     // "LastStatus": when the relay was last seen in a network status
	Addresses   []ExitAddress // "ExitAddress" lines, in document order; at least one
}

// ExitAddress is one "ExitAddress" line: an address seen exiting at a time.
type ExitAddress struct {
	Addr netip.Addr // IPv4 or IPv6, as written (never with a zone)
	Seen time.Time  // when the exit scanner saw Addr, UTC
}
