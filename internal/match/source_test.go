package match

import (
	"strings"
	"testing"
	"time"
)

// observe returns "field=kind:value" for each observation of each event.
func observe(t *testing.T, input, format string) ([]string, error) {
	t.Helper()
	src, err := NewSource(strings.NewReader(input), format)
	if err != nil {
		return nil, err
	}
	var out []string
	for src.Next() {
		src.Row(func(o Observation) {
			out = append(out, o.Field+"="+string("aidu"[o.Kind])+":"+o.Value+"@"+o.Time.UTC().Format(time.RFC3339))
		})
	}
	return out, src.Err()
}

const httpHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\n"

func TestHTTPURLs(t *testing.T) {
	in := httpHeader +
		"1700000000.0\tC1\t10.0.0.1\t5000\t192.0.2.1\t8080\tGET\t192.0.2.1\t/x.exe\n" +
		"1700000000.0\tC2\t10.0.0.1\t5000\t192.0.2.2\t80\tGET\tkit.example.com\t/login\n" +
		"1700000000.0\tC3\t10.0.0.1\t5000\t10.0.0.8\t3128\tCONNECT\tsafe.example.org\tsafe.example.org:443\n" +
		"1700000000.0\tC4\t10.0.0.1\t5000\t10.0.0.8\t3128\tGET\tproxied.example.net\thttp://proxied.example.net/a\n" +
		"1700000000.0\tC5\t10.0.0.1\t5000\t2001:db8::5\t81\tGET\t2001:db8::5\t/b\n"
	got, err := observe(t, in, "zeek-http")
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, o := range got {
		if strings.HasPrefix(o, "url=") {
			urls = append(urls, strings.SplitN(strings.TrimPrefix(o, "url=u:"), "@", 2)[0])
		}
	}
	want := []string{"http://192.0.2.1:8080/x.exe", "http://kit.example.com/login", "http://proxied.example.net/a", "http://[2001:db8::5]:81/b"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Errorf("urls\n got %q\nwant %q", urls, want)
	}
}

func TestFormatChecks(t *testing.T) {
	conn := "#separator \\x09\n#path\tconn\n#fields\tts\tid.resp_h\n#types\ttime\taddr\n1700000000.0\t192.0.2.1\n"
	if _, err := observe(t, conn, "zeek-dns"); err == nil || !strings.Contains(err.Error(), "zeek-dns: the input is a Zeek conn log") {
		t.Errorf("conn log read as dns: %v", err)
	}
	if _, err := observe(t, conn, "jsonl"); err == nil || !strings.Contains(err.Error(), "not JSON lines") {
		t.Errorf("TSV read as jsonl: %v", err)
	}
	if _, err := NewSource(strings.NewReader(conn), "pcap"); err == nil || !strings.Contains(err.Error(), `format "pcap"`) {
		t.Errorf("unknown format: %v", err)
	}
	got, err := observe(t, conn, "zeek-conn")
	if err != nil || len(got) != 1 || got[0] != "id.resp_h=i:192.0.2.1@2023-11-14T22:13:20Z" {
		t.Errorf("conn: %q %v", got, err)
	}
	got, err = observe(t, `{"time":"2024-05-01T10:00:00Z","values":["evil.example.com","198.51.100.7","d41d8cd98f00b204e9800998ecf8427e"]}`+"\n", "jsonl")
	if err != nil || strings.Join(got, " ") != "values=d:evil.example.com@2024-05-01T10:00:00Z values=i:198.51.100.7@2024-05-01T10:00:00Z values=a:d41d8cd98f00b204e9800998ecf8427e@2024-05-01T10:00:00Z" {
		t.Errorf("jsonl: %q %v", got, err)
	}
}

func TestCSV(t *testing.T) {
	in := "\ufefftimestamp,src,dst,dst_port,domain,note\n" +
		"2024-05-01T10:00:00Z,10.0.0.1,192.0.2.9,443,evil.example.com,\n" +
		"1714557600.5,10.0.0.2,-,53,192.0.2.10,mule@example.org\n"
	got, err := observe(t, in, "csv")
	if err != nil {
		t.Fatal(err)
	}
	want := "src=i:10.0.0.1@2024-05-01T10:00:00Z dst=i:192.0.2.9@2024-05-01T10:00:00Z domain=d:evil.example.com@2024-05-01T10:00:00Z " +
		"src=i:10.0.0.2@2024-05-01T10:00:00Z domain=i:192.0.2.10@2024-05-01T10:00:00Z note=a:mule@example.org@2024-05-01T10:00:00Z"
	if strings.Join(got, " ") != want {
		t.Errorf("csv\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	for _, bad := range []struct{ in, want string }{
		{"", "header line"},
		{"a,b\n1,2,3\n", "wrong number of fields"},
		{"a,\"b\n", "csv: header"},
	} {
		if _, err := observe(t, bad.in, "csv"); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error with %q", bad.in, err, bad.want)
		}
	}
}

// FuzzSources feeds arbitrary bytes to every format: no panic, and every
// observation has a field name and a value.
func FuzzSources(f *testing.F) {
	f.Add([]byte("ts,src,domain\n2024-05-01T10:00:00Z,10.0.0.1,a.example\n"))
	f.Add([]byte(httpHeader + "1700000000.0\tC1\t10.0.0.1\t5000\t192.0.2.1\t8080\tGET\t192.0.2.1\t/x.exe\n"))
	f.Add([]byte(`{"ts":1700000000.5,"id.resp_h":"192.0.2.1","answers":["a.example","192.0.2.3"]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats {
			src, err := NewSource(strings.NewReader(string(data)), format)
			if err != nil {
				continue
			}
			for n := 0; src.Next() && n < 1000; n++ {
				src.Row(func(o Observation) {
					if o.Field == "" || o.Value == "" {
						t.Fatalf("%s: empty observation %+v", format, o)
					}
				})
				_ = src.UID()
			}
		}
	})
}
