package observable

import "testing"

func BenchmarkParseDomain(b *testing.B) {
	c := newTestCanonicalizer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(Domain, "login.Secure-Bank.example.co.uk"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDomainIDN(b *testing.B) {
	c := newTestCanonicalizer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(Domain, "www.bücher.de"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseURL(b *testing.B) {
	c := newTestCanonicalizer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(URL, "hxxps://login.secure-bank[.]example.com:443/account/./verify/../update.php?id=%7e42&r=a%2fb#top"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	inputs := []string{
		"evil.example.com", "https://evil.example.com/login", "1.2.3.4", "2001:db8::1",
		"d41d8cd98f00b204e9800998ecf8427e", "user@example.com", "+44 20 7946 0018",
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "AS64500", "4111 1111 1111 1111",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range inputs {
			if _, ok := Detect(s); !ok {
				b.Fatal(s)
			}
		}
	}
}
