package stix

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// examplesDir holds the OASIS STIX 2.1 example bundles (see
// ../shared/fixtures/README.md).
const examplesDir = "../../../shared/fixtures/stix/examples"

var update = flag.Bool("update", false, "rewrite testdata/examples-values.golden")

// examplePattern is a pattern of an indicator in an example bundle.
type examplePattern struct {
	file, id, pattern string
}

// examplePatterns reads every STIX pattern of every indicator in the example
// bundles, in file and object order.
func examplePatterns(t testing.TB) []examplePattern {
	t.Helper()
	if _, err := os.Stat(examplesDir); err != nil {
		t.Skipf("STIX example bundles not found at %s (../shared is absent): %v", examplesDir, err)
	}
	var out []examplePattern
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var bundle struct {
			Objects []struct {
				ID          string `json:"id"`
				Type        string `json:"type"`
				Pattern     string `json:"pattern"`
				PatternType string `json:"pattern_type"`
			} `json:"objects"`
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(examplesDir, path)
		for _, o := range bundle.Objects {
			if o.Type != "indicator" {
				continue
			}
			if o.PatternType != "stix" {
				t.Errorf("%s %s: pattern_type %q", rel, o.ID, o.PatternType)
				continue
			}
			out = append(out, examplePattern{file: filepath.ToSlash(rel), id: o.ID, pattern: o.Pattern})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}

// TestExamplePatterns parses every pattern of the OASIS example bundles,
// checks that String gives a pattern that parses to the same, and compares
// what Values makes of each with testdata/examples-values.golden (run with
// -update to rewrite it after a deliberate change).
func TestExamplePatterns(t *testing.T) {
	pats := examplePatterns(t)
	if len(pats) < 40 { // 43 in the fixtures of 2026-11
		t.Fatalf("found only %d indicator patterns in %s", len(pats), examplesDir)
	}
	var golden strings.Builder
	taken, refused := 0, 0
	for _, ep := range pats {
		p, err := Parse(ep.pattern)
		if err != nil {
			t.Errorf("%s %s: %v\npattern: %s", ep.file, ep.id, err, ep.pattern)
			continue
		}
		s := p.String()
		p2, err := Parse(s)
		if err != nil || p2.String() != s {
			t.Errorf("%s %s: String %s does not parse back to itself: %v", ep.file, ep.id, s, err)
		}
		fmt.Fprintf(&golden, "%s %s\n", ep.file, ep.id)
		vals, err := Values(p)
		switch {
		case err == nil:
			taken++
			for _, v := range vals {
				fmt.Fprintf(&golden, "\t%s %s\n", v.Type, v.Value)
			}
		case errors.Is(err, ErrNotValues):
			refused++
			fmt.Fprintf(&golden, "\trefused: %v\n", err)
		default:
			t.Errorf("%s %s: Values: %v is not a refusal", ep.file, ep.id, err)
		}
	}
	t.Logf("%d patterns: %d taken as values, %d refused with a reason", len(pats), taken, refused)
	const goldenFile = "testdata/examples-values.golden"
	if *update {
		if err := os.WriteFile(goldenFile, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := golden.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s", goldenFile, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d", goldenFile, len(gl), len(wl))
	}
}
