package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/password"
)

// readPassword reads a new password: from the terminal without echo, asked
// twice, when stdin is one; otherwise the first line of stdin. Passwords
// never come from flags, which other users of the machine can read in the
// process list.
func readPassword(env *Env, login string) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "new password for %s (%d to %d characters): ", login, password.MinLength, password.MaxLength)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("password: %w", err)
		}
		fmt.Fprint(env.Stderr, "again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("password: the two entries differ")
		}
		return string(first), nil
	}
	if env.Stdin == nil {
		return "", errors.New("password: no standard input to read it from")
	}
	// One line; a longer one is cut here and refused by the length check.
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4*password.MaxLength+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("password: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("password: standard input is empty; write the password on its first line")
	}
	return line, nil
}

func userCreate(ctx context.Context, env *Env, args []string) error {
	var org, login, name, role *string
	return runAdmin(ctx, env, args, adminCmd{
		name:     "user create",
		synopsis: "fusion admin user create --org ORG --login NAME --name \"FULL NAME\" [--role ROLE] [--data DIR | --db URL] < password",
		required: []string{"org", "login", "name"},
		flags: func(fs *flag.FlagSet) {
			org = fs.String("org", "", "organization `ORG` the person acts for")
			login = fs.String("login", "", "login `NAME`: 3 to 64 lowercase letters, digits, '.', '_' or '-'")
			name = fs.String("name", "", "display `NAME`")
			role = fs.String("role", "analyst", "`ROLE`: admin, analyst or reader")
		},
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			r, err := intel.ParseUserRole(*role)
			if err != nil {
				return err
			}
			if err := intel.CheckLogin(*login); err != nil {
				return err
			}
			pw, err := readPassword(env, *login)
			if err != nil {
				return err
			}
			u, err := h.OperatorCreateUser(ctx, *org, *login, *name, r, pw)
			if err == nil {
				fmt.Fprintf(env.Stdout, "created user %s (%s) for %s with role %s\n", u.Login, u.ID, u.Org, u.Role)
			}
			return err
		},
	})
}

func userReset(ctx context.Context, env *Env, args []string) error {
	var login *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "user reset", synopsis: "fusion admin user reset --login NAME [--data DIR | --db URL] < password",
		required: []string{"login"},
		flags:    func(fs *flag.FlagSet) { login = fs.String("login", "", "login `NAME`") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			pw, err := readPassword(env, *login)
			if err != nil {
				return err
			}
			err = h.OperatorResetPassword(ctx, *login, pw)
			if err == nil {
				fmt.Fprintf(env.Stdout, "set a new password for %s and ended its sessions\n", *login)
			}
			return err
		},
	})
}

func userDisable(ctx context.Context, env *Env, args []string) error {
	return userSetDisabled(ctx, env, args, true)
}
func userEnable(ctx context.Context, env *Env, args []string) error {
	return userSetDisabled(ctx, env, args, false)
}

func userSetDisabled(ctx context.Context, env *Env, args []string, disabled bool) error {
	verb, done := "enable", "enabled %s\n"
	if disabled {
		verb, done = "disable", "disabled %s and ended its sessions\n"
	}
	var login *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "user " + verb, synopsis: "fusion admin user " + verb + " --login NAME [--data DIR | --db URL]",
		required: []string{"login"},
		flags:    func(fs *flag.FlagSet) { login = fs.String("login", "", "login `NAME`") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			err := h.OperatorDisableUser(ctx, *login, disabled)
			if err == nil {
				fmt.Fprintf(env.Stdout, done, *login)
			}
			return err
		},
	})
}

func userClearTOTP(ctx context.Context, env *Env, args []string) error {
	var login *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "user clear-totp", synopsis: "fusion admin user clear-totp --login NAME [--data DIR | --db URL]",
		required: []string{"login"},
		flags:    func(fs *flag.FlagSet) { login = fs.String("login", "", "login `NAME`") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			err := h.OperatorClearTOTP(ctx, *login)
			if err == nil {
				fmt.Fprintf(env.Stdout, "removed the TOTP second factor of %s and ended its sessions\n", *login)
			}
			return err
		},
	})
}

func userRevoke(ctx context.Context, env *Env, args []string) error {
	var login *string
	return runAdmin(ctx, env, args, adminCmd{
		name: "user revoke", synopsis: "fusion admin user revoke --login NAME [--data DIR | --db URL]",
		required: []string{"login"},
		flags:    func(fs *flag.FlagSet) { login = fs.String("login", "", "login `NAME`") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			err := h.OperatorRevokeSessions(ctx, *login)
			if err == nil {
				fmt.Fprintf(env.Stdout, "ended every session of %s\n", *login)
			}
			return err
		},
	})
}

func userList(ctx context.Context, env *Env, args []string) error {
	var asJSON *bool
	return runAdmin(ctx, env, args, adminCmd{
		name: "user list", synopsis: "fusion admin user list [--json] [--data DIR | --db URL]",
		flags: func(fs *flag.FlagSet) { asJSON = fs.Bool("json", false, "print JSON") },
		run: func(ctx context.Context, env *Env, h *hub.Hub) error {
			users, err := h.OperatorUsers(ctx)
			if err != nil {
				return err
			}
			return printList(env, *asJSON, users, "LOGIN\tORG\tROLE\tNAME\tTOTP\tSTATE", func(u intel.User) []any {
				state, second := "active", "no"
				if u.Disabled {
					state = "disabled"
				}
				if u.TOTP {
					second = "yes"
				}
				return []any{u.Login, u.Org, u.Role, u.Name, second, state}
			})
		},
	})
}
