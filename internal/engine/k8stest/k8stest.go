// Package k8stest starts a real, throwaway Kubernetes API server (etcd and
// kube-apiserver on loopback, through the repository's hack/k8s scripts) for
// integration tests.
//
// The tests run when KONFIG_K8S=1, or when KONFIG_K8S is unset and the
// binaries are already built (hack/setup.d/20-k8s.sh builds them before the
// test suite); KONFIG_K8S=0 skips them. With KONFIG_K8S=1 and no binaries,
// Start builds them (several minutes).
//
// KONFIG_K8S_KUBECONFIG=path uses a cluster that is already running instead
// (started by hand with hack/k8s/start.sh); it is not stopped.
//
// Use one cluster per test binary from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(k8stest.Main(m, &cluster)) }
//	…
//	c := cluster.Need(t)   // skips when no cluster could be started
//	rt, _ := kubernetes.New(kubernetes.Config{Kubeconfig: c.Kubeconfig})
//
// A cluster where workloads run (kube-controller-manager, kube-scheduler and
// kwok with fake nodes, so that Deployments become available, Services get
// endpoints and Jobs complete) is asked for before Main:
//
//	cluster.Controllers = true
//	os.Exit(k8stest.Main(m, &cluster))
//	…
//	c := cluster.NeedControllers(t) // skips when the cluster has none
//
// When those binaries are not built (and KONFIG_K8S is not 1), the cluster
// starts without them and NeedControllers skips; KONFIG_K8S_CONTROLLERS=0
// leaves them out too. A cluster given by KONFIG_K8S_KUBECONFIG counts as
// having them when KONFIG_K8S_CONTROLLERS=1.
package k8stest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Versions of the cluster binaries; hack/k8s/build.sh uses the same.
const (
	K8sVersion  = "v1.37.2"
	EtcdVersion = "v3.7.3"
)

// Cluster is a running test cluster.
type Cluster struct {
	// Kubeconfig is the admin kubeconfig path.
	Kubeconfig string
	// BinDir holds kube-apiserver, kubectl and etcd.
	BinDir string
	// RunDir holds the cluster's pids, logs and certificates.
	RunDir string
	// Skip is why no cluster runs (empty when it does).
	Skip string
	// Controllers asks Main for controllers, a scheduler and fake nodes (set
	// it before Main); after Main it says whether they run.
	Controllers bool
	// NoControllers is why a cluster asked for controllers has none.
	NoControllers string
}

// NeedControllers returns the cluster, or skips t when no cluster runs or
// it runs without controllers.
func (c *Cluster) NeedControllers(t testing.TB) *Cluster {
	t.Helper()
	c.Need(t)
	if !c.Controllers {
		reason := c.NoControllers
		if reason == "" {
			reason = "the cluster was not asked for controllers (set Cluster.Controllers before Main)"
		}
		t.Skip("Kubernetes integration test needs controllers and fake nodes: " + reason)
	}
	return c
}

// Need returns the cluster or skips t with the reason there is none.
func (c *Cluster) Need(t testing.TB) *Cluster {
	t.Helper()
	if c == nil || c.Skip != "" || c.Kubeconfig == "" {
		reason := "no cluster"
		if c != nil && c.Skip != "" {
			reason = c.Skip
		}
		t.Skip("Kubernetes integration test skipped: " + reason)
	}
	return c
}

// Kubectl is the path of the kubectl built with the cluster.
func (c *Cluster) Kubectl() string { return filepath.Join(c.BinDir, "kubectl") }

// RepoRoot walks up from the working directory to the directory of go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repo root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// BinDir returns where hack/k8s/build.sh caches the binaries.
func BinDir() string {
	root := os.Getenv("KONFIG_K8S_CACHE")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".cache", "konfig-lsp", "k8s")
	}
	return filepath.Join(root, K8sVersion+"-etcd"+strings.TrimPrefix(EtcdVersion, "v"), "bin")
}

// Binaries of the API server alone, and those the controllers add.
var (
	apiBinaries        = []string{"kube-apiserver", "kubectl", "etcd"}
	controllerBinaries = []string{"kube-controller-manager", "kube-scheduler", "kwok"}
)

func haveBinaries(dir string, names []string) bool {
	for _, b := range names {
		if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// Main starts a cluster into *c (or records in c.Skip why not), runs the
// tests, stops the cluster and returns the exit code for os.Exit.
func Main(m *testing.M, c *Cluster) int {
	if err := c.start(); err != nil {
		c.Skip = err.Error()
		var ns *notSelected
		if !errors.As(err, &ns) {
			// Asked for (KONFIG_K8S=1) or possible (the binaries are
			// built): a cluster that cannot start is a failure.
			fmt.Fprintf(os.Stderr, "k8stest: %v\n", err)
			return 1
		}
	}
	code := m.Run()
	c.stop()
	return code
}

func (c *Cluster) start() error {
	if kc := os.Getenv("KONFIG_K8S_KUBECONFIG"); kc != "" {
		// A cluster someone else started (e.g. hack/k8s/start.sh by hand).
		c.Kubeconfig = kc
		c.BinDir = BinDir()
		if c.Controllers && os.Getenv("KONFIG_K8S_CONTROLLERS") != "1" {
			c.Controllers = false
			c.NoControllers = "KONFIG_K8S_KUBECONFIG names a cluster without KONFIG_K8S_CONTROLLERS=1"
		}
		return nil
	}
	if c.Controllers && os.Getenv("KONFIG_K8S_CONTROLLERS") == "0" {
		c.Controllers = false
		c.NoControllers = "KONFIG_K8S_CONTROLLERS=0"
	}
	switch os.Getenv("KONFIG_K8S") {
	case "0":
		return &notSelected{"KONFIG_K8S=0"}
	case "1":
	default:
		if !haveBinaries(BinDir(), apiBinaries) {
			return &notSelected{"the cluster binaries are not built (run hack/k8s/build.sh, or set KONFIG_K8S=1)"}
		}
		if c.Controllers && !haveBinaries(BinDir(), controllerBinaries) {
			c.Controllers = false
			c.NoControllers = "kube-controller-manager, kube-scheduler or kwok is not built (run hack/k8s/build.sh, or set KONFIG_K8S=1)"
		}
	}
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	run, err := os.MkdirTemp("", "konfig-k8stest-")
	if err != nil {
		return fmt.Errorf("run dir: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack/k8s/start.sh"), run)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), "KONFIG_K8S_CONTROLLERS=0")
	if c.Controllers {
		cmd.Env = append(os.Environ(), "KONFIG_K8S_CONTROLLERS=1")
	}
	if out, err := cmd.Output(); err != nil {
		return fmt.Errorf("hack/k8s/start.sh: %w (%s)", err, strings.TrimSpace(string(out)))
	}
	env, err := readEnv(filepath.Join(run, "env"))
	if err != nil {
		return err
	}
	c.RunDir = run
	c.Kubeconfig = env["KUBECONFIG"]
	c.BinDir = env["K8S_BIN"]
	if c.Controllers && env["K8S_CONTROLLERS"] != "1" {
		return fmt.Errorf("hack/k8s/start.sh was asked for controllers but did not report them in %s", filepath.Join(run, "env"))
	}
	return nil
}

func (c *Cluster) stop() {
	if c.RunDir == "" {
		return
	}
	if root, err := RepoRoot(); err == nil {
		cmd := exec.Command("bash", filepath.Join(root, "hack/k8s/stop.sh"), c.RunDir)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "k8stest: stop: %v\n", err)
		}
	}
	os.RemoveAll(c.RunDir)
}

// notSelected says why the integration tests do not run (a skip, not a failure).
type notSelected struct{ why string }

func (e *notSelected) Error() string { return e.why }

func readEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read cluster env: %w", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env, sc.Err()
}
