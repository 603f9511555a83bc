package stix

import (
	"errors"
	"strings"
	"testing"
)

// validPatterns are patterns the grammar accepts: the examples of STIX 2.1
// section 9.9 and the other sections of chapter 9, then one per literal kind,
// operator and qualifier. want is Pattern.String's rendering; empty means the
// pattern itself.
var validPatterns = []struct {
	in, want string
}{
	// STIX 2.1 section 9.9, "Examples".
	{in: `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`},
	{in: `[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`},
	{in: `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']`},
	{in: `[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`},
	{in: `[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar'] WITHIN 5 SECONDS`},
	{in: `[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']`},
	{in: `[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`},
	{in: `[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`},
	{in: `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`},
	{in: `[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']`},
	{in: `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']`},
	{in: `[domain-name:value = 'www.5e7c02125c2b9f19d8d3a3d5ad0d4d6d.com' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`},
	{in: `[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`},
	{in: `[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`},
	{in: `[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`},
	{in: `[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']`},
	{in: `[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']`},
	{in: `[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`},
	{in: `[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`},
	{in: `[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS`},
	{in: `[network-traffic:dst_port = 443 AND network-traffic:protocols[0] = 'tcp']`},
	{in: `[network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding' NOT = 'gzip']`},
	{in: `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`},
	{in: `[network-traffic:dst_ref.value ISSUPERSET '198.51.100.0/24']`},
	{in: `[file:name LIKE 'Invoice%.exe']`},
	{in: `[file:hashes.'SHA-256' IN ('a1', 'b2')]`},
	{in: `[file:size NOT IN (1, 2, 3)]`},
	{in: `[file:name IN ()]`},
	{in: `[EXISTS windows-registry-key:values]`},
	{in: `[EXISTS windows-registry-key:values AND windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\x']`},
	{in: `[ipv4-addr:value = '203.0.113.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`},
	{in: `[ipv4-addr:value = '203.0.113.1'] START t'2016-06-01T00:00:00.123Z' STOP t'2016-12-31T23:59:60Z'`},
	{in: `([file:name = 'a'] OR [file:name = 'b']) FOLLOWEDBY [file:name = 'c']`, want: `[file:name = 'a'] OR [file:name = 'b'] FOLLOWEDBY [file:name = 'c']`},
	{in: `[file:name = 'a'] OR ([file:name = 'b'] FOLLOWEDBY [file:name = 'c'])`},
	{in: `[file:name = 'a'] AND ([file:name = 'b'] OR [file:name = 'c'])`},
	{in: `([file:name = 'a'] AND [file:name = 'b']) OR [file:name = 'c']`, want: `[file:name = 'a'] AND [file:name = 'b'] OR [file:name = 'c']`},
	{in: `[file:name = 'a'] OR [file:name = 'b'] FOLLOWEDBY [file:name = 'c']`},
	{in: `[file:name = 'a'] FOLLOWEDBY ([file:name = 'b'] FOLLOWEDBY [file:name = 'c'])`},
	{in: `([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) WITHIN 5 SECONDS`},
	{in: `[file:name = 'a'] WITHIN 1.5 SECONDS`},
	{in: `[file:name = 'a'] REPEATS 2 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`},
	// One per literal kind and spelling.
	{in: `[file:name = 'it\'s \\ here']`},
	{in: `[file:name = '']`},
	{in: `[file:name = 'line one
line two, ünïcödé']`},
	{in: `[file:size = -5 OR file:size = +5 OR file:size = 0]`, want: `[file:size = -5 OR file:size = 5 OR file:size = 0]`},
	{in: `[x:f = .5 OR x:f = -.25 OR x:f = +1.0 OR x:f = 007.50]`, want: `[x:f = 0.5 OR x:f = -0.25 OR x:f = 1.0 OR x:f = 7.5]`},
	{in: `[x:b = true AND x:c != false]`},
	{in: `[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=' OR artifact:payload_bin = b'YQ==' OR artifact:payload_bin = b'YWJj']`},
	{in: `[file:magic_number_hex = h'' OR file:magic_number_hex = h'FFd8']`},
	{in: `[x:n <> 1]`, want: `[x:n != 1]`},
	{in: `[x:n == 1]`, want: `[x:n = 1]`},
	// The reference grammar needs no space between a number and a word, and
	// skips comments and Unicode spaces.
	{in: `[x:n = 1AND x:m = 2] WITHIN 5SECONDS`, want: `[x:n = 1 AND x:m = 2] WITHIN 5 SECONDS`},
	{in: "/* lead */ [x:n = 1] // trailing\n OR\u00a0[x:n = 2]\u3000/**/", want: `[x:n = 1] OR [x:n = 2]`},
	{in: "[x:n = 1] // to the end", want: `[x:n = 1]`},
	{in: `[x:n < 1 AND x:n <= 2 AND x:n > 3 AND x:n >= 4]`},
	{in: `[x:s NOT LIKE 'a_' AND x:s NOT MATCHES '^a' AND x:s NOT ISSUBSET '10.0.0.0/8' AND x:s NOT ISSUPERSET '10.0.0.0/8']`},
	{in: `[x:list[-1] = 'z' AND x:list[*].name = 'y']`},
	{in: `[x:'first key'.'AND'.second = 1]`},
	{in: `[x:'plain' = 1]`, want: `[x:plain = 1]`},
	{in: "  [\tipv4-addr:value\n=\r'10.0.0.0' ]  ", want: `[ipv4-addr:value = '10.0.0.0']`},
	// Parentheses that change nothing disappear; those that do stay.
	{in: `(([file:name = 'a']))`, want: `[file:name = 'a']`},
	{in: `[((file:name = 'a'))]`, want: `[file:name = 'a']`},
	{in: `[file:name = 'a' OR (file:name = 'b' AND file:size = 1)]`, want: `[file:name = 'a' OR file:name = 'b' AND file:size = 1]`},
	{in: `[(file:name = 'a' OR file:name = 'b') AND file:size = 1]`},
	{in: `[file:name = 'a' AND (file:name = 'b' AND file:size = 1)]`},
	{in: `[a:b = 1] AND ([a:b = 2] OR [a:b = 3])`},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validPatterns {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			got := p.String()
			if got != want {
				t.Fatalf("String:\n got %s\nwant %s", got, want)
			}
			p2, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if got2 := p2.String(); got2 != got {
				t.Fatalf("String not stable:\n first %s\nsecond %s", got, got2)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	p, err := Parse(`[a:x = 1] OR [a:x = 2] AND [a:x = 3] FOLLOWEDBY [a:x = 4] WITHIN 5 SECONDS`)
	if err != nil {
		t.Fatal(err)
	}
	// FOLLOWEDBY binds loosest, then OR, then AND; the qualifier binds to
	// the observation before it.
	fb, ok := p.Expr.(*ObservationBinary)
	if !ok || fb.Op != FollowedBy {
		t.Fatalf("top is %#v, want FOLLOWEDBY", p.Expr)
	}
	q, ok := fb.Right.(*Qualified)
	if !ok || q.Qualifier.Kind != Within || q.Qualifier.Seconds.Int != 5 {
		t.Fatalf("right of FOLLOWEDBY is %#v, want WITHIN 5 SECONDS", fb.Right)
	}
	or, ok := fb.Left.(*ObservationBinary)
	if !ok || or.Op != ObsOr {
		t.Fatalf("left of FOLLOWEDBY is %#v, want OR", fb.Left)
	}
	if and, ok := or.Right.(*ObservationBinary); !ok || and.Op != ObsAnd {
		t.Fatalf("right of OR is %#v, want AND", or.Right)
	}

	p, err = Parse(`[network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding'[*] NOT IN ('gzip', b'YQ==', h'00', t'2020-01-01T00:00:00Z', 1.5, true)]`)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Expr.(*Observation).Expr.(*Comparison)
	if c.Path.ObjectType != "network-traffic" || !c.Not || c.Op != OpIn {
		t.Fatalf("comparison %#v", c)
	}
	wantSteps := []PathStep{{Key: "extensions"}, {Key: "http-request-ext"}, {Key: "request_header"}, {Key: "Accept-Encoding"}, {AnyIndex: true}}
	if len(c.Path.Steps) != len(wantSteps) {
		t.Fatalf("steps %#v", c.Path.Steps)
	}
	for i := range wantSteps {
		if c.Path.Steps[i] != wantSteps[i] {
			t.Errorf("step %d is %#v, want %#v", i, c.Path.Steps[i], wantSteps[i])
		}
	}
	wantKinds := []LiteralKind{KindString, KindBinary, KindHex, KindTimestamp, KindFloat, KindBool}
	for i, l := range c.Set {
		if l.Kind != wantKinds[i] {
			t.Errorf("literal %d is %s, want %s", i, l.Kind, wantKinds[i])
		}
	}
	if c.Set[0].Pos != strings.Index(`[network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding'[*] NOT IN ('gzip'`, `'gzip'`) {
		t.Errorf("offset of 'gzip' is %d", c.Set[0].Pos)
	}

	p, err = Parse(`[file:name = 'it\'s a \\ test']`)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Expr.(*Observation).Expr.(*Comparison).Value.Str; got != `it's a \ test` {
		t.Errorf("decoded string %q", got)
	}
}

// invalidPatterns are patterns the grammar refuses, with the offset, the
// token found and what was expected.
var invalidPatterns = []struct {
	in       string
	offset   int
	found    string
	expected string
}{
	{"", 0, "end of pattern", "'[' or '('"},
	{"   ", 3, "end of pattern", "'[' or '('"},
	{`file:name = 'x'`, 0, `identifier "file"`, "'[' or '('"},
	{`[file:name = 'x'`, 16, "end of pattern", "AND, OR or ']'"},
	{`[file:name = 'x']]`, 17, `"]"`, "the end of the pattern"},
	{`[file:name = 'x\n']`, 15, `'\' followed by 'n'`, `an escape \' or \\`},
	{`[file:name = 'x\`, 15, `'\' at the end`, "an escape"},
	{`[file:name = 'x]`, 13, "an unterminated string", "a closing quote"},
	{`[file:name 'x']`, 11, `string 'x'`, "a comparison operator"},
	{`[file:name = x]`, 13, `identifier "x"`, "a literal after ="},
	{`[file:name LIKE 5]`, 16, `"5"`, "a string after LIKE"},
	{`[file:name MATCHES b'YQ==']`, 19, `"YQ=="`, "a string after MATCHES"},
	{`[file:size > true]`, 13, "true", "after >"},
	{`[file:name IN 'a']`, 14, `string 'a'`, "'(' starting the set after IN"},
	{`[file:name IN ('a' 'b')]`, 19, `string 'b'`, "',' or ')' in the set"},
	{`[file:name IN ('a',)]`, 19, `")"`, "a literal in the set"},
	{`[file:name = 'a'] WITHIN 0 SECONDS`, 25, "0", "a positive number of seconds"},
	{`[file:name = 'a'] WITHIN -1.5 SECONDS`, 25, "-1.5", "a positive number of seconds"},
	{`[file:name = 'a'] WITHIN 5`, 26, "end of pattern", "SECONDS"},
	{`[file:name = 'a'] WITHIN 5 MINUTES`, 27, `identifier "MINUTES"`, "SECONDS"},
	{`[artifact:payload_bin = b'']`, 24, "empty", "a valid binary literal"},
	{`[file:name = 'a'] /* comment`, 18, "an unterminated comment", "'*/' closing the comment"},
	{"[file:name = 'a']\u2060", 17, "'\u2060'", "a token"},
	{`[file:name = 'a'] WITHIN 'five' SECONDS`, 25, `string 'five'`, "a number of seconds after WITHIN"},
	{`[file:name = 'a'] REPEATS 1.5 TIMES`, 26, `"1.5"`, "an integer after REPEATS"},
	{`[file:name = 'a'] REPEATS 0 TIMES`, 26, "0", "a positive integer after REPEATS"},
	{`[file:name = 'a'] REPEATS 2`, 27, "end of pattern", "TIMES"},
	{`[file:name = 'a'] START t'2016-01-01T00:00:00Z'`, 47, "end of pattern", "STOP"},
	{`[file:name = 'a'] START '2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'`, 24, "string", "a timestamp t'…' after START"},
	{`[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2015-01-01T00:00:00Z'`, 53, "t'2015-01-01T00:00:00Z'", "a STOP time later than START t'2016-01-01T00:00:00Z'"},
	{`[file:created = t'2016-13-01T00:00:00Z']`, 16, "month 13 is out of range", "a valid timestamp literal"},
	{`[file:created = t'2016-01-01 00:00:00Z']`, 16, "is not YYYY-MM-DDTHH:MM:SS[.s]Z", "a valid timestamp literal"},
	{`[file:created = t'2016-01-01T00:00:00+01:00']`, 16, "is not YYYY-MM-DDTHH:MM:SS[.s]Z", "a valid timestamp literal"},
	{`[file:created = t'2016-01-01T00:00:00Z]`, 16, "an unterminated timestamp literal", "a closing quote"},
	{`[artifact:payload_bin = b'abc']`, 24, "groups of 4 characters", "a valid binary literal"},
	{`[artifact:payload_bin = b'a=bc']`, 24, "'=' at 1 is not base64", "a valid binary literal"},
	{`[file:magic_number_hex = h'abc']`, 25, "odd number of hex digits", "a valid hex literal"},
	{`[file:magic_number_hex = h'zz']`, 25, "'z' at 0 is not a hex digit", "a valid hex literal"},
	{`[network-traffic:extensions.http-request-ext.x = 'a']`, 28, `identifier "http-request-ext" (a name with '-')`, `the name in quotes, 'http-request-ext'`},
	{`[file:hashes.MD5 = 'a'] and [file:x = 'b']`, 24, `identifier "and"`, "AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern"},
	{`[file:name = 'a' and file:size = 1]`, 17, `identifier "and"`, "AND, OR or ']'"},
	{`[file:size = 007]`, 13, `"007"`, "an integer without leading zeros"},
	{`[file:size = 1.]`, 15, "']'", "a digit after the decimal point"},
	{`[file:size = -]`, 14, "']'", "a digit"},
	{`[file:size = 99999999999999999999]`, 13, "integer 99999999999999999999", "an integer from -2^63 to 2^63-1"},
	{`[file:x[a] = 1]`, 8, `identifier "a"`, "an index or '*' after '['"},
	{`[file:x[1 = 1]`, 10, `"="`, "']' closing the index"},
	{`[file:name = 'a'] FOLLOWEDBY`, 28, "end of pattern", "'[' or '('"},
	{`[file:name != 'a' AND]`, 21, `"]"`, "an object path"},
	{`[file:name @ 'a']`, 11, "'@'", "a token"},
	{`[file:name ! 'a']`, 11, "'!'", "'!='"},
	{`[:name = 'a']`, 1, `":"`, "an object path"},
	{`[file name = 'a']`, 6, `identifier "name"`, `':' after the object type "file"`},
	{`[file: = 'a']`, 7, `"="`, "a property name after ':'"},
	{`[file:a. = 'a']`, 9, `"="`, "a property name after '.'"},
	{`[true:x = 1]`, 1, "true", "an object path"},
	{`[file:name = 'a'] OR`, 20, "end of pattern", "'[' or '('"},
	{`([file:name = 'a']`, 18, "end of pattern", "AND, OR, FOLLOWEDBY, a qualifier or ')'"},
	{`[(file:name = 'a']`, 17, `"]"`, "AND, OR or ')'"},
	{`[file:name = 'a' IN ('b')]`, 17, "IN", "AND, OR or ']'"},
	{`[NOT file:name = 'a']`, 1, "NOT", "an object path"},
	{"[file:name = 'a'] \xff", 18, "byte 0xff", "a token"},
	{strings.Repeat("(", 150) + "[a:b = 1]" + strings.Repeat(")", 150), 100, "nesting deeper than 100", "a flatter pattern"},
	{"[" + strings.Repeat("(", 150) + "a:b = 1" + strings.Repeat(")", 150) + "]", 100, "nesting deeper than 100", "a flatter pattern"},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidPatterns {
		name := tc.in
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse accepted it as %s", p)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", se.Offset, tc.offset, err)
			}
			if !strings.Contains(se.Found, tc.found) {
				t.Errorf("found %q, want it to contain %q", se.Found, tc.found)
			}
			if !strings.Contains(se.Expected, tc.expected) {
				t.Errorf("expected %q, want it to contain %q", se.Expected, tc.expected)
			}
			if !strings.HasPrefix(err.Error(), "pattern: at offset ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestParseTooLong(t *testing.T) {
	long := "[file:name = '" + strings.Repeat("a", MaxPatternLen) + "']"
	if _, err := Parse(long); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "at most 1048576 bytes") {
		t.Fatalf("Parse of %d bytes: %v", len(long), err)
	}
}
