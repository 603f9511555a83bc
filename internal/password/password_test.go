package password

import (
	"errors"
	"strings"
	"testing"

	"fusion/internal/intel"
)

func TestNewVerify(t *testing.T) {
	phc, err := New("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the OWASP parameters", phc)
	}
	h, err := Parse(phc)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Salt) != SaltLen || len(h.Key) != KeyLen || h.String() != phc {
		t.Fatalf("parsed %+v does not round-trip to %q", h, phc)
	}
	for pw, want := range map[string]bool{
		"correct horse battery staple":  true,
		"correct horse battery staplE":  false,
		"correct horse battery staple ": false,
		"":                              false,
	} {
		ok, err := Verify(phc, pw)
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	other, _ := New("correct horse battery staple")
	if other == phc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

// TestKnownVector checks Verify against a hash made by the reference
// implementation (argon2 CLI: echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e).
func TestKnownVector(t *testing.T) {
	const phc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, err := Verify(phc, "password")
	if err != nil || !ok {
		t.Fatalf("Verify(reference vector) = %v, %v", ok, err)
	}
}

func TestParseRejects(t *testing.T) {
	good := "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	if _, err := Parse(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"",
		"argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$t=2,m=19456,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=019456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=+19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=0,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=0$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0==$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXP",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$",
	} {
		if h, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", bad, h)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		login, pw string
		ok        bool
	}{
		{"alice", "twelve chars", true},
		{"alice", "eleven char", false},
		{"alice.anderson", "Alice.Anderson", false},
		{"alice", "パスワードパスワードパスワ", true}, // 13 characters, 39 bytes
		{"alice", strings.Repeat("x", MaxLength), true},
		{"alice", strings.Repeat("x", MaxLength+1), false},
		{"alice", "bad utf-8 \xff\xfe\xfd", false},
	} {
		err := Check(c.login, c.pw)
		if (err == nil) != c.ok {
			t.Errorf("Check(%q, %.20q) = %v, want ok=%v", c.login, c.pw, err, c.ok)
		}
		if err != nil && !errors.Is(err, intel.ErrInvalid) {
			t.Errorf("Check error %v is not an input error", err)
		}
	}
}

// FuzzParse holds Parse to its contract: no panic, and what it accepts
// round-trips to the same string and stays within the verification bounds.
func FuzzParse(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("Parse(%q) round-trips to %q", s, h.String())
		}
		if h.Memory > maxMemory || h.Time > maxTime || h.Threads > maxThreads || h.Threads == 0 || h.Memory < 8*uint32(h.Threads) {
			t.Fatalf("Parse(%q) accepted parameters out of bounds: %+v", s, h.Params)
		}
	})
}
