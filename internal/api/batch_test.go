package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestSplitBatch(t *testing.T) {
	tests := []struct {
		body  string
		items []string
		code  string
	}{
		{`{"records":[]}`, []string{}, ""},
		{` { "records" : [ {"a":1} , [1,2] ,"s]" , 3 , null ] } `, []string{`{"a":1}`, `[1,2]`, `"s]"`, `3`, `null`}, ""},
		{`{"records":[{"v":"a\"}]"}]}`, []string{`{"v":"a\"}]"}`}, ""},
		{`{"rec\u006frds":[{}]}`, []string{`{}`}, ""},
		{`{"records":null}`, nil, ""},
		{`{}`, nil, ""},
		{`{"records":[{"value":}]}`, nil, "invalid_json"},
		{`{"records":[{"value":`, nil, "invalid_json"},
		{`{"records":[1 2]}`, nil, "invalid_json"},
		{`{"records":{}}`, nil, "invalid_field"},
		{`{"records":[],"extra":1}`, nil, "unknown_field"},
		{`{"records":[],"records":[]}`, nil, "invalid_json"},
		{`{"records":[]} {}`, nil, "invalid_json"},
		{`[]`, nil, "invalid_json"},
		{`{"records":[tru]}`, nil, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			items, err := splitBatch([]byte(tt.body))
			if tt.code != "" {
				var de *decodeError
				if !errors.As(err, &de) || de.code != tt.code {
					t.Fatalf("err = %v, want code %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (items == nil) != (tt.items == nil) || len(items) != len(tt.items) {
				t.Fatalf("items = %q, want %q", items, tt.items)
			}
			for i := range items {
				if string(items[i]) != tt.items[i] {
					t.Errorf("item %d = %s, want %s", i, items[i], tt.items[i])
				}
			}
		})
	}
}

// FuzzSplitBatch holds splitBatch to encoding/json: what it accepts,
// encoding/json decodes to the same items; what encoding/json refuses as
// JSON, it refuses.
func FuzzSplitBatch(f *testing.F) {
	for _, s := range []string{`{"records":[{"value":"a.example.com","tlp":"green"}]}`, `{"records":[1,"x",[{}],null,true]}`,
		`{"records":[{"v":"\"]}"}]}`, `{"records":null}`, `{"records":[{"value":}]}`, `{ "records" :[ ] }`, `{"records":[1e5,-0.5]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := splitBatch(body)
		var std struct {
			Records *[]json.RawMessage `json:"records"`
		}
		stdErr := json.Unmarshal(body, &std)
		if !json.Valid(body) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", body)
			}
			return
		}
		if err != nil {
			return // valid JSON refused for its shape: an unknown or repeated key, a non-array
		}
		if stdErr != nil {
			t.Fatalf("accepted %q that encoding/json refuses: %v", body, stdErr)
		}
		if (items == nil) != (std.Records == nil) {
			t.Fatalf("%q: nil items %v, encoding/json %v", body, items == nil, std.Records == nil)
		}
		if std.Records == nil {
			return
		}
		if len(items) != len(*std.Records) {
			t.Fatalf("%q: %d items, encoding/json %d", body, len(items), len(*std.Records))
		}
		for i, it := range items {
			if !bytes.Equal(it, (*std.Records)[i]) {
				t.Fatalf("%q: item %d is %q, encoding/json %q", body, i, it, (*std.Records)[i])
			}
		}
	})
}
