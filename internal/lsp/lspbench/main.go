// Command lspbench drives a konfig-lsp server process over JSON-RPC on
// stdio and reports latency percentiles of the editor's hot requests on a
// Konfig stack, and the server's peak RSS after opening every file.
//
//	go run ./internal/lsp/lspbench -server ./konfig-lsp -root ../shared/corpus/konfig -n 200
//
// It is a benchmark harness, not a test: the figures go to stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

type client struct {
	protocol.UnimplementedClient
	mu      sync.Mutex
	waiters []func(*protocol.PublishDiagnosticsParams) bool
}

func (c *client) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w(p) {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
	return nil
}

func (c *client) RegisterCapability(context.Context, *protocol.RegistrationParams) error { return nil }
func (c *client) LogMessage(context.Context, *protocol.LogMessageParams) error           { return nil }
func (c *client) ShowMessage(context.Context, *protocol.ShowMessageParams) error         { return nil }
func (c *client) WorkDoneProgressCreate(context.Context, *protocol.WorkDoneProgressCreateParams) error {
	return nil
}

// await returns a channel closed when a publish satisfies ok.
func (c *client) await(ok func(*protocol.PublishDiagnosticsParams) bool) <-chan struct{} {
	ch := make(chan struct{})
	c.mu.Lock()
	c.waiters = append(c.waiters, func(p *protocol.PublishDiagnosticsParams) bool {
		if ok(p) {
			close(ch)
			return true
		}
		return false
	})
	c.mu.Unlock()
	return ch
}

type rwc struct {
	io.ReadCloser
	io.WriteCloser
}

func (r rwc) Close() error { r.WriteCloser.Close(); return r.ReadCloser.Close() }

func main() {
	server := flag.String("server", "konfig-lsp", "the konfig-lsp binary")
	root := flag.String("root", "../shared/corpus/konfig", "the Konfig repository")
	stackFile := flag.String("file", "appops/wordpress/dev/main.k", "the stack file to edit, relative to root")
	n := flag.Int("n", 200, "iterations per request kind")
	flag.Parse()
	if err := run(*server, *root, *stackFile, *n); err != nil {
		log.Fatal(err)
	}
}

func run(server, root, rel string, n int) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	ctx := context.Background()
	level := os.Getenv("LSPBENCH_LOG")
	if level == "" {
		level = "error"
	}
	cmd := exec.Command(server, "serve", "--log-level", level)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	cl := &client{}
	cctx, conn, srv := protocol.NewClient(ctx, cl, jsonrpc2.NewHeaderStream(rwc{stdout, stdin}))
	defer conn.Close()
	params := &protocol.InitializeParams{InitializationOptions: []byte(`{"debounceMs": 0}`)}
	params.WorkspaceFolders = protocol.NewNullable([]protocol.WorkspaceFolder{{URI: uri.File(root), Name: filepath.Base(root)}})
	if _, err := srv.Initialize(cctx, params); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	if err := srv.Initialized(cctx, &protocol.InitializedParams{}); err != nil {
		return err
	}
	// Open every .k file of the repository (the peak RSS figure).
	var files []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".k") {
			files = append(files, p)
		}
		return nil
	})
	texts := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		texts[f] = string(b)
		if err := srv.DidOpen(cctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: uri.File(f), LanguageID: "kcl", Version: 1, Text: string(b)}}); err != nil {
			return err
		}
	}
	path := filepath.Join(root, rel)
	src, ok := texts[path]
	if !ok {
		return fmt.Errorf("%s is not under %s", rel, root)
	}
	u := uri.File(path)
	pos := func(needle string, delta int) protocol.Position {
		i := strings.Index(src, needle)
		if i < 0 {
			log.Fatalf("%q not found in %s", needle, rel)
		}
		line := strings.Count(src[:i], "\n")
		col := i - (strings.LastIndex(src[:i], "\n") + 1) + delta
		return protocol.Position{Line: uint32(line), Character: uint32(col)}
	}
	tdp := func(p protocol.Position) protocol.TextDocumentPositionParams {
		return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: p}
	}
	// Warm up: the first requests resolve and compile the stack.
	if _, err := srv.Hover(cctx, &protocol.HoverParams{TextDocumentPositionParams: tdp(pos("wordpress: frontend", 2))}); err != nil {
		return fmt.Errorf("hover: %w", err)
	}
	fmt.Printf("server peak RSS after opening %d files and one compile: %s\n", len(files), peakRSS(cmd.Process.Pid))
	results := map[string][]time.Duration{}
	timeIt := func(name string, f func() error) error {
		for i := 0; i < n; i++ {
			start := time.Now()
			if err := f(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			results[name] = append(results[name], time.Since(start))
		}
		return nil
	}
	inBlock := pos(`image = "wordpress:4.8-apache"`, 4)
	if err := timeIt("completion", func() error {
		_, err := srv.Completion(cctx, &protocol.CompletionParams{TextDocumentPositionParams: tdp(inBlock)})
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("hover (attribute)", func() error {
		_, err := srv.Hover(cctx, &protocol.HoverParams{TextDocumentPositionParams: tdp(pos("image = ", 1))})
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("hover preview (instance)", func() error {
		_, err := srv.Hover(cctx, &protocol.HoverParams{TextDocumentPositionParams: tdp(pos("wordpress: frontend", 2))})
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("definition", func() error {
		_, err := srv.Definition(cctx, &protocol.DefinitionParams{TextDocumentPositionParams: tdp(pos("frontend.Server {", len("frontend.S")))})
		return err
	}); err != nil {
		return err
	}
	version := int32(1)
	change := func(r protocol.Range, text string) error {
		version++
		return srv.DidChange(cctx, &protocol.DidChangeTextDocumentParams{
			TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
			ContentChanges: []protocol.TextDocumentContentChangeEvent{&protocol.TextDocumentContentChangePartial{Range: r, Text: text}},
		})
	}
	has := func(p *protocol.PublishDiagnosticsParams, sub string) bool {
		if p.URI != u {
			return false
		}
		for _, d := range p.Diagnostics {
			if s, ok := d.Message.(protocol.String); ok && strings.Contains(string(s), sub) {
				return true
			}
		}
		return false
	}
	// Edit → syntax diagnostics: break the image line, then mend it.
	img := pos(`image = "wordpress`, len("image "))
	imgEnd := protocol.Position{Line: img.Line, Character: img.Character + 1}
	if err := timeIt("edit → syntax diagnostics", func() error {
		done := cl.await(func(p *protocol.PublishDiagnosticsParams) bool {
			v, _ := p.Version.Get()
			return p.URI == u && v == version && len(p.Diagnostics) > 0
		})
		if err := change(protocol.Range{Start: img, End: imgEnd}, ""); err != nil {
			return err
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			return fmt.Errorf("no syntax diagnostic")
		}
		return change(protocol.Range{Start: img, End: img}, "=")
	}); err != nil {
		return err
	}
	// Edit → policy diagnostics: MySQL → PostgreSQL and back.
	const want = "databaseEngine must be set to MySQL"
	engine := pos(`"MySQL"`, 1)
	mysqlEnd := protocol.Position{Line: engine.Line, Character: engine.Character + 5}
	pgEnd := protocol.Position{Line: engine.Line, Character: engine.Character + 10}
	policyN := n / 4
	if policyN < 10 {
		policyN = 10
	}
	for i := 0; i < policyN; i++ {
		done := cl.await(func(p *protocol.PublishDiagnosticsParams) bool { return has(p, want) })
		start := time.Now()
		if err := change(protocol.Range{Start: engine, End: mysqlEnd}, "PostgreSQL"); err != nil {
			return err
		}
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			return fmt.Errorf("no policy diagnostic after the edit")
		}
		results["edit → policy diagnostics"] = append(results["edit → policy diagnostics"], time.Since(start))
		cleared := cl.await(func(p *protocol.PublishDiagnosticsParams) bool { return p.URI == u && !has(p, want) })
		if err := change(protocol.Range{Start: engine, End: pgEnd}, "MySQL"); err != nil {
			return err
		}
		select {
		case <-cleared:
		case <-time.After(60 * time.Second):
			return fmt.Errorf("the policy diagnostic was not cleared")
		}
	}
	fmt.Printf("\n%-28s %6s %10s %10s %10s\n", "request", "n", "p50", "p95", "p99")
	names := make([]string, 0, len(results))
	for k := range results {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		d := results[k]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("%-28s %6d %10s %10s %10s\n", k, len(d), pct(d, 50), pct(d, 95), pct(d, 99))
	}
	fmt.Printf("\nserver peak RSS at the end: %s\n", peakRSS(cmd.Process.Pid))
	_ = srv.Shutdown(cctx)
	_ = srv.Exit(cctx)
	return nil
}

func pct(d []time.Duration, p int) string {
	i := (len(d)*p + 99) / 100
	if i > 0 {
		i--
	}
	return d[i].Round(10 * time.Microsecond).String()
}

// peakRSS reads VmHWM of a process.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
