// Package spec defines the intent of a stack as the engine consumes it: an
// ordered list of resources, each with an id, a runtime type, attributes,
// explicit dependencies and extensions. It is the form of the Konfig goldens
// (`ci-test/stdout.golden.yaml`): konfig builds it from a compiled stack and
// the engine previews, applies and destroys it.
//
// Construct it directly:
//
//	s := &spec.Spec{Resources: []spec.Resource{{ID: "v1:Namespace:demo",
//		Type: spec.Kubernetes, Attributes: map[string]any{"kind": "Namespace"}}}}
//
// or read it from YAML with Parse.
//
// Mask is the one rule by which everything that shows a resource (hover
// previews, konfig.preview, the engine's steps, diffs, messages, events and
// state) hides its sensitive values: a Kubernetes Secret's data and
// stringData, and the attributes of other types (Terraform) whose name is
// sensitive — by default password, passwd, secret, token, private_key,
// access_key, api_key, credential and connection_string
// (DefaultSensitiveAttributes); a Matcher adds names (the server's
// sensitiveAttributes setting, the CLI's --sensitive-attribute):
//
//	shown := spec.Mask(r, spec.NewMatcher(extra...))
//	to := spec.MaskAttributes(r.Type, planned, live, m) // changed values: spec.MaskedChanged
//	msg = spec.Scrub(msg, r, m)                          // an error quoting r's values
package spec

// The runtime types of resources.
const (
	Kubernetes = "Kubernetes"
	Terraform  = "Terraform"
)

// Resource is one resource of a stack's intent.
type Resource struct {
	ID         string         `json:"id" yaml:"id"`
	Type       string         `json:"type" yaml:"type"`
	Attributes map[string]any `json:"attributes" yaml:"attributes"`
	DependsOn  []string       `json:"dependsOn,omitempty" yaml:"dependsOn,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty" yaml:"extensions,omitempty"`
}

// Spec is the ordered list of a stack's resources.
type Spec struct {
	Resources []Resource `json:"resources" yaml:"resources"`
}
