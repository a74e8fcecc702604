package lsp

import (
	"context"
	"encoding/json"
	"time"

	"go.lsp.dev/protocol"
)

// initOptions are the settings a client passes in initializationOptions (and
// in the `konfig` section of workspace/configuration).
type initOptions struct {
	// DebounceMs is the delay before semantic and policy diagnostics.
	DebounceMs *int `json:"debounceMs,omitempty"`
	// Stacks restricts policy evaluation to these stack directories
	// (absolute or relative to the workspace root); empty means all stacks
	// that include the edited file.
	Stacks []string `json:"stacks,omitempty"`
	// Kubeconfig and Context select the cluster for the engine commands.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Context    string `json:"context,omitempty"`
	// DisableApply turns off konfig.apply and konfig.destroy.
	DisableApply bool `json:"disableApply,omitempty"`
	// ExcludeTypes are resource types (e.g. "Terraform") that diff and
	// apply leave out (the CLI's --exclude-type): without it, a stack
	// holding a type with no runtime is refused.
	ExcludeTypes []string `json:"excludeTypes,omitempty"`
	// SensitiveAttributes are attribute names masked in hover previews,
	// konfig.preview, diffs and messages, in addition to
	// spec.DefaultSensitiveAttributes (see spec.Matcher).
	SensitiveAttributes []string `json:"sensitiveAttributes,omitempty"`
	// Trusted says whether the editor trusts the workspace (default
	// true): false turns off every evaluation of KCL code and the engine
	// commands (trust.go). Left out of a later settings object, it keeps
	// its current value.
	Trusted *bool `json:"trusted,omitempty"`
	// AllowedEnv are the environment variables KCL's file.read_env may see
	// during the server's evaluations; none by default.
	AllowedEnv []string `json:"allowedEnv,omitempty"`

	// EvalTimeoutMs is the time limit of one stack's evaluation in the
	// server, in milliseconds (default 10000; 0 or less: the default).
	EvalTimeoutMs *int `json:"evalTimeoutMs,omitempty"`
	// MaxFileSize, in bytes, is the size above which an open file gets
	// syntax service only (default 2_000_000; 0 or less: the default).
	MaxFileSize *int64 `json:"maxFileSize,omitempty"`
}

func (s *server) Initialize(ctx context.Context, params *protocol.InitializeParams) (*protocol.InitializeResult, error) {
	var roots []string
	folders, _ := params.WorkspaceFolders.Get()
	for _, f := range folders {
		if p, err := uriPath(f.URI); err == nil {
			roots = append(roots, p)
		}
	}
	//lint:ignore SA1019 clients without workspace folders (Neovim 0.7) send only rootUri
	if root := params.RootURI; len(roots) == 0 && root != nil {
		if p, err := uriPath(*root); err == nil {
			roots = append(roots, p)
		}
	}
	if len(params.InitializationOptions) > 0 {
		var o initOptions
		if err := json.Unmarshal(params.InitializationOptions, &o); err != nil {
			s.log.Warn("ignoring malformed initializationOptions", "error", err)
		} else {
			s.applySettings(o)
		}
	}
	if _, err := s.session.update(func(_ map[string]*document, r *[]string) error {
		*r = roots
		return nil
	}); err != nil {
		return nil, err
	}
	if w := params.Capabilities.Window; w != nil && w.WorkDoneProgress != nil {
		s.mu.Lock()
		s.clientProgress = *w.WorkDoneProgress
		s.mu.Unlock()
	}
	if ws := params.Capabilities.Workspace; ws != nil {
		s.mu.Lock()
		if ws.DidChangeWatchedFiles != nil && ws.DidChangeWatchedFiles.DynamicRegistration != nil {
			s.clientCanWatch = *ws.DidChangeWatchedFiles.DynamicRegistration
		}
		if ws.Configuration != nil {
			s.clientConfiguration = *ws.Configuration
		}
		s.mu.Unlock()
	}
	s.log.Info("initialize", "roots", roots, "client", params.ClientInfo.Name, "watch", s.clientCanWatch, "configuration", s.clientConfiguration)
	return &protocol.InitializeResult{
		Capabilities: s.capabilities(),
		ServerInfo:   protocol.ServerInfo{Name: "konfig-lsp", Version: protocol.NewOptional(s.opts.Version)},
	}, nil
}

func (s *server) applySettings(o initOptions) {
	s.mu.Lock()
	s.opts.Debounce = s.baseDebounce
	if o.DebounceMs != nil && *o.DebounceMs >= 0 {
		s.opts.Debounce = time.Duration(*o.DebounceMs) * time.Millisecond
	}
	s.settings = o
	trustChanged := s.setTrust(o.Trusted)
	s.mu.Unlock()
	if trustChanged {
		s.trustChanged()
	}
	if s.opts.onSettings != nil {
		s.opts.onSettings()
	}
}

func (s *server) capabilities() protocol.ServerCapabilities {
	incremental := protocol.TextDocumentSyncKindIncremental
	yes := true
	return protocol.ServerCapabilities{
		PositionEncoding: protocol.PositionEncodingKindUTF16,
		TextDocumentSync: &protocol.TextDocumentSyncOptions{
			OpenClose: &yes,
			Change:    &incremental,
		},
		DocumentFormattingProvider: protocol.Boolean(true),
		DocumentSymbolProvider:     protocol.Boolean(true),
		FoldingRangeProvider:       protocol.Boolean(true),
		DefinitionProvider:         protocol.Boolean(true),
		ReferencesProvider:         protocol.Boolean(true),
		DocumentHighlightProvider:  protocol.Boolean(true),
		HoverProvider:              protocol.Boolean(true),
		RenameProvider:             &protocol.RenameOptions{PrepareProvider: &yes},
		CodeActionProvider:         &protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{protocol.CodeActionKindQuickFix}},
		CodeLensProvider:           &protocol.CodeLensOptions{},
		ExecuteCommandProvider: protocol.ExecuteCommandOptions{Commands: allCommands,
			WorkDoneProgressOptions: protocol.WorkDoneProgressOptions{WorkDoneProgress: &yes}},
		WorkspaceSymbolProvider: protocol.Boolean(true),
		SignatureHelpProvider:   &protocol.SignatureHelpOptions{TriggerCharacters: []string{"(", ","}},
		InlayHintProvider:       protocol.Boolean(true),
		SemanticTokensProvider: &protocol.SemanticTokensOptions{
			Legend: protocol.SemanticTokensLegend{TokenTypes: tokenTypes, TokenModifiers: tokenModifiers},
			Full:   protocol.Boolean(true),
		},
		CompletionProvider: &protocol.CompletionOptions{
			TriggerCharacters: []string{".", "=", ":", " ", "\"", "{"},
		},
		DocumentRangeFormattingProvider: protocol.Boolean(true),
	}
}

func (s *server) Initialized(ctx context.Context, params *protocol.InitializedParams) error {
	s.watchFiles()
	s.goBackground(func(bg context.Context) { s.pullConfiguration(bg) })
	return nil
}

func (s *server) SetTrace(ctx context.Context, params *protocol.SetTraceParams) error {
	return nil
}

func (s *server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	s.mu.Unlock()
	s.bgCancel()
	return nil
}

func (s *server) Exit(ctx context.Context) error {
	s.stop()
	return nil
}
