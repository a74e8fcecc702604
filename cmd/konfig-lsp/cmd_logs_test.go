package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
)

// captureStderr runs fn with os.Stderr sent to a file and returns what was
// written there (klog, unrouted, writes there).
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = old }()
	fn()
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestClientGoLogsRouted runs preview against an unreachable API server:
// client-go logs its failed discovery through klog, which must neither write
// on the process's stderr nor show by default (the command's own error says
// it all), and with KONFIG_LOG_LEVEL=warn appears as a structured record.
func TestClientGoLogsRouted(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(specFile, []byte(configMapSpec(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kc, []byte(unreachableKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"preview", "--spec", specFile, "--kubeconfig", kc, "--state-dir", filepath.Join(dir, "state"), dir}
	const klogMsg = "Couldn't get current server API group list"
	for _, tc := range []struct {
		level  string
		want   []string
		absent []string
	}{
		{level: "", want: []string{"Error: preview:", "connection refused"}, absent: []string{klogMsg, "level="}},
		{level: "warn", want: []string{`level=WARN msg="` + klogMsg + `" source=client-go`, "Error: preview:"}},
	} {
		t.Run("level="+tc.level, func(t *testing.T) {
			t.Setenv(logLevelEnv, tc.level)
			var errOut string
			var code int
			loose := captureStderr(t, func() { _, errOut, code = execRoot(t, args...) })
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
			}
			if loose != "" {
				t.Errorf("written on the process's stderr, past the logger:\n%s", loose)
			}
			for _, s := range tc.want {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(errOut, s) {
					t.Errorf("stderr has %q:\n%s", s, errOut)
				}
			}
		})
	}
}

// configMapSpec is a spec of n ConfigMaps in the namespace default.
func configMapSpec(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- id: v1:ConfigMap:default:cm%d\n  type: Kubernetes\n  attributes: {apiVersion: v1, kind: ConfigMap, metadata: {name: cm%d, namespace: default}, data: {k: v}}\n", i, i)
	}
	return b.String()
}

// fakeAPIServer serves what preview and apply of ConfigMaps in the
// namespace default need: legacy discovery, the lists of namespaces and
// ConfigMaps (none of them), and server-side apply patches (echoing the
// object). onApply is called on the n-th real (not dry-run) apply, before the
// answer, with the request's context; false drops the request unanswered.
func fakeAPIServer(t *testing.T, onApply func(ctx context.Context, n int) bool) *httptest.Server {
	var mu sync.Mutex
	applies := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api":
			io.WriteString(w, `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/apis":
			io.WriteString(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1":
			io.WriteString(w, `{"kind":"APIResourceList","groupVersion":"v1","resources":[
				{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list","patch"]},
				{"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["get","list","patch","delete"]}]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces":
			io.WriteString(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"default"}}]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces/default/configmaps":
			io.WriteString(w, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[]}`)
		case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/v1/namespaces/default/configmaps/"):
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var obj map[string]any
			if err := json.Unmarshal(body, &obj); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if r.URL.Query().Get("dryRun") == "" {
				mu.Lock()
				applies++
				n := applies
				mu.Unlock()
				if !onApply(r.Context(), n) {
					return
				}
			}
			w.Write(body)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestApplyInterruptedSummary interrupts an apply of five ConfigMaps, one
// at a time, while the third is being applied (the server has not answered
// yet, as on Ctrl-C): the command says it was interrupted, counts the two
// created, the one cut off as failed, and the two it did not attempt.
func TestApplyInterruptedSummary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := fakeAPIServer(t, func(reqCtx context.Context, n int) bool {
		if n < 3 {
			return true
		}
		cancel()
		<-reqCtx.Done() // the client gave up on it
		return false
	})
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(specFile, []byte(configMapSpec(5)), 0o644); err != nil {
		t.Fatal(err)
	}
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`, srv.URL)
	if err := os.WriteFile(kc, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"apply", "--yes", "--max-concurrent", "1", "--spec", specFile, "--kubeconfig", kc, "--state-dir", filepath.Join(dir, "state"), dir})
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		t.Fatalf("apply succeeded; stdout:\n%s", stdout.String())
	}
	want := "Apply interrupted: 2 created, 0 updated, 0 deleted, 0 unchanged, 1 failed, 0 skipped, 2 not attempted\n"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
	}
	if got := stderr.String(); !strings.HasPrefix(got, "Error: apply: ") || !strings.HasSuffix(got, "context canceled\n") {
		t.Errorf("stderr %q, want the apply's cancellation", got)
	}
}

// TestRouteKlog checks the levels klog's records get in our logger (as
// serve's, at info): errors become warnings, infos debug records (left out
// at info), and nothing reaches the process's stderr.
func TestRouteKlog(t *testing.T) {
	var buf bytes.Buffer
	loose := captureStderr(t, func() {
		routeKlog(newLogger(&buf, slog.LevelInfo))
		klog.ErrorS(errors.New("dial tcp: refused"), "Couldn't get current server API group list")
		klog.Errorf("plain %s", "error")
		klog.Info("chatter")
		klog.Flush()
	})
	if loose != "" {
		t.Errorf("written on the process's stderr:\n%s", loose)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		// Drop the time: level=… msg=… and the rest.
		if _, rest, ok := strings.Cut(line, " "); ok {
			got = append(got, rest)
		}
	}
	want := []string{
		`level=WARN msg="Couldn't get current server API group list" source=client-go err="dial tcp: refused"`,
		`level=WARN msg="plain error" source=client-go`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
