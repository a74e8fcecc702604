package lsp

import (
	"encoding/json"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// The editor features answered from one position or one file (completion,
// hover, definition, references, rename, highlight, signature help, inlay
// hints, semantic tokens, code actions, diagnostics, folding, symbols,
// formatting, code lenses) are tested by the marker archives of
// testdata/markers (TestMarkers). The tests here cover what a marker
// cannot express.

func tdp(u uri.URI, p protocol.Position) protocol.TextDocumentPositionParams {
	return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: p}
}

// TestPreviewCommand runs the preview command of a stack's code lens: the
// rendered resources, with the Secret's values masked.
func TestPreviewCommand(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	u, _ := s.open("shop/dev/main.k")
	arg, _ := json.Marshal(string(u))
	raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdPreview, Arguments: []protocol.LSPAny{arg}})
	if err != nil {
		t.Fatal(err)
	}
	var res commandResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "kind: Deployment") || !strings.Contains(res.Text, "kind: Secret") || !strings.Contains(res.Text, spec.Masked) || strings.Contains(res.Text, "ZGV2LXBhc3N3b3JkLTEyMw") {
		t.Errorf("preview text lacks the Deployment, the Secret or the mask:\n%s", res.Text)
	}
	if _, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: "konfig.nope", Arguments: []protocol.LSPAny{arg}}); err == nil {
		t.Error("an unknown command succeeded")
	}
}
