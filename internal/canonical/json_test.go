package canonical_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gowebpki/jcs"

	"fusion/internal/canonical"
)

// FuzzJSON holds canonical.JSON to github.com/gowebpki/jcs: for any JSON
// value, decoded into Go values and canonicalized, the two agree.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":[1,2.5,-0,1e21,1e-7,123456789012345680000],"c":"é \u2028 <script> \"q\" \u0000 \ud83d\ude00"}`,
		`{"source":{"kind":"misp","id":"u","attributes":[{"uuid":"x","record":"y"},{"type":"text","value":"a|b","tags":["tlp:red"]}]}}`,
		`[null,true,false,{},[],"",0.1,100,1E400]`, `"\u007f\u0080\ufeff"`, `{"\u00e9":1,"e":2,"\ud800\udc00":3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		got, err := canonical.JSON(v)
		if err != nil {
			return // not representable (e.g. a float out of range): both refuse
		}
		b, _ := json.Marshal(v)
		want, err := jcs.Transform(b)
		if err != nil {
			t.Fatalf("jcs refuses what canonical.JSON took: %s: %v", b, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s:\n canonical.JSON %s\n jcs            %s", b, got, want)
		}
	})
}
