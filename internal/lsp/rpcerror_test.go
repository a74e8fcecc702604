package lsp

import (
	"errors"
	"path/filepath"
	"testing"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// TestCommandErrorsHaveStandardCodes: a failed command (konfig.diff without
// a cluster) answers RequestFailed, never code 0.
func TestCommandErrorsHaveStandardCodes(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	s := startSession(t, copyExamples(t), Options{})
	u, _ := s.open("shop/dev/main.k")
	_, err := s.execute(cmdDiff, u)
	var rerr *jsonrpc2.Error
	if !errors.As(err, &rerr) || rerr.Code != jsonrpc2.Code(protocol.LSPErrorCodesRequestFailed) {
		t.Errorf("konfig.diff without a cluster: %#v, want code %d", err, protocol.LSPErrorCodesRequestFailed)
	}
}
