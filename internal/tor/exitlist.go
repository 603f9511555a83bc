package tor

import (
	"encoding/hex"
	"io"
	"net/netip"
	"time"
)

// ParseExitList reads a TorDNSEL exit list, optionally preceded by a
// CollecTor "@type tordnsel 1.x" line:
//
//	Downloaded YYYY-MM-DD HH:MM:SS             (optional, before the entries)
//	ExitNode FINGERPRINT                       (40 hex digits)
//	Published YYYY-MM-DD HH:MM:SS
//	LastStatus YYYY-MM-DD HH:MM:SS
//	ExitAddress IP YYYY-MM-DD HH:MM:SS         (one or more; IPv4 or IPv6)
//
// Every entry MUST have exactly one Published and one LastStatus line and
// at least one ExitAddress line, and the list MUST have at least one entry
// (an empty list is more likely a failed download than a Tor network
// without exits). Fingerprints are returned in uppercase. Lines holding
// only whitespace and lines with other keywords are ignored.
//
// Errors about the content are *SyntaxError values wrapping [ErrSyntax];
// an error from r is returned wrapped. ParseExitList never panics.
//
// SPEC: https://metrics.torproject.org/collector.html#type-tordnsel
func ParseExitList(r io.Reader) (*ExitList, error) {
	return parseExitList(r, "")
}

// parseExitList is ParseExitList for the file called name ("" for none).
func parseExitList(r io.Reader, name string) (*ExitList, error) {
	s := newLineScanner(r, name, "exit list")
	var (
		l             ExitList
		f             [][]byte
		sawDownloaded bool
		exit          *Exit // entry being read
		exitAt        int   // line of its ExitNode
		sawPublished  bool
		sawLastStatus bool
	)
	endExit := func() error {
		if exit == nil {
			return nil
		}
		switch {
		case !sawPublished:
			return s.errorAt(exitAt, "ExitNode %s has no Published line", exit.Fingerprint)
		case !sawLastStatus:
			return s.errorAt(exitAt, "ExitNode %s has no LastStatus line", exit.Fingerprint)
		case len(exit.Addresses) == 0:
			return s.errorAt(exitAt, "ExitNode %s has no ExitAddress line", exit.Fingerprint)
		}
		return nil
	}
	// entryTime parses a Published or LastStatus line of the current entry.
	entryTime := func(kw string, seen *bool, t *time.Time) error {
		if *seen {
			return s.errorf("second %s line for the ExitNode on line %d", kw, exitAt)
		}
		*seen = true
		if len(f) != 3 {
			return s.errorf("%s line has %d fields, want 3 (%s YYYY-MM-DD HH:MM:SS)", kw, len(f), kw)
		}
		v, ok := parseTime(f[1], f[2])
		if !ok {
			return s.errorf("%s time %s %s is not a valid YYYY-MM-DD HH:MM:SS", kw, quote(f[1]), quote(f[2]))
		}
		*t = v
		return nil
	}

	for s.next() {
		line := s.text
		if isBlank(line) {
			continue
		}
		f = splitFields(f, line)
		if line[0] == '@' {
			if s.line != 1 {
				return nil, s.errorf("annotation %s is not on the first line", quote(f[0]))
			}
			name, err := parseAnnotation(s, f)
			if err != nil {
				return nil, err
			}
			if name != "tordnsel" {
				return nil, s.errorf("@type %s is not an exit list (tordnsel)", quote(f[1]))
			}
			continue
		}
		if !isKeyword(f[0]) {
			return nil, s.errorf("line does not start with a keyword: %s", quote(line))
		}
		var err error
		switch string(f[0]) {
		case "Downloaded":
			switch {
			case len(l.Exits) > 0:
				err = s.errorf("Downloaded line after the first ExitNode line")
			case sawDownloaded:
				err = s.errorf("Downloaded line repeated")
			case len(f) != 3:
				err = s.errorf("Downloaded line has %d fields, want 3 (Downloaded YYYY-MM-DD HH:MM:SS)", len(f))
			default:
				sawDownloaded = true
				var ok bool
				if l.Downloaded, ok = parseTime(f[1], f[2]); !ok {
					err = s.errorf("Downloaded time %s %s is not a valid YYYY-MM-DD HH:MM:SS", quote(f[1]), quote(f[2]))
				}
			}
		case "ExitNode":
			if err = endExit(); err != nil {
				break
			}
			if len(f) != 2 {
				err = s.errorf("ExitNode line has %d fields, want 2 (ExitNode FINGERPRINT)", len(f))
				break
			}
			var fp [20]byte
			if len(f[1]) != 40 {
				err = s.errorf("ExitNode fingerprint %s is not 40 hex digits", quote(f[1]))
				break
			}
			if _, herr := hex.Decode(fp[:], f[1]); herr != nil {
				err = s.errorf("ExitNode fingerprint %s is not 40 hex digits", quote(f[1]))
				break
			}
			l.Exits = append(l.Exits, Exit{Fingerprint: upperHex(fp[:])})
			exit = &l.Exits[len(l.Exits)-1]
			exitAt = s.line
			sawPublished, sawLastStatus = false, false
		case "Published", "LastStatus":
			if exit == nil {
				err = s.errorf("%s line before the first ExitNode line", f[0])
			} else if string(f[0]) == "Published" {
				err = entryTime("Published", &sawPublished, &exit.Published)
			} else {
				err = entryTime("LastStatus", &sawLastStatus, &exit.LastStatus)
			}
		case "ExitAddress":
			err = exitAddress(s, f, exit)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	if err := endExit(); err != nil {
		return nil, err
	}
	if len(l.Exits) == 0 {
		return nil, s.errorf("no ExitNode entries (empty or truncated list?)")
	}
	return &l, nil
}

// exitAddress parses "ExitAddress" IP YYYY-MM-DD HH:MM:SS into exit.
func exitAddress(s *lineScanner, f [][]byte, exit *Exit) error {
	if exit == nil {
		return s.errorf("ExitAddress line before the first ExitNode line")
	}
	if len(f) != 4 {
		return s.errorf("ExitAddress line has %d fields, want 4 (ExitAddress IP YYYY-MM-DD HH:MM:SS)", len(f))
	}
	addr, err := netip.ParseAddr(string(f[1]))
	if err != nil || addr.Zone() != "" {
		return s.errorf("ExitAddress %s is not an IP address", quote(f[1]))
	}
	seen, ok := parseTime(f[2], f[3])
	if !ok {
		return s.errorf("ExitAddress time %s %s is not a valid YYYY-MM-DD HH:MM:SS", quote(f[2]), quote(f[3]))
	}
	exit.Addresses = append(exit.Addresses, ExitAddress{Addr: addr, Seen: seen})
	return nil
}
