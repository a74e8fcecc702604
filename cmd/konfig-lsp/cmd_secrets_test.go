package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
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

// TestEngineCommandsMaskSecrets runs preview (table and diff, JSON), apply
// and destroy on a Secret whose value changes and a Terraform account, and
// checks that no secret value reaches stdout, stderr (debug logs included)
// or the state file; the diff marks the changed value.
func TestEngineCommandsMaskSecrets(t *testing.T) {
	t.Setenv(logLevelEnv, "debug")
	kc := testutil.FakeSecretCluster(t, map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "creds", "namespace": "default", "uid": "1", "resourceVersion": "1"},
		"data":     map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(oldSecret)), "user": "YWRtaW4="}})
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	stateDir := filepath.Join(dir, "state")
	if err := os.WriteFile(specFile, []byte(secretSpec), 0o644); err != nil {
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
