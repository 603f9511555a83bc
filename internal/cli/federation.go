package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/server"
)

func federationAdd(ctx context.Context, env *Env, args []string) error {
	var partner, collection, token, tokenFile, as, name, group *string
	var every *time.Duration
	var sf *storeFlags
	return runAdminWith(ctx, env, args, &sf, adminCmd{
		name:     "federation add",
		synopsis: "fusion federation add --partner URL --collection ID (--token T | --token-file FILE) --as ORG [--name NAME] [--every 1m] [--amber-group GROUP] [--data DIR | --db URL]",
		required: []string{"partner", "collection", "as"},
		flags: func(fs *flag.FlagSet) {
			partner = fs.String("partner", "", "the partner hub's TAXII `URL` (its /taxii2/ or API root)")
			collection = fs.String("collection", "", "the `ID` of the partner's collection to pull (for a fusion partner: its visible collection, 3999d52b-d1af-5b59-b29e-7edf074d2743)")
			token = fs.String("token", env.Getenv("FUSION_PARTNER_TOKEN"), "the token `T` the partner hub issued to this hub (role partner) ($FUSION_PARTNER_TOKEN)")
			tokenFile = fs.String("token-file", "", "read the token from `FILE`")
			as = fs.String("as", "", "the organization `ORG` of this hub that stands for the partner: its records arrive originated by ORG")
			name = fs.String("name", "", "what this hub calls the partner (default: the URL's host), kept as the origin of its records")
			group = fs.String("amber-group", "", "share the partner's amber records with sharing `GROUP` here (default: with nobody but ORG)")
			every = fs.Duration("every", hub.DefaultPartnerEvery, "pull the partner this often")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			secret := strings.TrimSpace(*token)
			if *tokenFile != "" {
				b, err := os.ReadFile(*tokenFile)
				if err != nil {
					return fmt.Errorf("--token-file: %w", err)
				}
				secret = strings.TrimSpace(string(b))
			}
			if secret == "" {
				return errors.New("--token or --token-file: the partner's token is required")
			}
			n := *name
			if n == "" {
				u, err := url.Parse(*partner)
				if err != nil || u.Host == "" {
					return fmt.Errorf("--partner: %q is not a URL", *partner)
				}
				n = strings.Trim(regexp.MustCompile(`[^a-z0-9.-]+`).ReplaceAllString(strings.ToLower(u.Host), "-"), "-.")
			}
			p, err := h.OperatorAddPartner(ctx, hub.Partner{Name: n, URL: *partner, Collection: *collection, Org: *as, Every: *every, AmberGroup: *group})
			if err != nil {
				return err
			}
			path := server.PartnerTokenFile(sf.secretsDir(), p.Name)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "added partner %s: %s collection %s, every %s, records originated by %s here; token in %s\n",
				p.Name, p.URL, p.Collection, p.Every, p.Org, path)
			fmt.Fprintln(env.Stdout, "a running `fusion serve` on this data starts pulling it within a second")
			return nil
		},
	})
}

func federationList(ctx context.Context, env *Env, args []string) error {
	var asJSON *bool
	return runAdmin(ctx, env, args, adminCmd{
		name: "federation list", synopsis: "fusion federation list [--json] [--data DIR | --db URL]",
		flags: func(fs *flag.FlagSet) { asJSON = fs.Bool("json", false, "print JSON") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			ps, err := h.OperatorPartners(ctx)
			if err != nil {
				return err
			}
			return printList(env, *asJSON, ps, "NAME\tURL\tCOLLECTION\tAS\tEVERY\tLAST RUN\tPULLED\tSENT\tLAST ERROR", func(p hub.Partner) []any {
				last := "never"
				if p.LastRun != nil {
					last = p.LastRun.UTC().Format(time.RFC3339)
				}
				return []any{p.Name, p.URL, p.Collection, p.Org, p.Every, last, p.Pulled, p.Sent, p.LastError}
			})
		},
	})
}
