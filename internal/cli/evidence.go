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

func evidenceVerify(ctx context.Context, env *Env, args []string) error {
	var asJSON *bool
	var keyFile *string
	var sf *storeFlags
	return runAdminWith(ctx, env, args, &sf, adminCmd{
		name: "evidence verify", synopsis: "fusion evidence verify [--json] [--key FILE] [--data DIR | --db URL]",
		flags: func(fs *flag.FlagSet) {
			asJSON = fs.Bool("json", false, "print the report as JSON")
			keyFile = fs.String("key", "", "verifier key `FILE` to check checkpoint signatures with (default DIR/evidence.pub)")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			v, err := verifierFrom(*keyFile, filepath.Join(sf.data, "evidence.pub"))
			if err != nil {
				return err
			}
			rep, err := evidence.Verify(ctx, h.Store(), v)
			if err != nil {
				return err
			}
			if *asJSON {
				if err := json.NewEncoder(env.Stdout).Encode(rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(env.Stdout, "evidence log: %d entries, %d checkpoints, %d objects checked\n", rep.Size, rep.Checkpoints, rep.Objects)
				if v == nil {
					fmt.Fprintln(env.Stdout, "checkpoint signatures NOT checked: no verifier key (give --key)")
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
		},
	})
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
			n, err := sf.notary(false)
			if err != nil {
				return err
			}
			cp, err := h.Evidence().Checkpoint(ctx, n)
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
			n, err := sf.notary(false)
			if err != nil {
				return err
			}
			b, err := h.Evidence().Export(ctx, *id, n)
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
