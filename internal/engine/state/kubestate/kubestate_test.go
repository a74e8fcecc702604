package kubestate_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state/kubestate"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

var cluster k8stest.Cluster

// holderEnv makes the test binary a lock holder: it takes the lock of the
// stack named by the variable, prints "locked" and waits to be killed.
const holderEnv = "KONFIG_KUBESTATE_TEST_HOLDER"

func TestMain(m *testing.M) {
	if stack := os.Getenv(holderEnv); stack != "" {
		os.Exit(holdLock(stack))
	}
	os.Exit(k8stest.Main(m, &cluster))
}

func restConfig(t *testing.T) *rest.Config {
	t.Helper()
	c := cluster.Need(t)
	rc, err := kubernetes.RESTConfig(kubernetes.Config{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

const testLease = 3 * time.Second

func newBackend(t *testing.T, rc *rest.Config, ns, stack string) *kubestate.Backend {
	t.Helper()
	b, err := kubestate.New(rc, kubestate.Config{Namespace: ns, Stack: stack, LeaseDuration: testLease})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func holdLock(stack string) int {
	rc, err := kubernetes.RESTConfig(kubernetes.Config{Kubeconfig: os.Getenv("HOLDER_KUBECONFIG")})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	b, err := kubestate.New(rc, kubestate.Config{Namespace: os.Getenv("HOLDER_NS"), Stack: stack, LeaseDuration: testLease})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if _, err := b.Lock("apply", false); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	select {} // until killed
}

// stateSecrets returns the data of the state Secrets in ns, by name.
func stateSecrets(t *testing.T, rc *rest.Config, ns string) map[string][]byte {
	t.Helper()
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=konfig-lsp"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, it := range list.Items {
		data, _ := it.Object["data"].(map[string]any)
		for _, v := range data {
			raw, _ := base64.StdEncoding.DecodeString(v.(string))
			out[it.GetName()] = raw
		}
	}
	return out
}

func uniqueNS(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
}

// TestSaveLoadChunks saves a small and a large state (several chunks) and
// reads them back; the chunks of an earlier serial are deleted.
func TestSaveLoadChunks(t *testing.T) {
	rc := restConfig(t)
	ns := uniqueNS("state")
	b := newBackend(t, rc, ns, "shop/dev")
	empty, err := b.Load()
	if err != nil || empty.Serial != 0 || len(empty.Resources) != 0 {
		t.Fatalf("Load of nothing = %+v, %v; want an empty state", empty, err)
	}
	small := &state.State{}
	small.Put(state.Resource{Resource: spec.Resource{ID: "v1:ConfigMap:a:b", Type: spec.Kubernetes, Attributes: map[string]any{"kind": "ConfigMap"}}})
	if err := b.Save(small); err != nil {
		t.Fatal(err)
	}
	got, err := b.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(small, got); diff != "" {
		t.Errorf("Load after Save (-saved +loaded):\n%s", diff)
	}

	// Random data in hex compresses to half: 3 MB of it needs 3 chunks.
	big := &state.State{}
	for i := 0; i < 60; i++ {
		buf := make([]byte, 25_000)
		rand.Read(buf)
		big.Put(state.Resource{Resource: spec.Resource{ID: fmt.Sprintf("v1:ConfigMap:a:big-%d", i), Type: spec.Kubernetes,
			Attributes: map[string]any{"data": map[string]any{"blob": hex.EncodeToString(buf)}}}})
	}
	if err := b.Save(big); err != nil {
		t.Fatal(err)
	}
	if n := len(stateSecrets(t, rc, ns)); n < 3 {
		t.Errorf("a 3 MB state is kept in %d Secrets, want at least 3", n)
	}
	if got, err = b.Load(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(big, got); diff != "" {
		t.Errorf("Load of the chunked state (-saved +loaded):\n%s", diff)
	}
	if err := b.Save(got); err != nil { // unchanged: same chunks
		t.Fatal(err)
	}
	if got, err = b.Load(); err != nil || len(got.Resources) != 60 {
		t.Fatalf("Load after saving the same state: %d resources, %v", len(got.Resources), err)
	}
	if err := b.Save(small); err != nil {
		t.Fatal(err)
	}
	if n := len(stateSecrets(t, rc, ns)); n != 1 {
		t.Errorf("after a small save, %d state Secrets remain, want 1", n)
	}
	if got, _ = b.Load(); len(got.Resources) != 1 {
		t.Errorf("after the small save: %d resources", len(got.Resources))
	}
}

// TestLockHeldRefusedAndLapses: a lock held by another process refuses the
// lock with the holder's name; once the holder is killed -9, its Lease
// lapses and the lock can be taken; --force-unlock takes it at once.
func TestLockHeldRefusedAndLapses(t *testing.T) {
	rc := restConfig(t)
	ns := uniqueNS("lock")
	stack := "shop/prod"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+stack, "HOLDER_NS="+ns, "HOLDER_KUBECONFIG="+cluster.Kubeconfig)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		t.Fatalf("the holder says %q, %v", line, err)
	}
	b := newBackend(t, rc, ns, stack)
	_, err = b.Lock("apply", false)
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid || le.Holder.Operation != "apply" || le.Expires.IsZero() {
		t.Fatalf("Lock while another process holds it: %v; want a LockedError naming pid %d", err, cmd.Process.Pid)
	}
	t.Logf("refused: %v", err)
	// The holder renews: after more than a lease duration it still holds.
	renewed := time.Now().Add(testLease + time.Second)
	for time.Now().Before(renewed) {
		if _, err := b.Lock("apply", false); !errors.As(err, &le) {
			t.Fatalf("the holder's lock lapsed while it was alive and renewing: %v", err)
		}
	}
	cmd.Process.Kill() // SIGKILL: no release
	cmd.Wait()
	deadline := time.Now().Add(4 * testLease)
	var lock *state.Lock
	for lock == nil {
		lock, err = b.Lock("apply", false)
		if err != nil && !errors.As(err, &le) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dead holder's lock did not lapse in %s: %v", 4*testLease, err)
		}
	}
	// Held by us now: another backend is refused, force takes it.
	other := newBackend(t, rc, ns, stack)
	if _, err := other.Lock("destroy", false); !errors.As(err, &le) || le.Holder.PID != os.Getpid() {
		t.Errorf("Lock while this process holds it: %v", err)
	}
	if err := other.ForceUnlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := other.Lock("destroy", false)
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	l2.Release()
	lock.Release() // the Lease is no longer ours: nothing to delete
}

// TestEngineSharedState applies a stack with a Secret through the
// kubernetes backend: a second engine (another machine: no local state)
// sees the applied state and previews no change; the state Secrets never
// hold the Secret's value; destroy through the second engine removes all.
func TestEngineSharedState(t *testing.T) {
	rc := restConfig(t)
	stateNS := uniqueNS("konfig-state")
	appNS := uniqueNS("app")
	const password = "Kusion123456-shared"
	nsID := "v1:Namespace:" + appNS
	sp := &spec.Spec{Resources: []spec.Resource{
		{ID: nsID, Type: spec.Kubernetes, Attributes: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": appNS}}},
		{ID: "v1:ConfigMap:" + appNS + ":cfg", Type: spec.Kubernetes, DependsOn: []string{nsID}, Attributes: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "cfg", "namespace": appNS}, "data": map[string]any{"a": "b"}}},
		{ID: "v1:Secret:" + appNS + ":db", Type: spec.Kubernetes, DependsOn: []string{nsID}, Attributes: map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": "db", "namespace": appNS}, "stringData": map[string]any{"password": password}}},
	}}
	newEngine := func() *engine.Engine {
		kube, err := kubernetes.NewForConfig(rc, nil)
		if err != nil {
			t.Fatal(err)
		}
		backend, err := engine.OpenBackend(engine.BackendConfig{Type: engine.BackendKubernetes, Namespace: stateNS, Stack: "shop/dev"}, t.TempDir(), "", rc)
		if err != nil {
			t.Fatal(err)
		}
		return engine.New(engine.Config{StackDir: t.TempDir(), Runtimes: runtime.Registry{spec.Kubernetes: kube}, Backend: backend})
	}
	ctx := context.Background()
	first := newEngine()
	res, err := first.Apply(ctx, sp, nil, engine.ApplyOptions{})
	if err != nil || res.Created != 3 {
		t.Fatalf("apply: %v, %+v", err, res)
	}
	second := newEngine()
	ch, err := second.Preview(ctx, sp, engine.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ch.HasChanges() || ch.Count(engine.UnChanged) != 3 {
		t.Errorf("the second machine's preview: %d unchanged, changes %v; want 3 unchanged", ch.Count(engine.UnChanged), ch.HasChanges())
	}
	for name, data := range stateSecrets(t, rc, stateNS) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plain, _ := io.ReadAll(zr)
		if bytes.Contains(plain, []byte(password)) || bytes.Contains(plain, []byte(base64.StdEncoding.EncodeToString([]byte(password)))) {
			t.Errorf("state Secret %s holds the Secret's value in clear", name)
		}
		if !bytes.Contains(plain, []byte("v1:Secret:"+appNS+":db")) {
			t.Errorf("state Secret %s does not record the Secret resource", name)
		}
	}
	if _, err := second.Destroy(ctx, engine.DestroyOptions{}); err != nil {
		t.Fatalf("destroy from the second machine: %v", err)
	}
	st, err := first.Backend().Load()
	if err != nil || len(st.Resources) != 0 {
		t.Errorf("state after destroy: %d resources, %v", len(st.Resources), err)
	}
}

// TestMigrate moves a local state into the cluster: the same resources and
// a serial that does not go back; a second move onto a held state is
// refused without force.
func TestMigrate(t *testing.T) {
	rc := restConfig(t)
	ns := uniqueNS("migrate")
	local := state.NewStore(t.TempDir())
	s := &state.State{}
	for i := 0; i < 3; i++ {
		s.Put(state.Resource{Resource: spec.Resource{ID: fmt.Sprintf("v1:ConfigMap:a:m%d", i), Type: spec.Kubernetes, Attributes: map[string]any{"kind": "ConfigMap"}}})
	}
	for i := 0; i < 4; i++ { // serial 4
		if err := local.Save(s); err != nil {
			t.Fatal(err)
		}
	}
	kube := newBackend(t, rc, ns, "shop/migrate")
	moved, err := engine.MigrateState(local, kube, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := kube.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 5 || len(got.Resources) != 3 || moved.Serial != 5 {
		t.Errorf("after migrate: serial %d, %d resources; want serial 5 and 3", got.Serial, len(got.Resources))
	}
	if _, err := engine.MigrateState(local, kube, false); err == nil || !strings.Contains(err.Error(), "already holds a state") {
		t.Errorf("a second migrate onto a held state: %v; want a refusal", err)
	}
	if _, err := engine.MigrateState(local, kube, true); err != nil {
		t.Errorf("migrate --force: %v", err)
	}
	if _, err := engine.MigrateState(state.NewStore(t.TempDir()), kube, true); err == nil || !strings.Contains(err.Error(), "nothing to move") {
		t.Errorf("migrate of an empty state: %v", err)
	}
}
