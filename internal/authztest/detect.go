package authztest

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"time"

	"pgregory.net/rapid"

	"fusion/internal/finding"
)

// BeaconLog returns a Zeek conn log (TSV) of src connecting to dst every
// period from start, n times, with a few seconds of jitter and about 300
// bytes sent each time: a beacon the C2 detector reports.
func BeaconLog(src, dst string, start time.Time, n int, period time.Duration) []byte {
	var b bytes.Buffer
	b.WriteString("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\torig_ip_bytes\n")
	b.WriteString("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\n")
	for i := range n {
		jitter := time.Duration((i*7919)%5-2) * time.Second
		at := start.Add(time.Duration(i)*period + jitter)
		fmt.Fprintf(&b, "%d.%06d\tCb%s%d\t%s\t%d\t%s\t443\ttcp\t0.3\t%d\t%d\n",
			at.Unix(), at.Nanosecond()/1000, dst, i, src, 49152+i%1000, dst, 300+i%3, 340+i%3)
	}
	return b.Bytes()
}

// detectWorld numbers the worlds checkDetections runs in: a hub keeps its
// detectors across worlds (they live in memory, not in the store), so each
// world's beacon has its own source host and days.
var detectWorld atomic.Int64

// checkDetections: one organization posts a day of a beacon from a host of
// its own (POST /api/v1/events); its detections show it, and no other
// organization's detections show it.
func (s *worldState) checkDetections(t *rapid.T) {
	n := detectWorld.Add(1)
	org := rapid.SampledFrom(s.w.Orgs).Draw(t, "beaconing org")
	// A destination of its own too: one reached by five hosts of an
	// organization is a popular service, not reported.
	src := fmt.Sprintf("10.%d.%d.%d", 20+n/65536%200, n/256%256, n%256)
	dst := fmt.Sprintf("198.18.%d.%d", n/250%256, n%250+1)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * 48 * time.Hour)
	must(t, s.c.Events(org, BeaconLog(src, dst, start, 288, 5*time.Minute)))
	for _, o := range s.w.Orgs {
		got, err := s.c.Detections(o)
		must(t, err)
		var mine *finding.Finding
		for i, f := range got {
			if f.Src == src {
				mine = &got[i]
			}
		}
		switch {
		case o != org && mine != nil:
			t.Fatalf("LEAK: %s's detections show %s's beacon from %s: %+v", o, org, src, *mine)
		case o == org && mine == nil:
			t.Fatalf("%s posted a day of beacons from %s to %s, and its detections do not show it (%d findings)", o, src, dst, len(got))
		case o == org && (mine.Kind != finding.C2Beacon || mine.Dst != dst):
			t.Fatalf("%s's detection of its beacon from %s is %s to %s; want c2-beacon to %s", o, src, mine.Kind, mine.Dst, dst)
		}
		s.cases++
	}
}
