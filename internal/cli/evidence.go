package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"fusion/internal/evidence"
	"fusion/internal/hub"
)

// errProblems makes the command exit non-zero after it has printed its findings.
var errProblems = errors.New("the evidence log does not verify")

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func evidenceVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "evidence verify", "fusion evidence verify [--json] [--key FILE] [--trusted FILE]... [--data DIR | --db URL]\n\n"+
		"Recomputes the whole evidence log and checks every leaf, checkpoint and covered row against it.\n"+
		"Checkpoints in DIR/evidence/checkpoints and in each --trusted file (obtained out of band: from a\n"+
		"witness, a printed report) must be consistent with the log: a rollback or rewrite behind any of\n"+
		"them is reported. Exits 1 when anything is wrong, 2 on a usage error.")
	sf := addStoreFlags(fs, env)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	keyFile := fs.String("key", "", "verifier key `FILE` to check checkpoint signatures with (default DIR/evidence.pub)")
	var trusted stringsFlag
	fs.Var(&trusted, "trusted", "`FILE` of one or more signed checkpoints obtained outside the database; repeatable")
	if err := parse(fs, args); err != nil {
		return err
	}
	dsn := sf.db
	where := sf.db
	if dsn == "" {
		if info, err := os.Stat(sf.data); err != nil || !info.IsDir() {
			return fmt.Errorf("no fusion store at %s: the data directory does not exist", sf.data)
		}
		dsn, where = hub.SQLitePath(sf.data), sf.data
	}
	opt := evidence.VerifyOptions{}
	var notary *evidence.Notary
	if _, err := os.Stat(sf.evidenceKeyPath()); err == nil {
		if notary, err = sf.notary(false); err != nil {
			return err
		}
		opt.MACKey, opt.Verifier = notary.MACKey(), notary.Verifier()
	}
	if *keyFile != "" || opt.Verifier == nil {
		v, err := verifierFrom(*keyFile, filepath.Join(sf.data, "evidence.pub"))
		if err != nil {
			return err
		}
		if v != nil {
			opt.Verifier = v
		}
	}
	var torn []string
	add := func(path string, required bool) error {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil
		}
		if err != nil {
			return fmt.Errorf("trusted checkpoints: %w", err)
		}
		notes, rest := evidence.SplitNotes(data)
		if rest != "" {
			torn = append(torn, path)
		}
		if required && len(notes) == 0 {
			return fmt.Errorf("trusted checkpoints: %s holds no signed checkpoint", path)
		}
		for i, n := range notes {
			cp, err := openTrusted(n, opt.Verifier)
			if err != nil {
				return fmt.Errorf("trusted checkpoint %d in %s: %w", i+1, path, err)
			}
			opt.Trusted = append(opt.Trusted, evidence.Trusted{Checkpoint: cp, Source: fmt.Sprintf("checkpoint %d in %s", i+1, path)})
		}
		return nil
	}
	if err := add(sf.anchorPath(), false); err != nil {
		return err
	}
	for _, t := range trusted {
		if err := add(t, true); err != nil {
			return err
		}
	}
	rep, err := hub.VerifyEvidence(ctx, dsn, opt)
	if errors.Is(err, evidence.ErrNoLog) || errors.Is(err, hub.ErrNoStore) {
		return fmt.Errorf("no fusion store at %s: %v", hub.Redact(where), err)
	}
	if err != nil {
		return err
	}
	for _, t := range torn {
		rep.Unchecked = append(rep.Unchecked, "the last entry of "+t+" is cut short (a crash while it was written?)")
	}
	if *asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "evidence log: %d entries, %d checkpoints stored, %d checkpoints from outside the database, %d objects checked\n", rep.Size, rep.Checkpoints, rep.Trusted, rep.Objects)
		for _, u := range rep.Unchecked {
			fmt.Fprintln(env.Stdout, "NOT CHECKED:", u)
		}
		for _, p := range rep.Problems {
			fmt.Fprintln(env.Stdout, "PROBLEM:", p)
		}
		if rep.OK() {
			fmt.Fprintln(env.Stdout, "OK: the log, its checkpoints and every object agree")
		}
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d problems", errProblems, len(rep.Problems))
	}
	return nil
}

// openTrusted opens a trusted checkpoint with v, or, with no key, parses it
// unverified: it was obtained out of band, and the log's own checkpoints
// are then unverified too.
func openTrusted(signed string, v note.Verifier) (evidence.Checkpoint, error) {
	if v != nil {
		return evidence.OpenCheckpoint([]byte(signed), v)
	}
	text, _, _ := strings.Cut(signed, "\n\n")
	cp, err := evidence.ParseCheckpointText(text + "\n")
	cp.Note = signed
	return cp, err
}

// verifierFrom reads a verifier key from path, or from def; no key at def
// means signatures are not checked.
func verifierFrom(path, def string) (note.Verifier, error) {
	explicit := path != ""
	if !explicit {
		path = def
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("verifier key %s: %w", path, err)
	}
	return v, nil
}

func evidenceCheckpoint(ctx context.Context, env *Env, args []string) error {
	var sf *storeFlags
	return runAdminWith(ctx, env, args, &sf, adminCmd{
		name: "evidence checkpoint", synopsis: "fusion evidence checkpoint [--data DIR | --db URL]",
		flags: func(*flag.FlagSet) {},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			cp, err := h.Evidence().Checkpoint(ctx)
			if err != nil {
				return err
			}
			fmt.Fprint(env.Stdout, cp.Note)
			return nil
		},
	})
}

func evidenceExport(ctx context.Context, env *Env, args []string) error {
	var sf *storeFlags
	var id, out *string
	return runAdminWith(ctx, env, args, &sf, adminCmd{
		name: "evidence export", synopsis: "fusion evidence export --record ID --out FILE [--data DIR | --db URL]",
		required: []string{"record", "out"},
		flags: func(fs *flag.FlagSet) {
			id = fs.String("record", "", "record `ID`")
			out = fs.String("out", "", "bundle `FILE` to write")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			b, err := h.Evidence().Export(ctx, *id)
			if err != nil {
				return err
			}
			data, err := json.MarshalIndent(b, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "wrote %s: record %s, %d evidence entries, checkpoint of the log signed by %s\n", *out, *id, len(b.Entries), b.Origin)
			return nil
		},
	})
}

func evidenceWitness(ctx context.Context, env *Env, args []string) error {
	var url, keyFile *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "evidence witness", synopsis: "fusion evidence witness --url URL --witness-key FILE [--data DIR | --db URL]\n\n" +
			"Sends the log's newest checkpoint (signing one if the log grew) to a witness — another fusion hub\n" +
			"started with --witness-for, or any C2SP tlog-witness — with a consistency proof from the last\n" +
			"checkpoint it co-signed, prints the co-signed checkpoint and appends it to DIR/evidence/checkpoints.",
		required: []string{"url", "witness-key"},
		flags: func(fs *flag.FlagSet) {
			url = fs.String("url", "", "the witness's `URL` prefix (http://partner:8080/api/v1/witness for a fusion hub)")
			keyFile = fs.String("witness-key", "", "the witness's cosignature verifier key `FILE` (its witness.pub, or GET /api/v1/witness/key), to check its signature")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			v, err := witnessVerifier(*keyFile)
			if err != nil {
				return err
			}
			wc := &evidence.WitnessClient{URL: *url, Verifier: v}
			cosigned, err := h.Evidence().Witness(ctx, wc)
			if err != nil {
				return err
			}
			fmt.Fprint(env.Stdout, cosigned)
			return nil
		},
	})
}

func evidenceCheck(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "evidence check", "fusion evidence check [--key FILE] BUNDLE")
	keyFile := fs.String("key", "", "the hub's published verifier key `FILE` (evidence.pub) to trust")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "give exactly one bundle file")
		fs.Usage()
		return errUsage
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	trusted := ""
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("trusted key: %w", err)
		}
		trusted = string(b)
	}
	c, err := evidence.CheckBundle(data, trusted)
	if err != nil {
		fmt.Fprintf(env.Stdout, "NOT VERIFIED: %v\n", err)
		return fmt.Errorf("%s does not verify", fs.Arg(0))
	}
	fmt.Fprintln(env.Stdout, "VERIFIED")
	c.Print(env.Stdout)
	return nil
}

// witnessVerifier reads a witness's cosignature verifier key from path.
func witnessVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	v, err := evidence.NewWitnessVerifier(string(b))
	if err != nil {
		return nil, fmt.Errorf("witness key %s: %w", path, err)
	}
	return v, nil
}
