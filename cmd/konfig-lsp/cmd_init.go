package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

func init() { subcommands = append(subcommands, newInitCmd) }

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Scaffold a new stack or project in a Konfig, shaped like the repository's own",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("init: name what to create: 'init stack DIR' or 'init project DIR' (see 'konfig-lsp init --help')")
		},
	}
	cmd.AddCommand(newInitStackCmd(), newInitProjectCmd())
	return cmd
}

func newInitStackCmd() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "stack DIR",
		Short: "Create the stack DIR in its project, from a sibling stack or templates/stack",
		Long: `Create a stack in the directory DIR, inside an existing project (a project.yaml
above DIR). Its files come from templates/stack at the Konfig root when there is
one (the text {{project}} and {{stack}} in them is replaced by the names), else
from a sibling stack of the project (--from NAME, default the first): its
stack.yaml, KCL files, kcl.yaml and ci-test/settings.yaml, with the stack's name
changed where it is a whole YAML value. Goldens and state are not copied.`,
		Args: cobra.ExactArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			created, err := initStack(args[0], from, "")
			if err != nil {
				return fmt.Errorf("init stack: %w", err)
			}
			printCreated(cmd, created)
			return nil
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "the sibling stack to copy (its directory name; default the project's first stack)")
	return cmd
}

func newInitProjectCmd() *cobra.Command {
	var (
		from  string
		stack string
	)
	cmd := &cobra.Command{
		Use:   "project DIR",
		Short: "Create the project DIR with one stack, shaped like a sibling project",
		Long: `Create a project in the directory DIR of a Konfig: a project.yaml (name: the
directory's name) and one stack (--stack, default dev) made as 'init stack' makes
it, from the sibling project --from (default the first project of the parent
directory) or templates/stack.`,
		Args: cobra.ExactArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			created, err := initProject(args[0], from, stack)
			if err != nil {
				return fmt.Errorf("init project: %w", err)
			}
			printCreated(cmd, created)
			return nil
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "the sibling project to take the stack from (its directory name)")
	cmd.Flags().StringVar(&stack, "stack", "dev", "the name of the project's first stack")
	return cmd
}

func printCreated(cmd *cobra.Command, files []string) {
	out := cmd.OutOrStdout()
	for _, f := range files {
		fmt.Fprintln(out, "created", displayPath(f))
	}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// newDir checks that dir does not exist yet, that its parent does, and that
// its name is a valid stack or project name.
func newDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if !validName.MatchString(filepath.Base(abs)) {
		return "", fmt.Errorf("%q is not a valid name: use letters, digits, '.', '_' and '-'", filepath.Base(abs))
	}
	if _, err := os.Stat(abs); err == nil {
		return "", fmt.Errorf("%s already exists", abs)
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s: the parent directory does not exist", abs)
	}
	return abs, nil
}

// initStack creates the stack dir. projectOverride, when set, is the new
// project's name (the project being created with it).
func initStack(dir, from, projectOverride string) ([]string, error) {
	abs, err := newDir(dir)
	if err != nil {
		return nil, err
	}
	projDir := findUp(filepath.Dir(abs), konfig.ProjectFile)
	if projDir == "" {
		return nil, fmt.Errorf("%s is in no project (no %s above it): create the project first with 'konfig-lsp init project'", abs, konfig.ProjectFile)
	}
	name := filepath.Base(abs)
	project := projectOverride
	if project == "" {
		project = projectName(projDir)
	}
	if tmpl := findUp(projDir, filepath.Join("templates", "stack")); tmpl != "" {
		return copyTemplate(filepath.Join(tmpl, "templates", "stack"), abs, map[string]string{"{{project}}": project, "{{stack}}": name})
	}
	src, err := siblingStack(projDir, from)
	if err != nil {
		return nil, err
	}
	return copyStack(src, abs, map[string]string{filepath.Base(src): name})
}

// projectName is the name in dir's project.yaml, else the directory's.
func projectName(dir string) string {
	var p struct {
		Name string `yaml:"name"`
	}
	if data, err := os.ReadFile(filepath.Join(dir, konfig.ProjectFile)); err == nil && yaml.Unmarshal(data, &p) == nil && p.Name != "" {
		return p.Name
	}
	return filepath.Base(dir)
}

// findUp returns the nearest directory at or above dir holding rel, or "".
func findUp(dir, rel string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, rel)); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// siblingStack returns the stack directory of the project named from, or
// its first stack.
func siblingStack(projDir, from string) (string, error) {
	var stacks []string
	err := filepath.WalkDir(projDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".konfig" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == konfig.StackFile {
			stacks = append(stacks, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(stacks)
	if len(stacks) == 0 {
		return "", fmt.Errorf("the project %s has no stack to copy and the Konfig no templates/stack", projDir)
	}
	if from == "" {
		return stacks[0], nil
	}
	for _, s := range stacks {
		if filepath.Base(s) == from {
			return s, nil
		}
	}
	names := make([]string, len(stacks))
	for i, s := range stacks {
		names[i] = filepath.Base(s)
	}
	return "", fmt.Errorf("the project %s has no stack %q (it has %s)", projDir, from, strings.Join(names, ", "))
}

// copyStack copies a stack's own files (stack.yaml, *.k, kcl.yaml,
// ci-test/settings.yaml) into dst, replacing in the YAML files the whole
// scalar values named by renames.
func copyStack(src, dst string, renames map[string]string) ([]string, error) {
	var files []string
	for _, rel := range []string{konfig.StackFile, "kcl.yaml", filepath.Join("ci-test", "settings.yaml")} {
		if _, err := os.Stat(filepath.Join(src, rel)); err == nil {
			files = append(files, rel)
		}
	}
	ks, err := filepath.Glob(filepath.Join(src, "*.k"))
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		files = append(files, filepath.Base(k))
	}
	var created []string
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			return created, err
		}
		if strings.HasSuffix(rel, ".yaml") {
			if data, err = renameScalars(data, renames); err != nil {
				return created, fmt.Errorf("%s: %w", filepath.Join(src, rel), err)
			}
		}
		p := filepath.Join(dst, rel)
		if err := writeNew(p, data); err != nil {
			return created, err
		}
		created = append(created, p)
	}
	return created, nil
}

// renameScalars replaces the YAML scalar values equal to a key of renames,
// keeping comments and layout of the rest.
func renameScalars(data []byte, renames map[string]string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	changed := false
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n.Kind == yaml.ScalarNode && !isKey {
			if to, ok := renames[n.Value]; ok {
				n.Value = to
				changed = true
			}
		}
		for i, c := range n.Content {
			walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(&doc, false)
	if !changed {
		return data, nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// copyTemplate copies the template tree into dst, replacing the
// placeholders in every file.
func copyTemplate(tmpl, dst string, vars map[string]string) ([]string, error) {
	var created []string
	err := filepath.WalkDir(tmpl, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(tmpl, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(data)
		for k, v := range vars {
			s = strings.ReplaceAll(s, k, v)
		}
		target := filepath.Join(dst, rel)
		if err := writeNew(target, []byte(s)); err != nil {
			return err
		}
		created = append(created, target)
		return nil
	})
	return created, err
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// initProject creates a project with one stack.
func initProject(dir, from, stack string) ([]string, error) {
	abs, err := newDir(dir)
	if err != nil {
		return nil, err
	}
	if !validName.MatchString(stack) {
		return nil, fmt.Errorf("--stack %q is not a valid name", stack)
	}
	parent := filepath.Dir(abs)
	var sibling string
	if from != "" {
		sibling = filepath.Join(parent, from)
		if _, err := os.Stat(filepath.Join(sibling, konfig.ProjectFile)); err != nil {
			return nil, fmt.Errorf("--from %s: no %s there", sibling, konfig.ProjectFile)
		}
	} else {
		entries, err := os.ReadDir(parent)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(parent, e.Name(), konfig.ProjectFile)); e.IsDir() && err == nil {
				sibling = filepath.Join(parent, e.Name())
				break
			}
		}
	}
	name := filepath.Base(abs)
	projFile := filepath.Join(abs, konfig.ProjectFile)
	if err := writeNew(projFile, []byte("# The project basic info\nname: "+name+"\n")); err != nil {
		return nil, err
	}
	created := []string{projFile}
	stackDir := filepath.Join(abs, stack)
	var more []string
	if tmpl := findUp(parent, filepath.Join("templates", "stack")); tmpl != "" {
		more, err = copyTemplate(filepath.Join(tmpl, "templates", "stack"), stackDir, map[string]string{"{{project}}": name, "{{stack}}": stack})
	} else if sibling != "" {
		src, serr := siblingStack(sibling, "")
		if serr != nil {
			return created, serr
		}
		renames := map[string]string{filepath.Base(src): stack, filepath.Base(sibling): name, projectName(sibling): name}
		if more, err = copyStack(src, stackDir, renames); err != nil {
			return append(created, more...), err
		}
		// The project's shared KCL (e.g. base/base.k) that its stacks list.
		var shared []string
		shared, err = copySharedKCL(sibling, abs)
		more = append(more, shared...)
	} else {
		return created, fmt.Errorf("no sibling project next to %s and no templates/stack: give --from", abs)
	}
	return append(created, more...), err
}

// copySharedKCL copies the .k files of the project's directories that hold
// no stack (such as base/), which the stacks' kcl.yaml lists.
func copySharedKCL(src, dst string) ([]string, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var created []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || findDown(filepath.Join(src, e.Name()), konfig.StackFile) {
			continue
		}
		ks, _ := filepath.Glob(filepath.Join(src, e.Name(), "*.k"))
		for _, k := range ks {
			data, err := os.ReadFile(k)
			if err != nil {
				return created, err
			}
			p := filepath.Join(dst, e.Name(), filepath.Base(k))
			if err := writeNew(p, data); err != nil {
				return created, err
			}
			created = append(created, p)
		}
	}
	return created, nil
}

// findDown reports whether a file named name lies at or below dir.
func findDown(dir, name string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
