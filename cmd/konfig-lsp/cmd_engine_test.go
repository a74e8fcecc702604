package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// engineSpec holds only resources of a type with no runtime, so preview and
// apply never reach the (absent) cluster.
const engineSpec = `- id: tf:vpc
  type: Terraform
  attributes: {cidr: 10.0.0.0/16}
- id: tf:db
  type: Terraform
  attributes: {vpc: $kusion_path.tf:vpc.id}
`

// unreachableKubeconfig points at a closed loopback port.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`

// TestEngineCommandsLeaveOutTypes checks the commands' handling of types
// with no runtime: preview lists them as Unsupported, apply refuses before
// asking and names them, apply --exclude-type applies the rest and counts
// them as excluded.
func TestEngineCommandsLeaveOutTypes(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(specFile, []byte(engineSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kc, []byte(unreachableKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--spec", specFile, "--kubeconfig", kc, "--state-dir", filepath.Join(dir, "state"), dir}
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings
		stderr   []string
		noStdout []string
	}{
		{
			name:   "preview lists them",
			args:   []string{"preview"},
			stdout: []string{"tf:vpc  Unsupported  type Terraform has no runtime", "tf:db   Unsupported", "--exclude-type Terraform applies the rest"},
		},
		{
			name:     "apply refuses before asking",
			args:     []string{"apply"},
			code:     1,
			stderr:   []string{"apply refused: 2 resources have a type with no runtime (Terraform)", "tf:vpc", "tf:db", "--exclude-type Terraform"},
			noStdout: []string{"Apply these changes?"},
		},
		{
			name:   "apply --exclude-type applies the rest",
			args:   []string{"apply", "--yes", "--exclude-type", "Terraform"},
			stdout: []string{"tf:vpc  Excluded", "2 excluded (type Terraform): not applied", "tf:db: not applied (type Terraform excluded)", "Apply: 0 created, 0 updated, 0 deleted, 0 unchanged, 2 excluded"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := execRoot(t, append(tc.args, common...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			for _, s := range tc.noStdout {
				if strings.Contains(out, s) {
					t.Errorf("stdout has %q:\n%s", s, out)
				}
			}
		})
	}
}
