package zeek

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleRecords() ([]Conn, []DNS, []HTTP) {
	c1 := sampleConn()
	c2 := Conn{TS: t0.Add(time.Second), UID: "C2", OrigH: netip.MustParseAddr("10.1.2.4"), OrigP: 40000,
		RespH: netip.MustParseAddr("2001:db8::1"), RespP: 22, Proto: "tcp",
		Duration: Unset, OrigBytes: Unset, RespBytes: Unset, ConnState: "S0", History: "S",
		OrigPkts: 1, OrigIPBytes: 60, RespPkts: 0, RespIPBytes: 0,
		TunnelParents: []string{"CpArEnT1", "Cp,arent-2", "-"}}
	c3 := Conn{TS: t0.Add(2 * time.Second), UID: "C3", OrigH: c1.OrigH, OrigP: 1, RespH: c1.RespH, RespP: 2,
		Proto: "udp", Service: "weird\tsvc\\x", Duration: 0, OrigBytes: 0, RespBytes: 0, ConnState: "SF",
		History: "Dd", OrigPkts: 1, OrigIPBytes: 28, RespPkts: 1, RespIPBytes: 28, TunnelParents: []string{}}
	d1 := DNS{TS: t0, UID: "CdNs1", OrigH: c1.OrigH, OrigP: 53001, RespH: netip.MustParseAddr("10.0.0.10"), RespP: 53,
		Proto: "udp", TransID: 4711, RTT: 412 * time.Microsecond, Query: "www.example.com",
		QClass: 1, QClassName: "C_INTERNET", QType: 1, QTypeName: "A", RCode: 0, RCodeName: "NOERROR",
		AA: False, TC: False, RD: True, RA: True, Z: 0,
		Answers: []string{"cdn.example.net", "93.184.215.14"}, TTLs: []time.Duration{300 * time.Second, 60 * time.Second},
		Rejected: False}
	d2 := DNS{TS: t0.Add(time.Second), UID: "CdNs2", OrigH: c1.OrigH, OrigP: 53002, RespH: d1.RespH, RespP: 53,
		Proto: "udp", TransID: 4712, RTT: Unset, Query: "nx.example.org",
		QClass: 1, QClassName: "C_INTERNET", QType: 28, QTypeName: "AAAA", RCode: Unset,
		AA: False, TC: False, RD: True, RA: False, Z: 0, Rejected: False}
	h1 := HTTP{TS: t0, UID: "CHt1", OrigH: c1.OrigH, OrigP: 50000, RespH: c1.RespH, RespP: 80,
		TransDepth: 1, Method: "GET", Host: "www.example.com", URI: "/a b/c?d=e&f=日本", Referrer: "http://x.example.com/",
		Version: "1.1", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
		RequestBodyLen: 0, ResponseBodyLen: 1234, StatusCode: 200, StatusMsg: "OK",
		InfoCode: Unset, Tags: []string{}, RespFUIDs: []string{"FAbc"}, RespMIMETypes: []string{"text/html"}}
	h2 := HTTP{TS: t0.Add(time.Second), UID: "CHt2", OrigH: c1.OrigH, OrigP: 50001, RespH: c1.RespH, RespP: 3128,
		TransDepth: 2, Method: "CONNECT", Host: "secure.example.com", URI: "secure.example.com:443",
		Version: "1.1", RequestBodyLen: 0, ResponseBodyLen: 0, StatusCode: 200, StatusMsg: "Connection established",
		InfoCode: 100, InfoMsg: "Continue", Tags: []string{"HTTP::URI_SQLI"}, Username: "u", Password: "p\x01",
		Proxied: []string{"X-FORWARDED-FOR -> 10.9.9.9"}}
	return []Conn{c1, c2, c3}, []DNS{d1, d2}, []HTTP{h1, h2}
}

func sampleSSL() []SSL {
	c1 := sampleConn()
	s1 := SSL{TS: t0, UID: c1.UID, OrigH: c1.OrigH, OrigP: c1.OrigP, RespH: c1.RespH, RespP: 443,
		Version: "TLSv13", Cipher: "TLS_AES_128_GCM_SHA256", Curve: "x25519", ServerName: "www.example.com",
		Resumed: False, NextProtocol: "h2", Established: True, SSLHistory: "CsiI",
		CertChainFPs:       []string{"6c0b4fe5b2c1c9c9e0a1cd0d5ab0bd7fd2d4fd3c0ea0d2e1e2a3b7c9d1e2f3a4", "1c2d"},
		ClientCertChainFPs: []string{}, SNIMatchesCert: True}
	s2 := SSL{TS: t0.Add(time.Second), UID: "CsSl2", OrigH: c1.OrigH, OrigP: 40001,
		RespH: netip.MustParseAddr("2001:db8::443"), RespP: 8443,
		Version: "TLSv12", Cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", ServerName: "odd\tname,x",
		Resumed: True, LastAlert: "unknown_ca", Established: False, SSLHistory: "CsxknGIi"}
	return []SSL{s1, s2}
}

// encodeAll writes the sample records of log l in form f.
func encodeAll(t testing.TB, l Log, f Format) []byte {
	t.Helper()
	conns, dnss, https := sampleRecords()
	var buf bytes.Buffer
	w := NewWriter(&buf, l, f, t0)
	var err error
	switch l {
	case ConnLog:
		for i := range conns {
			err = errors.Join(err, w.WriteConn(&conns[i]))
		}
	case DNSLog:
		for i := range dnss {
			err = errors.Join(err, w.WriteDNS(&dnss[i]))
		}
	case HTTPLog:
		for i := range https {
			err = errors.Join(err, w.WriteHTTP(&https[i]))
		}
	case SSLLog:
		ssls := sampleSSL()
		for i := range ssls {
			err = errors.Join(err, w.WriteSSL(&ssls[i]))
		}
	}
	if err = errors.Join(err, w.Close(t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	conns, dnss, https := sampleRecords()
	ssls := sampleSSL()
	for _, f := range []Format{TSV, JSON} {
		for _, l := range []Log{ConnLog, DNSLog, HTTPLog, SSLLog} {
			t.Run(f.String()+"/"+l.Path(), func(t *testing.T) {
				data := encodeAll(t, l, f)
				r, err := NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for r.Next() {
					if r.Path() != l.Path() {
						t.Errorf("path %q, want %q", r.Path(), l.Path())
					}
					if f == TSV && len(r.Fields()) != len(l.Fields()) {
						t.Errorf("%d fields, want %d", len(r.Fields()), len(l.Fields()))
					}
					var got, want any
					switch l {
					case ConnLog:
						var c Conn
						err = r.Conn(&c)
						got, want = c, conns[n]
					case DNSLog:
						var d DNS
						err = r.DNS(&d)
						got, want = d, dnss[n]
					case HTTPLog:
						var h HTTP
						err = r.HTTP(&h)
						got, want = h, https[n]
					case SSLLog:
						var s SSL
						err = r.SSL(&s)
						got, want = s, ssls[n]
					}
					if err != nil {
						t.Fatalf("record %d: %v", n, err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("record %d:\n got %+v\nwant %+v", n, got, want)
					}
					n++
				}
				if err := r.Err(); err != nil {
					t.Fatal(err)
				}
				if want := map[Log]int{ConnLog: len(conns), DNSLog: len(dnss), HTTPLog: len(https), SSLLog: len(ssls)}[l]; n != want {
					t.Errorf("read %d records, want %d", n, want)
				}
			})
		}
	}
}

func TestGoldenConn(t *testing.T) {
	f, err := os.Open("testdata/conn.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var got []Conn
	for r.Next() {
		if r.Path() != "conn" {
			t.Fatalf("path %q", r.Path())
		}
		var c Conn
		if err := r.Conn(&c); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Fields(), ConnLog.Fields()) || !reflect.DeepEqual(r.Types(), ConnLog.Types()) {
		t.Errorf("fields %v\ntypes %v", r.Fields(), r.Types())
	}
	if len(got) != 7 {
		t.Fatalf("%d records, want 7", len(got))
	}
	first := got[0]
	if first.TS != time.Date(2024, 3, 18, 9, 0, 1, 118532000, time.UTC) || first.UID != "Cv3Jd02xQ7kLmN4pR8" ||
		first.OrigH != netip.MustParseAddr("192.168.10.23") || first.RespP != 53 || first.Service != "dns" ||
		first.Duration != 12304*time.Microsecond || first.OrigBytes != 38 || first.RespIPBytes != 130 ||
		first.LocalOrig != True || first.LocalResp != True || first.TunnelParents != nil {
		t.Errorf("first record %+v", first)
	}
	s0 := got[3]
	if s0.ConnState != "S0" || s0.Service != "" || s0.Duration != Unset || s0.OrigBytes != Unset || s0.RespBytes != Unset {
		t.Errorf("S0 record %+v", s0)
	}
	if v6 := got[5]; v6.OrigH != netip.MustParseAddr("fe80::1c4f:2aff:fe11:9b3d") || v6.RespP != 547 {
		t.Errorf("IPv6 record %+v", v6)
	}
	if last := got[6]; !reflect.DeepEqual(last.TunnelParents, []string{"Caaaaaaaaaaaaaaaaa", "Cbbbbbbbbbbbbbbbbb"}) ||
		last.Duration != 60*time.Second+time.Microsecond {
		t.Errorf("last record %+v", last)
	}
}

func TestReaderAccessors(t *testing.T) {
	in := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tx\n" +
		"#fields\tts\tname\tset\tnote\n#types\ttime\tstring\tset[string]\tstring\n" +
		"1.5\ta\\x09b\\x5cc\tx\\x2cy,z\t-\n" +
		"2\t(empty)\t(empty)\t\\x2d\n"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if r.Time() != time.Unix(1, 5e8).UTC() {
		t.Errorf("time %v", r.Time())
	}
	name, set, note := r.Index("name"), r.Index("set"), r.Index("note")
	if got := r.Field(name); got != "a\tb\\c" {
		t.Errorf("name %q", got)
	}
	if got := r.Set(set); !reflect.DeepEqual(got, []string{"x,y", "z"}) {
		t.Errorf("set %q", got)
	}
	if !r.Unset(note) || r.Bytes(note) != nil || r.Set(note) != nil {
		t.Error("note should be unset")
	}
	if r.Index("nope") != -1 || !r.Unset(-1) || r.Field(99) != "" {
		t.Error("out of range accessors")
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if r.Unset(name) || r.Field(name) != "" || r.Bytes(name) == nil {
		t.Error("name should be empty, not unset")
	}
	if got := r.Set(set); got == nil || len(got) != 0 {
		t.Errorf("empty set %v", got)
	}
	if got := r.Field(note); got != "-" {
		t.Errorf("escaped dash %q", got)
	}
	if r.Next() || r.Err() != nil {
		t.Errorf("extra record, err %v", r.Err())
	}
}

func TestMultipleHeaderBlocks(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(encodeAll(t, ConnLog, TSV))
	buf.Write(encodeAll(t, DNSLog, TSV))
	buf.Write(encodeAll(t, ConnLog, TSV))
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for r.Next() {
		paths = append(paths, r.Path())
		if len(r.Fields()) != map[string]int{"conn": 21, "dns": 24}[r.Path()] {
			t.Errorf("%s: %d fields", r.Path(), len(r.Fields()))
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(paths, " "); got != "conn conn conn dns dns conn conn conn" {
		t.Errorf("paths %s", got)
	}
}

func TestGzip(t *testing.T) {
	for _, f := range []Format{TSV, JSON} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(encodeAll(t, HTTPLog, f))
		zw.Close()
		r, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for r.Next() {
			var h HTTP
			if err := r.HTTP(&h); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if r.Err() != nil || n != 2 {
			t.Errorf("%s: %d records, err %v", f, n, r.Err())
		}
	}
	if _, err := NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Error("broken gzip header accepted")
	}
}

func TestJSONVariants(t *testing.T) {
	in := `{"_path":"conn","ts":"2026-11-02T09:30:00.5Z","uid":"C1","id":{"orig_h":"10.0.0.1","orig_p":1},"history":"S","tunnel_parents":["a","b"],"x":null}` + "\n" +
		"\n" +
		`{"uid":"C2","ts":1.7936118e9,"id.orig_h":"10.0.0.2","extra":true}` + "\n"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if r.Path() != "conn" || r.Time() != time.Date(2026, 11, 2, 9, 30, 0, 5e8, time.UTC) {
		t.Errorf("path %q time %v", r.Path(), r.Time())
	}
	var c Conn
	if err := r.Conn(&c); err != nil {
		t.Fatal(err)
	}
	if c.OrigH != netip.MustParseAddr("10.0.0.1") || c.OrigP != 1 || !reflect.DeepEqual(c.TunnelParents, []string{"a", "b"}) {
		t.Errorf("conn %+v", c)
	}
	if got := r.Field(r.Index("tunnel_parents")); got != "a,b" {
		t.Errorf("joined set %q", got)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if r.Field(r.Index("uid")) != "C2" || !r.Unset(r.Index("history")) || r.Field(r.Index("extra")) != "T" {
		t.Errorf("second line: uid %q history unset %v extra %q", r.Field(r.Index("uid")), r.Unset(r.Index("history")), r.Field(r.Index("extra")))
	}
	if r.Time() != time.Unix(1793611800, 0).UTC() {
		t.Errorf("exponent time %v", r.Time())
	}
	if r.Next() || r.Err() != nil {
		t.Errorf("extra record, err %v", r.Err())
	}
}

func TestReaderErrors(t *testing.T) {
	header := "#separator \\x09\n#fields\tts\tuid\n"
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"too few fields", header + "1.0\tC1\n2.0\n", 4, "1 fields, #fields declares 2"},
		{"too many fields", header + "1.0\tC1\tx\n", 3, "more fields than the 2 #fields declares"},
		{"no header", "1.0\tC1\n", 1, "data line before any #fields header"},
		{"bad ts", header + "yesterday\tC1\n", 3, `ts: "yesterday" is not a time`},
		{"bad types", header + "#types\ttime\n", 3, "#types lists 1 types, #fields declares 2"},
		{"empty separator", "#separator \n", 1, "#separator without a value"},
		{"dup field", "#fields\ta\ta\n", 1, `#fields names "a" twice`},
		{"json syntax", `{"ts":1}` + "\n" + `{"ts":}` + "\n", 2, "invalid value at byte 7"},
		{"json trailing", `{"ts":1} x` + "\n", 1, "data after the JSON object"},
		{"json not object", `{"a":1}` + "\n" + `[1]` + "\n", 2, "not a JSON object"},
		{"json nested array", `{"a":[[1]]}` + "\n", 1, "nested value in an array"},
		{"json bad ts", `{"ts":"soon"}` + "\n", 1, `ts: "soon" is not a time`},
		{"json unterminated", `{"a":"b` + "\n", 1, "unterminated string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
			}
			err = r.Err()
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("err = %v, want line %d and %q", err, tc.line, tc.msg)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	in := "#separator \\x09\n#fields\tts\tuid\torig_bytes\tid.orig_h\n1.0\tC1\tmany\t10.0.0.1\n1.0\tC2\t5\tnot-an-ip\n"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for r.Next() {
		var c Conn
		if err := r.Conn(&c); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	want := []string{
		`zeek: line 3: orig_bytes: "many" is not a count`,
		`zeek: line 4: id.orig_h: "not-an-ip" is not an address`,
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("errors %q, want %q", msgs, want)
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	in := "#separator \\x09\n#fields\tts\tdata\n1.0\t" + long + "\n"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if got := len(r.Bytes(1)); got != len(long) {
		t.Errorf("long field has %d bytes", got)
	}
}

func TestDecodeAfterEnd(t *testing.T) {
	in := "#separator \\x09\n#fields\tts\tuid\n1.0\tC1\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\n"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
	}
	var c Conn
	if err := r.Conn(&c); err != nil || r.Err() != nil {
		t.Errorf("decode after the end: %v, %v", err, r.Err())
	}
}

// TestDecodeSSLAllocs checks that decoding an ssl.log record allocates
// nothing for the values that recur in every record (version, cipher,
// curve, ALPN, history): only unique strings and vectors cost memory.
func TestDecodeSSLAllocs(t *testing.T) {
	s := SSL{TS: t0, OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 1, RespH: netip.MustParseAddr("10.0.0.2"), RespP: 443,
		Version: "TLSv13", Cipher: "TLS_AES_128_GCM_SHA256", Curve: "x25519", Resumed: False,
		NextProtocol: "h2", Established: True, SSLHistory: "CsiI", SNIMatchesCert: True}
	var buf bytes.Buffer
	w := NewWriter(&buf, SSLLog, TSV, t0)
	for range 200 {
		if err := w.WriteSSL(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(t0); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	var got SSL
	allocs := testing.AllocsPerRun(100, func() {
		if !r.Next() {
			t.Fatal("ran out of records")
		}
		if err := r.SSL(&got); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per record, want 0", allocs)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("got %+v, want %+v", got, s)
	}
}

func TestTypedFields(t *testing.T) {
	log := "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_p\torig_bytes\tduration\n" +
		"1.5\t10.0.0.1\t443\t120\t3.25\n" +
		"2\t-\t-\t-\t-\n" +
		"3\tnot-an-ip\t443\t120\t3\n" +
		"4\t10.0.0.1\t70000\t120\t3\n" +
		"5\t10.0.0.1\t443\tx\t3\n" +
		"6\t10.0.0.1\t443\t1\t-3\n"
	r, err := NewReader(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	a, ok, err := r.AddrField(r.Index("id.orig_h"))
	if err != nil || !ok || a.String() != "10.0.0.1" {
		t.Errorf("addr = %v %v %v", a, ok, err)
	}
	p, ok, err := r.PortField(r.Index("id.resp_p"))
	if err != nil || !ok || p != 443 {
		t.Errorf("port = %v %v %v", p, ok, err)
	}
	n, ok, err := r.CountField(r.Index("orig_bytes"))
	if err != nil || !ok || n != 120 {
		t.Errorf("count = %v %v %v", n, ok, err)
	}
	d, ok, err := r.IntervalField(r.Index("duration"))
	if err != nil || !ok || d != 3250*time.Millisecond {
		t.Errorf("interval = %v %v %v", d, ok, err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	for _, name := range []string{"id.orig_h", "id.resp_p", "orig_bytes", "duration", "absent"} {
		i := r.Index(name)
		_, ok1, err1 := r.AddrField(i)
		_, ok2, err2 := r.CountField(i)
		_, ok3, err3 := r.IntervalField(i)
		_, ok4, err4 := r.PortField(i)
		if ok1 || ok2 || ok3 || ok4 || err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Errorf("%s unset: got a value or an error", name)
		}
	}
	bad := []struct{ field, want string }{
		{"id.orig_h", `line 5: id.orig_h: "not-an-ip" is not an address`},
		{"id.resp_p", `line 6: id.resp_p: "70000" is not a port`},
		{"orig_bytes", `line 7: orig_bytes: "x" is not a count`},
		{"duration", `line 8: duration: "-3" is not an interval`},
	}
	for _, b := range bad {
		if !r.Next() {
			t.Fatal(r.Err())
		}
		i := r.Index(b.field)
		var err error
		switch b.field {
		case "id.orig_h":
			_, _, err = r.AddrField(i)
		case "id.resp_p":
			_, _, err = r.PortField(i)
		case "orig_bytes":
			_, _, err = r.CountField(i)
		case "duration":
			_, _, err = r.IntervalField(i)
		}
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: err = %v, want %q", b.field, err, b.want)
		}
	}
}
