package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// The cleartext values of the cases below: none may survive masking.
var cleartexts = []string{"Kusion123456", "S3VzaW9uMTIzNDU2", "hunter2-plain", "adm1n-pw", "tok-1", "tok-2", "ghp_abcdef", "s3cr3t-key", "AKIA-PROVIDER", "env-db-pw", "1234567"}

func yamlMap(t *testing.T, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	if m == nil {
		return nil
	}
	return Plain(m).(map[string]any)
}

// TestMask runs the one masking function over a table of resources: a
// Kubernetes Secret (data, stringData), a Terraform resource with
// account_password, a nested secret attribute, tokens in a list and in list
// items, a container env variable, extensions; and resources with nothing
// sensitive, which come back as they were.
func TestMask(t *testing.T) {
	for _, tc := range []struct {
		name, typ   string
		attrs, want string
		ext, extOut string
	}{
		{
			name:  "k8s Secret data and stringData",
			typ:   Kubernetes,
			attrs: `{apiVersion: v1, kind: Secret, metadata: {name: mysql-pass}, type: Opaque, data: {password: S3VzaW9uMTIzNDU2}, stringData: {plain: hunter2-plain}}`,
			want:  `{apiVersion: v1, kind: Secret, metadata: {name: mysql-pass}, type: Opaque, data: {password: <sensitive>}, stringData: {plain: <sensitive>}}`,
		},
		{
			name:  "k8s Secret last-applied annotation",
			typ:   Kubernetes,
			attrs: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"S3VzaW9uMTIzNDU2"}}', team: a}}}`,
			want:  `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {kubectl.kubernetes.io/last-applied-configuration: <sensitive>, team: a}}}`,
		},
		{
			name:  "k8s ConfigMap entries with a sensitive key",
			typ:   Kubernetes,
			attrs: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {token: t1}}, data: {DB_PASSWORD: hunter2-plain, LOG_LEVEL: debug}, binaryData: {api_key: czNjcjN0LWtleQ==}}`,
			want:  `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {token: t1}}, data: {DB_PASSWORD: <sensitive>, LOG_LEVEL: debug}, binaryData: {api_key: <sensitive>}}`,
		},
		{
			name:  "k8s keys elsewhere are not looked at",
			typ:   Kubernetes,
			attrs: `{apiVersion: example.com/v1, kind: ConfigMap, data: {password: p1}, spec: {token: t1, secret: {name: s}}}`,
			want:  `{apiVersion: example.com/v1, kind: ConfigMap, data: {password: p1}, spec: {token: t1, secret: {name: s}}}`,
		},
		{
			name: "k8s container env variable",
			typ:  Kubernetes,
			attrs: `{apiVersion: apps/v1, kind: Deployment, spec: {template: {spec: {containers: [{name: app, env: [
				{name: WORDPRESS_DB_PASSWORD, value: env-db-pw}, {name: WORDPRESS_DB_HOST, value: db},
				{name: DB_PASSWORD_REF, valueFrom: {secretKeyRef: {name: mysql-pass, key: password}}}]}]}}}}`,
			want: `{apiVersion: apps/v1, kind: Deployment, spec: {template: {spec: {containers: [{name: app, env: [
				{name: WORDPRESS_DB_PASSWORD, value: <sensitive>}, {name: WORDPRESS_DB_HOST, value: db},
				{name: DB_PASSWORD_REF, valueFrom: {secretKeyRef: {name: mysql-pass, key: password}}}]}]}}}}`,
		},
		{
			name:  "Terraform account_password",
			typ:   Terraform,
			attrs: `{account_name: root, account_password: Kusion123456, account_type: Super, db_instance_id: "$kusion_path.aliyun:alicloud:alicloud_db_instance:x.id"}`,
			want:  `{account_name: root, account_password: <sensitive>, account_type: Super, db_instance_id: "$kusion_path.aliyun:alicloud:alicloud_db_instance:x.id"}`,
		},
		{
			name:  "Terraform nested attribute",
			typ:   Terraform,
			attrs: `{name: db, settings: {tier: small, admin_password: adm1n-pw, db_pin_password: 1234567, password_reset: true, backup: {secretKey: s3cr3t-key}}}`,
			want:  `{name: db, settings: {tier: small, admin_password: <sensitive>, db_pin_password: <sensitive>, password_reset: true, backup: {secretKey: <sensitive>}}}`,
		},
		{
			name:  "Terraform tokens in a list and in list items",
			typ:   Terraform,
			attrs: `{tokens: [tok-1, tok-2], users: [{name: ci, auth_token: ghp_abcdef}, {name: dev, auth_token: null}], count: 2}`,
			want:  `{tokens: [<sensitive>, <sensitive>], users: [{name: ci, auth_token: <sensitive>}, {name: dev, auth_token: null}], count: 2}`,
		},
		{
			name:  "Terraform sensitive mapping keeps its keys",
			typ:   Terraform,
			attrs: `{credentials: {user: admin, key: s3cr3t-key, port: 1234567}, region: cn}`,
			want:  `{credentials: {user: <sensitive>, key: <sensitive>, port: <sensitive>}, region: cn}`,
		},
		{
			name:   "extensions",
			typ:    Terraform,
			attrs:  `{cidr_block: 10.0.0.0/16}`,
			want:   `{cidr_block: 10.0.0.0/16}`,
			ext:    `{provider: registry.terraform.io/aliyun/alicloud/1.201.1, providerMeta: {region: cn-beijing, access_key: AKIA-PROVIDER}}`,
			extOut: `{provider: registry.terraform.io/aliyun/alicloud/1.201.1, providerMeta: {region: cn-beijing, access_key: <sensitive>}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Resource{ID: "x", Type: tc.typ, Attributes: yamlMap(t, tc.attrs), Extensions: yamlMap(t, tc.ext)}
			orig, _ := json.Marshal(r)
			got := Mask(r, Matcher{})
			if diff := cmp.Diff(yamlMap(t, tc.want), got.Attributes); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(yamlMap(t, tc.extOut), got.Extensions); tc.ext != "" && diff != "" {
				t.Errorf("extensions (-want +got):\n%s", diff)
			}
			out, _ := json.Marshal(got)
			for _, c := range cleartexts {
				if strings.Contains(string(out), c) {
					t.Errorf("masked resource holds %q: %s", c, out)
				}
			}
			if after, _ := json.Marshal(r); string(after) != string(orig) {
				t.Errorf("Mask modified its argument:\n%s\nwas\n%s", after, orig)
			}
		})
	}
}

// TestMaskAttributesAgainst checks the diff form: a value that differs from
// the other side, or that it lacks, is MaskedChanged; an equal one (numbers
// of either Go type) Masked.
func TestMaskAttributesAgainst(t *testing.T) {
	for _, tc := range []struct {
		name, typ         string
		attrs, live, want string
	}{
		{
			name:  "Secret",
			typ:   Kubernetes,
			attrs: `{apiVersion: v1, kind: Secret, data: {password: bmV3, user: YWRtaW4=, added: eA==}}`,
			live:  `{apiVersion: v1, kind: Secret, data: {password: b2xk, user: YWRtaW4=}}`,
			want:  `{apiVersion: v1, kind: Secret, data: {password: "<sensitive, changed>", user: <sensitive>, added: "<sensitive, changed>"}}`,
		},
		{
			name:  "Terraform nested and in lists",
			typ:   Terraform,
			attrs: `{settings: {admin_password: new-pw, api_key: 42}, tokens: [a-1, b-2, c-3], name: db}`,
			live:  `{settings: {admin_password: old-pw, api_key: 42.0}, tokens: [a-1, b-0], name: old}`,
			want:  `{settings: {admin_password: "<sensitive, changed>", api_key: <sensitive>}, tokens: [<sensitive>, "<sensitive, changed>", "<sensitive, changed>"], name: db}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MaskAttributes(tc.typ, yamlMap(t, tc.attrs), yamlMap(t, tc.live), Matcher{})
			if diff := cmp.Diff(yamlMap(t, tc.want), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := MaskAttributes(Terraform, nil, map[string]any{"password": "x"}, Matcher{}); got != nil {
		t.Errorf("nil attributes masked to %v", got)
	}
}

// TestMatcher checks the name rule and the extra names of the settings.
func TestMatcher(t *testing.T) {
	m := NewMatcher("ssn", "", "Signing-Key")
	for name, want := range map[string]bool{
		"account_password": true, "AdminPassword": true, "db.password": true, "passwd": true,
		"client_secret": true, "secret_key": true, "auth_token": true, "ssh-private-key": true, "privateKey": true,
		"access_key": true, "API_KEY": true, "credentials": true, "connection_string": true,
		"customer_ssn": true, "signing_key": true,
		"name": false, "region": false, "key": false, "instance_type": false, "": false, "cidr_block": false,
	} {
		if got := m.Match(name); got != want {
			t.Errorf("Match(%q) = %v, want %v", name, got, want)
		}
	}
	if (Matcher{}).Match("customer_ssn") {
		t.Error("the zero Matcher matches an extra name")
	}
	var norm []string
	for _, d := range DefaultSensitiveAttributes() {
		norm = append(norm, normalizeName(d))
	}
	if diff := cmp.Diff(norm, normalizedDefaults()); diff != "" {
		t.Errorf("normalizedDefaults is not DefaultSensitiveAttributes normalized (-want +got):\n%s", diff)
	}
}

// TestScrub checks that a message quoting a sensitive value (as given, in
// base64, decoded from base64, Go-quoted) keeps none of them.
func TestScrub(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Resource
		msg  string
		want string
	}{
		{
			name: "Secret data and its decoded form",
			r:    Resource{Type: Kubernetes, Attributes: yamlMap(t, `{apiVersion: v1, kind: Secret, data: {password: S3VzaW9uMTIzNDU2}}`)},
			msg:  `data[password]: "S3VzaW9uMTIzNDU2" decodes to "Kusion123456"`,
			want: `data[password]: "<sensitive>" decodes to "<sensitive>"`,
		},
		{
			name: "Terraform attribute, quoted with a newline",
			r:    Resource{Type: Terraform, Attributes: map[string]any{"private_key": "-----BEGIN\nabc-----", "name": "db"}},
			msg:  `invalid private_key "-----BEGIN\nabc-----" for db`,
			want: `invalid private_key "<sensitive>" for db`,
		},
		{
			name: "nothing sensitive",
			r:    Resource{Type: Terraform, Attributes: map[string]any{"name": "db"}},
			msg:  `db is invalid`,
			want: `db is invalid`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Scrub(tc.msg, tc.r, Matcher{}); got != tc.want {
				t.Errorf("Scrub = %q, want %q", got, tc.want)
			}
		})
	}
}

// BenchmarkMask masks every resource of the largest Konfig corpus stack
// (clickhouse-operator: CRDs with deep OpenAPI schemas), as a hover
// preview of the whole stack does.
func BenchmarkMask(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(testutil.CorpusDir(b), "konfig", "appops", "clickhouse-operator", "prod", "ci-test", "stdout.golden.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	sp, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range sp.Resources {
			Mask(r, Matcher{})
		}
	}
}
