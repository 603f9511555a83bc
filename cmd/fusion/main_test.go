package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"fusion/internal/cli"
	"fusion/internal/store/storetest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fusion": func() { os.Exit(cli.Main(os.Args[1:], nil)) },
	})
}

// TestScripts runs the command-line scripts in testdata/*.txtar against
// SQLite, in a fresh working directory each.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
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
