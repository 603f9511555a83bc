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

func TestParseExitListFixture(t *testing.T) {
	raw := readFixture(t, exitListFixture)
	l, err := ParseExitList(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	checkTime(t, "Downloaded", l.Downloaded, "2017-07-17 17:02:00")

	// An independent reading of the raw file: every ExitNode and every
	// ExitAddress line, keyed by the entry it belongs to.
	type seen struct {
		fp, addr, at string
	}
	var rawNodes []string
	var rawAddrs []seen
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "ExitNode":
			rawNodes = append(rawNodes, f[1])
		case len(f) == 4 && f[0] == "ExitAddress":
			rawAddrs = append(rawAddrs, seen{rawNodes[len(rawNodes)-1], f[1], f[2] + " " + f[3]})
		}
	}
	if len(rawNodes) != 44 || len(rawAddrs) != 44 {
		t.Fatalf("raw file has %d ExitNode and %d ExitAddress lines, want 44 and 44", len(rawNodes), len(rawAddrs))
	}

	if len(l.Exits) != len(rawNodes) {
		t.Fatalf("%d exits, raw file has %d ExitNode lines", len(l.Exits), len(rawNodes))
	}
	var parsed []seen
	for i, e := range l.Exits {
		if e.Fingerprint != rawNodes[i] {
			t.Errorf("exit %d fingerprint %s, raw %s", i, e.Fingerprint, rawNodes[i])
		}
		if e.Published.IsZero() || e.LastStatus.IsZero() || len(e.Addresses) == 0 {
			t.Errorf("exit %d incomplete: %+v", i, e)
		}
		for _, a := range e.Addresses {
			parsed = append(parsed, seen{e.Fingerprint, a.Addr.String(), a.Seen.Format(time.DateTime)})
		}
	}
	if !slices.Equal(parsed, rawAddrs) {
		t.Errorf("parsed exit addresses differ from the raw file:\nparsed %v\nraw    %v", parsed, rawAddrs)
	}

	first := l.Exits[0]
	if first.Fingerprint != "0011BD2485AD45D984EC4159C88FC066E5E3300E" ||
		first.Addresses[0].Addr != netip.MustParseAddr("162.247.72.201") {
		t.Errorf("first exit %+v", first)
	}
	checkTime(t, "Published", first.Published, "2017-07-17 13:20:49")
	checkTime(t, "LastStatus", first.LastStatus, "2017-07-17 14:03:15")
	checkTime(t, "ExitAddress seen", first.Addresses[0].Seen, "2017-07-17 14:11:38")
}

const minimalExitList = `@type tordnsel 1.0
Downloaded 2017-07-17 17:02:00
ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
Published 2017-07-17 13:20:49
LastStatus 2017-07-17 14:03:15
ExitAddress 162.247.72.201 2017-07-17 14:11:38
ExitNode f115b8eff7baf0a70b75248519ddde4a926bf9ce
Published 2017-07-17 01:46:52
LastStatus 2017-07-17 06:03:16
ExitAddress 103.56.207.84 2017-07-17 02:15:19
ExitAddress 2001:db8::1 2017-07-17 02:16:19
`

func TestParseExitListMinimal(t *testing.T) {
	for _, doc := range []string{
		minimalExitList,
		strings.ReplaceAll(minimalExitList, "\n", "\r\n"),
		strings.SplitN(minimalExitList, "\n", 3)[2], // no @type, no Downloaded
	} {
		l, err := ParseExitList(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Exits) != 2 {
			t.Fatalf("%d exits, want 2", len(l.Exits))
		}
		e := l.Exits[1]
		if e.Fingerprint != "F115B8EFF7BAF0A70B75248519DDDE4A926BF9CE" {
			t.Errorf("fingerprint %s, want it in uppercase", e.Fingerprint)
		}
		want := []ExitAddress{
			{netip.MustParseAddr("103.56.207.84"), time.Date(2017, 7, 17, 2, 15, 19, 0, time.UTC)},
			{netip.MustParseAddr("2001:db8::1"), time.Date(2017, 7, 17, 2, 16, 19, 0, time.UTC)},
		}
		if !slices.Equal(e.Addresses, want) {
			t.Errorf("addresses %v, want %v", e.Addresses, want)
		}
	}
}

func TestParseExitListErrors(t *testing.T) {
	replace := func(n int, with string) string {
		lines := strings.Split(minimalExitList, "\n")
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
		{"empty", "", 0, "no ExitNode entries"},
		{"header only", "@type tordnsel 1.0\nDownloaded 2017-07-17 17:02:00\n", 2, "no ExitNode entries"},
		{"wrong @type", replace(1, "@type network-status-consensus-3 1.0"), 1, "not an exit list"},
		{"@type not first", replace(2, "@type tordnsel 1.0"), 2, "not on the first line"},
		{"bad annotation", replace(1, "@source x 1.0"), 1, "want @type"},
		{"Downloaded late", replace(7, "Downloaded 2017-07-17 17:02:00"), 7, "after the first ExitNode"},
		{"Downloaded twice", replace(3, "Downloaded 2017-07-17 17:02:00"), 3, "repeated"},
		{"Downloaded bad", replace(2, "Downloaded 2017-07-17 17:02"), 2, "not a valid"},
		{"short fingerprint", replace(3, "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300"), 3, "not 40 hex digits"},
		{"non-hex fingerprint", replace(3, "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300G"), 3, "not 40 hex digits"},
		{"ExitNode two fields", replace(3, "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E x"), 3, "ExitNode line has 3 fields"},
		{"Published first", replace(3, "Published 2017-07-17 13:20:49"), 3, "before the first ExitNode"},
		{"ExitAddress first", replace(3, "ExitAddress 1.2.3.4 2017-07-17 13:20:49"), 3, "before the first ExitNode"},
		{"no Published", replace(4, ""), 3, "has no Published line"},
		{"no LastStatus", replace(9, ""), 7, "has no LastStatus line"},
		{"no ExitAddress", replace(6, ""), 3, "has no ExitAddress line"},
		{"last entry no ExitAddress", strings.Join(strings.Split(minimalExitList, "\n")[:9], "\n"), 7, "has no ExitAddress line"},
		{"two Published", replace(5, "Published 2017-07-17 13:20:49"), 5, "second Published line for the ExitNode on line 3"},
		{"bad Published", replace(4, "Published 2017-13-17 13:20:49"), 4, `Published time "2017-13-17"`},
		{"bad LastStatus", replace(5, "LastStatus 2017-07-17"), 5, "LastStatus line has 2 fields"},
		{"bad address", replace(6, "ExitAddress 162.247.72.2011 2017-07-17 14:11:38"), 6, `ExitAddress "162.247.72.2011"`},
		{"zoned address", replace(6, "ExitAddress fe80::1%eth0 2017-07-17 14:11:38"), 6, "not an IP address"},
		{"address no time", replace(6, "ExitAddress 162.247.72.201"), 6, "ExitAddress line has 2 fields, want 4"},
		{"bad address time", replace(6, "ExitAddress 162.247.72.201 2017-07-17 14:61:38"), 6, "ExitAddress time"},
		{"not a keyword", replace(6, "Exit.Address 162.247.72.201 2017-07-17 14:11:38"), 6, "does not start with a keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseExitList(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("no error; %d exits", len(l.Exits))
			}
			if l != nil {
				t.Errorf("list %+v returned with error", l)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %T %v is not a *SyntaxError wrapping ErrSyntax", err, err)
			}
			if se.Line != tt.wantLine || !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("error %q at line %d, want line %d containing %q", err, se.Line, tt.wantLine, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "tor: exit list") {
				t.Errorf("error %q does not start with \"tor: exit list\"", err)
			}
		})
	}
}

func TestParseExitListIgnoresUnknownKeywords(t *testing.T) {
	doc := strings.Replace(minimalExitList, "LastStatus 2017-07-17 14:03:15\n",
		"LastStatus 2017-07-17 14:03:15\nExitProbe future-field 1\n\n", 1)
	l, err := ParseExitList(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Exits) != 2 || len(l.Exits[0].Addresses) != 1 {
		t.Errorf("exits %+v", l.Exits)
	}
}
