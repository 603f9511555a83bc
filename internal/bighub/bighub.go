// Package bighub builds SQLite hubs of many records for benchmarks, through
// the hub's real ingest path (hub.CreateRecords in batches), and caches them
// on disk so that repeated runs reuse them.
//
// The records are the intel scenario's (internal/scenario/intelgen, seed 1):
// phishing domains and URLs, C2 addresses and networks, malware hashes,
// mule e-mail accounts and wallets, with its TLP mix (clear 10%, green 40%,
// amber 35%, amber+strict 10%, red 5%; personal records amber or stricter).
// Each record is submitted by one of five originating organizations in turn
// (two banks, a police force, an ISP, a CERT abroad); Reader originates
// none and is in most audiences:
//
//   - amber: Reader nine times in ten (the banks name their group with
//     Reader, the others Reader and one other organization), otherwise one
//     other organization;
//   - amber+strict: Reader and one other organization seven times in ten,
//     otherwise that other organization alone;
//   - red: Reader half the time, otherwise another organization.
//
// So Reader sees in full every clear and green record and most of the
// others: about 88% of the records.
package bighub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/scenario"
	_ "fusion/internal/scenario/intelgen" // the intel kind
	"fusion/internal/warninglist"
)

// Reader is the organization that sees most records; its token is
// Hub.Tokens[Reader].
const Reader = "cert-nl"

// orgs of the hub: Reader first, then the originators.
var orgs = []struct{ id, sector, country string }{
	{Reader, "cert", "NL"},
	{"bank-a", "bank", "NL"},
	{"bank-b", "bank", "DE"},
	{"police-x", "police", "BE"},
	{"isp-y", "telco", "FR"},
	{"cert-z", "cert", "DK"},
}

// Group of the banks and Reader.
const Group = "grp-fin"

// version names the way hubs are built: a change to what Build makes must
// change it, so that a cache built the old way is not taken for a new one.
const version = "v1"

// BatchSize is how many records go to one hub.CreateRecords call.
const BatchSize = 10_000

// Hub is a built hub, open.
type Hub struct {
	*hub.Hub
	// Tokens holds an analyst token per organization.
	Tokens map[string]string
	// Records is how many records the hub holds.
	Records int
	// Path is the SQLite database file.
	Path string
}

// Open returns the hub of n records cached under dir (os.TempDir() when
// empty), building it first when it is not there; progress goes to logw
// (nil: nowhere). Close the hub when done: it is the cached copy, and
// what callers write to it (disclosures in the evidence log, for one)
// stays in the cache.
func Open(ctx context.Context, dir string, n int, logw io.Writer) (*Hub, error) {
	if n < 1 {
		return nil, fmt.Errorf("bighub: n: %d records is not at least 1", n)
	}
	if dir == "" {
		dir = os.TempDir()
	}
	if logw == nil {
		logw = io.Discard
	}
	final := filepath.Join(dir, fmt.Sprintf("fusion-bighub-%s-%d", version, n))
	if _, err := os.Stat(filepath.Join(final, "done")); err != nil {
		tmp := final + ".tmp"
		os.RemoveAll(tmp)
		if err := build(ctx, tmp, n, logw); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		os.RemoveAll(final)
		if err := os.Rename(tmp, final); err != nil {
			return nil, err
		}
	}
	return open(ctx, final)
}

type meta struct {
	NotaryKey string            `json:"notary_key"`
	Tokens    map[string]string `json:"tokens"`
	Records   int               `json:"records"`
}

// canonKey is the card key of every built hub (benchmarks hold no cards).
var canonKey = bytes.Repeat([]byte{7}, 32)

func openHub(ctx context.Context, dir, skey string) (*hub.Hub, error) {
	notary, err := evidence.NewNotary(skey)
	if err != nil {
		return nil, err
	}
	canon, err := observable.New(canonKey)
	if err != nil {
		return nil, err
	}
	h, err := hub.Open(ctx, hub.Config{DSN: filepath.Join(dir, "fusion.db"), Canon: canon, Notary: notary,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	// The scenario's mule accounts are on example.com's subdomains.
	h.SetWarningLists(warninglist.Fictional())
	return h, nil
}

func open(ctx context.Context, dir string) (*Hub, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var m meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("bighub: %s: %w", dir, err)
	}
	h, err := openHub(ctx, dir, m.NotaryKey)
	if err != nil {
		return nil, err
	}
	return &Hub{Hub: h, Tokens: m.Tokens, Records: m.Records, Path: filepath.Join(dir, "fusion.db")}, nil
}

func build(ctx context.Context, dir string, n int, logw io.Writer) error {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gen := filepath.Join(dir, "intel")
	if err := scenario.Generate(ctx, scenario.Params{Kind: "intel", Seed: 1, Count: int64(n)}, gen, nil); err != nil {
		return err
	}
	defer os.RemoveAll(gen)
	skey, _, err := evidence.GenerateKey("fusion.bench/bighub")
	if err != nil {
		return err
	}
	h, err := openHub(ctx, dir, skey)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if !closed {
			h.Close()
		}
	}()
	m := meta{NotaryKey: skey, Tokens: map[string]string{}}
	callers := map[string]*policy.Caller{}
	for _, o := range orgs {
		if _, err := h.OperatorCreateOrg(ctx, o.id, "Org "+o.id, o.country, o.sector, false); err != nil {
			return err
		}
		secret, _, err := h.OperatorIssueToken(ctx, o.id, intel.RoleAnalyst, "bench")
		if err != nil {
			return err
		}
		m.Tokens[o.id] = secret
	}
	if _, err := h.OperatorCreateGroup(ctx, Group, "Banks and the CERT", "bank-a"); err != nil {
		return err
	}
	for _, o := range []string{"bank-b", Reader} {
		if _, err := h.OperatorAddMember(ctx, Group, o); err != nil {
			return err
		}
	}
	for _, o := range orgs {
		if callers[o.id], err = h.Authenticate(ctx, m.Tokens[o.id]); err != nil {
			return err
		}
	}
	f, err := os.Open(filepath.Join(gen, "records.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	originators := orgs[1:]
	batches := map[string][]intel.RecordInput{}
	flush := func(org string) error {
		res, err := h.CreateRecords(ctx, callers[org], batches[org])
		if err != nil {
			return fmt.Errorf("bighub: create records of %s: %w", org, err)
		}
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("bighub: a record of %s: %w", org, r.Err)
			}
			m.Records++
		}
		batches[org] = batches[org][:0]
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for i := 0; sc.Scan(); i++ {
		var in intel.RecordInput
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			return fmt.Errorf("bighub: record %d: %w", i+1, err)
		}
		org := originators[i%len(originators)].id
		other := originators[(i+1)%len(originators)].id
		switch intel.TLP(in.TLP) {
		case intel.Amber:
			switch {
			case i%10 == 0:
				in.Audience = &intel.Audience{Orgs: []string{other}}
			case org == "bank-a" || org == "bank-b":
				in.Audience = &intel.Audience{Groups: []string{Group}}
			default:
				in.Audience = &intel.Audience{Orgs: []string{Reader, other}}
			}
		case intel.AmberStrict:
			if i%10 < 7 {
				in.Audience = &intel.Audience{Orgs: []string{Reader, other}}
			} else {
				in.Audience = &intel.Audience{Orgs: []string{other}}
			}
		case intel.Red:
			if i%2 == 0 {
				in.Audience = &intel.Audience{Orgs: []string{Reader}}
			} else {
				in.Audience = &intel.Audience{Orgs: []string{other}}
			}
		}
		batches[org] = append(batches[org], in)
		if len(batches[org]) == BatchSize {
			if err := flush(org); err != nil {
				return err
			}
			fmt.Fprintf(logw, "bighub: %d of %d records in %v\n", m.Records, n, time.Since(start).Round(time.Second))
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, o := range originators {
		if len(batches[o.id]) > 0 {
			if err := flush(o.id); err != nil {
				return err
			}
		}
	}
	if m.Records != n {
		return fmt.Errorf("bighub: %d records created of %d generated", m.Records, n)
	}
	raw, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), raw, 0o600); err != nil {
		return err
	}
	closed = true
	if err := h.Close(); err != nil {
		return err
	}
	fmt.Fprintf(logw, "bighub: built a hub of %d records in %v\n", n, time.Since(start).Round(time.Second))
	return os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
}
