package observable

import "testing"

func TestRefang(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  example.com \t\n", "example.com"},
		{"example.com", "example.com"},
		{"hxxp://evil.example/", "http://evil.example/"},
		{"hxxps://evil.example/", "https://evil.example/"},
		{"HXXPS://evil.example/", "https://evil.example/"},
		{"hXXp://evil.example/", "http://evil.example/"},
		{"fxp://files.example/", "ftp://files.example/"},
		{"FXP://files.example/", "ftp://files.example/"},
		{"hxxps[://]evil[.]example", "https://evil.example"},
		{"hxxp[:]//evil[.]example", "http://evil.example"},
		{"evil[.]example(.)com{.}net", "evil.example.com.net"},
		{"evil[dot]example(dot)com{dot}net", "evil.example.com.net"},
		{"evil[DOT]example(Dot)com", "evil.example.com"},
		{"user[@]mail[.]ru", "user@mail.ru"},
		{"user[at]mail[.]ru", "user@mail.ru"},
		{"user(at)mail(dot)ru", "user@mail.ru"},
		{"user(AT)mail(DOT)ru", "user@mail.ru"},
		{"http[:]//a[/]b", "http://a/b"},
		{"hxxps://evil[.]example/?u=hxxp://x[.]y", "https://evil.example/?u=http://x.y"},
		// Not defanging: left alone.
		{"hxxp.example.com", "hxxp.example.com"},
		{"ahxxp://x", "ahxxp://x"},
		{"shxxps://x", "shxxps://x"},
		{"hxxpx://x", "hxxpx://x"},
		{"fxpx://x", "fxpx://x"},
		{"(a)[b]{c}", "(a)[b]{c}"},
		{"[.", "[."},
		{"hxxp", "hxxp"},
		{"\xff[.]\xfe", "\xff.\xfe"},
	} {
		if got := Refang(tc.in); got != tc.want {
			t.Errorf("Refang(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRefangNoAlloc(t *testing.T) {
	for _, s := range []string{"https://www.example.com/path?q=1", "  example.com  ", "(a)[b]{c}hf"} {
		if n := testing.AllocsPerRun(100, func() { _ = Refang(s) }); n != 0 {
			t.Errorf("Refang(%q) allocates %v times", s, n)
		}
	}
}
