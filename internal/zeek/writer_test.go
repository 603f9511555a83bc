package zeek

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 123456000, time.UTC)

func sampleConn() Conn {
	return Conn{
		TS: t0, UID: "CAbCdEfGhIjKlMnOpQ",
		OrigH: netip.MustParseAddr("10.1.2.3"), OrigP: 51234,
		RespH: netip.MustParseAddr("93.184.215.14"), RespP: 443,
		Proto: "tcp", Service: "ssl", Duration: 1500 * time.Millisecond,
		OrigBytes: 517, RespBytes: 4096, ConnState: "SF",
		LocalOrig: True, LocalResp: False, MissedBytes: 0, History: "ShADadFf",
		OrigPkts: 8, OrigIPBytes: 933, RespPkts: 9, RespIPBytes: 4564,
	}
}

func TestWriteConnTSV(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, ConnLog, TSV, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	c := sampleConn()
	if err := w.WriteConn(&c); err != nil {
		t.Fatal(err)
	}
	s0 := Conn{TS: t0, UID: "C1", OrigH: c.OrigH, OrigP: 1, RespH: c.RespH, RespP: 2, Proto: "tcp",
		Duration: Unset, OrigBytes: Unset, RespBytes: Unset, ConnState: "S0", History: "S", OrigPkts: 1, OrigIPBytes: 52}
	if err := w.WriteConn(&s0); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(time.Date(2026, 11, 3, 0, 0, 5, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	want := "#separator \\x09\n" +
		"#set_separator\t,\n" +
		"#empty_field\t(empty)\n" +
		"#unset_field\t-\n" +
		"#path\tconn\n" +
		"#open\t2026-11-02-00-00-00\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n" +
		"1793611800.123456\tCAbCdEfGhIjKlMnOpQ\t10.1.2.3\t51234\t93.184.215.14\t443\ttcp\tssl\t1.500000\t517\t4096\tSF\tT\tF\t0\tShADadFf\t8\t933\t9\t4564\t-\n" +
		"1793611800.123456\tC1\t10.1.2.3\t1\t93.184.215.14\t2\ttcp\t-\t-\t-\t-\tS0\t-\t-\t0\tS\t1\t52\t0\t0\t-\n" +
		"#close\t2026-11-03-00-00-05\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := w.WriteConn(&c); err == nil {
		t.Error("write after Close succeeded")
	}
}

func TestWriteConnJSON(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, ConnLog, JSON, t0)
	c := sampleConn()
	c.Duration = 2 * time.Second
	c.TS = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	if err := w.WriteConn(&c); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t0); err != nil {
		t.Fatal(err)
	}
	want := `{"ts":1793611800.0,"uid":"CAbCdEfGhIjKlMnOpQ","id.orig_h":"10.1.2.3","id.orig_p":51234,` +
		`"id.resp_h":"93.184.215.14","id.resp_p":443,"proto":"tcp","service":"ssl","duration":2.0,` +
		`"orig_bytes":517,"resp_bytes":4096,"conn_state":"SF","local_orig":true,"local_resp":false,` +
		`"missed_bytes":0,"history":"ShADadFf","orig_pkts":8,"orig_ip_bytes":933,"resp_pkts":9,"resp_ip_bytes":4564}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWriteSSL(t *testing.T) {
	s := sampleSSL()[0]
	s.TS = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	s.CertChainFPs = []string{"ab", "cd"}
	var tsv, js bytes.Buffer
	for _, w := range []*Writer{NewWriter(&tsv, SSLLog, TSV, t0), NewWriter(&js, SSLLog, JSON, t0)} {
		if err := w.WriteSSL(&s); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(t0); err != nil {
			t.Fatal(err)
		}
	}
	wantTSV := "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tssl_history\tcert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tstring\tvector[string]\tvector[string]\tbool\n" +
		"1793611800.000000\tCAbCdEfGhIjKlMnOpQ\t10.1.2.3\t51234\t93.184.215.14\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\twww.example.com\tF\t-\th2\tT\tCsiI\tab,cd\t(empty)\tT\n"
	if !strings.Contains(tsv.String(), "#path\tssl\n") || !strings.Contains(tsv.String(), wantTSV) {
		t.Errorf("tsv:\n%s\nwant to contain\n%s", tsv.String(), wantTSV)
	}
	wantJSON := `{"ts":1793611800.0,"uid":"CAbCdEfGhIjKlMnOpQ","id.orig_h":"10.1.2.3","id.orig_p":51234,` +
		`"id.resp_h":"93.184.215.14","id.resp_p":443,"version":"TLSv13","cipher":"TLS_AES_128_GCM_SHA256",` +
		`"curve":"x25519","server_name":"www.example.com","resumed":false,"next_protocol":"h2",` +
		`"established":true,"ssl_history":"CsiI","cert_chain_fps":["ab","cd"],"client_cert_chain_fps":[],` +
		`"sni_matches_cert":true}` + "\n"
	if js.String() != wantJSON {
		t.Errorf("json:\n%s\nwant\n%s", js.String(), wantJSON)
	}
	// Without _path, a JSON ssl.log is recognised by its fields.
	r, err := NewReader(&js)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() || r.Path() != "ssl" {
		t.Errorf("path %q, err %v", r.Path(), r.Err())
	}
}

func TestWriteWrongLog(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, DNSLog, TSV, t0)
	c := sampleConn()
	if err := w.WriteConn(&c); err == nil || !strings.Contains(err.Error(), "conn record written to a dns writer") {
		t.Errorf("err = %v", err)
	}
}

func TestAppendMicros(t *testing.T) {
	for _, tc := range []struct {
		us        int64
		tsv, json string
	}{
		{0, "0.000000", "0.0"},
		{1, "0.000001", "0.000001"},
		{1500000, "1.500000", "1.5"},
		{1591367999305988, "1591367999.305988", "1591367999.305988"},
		{-250000, "-0.250000", "-0.25"},
	} {
		if got := string(appendMicros(nil, tc.us, false)); got != tc.tsv {
			t.Errorf("tsv %d = %s, want %s", tc.us, got, tc.tsv)
		}
		if got := string(appendMicros(nil, tc.us, true)); got != tc.json {
			t.Errorf("json %d = %s, want %s", tc.us, got, tc.json)
		}
	}
}

func TestEscapes(t *testing.T) {
	for _, tc := range []struct {
		in          string
		inSet       bool
		tsv, jsonTx string
	}{
		{"plain text", false, "plain text", `"plain text"`},
		{"a\tb", false, `a\x09b`, `"a\tb"`},
		{`back\slash`, false, `back\x5cslash`, `"back\\slash"`},
		{"nul\x00", false, `nul\x00`, `"nul\u0000"`},
		{"del\x7f", false, `del\x7f`, "\"del\x7f\""},
		{"bad\xffutf8", false, `bad\xffutf8`, `"bad\\xffutf8"`},
		{"日本語", false, "日本語", `"日本語"`},
		{"-", false, `\x2d`, `"-"`},
		{"(empty)", false, `\x28empty)`, `"(empty)"`},
		{"a,b", false, "a,b", `"a,b"`},
		{"a,b", true, `a\x2cb`, `"a,b"`},
		{`q"uote`, false, `q"uote`, `"q\"uote"`},
	} {
		if got := string(appendTSVString(nil, tc.in, tc.inSet)); got != tc.tsv {
			t.Errorf("tsv %q = %s, want %s", tc.in, got, tc.tsv)
		}
		if !tc.inSet {
			if got := string(appendJSONString(nil, tc.in)); got != tc.jsonTx {
				t.Errorf("json %q = %s, want %s", tc.in, got, tc.jsonTx)
			}
		}
	}
}

func TestAppendUID(t *testing.T) {
	u := string(AppendUID(nil, 'C', 0x0123456789abcdef, 0xfedcba9876543210))
	if len(u) != UIDLen || u[0] != 'C' {
		t.Fatalf("uid %q", u)
	}
	for _, c := range u[1:] {
		if !strings.ContainsRune(base62, c) {
			t.Fatalf("uid %q has %q", u, c)
		}
	}
	if v := string(AppendUID(nil, 'C', 0x0123456789abcdef, 0xfedcba9876543210)); v != u {
		t.Errorf("not deterministic: %s %s", u, v)
	}
}

func TestParseFormatLog(t *testing.T) {
	for s, want := range map[string]Format{"tsv": TSV, "TSV": TSV, "json": JSON, "jsonl": JSON} {
		if f, err := ParseFormat(s); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
	for _, l := range []Log{ConnLog, DNSLog, HTTPLog, SSLLog} {
		got, err := ParseLog(l.Path())
		if err != nil || got != l {
			t.Errorf("ParseLog(%s) = %v, %v", l.Path(), got, err)
		}
		if len(l.Fields()) != len(l.Types()) {
			t.Errorf("%s: %d fields, %d types", l, len(l.Fields()), len(l.Types()))
		}
	}
	if _, err := ParseLog("weird"); err == nil {
		t.Error("ParseLog(weird) succeeded")
	}
}

func TestPlainPrefix(t *testing.T) {
	naive := func(s string, inSet bool) int {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' || (inSet && c == ',') {
				return i
			}
		}
		return len(s)
	}
	alphabet := []byte{'a', 'Z', ' ', '~', 0x1f, 0x20, 0x7f, 0x80, 0xff, '\\', ',', '-', '0', 0x00, 0x5b, 0x5d}
	seed := uint64(1)
	for n := 0; n < 20000; n++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		l := int(seed>>58) % 40
		b := make([]byte, l)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			if seed>>60 < 12 {
				b[i] = 'a' + byte(seed>>40)%26
			} else {
				b[i] = alphabet[(seed>>32)%uint64(len(alphabet))]
			}
		}
		for _, inSet := range []bool{false, true} {
			if got, want := plainPrefix(string(b), inSet), naive(string(b), inSet); got != want {
				t.Fatalf("plainPrefix(%q, %v) = %d, want %d", b, inSet, got, want)
			}
		}
	}
}
