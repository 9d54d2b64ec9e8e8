package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
)

func applyCmd(g *globals) *cobra.Command {
	var file string
	var offline bool
	cmd := &cobra.Command{
		Use:   "apply -f ferry.yaml",
		Short: "Declare projects, connections and syncs from a YAML file (idempotent)",
		Long: `Apply reads a ferry.yaml and creates or updates what it declares. It checks
everything first (references, providers, objects, fields, each API key with one
cheap call, each database by connecting) and changes nothing unless all is valid.
${VAR} in database, api_key and base_url is read from the environment.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return ferry.Errorf(ferry.EINVALID, "ferry apply needs -f FILE (a ferry.yaml; see docs/configuration.md)")
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return ferry.Errorf(ferry.EINVALID, "read %s: %v", file, err)
			}
			doc, err := app.ParseDocument(file, data, os.LookupEnv)
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			changes, err := a.Apply(cmd.Context(), doc, app.ApplyOptions{SkipChecks: offline})
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(changes)
			}
			n := 0
			for _, c := range changes {
				line := fmt.Sprintf("%-10s %-24s %s", c.Kind, c.Name, c.Action)
				if len(c.Fields) > 0 {
					line += " (" + strings.Join(c.Fields, ", ") + ")"
				}
				if c.Action != "unchanged" {
					n++
				}
				fmt.Fprintln(g.stdout, line)
			}
			fmt.Fprintf(g.stdout, "%d changed, %d unchanged\n", n, len(changes)-n)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the YAML file to apply")
	cmd.Flags().BoolVar(&offline, "offline", false, "skip checking API keys and databases (validate the file only)")
	return cmd
}
