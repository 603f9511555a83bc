package progress

import (
	"bytes"
	"testing"
)

func TestSilentWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "x", 10, "events")
	b.Add(10)
	b.Finish()
	if buf.Len() != 0 || b.Done() != 10 {
		t.Errorf("wrote %q, done %d", buf.String(), b.Done())
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 12345: "12.3k", 4_560_000: "4.56M", 7_800_000_000: "7.80G"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
