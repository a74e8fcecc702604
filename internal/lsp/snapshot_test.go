package lsp

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/uri"
)

// TestRequestSeesWireOrder checks that a request is served on the snapshot
// of its place on the wire: a documentSymbol request followed at once by a
// didChange answers on the text before the change, however late its
// goroutine runs. The first request is held (onRequest) until a second
// request, read after the didChange, has been released — by then the
// didChange is applied; taking the snapshot after going async would answer
// on the changed text.
func TestRequestSeesWireOrder(t *testing.T) {
	r := startRaw(t)
	second := make(chan struct{})
	r.server.opts.onRequest = func(method string, id jsonrpc2.ID) {
		if method != "textDocument/documentSymbol" {
			return
		}
		if id == jsonrpc2.NewNumberID(2) {
			close(second)
			return
		}
		select {
		case <-second:
		case <-time.After(30 * time.Second): // a guard against hangs
			t.Error("the second request was never released")
		}
	}
	r.initialize()
	u := string(uri.File(filepath.Join(t.TempDir(), "main.k")))
	r.send(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"kcl","version":1,"text":"before = 1\n"}}}`, u))
	symbols := func(id int) string {
		return frame(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":%q}}}`, id, u))
	}
	change := frame(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":%q,"version":2},"contentChanges":[{"text":"after = 1\n"}]}}`, u))
	r.write(symbols(1) + change + symbols(2))
	got := map[string][]string{}
	for range 2 {
		m := r.response()
		if m.Error != nil {
			t.Fatalf("response %s: %+v", m.ID, m.Error)
		}
		var syms []struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(m.Result, &syms); err != nil {
			t.Fatalf("response %s: %v", m.ID, err)
		}
		for _, s := range syms {
			got[string(m.ID)] = append(got[string(m.ID)], s.Name)
		}
	}
	if want := []string{"before"}; !slices.Equal(got["1"], want) {
		t.Errorf("request 1, sent before the change, saw %v; want %v", got["1"], want)
	}
	if want := []string{"after"}; !slices.Equal(got["2"], want) {
		t.Errorf("request 2, sent after the change, saw %v; want %v", got["2"], want)
	}
}
