// Package cli implements the fusion command line: one function per
// subcommand, each with its own flag set and --help.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Env carries what a command may touch of the outside world, so that tests
// can run commands in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand or group of subcommands.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
	subs    map[string]*command
}

func commands() map[string]*command {
	return map[string]*command{
		"serve":   {summary: "run the hub: API on --addr, data in --data or --db", run: serve},
		"version": {summary: "print the version", run: version},
		"match":   {summary: "match a log against indicators, offline or a hub's", run: matchLogs},
		"scenario": {summary: "generate synthetic worlds with ground truth", subs: map[string]*command{
			"generate": {summary: "write a scenario's data files, truth.jsonl and scenario.json", run: scenarioGenerate},
		}},
		"tor": {summary: "Tor attribution: import consensuses and exit lists, check an address, scan logs", subs: map[string]*command{
			"import": {summary: "import consensuses and exit lists (files, directories, .tar/.tar.xz)", run: torImport},
			"check":  {summary: "was an IP a Tor relay or exit at a time?", run: torCheck},
			"exits":  {summary: "the exit addresses valid at a time, as records", run: torExits},
			"scan":   {summary: "find Tor use in Zeek conn and dns logs", run: torScan},
		}},
		"taxii": {summary: "TAXII 2.1 client: pull a remote collection into a hub, push a hub's collection to a remote one", subs: map[string]*command{
			"pull":        {summary: "pull a remote collection into the local hub's inbox, incrementally", run: taxiiPull},
			"push":        {summary: "push a local collection to a remote collection, incrementally", run: taxiiPush},
			"collections": {summary: "list the collections a TAXII server offers (their ids for pull and push)", run: taxiiCollections},
		}},
		"stix": {summary: "STIX 2.1 bundles: import into a hub, export from it", subs: map[string]*command{
			"import": {summary: "import STIX 2.1 bundles into a hub (--server) as the token's organization", run: stixImport},
			"export": {summary: "export what the token may see on a hub as one STIX 2.1 bundle", run: stixExport},
		}},
		"misp": {summary: "MISP interop: import events and feeds, export events, sync with a MISP instance", subs: map[string]*command{
			"import": {summary: "import MISP events, feed directories or feed URLs into a hub (--server)", run: mispImport},
			"export": {summary: "write a report, or what a search finds, as one MISP event", run: mispExport},
			"pull":   {summary: "pull events from a MISP instance's REST API into a hub, incrementally", run: mispPull},
			"push":   {summary: "push a hub's reports to a MISP instance as events, incrementally", run: mispPush},
		}},
		"federation": {summary: "partner hubs this hub pulls from and sends sightings back to", subs: map[string]*command{
			"add":  {summary: "pull a partner hub's TAXII collection on a schedule", run: federationAdd},
			"list": {summary: "list partner hubs and their last runs", run: federationList},
		}},
		"detect": {summary: "sensors over logs: find command-and-control traffic", subs: map[string]*command{
			"c2": {summary: "find beacons, bulletin-board polling, DNS tunnels and long connections in Zeek logs", run: detectC2},
		}},
		"sms": {summary: "the SMS-pumping guard for OTP senders", subs: map[string]*command{
			"replay": {summary: "run the guard offline over a stream of OTP requests; findings, decisions, a summary per campaign", run: smsReplay},
		}},
		"screen": {summary: "screen airline bookings for fraud rings with a rule package; fraud-ring findings", run: screenRun},
		"exercise": {summary: "score findings against a scenario's truth", subs: map[string]*command{
			"score": {summary: "precision, recall and F1 per kind", run: exerciseScore},
		}},
		"evidence": {summary: "verify the evidence log, export and check evidence bundles", subs: map[string]*command{
			"verify":     {summary: "recompute the log and check every checkpoint and object against it", run: evidenceVerify},
			"checkpoint": {summary: "sign a checkpoint of the log now and print it", run: evidenceCheckpoint},
			"export":     {summary: "write a self-contained evidence bundle for one record", run: evidenceExport},
			"check":      {summary: "verify an evidence bundle offline and print its chain of custody", run: evidenceCheck},
			"witness":    {summary: "have a witness co-sign the log's newest checkpoint", run: evidenceWitness},
		}},
		"admin": {summary: "manage organizations, groups, tokens and users", subs: map[string]*command{
			"org": {summary: "member organizations", subs: map[string]*command{
				"create": {summary: "add an organization", run: orgCreate},
				"list":   {summary: "list organizations", run: orgList},
			}},
			"group": {summary: "sharing groups", subs: map[string]*command{
				"create": {summary: "create a group owned by an organization", run: groupCreate},
				"add":    {summary: "add an organization to a group", run: groupAdd},
				"list":   {summary: "list groups and their members", run: groupList},
			}},
			"token": {summary: "API tokens", subs: map[string]*command{
				"create": {summary: "issue a token; prints only the token", run: tokenCreate},
				"revoke": {summary: "revoke a token by id", run: tokenRevoke},
				"list":   {summary: "list an organization's tokens", run: tokenList},
			}},
			"user": {summary: "people who sign in to the web UI", subs: map[string]*command{
				"create":     {summary: "add a person; the password is read from stdin", run: userCreate},
				"reset":      {summary: "set a person's password (read from stdin) and end its sessions", run: userReset},
				"disable":    {summary: "stop a person signing in and end its sessions", run: userDisable},
				"enable":     {summary: "let a disabled person sign in again", run: userEnable},
				"clear-totp": {summary: "remove a person's TOTP second factor (a lost device)", run: userClearTOTP},
				"revoke":     {summary: "end every session of a person", run: userRevoke},
				"list":       {summary: "list every person", run: userList},
			}},
		}},
	}
}

// errUsage is returned after usage has been printed for a bad command line.
var errUsage = errors.New("usage")

// Main runs the command line args (without the program name) and returns the exit code.
func Main(args []string, env *Env) int {
	if env == nil {
		env = &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, env, commands(), []string{"fusion"}, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(env.Stderr, "fusion: %v\n", err)
	return 1
}

func dispatch(ctx context.Context, env *Env, cmds map[string]*command, path, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout, cmds, path)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "%s: unknown command %q\n\n", strings.Join(path, " "), args[0])
		usage(env.Stderr, cmds, path)
		return errUsage
	}
	path = append(path, args[0])
	if c.subs != nil {
		return dispatch(ctx, env, c.subs, path, args[1:])
	}
	return c.run(ctx, env, args[1:])
}

func usage(w io.Writer, cmds map[string]*command, path []string) {
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\nCommands:\n", strings.Join(path, " "))
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 10
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s %s\n", width, n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
}

// newFlags returns a flag set whose errors and help go to env.Stderr.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; a parse error has already been printed.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// required reports the first of the named flags that is empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			fmt.Fprintf(fs.Output(), "flag --%s is required\n", n)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", format)
}
