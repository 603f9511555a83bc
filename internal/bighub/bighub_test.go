package bighub_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fusion/internal/bighub"
	"fusion/internal/intel"
)

// TestOpenBuildsOnceAndReaderSeesMost: a hub of n records is built through
// the hub, cached, reopened from the cache without a rebuild, and Reader
// receives most of its records in full but not all.
func TestOpenBuildsOnceAndReaderSeesMost(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const n = 500
	h, err := bighub.Open(ctx, dir, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.Records != n {
		t.Fatalf("%d records, want %d", h.Records, n)
	}
	h.Close()
	st, err := os.Stat(filepath.Join(filepath.Dir(h.Path), "done"))
	if err != nil {
		t.Fatal(err)
	}
	h, err = bighub.Open(ctx, dir, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if st2, err := os.Stat(filepath.Join(filepath.Dir(h.Path), "done")); err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Fatalf("the cached hub was rebuilt (%v)", err)
	}
	c, err := h.Authenticate(ctx, h.Tokens[bighub.Reader])
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	if err := h.ExportRecords(ctx, c, func(b []intel.Record) error { seen += len(b); return nil }); err != nil {
		t.Fatal(err)
	}
	if seen < n*3/4 || seen == n {
		t.Errorf("%s sees %d of %d records; want most, not all", bighub.Reader, seen, n)
	}
	if _, err := bighub.Open(ctx, dir, 0, nil); err == nil {
		t.Error("a hub of 0 records was opened")
	}
}
