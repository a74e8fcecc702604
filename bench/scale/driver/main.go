// Command driver is the language-server side of the scale benchmark
// (bench/scale/run.sh; issue 13, point 5). It has three modes:
//
//	driver run   -server BIN -root KONFIG -size LABEL -out FILE.json [flags]
//	driver timev -size LABEL -rc RC -out FILE.json TIME_V_OUTPUT
//	driver table [-o FILE.md] FILE.json...
//
// run starts the real konfig-lsp binary (`BIN serve`), speaks JSON-RPC to
// it over stdio as an editor would (go.lsp.dev/jsonrpc2 and protocol v1.0.1
// through lsp.ConnectClient, the project's test client) and plays the steps
// of issue 13's table on one Konfig repository: open one stack's main.k
// (first diagnostics, then that stack's policy diagnostics), open 10 and
// then 100 other stacks' main.k in a burst (until quiet, and the RSS then),
// workspace/symbol, completion and hover latencies, an edit of the frontend
// Server model (until the diagnostics stop), the server's peak RSS, and the
// index build if the server reports one through $/progress. Every step is
// bounded by -timeout; a step that runs out is recorded as "timeout" and the
// steps after it as "skipped". timev turns the output of `/usr/bin/time -v
// konfig-lsp check ROOT` into the same JSON form; table prints the medians
// of several runs and sizes as the markdown table of README.md.
//
// It is a benchmark harness, not a test: the figures go to files and
// stdout, and nothing here asserts on time.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/lsp"
)

// cell is one measured figure of a run.
type cell struct {
	V     float64 `json:"v,omitempty"`
	Unit  string  `json:"unit,omitempty"`  // "s", "B" or "" (a count)
	State string  `json:"state,omitempty"` // "" (measured), "timeout", "n/a", "skipped", "failed"
	Note  string  `json:"note,omitempty"`
}

// result is one run of one mode on one repository.
type result struct {
	Size       string          `json:"size"`
	Mode       string          `json:"mode"` // "lsp" or "check"
	Root       string          `json:"root,omitempty"`
	Files      int             `json:"files,omitempty"`
	Lines      int             `json:"lines,omitempty"`
	Stacks     int             `json:"stacks,omitempty"`
	Started    string          `json:"started"`
	LoadBefore string          `json:"loadBefore"`
	LoadAfter  string          `json:"loadAfter"`
	Settings   string          `json:"settings,omitempty"`
	Cells      map[string]cell `json:"cells"`
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("driver: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: driver run|timev|table [flags] (see the package doc)")
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runMain(os.Args[2:])
	case "timev":
		err = timevMain(os.Args[2:])
	case "table":
		err = tableMain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q (run, timev or table)", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

func writeJSON(path string, r *result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "" || path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// timevMain records `/usr/bin/time -v konfig-lsp check ROOT` (wall, user +
// system CPU, maximum RSS); rc is the exit status of the timed command (124:
// killed by timeout(1)).
func timevMain(args []string) error {
	fl := flag.NewFlagSet("timev", flag.ExitOnError)
	size := fl.String("size", "", "the size label")
	rc := fl.Int("rc", 0, "exit status of the timed command (124: timeout)")
	out := fl.String("out", "-", "the JSON file to write")
	root := fl.String("root", "", "the repository checked")
	before := fl.String("load-before", "", "the load average before the command (default: now)")
	started := fl.String("started", "", "when the command started (default: now)")
	_ = fl.Parse(args)
	if fl.NArg() != 1 {
		return fmt.Errorf("timev: want the output file of /usr/bin/time -v")
	}
	r := &result{Size: *size, Mode: "check", Root: *root, Started: time.Now().UTC().Format(time.RFC3339),
		LoadBefore: *before, LoadAfter: loadavg(), Cells: map[string]cell{}}
	if r.LoadBefore == "" {
		r.LoadBefore = r.LoadAfter
	}
	if *started != "" {
		r.Started = *started
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	var wall, user, sys float64
	var rss int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "Elapsed (wall clock) time"):
			wall = parseClock(v)
		case k == "User time (seconds)":
			user, _ = strconv.ParseFloat(v, 64)
		case k == "System time (seconds)":
			sys, _ = strconv.ParseFloat(v, 64)
		case k == "Maximum resident set size (kbytes)":
			kb, _ := strconv.ParseInt(v, 10, 64)
			rss = kb << 10
		}
	}
	switch {
	case *rc == 124 || *rc == 137:
		for _, k := range []string{"check.wall", "check.cpu", "check.rss"} {
			r.Cells[k] = cell{State: "timeout"}
		}
	case *rc > 1 || wall == 0:
		for _, k := range []string{"check.wall", "check.cpu", "check.rss"} {
			r.Cells[k] = cell{State: "failed", Note: fmt.Sprintf("exit status %d", *rc)}
		}
	default:
		r.Cells["check.wall"] = cell{V: wall, Unit: "s"}
		r.Cells["check.cpu"] = cell{V: user + sys, Unit: "s"}
		r.Cells["check.rss"] = cell{V: float64(rss), Unit: "B"}
	}
	return writeJSON(*out, r)
}

// parseClock reads GNU time's "h:mm:ss" or "m:ss.cc".
func parseClock(s string) float64 {
	var t float64
	for _, part := range strings.Split(strings.TrimSpace(s), ":") {
		v, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return 0
		}
		t = t*60 + v
	}
	return t
}

// repo is what the driver knows of the repository: sizes and stacks.
type repo struct {
	root                 string
	files, lines, stacks int
	mains                []string // main.k of every stack, relative, sorted
}

func scanRepo(root string) (*repo, error) {
	r := &repo{root: root}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(p, ".k"):
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			r.files++
			r.lines += strings.Count(string(b), "\n")
		case d.Name() == "stack.yaml":
			r.stacks++
			main := filepath.Join(filepath.Dir(p), "main.k")
			if _, err := os.Stat(main); err == nil {
				rel, _ := filepath.Rel(root, main)
				r.mains = append(r.mains, rel)
			}
		}
		return nil
	})
	sort.Strings(r.mains)
	return r, err
}

// spread picks n of list, evenly spaced (so that a selection reaches across
// projects, copies and model copies), leaving out those in skip.
func spread(list []string, n int, skip map[string]bool) []string {
	var avail []string
	for _, s := range list {
		if !skip[s] {
			avail = append(avail, s)
		}
	}
	if n > len(avail) {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = avail[i*len(avail)/n]
	}
	return out
}

// position is the UTF-16 position of needle in src, plus delta characters
// (ASCII lines only).
func position(src, needle string, delta int) (protocol.Position, bool) {
	i := strings.Index(src, needle)
	if i < 0 {
		return protocol.Position{}, false
	}
	line := strings.Count(src[:i], "\n")
	col := i - (strings.LastIndex(src[:i], "\n") + 1) + delta
	return protocol.Position{Line: uint32(line), Character: uint32(col)}, true
}

// Settings of the steps.
const (
	// The stack opened first, and the change that makes it fail a policy
	// (an assert of the Server backend model): "its stack's policy
	// diagnostics" are the first publish holding that error.
	firstStack  = "appops/wordpress/dev/main.k"
	probeFrom   = `databaseEngine = "MySQL"`
	probeTo     = `databaseEngine = "PostgreSQL"`
	probeNeedle = "databaseEngine must be set to MySQL"
	// The model edited: one optional attribute added to schema Server.
	modelFile  = "base/pkg/kusion_models/kube/frontend/server.k"
	modelAfter = "\n    name?: str\n"
	modelLine  = "    scaleBenchProbe?: int\n"
)

type runner struct {
	ctx     context.Context
	srv     protocol.Server
	cl      *client
	proc    *server
	root    string
	timeout time.Duration
	idle    time.Duration
	cpuIdle float64
	cells   map[string]cell
	aborted string // the step that timed out; later steps are skipped
	want    map[string]bool
}

func (r *runner) set(key string, c cell) {
	r.cells[key] = c
	v := fmt.Sprintf("%s %s", fmtValue(c), c.Note)
	fmt.Fprintf(os.Stderr, "driver: %-16s %s\n", key, strings.TrimSpace(v))
}

func (r *runner) skip(keys ...string) bool {
	if r.aborted == "" {
		return false
	}
	for _, k := range keys {
		r.set(k, cell{State: "skipped", Note: "after the timeout of " + r.aborted})
	}
	return true
}

func (r *runner) timedOut(step string, keys ...string) {
	for _, k := range keys {
		r.set(k, cell{State: "timeout", Note: fmt.Sprintf("> %s", r.timeout)})
	}
	r.aborted = step
}

func (r *runner) open(rel, text string) (uri.URI, error) {
	u := uri.File(filepath.Join(r.root, rel))
	return u, r.srv.DidOpen(r.ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: u, LanguageID: "kcl", Version: 1, Text: text}})
}

func (r *runner) read(rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join(r.root, rel))
	return string(b), err
}

// openMany opens the main.k of stacks in one burst and waits until quiet;
// a stack counts as reported at the second publish of its main.k.
func (r *runner) openMany(step string, mains []string) error {
	qk, rk := step+".quiet", step+".rss"
	if r.skip(qk, rk) {
		return nil
	}
	texts := make([]string, len(mains))
	for i, m := range mains {
		t, err := r.read(m)
		if err != nil {
			return err
		}
		texts[i] = t
	}
	us := make([]uri.URI, len(mains))
	t0 := time.Now()
	for i, m := range mains {
		u, err := r.open(m, texts[i])
		if err != nil {
			return err
		}
		us[i] = u
	}
	reported := func() int {
		n := 0
		for _, u := range us {
			if r.cl.since(u, t0) >= 2 {
				n++
			}
		}
		return n
	}
	q := r.cl.waitQuiet(t0, r.idle, r.cpuIdle, r.proc.activity, reported, len(us), t0.Add(r.timeout))
	if !q.settled {
		r.timedOut(step, qk, rk)
		return nil
	}
	note := ""
	if q.reported < q.expected {
		note = fmt.Sprintf("%d/%d reported", q.reported, q.expected)
	}
	d := 0.0
	if !q.last.IsZero() {
		d = q.last.Sub(t0).Seconds()
	}
	r.set(qk, cell{V: d, Unit: "s", Note: note})
	r.set(rk, cell{V: float64(r.proc.rss()), Unit: "B"})
	return nil
}

func runMain(args []string) error {
	fl := flag.NewFlagSet("run", flag.ExitOnError)
	bin := fl.String("server", "konfig-lsp", "the konfig-lsp binary")
	root := fl.String("root", "", "the Konfig repository")
	size := fl.String("size", "", "the size label of the repository (31k, 300k, 1.2m)")
	out := fl.String("out", "-", "the JSON file to write")
	timeout := fl.Duration("timeout", 10*time.Minute, "bound of each step")
	idle := fl.Duration("idle", 2*time.Second, "quiet: the window without publishDiagnostics")
	cpuIdle := fl.Float64("cpu-idle", 0.05, "quiet when not every document reported: the server ran or waited to run for less than this share of the window (and read less than 1 MiB)")
	n := fl.Int("n", 200, "completion and hover requests timed")
	debounce := fl.Int("debounce-ms", -1, "initializationOptions.debounceMs (-1: the server's default)")
	watch := fl.Bool("watch", false, "advertise didChangeWatchedFiles dynamic registration (the client watches files)")
	warm := fl.Bool("warm", true, "when the server reported an index build, restart it and time the warm build")
	level := fl.String("log-level", "error", "the server's --log-level")
	logFile := fl.String("server-log", "", "the server's stderr (default: discarded)")
	stepList := fl.String("steps", "open1,open10,open100,symbols,requests,edit,affected", "the steps to play, in their fixed order (requests needs open1)")
	_ = fl.Parse(args)
	if *root == "" {
		return fmt.Errorf("run: -root is required")
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	res := &result{Size: *size, Mode: "lsp", Root: abs, Started: time.Now().UTC().Format(time.RFC3339),
		LoadBefore: loadavg(), Cells: map[string]cell{}}
	rp, err := scanRepo(abs)
	if err != nil {
		return err
	}
	res.Files, res.Lines, res.Stacks = rp.files, rp.lines, rp.stacks
	var opts []string
	if *debounce >= 0 {
		opts = append(opts, fmt.Sprintf("debounceMs=%d", *debounce))
	} else {
		opts = append(opts, "debounce=server default")
	}
	opts = append(opts, fmt.Sprintf("watch=%v idle=%s cpu-idle=%g timeout=%s n=%d", *watch, *idle, *cpuIdle, *timeout, *n))
	res.Settings = strings.Join(opts, " ")
	fmt.Fprintf(os.Stderr, "driver: %s: %d .k files, %d lines, %d stacks (%s); load %s\n",
		abs, rp.files, rp.lines, rp.stacks, res.Settings, res.LoadBefore)

	var logTo io.Writer = io.Discard
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		logTo = f
	}
	sess, err := startSession(*bin, *level, logTo, abs, *debounce, *watch, *timeout)
	if err != nil {
		return err
	}
	r := &runner{ctx: sess.ctx, srv: sess.srv, cl: sess.cl, proc: sess.proc, root: abs, timeout: *timeout,
		idle: *idle, cpuIdle: *cpuIdle, cells: res.Cells, want: map[string]bool{}}
	for _, st := range strings.Split(*stepList, ",") {
		r.want[strings.TrimSpace(st)] = true
	}
	stepErr := r.steps(rp, *n)
	builds := sess.cl.indexBuilds()
	sess.close()
	if stepErr != nil {
		res.LoadAfter = loadavg()
		_ = writeJSON(*out, res)
		return stepErr
	}
	if len(builds) == 0 {
		r.set("index.cold", cell{State: "n/a", Note: "no $/progress titled …index… (no workspace index yet)"})
		r.set("index.rss", cell{State: "n/a"})
		r.set("index.warm", cell{State: "n/a"})
	} else {
		b := builds[0]
		r.set("index.cold", cell{V: b.end.Sub(sess.initialized).Seconds(), Unit: "s", Note: b.title})
		r.set("index.rss", cell{V: float64(b.rss), Unit: "B"})
		if *warm {
			r.warmIndex(*bin, *level, logTo, abs, *debounce, *watch)
		} else {
			r.set("index.warm", cell{State: "n/a", Note: "-warm=false"})
		}
	}
	res.LoadAfter = loadavg()
	return writeJSON(*out, res)
}

// session is a started and initialized server.
type session struct {
	ctx         context.Context
	cancel      context.CancelFunc
	srv         protocol.Server
	cl          *client
	proc        *server
	initialized time.Time
	close       func()
}

func startSession(bin, level string, logTo io.Writer, root string, debounce int, watch bool, timeout time.Duration) (*session, error) {
	proc, stream, err := startServer(bin, level, logTo)
	if err != nil {
		return nil, err
	}
	cl := newClient(probeNeedle)
	cl.rss = proc.rss
	ctx, cancel := context.WithCancel(context.Background())
	cctx, conn, srv := lsp.ConnectClient(ctx, cl, stream)
	s := &session{ctx: cctx, cancel: cancel, srv: srv, cl: cl, proc: proc}
	s.close = func() {
		_, _ = withTimeout(cctx, 10*time.Second, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, srv.Shutdown(ctx)
		})
		_ = srv.Exit(cctx)
		proc.stop(10 * time.Second)
		cancel()
		_ = conn.Close()
	}
	yes := true
	caps := protocol.ClientCapabilities{Window: &protocol.WindowClientCapabilities{WorkDoneProgress: &yes}}
	if watch {
		caps.Workspace = &protocol.WorkspaceClientCapabilities{
			DidChangeWatchedFiles: &protocol.DidChangeWatchedFilesClientCapabilities{DynamicRegistration: &yes}}
	}
	params := &protocol.InitializeParams{Capabilities: caps}
	if debounce >= 0 {
		params.InitializationOptions = []byte(fmt.Sprintf(`{"debounceMs": %d}`, debounce))
	}
	params.WorkspaceFolders = protocol.NewNullable([]protocol.WorkspaceFolder{{URI: uri.File(root), Name: filepath.Base(root)}})
	if _, err := withTimeout(cctx, timeout, func(ctx context.Context) (*protocol.InitializeResult, error) {
		return srv.Initialize(ctx, params)
	}); err != nil {
		s.close()
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if err := srv.Initialized(cctx, &protocol.InitializedParams{}); err != nil {
		s.close()
		return nil, fmt.Errorf("initialized: %w", err)
	}
	s.initialized = time.Now()
	return s, nil
}

// steps plays the table's rows on one server.
func (r *runner) steps(rp *repo, n int) error {
	// 1. Open one main.k, its text changed to fail a policy.
	src, err := r.read(firstStack)
	if err != nil {
		return err
	}
	if !strings.Contains(src, probeFrom) {
		return fmt.Errorf("%s does not hold %q", firstStack, probeFrom)
	}
	src = strings.Replace(src, probeFrom, probeTo, 1)
	for step, keys := range stepKeys {
		if !r.want[step] || step == "requests" && !r.want["open1"] {
			for _, k := range keys {
				r.cells[k] = cell{State: "not run", Note: "not in -steps"}
			}
		}
	}
	var u uri.URI
	if r.want["open1"] {
		if err := r.openFirst(src, &u); err != nil {
			return err
		}
	}
	opened := map[string]bool{firstStack: true}
	if r.want["open10"] {
		ten := spread(rp.mains, 10, opened)
		if ten == nil {
			r.set("open10.quiet", cell{State: "n/a", Note: fmt.Sprintf("only %d stacks", rp.stacks)})
		} else {
			for _, m := range ten {
				opened[m] = true
			}
			if err := r.openMany("open10", ten); err != nil {
				return err
			}
		}
	}
	if r.want["open100"] {
		hundred := spread(rp.mains, 100, opened)
		if hundred == nil {
			r.set("open100.quiet", cell{State: "n/a", Note: fmt.Sprintf("%d stacks: fewer than 100 left to open", rp.stacks)})
			r.set("open100.rss", cell{State: "n/a"})
		} else if err := r.openMany("open100", hundred); err != nil {
			return err
		}
	}
	if r.want["open1"] {
		if err := r.mend(&src, u); err != nil {
			return err
		}
	}
	if r.want["symbols"] {
		r.symbols()
	}
	if r.want["requests"] && r.want["open1"] {
		if err := r.requests(src, u, n); err != nil {
			return err
		}
	}
	if r.want["edit"] {
		if err := r.edit(); err != nil {
			return err
		}
	}
	r.set("peak.rss", cell{V: float64(r.proc.peak()), Unit: "B"})
	return nil
}

// stepKeys are the cells of each step of -steps.
var stepKeys = map[string][]string{
	"open1":    {"open1.first", "open1.policy"},
	"open10":   {"open10.quiet", "open10.rss"},
	"open100":  {"open100.quiet", "open100.rss"},
	"symbols":  {"wsym.first", "wsym.later"},
	"requests": {"completion.p99", "hover.p99"},
	"edit":     {"edit.stop", "edit.idle"},
	"affected": {"affected.time", "affected.rss"},
}

// idleSince waits until the server has been idle (see busy) for a window
// of 500 ms and returns the start of that window: the end of its work, to
// half a second. false at the deadline.
func (r *runner) idleSince(deadline time.Time) (time.Time, bool) {
	const window = 500 * time.Millisecond
	for time.Now().Before(deadline) {
		start, a0 := time.Now(), r.proc.activity()
		time.Sleep(window)
		if !busy(a0, r.proc.activity(), time.Since(start), r.cpuIdle) {
			return start, true
		}
	}
	return time.Time{}, false
}

// affected runs the server's "Check affected stacks" command on the model
// file (after the edit step, when it ran): the time until it answers, the
// server's RSS then, and its summary.
func (r *runner) affected() error {
	arg, err := json.Marshal(string(uri.File(filepath.Join(r.root, modelFile))))
	if err != nil {
		return err
	}
	t0 := time.Now()
	raw, err := withTimeout(r.ctx, r.timeout, func(ctx context.Context) (any, error) {
		return r.srv.ExecuteCommand(ctx, &protocol.ExecuteCommandParams{Command: "konfig.checkAffected", Arguments: []protocol.LSPAny{arg},
			WorkDoneProgressParams: protocol.WorkDoneProgressParams{WorkDoneToken: protocol.String("bench-affected")}})
	})
	d := time.Since(t0)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			r.timedOut("affected", "affected.time", "affected.rss")
			return nil
		}
		r.set("affected.time", cell{State: "—", Note: err.Error()})
		return nil
	}
	var res struct {
		Summary string `json:"summary"`
	}
	if b, ok := raw.(json.RawMessage); ok {
		_ = json.Unmarshal(b, &res)
	} else if b, err := json.Marshal(raw); err == nil {
		_ = json.Unmarshal(b, &res)
	}
	r.set("affected.time", cell{V: d.Seconds(), Unit: "s", Note: res.Summary})
	r.set("affected.rss", cell{V: float64(r.proc.rss()), Unit: "B"})
	return nil
}

// openFirst opens the first stack (the probe's policy error in src).
func (r *runner) openFirst(src string, up *uri.URI) error {
	t0 := time.Now()
	u, err := r.open(firstStack, src)
	if err != nil {
		return err
	}
	*up = u
	deadline := t0.Add(r.timeout)
	if !r.cl.waitUntil(deadline, func() bool { return r.cl.since(u, t0) > 0 }) {
		r.timedOut("open1", "open1.first", "open1.policy")
	} else {
		at, _ := r.cl.firstSince(u, t0)
		r.set("open1.first", cell{V: at.Sub(t0).Seconds(), Unit: "s"})
		var policyAt time.Time
		if !r.cl.waitUntil(deadline, func() bool {
			r.cl.mu.Lock()
			defer r.cl.mu.Unlock()
			policyAt = r.cl.probed[u]
			return !policyAt.IsZero()
		}) {
			r.timedOut("open1", "open1.policy")
		} else {
			r.set("open1.policy", cell{V: policyAt.Sub(t0).Seconds(), Unit: "s"})
		}
	}
	// Let the first stack's run finish before the next step.
	if r.aborted == "" {
		if q := r.cl.waitQuiet(t0, r.idle, r.cpuIdle, r.proc.activity, func() int { return 1 }, 1, time.Now().Add(r.timeout)); !q.settled {
			r.aborted = "open1 (settling)"
		}
	}

	return nil
}

// mend changes the first stack back (PostgreSQL to MySQL) so that hover
// previews a stack that compiles, and waits for its policy error to clear.
func (r *runner) mend(srcp *string, u uri.URI) error {
	src := *srcp
	if !r.skip("mend") {
		from, ok := position(src, probeTo, len("databaseEngine = "))
		if !ok {
			return fmt.Errorf("no %q in the first stack", probeTo)
		}
		to := from
		to.Character += uint32(len(`"PostgreSQL"`))
		t0 := time.Now()
		if err := r.srv.DidChange(r.ctx, &protocol.DidChangeTextDocumentParams{
			TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: 2},
			ContentChanges: []protocol.TextDocumentContentChangeEvent{&protocol.TextDocumentContentChangePartial{Range: protocol.Range{Start: from, End: to}, Text: `"MySQL"`}},
		}); err != nil {
			return err
		}
		*srcp = strings.Replace(src, probeTo, probeFrom, 1)
		deadline := t0.Add(r.timeout)
		if !r.cl.waitUntil(deadline, func() bool { return r.cl.cleared(u, t0) }) {
			r.timedOut("mend", "mend")
		} else {
			if q := r.cl.waitQuiet(t0, r.idle, r.cpuIdle, r.proc.activity, func() int { return 1 }, 1, deadline); !q.settled {
				r.timedOut("mend", "mend")
			}
		}
	}

	return nil
}

// symbols times workspace/symbol: the first request, then the median of
// others.
func (r *runner) symbols() {
	if !r.skip("wsym.first", "wsym.later") {
		queries := []string{"Server", "Sidecar", "Container", "Service", "Secret", "Volume", "Ingress", "Probe", "Job", "Config"}
		var times []float64
		for _, q := range queries {
			start := time.Now()
			_, err := withTimeout(r.ctx, r.timeout, func(ctx context.Context) (protocol.WorkspaceSymbolResult, error) {
				return r.srv.Symbols(ctx, &protocol.WorkspaceSymbolParams{Query: q})
			})
			if err != nil {
				if r.ctx.Err() == nil && time.Since(start) >= r.timeout {
					r.timedOut("workspace/symbol", "wsym.first", "wsym.later")
					break
				}
				r.set("wsym.first", cell{State: "failed", Note: fmt.Sprintf("query %q: %v", q, err)})
				r.set("wsym.later", cell{State: "failed"})
				return
			}
			times = append(times, time.Since(start).Seconds())
		}
		if len(times) == len(queries) {
			r.set("wsym.first", cell{V: times[0], Unit: "s"})
			r.set("wsym.later", cell{V: median(times[1:]), Unit: "s"})
		}
	}

}

// requests times completion (in the first stack's Server block) and hover
// (on the instance: the preview of its resources).
func (r *runner) requests(src string, u uri.URI, n int) error {
	if !r.skip("completion.p99", "hover.p99") {
		inBlock, ok1 := position(src, `image = "wordpress:4.8-apache"`, 4)
		instance, ok2 := position(src, "wordpress: frontend", 2)
		if !ok1 || !ok2 {
			return fmt.Errorf("%s: no image attribute", firstStack)
		}
		tdp := func(p protocol.Position) protocol.TextDocumentPositionParams {
			return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: p}
		}
		var answer any // the latest answer, for its size
		reqs := []struct {
			key string
			f   func(context.Context) error
		}{
			{"completion.p99", func(ctx context.Context) error {
				res, err := r.srv.Completion(ctx, &protocol.CompletionParams{TextDocumentPositionParams: tdp(inBlock)})
				answer = res
				return err
			}},
			{"hover.p99", func(ctx context.Context) error {
				res, err := r.srv.Hover(ctx, &protocol.HoverParams{TextDocumentPositionParams: tdp(instance)})
				answer = res
				return err
			}},
		}
		for _, q := range reqs {
			var times []float64
			for i := 0; i <= n && r.aborted == ""; i++ { // the first is a warm-up
				start := time.Now()
				_, err := withTimeout(r.ctx, r.timeout, func(ctx context.Context) (struct{}, error) { return struct{}{}, q.f(ctx) })
				if err != nil {
					if time.Since(start) >= r.timeout {
						r.timedOut(q.key, q.key)
						break
					}
					return fmt.Errorf("%s: %w", q.key, err)
				}
				if i > 0 {
					times = append(times, time.Since(start).Seconds())
				}
			}
			if len(times) == n {
				b, _ := json.Marshal(answer)
				r.set(q.key, cell{V: percentile(times, 99), Unit: "s", Note: fmt.Sprintf("%d requests, answers of %d bytes", n, len(b))})
			} else if r.cells[q.key].State == "" {
				r.skip(q.key)
			}
		}
	}

	return nil
}

// edit opens the Server model and adds an attribute at once.
func (r *runner) edit() error {
	if !r.skip("edit.stop") {
		text, err := r.read(modelFile)
		if err != nil {
			return err
		}
		at, ok := position(text, modelAfter, len(modelAfter))
		if !ok {
			return fmt.Errorf("%s does not hold %q", modelFile, modelAfter)
		}
		at.Character = 0
		t0 := time.Now()
		mu, err := r.open(modelFile, text)
		if err != nil {
			return err
		}
		if err := r.srv.DidChange(r.ctx, &protocol.DidChangeTextDocumentParams{
			TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: mu}, Version: 2},
			ContentChanges: []protocol.TextDocumentContentChangeEvent{&protocol.TextDocumentContentChangePartial{Range: protocol.Range{Start: at, End: at}, Text: modelLine}},
		}); err != nil {
			return err
		}
		// Reported: the publish after the open's and the change's own.
		reported := func() int {
			if r.cl.since(mu, t0) >= 3 {
				return 1
			}
			return 0
		}
		q := r.cl.waitQuiet(t0, r.idle, r.cpuIdle, r.proc.activity, reported, 1, t0.Add(r.timeout))
		if !q.settled {
			r.timedOut("edit", "edit.stop")
		} else {
			note := ""
			if q.reported < q.expected {
				note = "server.k never re-published"
			}
			d := 0.0
			if !q.last.IsZero() {
				d = q.last.Sub(t0).Seconds()
			}
			r.set("edit.stop", cell{V: d, Unit: "s", Note: note})
			// The stacks of open files are evaluated again; their
			// diagnostics may not change (nothing published): the
			// end of that work is when the server goes idle.
			if idle, ok := r.idleSince(t0.Add(r.timeout)); ok {
				r.set("edit.idle", cell{V: idle.Sub(t0).Seconds(), Unit: "s"})
			} else {
				r.set("edit.idle", cell{State: "timeout", Note: fmt.Sprintf("> %s", r.timeout)})
			}
		}
	}
	if r.want["affected"] && !r.skip("affected.time", "affected.rss") {
		if err := r.affected(); err != nil {
			return err
		}
	}
	return nil
}

// warmIndex restarts the server on the unchanged repository and times its
// index build (from initialized to the end of the index's $/progress).
func (r *runner) warmIndex(bin, level string, logTo io.Writer, root string, debounce int, watch bool) {
	sess, err := startSession(bin, level, logTo, root, debounce, watch, r.timeout)
	if err != nil {
		r.set("index.warm", cell{State: "failed", Note: err.Error()})
		return
	}
	defer sess.close()
	if !sess.cl.waitUntil(sess.initialized.Add(r.timeout), func() bool { return len(sess.cl.indexBuilds()) > 0 }) {
		r.set("index.warm", cell{State: "timeout", Note: fmt.Sprintf("> %s", r.timeout)})
		return
	}
	b := sess.cl.indexBuilds()[0]
	r.set("index.warm", cell{V: b.end.Sub(sess.initialized).Seconds(), Unit: "s", Note: b.title})
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile is the nearest-rank percentile p of v.
func percentile(v []float64, p int) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}
