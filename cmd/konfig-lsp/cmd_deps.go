package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

func init() { subcommands = append(subcommands, newDepsCmd) }

// matrix is the JSON of `deps --format json` and `ls --format matrix`: a
// GitHub Actions strategy.matrix (`matrix: ${{ fromJSON(...) }}`), one
// include entry per stack.
type matrix struct {
	Include []matrixStack `json:"include"`
}

type matrixStack struct {
	Project string `json:"project"`
	Stack   string `json:"stack"`
	Path    string `json:"path"` // the stack directory, relative to the Konfig root, with /
}

func newDepsCmd() *cobra.Command {
	var (
		focus   []string
		gitDiff string
		direct  bool
		ignore  []string
		format  string
	)
	cmd := &cobra.Command{
		Use:   "deps [konfig-root]",
		Short: "List the stacks affected by changed files",
		Long: `List the stacks of the Konfig repository at konfig-root (default: the current
directory) that a change affects: the stacks that read a changed KCL file
(directly or through imports), whose stack.yaml, settings files or project
(project.yaml, crd/) changed, or that lie under a changed kcl.mod. A deleted or
renamed file counts. Files no stack reads (a README) affect none.

The changed files come from --focus FILE (repeatable) or from git:
--git-diff BASE compares the working tree (with untracked files) with BASE,
--git-diff BASE..HEAD compares two revisions. --format json prints a GitHub
Actions matrix ({"include": [{"project", "stack", "path"}]}).`,
		Args: cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("deps: unknown --format %q (text or json)", format)
			}
			if (len(focus) == 0) == (gitDiff == "") {
				return errors.New("deps: give the changed files with --focus FILE or --git-diff BASE[..HEAD] (one of them)")
			}
			for _, g := range ignore {
				if _, err := path.Match(g, ""); err != nil {
					return fmt.Errorf("deps: --ignore %q: %w", g, err)
				}
			}
			root := "."
			if len(args) == 1 {
				root = args[0]
			}
			repo, err := konfig.Discover(cmd.Context(), root)
			if err != nil {
				return fmt.Errorf("deps: %w", err)
			}
			changes, err := changedFiles(cmd.Context(), repo.Root, focus, gitDiff)
			if err != nil {
				return fmt.Errorf("deps: %w", err)
			}
			changes = ignored(changes, repo.Root, ignore)
			affected, err := repo.Affected(cmd.Context(), changes, konfig.AffectedOptions{Direct: direct})
			if err != nil {
				return fmt.Errorf("deps: %w", err)
			}
			stacks := make([]*konfig.Stack, len(affected))
			for i, a := range affected {
				stacks[i] = a.Stack
			}
			return writeStacks(cmd, repo.Root, stacks, format)
		}),
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&focus, "focus", nil, "a changed `file` (repeatable)")
	fl.StringVar(&gitDiff, "git-diff", "", "take the changed files from git: `BASE` (against the working tree) or BASE..HEAD")
	fl.BoolVar(&direct, "direct", false, "only the stacks whose own files changed (not through imports or projects)")
	fl.StringArrayVar(&ignore, "ignore", nil, "leave out changed files matching `glob` (on the path relative to the root, or the file name; repeatable)")
	fl.StringVar(&format, "format", "text", "output format: text (one stack directory a line) or json (a CI matrix)")
	return cmd
}

// writeStacks prints stacks as lines of directories relative to root, or as
// a CI matrix.
func writeStacks(cmd *cobra.Command, root string, stacks []*konfig.Stack, format string) error {
	out := cmd.OutOrStdout()
	if format == "text" {
		for _, st := range stacks {
			fmt.Fprintln(out, filepath.ToSlash(konfig.RelPath(st.Dir, root)))
		}
		return nil
	}
	m := matrix{Include: []matrixStack{}}
	for _, st := range stacks {
		m.Include = append(m.Include, matrixStack{Project: st.ProjectName(), Stack: st.Name, Path: filepath.ToSlash(konfig.RelPath(st.Dir, root))})
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return enc.Encode(m)
}

// ignored drops the changes matching one of the globs.
func ignored(changes []konfig.Change, root string, globs []string) []konfig.Change {
	if len(globs) == 0 {
		return changes
	}
	var out []konfig.Change
	for _, c := range changes {
		rel := filepath.ToSlash(konfig.RelPath(c.Path, root))
		skip := false
		for _, g := range globs {
			if m, _ := path.Match(g, rel); m {
				skip = true
			} else if m, _ := path.Match(g, path.Base(rel)); m {
				skip = true
			}
		}
		if !skip {
			out = append(out, c)
		}
	}
	return out
}

// changedFiles returns the focus files (absolute; missing ones count as
// deleted), or the files git reports changed.
func changedFiles(ctx context.Context, root string, focus []string, gitDiff string) ([]konfig.Change, error) {
	if gitDiff == "" {
		var out []konfig.Change
		for _, f := range focus {
			abs, err := filepath.Abs(f)
			if err != nil {
				return nil, err
			}
			_, err = os.Stat(abs)
			out = append(out, konfig.Change{Path: abs, Deleted: errors.Is(err, os.ErrNotExist)})
		}
		return out, nil
	}
	return gitChanges(ctx, root, gitDiff)
}

// gitChanges runs git in dir: `git diff --name-status BASE [HEAD]` (renames
// give the old path as deleted and the new one as changed) and, against the
// working tree, the untracked files.
func gitChanges(ctx context.Context, dir, spec string) ([]konfig.Change, error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top = strings.TrimSpace(top)
	if t, err := filepath.EvalSymlinks(top); err == nil {
		top = t
	}
	base, head, twoRevs := strings.Cut(spec, "..")
	if base == "" || (twoRevs && head == "") {
		return nil, fmt.Errorf("--git-diff %q: want BASE or BASE..HEAD", spec)
	}
	args := []string{"diff", "--name-status", "-z", "-M", "--no-ext-diff", "--no-textconv", "--end-of-options", base}
	if twoRevs {
		args = append(args, head)
	}
	out, err := git(ctx, dir, args...)
	if err != nil {
		return nil, err
	}
	var changes []konfig.Change
	fields := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	for i := 0; i+1 < len(fields); {
		status := fields[i]
		switch {
		case strings.HasPrefix(status, "R"), strings.HasPrefix(status, "C"):
			if i+2 >= len(fields) {
				return nil, fmt.Errorf("git diff: truncated rename record %q", status)
			}
			changes = append(changes,
				konfig.Change{Path: filepath.Join(top, fields[i+1]), Deleted: status[0] == 'R'},
				konfig.Change{Path: filepath.Join(top, fields[i+2])})
			i += 3
		default:
			changes = append(changes, konfig.Change{Path: filepath.Join(top, fields[i+1]), Deleted: status == "D"})
			i += 2
		}
	}
	if !twoRevs {
		untracked, err := git(ctx, dir, "ls-files", "-z", "--others", "--exclude-standard", "--full-name", ":/")
		if err != nil {
			return nil, err
		}
		for _, f := range strings.Split(untracked, "\x00") {
			if f != "" {
				changes = append(changes, konfig.Change{Path: filepath.Join(top, f)})
			}
		}
	}
	return changes, nil
}

// git runs git with args in dir and returns its stdout; an error carries
// git's stderr. The repository is someone else's: no fsmonitor hook, no
// external diff or text conversion program that its configuration could
// name is run.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	c := exec.CommandContext(ctx, "git", append([]string{"-c", "core.fsmonitor=false"}, args...)...)
	c.Dir = dir
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.String(), nil
}
