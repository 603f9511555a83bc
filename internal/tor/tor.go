// Package tor reads the Tor network's public records: network-status
// consensus documents (dir-spec v3) and TorDNSEL exit lists, from files,
// directories and the .tar/.tar.xz archives CollecTor publishes. No
// maintained Go parser exists for these formats, so they are written here.
//
// SPEC: https://spec.torproject.org/dir-spec/consensus-formats.html
// SPEC: https://metrics.torproject.org/collector.html#type-tordnsel
package tor

import (
	"net/netip"
	"time"
)

// Consensus is one network-status consensus.
type Consensus struct {
	ValidAfter time.Time
	FreshUntil time.Time
	ValidUntil time.Time
	Relays     []Relay
}

// Relay is one router entry ("r" line and the lines that follow it).
type Relay struct {
	Nickname    string
	Fingerprint string // hex, uppercase, 40 characters (from the base64 identity)
	Published   time.Time
	Address     netip.Addr   // the "r" line's IPv4 address
	ORPort      uint16       // the "r" line's ORPort
	DirPort     uint16       // 0 when none
	IPv6        []netip.AddrPort // "a" lines
	Flags       []string     // "s" line, as written (Exit, Fast, Guard, Running, Stable, Valid, ...)
	// ExitPolicy is the "p" line: an accept or reject list of ports.
	ExitPolicy PortPolicy
}

// PortPolicy is a summarized exit policy: "accept 80,443,1000-2000" or
// "reject 1-65535".
type PortPolicy struct {
	Accept bool
	Ranges []PortRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ Low, High uint16 }

// ExitList is one TorDNSEL exit list.
type ExitList struct {
	Downloaded time.Time // "Downloaded" header, if present
	Exits      []Exit
}

// Exit is one "ExitNode" entry.
type Exit struct {
	Fingerprint string // hex, uppercase
	Published   time.Time
	LastStatus  time.Time
	Addresses   []ExitAddress
}

// ExitAddress is one "ExitAddress" line: an address seen exiting at a time.
type ExitAddress struct {
	Addr netip.Addr
	Seen time.Time
}
