package zeek

import (
	"fmt"
	"strings"
)

// Log names one of the logs this package writes.
type Log uint8

// The logs the writer knows.
const (
	ConnLog Log = iota + 1 // conn.log
	DNSLog                 // dns.log
	HTTPLog                // http.log
	SSLLog                 // ssl.log
)

type schema struct {
	path   string
	fields []string
	types  []string
}

// schemas holds the default field lists of Zeek 6.0 (Conn::Info, DNS::Info,
// HTTP::Info, SSL::Info with only the base scripts loaded).
var schemas = [...]schema{
	ConnLog: {
		path: "conn",
		fields: []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
			"proto", "service", "duration", "orig_bytes", "resp_bytes", "conn_state",
			"local_orig", "local_resp", "missed_bytes", "history", "orig_pkts",
			"orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents"},
		types: []string{"time", "string", "addr", "port", "addr", "port",
			"enum", "string", "interval", "count", "count", "string",
			"bool", "bool", "count", "string", "count",
			"count", "count", "count", "set[string]"},
	},
	DNSLog: {
		path: "dns",
		fields: []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
			"proto", "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype",
			"qtype_name", "rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z",
			"answers", "TTLs", "rejected"},
		types: []string{"time", "string", "addr", "port", "addr", "port",
			"enum", "count", "interval", "string", "count", "string", "count",
			"string", "count", "string", "bool", "bool", "bool", "bool", "count",
			"vector[string]", "vector[interval]", "bool"},
	},
	HTTPLog: {
		path: "http",
		fields: []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
			"trans_depth", "method", "host", "uri", "referrer", "version", "user_agent",
			"origin", "request_body_len", "response_body_len", "status_code", "status_msg",
			"info_code", "info_msg", "tags", "username", "password", "proxied",
			"orig_fuids", "orig_filenames", "orig_mime_types",
			"resp_fuids", "resp_filenames", "resp_mime_types"},
		types: []string{"time", "string", "addr", "port", "addr", "port",
			"count", "string", "string", "string", "string", "string", "string",
			"string", "count", "count", "count", "string",
			"count", "string", "set[enum]", "string", "string", "set[string]",
			"vector[string]", "vector[string]", "vector[string]",
			"vector[string]", "vector[string]", "vector[string]"},
	},
	SSLLog: {
		path: "ssl",
		fields: []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
			"version", "cipher", "curve", "server_name", "resumed", "last_alert",
			"next_protocol", "established", "ssl_history", "cert_chain_fps",
			"client_cert_chain_fps", "sni_matches_cert"},
		types: []string{"time", "string", "addr", "port", "addr", "port",
			"string", "string", "string", "string", "bool", "string",
			"string", "bool", "string", "vector[string]",
			"vector[string]", "bool"},
	},
}

func (l Log) valid() bool { return l >= ConnLog && l <= SSLLog }

// Path returns the log's path ("conn", "dns", "http", "ssl"), or "" for an
// unknown Log.
func (l Log) Path() string {
	if !l.valid() {
		return ""
	}
	return schemas[l].path
}

// String returns the path.
func (l Log) String() string {
	if !l.valid() {
		return fmt.Sprintf("Log(%d)", uint8(l))
	}
	return schemas[l].path
}

// Fields returns the names of the fields the writer emits, in order.
func (l Log) Fields() []string {
	if !l.valid() {
		return nil
	}
	return append([]string(nil), schemas[l].fields...)
}

// Types returns the Zeek types of the fields, in the order of Fields.
func (l Log) Types() []string {
	if !l.valid() {
		return nil
	}
	return append([]string(nil), schemas[l].types...)
}

// ParseLog returns the Log whose path is s.
func ParseLog(s string) (Log, error) {
	for l := ConnLog; l <= SSLLog; l++ {
		if schemas[l].path == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("zeek: %q is not a log this package writes (conn, dns, http, ssl)", s)
}

// Format is a Zeek log encoding.
type Format uint8

// The encodings.
const (
	TSV  Format = iota // Zeek's default tab-separated ASCII logs
	JSON               // LogAscii::use_json=T: one JSON object per line
)

// String returns "tsv" or "json".
func (f Format) String() string {
	switch f {
	case TSV:
		return "tsv"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat accepts "tsv" (or "ascii") and "json" (or "jsonl").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "tsv", "ascii":
		return TSV, nil
	case "json", "jsonl":
		return JSON, nil
	}
	return 0, fmt.Errorf("zeek: format %q: want tsv or json", s)
}
