package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

func init() { subcommands = append(subcommands, newCheckCmd) }

// checkReport is the JSON form of `check --format json`.
type checkReport struct {
	Stacks []checkStack `json:"stacks"`
	Failed int          `json:"failed"`
}

type checkStack struct {
	Dir       string           `json:"dir"`
	Project   string           `json:"project,omitempty"`
	Name      string           `json:"name"`
	OK        bool             `json:"ok"`
	Resources int              `json:"resources"`
	Problems  []konfig.Problem `json:"problems,omitempty"`
}

func newCheckCmd() *cobra.Command {
	var (
		format     string
		affectedBy string
		shard      string
		golden     bool
		jobs       int
		sb         sandboxFlags
		budget     budgetFlags
	)
	cmd := &cobra.Command{
		Use:   "check [dir]...",
		Short: "Compile every stack below the directories and report errors",
		Long: `Compile every Konfig stack (directory holding stack.yaml) below the given
directories (default: the current directory) in parallel, and print each error as
file:line:col: kind: message. A failed check: block or assert is reported at the
value that violates it, with the check's own location on the next line. With
--golden, each stack's output is also compared with its ci-test/stdout.golden.yaml
(ignoring key and list order). The exit status is 1 when any stack fails.` + sandboxHelp,
		RunE: printingErrors(func(cmd *cobra.Command, dirs []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("check: unknown --format %q (text or json)", format)
			}
			if len(dirs) == 0 {
				dirs = []string{"."}
			}
			shardI, shardN, err := parseShard(shard)
			if err != nil {
				return fmt.Errorf("check: %w", err)
			}
			repos, stacks, err := discoverStacks(cmd, dirs)
			if err != nil {
				return fmt.Errorf("check: %w", err)
			}
			if affectedBy != "" {
				if stacks, err = affectedStacks(cmd.Context(), repos, stacks, affectedBy); err != nil {
					return fmt.Errorf("check: --affected-by: %w", err)
				}
			}
			stacks = shardOf(stacks, shardI, shardN)
			results := konfig.CompileAll(cmd.Context(), stacks, konfig.CompileAllOptions{Workers: jobs, Golden: golden,
				CompileOptions: budget.compileOptions(konfig.CompileOptions{Policy: sb.policy()})})
			cwd, _ := os.Getwd()
			var rep checkReport
			for _, r := range results {
				cs := checkStack{Dir: konfig.RelPath(r.Stack.Dir, cwd), Project: r.Stack.ProjectName(), Name: r.Stack.Name, OK: true}
				if r.Err != nil {
					cs.OK = false
					cs.Problems = r.Stack.Problems(r.Err)
				} else {
					cs.Resources = len(r.Spec.Resources)
					if r.GoldenDiff != "" {
						cs.OK = false
						cs.Problems = []konfig.Problem{{
							Location: konfig.Location{File: r.Stack.GoldenPath()},
							Kind:     "GoldenMismatch",
							Message:  "the output differs from the golden (-golden +got):\n" + r.GoldenDiff,
						}}
					}
				}
				if !cs.OK {
					rep.Failed++
				}
				rep.Stacks = append(rep.Stacks, cs)
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return fmt.Errorf("check: %w", err)
				}
			} else {
				// The problems are errors (stderr); the summary is the
				// command's result (stdout).
				for _, cs := range rep.Stacks {
					for _, p := range cs.Problems {
						fmt.Fprintln(cmd.ErrOrStderr(), p.Format(cwd))
					}
				}
				fmt.Fprintf(out, "%d %s checked, %d failed\n", len(rep.Stacks), plural(len(rep.Stacks), "stack", "stacks"), rep.Failed)
			}
			if rep.Failed > 0 {
				return exitError{code: 1}
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&affectedBy, "affected-by", "", "check only the stacks affected by the changes since git revision `BASE` (or BASE..HEAD), as 'deps --git-diff'")
	cmd.Flags().StringVar(&shard, "shard", "", "check shard `I/N` of the stacks (1 <= I <= N): the stacks sorted by directory, dealt in turn to N shards")
	cmd.Flags().BoolVar(&golden, "golden", false, "also compare each stack with its ci-test/stdout.golden.yaml")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "stacks compiled at once (default: GOMAXPROCS)")
	sb.register(cmd)
	budget.register(cmd.Flags())
	return cmd
}

// discoverStacks returns the repositories of dirs and their stacks, each
// once, in order.
func discoverStacks(cmd *cobra.Command, dirs []string) ([]*konfig.Repo, []*konfig.Stack, error) {
	seen := map[string]bool{}
	var repos []*konfig.Repo
	var stacks []*konfig.Stack
	for _, d := range dirs {
		repo, err := konfig.Discover(cmd.Context(), d)
		if err != nil {
			return nil, nil, err
		}
		repos = append(repos, repo)
		for _, st := range repo.Stacks {
			if !seen[st.Dir] {
				seen[st.Dir] = true
				stacks = append(stacks, st)
			}
		}
	}
	return repos, stacks, nil
}

// displayPath returns path relative to the current directory when below it.
func displayPath(path string) string {
	cwd, err := os.Getwd()
	if err != nil {
		return path
	}
	return filepath.ToSlash(konfig.RelPath(path, cwd))
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseShard parses --shard I/N ("" is the whole: 1/1).
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 1, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 1 <= I <= N, e.g. 2/4", s)
	}
	return i, n, nil
}

// shardOf returns shard i of n: the stacks sorted by directory, the k-th
// (from 0) going to shard k mod n + 1, so that neighbouring stacks (often
// alike in cost) spread over the shards and every stack is in exactly one.
func shardOf(stacks []*konfig.Stack, i, n int) []*konfig.Stack {
	if n == 1 {
		return stacks
	}
	sorted := slices.Clone(stacks)
	slices.SortFunc(sorted, func(a, b *konfig.Stack) int { return strings.Compare(a.Dir, b.Dir) })
	var out []*konfig.Stack
	for k, st := range sorted {
		if k%n == i-1 {
			out = append(out, st)
		}
	}
	return out
}

// affectedStacks keeps the stacks affected by the git changes since base
// in the repositories already discovered.
func affectedStacks(ctx context.Context, repos []*konfig.Repo, stacks []*konfig.Stack, base string) ([]*konfig.Stack, error) {
	keep := map[string]bool{}
	for _, repo := range repos {
		changes, err := gitChanges(ctx, repo.Root, base)
		if err != nil {
			return nil, err
		}
		affected, err := repo.Affected(ctx, changes, konfig.AffectedOptions{})
		if err != nil {
			return nil, err
		}
		for _, a := range affected {
			keep[a.Stack.Dir] = true
		}
	}
	var out []*konfig.Stack
	for _, st := range stacks {
		if keep[st.Dir] {
			out = append(out, st)
		}
	}
	return out, nil
}
