// Package lspk8s holds the language server's integration tests against a
// real Kubernetes API server (etcd and kube-apiserver started by
// internal/engine/k8stest): the editor commands konfig.diff, konfig.apply
// and konfig.destroy driven over JSON-RPC, their confirmations and
// progress, and the objects they leave in the cluster.
//
// The package has no code outside its tests. It is a package of its own so
// that one cluster is started for its test binary only, not for every unit
// test of internal/lsp. The tests skip when no cluster can run (see
// k8stest: KONFIG_K8S=0, or the binaries are not built):
//
//	go test ./internal/lsp/lspk8s -v
package lspk8s
