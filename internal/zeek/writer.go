package zeek

import (
	"fmt"
	"io"
	"time"
)

// The markers the writer uses, which are Zeek's defaults.
const (
	separator    = "\t"
	setSeparator = ","
	emptyField   = "(empty)"
	unsetField   = "-"
	// headerTime is the layout of #open and #close.
	headerTime = "2006-01-02-15-04-05"
)

// flushAt is the size at which the writer hands its buffer to the
// underlying writer.
const flushAt = 64 << 10

// Writer writes one log in one form. It buffers: call Close (or Flush) at
// the end. It allocates nothing per record. A Writer is not safe for
// concurrent use.
type Writer struct {
	w   io.Writer
	log Log
	e   enc
	err error
}

// NewWriter returns a writer of log l in form f on w. For TSV it writes the
// header at once, with open as the #open time (in UTC).
func NewWriter(w io.Writer, l Log, f Format, open time.Time) *Writer {
	zw := &Writer{w: w, log: l, e: enc{b: make([]byte, 0, flushAt+4096), json: f == JSON}}
	if !l.valid() {
		zw.err = fmt.Errorf("zeek: unknown log %d", uint8(l))
		return zw
	}
	if f != TSV && f != JSON {
		zw.err = fmt.Errorf("zeek: unknown format %d", uint8(f))
		return zw
	}
	if f == TSV {
		zw.e.b = appendHeader(zw.e.b, l, open)
	}
	return zw
}

// appendHeader appends the header block Zeek's ASCII writer starts a file
// with.
func appendHeader(b []byte, l Log, open time.Time) []byte {
	s := &schemas[l]
	b = append(b, "#separator \\x09\n"...)
	b = append(b, "#set_separator\t"+setSeparator+"\n"...)
	b = append(b, "#empty_field\t"+emptyField+"\n"...)
	b = append(b, "#unset_field\t"+unsetField+"\n"...)
	b = append(b, "#path\t"...)
	b = append(b, s.path...)
	b = append(b, "\n#open\t"...)
	b = open.UTC().AppendFormat(b, headerTime)
	b = append(b, "\n#fields"...)
	for _, f := range s.fields {
		b = append(b, '\t')
		b = append(b, f...)
	}
	b = append(b, "\n#types"...)
	for _, t := range s.types {
		b = append(b, '\t')
		b = append(b, t...)
	}
	return append(b, '\n')
}

func (w *Writer) check(l Log) bool {
	if w.err != nil {
		return false
	}
	if w.log != l {
		w.err = fmt.Errorf("zeek: %s record written to a %s writer", l, w.log)
		return false
	}
	return true
}

func (w *Writer) done() error {
	if len(w.e.b) >= flushAt {
		return w.Flush()
	}
	return nil
}

// WriteConn appends c; the writer must be a conn.log writer.
func (w *Writer) WriteConn(c *Conn) error {
	if !w.check(ConnLog) {
		return w.err
	}
	e := &w.e
	e.begin()
	e.time("ts", c.TS)
	e.str("uid", c.UID)
	e.addr("id.orig_h", c.OrigH)
	e.port("id.orig_p", c.OrigP)
	e.addr("id.resp_h", c.RespH)
	e.port("id.resp_p", c.RespP)
	e.str("proto", c.Proto)
	e.str("service", c.Service)
	e.interval("duration", c.Duration)
	e.count("orig_bytes", c.OrigBytes)
	e.count("resp_bytes", c.RespBytes)
	e.str("conn_state", c.ConnState)
	e.boolean("local_orig", c.LocalOrig)
	e.boolean("local_resp", c.LocalResp)
	e.count("missed_bytes", c.MissedBytes)
	e.str("history", c.History)
	e.count("orig_pkts", c.OrigPkts)
	e.count("orig_ip_bytes", c.OrigIPBytes)
	e.count("resp_pkts", c.RespPkts)
	e.count("resp_ip_bytes", c.RespIPBytes)
	e.strs("tunnel_parents", c.TunnelParents)
	e.end()
	return w.done()
}

// WriteDNS appends d; the writer must be a dns.log writer.
func (w *Writer) WriteDNS(d *DNS) error {
	if !w.check(DNSLog) {
		return w.err
	}
	e := &w.e
	e.begin()
	e.time("ts", d.TS)
	e.str("uid", d.UID)
	e.addr("id.orig_h", d.OrigH)
	e.port("id.orig_p", d.OrigP)
	e.addr("id.resp_h", d.RespH)
	e.port("id.resp_p", d.RespP)
	e.str("proto", d.Proto)
	e.count("trans_id", d.TransID)
	e.interval("rtt", d.RTT)
	e.str("query", d.Query)
	e.count("qclass", d.QClass)
	e.str("qclass_name", d.QClassName)
	e.count("qtype", d.QType)
	e.str("qtype_name", d.QTypeName)
	e.count("rcode", d.RCode)
	e.str("rcode_name", d.RCodeName)
	e.boolean("AA", d.AA)
	e.boolean("TC", d.TC)
	e.boolean("RD", d.RD)
	e.boolean("RA", d.RA)
	e.count("Z", d.Z)
	e.strs("answers", d.Answers)
	e.intervals("TTLs", d.TTLs)
	e.boolean("rejected", d.Rejected)
	e.end()
	return w.done()
}

// WriteHTTP appends h; the writer must be an http.log writer.
func (w *Writer) WriteHTTP(h *HTTP) error {
	if !w.check(HTTPLog) {
		return w.err
	}
	e := &w.e
	e.begin()
	e.time("ts", h.TS)
	e.str("uid", h.UID)
	e.addr("id.orig_h", h.OrigH)
	e.port("id.orig_p", h.OrigP)
	e.addr("id.resp_h", h.RespH)
	e.port("id.resp_p", h.RespP)
	e.count("trans_depth", h.TransDepth)
	e.str("method", h.Method)
	e.str("host", h.Host)
	e.str("uri", h.URI)
	e.str("referrer", h.Referrer)
	e.str("version", h.Version)
	e.str("user_agent", h.UserAgent)
	e.str("origin", h.Origin)
	e.count("request_body_len", h.RequestBodyLen)
	e.count("response_body_len", h.ResponseBodyLen)
	e.count("status_code", h.StatusCode)
	e.str("status_msg", h.StatusMsg)
	e.count("info_code", h.InfoCode)
	e.str("info_msg", h.InfoMsg)
	e.strs("tags", h.Tags)
	e.str("username", h.Username)
	e.str("password", h.Password)
	e.strs("proxied", h.Proxied)
	e.strs("orig_fuids", h.OrigFUIDs)
	e.strs("orig_filenames", h.OrigFilenames)
	e.strs("orig_mime_types", h.OrigMIMETypes)
	e.strs("resp_fuids", h.RespFUIDs)
	e.strs("resp_filenames", h.RespFilenames)
	e.strs("resp_mime_types", h.RespMIMETypes)
	e.end()
	return w.done()
}

// WriteSSL appends s; the writer must be an ssl.log writer.
func (w *Writer) WriteSSL(s *SSL) error {
	if !w.check(SSLLog) {
		return w.err
	}
	e := &w.e
	e.begin()
	e.time("ts", s.TS)
	e.str("uid", s.UID)
	e.addr("id.orig_h", s.OrigH)
	e.port("id.orig_p", s.OrigP)
	e.addr("id.resp_h", s.RespH)
	e.port("id.resp_p", s.RespP)
	e.str("version", s.Version)
	e.str("cipher", s.Cipher)
	e.str("curve", s.Curve)
	e.str("server_name", s.ServerName)
	e.boolean("resumed", s.Resumed)
	e.str("last_alert", s.LastAlert)
	e.str("next_protocol", s.NextProtocol)
	e.boolean("established", s.Established)
	e.str("ssl_history", s.SSLHistory)
	e.strs("cert_chain_fps", s.CertChainFPs)
	e.strs("client_cert_chain_fps", s.ClientCertChainFPs)
	e.boolean("sni_matches_cert", s.SNIMatchesCert)
	e.end()
	return w.done()
}

// Flush hands the buffered records to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.e.b) == 0 {
		return nil
	}
	if _, err := w.w.Write(w.e.b); err != nil {
		w.err = fmt.Errorf("zeek: write %s log: %w", w.log, err)
		return w.err
	}
	w.e.b = w.e.b[:0]
	return nil
}

// Close ends the log: for TSV it writes the "#close" line with t (in UTC),
// as Zeek does when it closes a file. It flushes but does not close the
// underlying writer. Writing after Close is an error.
func (w *Writer) Close(t time.Time) error {
	if w.err != nil {
		return w.err
	}
	if !w.e.json {
		w.e.b = append(w.e.b, "#close\t"...)
		w.e.b = t.UTC().AppendFormat(w.e.b, headerTime)
		w.e.b = append(w.e.b, '\n')
	}
	err := w.Flush()
	if err == nil {
		w.err = fmt.Errorf("zeek: %s writer is closed", w.log)
	}
	return err
}
