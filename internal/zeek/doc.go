// Package zeek reads and writes Zeek logs: the tab-separated ASCII form
// Zeek writes by default and the JSON-lines form it writes with
// LogAscii::use_json=T.
//
// # The ASCII (TSV) form
//
// A log starts with a header block:
//
//	#separator \x09
//	#set_separator	,
//	#empty_field	(empty)
//	#unset_field	-
//	#path	conn
//	#open	2026-11-02-00-00-00
//	#fields	ts	uid	id.orig_h	...
//	#types	time	string	addr	...
//
// then one line per record, fields separated by the separator, and ends
// with "#close" and a time. A file may hold several header blocks (Zeek
// appends a new one after a restart); each "#fields" line replaces the
// field list. Values are written as Zeek writes them: time and interval as
// seconds with six decimals, bool as T or F, sets and vectors joined by the
// set separator, an unset optional field as "-" and an empty string, set or
// vector as "(empty)". In strings, the separator, the set separator (inside
// sets), backslash and bytes that are not printable are written as \xNN;
// valid UTF-8 is written as is (LogAscii::enable_utf_8). A string that would
// read as the unset or empty marker has its first byte escaped.
//
// # The JSON form
//
// One object per line; the keys are the field names ("id.orig_h"), ts and
// the other times and intervals are JSON numbers (epoch seconds, the
// shortest decimal that round-trips, as Zeek's JSON writer prints them),
// counts and ports are integers, bools are true or false, sets and vectors
// are arrays, and unset fields are left out.
//
// # Records
//
// [Conn], [DNS], [HTTP] and [SSL] hold one record each with typed fields,
// which [Writer] writes and [Reader.Conn] and its siblings fill. Unset
// fields are spelt without extra flags: a string "" is unset; a netip.Addr that is
// not valid is unset; an int64 or time.Duration below zero is unset (see
// [Unset]); a [Bool] has its own unset value; a nil slice is unset and an
// empty non-nil slice is an empty set or vector. Times and intervals are
// written with microsecond precision, as Zeek does.
//
// # Field lists
//
// The writer emits the default fields of Zeek 6.0 (the LTS release) for
// conn.log, dns.log, http.log and ssl.log: see [Log.Fields]. The reader
// takes any log and follows its "#fields" line (or, for JSON, the keys it meets).
//
// SPEC: https://docs.zeek.org/en/lts/log-formats.html
// SPEC: https://docs.zeek.org/en/lts/scripts/base/protocols/conn/main.zeek.html#type-Conn::Info
// SPEC: https://docs.zeek.org/en/lts/scripts/base/protocols/dns/main.zeek.html#type-DNS::Info
// SPEC: https://docs.zeek.org/en/lts/scripts/base/protocols/http/main.zeek.html#type-HTTP::Info
// SPEC: https://docs.zeek.org/en/lts/scripts/base/protocols/ssl/main.zeek.html#type-SSL::Info
package zeek
