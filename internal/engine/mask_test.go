package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// leakyRuntime is a memRuntime whose real (not dry-run) apply of the ids in
// fail fails with an error of no particular class that quotes the
// resource's attributes, as a system's error may.
// With failDryRun, its dry-runs of those ids fail so too.
type leakyRuntime struct {
	*memRuntime
	fail       map[string]bool
	failDryRun bool
}

func (l *leakyRuntime) Apply(ctx context.Context, r spec.Resource, opts runtime.ApplyOptions) (map[string]any, error) {
	if (!opts.DryRun || l.failDryRun) && l.fail[r.ID] {
		return nil, fmt.Errorf("server error applying %v: %w", r.Attributes, errLeaky)
	}
	return l.memRuntime.Apply(ctx, r, opts)
}

var errLeaky = errors.New("connection reset")

// maskSpec holds a Terraform account whose password changes, a Terraform
// instance with nested and listed secrets and an extra sensitive name, a
// Secret whose value changes, and a Terraform resource whose apply fails
// with an error quoting its attributes.
const maskSpec = `
- id: tf:account
  type: Terraform
  attributes: {account_name: root, account_password: Kusion654321, account_type: Super}
- id: tf:instance
  type: Terraform
  attributes:
    name: db
    settings: {tier: small, admin_password: adm1n-pw-new}
    users: [{name: ci, auth_token: ghp_token_ci}]
    tokens: [tok-aaa-1, tok-bbb-2]
    customer_ssn: 123-45-6789
  extensions: {providerMeta: {region: cn-beijing, secret_key: prov-s3cr3t}}
- id: v1:Secret:demo:creds
  type: Kubernetes
  attributes: {apiVersion: v1, kind: Secret, metadata: {name: creds, namespace: demo}, data: {password: bmV3LXB3LXZhbA==}, stringData: {token: str-data-tok}}
- id: tf:failing
  type: Terraform
  attributes: {name: f, master_password: fail-pw-value}
`

// maskLive are the objects already live: the old values.
const maskLive = `
- id: v1:Namespace:demo
  type: Kubernetes
  attributes: {apiVersion: v1, kind: Namespace, metadata: {name: demo}}
- id: tf:account
  type: Terraform
  attributes: {account_name: root, account_password: Kusion123456, account_type: Super}
- id: tf:instance
  type: Terraform
  attributes:
    name: db
    settings: {tier: small, admin_password: adm1n-pw-old}
    users: [{name: ci, auth_token: ghp_token_ci}]
    tokens: [tok-aaa-1, tok-old-0]
    customer_ssn: 123-45-6789
- id: v1:Secret:demo:creds
  type: Kubernetes
  attributes: {apiVersion: v1, kind: Secret, metadata: {name: creds, namespace: demo}, data: {password: b2xkLXB3LXZhbA==}}
`

var maskCleartexts = []string{
	"Kusion654321", "Kusion123456", "adm1n-pw-new", "adm1n-pw-old", "ghp_token_ci", "tok-aaa-1", "tok-bbb-2", "tok-old-0",
	"123-45-6789", "prov-s3cr3t", "bmV3LXB3LXZhbA==", "new-pw-val", "b2xkLXB3LXZhbA==", "old-pw-val", "str-data-tok", "fail-pw-value",
}

// TestMaskedOutputs previews and applies maskSpec over maskLive on an
// in-memory runtime for both types, with "ssn" as an extra sensitive name,
// and checks that no sensitive value appears in any output: the changes
// (JSON), the table, the diff, the events, the apply's error, the state
// file and the logs; and that the changed values are marked as changed.
func TestMaskedOutputs(t *testing.T) {
	ctx := context.Background()
	var live []spec.Resource
	sp, err := spec.Parse([]byte(maskSpec))
	if err != nil {
		t.Fatal(err)
	}
	if lsp, err := spec.Parse([]byte(maskLive)); err != nil {
		t.Fatal(err)
	} else {
		live = lsp.Resources
	}
	mem := &memRuntime{live: map[string]map[string]any{}}
	for _, r := range live {
		mem.live[r.ID] = r.Attributes
	}
	rt := &leakyRuntime{memRuntime: mem, fail: map[string]bool{"tf:failing": true}}
	var logs bytes.Buffer
	stateDir := t.TempDir()
	eng := engine.New(engine.Config{StackDir: t.TempDir(), StateDir: stateDir,
		Runtimes:  runtime.Registry{spec.Kubernetes: rt, spec.Terraform: rt},
		Logger:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sensitive: spec.NewMatcher("ssn"),
	})
	var out bytes.Buffer
	ch, err := eng.Preview(ctx, sp, engine.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := ch.JSON()
	if err != nil {
		t.Fatal(err)
	}
	out.Write(data)
	if err := engine.WriteTable(&out, "demo", ch); err != nil {
		t.Fatal(err)
	}
	var diff bytes.Buffer
	if err := engine.WriteDiff(&diff, ch, false); err != nil {
		t.Fatal(err)
	}
	out.Write(diff.Bytes())
	for _, want := range []string{
		"+account_password: <sensitive, changed>", "-account_password: <sensitive>",
		"+  admin_password: <sensitive, changed>",
		"+  password: <sensitive, changed>",
		"+  token: <sensitive, changed>",                               // stringData: absent from the live object
		"  - <sensitive>\n-  - <sensitive>\n+  - <sensitive, changed>", // tokens: the second changed
	} {
		if !strings.Contains(diff.String(), want) {
			t.Errorf("the diff lacks %q:\n%s", want, diff.String())
		}
	}
	var mu sync.Mutex
	res, err := eng.Apply(ctx, sp, ch, engine.ApplyOptions{OnEvent: func(e engine.Event) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&out, "%s %s %s %s %v\n", e.Type, e.Action, e.ID, e.Message, e.Err)
	}})
	if err == nil {
		t.Fatal("apply succeeded; tf:failing should fail")
	}
	if !errors.Is(err, errLeaky) {
		t.Errorf("the apply's error %v does not unwrap to the runtime's", err)
	}
	fmt.Fprintf(&out, "%v\n%s\n", err, res.Summary())
	state, err := os.ReadFile(filepath.Join(stateDir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	out.Write(state)
	out.Write(logs.Bytes())
	for _, c := range maskCleartexts {
		if strings.Contains(out.String(), c) {
			t.Errorf("the outputs hold %q:\n%s", c, out.String())
		}
	}
	if !strings.Contains(out.String(), "master_password:"+spec.Masked) {
		t.Errorf("the failed apply's error does not show the masked value:\n%s", out.String())
	}
}

// TestPreviewErrorMasked: a dry-run that fails with an error quoting the
// resource's attributes (no rejection: the preview stops) does not show its
// sensitive values, and the error still unwraps to the runtime's.
func TestPreviewErrorMasked(t *testing.T) {
	sp, err := spec.Parse([]byte(maskSpec))
	if err != nil {
		t.Fatal(err)
	}
	rt := &leakyRuntime{memRuntime: &memRuntime{live: map[string]map[string]any{}}, fail: map[string]bool{"tf:failing": true}, failDryRun: true}
	eng := engine.New(engine.Config{StackDir: t.TempDir(), Runtimes: runtime.Registry{spec.Kubernetes: rt, spec.Terraform: rt}})
	_, err = eng.Preview(context.Background(), sp, engine.PreviewOptions{})
	if err == nil || !errors.Is(err, errLeaky) {
		t.Fatalf("preview error %v, want the runtime's", err)
	}
	if strings.Contains(err.Error(), "fail-pw-value") || !strings.Contains(err.Error(), "master_password:"+spec.Masked) {
		t.Errorf("preview error %q shows the password or not its mask", err)
	}
}
