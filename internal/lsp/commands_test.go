package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
)

func TestKubeconfigPath(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	roots := []string{"/ws/konfig", "/ws/other"}
	for _, tc := range []struct{ setting, want string }{
		{"", ""},
		{"/etc/kube/config", "/etc/kube/config"},
		{"~/.kube/config", filepath.Join(home, ".kube/config")},
		{"~", home},
		{"kube/config", "/ws/konfig/kube/config"},
		{"~user/config", "/ws/konfig/~user/config"},
	} {
		if got := kubeconfigPath(tc.setting, roots); got != tc.want {
			t.Errorf("kubeconfigPath(%q) = %q, want %q", tc.setting, got, tc.want)
		}
	}
	if got := kubeconfigPath("kube/config", nil); got != "kube/config" {
		t.Errorf("without a workspace root: %q", got)
	}
}

// TestProgressTokens: progress goes on the token of the request when the
// client gave one, on a created token when the client takes
// server-initiated progress, and nowhere otherwise.
func TestProgressTokens(t *testing.T) {
	yes := true
	withProgress := protocol.ClientCapabilities{Window: &protocol.WindowClientCapabilities{WorkDoneProgress: &yes}}
	for _, tc := range []struct {
		name         string
		caps         protocol.ClientCapabilities
		given        protocol.ProgressToken
		wantCreated  []string
		wantProgress []string
	}{
		{name: "client token", caps: withProgress, given: protocol.String("mine"),
			wantProgress: []string{"mine begin", "mine report", "mine end"}},
		{name: "client token, no capability", given: protocol.Integer(7),
			wantProgress: []string{"7 begin", "7 report", "7 end"}},
		{name: "created", caps: withProgress, wantCreated: []string{"konfig-N"},
			wantProgress: []string{"konfig-N begin", "konfig-N report", "konfig-N end"}},
		{name: "no capability"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *server
			tc1 := &testClient{ProgressEnded: make(chan struct{}, 1)}
			s := startSessionWith(t, t.TempDir(), Options{onServer: func(x *server) { srv = x }}, tc1, tc.caps)
			p := srv.startProgress(s.ctx, tc.given, "Apply x")
			p.report("start Create a", 50)
			p.end("1 created")
			if len(tc.wantProgress) > 0 {
				<-tc1.ProgressEnded
			}
			created, progress := tc1.Created(), tc1.ProgressEvents()
			// Created tokens are numbered per process: compare their shape.
			norm := func(ss []string) []string {
				var out []string
				for _, x := range ss {
					if strings.HasPrefix(x, "konfig-") {
						_, rest, _ := strings.Cut(x, " ")
						x = strings.TrimSpace("konfig-N " + rest)
					}
					out = append(out, x)
				}
				return out
			}
			if diff := cmp.Diff(tc.wantCreated, norm(created)); diff != "" {
				t.Errorf("created tokens (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantProgress, norm(progress)); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDisableApplyRefuses: with disableApply, apply and destroy fail with
// a message naming the setting before anything is asked or read from a
// cluster (none is configured here).
func TestDisableApplyRefuses(t *testing.T) {
	dir := copyExamples(t)
	tc := &testClient{}
	s := startSessionWith(t, dir, Options{}, tc, protocol.ClientCapabilities{})
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{Settings: protocol.LSPAny(`{"konfig": {"disableApply": true}}`)}); err != nil {
		t.Fatal(err)
	}
	u, _ := s.open("shop/dev/main.k")
	arg, _ := json.Marshal(string(u))
	for _, cmd := range []string{cmdApply, cmdDestroy} {
		_, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmd, Arguments: []protocol.LSPAny{arg}})
		if err == nil || !strings.Contains(err.Error(), "disableApply") {
			t.Errorf("%s: err = %v, want one naming disableApply", cmd, err)
		}
	}
	if asked, created, progress := tc.Asked(), tc.Created(), tc.ProgressEvents(); len(asked)+len(created)+len(progress) > 0 {
		t.Errorf("asked %q, progress %q %q", asked, created, progress)
	}
	if _, err := os.Stat(filepath.Join(dir, "shop/dev/.konfig")); !os.IsNotExist(err) {
		t.Errorf("state directory after a refused apply: %v", err)
	}

	// Settings pushed again without disableApply (the whole section, as
	// clients send it) turn apply back on: it now gets as far as the
	// cluster of the new kubeconfig setting, which does not exist.
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{Settings: protocol.LSPAny(`{"konfig": {"kubeconfig": "no/such/kubeconfig"}}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdApply, Arguments: []protocol.LSPAny{arg}})
	if err == nil || strings.Contains(err.Error(), "disableApply") || !strings.Contains(err.Error(), "no/such/kubeconfig") {
		t.Errorf("apply after disableApply was removed from the settings: err = %v, want one naming the kubeconfig, not disableApply", err)
	}
}

// TestEngineCommandsWithoutCluster: with a kubeconfig setting that points
// nowhere, diff and apply fail with a message naming the setting's path,
// and nothing is asked or written.
func TestEngineCommandsWithoutCluster(t *testing.T) {
	dir := copyExamples(t)
	tc := &testClient{}
	s := startSessionWith(t, dir, Options{}, tc, protocol.ClientCapabilities{})
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{Settings: protocol.LSPAny(`{"kubeconfig": "no/such/kubeconfig"}`)}); err != nil {
		t.Fatal(err)
	}
	u, _ := s.open("shop/dev/main.k")
	arg, _ := json.Marshal(string(u))
	want := filepath.Join(dir, "no/such/kubeconfig")
	for _, cmd := range []string{cmdDiff, cmdApply, cmdDestroy} {
		_, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmd, Arguments: []protocol.LSPAny{arg}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want one naming %s", cmd, err, want)
		}
	}
	if asked := tc.Asked(); len(asked) > 0 {
		t.Errorf("asked %q without a cluster", asked)
	}
	if _, err := os.Stat(filepath.Join(dir, "shop/dev/.konfig")); !os.IsNotExist(err) {
		t.Errorf("state directory without a cluster: %v", err)
	}
}

// TestApplyOfBrokenStack: a stack whose open buffer fails its policy is
// neither previewed nor applied: the error says it does not compile (with
// the policy message), before any cluster is needed or anything asked.
func TestApplyOfBrokenStack(t *testing.T) {
	dir := copyExamples(t)
	tc := &testClient{}
	s := startSessionWith(t, dir, Options{}, tc, protocol.ClientCapabilities{})
	u, src := s.open("shop/dev/main.k")
	s.change(u, 2, lspRange(protocol.Position{}, protocol.Position{Line: uint32(strings.Count(src, "\n"))}),
		strings.Replace(src, `storefront:1.4.0"`, `storefront:latest"`, 1))
	arg, _ := json.Marshal(string(u))
	for _, cmd := range []string{cmdDiff, cmdApply} {
		_, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmd, Arguments: []protocol.LSPAny{arg}})
		if err == nil || !strings.Contains(err.Error(), "does not compile") || !strings.Contains(err.Error(), "latest") {
			t.Errorf("%s: err = %v, want a compile error about the latest tag", cmd, err)
		}
	}
	if asked := tc.Asked(); len(asked) > 0 {
		t.Errorf("asked %q for a broken stack", asked)
	}
}

// TestCodecOwnsItsInput: what the codec decodes stays intact when jsonrpc2
// reuses the frame for the next message (protocol.Unmarshal alone keeps
// strings aliasing its input for slices of unions and raw values).
func TestCodecOwnsItsInput(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		into       func() any
		get        func(any) string
		want       string
	}{
		{"code actions", `[{"title":"Apply now","kind":"quickfix"}]`,
			func() any { return new([]protocol.CommandOrCodeAction) },
			func(v any) string { return (*v.(*[]protocol.CommandOrCodeAction))[0].(*protocol.CodeAction).Title },
			"Apply now"},
		{"configuration", `[{"kubeconfig":"/k"}]`,
			func() any { return new([]protocol.LSPAny) },
			func(v any) string { return string((*v.(*[]protocol.LSPAny))[0]) },
			`{"kubeconfig":"/k"}`},
		{"action item", `{"title":"Apply"}`,
			func() any { return new(protocol.MessageActionItem) },
			func(v any) string { return v.(*protocol.MessageActionItem).Title },
			"Apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := []byte(tc.data)
			v := tc.into()
			if err := (Codec{}).Unmarshal(frame, v); err != nil {
				t.Fatal(err)
			}
			for i := range frame {
				frame[i] = 'Z' // the next message
			}
			if got := tc.get(v); got != tc.want {
				t.Errorf("after the frame was reused: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCommandArgumentIsStackDir: the commands take a stack directory too,
// relative to the workspace root or absolute.
func TestCommandArgumentIsStackDir(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	for _, arg := range []string{"shop/dev", filepath.Join(dir, "shop", "dev")} {
		a, _ := json.Marshal(arg)
		raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdPreview, Arguments: []protocol.LSPAny{a}})
		if err != nil {
			t.Errorf("preview of %q: %v", arg, err)
			continue
		}
		var res commandResult
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		if res.Stack != filepath.Join(dir, "shop", "dev") || !strings.Contains(res.Text, "kind: Deployment") {
			t.Errorf("preview of %q: stack %q, text:\n%s", arg, res.Stack, res.Text)
		}
	}
	a, _ := json.Marshal("nowhere")
	if _, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdPreview, Arguments: []protocol.LSPAny{a}}); err == nil || !strings.Contains(err.Error(), "not in a stack") {
		t.Errorf("preview of a directory outside the stacks: err = %v", err)
	}
}
