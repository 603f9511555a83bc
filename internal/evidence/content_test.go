package evidence_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"fusion/internal/evidence"
	"fusion/internal/store"
)

// reportInput is what ReportContent takes: a report's stored body and the
// ids of the records it groups.
type reportInput struct {
	Body    string
	Records []string
}

// contentEncoder is one encoder of content.go, as the tests below drive it.
type contentEncoder struct {
	name   string
	input  reflect.Type              // the type a vector's input decodes into
	encode func(any) string          // runs the encoder on a value of type input
	covers map[reflect.Type][]string // per type, the fields the output depends on
}

func encoderOf[T any](name string, fn func(T) []byte, covers map[reflect.Type][]string) contentEncoder {
	return contentEncoder{name: name, input: reflect.TypeFor[T](), encode: func(v any) string { return string(fn(v.(T))) }, covers: covers}
}

var (
	orgRow        = reflect.TypeFor[store.OrgRow]()
	groupRow      = reflect.TypeFor[store.GroupRow]()
	memberRow     = reflect.TypeFor[store.MemberRow]()
	tokenRow      = reflect.TypeFor[store.TokenRow]()
	userRow       = reflect.TypeFor[store.UserRow]()
	sightingRow   = reflect.TypeFor[store.Sighting]()
	feedbackRow   = reflect.TypeFor[store.Feedback]()
	accessRow     = reflect.TypeFor[store.AccessRequest]()
	hitQueryRow   = reflect.TypeFor[store.HitQuery]()
	torImportRow  = reflect.TypeFor[store.TorImport]()
	torFileRow    = reflect.TypeFor[store.TorFile]()
	checkpointRow = reflect.TypeFor[store.Checkpoint]()
	witnessLogRow = reflect.TypeFor[store.WitnessLog]()
	rulePkgRow    = reflect.TypeFor[store.RulePackageRow]()
	reportIn      = reflect.TypeFor[reportInput]()
)

// contentEncoders lists every encoder with the fields it covers. When a row
// type gains a field, TestContentEncodersKnowEveryField fails until the
// field is listed here (after the encoder writes it) or in excludedFields.
var contentEncoders = []contentEncoder{
	encoderOf("OrgContent", evidence.OrgContent, map[reflect.Type][]string{
		orgRow: {"ID", "Name", "Country", "Sector", "Operator", "AnonymousFeedback", "Created"},
	}),
	encoderOf("GroupContent", evidence.GroupContent, map[reflect.Type][]string{
		groupRow:  {"ID", "Name", "Owner", "Created", "Members"},
		memberRow: {"Org", "Added"},
	}),
	encoderOf("TokenContent", evidence.TokenContent, map[reflect.Type][]string{
		tokenRow: {"ID", "Org", "Role", "Name", "Hash", "Created", "Revoked"},
	}),
	encoderOf("UserContent", evidence.UserContent, map[reflect.Type][]string{
		userRow: {"ID", "Org", "Login", "Name", "Role", "Password", "TOTPSecret", "Disabled", "Created", "Updated"},
	}),
	encoderOf("ReportContent", func(r reportInput) []byte { return evidence.ReportContent([]byte(r.Body), r.Records) }, map[reflect.Type][]string{
		reportIn: {"Body", "Records"},
	}),
	encoderOf("SightingContent", evidence.SightingContent, map[reflect.Type][]string{
		sightingRow: {"RecordID", "Owner", "Org", "Hour", "Count", "First", "Last"},
	}),
	encoderOf("SightingID", func(s store.Sighting) []byte { return []byte(evidence.SightingID(s)) }, map[reflect.Type][]string{
		sightingRow: {"RecordID", "Org", "Hour"},
	}),
	encoderOf("FeedbackContent", evidence.FeedbackContent, map[reflect.Type][]string{
		feedbackRow: {"ID", "RecordID", "Owner", "Org", "TokenID", "Outcome", "Note", "Created"},
	}),
	encoderOf("AccessRequestContent", evidence.AccessRequestContent, map[reflect.Type][]string{
		accessRow: {"ID", "RecordID", "Owner", "Requester", "Purpose", "Status", "Reason", "Created", "Decided"},
	}),
	encoderOf("HitQueryContent", evidence.HitQueryContent, map[reflect.Type][]string{
		hitQueryRow: {"ID", "Org", "TokenID", "Created", "Hashes"},
	}),
	encoderOf("TorImportContent", evidence.TorImportContent, map[reflect.Type][]string{
		torImportRow: {"ID", "Imported", "Files", "Consensuses", "Skipped", "Relays", "Intervals", "ExitLists", "ExitScans"},
		torFileRow:   {"Name", "SHA256", "Bytes"},
	}),
	encoderOf("CheckpointContent", evidence.CheckpointContent, map[reflect.Type][]string{
		checkpointRow: {"Size", "Root", "Note", "Created"},
	}),
	encoderOf("WitnessLogContent", evidence.WitnessLogContent, map[reflect.Type][]string{
		witnessLogRow: {"Origin", "Size", "Root", "Note", "Updated"},
	}),
	encoderOf("RulePackageContent", evidence.RulePackageContent, map[reflect.Type][]string{
		rulePkgRow: {"ID", "Version", "Originator", "TLP", "Audience", "Handling", "Body", "Created", "Revoked", "RevokedReason"},
	}),
}

// excludedFields are fields of row types that the evidence log deliberately
// does not cover, each with the reason.
var excludedFields = map[reflect.Type]map[string]string{
	// A token's last use is written on every authenticated request with no
	// evidence leaf; were it covered, every use would make the token's
	// content disagree with its last leaf.
	tokenRow: {"LastUsed": "changes on every use of the token without an evidence leaf"},
	// A TOTP secret awaiting confirmation is set by its user with no leaf
	// (it grants nothing until confirmed, which writes one), and the last
	// TOTP step accepted changes on every sign-in with a code.
	userRow: {
		"TOTPPending": "set by enrolment with no leaf; it grants nothing until confirmed",
		"TOTPStep":    "changes on every sign-in with a TOTP code without an evidence leaf",
	},
}

// guardedRowTypes are the store row types the encoders take.
var guardedRowTypes = []reflect.Type{
	orgRow, groupRow, memberRow, tokenRow, userRow, sightingRow, feedbackRow, accessRow,
	hitQueryRow, torImportRow, torFileRow, checkpointRow, witnessLogRow, rulePkgRow,
}

func TestContentEncodersKnowEveryField(t *testing.T) {
	for _, typ := range guardedRowTypes {
		known := map[string]bool{}
		var encoders []string
		for _, e := range contentEncoders {
			if fields, ok := e.covers[typ]; ok {
				encoders = append(encoders, e.name)
				for _, f := range fields {
					known[f] = true
				}
			}
		}
		for f := range excludedFields[typ] {
			known[f] = true
		}
		if len(encoders) == 0 {
			t.Errorf("%v: no encoder in contentEncoders covers it", typ)
			continue
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if known[f.Name] {
				continue
			}
			t.Errorf("%v has field %s (%v), which %s in content.go does not know of.\n"+
				"Extend %s in internal/evidence/content.go to write it as a member, in code-point order of the member names, "+
				"omitting the member when the field holds its zero value, so that content hashed before the field existed "+
				"still hashes the same and old leaves keep verifying; add a golden vector with the field set to "+
				"internal/evidence/testdata/content.json; and list the field in contentEncoders in content_test.go. "+
				"If the evidence log must not cover the field, list it in excludedFields with the reason instead.",
				typ, f.Name, f.Type, strings.Join(encoders, " and "), strings.Join(encoders, " and "))
		}
	}
	// The lists must not name fields that no longer exist.
	for _, e := range contentEncoders {
		for typ, fields := range e.covers {
			for _, f := range fields {
				if _, ok := typ.FieldByName(f); !ok {
					t.Errorf("contentEncoders: %s covers %v.%s, which does not exist", e.name, typ, f)
				}
			}
		}
	}
	for typ, fields := range excludedFields {
		for f := range fields {
			if _, ok := typ.FieldByName(f); !ok {
				t.Errorf("excludedFields: %v.%s does not exist", typ, f)
			}
		}
	}
}

type contentVector struct {
	Encoder string          `json:"encoder"`
	Name    string          `json:"name"`
	Input   json.RawMessage `json:"input"`
	Want    string          `json:"want"`
}

func loadContentVectors(t *testing.T) []contentVector {
	t.Helper()
	data, err := os.ReadFile("testdata/content.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Comment string          `json:"comment"`
		Vectors []contentVector `json:"vectors"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("testdata/content.json: %v", err)
	}
	return file.Vectors
}

func encoderNamed(t *testing.T, name string) contentEncoder {
	t.Helper()
	for _, e := range contentEncoders {
		if e.name == name {
			return e
		}
	}
	t.Fatalf("no encoder %q", name)
	return contentEncoder{}
}

// decodeInput decodes a vector's input into a new value of typ, by Go
// field name (store.Feedback's and store.AccessRequest's json tags hide
// fields the encoders cover). Nested values decode with encoding/json.
func decodeInput(t *testing.T, typ reflect.Type, raw json.RawMessage) reflect.Value {
	t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		t.Fatalf("input: %v", err)
	}
	v := reflect.New(typ).Elem()
	for name, m := range members {
		f, ok := typ.FieldByName(name)
		if !ok || !f.IsExported() {
			t.Fatalf("input: %v has no field %q", typ, name)
		}
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.FieldByIndex(f.Index).Addr().Interface()); err != nil {
			t.Fatalf("input: %v.%s: %v", typ, name, err)
		}
	}
	return v
}

func TestContentGoldenVectors(t *testing.T) {
	vectors := loadContentVectors(t)
	seen := map[string]int{}
	for _, vec := range vectors {
		t.Run(vec.Encoder+"/"+vec.Name, func(t *testing.T) {
			e := encoderNamed(t, vec.Encoder)
			seen[e.name]++
			got := e.encode(decodeInput(t, e.input, vec.Input).Interface())
			if got != vec.Want {
				t.Errorf("%s changed its output: old leaves no longer verify.\n got: %s\nwant: %s", e.name, got, vec.Want)
			}
			if e.name == "SightingID" {
				return // an id, not JSON
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("not JSON: %s", got)
			}
			canon, err := jcs.Transform([]byte(got))
			if err != nil {
				t.Fatalf("jcs: %v", err)
			}
			if string(canon) != got {
				t.Errorf("not RFC 8785 canonical:\n got: %s\n jcs: %s", got, canon)
			}
		})
	}
	for _, e := range contentEncoders {
		if seen[e.name] == 0 {
			t.Errorf("testdata/content.json has no vector for %s", e.name)
		}
	}
}

// TestContentOrderIndependent: the members of a group and the records of a
// report are sorted, so the order they come in does not matter.
func TestContentOrderIndependent(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	members := []store.MemberRow{{Org: "b", Added: t0}, {Org: "a", Added: t0.Add(time.Hour)}, {Org: "c", Added: t0}}
	g := store.GroupRow{ID: "g", Members: members}
	want := string(evidence.GroupContent(g))
	g.Members = []store.MemberRow{members[2], members[0], members[1]}
	if got := string(evidence.GroupContent(g)); got != want {
		t.Errorf("group members reordered:\n got %s\nwant %s", got, want)
	}
	if !reflect.DeepEqual(g.Members, []store.MemberRow{members[2], members[0], members[1]}) {
		t.Error("GroupContent reordered its argument's members")
	}
	records := []string{"r2", "r3", "r1"}
	want = string(evidence.ReportContent([]byte(`{}`), records))
	if got := string(evidence.ReportContent([]byte(`{}`), []string{"r1", "r3", "r2"})); got != want {
		t.Errorf("report records reordered:\n got %s\nwant %s", got, want)
	}
	if !slices.Equal(records, []string{"r2", "r3", "r1"}) {
		t.Error("ReportContent reordered its argument")
	}
}

// TestContentCoversEveryField changes one covered field at a time of every
// golden vector's input, and of nested rows (group members, Tor files),
// and expects the output to change: no covered field is silently ignored.
func TestContentCoversEveryField(t *testing.T) {
	for _, vec := range loadContentVectors(t) {
		t.Run(vec.Encoder+"/"+vec.Name, func(t *testing.T) {
			e := encoderNamed(t, vec.Encoder)
			base := e.encode(decodeInput(t, e.input, vec.Input).Interface())
			n := 0
			for _, m := range fieldMutations(decodeInput(t, e.input, vec.Input), e.covers, "") {
				v := decodeInput(t, e.input, vec.Input)
				m.apply(v)
				n++
				if got := e.encode(v.Interface()); got == base {
					t.Errorf("%s ignores %s: the output is the same after %s:\n%s", e.name, m.path, m.what, got)
				}
			}
			if n == 0 {
				t.Error("no mutations")
			}
		})
	}
}

type mutation struct {
	path, what string
	apply      func(root reflect.Value)
}

// fieldMutations returns the single-field changes of v (a struct) over the
// fields covers lists for its type, recursing into slices of structs.
// Each mutation applies to a fresh copy of the root value.
func fieldMutations(v reflect.Value, covers map[reflect.Type][]string, path string) []mutation {
	var out []mutation
	for _, name := range covers[v.Type()] {
		f := v.FieldByName(name)
		p := path + "." + name
		at := func(root reflect.Value) reflect.Value { return walk(root, p) }
		for _, c := range valueChanges(f) {
			out = append(out, mutation{path: strings.TrimPrefix(p, "."), what: c.what, apply: func(root reflect.Value) { c.apply(at(root)) }})
		}
		if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct {
			for i := range f.Len() {
				out = append(out, fieldMutations(f.Index(i), covers, fmt.Sprintf("%s[%d]", p, i))...)
			}
		}
	}
	return out
}

// walk follows a path of ".Field" and "[i]" steps from root.
func walk(root reflect.Value, path string) reflect.Value {
	v := root
	for path != "" {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			var i int
			fmt.Sscanf(path[1:end], "%d", &i)
			v, path = v.Index(i), path[end+1:]
			continue
		}
		path = path[1:]
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			end = len(path)
		}
		v, path = v.FieldByName(path[:end]), path[end:]
	}
	return v
}

type change struct {
	what  string
	apply func(reflect.Value)
}

// valueChanges returns the changes to try on one field: to another
// non-zero value, and to its zero value when it is not already empty.
func valueChanges(f reflect.Value) []change {
	var out []change
	zero := change{"setting it to its zero value", func(v reflect.Value) { v.Set(reflect.Zero(v.Type())) }}
	switch f.Interface().(type) {
	case time.Time:
		out = append(out, change{"adding 1µs", func(v reflect.Value) { v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Microsecond))) }})
		if !f.IsZero() {
			out = append(out, zero)
		}
		return out
	case *time.Time:
		if f.IsNil() {
			return []change{{"setting it", func(v reflect.Value) { v.Set(reflect.ValueOf(ptr(time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)))) }}}
		}
		return []change{
			{"adding 1µs", func(v reflect.Value) {
				v.Set(reflect.ValueOf(ptr(v.Elem().Interface().(time.Time).Add(time.Microsecond))))
			}},
			{"setting it to nil", zero.apply},
		}
	}
	switch f.Kind() {
	case reflect.String:
		out = append(out, change{`appending "x"`, func(v reflect.Value) { v.SetString(v.String() + "x") }})
	case reflect.Bool:
		return []change{{"flipping it", func(v reflect.Value) { v.SetBool(!v.Bool()) }}}
	case reflect.Int, reflect.Int64:
		out = append(out, change{"changing it", func(v reflect.Value) {
			// Beyond 2^53 canonical JSON writes the nearest double, so +1
			// may not show; halving always does.
			if n := v.Int(); n > 1<<52 || n < -(1<<52) {
				v.SetInt(n / 2)
			} else {
				v.SetInt(n + 1)
			}
		}})
	case reflect.Slice:
		elem := f.Type().Elem()
		switch {
		case elem.Kind() == reflect.Uint8:
			out = append(out, change{"appending a byte", func(v reflect.Value) { v.SetBytes(append(slices.Clone(v.Bytes()), 0x5a)) }})
			if f.Len() > 0 {
				out = append(out, change{"flipping its first byte", func(v reflect.Value) {
					b := slices.Clone(v.Bytes())
					b[0] ^= 0xff
					v.SetBytes(b)
				}})
			}
		case elem.Kind() == reflect.String:
			out = append(out, change{`appending "x"`, func(v reflect.Value) { v.Set(reflect.Append(v, reflect.ValueOf("x"))) }})
		default:
			out = append(out, change{"appending a zero element", func(v reflect.Value) { v.Set(reflect.Append(v, reflect.Zero(elem))) }})
		}
		if f.Len() > 0 {
			out = append(out, change{"dropping its last element", func(v reflect.Value) { v.Set(v.Slice(0, v.Len()-1)) }})
			// nil and empty encode alike ([] or ""), so only a non-empty
			// slice must change when set to nil.
			out = append(out, zero)
		}
		return out
	default:
		panic(fmt.Sprintf("valueChanges: no changes for %v", f.Type()))
	}
	if !f.IsZero() {
		out = append(out, zero)
	}
	return out
}
