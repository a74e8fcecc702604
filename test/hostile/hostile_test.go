//go:build linux

package hostile

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	// The module's one -update flag, so that `go test ./... -update` runs here too.
	_ "github.com/konfig-lsp/konfig-lsp/internal/testutil"
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

func TestHostileWorkspaces(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile workspaces build and run the binary: skipped in -short mode")
	}
	cases, err := LoadCases("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, mode := range c.modes {
				t.Run(mode, func(t *testing.T) {
					ws, err := Materialize(t.TempDir(), c)
					if err != nil {
						t.Fatal(err)
					}
					before, err := ws.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					var out string
					if mode == "lsp" {
						out = runServer(t, ws, c)
					} else {
						out = runCLI(t, ws, c, mode)
					}
					after, err := ws.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					for _, ch := range ws.Changes(mode, before, after) {
						t.Errorf("%s: %s", mode, ch)
					}
					for _, s := range c.Forbidden(mode) {
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
func runCLI(t *testing.T, ws *Workspace, c *Case, mode string) string {
	t.Helper()
	stack := filepath.FromSlash(c.Stack)
	args := []string{mode}
	dir := ws.Root
	switch mode {
	case "run":
		// As kcl run in the stack's directory: the files of its kcl.yaml.
		dir = filepath.Join(ws.Root, stack)
	case "compile", "check":
		args = append(args, stack)
	case "preview":
		// No cluster: the compile happens first, then the first call to the
		// cluster fails; the state goes to an allowed directory.
		args = append(args, "--detail", "--kubeconfig", filepath.Join(ws.Home, "kubeconfig"), "--state-dir", ws.State, stack)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	if c.Timeout > 0 {
		args = slices.Insert(args, 1, "--timeout", c.Timeout.String())
	}
	args = slices.Insert(args, 1, c.Flags(mode)...)
	ctx, cancel := context.WithTimeout(t.Context(), processBound)
	defer cancel()
	// Through the runner (this test binary), so that the peak RSS is the
	// command's own (see runner).
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rssFile := filepath.Join(ws.Home, "rss")
	cmd := exec.CommandContext(ctx, self, append([]string{binary}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(ws.Env(), runnerVar+"="+rssFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	out := ws.Normalize(stdout.String() + stderr.String())
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
	wants, ok := c.Want(mode)
	at, missing, found := MatchAll(out, wants)
	switch {
	case ok && code != 0:
		t.Errorf("exit status %d, want 0\n%s", code, tail(out))
	case !ok && len(wants) > 0 && code == 0:
		t.Errorf("exit status 0, want an error containing %q\n%s", wants, tail(out))
	case !found:
		t.Errorf("the output does not contain %q (after %q)\n%s", wants[missing], wants[:missing], tail(out))
	}
	for k, m := range at {
		t.Logf("expected %q: …%s…", wants[k], excerpt(out, m[0], m[1]))
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
