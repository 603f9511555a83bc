package store_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestOnlyTheHubReadsTheStore holds the shape's rule "nothing reads the
// store around hub": besides hub, only the evidence verifier and the Tor
// and match loaders (which need raw rows), test support and benchmark
// tools may import fusion/internal/store; and only tests may import the
// independent policy model.
func TestOnlyTheHubReadsTheStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "fusion/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list is not available: %v\n%s", err, out)
	}
	allowed := map[string][]string{
		"fusion/internal/store": {
			"fusion/internal/hub", "fusion/internal/evidence", "fusion/internal/tor", "fusion/internal/match",
			"fusion/internal/store/storetest", "fusion/internal/evidence/evidencetest", "fusion/internal/authztest",
		},
		"fusion/internal/policymodel": {"fusion/internal/authztest"},
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		seen++
		for target, ok := range allowed {
			if pkg == target || !slices.Contains(imports, target) {
				continue
			}
			if !slices.Contains(ok, pkg) && !strings.HasPrefix(pkg, "fusion/bench/") {
				t.Errorf("%s imports %s; only %v may (every read goes through the hub and its policy gate)", pkg, target, ok)
			}
		}
	}
	if seen < 20 {
		t.Errorf("go list saw only %d packages", seen)
	}
}
