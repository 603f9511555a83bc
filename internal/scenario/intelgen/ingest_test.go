package intelgen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/intelgen"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

// TestIngest loads a generated set into a hub, in batches, the way
// POST /api/v1/records would: every record must be stored.
func TestIngest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := scenario.Generate(ctx, scenario.Params{Kind: "intel", Seed: 3, Count: 5_000}, dir, nil); err != nil {
		t.Fatal(err)
	}
	st := storetest.SQLite(t)
	canon, err := observable.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ev := evidencetest.Log(t, st)
	h := hub.New(st, canon, ev, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetWarningLists(warninglist.Fictional()) // the generator puts people's mailboxes under example.com, so that they are nobody's
	if _, err := h.OperatorCreateOrg(ctx, "cert-x", "Example National CERT", "NL", "cert", false); err != nil {
		t.Fatal(err)
	}
	caller := &policy.Caller{Org: "cert-x", Role: intel.RoleAdmin}

	f, err := os.Open(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var batch []intel.RecordInput
	stored := 0
	flush := func() {
		res, err := h.CreateRecords(ctx, caller, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("record %s %q: %v", batch[i].Type, batch[i].Value, r.Err)
			}
			stored++
		}
		batch = batch[:0]
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var in intel.RecordInput
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			t.Fatal(err)
		}
		if batch = append(batch, in); len(batch) == 2_000 {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	if stored != 5_000 {
		t.Errorf("stored %d records, want 5000", stored)
	}
}
