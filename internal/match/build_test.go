package match

import (
	"bytes"
	"strings"
	"testing"

	"fusion/internal/observable"
)

func testCanon(t testing.TB) *observable.Canonicalizer {
	t.Helper()
	c, err := observable.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// idOf returns the id of the record indexed under value, or "".
func idOf(ix *Index, typ observable.Type, value string) (id string) {
	ix.Lookup(observable.Observable{Type: typ, Value: value}, func(e Entry) bool { id = e.ID(); return false })
	return id
}

func TestLoadJSONL(t *testing.T) {
	in := strings.Join([]string{
		// as exported by a hub: its id is kept, the other fields ignored
		`{"id":"01a22c3a-1459-7673-89f6-c644c97970bc","type":"ipv4","value":"198.51.100.7","labels":["botnet-c2"],"tlp":"red","originator":"bank-a","version":3}`,
		``,
		// as a scenario writes it: no id, refanged on the way in
		"{\"value\":\"hxxp://kit[.]example[.]org/login.php\",\"tlp\":\"green\"}\r",
	}, "\n")
	ix := New(4)
	n, err := LoadJSONL(strings.NewReader(in), testCanon(t), ix, nil)
	if err != nil || n != 2 {
		t.Fatalf("LoadJSONL = %d, %v", n, err)
	}
	if got := idOf(ix, observable.IPv4, "198.51.100.7"); got != "01a22c3a-1459-7673-89f6-c644c97970bc" {
		t.Errorf("exported record indexed as %q, want its own id", got)
	}
	if got := idOf(ix, observable.URL, "http://kit.example.org/login.php"); got == "" {
		t.Error("the record without an id was not indexed")
	}

	for _, tt := range []struct{ in, want string }{
		{"{\"value\":\"192.0.2.1\",\"tlp\":\"green\"}\n{\"value\":\"192.0.2.2\"}", `line 2: tlp: is required`},
		{`{"id":"r-1","value":"192.0.2.1","tlp":"green"}`, `line 1: id "r-1": not a UUID`},
		{"\n\n{\"value\":", "line 3: "},
		{`{"value":"192.0.2.1","tlp":"green","labels":["c2"]}`, `line 1: labels: "c2": not in the label vocabulary`},
	} {
		_, err := LoadJSONL(strings.NewReader(tt.in), testCanon(t), New(4), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadJSONL(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

// FuzzLoadJSONL: any input either loads or fails with an error naming a
// line; it never panics, and never indexes more records than it has lines.
func FuzzLoadJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"01a22c3a-1459-7673-89f6-c644c97970bc","value":"198.51.100.7","tlp":"red"}`))
	f.Add([]byte("{\"value\":\"hxxp://kit[.]example[.]org/\",\"tlp\":\"green\",\"subdomains\":true}\n\n{\"value\":\"AS64500\",\"tlp\":\"clear\"}"))
	f.Add([]byte(`{"value":"4111 1111 1111 1111","tlp":"amber","audience":{"orgs":["x"]}}`))
	f.Add([]byte(`{"id":7}`))
	canon := testCanon(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := New(4)
		n, err := LoadJSONL(bytes.NewReader(data), canon, ix, nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error does not name a line: %v", err)
			}
			return
		}
		if lines := bytes.Count(data, []byte{'\n'}) + 1; n > lines || ix.Len() > n {
			t.Fatalf("%d records, %d indexed, from %d lines", n, ix.Len(), lines)
		}
	})
}
