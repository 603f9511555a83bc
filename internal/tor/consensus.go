package tor

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/netip"
	"time"
)

// consensusTypes are the CollecTor "@type" names of consensus documents.
var consensusTypes = map[string]bool{
	"network-status-consensus-3":           true,
	"network-status-microdesc-consensus-3": true,
}

// section is where in a consensus a line is.
type section int

const (
	preamble section = iota // before the first "r" line
	entries                 // router entries
	footer                  // from "directory-footer" or the first "directory-signature" on
)

// ParseConsensus reads a network-status consensus document (dir-spec v3),
// optionally preceded by a CollecTor "@type network-status-consensus-3 1.x"
// (or microdesc consensus) line. It reads r from start to end, one line at
// a time.
//
// The document MUST start with "network-status-version 3" and have
// "vote-status consensus", "valid-after", "fresh-until" and "valid-until"
// exactly once each in its preamble, with valid-after <= fresh-until <=
// valid-until. Every router entry MUST have exactly one "s" line and at most
// one "p" line. The document MUST end with at least one
// "directory-signature", so a truncated consensus is rejected rather than
// read as a network with fewer relays. Lines holding only whitespace are
// ignored, as are lines with other keywords and the objects
// ("-----BEGIN ...-----" to "-----END ...-----") after them.
//
// Errors about the content are *SyntaxError values wrapping [ErrSyntax];
// an error from r is returned wrapped. ParseConsensus never panics.
func ParseConsensus(r io.Reader) (*Consensus, error) {
	return parseConsensus(r, "")
}

// parseConsensus is ParseConsensus for the file called name ("" for none).
func parseConsensus(r io.Reader, name string) (*Consensus, error) {
	p := consensusParser{
		s:     newLineScanner(r, name, "consensus"),
		flags: make(map[string]string),
	}
	return p.parse()
}

// consensusParser holds the state of one ParseConsensus call.
type consensusParser struct {
	s     *lineScanner
	c     Consensus
	f     [][]byte          // fields of the current line, reused
	flags map[string]string // interned flag names
	sec   section

	sawVersion, sawVoteStatus       bool
	sawValidAfter, sawFreshUntil    bool
	sawValidUntil, sawFooterKeyword bool
	signatures                      int

	objLine int    // line of the open "-----BEGIN" marker, 0 when none is open
	objName []byte // what the open object is, such as "SIGNATURE"

	relay   *Relay // the entry being read, nil before the first "r"
	relayAt int    // line of its "r" line
	sawS    bool
	sawP    bool
}

func (p *consensusParser) parse() (*Consensus, error) {
	s := p.s
	for s.next() {
		line := s.text
		if p.objLine != 0 {
			if err := p.objectLine(line); err != nil {
				return nil, err
			}
			continue
		}
		if isBlank(line) {
			continue
		}
		if line[0] == '@' {
			if s.line != 1 {
				return nil, s.errorf("annotation %s is not on the first line", quote(firstField(line)))
			}
			p.f = splitFields(p.f, line)
			name, err := parseAnnotation(s, p.f)
			if err != nil {
				return nil, err
			}
			if !consensusTypes[name] {
				return nil, s.errorf("@type %s is not a consensus", quote(p.f[1]))
			}
			if name == "network-status-microdesc-consensus-3" {
				p.c.Flavor = Microdesc
			}
			continue
		}
		kw := firstField(line)
		if !p.sawVersion && string(kw) != "network-status-version" {
			return nil, s.errorf("first line starts with %s, want network-status-version", quote(kw))
		}
		if bytes.HasPrefix(line, []byte("-----")) {
			if err := p.objectStart(line); err != nil {
				return nil, err
			}
			continue
		}
		if !isKeyword(kw) {
			return nil, s.errorf("line does not start with a keyword: %s", quote(line))
		}
		if err := p.keywordLine(kw, line); err != nil {
			return nil, err
		}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return p.finish()
}

// objectStart handles a "-----BEGIN NAME-----" line.
func (p *consensusParser) objectStart(line []byte) error {
	const begin, end = "-----BEGIN ", "-----"
	if !bytes.HasPrefix(line, []byte(begin)) || !bytes.HasSuffix(line, []byte(end)) ||
		len(line) <= len(begin)+len(end) {
		return p.s.errorf("%s is not an object start (-----BEGIN ...-----)", quote(line))
	}
	p.objLine = p.s.line
	p.objName = append(p.objName[:0], line[len(begin):len(line)-len(end)]...)
	return nil
}

// objectLine handles a line inside an object: base64 text or the end marker.
func (p *consensusParser) objectLine(line []byte) error {
	if !bytes.HasPrefix(line, []byte("-----")) {
		return nil
	}
	rest, ok := bytes.CutPrefix(line, []byte("-----END "))
	if !ok {
		return p.s.errorf("%s inside the object begun on line %d", quote(line), p.objLine)
	}
	name, ok := bytes.CutSuffix(rest, []byte("-----"))
	if !ok || !bytes.Equal(name, p.objName) {
		return p.s.errorf("%s does not end the object %s begun on line %d", quote(line), quote(p.objName), p.objLine)
	}
	p.objLine = 0
	return nil
}

// keywordLine handles a line that starts with keyword kw.
func (p *consensusParser) keywordLine(kw, line []byte) error {
	s := p.s
	switch string(kw) {
	case "network-status-version":
		if p.sawVersion {
			return s.errorf("network-status-version line repeated")
		}
		p.sawVersion = true
		f := splitFields(p.f, line)
		p.f = f
		if len(f) < 2 || len(f) > 3 || string(f[1]) != "3" {
			return s.errorf("network-status-version %s, want 3", quote(bytes.TrimSpace(line[len(kw):])))
		}
		if len(f) == 3 && string(f[2]) == Microdesc {
			p.c.Flavor = Microdesc
		}
	case "vote-status":
		if err := p.preambleOnce(kw, &p.sawVoteStatus); err != nil {
			return err
		}
		f := splitFields(p.f, line)
		p.f = f
		if len(f) != 2 || string(f[1]) != "consensus" {
			return s.errorf("vote-status %s, want consensus", quote(bytes.TrimSpace(line[len(kw):])))
		}
	case "valid-after":
		return p.headerTime(kw, line, &p.sawValidAfter, &p.c.ValidAfter)
	case "fresh-until":
		return p.headerTime(kw, line, &p.sawFreshUntil, &p.c.FreshUntil)
	case "valid-until":
		return p.headerTime(kw, line, &p.sawValidUntil, &p.c.ValidUntil)
	case "r":
		if p.sec == footer {
			return s.errorf("r line after the footer began")
		}
		if err := p.endRelay(); err != nil {
			return err
		}
		p.sec = entries
		return p.rLine(line)
	case "s":
		if err := p.inEntry(kw); err != nil {
			return err
		}
		if p.sawS {
			return s.errorf("second s line for the relay on line %d", p.relayAt)
		}
		p.sawS = true
		return p.sLine(line)
	case "p":
		if err := p.inEntry(kw); err != nil {
			return err
		}
		if p.sawP {
			return s.errorf("second p line for the relay on line %d", p.relayAt)
		}
		p.sawP = true
		f := splitFields(p.f, line)
		p.f = f
		if len(f) != 3 {
			return s.errorf("p line has %d fields, want 3", len(f))
		}
		pol, msg := parsePortPolicy(f[1], f[2])
		if msg != "" {
			return s.errorf("p line: %s", msg)
		}
		p.relay.ExitPolicy = pol
	case "a":
		if err := p.inEntry(kw); err != nil {
			return err
		}
		return p.aLine(line)
	case "directory-footer":
		if p.sawFooterKeyword || p.sec == footer {
			return s.errorf("directory-footer line inside the footer")
		}
		p.sawFooterKeyword = true
		if err := p.endRelay(); err != nil {
			return err
		}
		p.sec = footer
	case "directory-signature":
		if err := p.endRelay(); err != nil {
			return err
		}
		p.sec = footer
		p.signatures++
	}
	return nil
}

// preambleOnce checks that a header keyword is in the preamble and not
// repeated, and marks it seen.
func (p *consensusParser) preambleOnce(kw []byte, seen *bool) error {
	if p.sec != preamble {
		return p.s.errorf("%s line after the first r line", kw)
	}
	if *seen {
		return p.s.errorf("%s line repeated", kw)
	}
	*seen = true
	return nil
}

// headerTime parses a "valid-after"-style line into *t.
func (p *consensusParser) headerTime(kw, line []byte, seen *bool, t *time.Time) error {
	if err := p.preambleOnce(kw, seen); err != nil {
		return err
	}
	f := splitFields(p.f, line)
	p.f = f
	if len(f) != 3 {
		return p.s.errorf("%s line has %d fields, want 3 (%s YYYY-MM-DD HH:MM:SS)", kw, len(f), kw)
	}
	v, ok := parseTime(f[1], f[2])
	if !ok {
		return p.s.errorf("%s time %s %s is not a valid YYYY-MM-DD HH:MM:SS", kw, quote(f[1]), quote(f[2]))
	}
	*t = v
	return nil
}

// inEntry checks that a per-relay line is inside a router entry.
func (p *consensusParser) inEntry(kw []byte) error {
	if p.sec != entries {
		if p.sec == footer {
			return p.s.errorf("%s line after the footer began", kw)
		}
		return p.s.errorf("%s line before the first r line", kw)
	}
	return nil
}

// endRelay checks the entry being read, if any, once its last line is read.
func (p *consensusParser) endRelay() error {
	if p.relay != nil && !p.sawS {
		return p.s.errorAt(p.relayAt, "relay %s has no s line", p.relay.Nickname)
	}
	p.relay = nil
	return nil
}

// rLine parses
//
//	"r" nickname identity digest YYYY-MM-DD HH:MM:SS IP ORPort DirPort
//
// (without the digest in a microdesc consensus) and starts a new entry.
func (p *consensusParser) rLine(line []byte) error {
	s := p.s
	f := splitFields(p.f, line)
	p.f = f
	if len(f) != 9 && len(f) != 8 {
		return s.errorf("r line has %d fields, want 9 (8 in a microdesc consensus)", len(f))
	}
	nick := f[1]
	if len(nick) < 1 || len(nick) > 19 || !isAlnum(nick) {
		return s.errorf("r line nickname %s is not 1 to 19 letters and digits", quote(nick))
	}
	var id [20]byte
	if !decodeDigest(id[:], f[2]) {
		return s.errorf("r line identity %s is not 20 bytes in base64", quote(f[2]))
	}
	rest := f[3:]
	if len(f) == 8 {
		p.c.Flavor = Microdesc
	}
	if len(f) == 9 {
		var digest [20]byte
		if !decodeDigest(digest[:], f[3]) {
			return s.errorf("r line digest %s is not 20 bytes in base64", quote(f[3]))
		}
		rest = f[4:]
	}
	published, ok := parseTime(rest[0], rest[1])
	if !ok {
		return s.errorf("r line publication time %s %s is not a valid YYYY-MM-DD HH:MM:SS", quote(rest[0]), quote(rest[1]))
	}
	addr, ok := parseIPv4(rest[2])
	if !ok {
		return s.errorf("r line address %s is not an IPv4 address", quote(rest[2]))
	}
	orPort, ok := parsePort(rest[3])
	if !ok || orPort == 0 {
		return s.errorf("r line ORPort %s is not a port from 1 to 65535", quote(rest[3]))
	}
	dirPort, ok := parsePort(rest[4])
	if !ok {
		return s.errorf("r line DirPort %s is not a port from 0 to 65535", quote(rest[4]))
	}
	p.c.Relays = append(p.c.Relays, Relay{
		Nickname:    string(nick),
		Fingerprint: upperHex(id[:]),
		Published:   published,
		Address:     addr,
		ORPort:      orPort,
		DirPort:     dirPort,
	})
	p.relay = &p.c.Relays[len(p.c.Relays)-1]
	p.relayAt = s.line
	p.sawS, p.sawP = false, false
	return nil
}

// sLine parses "s" Flags.
func (p *consensusParser) sLine(line []byte) error {
	f := splitFields(p.f, line)
	p.f = f
	if len(f) == 1 {
		return nil
	}
	flags := make([]string, len(f)-1)
	for i, b := range f[1:] {
		if !isKeyword(b) {
			return p.s.errorf("s line flag %s is not a keyword", quote(b))
		}
		name, ok := p.flags[string(b)]
		if !ok {
			name = string(b)
			p.flags[name] = name
		}
		flags[i] = name
	}
	p.relay.Flags = flags
	return nil
}

// aLine parses "a" "[" IPv6 "]:" port.
func (p *consensusParser) aLine(line []byte) error {
	f := splitFields(p.f, line)
	p.f = f
	if len(f) != 2 {
		return p.s.errorf("a line has %d fields, want 2", len(f))
	}
	ap, err := netip.ParseAddrPort(string(f[1]))
	if err != nil || !ap.Addr().Is6() || ap.Addr().Zone() != "" || ap.Port() == 0 || f[1][0] != '[' {
		return p.s.errorf("a line %s is not [IPv6]:port", quote(f[1]))
	}
	p.relay.IPv6 = append(p.relay.IPv6, ap)
	return nil
}

// finish checks the document as a whole once all lines are read.
func (p *consensusParser) finish() (*Consensus, error) {
	s := p.s
	switch {
	case p.objLine != 0:
		return nil, s.errorAt(p.objLine, "object %s is not ended (document truncated?)", quote(p.objName))
	case !p.sawVersion:
		return nil, s.errorf("no network-status-version line (empty document?)")
	case !p.sawVoteStatus:
		return nil, s.errorf("no vote-status line")
	case !p.sawValidAfter:
		return nil, s.errorf("no valid-after line")
	case !p.sawFreshUntil:
		return nil, s.errorf("no fresh-until line")
	case !p.sawValidUntil:
		return nil, s.errorf("no valid-until line")
	case p.signatures == 0:
		return nil, s.errorf("no directory-signature line (document truncated?)")
	case p.c.FreshUntil.Before(p.c.ValidAfter) || p.c.ValidUntil.Before(p.c.FreshUntil):
		return nil, s.errorf("valid-after %s, fresh-until %s and valid-until %s are out of order",
			p.c.ValidAfter.Format(time.DateTime), p.c.FreshUntil.Format(time.DateTime), p.c.ValidUntil.Format(time.DateTime))
	}
	c := p.c
	return &c, nil
}

// rawStdStrict decodes base64 without padding and rejects encodings whose
// unused trailing bits are not zero, so each digest has one spelling.
var rawStdStrict = base64.RawStdEncoding.Strict()

// decodeDigest decodes 20 bytes written in base64 without padding (as
// dir-spec writes identities and digests; a trailing "=" is tolerated)
// into dst.
func decodeDigest(dst, src []byte) bool {
	src = bytes.TrimSuffix(src, []byte("="))
	if len(src) != 27 {
		return false
	}
	n, err := rawStdStrict.Decode(dst, src)
	return err == nil && n == 20
}

// isAlnum reports whether b holds only ASCII letters and digits.
func isAlnum(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// HasFlag reports whether the relay's "s" line lists flag f (case-sensitive,
// as dir-spec flags are: "Exit", "Guard", ...).
func (r Relay) HasFlag(f string) bool {
	for _, g := range r.Flags {
		if g == f {
			return true
		}
	}
	return false
}
