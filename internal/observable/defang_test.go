package observable

import (
	"testing"
)

func TestDefang(t *testing.T) {
	for _, tc := range []struct {
		t       Type
		in, out string
	}{
		{IPv4, "198.51.100.7", "198.51.100[.]7"},
		{Domain, "evil.example.com", "evil[.]example[.]com"},
		{URL, "https://evil.example.com/a.php?x=1.2", "hxxps://evil[.]example[.]com/a.php?x=1.2"},
		{URL, "http://198.51.100.7:8080/", "hxxp://198[.]51[.]100[.]7:8080/"},
		{URL, "ftp://files.example.net", "fxp://files[.]example[.]net"},
		{Email, "boss@mail.example.org", "boss[@]mail[.]example[.]org"},
		{CIDR, "198.51.100.0/24", "198.51.100[.]0/24"},
		{CIDR, "2001:db8::/32", "2001:db8::/32"},
		{IPv6, "2001:db8::1", "2001:db8::1"},
		{SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"", "evil.example.com", "evil[.]example[.]com"},
		{"", "https://evil.example.com", "hxxps://evil[.]example[.]com"},
		{"", "", ""},
	} {
		t.Run(string(tc.t)+" "+tc.in, func(t *testing.T) {
			if got := Defang(tc.t, tc.in); got != tc.out {
				t.Errorf("Defang(%q, %q) = %q, want %q", tc.t, tc.in, got, tc.out)
			}
			if back := Refang(tc.out); back != tc.in {
				t.Errorf("Refang(%q) = %q, want %q", tc.out, back, tc.in)
			}
		})
	}
}

// FuzzDefang checks that Refang undoes Defang for every value the parser
// accepts, and that Defang never panics.
func FuzzDefang(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "evil.example.com", "https://a.example/x", "a@b.example", "198.51.100.0/24", "[.]", "hxxp://"} {
		f.Add(s)
	}
	c, err := New(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, ty := range allTypes {
			Defang(ty, s)
		}
		o, err := c.Parse("", s)
		if err != nil {
			return
		}
		d := Defang(o.Type, o.Value)
		if back := Refang(d); back != o.Value {
			t.Fatalf("Refang(Defang(%s, %q)) = %q via %q", o.Type, o.Value, back, d)
		}
	})
}
