package api_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/evidence"
	"fusion/internal/hub"
)

type entriesAnswer struct {
	Entries []hub.Entry `json:"entries"`
}

func TestEvidenceEntriesAreFiltered(t *testing.T) {
	f := newFixture(t)
	var created struct{ Results []struct{ ID string } }
	body := `{"records":[{"value":"c2.example.net","tlp":"amber","audience":{"orgs":["org-b"]}}]}`
	if status, b := f.do("POST", "/api/v1/records", "org-a", body, &created); status != 200 {
		t.Fatalf("create: %d %v", status, b)
	}
	id := created.Results[0].ID
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/records/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["org-b"])
	req.Header.Set("X-Fusion-Purpose", "investigation NL-2026-0042")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("read by org-b: %v %v", err, resp.Status)
	}
	resp.Body.Close()

	entries := func(org string) []hub.Entry {
		var ans entriesAnswer
		if status, b := f.do("GET", "/api/v1/evidence/entries?from=0&to=1000", org, nil, &ans); status != 200 {
			t.Fatalf("entries for %s: %d %v", org, status, b)
		}
		return ans.Entries
	}
	find := func(es []hub.Entry, action evidence.Action, org string) *hub.Entry {
		for i := range es {
			if es[i].Leaf.Action == action && es[i].Leaf.Org == org {
				return &es[i]
			}
		}
		return nil
	}
	a, b, c, op := entries("org-a"), entries("org-b"), entries("org-c"), entries("hub-op")
	disc := find(a, evidence.Disclose, "org-b")
	if find(a, evidence.RecordCreate, "org-a") == nil || disc == nil {
		t.Fatalf("org-a should see its submission and the disclosure of its record: %+v", a)
	}
	if disc.Leaf.Purpose != "investigation NL-2026-0042" {
		t.Errorf("purpose not logged: %+v", disc.Leaf)
	}
	if find(b, evidence.Disclose, "org-b") == nil || find(b, evidence.RecordCreate, "org-a") != nil {
		t.Errorf("org-b should see its own read but not org-a's submission")
	}
	for _, e := range c {
		if e.Leaf.Org != "org-c" && !strings.Contains(e.Data, `"owner":"org-c"`) {
			t.Errorf("org-c sees an entry that is neither its action nor about its objects: %s", e.Data)
		}
	}
	if len(op) <= len(a) || find(op, evidence.Disclose, "org-b") == nil {
		t.Errorf("the operator's admin should see every entry (%d vs %d)", len(op), len(a))
	}

	// Inclusion proofs: for visible entries, and checkable against the root.
	var proof struct {
		Index, Size int64
		Root        string
		Hashes      []string
	}
	path := fmt.Sprintf("/api/v1/evidence/proof/inclusion?index=%d", disc.Index)
	if status, b := f.do("GET", path, "org-a", nil, &proof); status != 200 {
		t.Fatalf("inclusion proof: %d %v", status, b)
	}
	var hs tlog.RecordProof
	for _, h := range proof.Hashes {
		raw, _ := base64.StdEncoding.DecodeString(h)
		hs = append(hs, tlog.Hash(raw))
	}
	root, _ := base64.StdEncoding.DecodeString(proof.Root)
	if err := tlog.CheckRecord(hs, proof.Size, tlog.Hash(root), disc.Index, tlog.RecordHash([]byte(disc.Data))); err != nil {
		t.Errorf("served proof does not verify: %v", err)
	}
	if status, _ := f.do("GET", path, "org-c", nil, nil); status != 404 {
		t.Errorf("org-c got a proof for an entry it may not see: %d", status)
	}

	// Checkpoint: a signed note that verifies with the served key.
	note := get(t, f, "/api/v1/evidence/checkpoint", "org-c")
	key := get(t, f, "/api/v1/evidence/key", "")
	if key != f.notary.VerifierKey()+"\n" {
		t.Errorf("served key %q", key)
	}
	cp, err := evidence.OpenCheckpoint([]byte(note), f.notary.Verifier())
	if err != nil || cp.Size < proof.Size {
		t.Fatalf("checkpoint %q: %v", note, err)
	}
	if cp.Size == proof.Size && cp.Root != tlog.Hash(root) {
		t.Errorf("checkpoint root differs from the proof's root at the same size")
	}
	var cons struct{ Hashes []string }
	if status, b := f.do("GET", fmt.Sprintf("/api/v1/evidence/proof/consistency?old=1&new=%d", cp.Size), "org-c", nil, &cons); status != 200 {
		t.Errorf("consistency: %d %v", status, b)
	}

	for _, bad := range []string{"/api/v1/evidence/entries?from=0&to=5000", "/api/v1/evidence/entries?from=-1",
		"/api/v1/evidence/proof/inclusion", "/api/v1/evidence/proof/inclusion?index=999999", "/api/v1/evidence/proof/consistency?old=0"} {
		if status, b := f.do("GET", bad, "org-a", nil, nil); status != 400 && status != 404 {
			t.Errorf("%s: %d %v", bad, status, b)
		}
	}
}

func TestPurposeHeaderIsChecked(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/records", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["org-a"])
	req.Header.Set("X-Fusion-Purpose", strings.Repeat("p", 600))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "X-Fusion-Purpose") {
		t.Errorf("long purpose: %d %s", resp.StatusCode, b)
	}
}

func get(t *testing.T, f *fixture, path, org string) string {
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	if org != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[org])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}
