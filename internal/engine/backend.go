package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
	"k8s.io/client-go/rest"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state/kubestate"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// Backend types.
const (
	BackendLocal      = "local"
	BackendKubernetes = "kubernetes"
)

// BackendConfig selects where a stack's state and lock live: the `backend:`
// section of stack.yaml, else of the nearest project.yaml above it, else
// local. Flags override it.
//
//	backend:
//	  type: kubernetes          # or local (the default)
//	  namespace: konfig-state   # kubernetes: the namespace of the Secrets and the Lease
//	  leaseSeconds: 30          # kubernetes: how long the lock lasts without renewal
type BackendConfig struct {
	Type         string `yaml:"type" json:"type"`
	Namespace    string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	LeaseSeconds int    `yaml:"leaseSeconds,omitempty" json:"leaseSeconds,omitempty"`
	// Stack is the stack's shared name, project/stack (the names in
	// project.yaml and stack.yaml, else the directories'): the key of its
	// state in the cluster.
	Stack string `yaml:"-" json:"stack"`
	// From is the file the section came from ("" when none did).
	From string `yaml:"-" json:"from,omitempty"`
}

type backendFile struct {
	Name    string         `yaml:"name"`
	Backend *BackendConfig `yaml:"backend"`
}

// ReadBackendConfig reads the backend configuration of the stack in
// stackDir. Files are read through a read-only sandbox at their directory.
func ReadBackendConfig(stackDir string) (BackendConfig, error) {
	cfg := BackendConfig{Type: BackendLocal}
	st, err := readBackendFile(filepath.Join(stackDir, "stack.yaml"))
	if err != nil {
		return cfg, err
	}
	stackName := st.Name
	if stackName == "" {
		stackName = filepath.Base(stackDir)
	}
	projectName := filepath.Base(filepath.Dir(stackDir))
	var pb *BackendConfig
	pfrom := ""
	for d := filepath.Dir(stackDir); ; d = filepath.Dir(d) {
		p := filepath.Join(d, "project.yaml")
		if _, err := os.Stat(p); err == nil {
			pf, err := readBackendFile(p)
			if err != nil {
				return cfg, err
			}
			projectName = filepath.Base(d)
			if pf.Name != "" {
				projectName = pf.Name
			}
			pb, pfrom = pf.Backend, p
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	switch {
	case st.Backend != nil:
		cfg, cfg.From = *st.Backend, filepath.Join(stackDir, "stack.yaml")
	case pb != nil:
		cfg, cfg.From = *pb, pfrom
	}
	if cfg.Type == "" {
		cfg.Type = BackendLocal
	}
	cfg.Stack = projectName + "/" + stackName
	return cfg, cfg.Validate()
}

// Validate checks the type and the numbers.
func (c BackendConfig) Validate() error {
	where := ""
	if c.From != "" {
		where = " (" + c.From + ")"
	}
	switch c.Type {
	case BackendLocal, BackendKubernetes:
	default:
		return fmt.Errorf("backend type %q%s: want local or kubernetes", c.Type, where)
	}
	if c.LeaseSeconds < 0 {
		return fmt.Errorf("backend leaseSeconds %d%s: want a positive number", c.LeaseSeconds, where)
	}
	return nil
}

func readBackendFile(path string) (backendFile, error) {
	var f backendFile
	fsys, err := sandbox.Open(filepath.Dir(path), sandbox.Policy{DenyReason: "Konfig files are only read"})
	if err != nil {
		return f, fmt.Errorf("read %s: %w", path, err)
	}
	defer fsys.Close()
	data, err := fsys.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read %s: %w", path, err)
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("parse %s: %w", path, err)
	}
	return f, nil
}

// OpenBackend returns the backend cfg selects for the stack in stackDir:
// the local store in stateDir (default stackDir/.konfig), or the stack's
// Secrets and Lease in the cluster of rc.
func OpenBackend(cfg BackendConfig, stackDir, stateDir string, rc *rest.Config) (state.Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Type == BackendLocal {
		if stateDir == "" {
			stateDir = filepath.Join(stackDir, ".konfig")
		}
		return state.NewStore(stateDir), nil
	}
	if rc == nil {
		return nil, errors.New("the kubernetes state backend needs a cluster configuration")
	}
	return kubestate.New(rc, kubestate.Config{Namespace: cfg.Namespace, Stack: cfg.Stack, LeaseDuration: time.Duration(cfg.LeaseSeconds) * time.Second})
}

// MigrateState copies the state of src to dst, holding both locks: a dst
// that already holds a state is refused unless force; the serial never goes
// back. It returns the state moved; removing what src keeps is the caller's.
func MigrateState(src, dst state.Backend, force bool) (*state.State, error) {
	srcLock, err := src.Lock("state migrate", false)
	if err != nil {
		return nil, err
	}
	defer srcLock.Release()
	dstLock, err := dst.Lock("state migrate", false)
	if err != nil {
		return nil, err
	}
	defer dstLock.Release()
	s, err := src.Load()
	if err != nil {
		return nil, err
	}
	if s.Serial == 0 {
		return nil, fmt.Errorf("%s holds no state: nothing to move", src)
	}
	old, err := dst.Load()
	if err != nil {
		return nil, err
	}
	if old.Serial > 0 && len(old.Resources) > 0 && !force {
		return nil, fmt.Errorf("%s already holds a state (serial %d, %d resources): --force replaces it", dst, old.Serial, len(old.Resources))
	}
	s.Serial = max(s.Serial, old.Serial)
	if err := dst.Save(s); err != nil {
		return nil, err
	}
	return s, nil
}
