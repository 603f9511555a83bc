package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"fusion/internal/hub"
	"fusion/internal/intel"
)

// adminCmd is one fusion admin command: its flags and what it does with the hub.
type adminCmd struct {
	name, synopsis string
	required       []string
	flags          func(fs *flag.FlagSet)
	run            func(ctx context.Context, env *Env, h *hub.Hub) error
}

// runAdmin parses args for c, opens the store and runs c.
func runAdmin(ctx context.Context, env *Env, args []string, c adminCmd) error {
	var sf *storeFlags
	return runAdminWith(ctx, env, args, &sf, c)
}

// runAdminWith is runAdmin for commands that need the store flags (for the
// hub's keys): *sf is set before c.run runs.
func runAdminWith(ctx context.Context, env *Env, args []string, sf **storeFlags, c adminCmd) error {
	fs := newFlags(env, c.name, c.synopsis)
	*sf = addStoreFlags(fs, env)
	c.flags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, c.required...); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := (*sf).open(ctx, log, false)
	if err != nil {
		return err
	}
	defer h.Close()
	return c.run(ctx, env, h)
}

// printList prints v as JSON, or as a table with header and one row per item.
func printList[T any](env *Env, asJSON bool, v []T, header string, row func(T) []any) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(v)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, item := range v {
		cells := row(item)
		for i, c := range cells {
			sep := "\t"
			if i == len(cells)-1 {
				sep = "\n"
			}
			fmt.Fprint(tw, c, sep)
		}
	}
	return tw.Flush()
}

func orgCreate(ctx context.Context, env *Env, args []string) error {
	var id, name, country, sector *string
	var op *bool
	return runAdmin(ctx, env, args, adminCmd{
		name: "org create", synopsis: "fusion admin org create --id ID --name NAME --country CC --sector SECTOR [--operator] [--data DIR | --db URL]",
		required: []string{"id", "name", "country", "sector"},
		flags: func(fs *flag.FlagSet) {
			id = fs.String("id", "", "organization `ID` (lowercase letters, digits, hyphens)")
			name = fs.String("name", "", "display `NAME`")
			country = fs.String("country", "", "ISO 3166-1 alpha-2 `CC`")
			sector = fs.String("sector", "", "`SECTOR`: police, cert, bank, telco, airline, vendor or other")
			op = fs.Bool("operator", false, "the organization runs the hub: its admins see the whole evidence log")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			o, err := h.OperatorCreateOrg(ctx, *id, *name, *country, *sector, *op)
			if err == nil {
				fmt.Fprintf(env.Stdout, "created organization %s (%s, %s, %s)\n", o.ID, o.Name, o.Country, o.Sector)
			}
			return err
		},
	})
}

func orgList(ctx context.Context, env *Env, args []string) error {
	var asJSON *bool
	return runAdmin(ctx, env, args, adminCmd{
		name: "org list", synopsis: "fusion admin org list [--json] [--data DIR | --db URL]",
		flags: func(fs *flag.FlagSet) { asJSON = fs.Bool("json", false, "print JSON") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			orgs, err := h.OperatorOrgs(ctx)
			if err != nil {
				return err
			}
			return printList(env, *asJSON, orgs, "ID\tNAME\tCOUNTRY\tSECTOR", func(o intel.Org) []any {
				return []any{o.ID, o.Name, o.Country, o.Sector}
			})
		},
	})
}

func groupCreate(ctx context.Context, env *Env, args []string) error {
	var id, name, owner *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "group create", synopsis: "fusion admin group create --id ID --name NAME --owner ORG [--data DIR | --db URL]",
		required: []string{"id", "name", "owner"},
		flags: func(fs *flag.FlagSet) {
			id = fs.String("id", "", "group `ID`")
			name = fs.String("name", "", "display `NAME`")
			owner = fs.String("owner", "", "owning organization `ORG`, its first member")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			g, err := h.OperatorCreateGroup(ctx, *id, *name, *owner)
			if err == nil {
				fmt.Fprintf(env.Stdout, "created group %s (%s), owner %s\n", g.ID, g.Name, g.Owner)
			}
			return err
		},
	})
}

func groupAdd(ctx context.Context, env *Env, args []string) error {
	var group, org *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "group add", synopsis: "fusion admin group add --group ID --org ORG [--data DIR | --db URL]",
		required: []string{"group", "org"},
		flags: func(fs *flag.FlagSet) {
			group = fs.String("group", "", "group `ID`")
			org = fs.String("org", "", "organization `ORG` to add")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			g, err := h.OperatorAddMember(ctx, *group, *org)
			if err == nil {
				fmt.Fprintf(env.Stdout, "group %s members: %v\n", g.ID, g.Members)
			}
			return err
		},
	})
}

func groupList(ctx context.Context, env *Env, args []string) error {
	var asJSON *bool
	return runAdmin(ctx, env, args, adminCmd{
		name: "group list", synopsis: "fusion admin group list [--json] [--data DIR | --db URL]",
		flags: func(fs *flag.FlagSet) { asJSON = fs.Bool("json", false, "print JSON") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			groups, err := h.OperatorGroups(ctx)
			if err != nil {
				return err
			}
			return printList(env, *asJSON, groups, "ID\tNAME\tOWNER\tMEMBERS", func(g intel.Group) []any {
				return []any{g.ID, g.Name, g.Owner, g.Members}
			})
		},
	})
}

func tokenCreate(ctx context.Context, env *Env, args []string) error {
	var org, role, name *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "token create", synopsis: "fusion admin token create --org ORG [--role ROLE] [--name NAME] [--data DIR | --db URL]",
		required: []string{"org"},
		flags: func(fs *flag.FlagSet) {
			org = fs.String("org", "", "organization `ORG` the token acts for")
			role = fs.String("role", "analyst", "`ROLE`: admin, analyst, reader or sensor")
			name = fs.String("name", "", "a `NAME` to recognise the token by")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			r, err := intel.ParseRole(*role)
			if err != nil {
				return err
			}
			secret, tok, err := h.OperatorIssueToken(ctx, *org, r, *name)
			if err != nil {
				return err
			}
			// Only the token goes to stdout, so that TOKEN=$(fusion admin token create ...) works.
			fmt.Fprintln(env.Stdout, secret)
			fmt.Fprintf(env.Stderr, "issued token %s for %s with role %s; it is shown only this once\n", tok.ID, tok.Org, tok.Role)
			return nil
		},
	})
}

func tokenRevoke(ctx context.Context, env *Env, args []string) error {
	var id *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "token revoke", synopsis: "fusion admin token revoke --id TOKEN-ID [--data DIR | --db URL]",
		required: []string{"id"},
		flags:    func(fs *flag.FlagSet) { id = fs.String("id", "", "token `ID` (tok-...)") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			err := h.OperatorRevokeToken(ctx, *id)
			if err == nil {
				fmt.Fprintf(env.Stdout, "revoked token %s\n", *id)
			}
			return err
		},
	})
}

func tokenList(ctx context.Context, env *Env, args []string) error {
	var org *string
	var asJSON *bool
	return runAdmin(ctx, env, args, adminCmd{
		name: "token list", synopsis: "fusion admin token list --org ORG [--json] [--data DIR | --db URL]",
		required: []string{"org"},
		flags: func(fs *flag.FlagSet) {
			org = fs.String("org", "", "organization `ORG`")
			asJSON = fs.Bool("json", false, "print JSON")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			toks, err := h.OperatorTokens(ctx, *org)
			if err != nil {
				return err
			}
			return printList(env, *asJSON, toks, "ID\tROLE\tNAME\tCREATED\tSTATE", func(t intel.Token) []any {
				state := "active"
				if t.Revoked != nil {
					state = "revoked " + t.Revoked.Format("2006-01-02 15:04")
				}
				return []any{t.ID, t.Role, t.Name, t.Created.Format("2006-01-02 15:04"), state}
			})
		},
	})
}
