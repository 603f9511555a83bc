package c2

import (
	"bytes"
	"testing"

	"fusion/internal/zeek"
)

// FuzzDetectorLog feeds any bytes to a Detector as a Zeek log: it reads
// them or says why not, and never panics, whatever the fields hold.
func FuzzDetectorLog(f *testing.F) {
	f.Add([]byte("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.resp_h\torig_bytes\torig_ip_bytes\tduration\n" +
		"1793611800.0\tC1\t10.1.0.1\t192.0.2.1\t100\t400\t1.5\n1793611860.0\tC2\t10.1.0.1\t192.0.2.1\t100\t400\t-\n"))
	f.Add([]byte(`{"ts":1793611800.5,"uid":"C1","id.orig_h":"10.1.0.1","id.resp_h":"192.0.2.1","server_name":"c2.example.com"}` + "\n"))
	f.Add([]byte(`{"ts":1793611800.5,"uid":"C1","id.orig_h":"10.1.0.1","id.resp_h":"10.0.0.8","method":"CONNECT","host":"[2001:db8::1]:443","uri":"x:1"}` + "\n"))
	f.Add([]byte("#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tquery\tqtype_name\tanswers\n1793611800.0\t10.1.0.1\taGVsbG8.t.example.com\tA\t192.0.2.9,cname.example\n"))
	f.Add([]byte("#separator \\x09\n#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.resp_h\tmethod\thost\turi\tresponse_body_len\n1793611800.0\tC1\t10.1.0.1\t192.0.2.1\tGET\tbbs.example.jp:80\t/read.cgi\t-1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := New(DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zeek.NewReader(bytes.NewReader(in))
		if err != nil {
			return
		}
		_ = d.Log(zr)
		for _, f := range d.Findings() {
			if f.Kind == "" || f.Entity == "" || f.End.Before(f.Start) {
				t.Fatalf("finding without kind or entity, or ending before it starts: %+v", f)
			}
		}
	})
}
