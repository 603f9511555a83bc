package finding

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// producerLines are real lines as each producer writes them, copied from
// their output on one scenario (network seed 5 with an intel scenario of
// seed 3; sms and transactions seed 3): every member each producer writes
// must survive a Read and write back byte for byte.
var producerLines = []struct {
	name, line   string
	kind, entity string
	start, end   string
}{
	{"scenario network truth",
		`{"kind":"tor-use","id":"tor-use-003-1","start":"2017-04-15T00:54:28.648679Z","end":"2017-04-15T01:27:26.466201Z","entity":"10.10.0.141","detail":{"guard":"89.35.134.154:9001"}}`,
		TorUse, "10.10.0.141", "2017-04-15T00:54:28.648679Z", "2017-04-15T01:27:26.466201Z"},
	{"scenario sms truth",
		`{"kind":"sms-pumping","id":"pump-1","start":"2026-11-02T00:05:55.069220028Z","end":"2026-11-02T00:11:57.795757165Z","entity":"+96892507","detail":{"block":"+96892507xxx","country":"OM","operator":"Omantel","pattern":"clustered","requests":"100"}}`,
		SMSPumping, "+96892507", "2026-11-02T00:05:55.069220028Z", "2026-11-02T00:11:57.795757165Z"},
	{"scenario transactions truth",
		`{"kind":"fraud-ring","id":"ring-1","start":"2026-11-05T08:16:17Z","end":"2026-11-05T08:16:17Z","entity":"BKJ2RGCAZC","detail":{"ring":"ring-1"}}`,
		FraudRing, "BKJ2RGCAZC", "2026-11-05T08:16:17Z", "2026-11-05T08:16:17Z"},
	{"fusion match",
		`{"kind":"intel-contact","start":"2017-04-15T10:07:35.505429Z","end":"2017-04-15T10:07:35.505429Z","entity":"135.174.194.23","observed":"135.174.194.23","fields":["id.resp_h"],"records":[{"id":"84aba054-d38b-5277-b34e-edf399321364","type":"ipv4","value":"135.174.194.23","labels":["botnet-c2"]}],"uid":"CUM2k44zyxv0THBJzV"}`,
		IntelContact, "135.174.194.23", "2017-04-15T10:07:35.505429Z", "2017-04-15T10:07:35.505429Z"},
	{"fusion tor scan",
		`{"kind":"tor-use","start":"2017-04-15T00:54:25.547625Z","end":"2017-04-15T00:54:28.648679Z","entity":"10.10.0.141","connections":2,"relays":["YXJ0 (570ABB9B775EB04951156B4599A54B098DDAFEBD) 89.35.134.154:9001","Unnamed (0564354528A2DD1EE71C98CE5E4CEC13ACB82546) 162.210.197.224:64780"]}`,
		TorUse, "10.10.0.141", "2017-04-15T00:54:25.547625Z", "2017-04-15T00:54:28.648679Z"},
	// Not copied: no scenario looks up .onion names. The shape tor.Scanner
	// writes for a host that only did, with no connections to count.
	{"fusion tor scan, onion lookups only",
		`{"kind":"tor-use","start":"2017-04-15T09:39:08.17732Z","end":"2017-04-15T09:41:00Z","entity":"10.10.0.34","onions":["duskgytldkxiuqc6.onion"]}`,
		TorUse, "10.10.0.34", "2017-04-15T09:39:08.17732Z", "2017-04-15T09:41:00Z"},
}

func TestReadProducers(t *testing.T) {
	for _, tc := range producerLines {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := Read(strings.NewReader(tc.line + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("read %d findings, want 1", len(fs))
			}
			f := fs[0]
			if f.Kind != tc.kind || f.Entity != tc.entity ||
				f.Start.Format(time.RFC3339Nano) != tc.start || f.End.Format(time.RFC3339Nano) != tc.end {
				t.Errorf("read %+v", f)
			}
			b, err := json.Marshal(&f)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.line {
				t.Errorf("written back differently:\n got %s\nwant %s", b, tc.line)
			}
		})
	}
}

func TestReadEndDefaultsToStart(t *testing.T) {
	fs, err := Read(strings.NewReader("\n" + `{"kind":"tor-use","entity":"10.0.0.1","start":"2026-11-02T10:00:00Z"}` + "\n\n"))
	if err != nil || len(fs) != 1 || !fs[0].End.Equal(fs[0].Start) || fs[0].Start.IsZero() {
		t.Errorf("end defaults to start: %+v %v", fs, err)
	}
}

func TestReadRefuses(t *testing.T) {
	good := producerLines[0].line
	for _, tc := range []struct {
		name, in, line, says string
	}{
		{"no entity", `{"kind":"c2-beacon"}`, "line 1:", "kind and entity are required"},
		{"no kind", `{"entity":"10.0.0.1"}`, "line 1:", "kind and entity are required"},
		{"not json", `not json`, "line 1:", "invalid character"},
		{"bad time", `{"kind":"tor-use","entity":"x","start":"yesterday"}`, "line 1:", "yesterday"},
		{"evidence of the wrong type", `{"kind":"intel-contact","entity":"x","start":"2026-11-02T10:00:00Z","fields":"query"}`, "line 1:", "cannot unmarshal"},
		{"end before start", `{"kind":"c2-beacon","entity":"x","start":"2026-11-02T10:00:00Z","end":"2026-11-02T09:00:00Z"}`, "line 1:", "is before start"},
		{"after good and blank lines", good + "\n\n" + `{"kind":7}`, "line 3:", "cannot unmarshal"},
		{"a line too long", good + "\n" + strings.Repeat(" ", maxLine+1), "line 2:", "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := Read(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("accepted: %+v", fs)
			}
			if !strings.HasPrefix(err.Error(), tc.line) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want %q ... %q", err, tc.line, tc.says)
			}
		})
	}
}

// FuzzRead holds Read to its contract on any input: no panic; every
// finding accepted has a kind, an entity and a span that does not run
// backwards; it writes back to a line Read accepts as the same finding; and
// a file scored against itself is perfect.
func FuzzRead(f *testing.F) {
	for _, tc := range producerLines {
		f.Add(tc.line)
	}
	f.Add(producerLines[0].line + "\n\n" + producerLines[1].line + "\n")
	f.Add(`{"kind":"tor-use","entity":"10.0.0.1","start":"2026-11-02T10:00:00Z"}`)
	f.Add(`{"kind":"x","entity":"y","start":"bad"}`)
	f.Add(`{"kind":"x","entity":"y","start":"2026-11-02T10:00:00+14:00","end":"2026-11-02T00:00:00Z"}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := Read(strings.NewReader(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error names no line: %v", err)
			}
			return
		}
		var out strings.Builder
		for _, x := range fs {
			if x.End.Before(x.Start) || x.Kind == "" || x.Entity == "" {
				t.Fatalf("accepted %+v", x)
			}
			b, err := json.Marshal(&x)
			if err != nil {
				t.Fatalf("cannot write %+v back: %v", x, err)
			}
			out.Write(b)
			out.WriteByte('\n')
		}
		again, err := Read(strings.NewReader(out.String()))
		if err != nil || len(again) != len(fs) {
			t.Fatalf("written back, read %d findings and %v, want %d", len(again), err, len(fs))
		}
		for i := range fs {
			a, b := fs[i], again[i]
			if a.Kind != b.Kind || a.Entity != b.Entity || !a.Start.Equal(b.Start) || !a.End.Equal(b.End) {
				t.Fatalf("written back as %+v, was %+v", b, a)
			}
		}
		for k, ks := range Evaluate(fs, fs).Kinds {
			if ks.Precision != 1 || ks.Recall != 1 {
				t.Fatalf("%s against itself: %+v", k, ks)
			}
		}
	})
}
