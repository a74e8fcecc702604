//go:build linux

package hostile

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

// The env canary: set in every child's environment; read_env, /proc/self/environ
// and error source lines must never bring it into an output.
const (
	canaryName  = "KONFIG_HOSTILE_CANARY"
	canaryValue = "s3cr3t-hostile-canary-5d1e9b"
	// outsideSecret is the content of the secret files beside the workspace
	// (${OUTSIDE}/secret.txt and friends) that links and paths reach for.
	outsideSecret = "HOSTILE-OUTSIDE-SECRET-c41f07"
)

// Bounds of one command of a case: generous, as the machine is shared; the
// budgets under test are far below them.
const (
	processBound = 2 * time.Minute
	// expectBound bounds the wait for the server's expected text.
	expectBound  = 30 * time.Second
	cliMaxRSS    = 512 << 20
	serverMaxRSS = 1 << 30
)

// allModes are the ways a case is run: the CLI commands that evaluate a
// stack, and the language server.
var allModes = []string{"run", "compile", "check", "preview", "lsp"}

var binFlag = flag.String("bin", "", "use this konfig-lsp binary instead of building ./cmd/konfig-lsp")

// binary is the konfig-lsp under test, set once by TestMain.
var binary string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	if out := os.Getenv(runnerVar); out != "" {
		return runner(out, os.Args[1:])
	}
	flag.Parse()
	if *binFlag != "" {
		binary = *binFlag
		return m.Run()
	}
	if testing.Short() {
		return m.Run() // the tests skip themselves
	}
	dir, err := os.MkdirTemp("", "konfig-hostile-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "konfig-lsp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/konfig-lsp")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "hostile: go build ./cmd/konfig-lsp: %v\n%s", err, out)
		return 1
	}
	binary = bin
	return m.Run()
}

// testCase is one hostile workspace (a txtar of testdata/ over _base.txtar).
type testCase struct {
	name       string
	files      []txtar.File
	stack      string
	open       string
	hover      string
	symlinks   [][2]string // path, target
	generate   []generated
	timeout    time.Duration
	settings   map[string]any
	envVisible []string
	secrets    []secret
	modes      []string
	expect     map[string]string
}

type generated struct {
	path string
	size int64
}

type secret struct {
	value string
	modes []string // empty: every mode
}

func loadCases(t *testing.T) []*testCase {
	t.Helper()
	base, err := txtar.ParseFile(filepath.Join("testdata", "_base.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []*testCase
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), "_") {
			continue
		}
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseCase(strings.TrimSuffix(filepath.Base(p), ".txtar"), base, ar)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		t.Fatal("no cases in testdata")
	}
	return cases
}

// directives are the keys of the archive comment's directive lines; other
// lines describe the case.
var directives = []string{"stack", "open", "hover", "symlink", "generate", "timeout", "settings", "env-visible", "secret", "modes"}

func parseCase(name string, base, ar *txtar.Archive) (*testCase, error) {
	c := &testCase{name: name, stack: "app/dev", modes: allModes, expect: map[string]string{}}
	for line := range strings.Lines(string(ar.Comment)) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !slices.Contains(directives, key) {
			continue // description
		}
		val = strings.TrimSpace(val)
		switch key {
		case "stack":
			c.stack = val
		case "open":
			c.open = val
		case "hover":
			c.hover = val
		case "symlink":
			from, to, ok := strings.Cut(val, "->")
			if !ok {
				return nil, fmt.Errorf("symlink %q: want path -> target", val)
			}
			c.symlinks = append(c.symlinks, [2]string{strings.TrimSpace(from), strings.TrimSpace(to)})
		case "generate":
			f := strings.Fields(val)
			if len(f) != 2 {
				return nil, fmt.Errorf("generate %q: want path size", val)
			}
			n, err := parseSize(f[1])
			if err != nil {
				return nil, err
			}
			c.generate = append(c.generate, generated{f[0], n})
		case "timeout":
			d, err := time.ParseDuration(val)
			if err != nil {
				return nil, fmt.Errorf("timeout: %w", err)
			}
			c.timeout = d
		case "settings":
			if err := json.Unmarshal([]byte(val), &c.settings); err != nil {
				return nil, fmt.Errorf("settings: %w", err)
			}
		case "env-visible":
			c.envVisible = strings.Fields(val)
		case "secret":
			f := strings.Fields(val)
			if len(f) == 0 {
				return nil, errors.New("secret: empty")
			}
			c.secrets = append(c.secrets, secret{f[0], f[1:]})
		case "modes":
			c.modes = strings.Fields(val)
		}
	}
	if c.open == "" {
		c.open = c.stack + "/main.k"
	}
	files := map[string]int{}
	c.files = slices.Clone(base.Files)
	for i, f := range c.files {
		files[f.Name] = i
	}
	for _, f := range ar.Files {
		if f.Name == "expect" {
			for line := range strings.Lines(string(f.Data)) {
				mode, want, ok := strings.Cut(strings.TrimSpace(line), ":")
				if !ok {
					continue
				}
				c.expect[strings.TrimSpace(mode)] = strings.TrimSpace(want)
			}
			continue
		}
		if i, ok := files[f.Name]; ok {
			c.files[i] = f
			continue
		}
		files[f.Name] = len(c.files)
		c.files = append(c.files, f)
	}
	return c, nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	return n * mult, nil
}

// expectation returns what the case expects of mode ("" for nothing).
func (c *testCase) expectation(mode string) string {
	if e, ok := c.expect[mode]; ok {
		return e
	}
	return c.expect["*"]
}

// forbidden returns the texts that must not appear in mode's outputs.
func (c *testCase) forbidden(mode string) []string {
	out := []string{outsideSecret, base64.StdEncoding.EncodeToString([]byte(outsideSecret))}
	if !slices.Contains(c.envVisible, mode) {
		out = append(out, canaryValue, base64.StdEncoding.EncodeToString([]byte(canaryValue)))
	}
	for _, s := range c.secrets {
		if len(s.modes) == 0 || slices.Contains(s.modes, mode) {
			out = append(out, s.value)
		}
	}
	return out
}

func TestHostileWorkspaces(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile workspaces build and run the binary: skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the hostile suite reads /proc and needs Linux")
	}
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, mode := range c.modes {
				t.Run(mode, func(t *testing.T) {
					ws := materialize(t, c)
					before := ws.snapshot(t)
					var out string
					if mode == "lsp" {
						out = runServer(t, ws, c)
					} else {
						out = runCLI(t, ws, c, mode)
					}
					ws.checkChanges(t, mode, before, ws.snapshot(t))
					for _, s := range c.forbidden(mode) {
						if i := strings.Index(out, s); i >= 0 {
							t.Errorf("the output shows %q: …%s…", s, excerpt(out, i, len(s)))
						}
					}
				})
			}
		})
	}
}

// runCLI runs one CLI command of the case and checks its exit status, its
// expected error text and its peak RSS; it returns stdout and stderr.
func runCLI(t *testing.T, ws *workspace, c *testCase, mode string) string {
	t.Helper()
	stack := filepath.FromSlash(c.stack)
	args := []string{mode}
	dir := ws.root
	switch mode {
	case "run":
		// As kcl run in the stack's directory: the files of its kcl.yaml.
		dir = filepath.Join(ws.root, stack)
	case "compile", "check":
		args = append(args, stack)
	case "preview":
		// No cluster: the compile happens first, then the first call to the
		// cluster fails; the state goes to an allowed directory.
		args = append(args, "--detail", "--kubeconfig", filepath.Join(ws.home, "kubeconfig"), "--state-dir", ws.state, stack)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	if c.timeout > 0 {
		args = slices.Insert(args, 1, "--timeout", c.timeout.String())
	}
	ctx, cancel := context.WithTimeout(t.Context(), processBound)
	defer cancel()
	// Through the runner (this test binary), so that the peak RSS is the
	// command's own (see runner).
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rssFile := filepath.Join(ws.home, "rss")
	cmd := exec.CommandContext(ctx, self, append([]string{binary}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(ws.env(), runnerVar+"="+rssFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	out := ws.normalize(stdout.String() + stderr.String())
	if ctx.Err() != nil {
		t.Fatalf("konfig-lsp %s did not end within %s\n%s", strings.Join(args, " "), processBound, tail(out))
	}
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("konfig-lsp %s: %v", strings.Join(args, " "), err)
	}
	rss := int64(-1)
	if data, err := os.ReadFile(rssFile); err == nil {
		rss, _ = strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	}
	t.Logf("konfig-lsp %s: exit %d in %s, peak RSS %d MiB", strings.Join(args, " "), code, elapsed.Round(time.Millisecond), rss>>20)
	if rss > cliMaxRSS {
		t.Errorf("peak RSS %d MiB, over the %d MiB bound", rss>>20, cliMaxRSS>>20)
	}
	if code != 0 && code != 1 {
		t.Errorf("exit status %d (a crash or a signal?)\n%s", code, tail(out))
	}
	switch want, ok := okExpectation(c.expectation(mode)); {
	case want == "" && !ok:
	case ok:
		if code != 0 {
			t.Errorf("exit status %d, want 0\n%s", code, tail(out))
		} else if i, _ := matchAny(out, want); want != "" && i < 0 {
			t.Errorf("the output does not contain %q\n%s", want, tail(out))
		}
	default:
		if code == 0 {
			t.Errorf("exit status 0, want an error containing %q\n%s", want, tail(out))
		} else if i, n := matchAny(out, want); i < 0 {
			t.Errorf("the error does not contain %q\n%s", want, tail(out))
		} else {
			t.Logf("expected %q: …%s…", want, excerpt(out, i, n))
		}
	}
	return out
}

// runnerVar names the file where the runner writes the command's peak RSS.
const runnerVar = "KONFIG_HOSTILE_RUNNER_RSS"

// runner runs argv with the same stdio and environment (but runnerVar),
// writes its peak RSS in bytes to out and exits with its status. The test
// process starts commands through it because Linux starts a child's
// ru_maxrss at its parent's peak when Go spawns it (vfork and exec share
// the parent's memory): the runner's own memory is small.
func runner(out string, argv []string) int {
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "hostile runner: no command")
		return 2
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, runnerVar+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// The command dies with the runner (killed at the test's bound).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "hostile runner:", err)
		return 2
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		_ = os.WriteFile(out, []byte(strconv.FormatInt(ru.Maxrss<<10, 10)), 0o644)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// okExpectation splits an expectation "ok [text]" (success, showing text)
// from "text" (an error showing text).
func okExpectation(e string) (want string, ok bool) {
	if e == "ok" {
		return "", true
	}
	if rest, found := strings.CutPrefix(e, "ok "); found {
		return strings.TrimSpace(rest), true
	}
	return e, false
}

// matchAny returns the index and length of the first of the |-separated
// alternatives of want found in s, ignoring case (-1 if none is).
func matchAny(s, want string) (int, int) {
	s = strings.ToLower(s)
	for alt := range strings.SplitSeq(want, "|") {
		if alt = strings.ToLower(strings.TrimSpace(alt)); alt != "" {
			if i := strings.Index(s, alt); i >= 0 {
				return i, len(alt)
			}
		}
	}
	return -1, 0
}

func tail(s string) string {
	const max = 3000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

func excerpt(s string, i, n int) string {
	lo, hi := max(0, i-100), min(len(s), i+n+100)
	return strings.Join(strings.Fields(s[lo:hi]), " ")
}
