package tor

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir holds the real Tor documents shared by the project's tests.
// They are read in place and never copied into the repository.
const fixtureDir = "../../../shared/fixtures/tor"

const (
	fullConsensus    = "2017-04-15-00-00-00-consensus" // 7,347 relays, @type header
	croppedConsensus = "2017-07-17-17-00-00-consensus" // 5 relays, @type header
	exitListFixture  = "2017-07-17-17-02-00-exit-list" // 44 exits, @type tordnsel
)

// fixturePath returns the path of a fixture, skipping the test when the
// fixture directory is absent.
func fixturePath(tb testing.TB, name string) string {
	tb.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		tb.Skipf("Tor fixtures not available at %s: %v", fixtureDir, err)
	}
	return filepath.Join(fixtureDir, name)
}

// readFixture returns the content of a fixture, skipping the test when the
// fixture directory is absent.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(fixturePath(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
