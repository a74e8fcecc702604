package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// The secret values of the tests below, in clear and in base64.
const (
	oldSecret = "old-pw-value-456"
	newSecret = "new-pw-value-123"
	strToken  = "str-tok-value"
	tfPass    = "Kusion123456"
)

var cliCleartexts = []string{oldSecret, newSecret, strToken, tfPass,
	base64.StdEncoding.EncodeToString([]byte(oldSecret)), base64.StdEncoding.EncodeToString([]byte(newSecret))}

// secretSpec is a Secret in the namespace default whose password changes
// and which gains a stringData token, and a Terraform account.
var secretSpec = fmt.Sprintf(`- id: v1:Secret:default:creds
  type: Kubernetes
  attributes: {apiVersion: v1, kind: Secret, metadata: {name: creds, namespace: default}, data: {password: %s, user: YWRtaW4=}, stringData: {token: %s}}
- id: aliyun:alicloud:alicloud_rds_account:root
  type: Terraform
  attributes: {account_name: root, account_password: %s}
`, base64.StdEncoding.EncodeToString([]byte(newSecret)), strToken, tfPass)

// fakeSecretServer serves what preview, apply and destroy of Secrets in the
// namespace default need, holding one live Secret creds (password
// oldSecret): discovery, lists, get, server-side apply (echoing the object;
// a real apply replaces the live one) and delete.
func fakeSecretServer(t *testing.T) *httptest.Server {
	var mu sync.Mutex
	live := map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "creds", "namespace": "default", "uid": "1", "resourceVersion": "1"},
		"data":     map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(oldSecret)), "user": "YWRtaW4="}}
	const base = "/api/v1/namespaces/default/secrets"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api":
			io.WriteString(w, `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/apis":
			io.WriteString(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1":
			io.WriteString(w, `{"kind":"APIResourceList","groupVersion":"v1","resources":[
				{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list","patch"]},
				{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["get","list","patch","delete"]}]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces":
			io.WriteString(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"default"}}]}`)
		case r.Method == http.MethodGet && r.URL.Path == base:
			items := []any{}
			if live != nil {
				items = append(items, live)
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "SecretList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items})
		case r.Method == http.MethodGet && r.URL.Path == base+"/creds" && live != nil:
			json.NewEncoder(w).Encode(live)
		case r.Method == http.MethodPatch && r.URL.Path == base+"/creds":
			var obj map[string]any
			if err := json.NewDecoder(r.Body).Decode(&obj); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if r.URL.Query().Get("dryRun") == "" {
				live = obj
			}
			json.NewEncoder(w).Encode(obj)
		case r.Method == http.MethodDelete && r.URL.Path == base+"/creds":
			live = nil
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Success"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEngineCommandsMaskSecrets runs preview (table and diff, JSON), apply
// and destroy on a Secret whose value changes and a Terraform account, and
// checks that no secret value reaches stdout, stderr (debug logs included)
// or the state file; the diff marks the changed value.
func TestEngineCommandsMaskSecrets(t *testing.T) {
	t.Setenv(logLevelEnv, "debug")
	srv := fakeSecretServer(t)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	kc := filepath.Join(dir, "kubeconfig")
	stateDir := filepath.Join(dir, "state")
	if err := os.WriteFile(specFile, []byte(secretSpec), 0o644); err != nil {
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
	common := []string{"--kubeconfig", kc, "--state-dir", stateDir, dir}
	withSpec := append([]string{"--spec", specFile}, common...)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"preview -d", append([]string{"preview", "-d"}, withSpec...),
			[]string{"-  password: " + spec.Masked, "+  password: " + spec.MaskedChanged, "+  token: " + spec.MaskedChanged, "  user: " + spec.Masked, "Unsupported"}},
		{"preview -o json", append([]string{"preview", "-o", "json"}, withSpec...),
			[]string{`"password": "` + spec.MaskedChanged + `"`}},
		{"apply", append([]string{"apply", "--yes", "-d", "--exclude-type", "Terraform"}, withSpec...),
			[]string{"Apply: 0 created, 1 updated", "+  password: " + spec.MaskedChanged}},
		{"destroy", append([]string{"destroy", "--yes", "-d"}, common...),
			[]string{"-  password: " + spec.Masked, "Destroy: 0 created, 0 updated, 1 deleted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := execRoot(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			all := out + errOut
			if state, err := os.ReadFile(filepath.Join(stateDir, "state.json")); err == nil {
				all += string(state)
			}
			for _, c := range cliCleartexts {
				if strings.Contains(all, c) {
					t.Errorf("the output or the state holds %q:\nstdout:\n%s\nstderr:\n%s", c, out, errOut)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestCompileMaskSecrets: compile prints the intent as written (the
// artifact that --spec reads back); --mask-secrets masks it as preview
// does, --sensitive-attribute adding a name.
func TestCompileMaskSecrets(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "shop", "dev")
	clear, errOut, code := execRoot(t, "compile", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	masked, errOut, code := execRoot(t, "compile", dir, "--mask-secrets", "--sensitive-attribute", "db_host")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The Secret's values, as compile prints them without the flag.
	sp, err := spec.Parse([]byte(clear))
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, r := range sp.Resources {
		if r.Attributes["kind"] == "Secret" {
			for _, v := range r.Attributes["data"].(map[string]any) {
				values = append(values, v.(string))
			}
		}
	}
	if len(values) == 0 {
		t.Fatalf("no Secret data in the example's output:\n%s", clear)
	}
	for _, v := range values {
		if !strings.Contains(clear, v) {
			t.Errorf("compile without --mask-secrets lacks the Secret value %q", v)
		}
		if strings.Contains(masked, v) {
			t.Errorf("compile --mask-secrets shows the Secret value %q:\n%s", v, masked)
		}
	}
	for _, w := range []string{"DB_PASSWORD: " + spec.Masked, "name: DB_HOST\n", "value: " + spec.Masked, "value: postgres\n"} {
		if !strings.Contains(masked, w) {
			t.Errorf("compile --mask-secrets lacks %q:\n%s", w, masked)
		}
	}
	if !strings.Contains(clear, "postgres.shop-dev.svc") || strings.Contains(masked, "postgres.shop-dev.svc") {
		t.Errorf("--sensitive-attribute db_host does not mask the DB_HOST variable's value:\n%s", masked)
	}
}
