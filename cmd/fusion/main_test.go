package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"fusion/internal/cli"
	"fusion/internal/demo"
	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

func TestMain(m *testing.M) {
	if os.Getenv("FUSION_AS_CLI") == "1" { // a hub process of TestFederationTwoHubs
		os.Exit(cli.Main(os.Args[1:], nil))
	}
	testscript.Main(m, map[string]func(){
		"fusion": func() { os.Exit(cli.Main(os.Args[1:], nil)) },
	})
}

// TestScripts runs the command-line scripts in testdata/*.txtar against
// SQLite, in a fresh working directory each.
func TestScripts(t *testing.T) {
	torFixtures, _ := filepath.Abs("../../../shared/fixtures/tor")
	testscript.Run(t, testscript.Params{Dir: "testdata", Setup: func(env *testscript.Env) error {
		env.Setenv("TORFIX", torFixtures) // the real Tor fixtures, read in place
		return nil
	}, Condition: func(cond string) (bool, error) {
		if cond != "torfix" {
			return false, fmt.Errorf("unknown condition %q", cond)
		}
		_, err := os.Stat(torFixtures)
		return err == nil, nil
	}, Cmds: map[string]func(*testscript.TestScript, bool, []string){
		"seed-demo": seedDemo,
		"sql":       sqlExec,
		"gzip":      gzipFile,
	}})
}

// seedDemo DIR seeds the demo world into a new data directory and creates
// the hub's signing key there, as "fusion serve --demo" does; it sets $RED
// to the id of a red record.
func seedDemo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-demo DIR")
	}
	dir := ts.MkAbs(args[0])
	ctx := context.Background()
	st, err := store.Open(ctx, store.SQLitePath(mkdir(ts, dir)))
	ts.Check(err)
	defer st.Close()
	canon, err := observable.New(bytes.Repeat([]byte{3}, 32))
	ts.Check(err)
	skey, vkey, err := evidence.GenerateKey("fusion.test/cli")
	ts.Check(err)
	ts.Check(os.MkdirAll(filepath.Join(dir, "secrets"), 0o700))
	ts.Check(os.WriteFile(filepath.Join(dir, "secrets", "evidence.key"), []byte(skey+"\n"), 0o600))
	ts.Check(os.WriteFile(filepath.Join(dir, "evidence.pub"), []byte(vkey+"\n"), 0o644))
	notary, err := evidence.NewNotary(skey)
	ts.Check(err)
	log := evidence.New(st, notary, evidence.Config{Anchor: evidence.NewAnchor(filepath.Join(dir, "evidence", "checkpoints"))})
	defer log.Close()
	h := hub.New(st, canon, log, nil)
	h.SetWarningLists(warninglist.Fictional()) // as serve --demo does
	ts.Check(h.EnableMatching(match.New(0), bytes.Repeat([]byte{4}, 32), hub.DefaultLimits))
	seeded, err := demo.Seed(ctx, h)
	ts.Check(err)
	ts.Setenv("RED", seeded.RedRecord)
}

// sqlExec DIR QUERY runs one statement against the SQLite database in DIR.
func sqlExec(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sql DIR QUERY")
	}
	db, err := sql.Open("sqlite", store.SQLitePath(ts.MkAbs(args[0])))
	ts.Check(err)
	defer db.Close()
	_, err = db.Exec(args[1])
	ts.Check(err)
}

// gzipFile FILE replaces FILE with FILE.gz, as gzip(1) does.
func gzipFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gzip FILE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(data)
	ts.Check(err)
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(path+".gz", buf.Bytes(), 0o644))
	ts.Check(os.Remove(path))
}

func mkdir(ts *testscript.TestScript, dir string) string {
	ts.Check(os.MkdirAll(dir, 0o700))
	return dir
}

// TestScriptsPostgres runs the admin scripts against PostgreSQL with --db.
func TestScriptsPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/postgres",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FUSION_DB", dsn)
			return nil
		},
	})
}
