package preview

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	// The module's one -update flag, so that `go test ./... -update` runs here too.
	_ "github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// wordpress is the Terraform account and the Secret of the Konfig
// wordpress stack (appops/wordpress/dev), with a Deployment.
const wordpress = `
- id: aliyun:alicloud:alicloud_rds_account:root
  type: Terraform
  attributes: {account_name: root, account_password: Kusion123456, account_type: Super}
- id: v1:Secret:wordpress-example:mysql-pass
  type: Kubernetes
  attributes: {apiVersion: v1, kind: Secret, metadata: {name: mysql-pass, namespace: wordpress-example}, data: {password: S3VzaW9uMTIzNDU2}, type: Opaque}
- id: apps/v1:Deployment:wordpress-example:wordpress-deployment
  type: Kubernetes
  attributes: {apiVersion: apps/v1, kind: Deployment, metadata: {name: wordpress-deployment, namespace: wordpress-example},
    spec: {template: {spec: {containers: [{name: wordpress, image: "wordpress:4.8-apache", env: [{name: WORDPRESS_DB_USER, value: root}]}]}}}}
`

// TestYAMLMasksSecrets: the rendered resources show neither the Terraform
// password nor the Secret's value, and mark where they are.
func TestYAMLMasksSecrets(t *testing.T) {
	sp, err := spec.Parse([]byte(wordpress))
	if err != nil {
		t.Fatal(err)
	}
	text := YAML(sp.Resources, spec.Matcher{})
	for _, c := range []string{"Kusion123456", "S3VzaW9uMTIzNDU2"} {
		if strings.Contains(text, c) {
			t.Errorf("the preview shows %q:\n%s", c, text)
		}
	}
	for _, w := range []string{"account_password: " + spec.Masked, "password: " + spec.Masked, "account_name: root", "image: wordpress:4.8-apache"} {
		if !strings.Contains(text, w) {
			t.Errorf("the preview lacks %q:\n%s", w, text)
		}
	}
	if text2 := YAML(sp.Resources, spec.NewMatcher("account_name")); !strings.Contains(text2, "account_name: "+spec.Masked) {
		t.Errorf("an extra sensitive name is not masked:\n%s", text2)
	}
}

// TestFieldsWithValueSkipsSecrets: provenance finds ordinary values, in a
// Secret too, and never a sensitive one.
func TestFieldsWithValueSkipsSecrets(t *testing.T) {
	sp, err := spec.Parse([]byte(wordpress))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want any
		out  []Field
	}{
		{"Kusion123456", nil},
		{"S3VzaW9uMTIzNDU2", nil},
		{spec.Masked, nil},
		{"mysql-pass", []Field{{ID: "v1:Secret:wordpress-example:mysql-pass", Path: "metadata.name"}}},
		{"root", []Field{{ID: "aliyun:alicloud:alicloud_rds_account:root", Path: "account_name"},
			{ID: "apps/v1:Deployment:wordpress-example:wordpress-deployment", Path: "spec.template.spec.containers[0].env[0].value"}}},
	} {
		if diff := cmp.Diff(tc.out, FieldsWithValue(sp.Resources, tc.want, spec.Matcher{})); diff != "" {
			t.Errorf("FieldsWithValue(%v) (-want +got):\n%s", tc.want, diff)
		}
	}
}
