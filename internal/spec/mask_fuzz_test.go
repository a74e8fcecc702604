package spec

import (
	"bytes"
	"encoding/json"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzMask masks the attributes of arbitrary YAML as a Terraform resource
// and as a Kubernetes Secret and checks the rule's invariants: no panic,
// the input unchanged, and every string or number under a sensitive key
// (Terraform) or under data/stringData (Secret) masked.
func FuzzMask(f *testing.F) {
	for _, seed := range []string{
		`{account_password: Kusion123456, name: root}`,
		`{settings: {admin_password: x, tier: small}, users: [{name: a, auth_token: t}], tokens: [a, b]}`,
		`{credentials: {user: u, nested: [{k: [1, 2.5, true, null]}]}}`,
		`{data: {password: cGFzcw==}, stringData: {a: {b: c}}, metadata: {annotations: {kubectl.kubernetes.io/last-applied-configuration: x}}}`,
		`{1: 2, true: [x], "": y}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.ContainsAny(data, "*&") || len(data) > 4096 {
			return // YAML aliases (and their bombs) are the decoder's business
		}
		var raw map[string]any
		if yaml.Unmarshal(data, &raw) != nil || raw == nil {
			return
		}
		attrs, ok := Plain(raw).(map[string]any)
		if !ok {
			return
		}
		before, err := json.Marshal(attrs)
		if err != nil {
			return // values JSON cannot hold (NaN): not a resource
		}
		check := func(masked map[string]any, sensitiveAt func(depth int, key string) bool) {
			var walk func(v, m any, depth int, hidden bool)
			walk = func(v, m any, depth int, hidden bool) {
				switch x := v.(type) {
				case map[string]any:
					mm, ok := m.(map[string]any)
					if !ok || len(mm) != len(x) {
						t.Fatalf("masked map %v for %v", m, v)
					}
					for k, e := range x {
						walk(e, mm[k], depth+1, hidden || sensitiveAt(depth, k))
					}
				case []any:
					ml, ok := m.([]any)
					if !ok || len(ml) != len(x) {
						t.Fatalf("masked list %v for %v", m, v)
					}
					for i, e := range x {
						walk(e, ml[i], depth+1, hidden)
					}
				case nil, bool:
					if m != v {
						t.Fatalf("%v masked to %v", v, m)
					}
				default:
					if hidden && m != Masked {
						t.Fatalf("sensitive %v shown as %v", v, m)
					}
					if !hidden && m != v {
						t.Fatalf("%v masked to %v", v, m)
					}
				}
			}
			walk(attrs, masked, 0, false)
		}
		var m Matcher
		check(MaskAttributes(Terraform, attrs, nil, m), func(_ int, k string) bool { return m.Match(k) })
		secret := make(map[string]any, len(attrs)+2)
		for k, v := range attrs {
			secret[k] = v
		}
		secret["apiVersion"], secret["kind"] = "v1", "Secret"
		masked := MaskAttributes(Kubernetes, secret, nil, m)
		for _, k := range []string{"data", "stringData"} {
			var walk func(v, mv any)
			walk = func(v, mv any) {
				switch x := v.(type) {
				case map[string]any:
					for kk, e := range x {
						walk(e, mv.(map[string]any)[kk])
					}
				case []any:
					for i, e := range x {
						walk(e, mv.([]any)[i])
					}
				case nil, bool:
				default:
					if mv != Masked {
						t.Fatalf("Secret %s value %v shown as %v", k, v, mv)
					}
				}
			}
			walk(secret[k], masked[k])
		}
		if after, _ := json.Marshal(attrs); string(after) != string(before) {
			t.Fatalf("MaskAttributes modified its input:\n%s\nwas\n%s", after, before)
		}
	})
}
