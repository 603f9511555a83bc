package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"fusion/internal/intel"
)

func adminLogger(env *Env) *slog.Logger {
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func orgCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "org create", "fusion admin org create --id ID --name NAME --country CC --sector SECTOR [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	id := fs.String("id", "", "organization `ID` (lowercase letters, digits, hyphens)")
	name := fs.String("name", "", "display `NAME`")
	country := fs.String("country", "", "ISO 3166-1 alpha-2 `CC`")
	sector := fs.String("sector", "", "`SECTOR`: police, cert, bank, telco, airline, vendor or other")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "id", "name", "country", "sector"); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	o, err := h.OperatorCreateOrg(ctx, *id, *name, *country, *sector)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created organization %s (%s, %s, %s)\n", o.ID, o.Name, o.Country, o.Sector)
	return nil
}

func orgList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "org list", "fusion admin org list [--json] [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	orgs, err := h.Store().Orgs(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(orgs)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCOUNTRY\tSECTOR")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Country, o.Sector)
	}
	return tw.Flush()
}

func groupCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "group create", "fusion admin group create --id ID --name NAME --owner ORG [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	id := fs.String("id", "", "group `ID`")
	name := fs.String("name", "", "display `NAME`")
	owner := fs.String("owner", "", "owning organization `ORG`, its first member")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "id", "name", "owner"); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	g, err := h.OperatorCreateGroup(ctx, *id, *name, *owner)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created group %s (%s), owner %s\n", g.ID, g.Name, g.Owner)
	return nil
}

func groupAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "group add", "fusion admin group add --group ID --org ORG [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	group := fs.String("group", "", "group `ID`")
	org := fs.String("org", "", "organization `ORG` to add")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "group", "org"); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	g, err := h.OperatorAddMember(ctx, *group, *org)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "group %s members: %v\n", g.ID, g.Members)
	return nil
}

func groupList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "group list", "fusion admin group list [--json] [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	groups, err := h.Store().Groups(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(groups)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tOWNER\tMEMBERS")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", g.ID, g.Name, g.Owner, g.Members)
	}
	return tw.Flush()
}

func tokenCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "token create", "fusion admin token create --org ORG [--role ROLE] [--name NAME] [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	org := fs.String("org", "", "organization `ORG` the token acts for")
	role := fs.String("role", "analyst", "`ROLE`: admin, analyst, reader or sensor")
	name := fs.String("name", "", "a `NAME` to recognise the token by")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	r, err := intel.ParseRole(*role)
	if err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	if _, err := h.Store().Org(ctx, *org); err != nil {
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
}

func tokenRevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "token revoke", "fusion admin token revoke --id TOKEN-ID [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	id := fs.String("id", "", "token `ID` (tok-...)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "id"); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	if err := h.OperatorRevokeToken(ctx, *id); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "revoked token %s\n", *id)
	return nil
}

func tokenList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "token list", "fusion admin token list --org ORG [--json] [--data DIR | --db URL]")
	sf := addStoreFlags(fs, env)
	org := fs.String("org", "", "organization `ORG`")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	h, err := sf.open(ctx, adminLogger(env), false)
	if err != nil {
		return err
	}
	defer h.Store().Close()
	toks, err := h.Store().Tokens(ctx, *org)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(toks)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tCREATED\tSTATE")
	for _, t := range toks {
		state := "active"
		if t.Revoked != nil {
			state = "revoked " + t.Revoked.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Name, t.Created.Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
}
