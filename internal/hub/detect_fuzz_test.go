package hub

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"fusion/internal/finding"
	"fusion/internal/match"
)

// FuzzDetectionObservation: a finding's destination comes from traffic (an
// HTTP Host header, a TLS server name), so anything may be in it. Its
// observation never panics, names no path, is an address exactly when it
// parses as one, and is the same event for the same detection.
func FuzzDetectionObservation(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "bbs.example.jp/board/cmd.php?id=1", "evil.example.com:8080/x", "[2001:db8::1]:443/a", "", "/", ":", "[", "a/b/c", "xn--80ak6aa92e.com"} {
		f.Add(finding.C2Poll, s)
		f.Add(finding.C2Beacon, s)
	}
	f.Fuzz(func(t *testing.T, kind, dst string) {
		fd := finding.Finding{Kind: kind, Src: "10.0.0.1", Dst: dst, Start: time.Unix(1, 0), End: time.Unix(2, 0)}
		o, ok := detectionObservation(fd)
		if !ok {
			if strings.Trim(dst, "[]/:") != "" && kind != finding.C2Poll {
				// Only an empty destination (after cutting a port and
				// brackets) gives no observation.
				if _, err := netip.ParseAddr(strings.Trim(dst, "[]")); err == nil {
					t.Fatalf("%q %q: no observation of an address", kind, dst)
				}
			}
			return
		}
		if o.Value == "" {
			t.Fatalf("%q %q: an empty value", kind, dst)
		}
		if kind == finding.C2Poll && strings.Contains(o.Value, "/") {
			t.Fatalf("%q %q: a poll's observation %q keeps its path", kind, dst, o.Value)
		}
		if _, err := netip.ParseAddr(o.Value); (err == nil) != (o.Kind == match.KindIP) {
			t.Fatalf("%q %q: value %q observed as kind %v", kind, dst, o.Value, o.Kind)
		}
		if !o.Time.Equal(fd.End) {
			t.Fatalf("%q %q: time %v, want the finding's end", kind, dst, o.Time)
		}
		if o2, _ := detectionObservation(fd); o2.Event != o.Event {
			t.Fatalf("%q %q: two events for one detection", kind, dst)
		}
	})
}

func TestDetectionObservationsOfANameAndItsAddresses(t *testing.T) {
	f := finding.Finding{Kind: finding.C2Beacon, Src: "10.0.0.1", Dst: "c2.example.com", DstAddrs: []string{"198.51.100.7", "not-an-address", "203.0.113.9"}, End: time.Unix(2, 0)}
	obs := detectionObservations(f)
	var got []string
	seen := map[match.EventID]bool{}
	for _, o := range obs {
		got = append(got, o.Value)
		seen[o.Event] = true
	}
	if strings.Join(got, " ") != "c2.example.com 198.51.100.7 203.0.113.9" || len(seen) != 3 || obs[1].Kind != match.KindIP || obs[0].Kind != match.KindDomain {
		t.Errorf("observations %v (%d events)", got, len(seen))
	}
}
