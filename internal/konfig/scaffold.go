package konfig

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// ScaffoldFile is a file a scaffold creates: its absolute path and content.
type ScaffoldFile struct {
	Path string
	Data []byte
}

// WriteScaffold writes the files, none of which may exist yet, and returns
// their paths.
func WriteScaffold(files []ScaffoldFile) ([]string, error) {
	var written []string
	for _, f := range files {
		if err := writeNew(f.Path, f.Data); err != nil {
			return written, err
		}
		written = append(written, f.Path)
	}
	return written, nil
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

// ScaffoldStack plans the stack dir (which must not exist) inside an
// existing project: from templates/stack at or above the project (the text
// {{project}} and {{stack}} replaced by the names), else from a sibling stack
// of the project (from: its directory name; "" the first): its stack.yaml,
// KCL files, kcl.yaml and ci-test/settings.yaml, the stack's name changed
// where it is a whole YAML value. Goldens and state are not copied.
func ScaffoldStack(dir, from string) ([]ScaffoldFile, error) {
	return scaffoldStack(dir, from, "")
}

// scaffoldStack is ScaffoldStack; projectOverride, when set, is the new
// project's name (the project being created with it).
func scaffoldStack(dir, from, projectOverride string) ([]ScaffoldFile, error) {
	abs, err := newDir(dir)
	if err != nil {
		return nil, err
	}
	projDir := findUp(filepath.Dir(abs), ProjectFile, "")
	if projDir == "" {
		return nil, fmt.Errorf("%s is in no project (no %s above it): create the project first with 'konfig-lsp init project'", abs, ProjectFile)
	}
	fsys, root, err := scaffoldSandbox(projDir)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	name := filepath.Base(abs)
	project := projectOverride
	if project == "" {
		project = projectName(fsys, projDir)
	}
	if tmpl := findUp(projDir, filepath.Join("templates", "stack"), root); tmpl != "" {
		return copyTemplate(fsys, filepath.Join(tmpl, "templates", "stack"), abs, map[string]string{"{{project}}": project, "{{stack}}": name})
	}
	src, err := siblingStack(projDir, from)
	if err != nil {
		return nil, err
	}
	return copyStack(fsys, src, abs, map[string]string{filepath.Base(src): name})
}

// scaffoldSandbox opens the read-only sandbox every scaffold reads through,
// at the Konfig root of dir (its kcl.mod directory, else dir's parent): a
// link in the repository cannot make a scaffold copy a file from elsewhere
// on the machine into the workspace.
func scaffoldSandbox(dir string) (*sandbox.FS, string, error) {
	root := loader.FindModRoot(dir)
	if root == "" {
		root = filepath.Dir(dir)
	}
	fsys, err := sandbox.Open(root, sandbox.Policy{DenyReason: "a scaffold only reads the repository"})
	if err != nil {
		return nil, "", err
	}
	return fsys, root, nil
}

// projectName is the name in dir's project.yaml, else the directory's.
func projectName(fsys *sandbox.FS, dir string) string {
	var p struct {
		Name string `yaml:"name"`
	}
	if data, err := fsys.ReadFile(filepath.Join(dir, ProjectFile)); err == nil && yaml.Unmarshal(data, &p) == nil && p.Name != "" {
		return p.Name
	}
	return filepath.Base(dir)
}

// findUp returns the nearest directory at or above dir holding rel, not
// above root (when set), or "".
func findUp(dir, rel, root string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, rel)); err == nil {
			return d
		}
		if filepath.Dir(d) == d || d == root {
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
		if !d.IsDir() && d.Name() == StackFile {
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
func copyStack(fsys *sandbox.FS, src, dst string, renames map[string]string) ([]ScaffoldFile, error) {
	var files []string
	for _, rel := range []string{StackFile, "kcl.yaml", filepath.Join("ci-test", "settings.yaml")} {
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
	var created []ScaffoldFile
	for _, rel := range files {
		data, err := fsys.ReadFile(filepath.Join(src, rel))
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(rel, ".yaml") {
			if data, err = renameScalars(data, renames); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(src, rel), err)
			}
		}
		created = append(created, ScaffoldFile{Path: filepath.Join(dst, rel), Data: data})
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
func copyTemplate(fsys *sandbox.FS, tmpl, dst string, vars map[string]string) ([]ScaffoldFile, error) {
	var created []ScaffoldFile
	err := filepath.WalkDir(tmpl, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(tmpl, p)
		if err != nil {
			return err
		}
		data, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(data)
		for k, v := range vars {
			s = strings.ReplaceAll(s, k, v)
		}
		created = append(created, ScaffoldFile{Path: filepath.Join(dst, rel), Data: []byte(s)})
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

// ScaffoldProject plans the project dir (which must not exist): a
// project.yaml (name: the directory's) and one stack named stack, made as
// ScaffoldStack makes it, from the sibling project from (a directory name
// next to dir; "" the first) or templates/stack, with the sibling's shared
// KCL (its directories holding no stack, such as base/).
func ScaffoldProject(dir, from, stack string) ([]ScaffoldFile, error) {
	abs, err := newDir(dir)
	if err != nil {
		return nil, err
	}
	if !validName.MatchString(stack) {
		return nil, fmt.Errorf("--stack %q is not a valid name", stack)
	}
	parent := filepath.Dir(abs)
	fsys, root, err := scaffoldSandbox(abs)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	var sibling string
	if from != "" {
		sibling = filepath.Join(parent, from)
		if _, err := os.Stat(filepath.Join(sibling, ProjectFile)); err != nil {
			return nil, fmt.Errorf("--from %s: no %s there", sibling, ProjectFile)
		}
	} else {
		entries, err := os.ReadDir(parent)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(parent, e.Name(), ProjectFile)); e.IsDir() && err == nil {
				sibling = filepath.Join(parent, e.Name())
				break
			}
		}
	}
	name := filepath.Base(abs)
	created := []ScaffoldFile{{Path: filepath.Join(abs, ProjectFile), Data: []byte("# The project basic info\nname: " + name + "\n")}}
	stackDir := filepath.Join(abs, stack)
	var more []ScaffoldFile
	if tmpl := findUp(parent, filepath.Join("templates", "stack"), root); tmpl != "" {
		more, err = copyTemplate(fsys, filepath.Join(tmpl, "templates", "stack"), stackDir, map[string]string{"{{project}}": name, "{{stack}}": stack})
	} else if sibling != "" {
		src, serr := siblingStack(sibling, "")
		if serr != nil {
			return nil, serr
		}
		renames := map[string]string{filepath.Base(src): stack, filepath.Base(sibling): name, projectName(fsys, sibling): name}
		if more, err = copyStack(fsys, src, stackDir, renames); err != nil {
			return nil, err
		}
		// The project's shared KCL (e.g. base/base.k) that its stacks list.
		var shared []ScaffoldFile
		shared, err = copySharedKCL(fsys, sibling, abs)
		more = append(more, shared...)
	} else {
		return nil, fmt.Errorf("no sibling project next to %s and no templates/stack: give --from", abs)
	}
	if err != nil {
		return nil, err
	}
	return append(created, more...), nil
}

// copySharedKCL copies the .k files of the project's directories that hold
// no stack (such as base/), which the stacks' kcl.yaml lists.
func copySharedKCL(fsys *sandbox.FS, src, dst string) ([]ScaffoldFile, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var created []ScaffoldFile
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || findDown(filepath.Join(src, e.Name()), StackFile) {
			continue
		}
		ks, _ := filepath.Glob(filepath.Join(src, e.Name(), "*.k"))
		for _, k := range ks {
			data, err := fsys.ReadFile(k)
			if err != nil {
				return nil, err
			}
			created = append(created, ScaffoldFile{Path: filepath.Join(dst, e.Name(), filepath.Base(k)), Data: data})
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
