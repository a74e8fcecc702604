package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

func init() { subcommands = append(subcommands, newLsCmd) }

// lsProject is the JSON form of a project in `ls --format json`.
type lsProject struct {
	Name   string    `json:"name"`
	Dir    string    `json:"dir"`
	Stacks []lsStack `json:"stacks"`
}

type lsStack struct {
	Name    string          `json:"name"`
	Dir     string          `json:"dir"`
	Files   []string        `json:"files"`
	Options []konfig.Option `json:"options,omitempty"`
	rel     string          // the directory relative to the listed root
}

func newLsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ls [dir]",
		Short: "List the projects and stacks of a Konfig repository",
		Long: `List the Konfig projects (project.yaml) and stacks (stack.yaml) below dir
(default: the current directory), as a table or, with --format json, with each
stack's ordered KCL files and options.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" && format != "matrix" {
				return fmt.Errorf("ls: unknown --format %q (table, json or matrix)", format)
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			repo, err := konfig.Discover(cmd.Context(), dir)
			if err != nil {
				return fmt.Errorf("ls: %w", err)
			}
			if format == "matrix" {
				return writeStacks(cmd, repo.Root, repo.Stacks, "json")
			}
			projects := lsProjects(repo)
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false) // spec.Masked as it reads
				if err := enc.Encode(projects); err != nil {
					return fmt.Errorf("ls: %w", err)
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROJECT\tSTACK\tPATH")
			for _, p := range projects {
				if len(p.Stacks) == 0 {
					fmt.Fprintf(tw, "%s\t-\t%s\n", p.Name, p.Dir)
				}
				for _, s := range p.Stacks {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, s.Name, s.rel)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json, or matrix (a GitHub Actions strategy.matrix: {\"include\": [{project, stack, path}]})")
	return cmd
}

// lsProjects returns the repository's projects with their stacks; stacks
// outside every project are listed under a project with an empty name.
func lsProjects(repo *konfig.Repo) []lsProject {
	var out []lsProject
	stack := func(s *konfig.Stack) lsStack {
		ls := lsStack{Name: s.Name, Dir: displayPath(s.Dir), Options: maskOptions(s.Options),
			rel: filepath.ToSlash(konfig.RelPath(s.Dir, repo.Root))}
		for _, f := range s.Files {
			ls.Files = append(ls.Files, displayPath(f))
		}
		return ls
	}
	for _, p := range repo.Projects {
		lp := lsProject{Name: p.Name, Dir: displayPath(p.Dir), Stacks: []lsStack{}}
		for _, s := range p.Stacks {
			lp.Stacks = append(lp.Stacks, stack(s))
		}
		out = append(out, lp)
	}
	var orphans []lsStack
	for _, s := range repo.Stacks {
		if s.Project == nil {
			orphans = append(orphans, stack(s))
		}
	}
	if len(orphans) > 0 {
		out = append(out, lsProject{Dir: displayPath(repo.Root), Stacks: orphans})
	}
	return out
}

// maskOptions returns opts with the values of sensitive keys (spec.Matcher:
// password, secret, token, credential, …) replaced by spec.Masked.
func maskOptions(opts []konfig.Option) []konfig.Option {
	var m spec.Matcher
	out := make([]konfig.Option, len(opts))
	for i, o := range opts {
		out[i] = o
		if m.Match(o.Key) {
			out[i].Value = spec.Masked
		}
	}
	return out
}
