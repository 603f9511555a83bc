package loadgen

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestQuantileMedian(t *testing.T) {
	ds := []time.Duration{5 * time.Microsecond, time.Microsecond, 3 * time.Microsecond, 2 * time.Microsecond, 4 * time.Microsecond}
	for _, c := range []struct {
		q    float64
		want float64
	}{{0, 1}, {0.5, 3}, {0.99, 5}, {1, 5}} {
		if got := Quantile(ds, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) || !math.IsNaN(Median(nil)) {
		t.Error("empty input: want NaN")
	}
	if got := Median([]float64{4, 1, 3}); got != 3 {
		t.Errorf("Median odd = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("Median even = %v", got)
	}
	m := Medians([]Result{{P99: 3, Verdicts: []int{1, 9}}, {P99: 1, Verdicts: []int{3, 7}}, {P99: 2, Verdicts: []int{2, 8}}})
	if m.P99 != 2 || m.Verdicts[0] != 2 || m.Verdicts[1] != 8 {
		t.Errorf("Medians = %+v", m)
	}
}

// TestPhase drives a server that echoes the request's sequence number and
// answers class 2 for odd ones: every request is answered, in its class,
// and the sequence numbers go on across phases.
func TestPhase(t *testing.T) {
	var rec Recorder
	addr, stop, err := Serve(rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/x" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "bad request line or token", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tg := &Target{Name: "echo", Addr: addr, Path: "/x", Auth: "tok", Classes: 2, Served: &rec,
		Body: func(buf []byte, seq int, _ time.Time, _ *rand.Rand) []byte {
			return strconv.AppendInt(buf, int64(seq), 10)
		},
		Class: func(body []byte) int8 {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(body)))
			return int8(1 + n%2)
		},
	}
	if err := tg.Dial(4); err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	var ps []Phase
	for range 2 {
		p := tg.Phase(1000, 100*time.Millisecond, 1)
		if p.Sent != 100 || p.OK != 100 || p.Errors != 0 || len(p.Lat) != 100 || len(p.Served) != 100 {
			t.Fatalf("phase: sent %d ok %d errors %d, %d latencies, %d served", p.Sent, p.OK, p.Errors, len(p.Lat), len(p.Served))
		}
		ps = append(ps, p)
	}
	r := Summarise(ps)
	if r.Sent != 200 || r.OK != 200 || r.Verdicts[0] != 100 || r.Verdicts[1] != 100 || len(r.PhaseP99) != 2 || !(r.P50 > 0 && r.P50 <= r.P99 && r.P99 <= r.Max) {
		t.Fatalf("summary %+v", r)
	}
	if tg.seq != 200 {
		t.Fatalf("sequence after two phases: %d", tg.seq)
	}
}
