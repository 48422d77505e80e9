package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/plandash/plandash/internal/auth"
	"github.com/plandash/plandash/internal/store"
)

const usersUsage = `Usage:
  plandash users add NAME --role viewer|editor|admin [--password P]
  plandash users list
  plandash users disable NAME
  plandash users enable NAME
  plandash users passwd NAME [--password P]
  plandash users token NAME [--role R]     prints a new API token as the last line

Without --password a random password is made and printed once.
`

func cmdUsers(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	var role, password string
	cfg, fs, err := flags("users "+sub, rest, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&role, "role", "", "role: viewer, editor or admin")
		fs.StringVar(&password, "password", "", "password (default: a random one, printed once)")
	})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	name := ""
	if sub != "list" {
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, usersUsage)
			return exitUsage
		}
		name = fs.Arg(0)
	}
	p, ok := loadPlan(cfg.Plan, stderr)
	if !ok {
		return exitRejected
	}
	db, code, done := openDatabase(ctx, cfg, p, cliCall{Command: "users", Args: args}, stdout, stderr, getenv)
	if done {
		return code
	}
	defer db.close()
	st, p := db.store, db.plan
	now := cfg.Clock()()
	actor := currentUser(getenv)
	audit := func(action, detail string) {
		_ = st.Audit(ctx, store.AuditEntry{At: now, Actor: actor, Action: action, Detail: detail, Address: "command line"})
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "plandash users:", err)
		return exitRejected
	}
	switch sub {
	case "add":
		if !auth.ValidRole(role) {
			fmt.Fprintln(stderr, "plandash users add: --role must be viewer, editor or admin")
			return exitUsage
		}
		generated := password == ""
		if generated {
			if password, err = auth.NewPassword(); err != nil {
				return fail(err)
			}
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return fail(err)
		}
		u, err := st.AddUser(ctx, name, role, hash, now)
		if err != nil {
			return fail(err)
		}
		audit("user added", fmt.Sprintf("%s (%s)", u.Name, u.Role))
		fmt.Fprintf(stdout, "added %s (%s)\n", u.Name, u.Role)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", password)
		}
	case "list":
		us, err := st.Users(ctx)
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tLAST SIGN-IN")
		for _, u := range us {
			state, last := "active", "never"
			if u.Disabled {
				state = "disabled"
			}
			if !u.LastSignIn.IsZero() {
				last = u.LastSignIn.In(p.Location()).Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, state, last)
		}
		tw.Flush()
	case "disable", "enable":
		u, err := st.UserByName(ctx, name)
		if err != nil {
			return fail(fmt.Errorf("there is no user %q", name))
		}
		if err := st.SetDisabled(ctx, u.ID, sub == "disable"); err != nil {
			return fail(err)
		}
		audit("user "+sub+"d", u.Name)
		fmt.Fprintf(stdout, "%sd %s\n", sub, u.Name)
	case "passwd":
		u, err := st.UserByName(ctx, name)
		if err != nil {
			return fail(fmt.Errorf("there is no user %q", name))
		}
		generated := password == ""
		if generated {
			if password, err = auth.NewPassword(); err != nil {
				return fail(err)
			}
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return fail(err)
		}
		if err := st.SetPassword(ctx, u.ID, hash); err != nil {
			return fail(err)
		}
		audit("password changed", u.Name)
		fmt.Fprintf(stdout, "password changed for %s\n", u.Name)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", password)
		}
	case "token":
		u, err := st.UserByName(ctx, name)
		if err != nil {
			return fail(fmt.Errorf("there is no user %q", name))
		}
		if u.Disabled {
			return fail(fmt.Errorf("%s is disabled", u.Name))
		}
		if role == "" {
			role = u.Role
		}
		if !auth.ValidRole(role) || !auth.Allows(u.Role, role) {
			return fail(fmt.Errorf("a token for %s (%s) can have role %s at most", u.Name, u.Role, u.Role))
		}
		plain, hash, err := auth.NewToken()
		if err != nil {
			return fail(err)
		}
		if _, err := st.AddToken(ctx, u.ID, hash, role, now); err != nil {
			return fail(err)
		}
		audit("token created", fmt.Sprintf("%s (%s)", u.Name, role))
		fmt.Fprintf(stdout, "new %s token for %s; keep it secret, it is shown only once:\n%s\n", role, u.Name, plain)
	default:
		fmt.Fprint(stderr, usersUsage)
		return exitUsage
	}
	return exitOK
}
