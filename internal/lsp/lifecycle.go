package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
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
	// MaxMemory, in bytes, is the memory budget of one stack's evaluation
	// in the server (default the evaluator's, 256 MiB; 0 or less: the
	// default).
	MaxMemory *int64 `json:"maxMemory,omitempty"`
	// CacheMemoryMiB is the memory budget, in MiB, of the server's cache
	// of parses and resolved programs (default 256; 0 or less: the
	// default): past it, the least recently used are dropped and derived
	// again when next needed. The estimate counts each program alone,
	// though programs of one module share their unchanged packages.
	CacheMemoryMiB *int `json:"cacheMemoryMiB,omitempty"`
}

// cacheMemory is the store's budget in bytes (setting cacheMemoryMiB).
func (o *initOptions) cacheMemory() int64 {
	if n := o.CacheMemoryMiB; n != nil && *n > 0 {
		return int64(*n) << 20
	}
	return defaultCacheMemory
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

// applySettings makes o the settings in force: a new snapshot carries
// them.
func (s *server) applySettings(o initOptions) {
	s.mu.Lock()
	s.opts.Debounce = s.baseDebounce
	if o.DebounceMs != nil && *o.DebounceMs >= 0 {
		s.opts.Debounce = time.Duration(*o.DebounceMs) * time.Millisecond
	}
	s.session.setSettings(o)
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
		ImplementationProvider:     protocol.Boolean(true),
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
	s.startIndex()
	s.goBackground(func(bg context.Context) { s.pullConfiguration(bg) })
	return nil
}

func (s *server) SetTrace(ctx context.Context, params *protocol.SetTraceParams) error {
	return nil
}

// Shutdown stops background work; the lifecycle gate (conn.go) has already
// turned away every later request.
func (s *server) Shutdown(ctx context.Context) error {
	s.bgCancel()
	return nil
}

// Exit ends Serve; its status was recorded by the lifecycle gate.
func (s *server) Exit(ctx context.Context) error {
	s.stop()
	return nil
}

// ErrExitWithoutShutdown is Serve's error when the client sent `exit`
// without `shutdown` first: the LSP asks for exit status 1 then.
var ErrExitWithoutShutdown = errors.New("lsp: exit notification without a shutdown request first")

// lifeState is the server's place in the LSP lifecycle.
type lifeState int

const (
	lifeNew          lifeState = iota // before initialize
	lifeInitializing                  // initialize is being handled
	lifeRunning                       // initialized
	lifeShutdown                      // shutdown received: only exit is accepted
	lifeExited                        // exit received
)

// lifecycle enforces the LSP lifecycle (see the package documentation). Its
// transitions happen on the read loop, in wire order.
type lifecycle struct {
	mu    sync.Mutex
	state lifeState
	// cleanExit: exit came after shutdown.
	cleanExit bool
}

// admitCall returns the error that answers a request in the current state,
// or nil to serve it; initialize and shutdown move the state on.
func (l *lifecycle) admitCall(method string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state {
	case lifeNew:
		if method == protocol.MethodInitialize {
			l.state = lifeInitializing
			return nil
		}
		return jsonrpc2.NewError(jsonrpc2.ServerNotInitialized, "the server is not initialized: "+method+" before initialize")
	case lifeInitializing:
		return jsonrpc2.NewError(jsonrpc2.ServerNotInitialized, "the server is initializing: "+method+" before the initialize result")
	case lifeRunning:
		switch method {
		case protocol.MethodInitialize:
			return jsonrpc2.NewError(jsonrpc2.InvalidRequest, "initialize was already received")
		case protocol.MethodShutdown:
			l.state = lifeShutdown
		}
		return nil
	default:
		return jsonrpc2.NewError(jsonrpc2.InvalidRequest, "the server is shut down: "+method+" after shutdown")
	}
}

// initialized records the outcome of initialize: running, or back to new
// when it failed (the client may try again).
func (l *lifecycle) initialized(ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == lifeInitializing {
		l.state = lifeNew
		if ok {
			l.state = lifeRunning
		}
	}
}

// admitNotification reports whether a notification is handled in the current
// state: before initialize and after shutdown only exit is; exit records
// whether it was clean.
func (l *lifecycle) admitNotification(method string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if method == protocol.MethodExit {
		if l.state != lifeExited { // a second exit changes nothing
			l.cleanExit = l.state == lifeShutdown
			l.state = lifeExited
		}
		return true
	}
	return l.state == lifeRunning
}

// exitErr is Serve's error once the client has gone: ErrExitWithoutShutdown
// after an exit without shutdown, else nil.
func (l *lifecycle) exitErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == lifeExited && !l.cleanExit {
		return ErrExitWithoutShutdown
	}
	return nil
}
