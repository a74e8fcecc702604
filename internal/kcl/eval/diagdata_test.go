package eval

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// TestPolicyFailureData: a failed check, a failed assert, a missing
// required attribute and a value outside a literal union carry their code
// and arguments.
func TestPolicyFailureData(t *testing.T) {
	const head = `schema App:
    env: "dev" | "prod" = "dev"
    replicas: int = 1
    image: str
    tier: str = "web"
    check:
        replicas <= 10, "too many"
        tier in ["web", "db"]
        len(image) > 2
        not image.endswith(":latest")
        1 <= replicas <= 5 if env == "prod"

`
	for _, c := range []struct {
		name, src string
		code      diag.Code
		args      *diag.Args
	}{
		{"bound", head + `a = App {image = "nginx", replicas = 20}`, diag.PolicyCheck,
			&diag.Args{Schema: "App", Attribute: "replicas", Value: "20", Bound: "<= 10"}},
		{"call", head + `a = App {image = "x"}`, diag.PolicyCheck,
			&diag.Args{Schema: "App", Attribute: "image", Value: "'x'", Bound: "> 2"}},
		{"in", head + `a = App {image = "nginx", tier = "cache"}`, diag.PolicyCheck,
			&diag.Args{Schema: "App", Attribute: "tier", Value: "'cache'", Allowed: []string{`"web"`, `"db"`}}},
		{"method", head + `a = App {image = "nginx:latest"}`, diag.PolicyCheck,
			&diag.Args{Schema: "App", Attribute: "image", Value: "'nginx:latest'"}},
		{"chain", head + `a = App {image = "nginx", env = "prod", replicas = 8}`, diag.PolicyCheck,
			&diag.Args{Schema: "App", Attribute: "replicas", Value: "8", Bound: "1 <= replicas <= 5"}},
		{"missing", head + `a = App {}`, diag.MissingAttribute,
			&diag.Args{Schema: "App", Missing: []string{"image"}}},
		{"union", head + `a = App {image = "nginx", env = "stage"}`, diag.TypeMismatch,
			&diag.Args{Expected: `"dev" | "prod"`, Actual: "str", Allowed: []string{`"dev"`, `"prod"`}}},
		{"assert", `assert 1 > 2, "no"`, diag.AssertFailed, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := Run(ctx, Config{Files: []string{"/p/main.k"}, WorkDir: "/p", Overlay: map[string][]byte{"/p/main.k": []byte(c.src)}})
			var d *diag.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("error %v is not a diagnostic", err)
			}
			if d.Code != c.code {
				t.Errorf("code %q, want %q (%v)", d.Code, c.code, err)
			}
			if diff := cmp.Diff(c.args, d.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}
