package testutil

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// FakeSecretCluster starts an HTTPS API server that serves what the engine
// needs to preview, apply and destroy Secrets (and only Secrets), holding
// the given live Secrets (objects with metadata.name and
// metadata.namespace): discovery, the namespaces (default and those of the
// live Secrets), list, get, server-side apply (the object echoed; a real
// apply makes it live) and delete. It returns the path of a kubeconfig for
// it. The server stops when the test ends.
func FakeSecretCluster(t testing.TB, live ...map[string]any) string {
	t.Helper()
	var mu sync.Mutex
	objs := map[string]map[string]any{} // "ns/name" -> object
	namespaces := map[string]bool{"default": true}
	for _, o := range live {
		md, _ := o["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		name, _ := md["name"].(string)
		objs[ns+"/"+name] = o
		namespaces[ns] = true
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		// /api/v1/namespaces/<ns>/secrets[/<name>]
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
		secrets := len(parts) >= 5 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "namespaces" && parts[4] == "secrets"
		key := ""
		if secrets && len(parts) == 6 {
			key = parts[3] + "/" + parts[5]
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api":
			io.WriteString(w, `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/apis":
			io.WriteString(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1":
			io.WriteString(w, `{"kind":"APIResourceList","groupVersion":"v1","resources":[
				{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list","patch"]},
				{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["get","list","patch","delete"]}]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces":
			var items []any
			for ns := range namespaces {
				items = append(items, map[string]any{"metadata": map[string]any{"name": ns}})
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "NamespaceList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items})
		case r.Method == http.MethodGet && secrets && len(parts) == 5:
			items := []any{}
			for k, o := range objs {
				if strings.HasPrefix(k, parts[3]+"/") {
					items = append(items, o)
				}
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "SecretList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items})
		case r.Method == http.MethodGet && key != "" && objs[key] != nil:
			json.NewEncoder(w).Encode(objs[key])
		case r.Method == http.MethodPatch && key != "":
			var obj map[string]any
			if err := json.NewDecoder(r.Body).Decode(&obj); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if r.URL.Query().Get("dryRun") == "" {
				objs[key] = obj
			}
			json.NewEncoder(w).Encode(obj)
		case r.Method == http.MethodDelete && key != "":
			delete(objs, key)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Success"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`, srv.URL)
	if err := os.WriteFile(kc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}
