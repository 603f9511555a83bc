package tor

import (
	"bufio"
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawConsensusCounts counts, with plain string handling and no use of the
// parser, what the parser's results are checked against.
type rawConsensusCounts struct {
	relays, orPort9001, orPort443, exitFlag, pAccept, pSomePort, aLines int
}

func countRawConsensus(t *testing.T, raw []byte) rawConsensusCounts {
	t.Helper()
	var c rawConsensusCounts
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "r "):
			c.relays++
			f := strings.Fields(line)
			if len(f) != 9 {
				t.Fatalf("raw r line has %d fields: %q", len(f), line)
			}
			switch f[7] {
			case "9001":
				c.orPort9001++
			case "443":
				c.orPort443++
			}
		case strings.HasPrefix(line, "s "):
			if slices.Contains(strings.Fields(line)[1:], "Exit") {
				c.exitFlag++
			}
		case strings.HasPrefix(line, "p accept "):
			c.pAccept++
			c.pSomePort++
		case strings.HasPrefix(line, "p reject ") && line != "p reject 1-65535":
			c.pSomePort++
		case strings.HasPrefix(line, "a "):
			c.aLines++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseConsensusFullFixture(t *testing.T) {
	raw := readFixture(t, fullConsensus)
	c, err := ParseConsensus(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := countRawConsensus(t, raw)

	var got rawConsensusCounts
	exitAddrs := map[netip.Addr]bool{}
	someAddrs := map[netip.Addr]bool{}
	for _, r := range c.Relays {
		got.relays++
		switch r.ORPort {
		case 9001:
			got.orPort9001++
		case 443:
			got.orPort443++
		}
		if r.HasFlag("Exit") {
			got.exitFlag++
			exitAddrs[r.Address] = true
		}
		if r.ExitPolicy.Accept {
			got.pAccept++
		}
		if r.ExitPolicy.AllowsAny() {
			got.pSomePort++
			someAddrs[r.Address] = true
		}
		got.aLines += len(r.IPv6)
	}
	if got != want {
		t.Errorf("parsed counts %+v, raw file counts %+v", got, want)
	}
	// The exact figures, fixed so that a change in either count is noticed.
	fixed := rawConsensusCounts{relays: 7347, orPort9001: 3689, orPort443: 2041,
		exitFlag: 857, pAccept: 832, pSomePort: 1066, aLines: 630}
	if got != fixed {
		t.Errorf("counts %+v, want %+v", got, fixed)
	}
	t.Logf("relays %d, ORPort 9001 %d, ORPort 443 %d, Exit flag %d (%d addresses), p accept %d, p allows some port %d (%d addresses), a lines %d",
		got.relays, got.orPort9001, got.orPort443, got.exitFlag, len(exitAddrs), got.pAccept, got.pSomePort, len(someAddrs), got.aLines)

	checkTime(t, "ValidAfter", c.ValidAfter, "2017-04-15 00:00:00")
	checkTime(t, "FreshUntil", c.FreshUntil, "2017-04-15 01:00:00")
	checkTime(t, "ValidUntil", c.ValidUntil, "2017-04-15 03:00:00")

	// First relay: "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UP... 2017-04-14 10:41:26 67.164.109.21 9001 0".
	first := c.Relays[0]
	if first.Nickname != "seele" || first.Fingerprint != "000A10D43011EA4928A35F610405F92B4433B4DC" ||
		first.Address != netip.MustParseAddr("67.164.109.21") || first.ORPort != 9001 || first.DirPort != 0 {
		t.Errorf("first relay %+v", first)
	}
	checkTime(t, "first relay Published", first.Published, "2017-04-14 10:41:26")
	if !slices.Equal(first.Flags, []string{"Running", "Stable", "V2Dir", "Valid"}) {
		t.Errorf("first relay flags %q", first.Flags)
	}
	if first.ExitPolicy.Accept || first.ExitPolicy.AllowsAny() || first.ExitPolicy.String() != "reject 1-65535" {
		t.Errorf("first relay policy %v", first.ExitPolicy)
	}

	calyx := findRelay(t, c, "CalyxInstitute14")
	if calyx.Fingerprint != "0011BD2485AD45D984EC4159C88FC066E5E3300E" || !calyx.HasFlag("Exit") || calyx.HasFlag("BadExit") ||
		calyx.ORPort != 443 || calyx.DirPort != 80 {
		t.Errorf("CalyxInstitute14 %+v", calyx)
	}
	for port, want := range map[uint16]bool{80: true, 443: true, 22: true, 25: false, 24: false, 64738: true, 65535: false} {
		if got := calyx.ExitPolicy.Allows(port); got != want {
			t.Errorf("CalyxInstitute14 Allows(%d) = %v, want %v", port, got, want)
		}
	}

	have := findRelay(t, c, "havingtrouble")
	if !slices.Equal(have.IPv6, []netip.AddrPort{netip.MustParseAddrPort("[2604:a880:cad:d0::862:4001]:9050")}) {
		t.Errorf("havingtrouble IPv6 %v", have.IPv6)
	}

	for i, r := range c.Relays {
		if len(r.Fingerprint) != 40 || strings.ToUpper(r.Fingerprint) != r.Fingerprint {
			t.Fatalf("relay %d fingerprint %q", i, r.Fingerprint)
		}
		if i > 0 && c.Relays[i-1].Fingerprint >= r.Fingerprint {
			t.Fatalf("relays %d and %d not in ascending fingerprint order", i-1, i)
		}
	}
}

func findRelay(t *testing.T, c *Consensus, nick string) Relay {
	t.Helper()
	for _, r := range c.Relays {
		if r.Nickname == nick {
			return r
		}
	}
	t.Fatalf("no relay %q", nick)
	return Relay{}
}

func checkTime(t *testing.T, what string, got time.Time, want string) {
	t.Helper()
	w, err := time.Parse(time.DateTime, want)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(w) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %s UTC", what, got, want)
	}
}

func TestParseConsensusCroppedFixture(t *testing.T) {
	raw := readFixture(t, croppedConsensus)
	if !bytes.HasPrefix(raw, []byte("@type network-status-consensus-3 1.0\n")) {
		t.Fatal("fixture lost its @type line")
	}
	c, err := ParseConsensus(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Relays) != 5 {
		t.Fatalf("%d relays, want 5", len(c.Relays))
	}
	var nicks []string
	for _, r := range c.Relays {
		nicks = append(nicks, r.Nickname)
	}
	if want := []string{"Sepiidae", "MehlTor1", "weiner", "enam1ak", "ddetor2"}; !slices.Equal(nicks, want) {
		t.Errorf("nicknames %q, want %q", nicks, want)
	}
	if fp := c.Relays[4].Fingerprint; fp != "FFF78C44BA6E6B6F7525095BBE14EF7CBEB89744" {
		t.Errorf("ddetor2 fingerprint %s", fp)
	}
	checkTime(t, "ValidAfter", c.ValidAfter, "2017-07-17 17:00:00")
	checkTime(t, "ValidUntil", c.ValidUntil, "2017-07-17 20:00:00")
}

// minimalConsensus is a small well-formed consensus that the error cases
// below alter one line at a time.
const minimalConsensus = `network-status-version 3
vote-status consensus
valid-after 2017-04-15 00:00:00
fresh-until 2017-04-15 01:00:00
valid-until 2017-04-15 03:00:00
known-flags Exit Fast Running Valid
r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0
a [2001:db8::1]:9001
s Exit Running Valid
v Tor 0.2.9.10
pr Cons=1-2 Desc=1-2
w Bandwidth=25
p accept 80,443
r CalyxInstitute14 ABG9JIWtRdmE7EFZyI/AZuXjMA4 Y4e4Q6jTEM1TPV88ByzmV+3r7z8 2017-04-14 13:19:46 162.247.72.201 443 80
s Fast Running
p reject 1-65535
directory-footer
bandwidth-weights Wbd=0
directory-signature 0232AF901C31A04EE9848595AF9BB7620D4C5B2E 70A6DDEB6B42FD0714B8F91F3F6B366CECF4E8B9
-----BEGIN SIGNATURE-----
r fake AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 1.2.3.4 9001 0
-----END SIGNATURE-----
`

func TestParseConsensusMinimal(t *testing.T) {
	c, err := ParseConsensus(strings.NewReader(minimalConsensus))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Relays) != 2 {
		t.Fatalf("%d relays, want 2 (the r line inside the signature object must not count)", len(c.Relays))
	}
	r := c.Relays[0]
	if !r.HasFlag("Exit") || r.HasFlag("exit") || r.HasFlag("Guard") {
		t.Errorf("flags %q", r.Flags)
	}
	if r.ExitPolicy.String() != "accept 80,443" || len(r.IPv6) != 1 {
		t.Errorf("relay %+v", r)
	}
	// CRLF line endings and a microdesc-flavour "r" line parse the same way.
	md := strings.ReplaceAll(minimalConsensus, " e8UPqNui1/oIBcXrqQYnWTRrYS0", "")
	md = strings.ReplaceAll(md, " Y4e4Q6jTEM1TPV88ByzmV+3r7z8", "")
	md = "@type network-status-microdesc-consensus-3 1.0\r\n" + strings.ReplaceAll(md, "\n", "\r\n")
	c2, err := ParseConsensus(strings.NewReader(md))
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Relays) != 2 || c2.Relays[0].Fingerprint != r.Fingerprint || c2.Relays[1].Address != c.Relays[1].Address {
		t.Errorf("microdesc CRLF relays %+v", c2.Relays)
	}
}

func TestParseConsensusErrors(t *testing.T) {
	// replace returns minimalConsensus with line n (1-based) replaced by
	// with; with "" deletes the line.
	replace := func(n int, with string) string {
		lines := strings.Split(minimalConsensus, "\n")
		if with == "" {
			lines = slices.Delete(lines, n-1, n)
		} else {
			lines[n-1] = with
		}
		return strings.Join(lines, "\n")
	}
	tests := []struct {
		name     string
		doc      string
		wantLine int
		wantMsg  string
	}{
		{"empty", "", 0, "no network-status-version"},
		{"only @type", "@type network-status-consensus-3 1.0\n", 1, "no network-status-version"},
		{"wrong @type", "@type tordnsel 1.0\n" + minimalConsensus, 1, `@type "tordnsel" is not a consensus`},
		{"@type version 2", "@type network-status-consensus-3 2.0\n" + minimalConsensus, 1, "want 1.x"},
		{"@type not first", replace(2, "@type network-status-consensus-3 1.0"), 2, "not on the first line"},
		{"no version line", replace(1, ""), 1, "want network-status-version"},
		{"version 2", replace(1, "network-status-version 2"), 1, "want 3"},
		{"vote", replace(2, "vote-status vote"), 2, "want consensus"},
		{"no vote-status", replace(2, ""), 21, "no vote-status"},
		{"bad valid-after", replace(3, "valid-after 2017-02-30 00:00:00"), 3, `valid-after time "2017-02-30" "00:00:00"`},
		{"valid-after one field", replace(3, "valid-after 2017-04-15"), 3, "valid-after line has 2 fields, want 3"},
		{"repeated valid-after", replace(4, "valid-after 2017-04-15 00:00:00"), 4, "valid-after line repeated"},
		{"no fresh-until", replace(4, ""), 21, "no fresh-until"},
		{"times out of order", replace(5, "valid-until 2017-04-14 03:00:00"), 22, "out of order"},
		{"valid-until in entries", replace(10, "valid-until 2017-04-15 03:00:00"), 10, "after the first r line"},
		{"r 7 fields", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw 2017-04-14 10:41:26 67.164.109.21 9001"), 7, "r line has 7 fields, want 9"},
		{"bad nickname", replace(7, "r se-ele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0"), 7, `nickname "se-ele"`},
		{"long nickname", replace(7, "r abcdefghijklmnopqrst AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0"), 7, "1 to 19"},
		{"short identity", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0Qzt e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0"), 7, `identity "AAoQ1DAR6kkoo19hBAX5K0Qzt"`},
		{"non-canonical identity", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNx e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0"), 7, "identity"},
		{"bad digest", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UP*Nui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0"), 7, "digest"},
		{"bad published", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 24:41:26 67.164.109.21 9001 0"), 7, "publication time"},
		{"IPv6 r address", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 ::1 9001 0"), 7, `address "::1" is not an IPv4`},
		{"octet 256", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.256 9001 0"), 7, "not an IPv4"},
		{"leading zero octet", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.021 9001 0"), 7, "not an IPv4"},
		{"ORPort 0", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 0 0"), 7, `ORPort "0"`},
		{"ORPort 65536", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 65536 0"), 7, "ORPort"},
		{"DirPort sign", replace(7, "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 -1"), 7, "DirPort"},
		{"a line IPv4", replace(8, "a 1.2.3.4:9001"), 8, "not [IPv6]:port"},
		{"a line zone", replace(8, "a [fe80::1%eth0]:9001"), 8, "not [IPv6]:port"},
		{"a line port 0", replace(8, "a [2001:db8::1]:0"), 8, "not [IPv6]:port"},
		{"two s lines", replace(10, "s Fast"), 10, "second s line for the relay on line 7"},
		{"no s line", replace(9, ""), 7, "relay seele has no s line"},
		{"last relay no s line", replace(15, ""), 14, "relay CalyxInstitute14 has no s line"},
		{"bad flag", replace(9, "s Exit Run=ning"), 9, `flag "Run=ning"`},
		{"two p lines", replace(12, "p reject 25"), 13, "second p line"},
		{"p allow", replace(13, "p allow 80"), 13, `policy "allow"`},
		{"p port 0", replace(13, "p accept 0-80"), 13, "port 0"},
		{"p backwards", replace(13, "p accept 443-80"), 13, "backwards"},
		{"p trailing comma", replace(13, "p accept 80,"), 13, "ends with a comma"},
		{"p empty item", replace(13, "p accept 80,,443"), 13, "empty entry"},
		{"p no list", replace(13, "p accept"), 13, "p line has 2 fields, want 3"},
		{"s before r", replace(6, "s Exit"), 6, "s line before the first r line"},
		{"p in footer", replace(19, "p accept 80"), 19, "p line after the footer"},
		{"r in footer", replace(19, "r x AAoQ1DAR6kkoo19hBAX5K0QztNw e8UPqNui1/oIBcXrqQYnWTRrYS0 2017-04-14 10:41:26 67.164.109.21 9001 0"), 19, "r line after the footer"},
		{"two footers", replace(19, "directory-footer"), 19, "directory-footer line inside the footer"},
		{"truncated in entries", strings.Join(strings.Split(minimalConsensus, "\n")[:14], "\n"), 14, "no directory-signature"},
		{"truncated in signature", strings.Join(strings.Split(minimalConsensus, "\n")[:21], "\n"), 20, `object "SIGNATURE" is not ended`},
		{"mismatched END", replace(22, "-----END OTHER-----"), 22, "does not end the object"},
		{"BEGIN inside object", replace(21, "-----BEGIN SIGNATURE-----"), 21, "inside the object begun on line 20"},
		{"bad object start", replace(20, "-----BEGIN SIGNATURE"), 20, "not an object start"},
		{"not a keyword", replace(10, "v=Tor 0.2.9.10"), 10, "does not start with a keyword"},
		{"binary", replace(10, "\x00\xff"), 10, "does not start with a keyword"},
		{"long line", replace(10, "v "+strings.Repeat("x", maxLineLen)), 10, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConsensus(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("no error; %d relays", len(c.Relays))
			}
			if c != nil {
				t.Errorf("consensus %+v returned with error", c)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.Line != tt.wantLine || !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("error %q at line %d, want line %d containing %q", err, se.Line, tt.wantLine, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "tor: consensus") {
				t.Errorf("error %q does not start with \"tor: consensus\"", err)
			}
		})
	}
}

// TestParseConsensusReadError checks that an error from the reader is
// returned, not mistaken for a malformed document.
func TestParseConsensusReadError(t *testing.T) {
	boom := errors.New("boom")
	r := &failingReader{data: []byte(minimalConsensus[:100]), err: boom}
	_, err := ParseConsensus(r)
	if !errors.Is(err, boom) || errors.Is(err, ErrSyntax) {
		t.Errorf("error %v, want one wrapping boom and not ErrSyntax", err)
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func BenchmarkParseConsensus(b *testing.B) {
	raw := readFixture(b, fullConsensus)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseConsensus(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Relays) != 7347 {
			b.Fatalf("%d relays", len(c.Relays))
		}
	}
}
