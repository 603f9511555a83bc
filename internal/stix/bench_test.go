package stix

import "testing"

// BenchmarkParseValues parses a typical indicator pattern and extracts its
// value, the work an import does per indicator.
func BenchmarkParseValues(b *testing.B) {
	const src = `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Values(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseComplex parses a long pattern using most of the grammar.
func BenchmarkParseComplex(b *testing.B) {
	const src = `([network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com' AND network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding' NOT IN ('gzip', 'br')] REPEATS 5 TIMES WITHIN 180 SECONDS) FOLLOWEDBY [file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4' OR file:size >= 371712 AND file:created = t'2014-01-13T07:03:17Z'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
