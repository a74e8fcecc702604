// Command gen writes a generated stack of Kubernetes resources for the engine
// benchmark: Namespaces, ConfigMaps, Deployments and Services, both as an
// engine spec (a YAML list of {id, type, attributes, dependsOn}) and as a
// plain multi-document manifest for kubectl.
//
//	go run ./bench/engine/gen -n 200 -prefix k -image nginx:1.27 -spec s.yaml -manifest m.yaml
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

type resource struct {
	ID         string         `yaml:"id"`
	Type       string         `yaml:"type"`
	Attributes map[string]any `yaml:"attributes"`
	DependsOn  []string       `yaml:"dependsOn,omitempty"`
}

func main() {
	n := flag.Int("n", 200, "number of resources")
	prefix := flag.String("prefix", "bench", "name prefix of the namespaces")
	image := flag.String("image", "nginx:1.27", "container image of the Deployments")
	specPath := flag.String("spec", "", "write the engine spec here")
	manifestPath := flag.String("manifest", "", "write the kubectl manifest here")
	flag.Parse()
	if err := run(*n, *prefix, *image, *specPath, *manifestPath); err != nil {
		log.Fatal(err)
	}
}

// run lays out n resources: one Namespace per 20 resources, and in each
// namespace a mix of ConfigMaps, Services and Deployments.
func run(n int, prefix, image, specPath, manifestPath string) error {
	var rs []resource
	nsCount := (n + 19) / 20
	perNS := (n - nsCount) / nsCount
	extra := (n - nsCount) % nsCount
	for i := 0; i < nsCount; i++ {
		ns := fmt.Sprintf("%s-%02d", prefix, i)
		nsID := "v1:Namespace:" + ns
		rs = append(rs, resource{ID: nsID, Type: "Kubernetes", Attributes: map[string]any{
			"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
		}})
		count := perNS
		if i < extra {
			count++
		}
		for j := 0; j < count; j++ {
			name := fmt.Sprintf("app-%02d", j/3)
			md := map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app": name}}
			var a map[string]any
			switch j % 3 {
			case 0:
				md["name"] = name + "-config"
				a = map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": md,
					"data": map[string]any{"LOG_LEVEL": "info", "INDEX": fmt.Sprint(j)}}
			case 1:
				a = map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": md,
					"spec": map[string]any{"selector": map[string]any{"app": name},
						"ports": []any{map[string]any{"name": "http", "port": 80, "targetPort": 8080}}}}
			case 2:
				a = map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md,
					"spec": map[string]any{
						"replicas": 1,
						"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
						"template": map[string]any{
							"metadata": map[string]any{"labels": map[string]any{"app": name}},
							"spec": map[string]any{"containers": []any{map[string]any{
								"name": "main", "image": image,
								"ports":     []any{map[string]any{"containerPort": 8080}},
								"resources": map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "64Mi"}},
							}}},
						},
					}}
			}
			kind := a["kind"].(string)
			apiVersion := a["apiVersion"].(string)
			rs = append(rs, resource{ID: fmt.Sprintf("%s:%s:%s:%s", apiVersion, kind, ns, md["name"]), Type: "Kubernetes",
				Attributes: a, DependsOn: []string{nsID}})
		}
	}
	if specPath != "" {
		data, err := yaml.Marshal(rs)
		if err != nil {
			return fmt.Errorf("encode spec: %w", err)
		}
		if err := os.WriteFile(specPath, data, 0o644); err != nil {
			return fmt.Errorf("write spec: %w", err)
		}
	}
	if manifestPath != "" {
		var b strings.Builder
		for _, r := range rs {
			data, err := yaml.Marshal(r.Attributes)
			if err != nil {
				return fmt.Errorf("encode manifest: %w", err)
			}
			b.WriteString("---\n")
			b.Write(data)
		}
		if err := os.WriteFile(manifestPath, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "gen: %d resources in %d namespaces\n", len(rs), nsCount)
	return nil
}
