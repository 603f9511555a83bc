package zeek

import (
	"bytes"
	"io"
	"testing"
	"time"
)

func benchConns(n int) []Conn {
	out := make([]Conn, n)
	for i := range out {
		c := sampleConn()
		c.TS = c.TS.Add(time.Duration(i) * 1777 * time.Microsecond)
		c.OrigP = uint16(49152 + i%16384)
		c.OrigBytes = int64(300 + i%5000)
		c.RespBytes = int64(1000 + i*7%90000)
		c.Duration = time.Duration(i%3000) * time.Millisecond
		out[i] = c
	}
	return out
}

func benchWrite(b *testing.B, f Format) {
	conns := benchConns(1024)
	w := NewWriter(io.Discard, ConnLog, f, t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := w.WriteConn(&conns[i%len(conns)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWriteConn measures conn.log records written per second (TSV).
func BenchmarkWriteConn(b *testing.B) { benchWrite(b, TSV) }

// BenchmarkWriteConnJSON is BenchmarkWriteConn for the JSON form.
func BenchmarkWriteConnJSON(b *testing.B) { benchWrite(b, JSON) }

func benchLog(b *testing.B, f Format, n int) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf, ConnLog, f, t0)
	for _, c := range benchConns(n) {
		if err := w.WriteConn(&c); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(t0); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchRead(b *testing.B, f Format, decode bool) {
	const n = 100_000
	data := benchLog(b, f, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		uid := -1
		var c Conn
		for r.Next() {
			if decode {
				if err := r.Conn(&c); err != nil {
					b.Fatal(err)
				}
			} else {
				if uid < 0 {
					uid = r.Index("id.resp_h")
				}
				_ = r.Time()
				_ = r.Bytes(uid)
			}
			events++
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReadConn measures conn.log records read per second (TSV),
// touching ts and one field as a matcher does.
func BenchmarkReadConn(b *testing.B) { benchRead(b, TSV, false) }

// BenchmarkReadConnJSON is BenchmarkReadConn for the JSON form.
func BenchmarkReadConnJSON(b *testing.B) { benchRead(b, JSON, false) }

// BenchmarkDecodeConn reads and decodes every record into a Conn.
func BenchmarkDecodeConn(b *testing.B) { benchRead(b, TSV, true) }

// BenchmarkDecodeSSL reads and decodes ssl.log records (TSV) with a
// server name and, every third record, a certificate chain.
func BenchmarkDecodeSSL(b *testing.B) {
	const n = 100_000
	s := sampleSSL()[0]
	var buf bytes.Buffer
	w := NewWriter(&buf, SSLLog, TSV, t0)
	for i := range n {
		s.TS = t0.Add(time.Duration(i) * 1777 * time.Microsecond)
		s.OrigP = uint16(49152 + i%16384)
		s.CertChainFPs = nil
		if i%3 == 0 {
			s.CertChainFPs = sampleSSL()[0].CertChainFPs
		}
		if err := w.WriteSSL(&s); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(t0); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		var got SSL
		for r.Next() {
			if err := r.SSL(&got); err != nil {
				b.Fatal(err)
			}
			events++
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
