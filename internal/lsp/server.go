package lsp

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// Options configure a server.
type Options struct {
	// Logger receives the server log (stderr in the binary). nil discards.
	Logger *slog.Logger
	// Debounce is the delay between an edit and the semantic and policy
	// diagnostics it triggers (0: 150ms). Syntax diagnostics are immediate.
	Debounce time.Duration
	// Version is reported in serverInfo.
	Version string
	// Workers bounds the parallel stack evaluations (0: GOMAXPROCS). The
	// binary sets it to the CPUs' GOMAXPROCS and raises GOMAXPROCS by
	// RequestProcs (ReserveRequestProcs).
	Workers int
	// PreviewWait bounds how long a hover waits for the evaluation of its
	// stack before answering without the preview (a note that it is being
	// evaluated, or the stack's last result): 0 is defaultPreviewWait,
	// negative waits for the evaluation (up to its time limit).
	PreviewWait time.Duration

	// onServer, when set (tests), receives the server once it is made.
	onServer func(*server)
	// onSettings, when set (tests), is called after settings are applied.
	onSettings func()
	// onPlanned and onStackStart, when set (tests), are called when the
	// diagnostics of a changed path are planned and when a stack's
	// evaluation starts.
	onPlanned    func(path string)
	onStackStart func(dir string)
	// onStackDone, when set (tests), is called when a worker's evaluation
	// of a stack ends (done or cancelled).
	onStackDone func(dir string)
	// onRequest, when set (tests), is called by a request released to run
	// concurrently, before it is served.
	onRequest func(method string, id jsonrpc2.ID)
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// server implements protocol.Server; methods it does not implement answer
// MethodNotFound through the embedded UnimplementedServer.
type server struct {
	protocol.UnimplementedServer

	client protocol.Client
	opts   Options
	log    *slog.Logger
	stop   context.CancelFunc // ends Serve (exit)

	// life is the LSP lifecycle state; docSync tracks documents whose text
	// went out of sync with the editor's (sync.go).
	life    lifecycle
	docSync docSync

	mu sync.Mutex
	// session holds the snapshots — the workspace and the settings — and
	// the store of what is derived from them (parses, programs).
	session *session
	// untrusted: the workspace is not trusted (setting `trusted`), so
	// nothing is evaluated (trust.go).
	untrusted atomic.Bool
	// clientCanWatch: the client registers file watchers dynamically.
	clientCanWatch bool
	// clientConfiguration: the client answers workspace/configuration.
	clientConfiguration bool
	// clientProgress: the client takes server-initiated progress
	// (window/workDoneProgress/create).
	clientProgress bool

	diags  diagStore
	stacks stacks
	readFS readSandboxes // the resolver's read-only sandboxes (sandbox.go)
	// baseDebounce is opts.Debounce as constructed: the delay when the
	// settings give none.
	baseDebounce time.Duration
	// sched plans diagnostics and runs stack evaluations.
	sched scheduler
	// wsindex is the workspace index (wsindex.go).
	wsindex wsIndexes

	// bg is the context of background work (diagnostics); cancelled on close.
	bg       context.Context
	bgCancel context.CancelFunc
	wg       sync.WaitGroup
}

func newServer(client protocol.Client, opts Options, stop context.CancelFunc) *server {
	if opts.Debounce == 0 {
		opts.Debounce = 150 * time.Millisecond
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &server{client: client, opts: opts, baseDebounce: opts.Debounce, log: opts.logger(), stop: stop, bg: bg, bgCancel: cancel}
	s.session = newSession(s.log)
	s.stacks.evalCache = s.session.store.files // one parse cache
	return s
}

// close stops background work and waits for it.
func (s *server) close() {
	s.bgCancel()
	s.wg.Wait()
	s.closeReadSandboxes()
}

// goBackground runs f in a goroutine tracked by the server; f must stop when
// ctx is done.
func (s *server) goBackground(f func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.bg)
	}()
}
