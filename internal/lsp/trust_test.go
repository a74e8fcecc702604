package lsp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// hasDiag reports whether one of ds says want.
func hasDiag(ds []protocol.Diagnostic, want string) bool {
	for _, d := range ds {
		if strings.Contains(diagText(d), want) {
			return true
		}
	}
	return false
}

// refusedByTrust reports whether an answer (an error's text, a hover)
// says that it needs a trusted workspace (errors reach the client as text).
func refusedByTrust(s string) bool { return strings.Contains(s, errUntrusted.Error()) }

const (
	latestTag = "the latest tag is not allowed" // the model's check: block
	typo      = "replicsa"                      // a misspelled attribute: the resolver
)

// untrustedMain is shop/dev/main.k with a failing check (the latest tag)
// and a misspelled attribute, and the position of the model's name in it.
func untrustedMain(t *testing.T, s *testSession) (string, protocol.Position) {
	t.Helper()
	_, src := s.open("shop/dev/main.k")
	src = strings.Replace(src, `:1.4.0"`, `:latest"`+"\n    replicsa = 2", 1)
	if !strings.Contains(src, typo) {
		t.Fatal("the image of shop/dev/main.k was not found")
	}
	for i, line := range strings.Split(src, "\n") {
		if c := strings.Index(line, "frontend.Server"); c >= 0 {
			return src, protocol.Position{Line: uint32(i), Character: uint32(c + len("frontend.S"))}
		}
	}
	t.Fatal("no frontend.Server in shop/dev/main.k")
	return "", protocol.Position{}
}

func (s *testSession) hoverText(u uri.URI, pos protocol.Position) string {
	s.t.Helper()
	h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos}})
	if err != nil {
		s.t.Fatalf("hover: %v", err)
	}
	if h == nil {
		return ""
	}
	m, _ := h.Contents.(*protocol.MarkupContent)
	if m == nil {
		return ""
	}
	return m.Value
}

func (s *testSession) execute(command string, u uri.URI) (*commandResult, error) {
	arg, _ := json.Marshal(string(u))
	raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: command, Arguments: []protocol.LSPAny{arg}})
	if err != nil {
		return nil, err
	}
	var res commandResult
	if err := json.Unmarshal(raw, &res); err != nil {
		s.t.Fatal(err)
	}
	return &res, nil
}

func (s *testSession) settings(konfig string) {
	s.t.Helper()
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{
		Settings: protocol.LSPAny(`{"konfig": ` + konfig + `}`)}); err != nil {
		s.t.Fatalf("didChangeConfiguration: %v", err)
	}
}

// TestUntrustedWorkspace: with "trusted": false in initializationOptions the
// server evaluates nothing (no policy diagnostic, no hover preview, engine
// commands refused) while syntax and type services keep working; trusting
// the workspace later (didChangeConfiguration) brings the policy
// diagnostic without a restart, and distrusting it withdraws it.
func TestUntrustedWorkspace(t *testing.T) {
	dir := copyExamples(t)
	var srv *server
	s := startSessionInit(t, dir, Options{Debounce: 1, onServer: func(x *server) { srv = x }}, &testClient{}, protocol.ClientCapabilities{}, `{"trusted": false}`)
	src, model := untrustedMain(t, s)
	u, _ := s.open("shop/dev/main.k", src)

	// The resolver's diagnostic arrives, with no policy diagnostic.
	ds := s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return hasDiag(ds, typo) })
	if hasDiag(ds, latestTag) {
		t.Errorf("policy diagnostic in an untrusted workspace: %v", ds)
	}

	// Hover on the model: its docs, and a note instead of the preview.
	h := s.hoverText(u, model)
	if !strings.Contains(h, "Server is a long-running application") || !strings.Contains(h, "needs a trusted workspace") || strings.Contains(h, "kind: Deployment") {
		t.Errorf("hover in an untrusted workspace, want the docs and the trust note, no preview:\n%s", h)
	}

	// Every engine command refuses, saying why.
	for _, cmd := range allCommands {
		_, err := s.execute(cmd, u)
		if err == nil || !strings.Contains(err.Error(), cmd+" needs a trusted workspace") {
			t.Errorf("%s in an untrusted workspace: err = %v, want the trust refusal", cmd, err)
		}
	}
	lenses, err := s.server.CodeLens(s.ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lenses) != 1 || lenses[0].Command.Title != untrustedLensTitle {
		t.Errorf("code lenses in an untrusted workspace: %+v", lenses)
	}

	// Without the typo the stack would compile up to its failing check:
	// still no policy diagnostic (the resolver's goes, in the same run).
	typoLine := uint32(strings.Count(src[:strings.Index(src, typo)], "\n"))
	s.change(u, 2, protocol.Range{Start: protocol.Position{Line: typoLine}, End: protocol.Position{Line: typoLine + 1}}, "")
	ds = s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return !hasDiag(ds, typo) })
	if hasDiag(ds, latestTag) {
		t.Errorf("policy diagnostic in an untrusted workspace: %v", ds)
	}

	// Settings without `trusted` keep the workspace untrusted.
	s.settings(`{"debounceMs": 1}`)
	if _, err := s.execute(cmdPreview, u); err == nil {
		t.Error("konfig.preview ran after a settings change that left trusted out")
	}
	// Nothing was evaluated at all.
	srv.stacks.mu.Lock()
	compiled := len(srv.stacks.results)
	srv.stacks.mu.Unlock()
	if compiled != 0 {
		t.Errorf("%d stacks were compiled in an untrusted workspace", compiled)
	}

	// Trust on: the policy diagnostic arrives, hover previews, preview runs.
	s.settings(`{"trusted": true}`)
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return hasDiag(ds, latestTag) })
	// The stack does not compile (the failing check): hover and preview
	// say so.
	if h := s.hoverText(u, model); refusedByTrust(h) || !strings.Contains(h, "does not compile") {
		t.Errorf("hover after trust, want the compile error:\n%s", h)
	}
	if _, err := s.execute(cmdPreview, u); err == nil || refusedByTrust(err.Error()) || !strings.Contains(err.Error(), latestTag) {
		t.Errorf("konfig.preview after trust: err = %v, want the failing check", err)
	}

	// Trust off again: the policy diagnostic is withdrawn.
	s.settings(`{"trusted": false}`)
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return !hasDiag(ds, latestTag) })
	if _, err := s.execute(cmdPreview, u); err == nil || !refusedByTrust(err.Error()) {
		t.Errorf("konfig.preview after trust was withdrawn: err = %v", err)
	}
}

// TestTrustedHoverPreview: a trusted workspace (the default) previews the
// resources of a model that compiles; the same hover untrusted gives the
// note.
func TestTrustedHoverPreview(t *testing.T) {
	for _, tc := range []struct {
		name, init    string
		want, notWant string
	}{
		{name: "default", want: "kind: Deployment", notWant: "needs a trusted workspace"},
		{name: "trusted", init: `{"trusted": true}`, want: "kind: Deployment", notWant: "needs a trusted workspace"},
		{name: "untrusted", init: `{"trusted": false}`, want: "needs a trusted workspace", notWant: "kind: Deployment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSessionInit(t, copyExamples(t), Options{}, &testClient{}, protocol.ClientCapabilities{}, tc.init)
			u, src := s.open("shop/dev/main.k")
			line := strings.Count(src[:strings.Index(src, "storefront:")], "\n")
			h := s.hoverText(u, protocol.Position{Line: uint32(line), Character: 2})
			if !strings.Contains(h, tc.want) || strings.Contains(h, tc.notWant) {
				t.Errorf("hover on the instance, want %q and not %q:\n%s", tc.want, tc.notWant, h)
			}
		})
	}
}

// TestTrustSetting: how initializationOptions and later settings objects
// set the trust; a settings object without `trusted` keeps it.
func TestTrustSetting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		init     string
		settings []string
		want     bool
	}{
		{name: "default", want: true},
		{name: "no trusted in init", init: `{"debounceMs": 5}`, want: true},
		{name: "untrusted at init", init: `{"trusted": false}`, want: false},
		{name: "null is left out", init: `{"trusted": null}`, want: true},
		{name: "untrusted, then settings without it", init: `{"trusted": false}`, settings: []string{`{"disableApply": true}`, `{}`}, want: false},
		{name: "untrusted, then trusted", init: `{"trusted": false}`, settings: []string{`{"trusted": true}`}, want: true},
		{name: "trusted, then untrusted by settings", settings: []string{`{"trusted": false}`, `{"stacks": ["shop/dev"]}`}, want: false},
		{name: "settings not wrapped in konfig", init: `{"trusted": false}`, settings: []string{`unwrapped {"trusted": true}`}, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *server
			s := startSessionInit(t, t.TempDir(), Options{onServer: func(x *server) { srv = x }}, &testClient{}, protocol.ClientCapabilities{}, tc.init)
			for _, set := range tc.settings {
				raw := `{"konfig": ` + set + `}`
				if rest, ok := strings.CutPrefix(set, "unwrapped "); ok {
					raw = rest
				}
				if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{Settings: protocol.LSPAny(raw)}); err != nil {
					t.Fatal(err)
				}
			}
			// A request after the notifications sees them applied.
			_, cmdErr := s.execute(cmdDestroy, uri.File(s.root+"/nowhere/main.k"))
			if got := srv.trusted(); got != tc.want {
				t.Errorf("trusted = %v, want %v", got, tc.want)
			}
			if refused := cmdErr != nil && refusedByTrust(cmdErr.Error()); refused == tc.want {
				t.Errorf("konfig.destroy: err = %v (trusted %v)", cmdErr, tc.want)
			}
		})
	}
}

// TestUntrustedCommandMessage: the refusal names the command and says how
// to trust the workspace; unknown commands still say they are unknown.
func TestUntrustedCommandMessage(t *testing.T) {
	s := startSessionInit(t, copyExamples(t), Options{}, &testClient{}, protocol.ClientCapabilities{}, `{"trusted": false}`)
	u, _ := s.open("shop/dev/main.k")
	_, err := s.execute(cmdApply, u)
	want := "konfig.apply needs a trusted workspace: " + untrustedHelp
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("konfig.apply: %v\nwant it to contain: %s", err, want)
	}
	_, err = s.execute("konfig.nope", u)
	if err == nil || refusedByTrust(err.Error()) || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command in an untrusted workspace: %v", err)
	}
	if diff := cmp.Diff([]string{cmdPreview, cmdDiff, cmdApply, cmdDestroy, cmdNewStack, cmdCheckAffected}, allCommands); diff != "" {
		t.Errorf("allCommands changed: check that each new command needs trust (-want +got):\n%s", diff)
	}
}
