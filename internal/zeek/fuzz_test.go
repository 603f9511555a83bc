package zeek

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// exercise reads all of data, touching every accessor, and checks that a
// failure names a line that exists.
func exercise(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return // a damaged gzip header: no line to name
	}
	for r.Next() {
		_ = r.Time()
		_ = r.Path()
		for i := range r.Fields() {
			_ = r.Bytes(i)
			_ = r.Set(i)
			_ = r.Unset(i)
		}
		var c Conn
		var d DNS
		var h HTTP
		var s SSL
		_, _, _, _ = r.Conn(&c), r.DNS(&d), r.HTTP(&h), r.SSL(&s)
	}
	err = r.Err()
	if err == nil {
		return
	}
	if !strings.Contains(err.Error(), "line ") {
		t.Fatalf("error does not name the line: %v", err)
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		lines := bytes.Count(data, []byte{'\n'}) + 1
		if se.Line < 1 || (data[0] != 0x1f && se.Line > lines) {
			t.Fatalf("error names line %d of %d: %v", se.Line, lines, err)
		}
	}
}

func FuzzReader(f *testing.F) {
	golden, err := os.ReadFile("testdata/conn.log")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	for _, l := range []Log{ConnLog, DNSLog, HTTPLog, SSLLog} {
		f.Add(encodeAll(f, l, TSV))
	}
	f.Add([]byte("#separator ,\n#fields,ts,a\n1,\\x2\n"))
	f.Add([]byte("#separator \\x09\n#fields\tts\n\n-\n(empty)\n#close\t1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exercise(t, data)
	})
}

func FuzzReaderJSON(f *testing.F) {
	for _, l := range []Log{ConnLog, DNSLog, HTTPLog, SSLLog} {
		f.Add(encodeAll(f, l, JSON))
	}
	f.Add([]byte(`{"_path":"dns","ts":"2026-11-02T00:00:00Z","id":{"orig_h":"::1"},"answers":["a",1,true,null],"s":"\ud83d\ude00\u0041\n"}`))
	f.Add([]byte("{\"a\":{\"b\":{\"c\":[]}}}\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] != '{' {
			data = append([]byte{'{'}, data...)
		}
		exercise(t, data)
	})
}
