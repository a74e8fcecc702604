package lsp

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// secretStack is a workspace with one stack whose resources hold secrets: a
// Terraform account (account_password, a nested admin_password, tokens in a
// list, a customer_ssn that only the sensitiveAttributes setting makes
// sensitive) and a Kubernetes Secret (data and stringData).
var secretStack = map[string]string{
	"kcl.mod":               "[package]\nname = \"secrets\"\n",
	"app/project.yaml":      "name: app\n",
	"app/dev/stack.yaml":    "name: dev\n",
	"app/dev/kcl.yaml":      "kcl_cli_configs:\n  file:\n    - main.k\n",
	"app/dev/ci-test/.keep": "",
	"app/dev/main.k": `import manifests

schema Account:
    name: str
    password: str

account: Account {
    name = "root"
    password = "Kusion123456"
}

_resources = [
    {
        id = "aliyun:alicloud:alicloud_rds_account:account"
        type = "Terraform"
        attributes = {
            account_name = account.name
            account_password = account.password
            settings = {tier = "small", admin_password = "adm1n-pw-xyz"}
            tokens = ["tok-aaa-111", "tok-bbb-222"]
            customer_ssn = "123-45-6789"
        }
    }
    {
        id = "v1:Secret:demo:account-db"
        type = "Kubernetes"
        attributes = {
            apiVersion = "v1"
            kind = "Secret"
            metadata = {name = "account-db", namespace = "demo"}
            data = {password = "S3VzaW9uMTIzNDU2"}
            stringData = {user = account.name, password = account.password}
        }
    }
]
manifests.yaml_stream(_resources)
`,
}

// secretCleartexts are the secret values of secretStack ("123-45-6789" is
// checked separately: it is sensitive only by the setting).
var secretCleartexts = []string{"Kusion123456", "S3VzaW9uMTIzNDU2", "adm1n-pw-xyz", "tok-aaa-111", "tok-bbb-222"}

// TestSecretsMaskedInHoverAndPreview runs, over JSON-RPC, the hover preview
// of an instance, the hover on a secret value and konfig.preview on a stack
// with a Terraform password, nested and listed secrets and a Secret; none
// shows a secret value. The sensitiveAttributes setting adds a name.
func TestSecretsMaskedInHoverAndPreview(t *testing.T) {
	dir := writeFiles(t, secretStack)
	applied := make(chan struct{}, 4)
	s := startSession(t, dir, Options{onSettings: func() { applied <- struct{}{} }})
	u, src := s.open("app/dev/main.k")
	arg, _ := json.Marshal(string(u))

	check := func(t *testing.T, what, text string, want []string, ssnMasked bool) {
		t.Helper()
		for _, c := range secretCleartexts {
			if strings.Contains(text, c) {
				t.Errorf("%s shows the secret %q:\n%s", what, c, text)
			}
		}
		if got := strings.Contains(text, "123-45-6789"); got == ssnMasked {
			t.Errorf("%s: customer_ssn shown %v, want %v:\n%s", what, got, !ssnMasked, text)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, text)
			}
		}
	}
	run := func(t *testing.T, ssnMasked bool) {
		h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: tdp(u, findPos(t, src, "account: Account", 2))})
		if err != nil {
			t.Fatal(err)
		}
		check(t, "the instance's hover preview", hoverText(h), []string{"account_password: " + spec.Masked, "admin_password: " + spec.Masked,
			"- " + spec.Masked, "password: " + spec.Masked, "tier: small", "account_name: root", "kind: Secret"}, ssnMasked)

		h, err = s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: tdp(u, findPos(t, src, `password = "Kusion`, 2))})
		if err != nil {
			t.Fatal(err)
		}
		check(t, "the hover on the password", hoverText(h), nil, true) // no resources: no ssn either
		if strings.Contains(hoverText(h), "Output fields with this value") {
			t.Errorf("the hover on a secret value lists output fields:\n%s", hoverText(h))
		}

		raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdPreview, Arguments: []protocol.LSPAny{arg}})
		if err != nil {
			t.Fatal(err)
		}
		var res commandResult
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		check(t, "konfig.preview", res.Text, []string{"account_password: " + spec.Masked, "user: " + spec.Masked, "id: v1:Secret:demo:account-db"}, ssnMasked)
	}
	t.Run("defaults", func(t *testing.T) { run(t, false) })

	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{
		Settings: protocol.LSPAny(`{"konfig": {"sensitiveAttributes": ["ssn"]}}`)}); err != nil {
		t.Fatal(err)
	}
	<-applied
	t.Run("sensitiveAttributes", func(t *testing.T) { run(t, true) })
}

// TestSecretsMaskedInEngineCommands runs konfig.diff, konfig.apply and
// konfig.destroy over JSON-RPC on secretStack against a fake API server
// holding the Secret with an older value (the Terraform type excluded by
// the settings): neither the texts, the summaries, the questions asked nor
// the state show a secret value, and the diff marks the changed one.
func TestSecretsMaskedInEngineCommands(t *testing.T) {
	const oldValue = "old-pw-value-456"
	kc := testutil.FakeSecretCluster(t, map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "account-db", "namespace": "demo", "uid": "1", "resourceVersion": "1"},
		"data":     map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(oldValue))}})
	dir := writeFiles(t, secretStack)
	applied := make(chan struct{}, 4)
	tc := &testClient{}
	s := startSessionWith(t, dir, Options{onSettings: func() { applied <- struct{}{} }}, tc, protocol.ClientCapabilities{})
	settings, _ := json.Marshal(map[string]any{"konfig": map[string]any{"kubeconfig": kc, "excludeTypes": []string{"Terraform"}}})
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{Settings: protocol.LSPAny(settings)}); err != nil {
		t.Fatal(err)
	}
	<-applied
	u, _ := s.open("app/dev/main.k")
	arg, _ := json.Marshal(string(u))
	leaks := append([]string{oldValue, base64.StdEncoding.EncodeToString([]byte(oldValue))}, secretCleartexts...)
	for _, step := range []struct {
		cmd  string
		want []string
	}{
		{cmdDiff, []string{"-  password: " + spec.Masked, "+  password: " + spec.MaskedChanged, "+  user: " + spec.MaskedChanged, "Excluded"}},
		{cmdApply, []string{"v1:Secret:demo:account-db", "Update"}},
		{cmdDestroy, []string{"v1:Secret:demo:account-db", "Delete"}},
	} {
		raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: step.cmd, Arguments: []protocol.LSPAny{arg}})
		if err != nil {
			t.Fatalf("%s: %v", step.cmd, err)
		}
		var res commandResult
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		text := res.Text + "\n" + res.Summary
		for _, c := range leaks {
			if strings.Contains(text, c) {
				t.Errorf("%s shows the secret %q:\n%s", step.cmd, c, text)
			}
		}
		for _, w := range step.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", step.cmd, w, text)
			}
		}
	}
	state, err := os.ReadFile(filepath.Join(dir, "app", "dev", ".konfig", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	asked := strings.Join(tc.Asked(), "\n")
	if !strings.Contains(asked, "Apply stack app/dev?") || !strings.Contains(asked, "Destroy stack app/dev?") {
		t.Errorf("the apply and destroy questions were not asked:\n%s", asked)
	}
	for _, c := range leaks {
		if strings.Contains(asked+string(state), c) {
			t.Errorf("a question or the state shows the secret %q:\n%s\n%s", c, asked, state)
		}
	}
}
