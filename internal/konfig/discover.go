package konfig

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// Repo is the set of projects and stacks found below a root directory.
type Repo struct {
	// Root is the absolute directory that was searched.
	Root string
	// Projects are sorted by directory.
	Projects []*Project
	// Stacks are sorted by directory.
	Stacks []*Stack

	// index is the include index (include.go): the files each stack
	// reads and the stacks reading each file, for StacksIncluding.
	index depIndex
}

// Discover walks root and loads every project (`project.yaml`) and stack
// (`stack.yaml`) below it. Hidden directories are skipped. A stack outside
// every project below root still gets its project by searching upwards.
func Discover(ctx context.Context, root string) (*Repo, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", root, err)
	}
	repo := &Repo{Root: abs}
	var stackDirs []string
	projects := map[string]*Project{}
	err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != abs && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if fileExists(filepath.Join(path, ProjectFile)) {
			p, err := loadProject(path)
			if err != nil {
				return err
			}
			projects[path] = p
			repo.Projects = append(repo.Projects, p)
		}
		if fileExists(filepath.Join(path, StackFile)) {
			stackDirs = append(stackDirs, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", root, err)
	}
	// Each stack's project first (one at a time: a project above root is
	// loaded once), then the stacks' files and settings in parallel (a
	// large Konfig has thousands of stacks).
	owners := make([]*Project, len(stackDirs))
	for i, dir := range stackDirs {
		p, err := projectOf(dir, projects)
		if err != nil {
			return nil, fmt.Errorf("load stack %s: %w", dir, err)
		}
		owners[i] = p
	}
	stacks := make([]*Stack, len(stackDirs))
	errs := make([]error, len(stackDirs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() == nil {
					stacks[i], errs[i] = loadStackIn(stackDirs[i], owners[i])
				}
			}
		}()
	}
	for i := range stackDirs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discover %s: %w", root, err)
	}
	for i, st := range stacks {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if st.Project != nil {
			st.Project.Stacks = append(st.Project.Stacks, st)
		}
		repo.Stacks = append(repo.Stacks, st)
	}
	sort.Slice(repo.Projects, func(i, j int) bool { return repo.Projects[i].Dir < repo.Projects[j].Dir })
	sort.Slice(repo.Stacks, func(i, j int) bool { return repo.Stacks[i].Dir < repo.Stacks[j].Dir })
	return repo, nil
}

// Stack returns the stack whose directory is dir, or nil.
func (r *Repo) Stack(dir string) *Stack {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	for _, s := range r.Stacks {
		if s.Dir == abs {
			return s
		}
	}
	return nil
}

// LoadStack loads the stack in dir (which must hold stack.yaml), its project
// (the nearest project.yaml at or above dir) and its compile settings.
func LoadStack(dir string) (*Stack, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("load stack %s: %w", dir, err)
	}
	return loadStack(abs, map[string]*Project{})
}

// FindStackDir returns the stack directory at or above path (a file or a
// directory), or "" when path is in no stack.
func FindStackDir(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return findUp(abs, StackFile, "")
}

type nameFile struct {
	Name   string `yaml:"name"`
	Tenant string `yaml:"tenant"`
}

// readNameFile reads project.yaml or stack.yaml through a sandbox at its
// directory: a link leading elsewhere is refused (a YAML error would quote
// the other file's content).
func readNameFile(path string) (nameFile, error) {
	var f nameFile
	fsys, err := sandbox.Open(filepath.Dir(path), sandbox.Policy{DenyReason: "Konfig files are only read"})
	if err != nil {
		return f, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	defer fsys.Close()
	data, err := fsys.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("parse %s: %w", path, err)
	}
	return f, nil
}

func loadProject(dir string) (*Project, error) {
	f, err := readNameFile(filepath.Join(dir, ProjectFile))
	if err != nil {
		return nil, err
	}
	if f.Name == "" {
		f.Name = filepath.Base(dir)
	}
	return &Project{Name: f.Name, Tenant: f.Tenant, Dir: dir}, nil
}

// loadStack loads the stack in the absolute dir; known maps project dirs to
// projects already loaded (it is extended with any project found upwards).
func loadStack(dir string, known map[string]*Project) (*Stack, error) {
	p, err := projectOf(dir, known)
	if err != nil {
		return nil, fmt.Errorf("load stack %s: %w", dir, err)
	}
	st, err := loadStackIn(dir, p)
	if err != nil {
		return nil, err
	}
	if p != nil {
		p.Stacks = append(p.Stacks, st)
	}
	return st, nil
}

// projectOf returns the project of the stack in dir: the nearest
// project.yaml at or above it, from known or loaded (and added to known);
// nil when there is none.
func projectOf(dir string, known map[string]*Project) (*Project, error) {
	for d := dir; ; {
		if p, ok := known[d]; ok {
			return p, nil
		}
		if fileExists(filepath.Join(d, ProjectFile)) {
			p, err := loadProject(d)
			if err != nil {
				return nil, err
			}
			known[d] = p
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil, nil
		}
		d = parent
	}
}

// loadStackIn loads the stack in the absolute dir, of project p (nil: none),
// without adding it to p's stacks. It only reads: stacks load in parallel.
func loadStackIn(dir string, p *Project) (*Stack, error) {
	f, err := readNameFile(filepath.Join(dir, StackFile))
	if err != nil {
		return nil, fmt.Errorf("load stack %s: %w", dir, err)
	}
	st := &Stack{Name: f.Name, Dir: dir, Project: p}
	if st.Name == "" {
		st.Name = filepath.Base(dir)
	}
	st.ModRoot = findModRoot(dir)
	if st.ModRoot == "" {
		st.ModRoot = dir
	}
	st.Root = st.ModRoot
	if st.Project != nil {
		st.Root = commonDir(st.Root, st.Project.Dir)
	}
	if err := st.loadSettings(nil); err != nil {
		return nil, fmt.Errorf("load stack %s: %w", dir, err)
	}
	return st, nil
}
