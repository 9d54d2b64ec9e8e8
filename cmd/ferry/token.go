package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

func tokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API access tokens (create, list, revoke)",
		Long: `API tokens authenticate requests to the JSON API (Authorization: Bearer <token>).
Scopes are ordered: read (inspect everything, never a secret) < run (also
start, cancel, retry, pause and resume) < admin (also declare projects,
connections and syncs). A token is printed once, when it is created; only a
hash of it is stored.`,
	}
	cmd.AddCommand(tokenCreateCmd(g), tokenListCmd(g), tokenRevokeCmd(g))
	return cmd
}

// tokenView is a token as --json prints it.
type tokenView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Token      string     `json:"token,omitempty"` // only when created
}

func tokenJSON(t store.Token) tokenView {
	v := tokenView{ID: t.ID, Name: t.Name, Scope: string(t.Scope), CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		v.LastUsedAt = &t.LastUsedAt
	}
	if !t.RevokedAt.IsZero() {
		v.RevokedAt = &t.RevokedAt
	}
	return v
}

func tokenCreateCmd(g *globals) *cobra.Command {
	var scope, name string
	cmd := &cobra.Command{
		Use:   "create --scope read|run|admin [--name NAME]",
		Short: "Create a token and print it (once)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !store.TokenScope(scope).Valid() {
				return ferry.Errorf(ferry.EINVALID, "--scope %q: use read, run or admin", scope)
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			t, secret, err := a.Store().CreateToken(cmd.Context(), name, store.TokenScope(scope))
			if err != nil {
				return err
			}
			if g.json {
				v := tokenJSON(t)
				v.Token = secret.Reveal() // shown once, by request
				return g.printJSON(v)
			}
			fmt.Fprintf(g.stdout, "%s\n", secret.Reveal())
			fmt.Fprintf(g.stderr, "token %s (scope %s) created; it is shown only now: store it, or revoke it with: ferry token revoke %s\n", t.ID, t.Scope, t.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&scope, "scope", "", "what the token may do: read, run or admin (required)")
	cmd.Flags().StringVar(&name, "name", "", "a name to recognise the token by (e.g. who or what uses it)")
	return cmd
}

func tokenListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens with their scope and last use (never the tokens themselves)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			toks, err := a.Store().ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			if g.json {
				views := make([]tokenView, len(toks))
				for i, t := range toks {
					views[i] = tokenJSON(t)
				}
				return g.printJSON(views)
			}
			if len(toks) == 0 {
				fmt.Fprintln(g.stdout, "no tokens yet; create one with: ferry token create --scope read")
				return nil
			}
			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tSCOPE\tCREATED\tLAST USED\tREVOKED")
			for _, t := range toks {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Scope, t.CreatedAt.Local().Format(time.DateTime),
					timeOr(t.LastUsedAt, "never"), timeOr(t.RevokedAt, "-"))
			}
			return w.Flush()
		},
	}
}

func timeOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Local().Format(time.DateTime)
}

func tokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: it stops working at once",
		Args:  exactArgs(1, "a token id (see ferry token list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.Store().RevokeToken(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(tokenJSON(t))
			}
			fmt.Fprintf(g.stdout, "token %s revoked\n", t.ID)
			return nil
		},
	}
}
