package screen

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

const h1 = "7a29c1e76e593ea3118ca7222afde22f424a6b0ec29385dae22d4cde37cc76b4"
const h2 = "4a8f523ab87529ec4bf070b7d73a360194021285b41965481bd4c3ab4e93ddae"

const goodLine = `{"id":"BKYPCXCWGS","booked":"2026-11-02T00:00:07Z","departure":"2026-11-22T07:50:00Z","origin":"DXB","destination":"SJO","origin_country":"AE","destination_country":"CR","card_bin":"451826","bin_country":"AE","ip_country":"US","client_ip":"6.17.29.208","cardholder":"` + h1 + `","traveller":"` + h2 + `","booker":"` + h1 + `","card":"` + h2 + `","amount":"5310.39","currency":"AED","channel":"web"}`

func readOne(t *testing.T, line string, key []byte) (*Booking, error) {
	t.Helper()
	return NewJSONReader(strings.NewReader(line), ReaderOptions{Key: key}).Next()
}

func TestJSONReader(t *testing.T) {
	b, err := readOne(t, goodLine, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != "BKYPCXCWGS" || b.Amount != 5310.39 || b.Booked.Unix() != 1793577607 || b.Airline != "" {
		t.Fatalf("read %+v", b)
	}
	// The generator's extension: airline and device at the end.
	ext := strings.TrimSuffix(goodLine, "}") + `,"airline":"LH","device":"` + h1 + `"}`
	if b, err = readOne(t, ext, nil); err != nil || b.Airline != "LH" || b.Device != h1 {
		t.Fatalf("with airline and device: %+v, %v", b, err)
	}
}

func TestJSONReaderErrors(t *testing.T) {
	for _, tc := range []struct{ name, line, want string }{
		{"bad time", strings.Replace(goodLine, "2026-11-22T07:50:00Z", "2026-13-22", 1), `line 1: field "departure": value "2026-13-22": not an RFC 3339 time`},
		{"unknown", strings.Replace(goodLine, `"channel"`, `"chanel"`, 1), `field "chanel": value "(withheld)": unknown field`},
		{"missing", strings.Replace(goodLine, `,"channel":"web"`, ``, 1), `missing field "channel"`},
		{"twice", strings.Replace(goodLine, `"channel":"web"`, `"channel":"web","channel":"web"`, 1), `field "channel": value "web": given twice`},
		{"hash", strings.Replace(goodLine, h2, "SMITH/JOHN", 1), `field "traveller": value "SMITH/JOHN": want 64 lowercase hex digits`},
		{"clear without key", strings.Replace(goodLine, `"traveller":"`+h2+`"`, `"traveller_name":"Smith/John"`, 1), `clear names or card numbers need a hashing key`},
		{"not json", `{"id":`, `line 1: field "id": value "": want a string`},
		{"number", strings.Replace(goodLine, `"BKYPCXCWGS"`, `12`, 1), `field "id": value "12,\"booked\":\"202": want a string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readOne(t, tc.line, nil)
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a LineError containing %s", err, tc.want)
			}
		})
	}
}

func TestCSVReaderClear(t *testing.T) {
	key := []byte("0123456789abcdef")
	in := "id,booked,departure,origin,destination,origin_country,destination_country,bin_country,ip_country,client_ip,cardholder_name,traveller_name,booker,card_number,amount,currency,channel,airline,device\n" +
		"BK1,2026-11-02T00:00:07Z,2026-11-02T10:00:00Z,CDG,JFK,FR,US,FR,NG,10.0.0.1,Dupont / Marie,Smith/John," + h1 + ",4970 1012 3456 7890,120.50,EUR,web,AF,\n"
	b, err := NewCSVReader(strings.NewReader(in), ReaderOptions{Key: key}).Next()
	if err != nil {
		t.Fatal(err)
	}
	if b.CardBIN != "497010" || !isHash(b.Card) || !isHash(b.Cardholder) || !isHash(b.Traveller) || b.Airline != "AF" || b.Device != "" {
		t.Fatalf("read %+v", b)
	}
	if b.Cardholder != keyed(key, "name:", "DUPONT/MARIE") {
		t.Fatalf("cardholder not the keyed hash of the normalised name")
	}
	dump := strings.ToUpper(strings.Join([]string{b.ID, b.Cardholder, b.Traveller, b.Card, b.CardBIN}, " "))
	for _, clear := range []string{"DUPONT", "SMITH", "4970101234567890", "3456"} {
		if strings.Contains(dump, clear) {
			t.Fatalf("clear %q kept", clear)
		}
	}
	// A bad card number is never echoed.
	_, err = NewCSVReader(strings.NewReader(strings.Replace(in, "4970 1012 3456 7890", "4970x", 1)), ReaderOptions{Key: key}).Next()
	if err == nil || strings.Contains(err.Error(), "4970") || !strings.Contains(err.Error(), `line 2: field "card_number"`) {
		t.Fatalf("got %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"lead_hours < depart", `rule "lead": line 1, column 14: unknown name depart`},
		{"lead_hours + 1", `rule "lead": expected bool, but got float64`},
		{"lead_hours <", `rule "lead": line 1, column`},
	} {
		p := &Package{ID: "p", Version: 1, Threshold: 1, Rules: []Rule{{ID: "lead", Expr: tc.expr, Score: 1, Reason: "r"}}}
		_, err := Compile(p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %s", tc.expr, err, tc.want)
		}
	}
	if _, err := ParsePackage([]byte(`{"id":"p","version":1,"threshold":1,"rules":[],"extra":1}`)); err == nil {
		t.Error("unknown member accepted")
	}
}

func TestDefaultPackage(t *testing.T) {
	p := Default()
	if _, err := Compile(p); err != nil || len(p.Rules) != 6 {
		t.Fatalf("default package: %v", err)
	}
}

// TestGeoCopy: the copied tables still equal the scenario's.
func TestGeoCopy(t *testing.T) {
	for _, f := range []string{"countries.tsv", "airports.tsv"} {
		a, err1 := os.ReadFile("data/" + f)
		b, err2 := os.ReadFile("../scenario/transactions/data/" + f)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("data/%s differs from the transactions scenario's: copy it again", f)
		}
	}
}

func drain(r Reader) error {
	for {
		b, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if b.ID == "" {
			return errors.New("booking without an id")
		}
	}
}

func FuzzJSONReader(f *testing.F) {
	f.Add([]byte(goodLine))
	f.Add([]byte(strings.Replace(goodLine, `"traveller":"`+h2+`"`, `"traveller_name":"A\"B"`, 1)))
	f.Add([]byte(`{"id":"a\u0041"}` + "\n\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := drain(NewJSONReader(bytes.NewReader(data), ReaderOptions{Key: []byte("k")}))
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("not a LineError: %v", err)
		}
	})
}

func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("id,booked\nBK1,2026-11-02T00:00:07Z\n"))
	f.Add([]byte("id,booked,departure,origin,destination,origin_country,destination_country,card_bin,bin_country,ip_country,client_ip,cardholder,traveller,booker,card,amount,currency,channel\n" +
		"BK1,2026-11-02T00:00:07Z,2026-11-02T10:00:00Z,CDG,JFK,FR,US,497010,FR,NG,10.0.0.1," + h1 + "," + h2 + "," + h1 + "," + h2 + ",1.5,EUR,web\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := drain(NewCSVReader(bytes.NewReader(data), ReaderOptions{Key: []byte("k")}))
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("not a LineError: %v", err)
		}
	})
}

// FuzzCompile: any expression compiles or is refused naming its rule,
// without a panic.
func FuzzCompile(f *testing.F) {
	for _, r := range Default().Rules {
		f.Add(r.Expr)
	}
	f.Add(`lead_hours < depart`)
	f.Add(`map(1..9999999, #)`)
	f.Fuzz(func(t *testing.T, src string) {
		p := &Package{ID: "p", Version: 1, Threshold: 1, Rules: []Rule{{ID: "r", Expr: src, Score: 1, Reason: "x"}}}
		if _, err := Compile(p); err != nil && !strings.HasPrefix(err.Error(), `rule "r": `) {
			t.Fatalf("error does not name the rule: %v", err)
		}
	})
}

// TestFieldOf: the switch agrees with fieldNames.
func TestFieldOf(t *testing.T) {
	for i, n := range fieldNames {
		if b, ok := fieldOf(n); !ok || b != 1<<i {
			t.Errorf("%s: bit %b, want %b", n, b, 1<<i)
		}
	}
}
