// Command trust measures the bombs of the hostile suite (test/hostile)
// through the CLI and through the language server: the CLI's wall time and
// peak RSS (/usr/bin/time), the server's time from didOpen to the budget
// diagnostic, its peak RSS (VmHWM) and the latency of hovers sent back to
// back meanwhile. It prints the median of -n runs of each. Run by
// bench/trust/run.sh.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/konfig-lsp/konfig-lsp/test/hostile"
)

func main() {
	bin := flag.String("bin", "", "konfig-lsp binary (required)")
	cases := flag.String("cases", "test/hostile/testdata", "directory of the hostile cases")
	bombs := flag.String("bombs", "yaml-alias-bomb,doubling-bomb,big-file,big-file-open,endless-comprehension", "cases to measure")
	modes := flag.String("modes", "run,compile,check,lsp", "modes to measure (run, compile, check, preview, lsp)")
	n := flag.Int("n", 3, "runs of each (the median is printed)")
	bound := flag.Duration("bound", 60*time.Second, "kill a run after this long")
	flag.Parse()
	if err := run(context.Background(), *bin, *cases, strings.Split(*bombs, ","), strings.Split(*modes, ","), *n, *bound); err != nil {
		slog.Error("trust bench", "err", err)
		os.Exit(1)
	}
}

// sample is one run's figures.
type sample struct {
	wall   time.Duration // CLI: to exit; server: didOpen to the budget diagnostic
	rss    int64         // peak RSS, bytes
	hover  time.Duration // server: median hover latency meanwhile
	hoverX time.Duration // server: slowest hover meanwhile
	hovers int
	result string // the error shown, or what went wrong
}

func run(ctx context.Context, bin, dir string, bombs, modes []string, n int, bound time.Duration) error {
	if bin == "" {
		return errors.New("-bin is required")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		return fmt.Errorf("/usr/bin/time is needed for the CLI's peak RSS (apt-get install time): %w", err)
	}
	all, err := hostile.LoadCases(dir)
	if err != nil {
		return err
	}
	byName := map[string]*hostile.Case{}
	for _, c := range all {
		byName[c.Name] = c
	}
	const row = "%-22s %-8s %9s %9s  %-22s %s\n"
	fmt.Printf(row, "bomb", "mode", "time", "RSS MiB", "hover p50/max (n)", fmt.Sprintf("result (median of %d)", n))
	for _, name := range bombs {
		c := byName[name]
		if c == nil {
			return fmt.Errorf("no case %q in %s", name, dir)
		}
		for _, mode := range modes {
			if !slices.Contains(c.RunModes(), mode) {
				continue
			}
			var ss []sample
			for range n {
				s, err := measure(ctx, bin, c, mode, bound)
				if err != nil {
					return fmt.Errorf("%s %s: %w", name, mode, err)
				}
				ss = append(ss, s)
			}
			m := median(ss)
			hover := ""
			if mode == "lsp" {
				hover = fmt.Sprintf("%s/%s (%d)", ms(m.hover), ms(m.hoverX), m.hovers)
			}
			fmt.Printf(row, name, mode, ms(m.wall), strconv.FormatInt(m.rss>>20, 10), hover, m.result)
		}
	}
	return nil
}

// median returns the sample of median wall time, with the median RSS.
func median(ss []sample) sample {
	slices.SortFunc(ss, func(a, b sample) int { return int(a.wall - b.wall) })
	m := ss[len(ss)/2]
	rss := make([]int64, len(ss))
	for i, s := range ss {
		rss[i] = s.rss
	}
	slices.Sort(rss)
	m.rss = rss[len(rss)/2]
	return m
}

func measure(ctx context.Context, bin string, c *hostile.Case, mode string, bound time.Duration) (sample, error) {
	dir, err := os.MkdirTemp("", "konfig-trust-bench-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(dir)
	ws, err := hostile.Materialize(dir, c)
	if err != nil {
		return sample{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	if mode == "lsp" {
		return server(ctx, bin, ws, c)
	}
	return cli(ctx, bin, ws, c, mode)
}

func cli(ctx context.Context, bin string, ws *hostile.Workspace, c *hostile.Case, mode string) (sample, error) {
	stack := filepath.FromSlash(c.Stack)
	args := []string{mode}
	wd := ws.Root
	switch mode {
	case "run":
		wd = filepath.Join(ws.Root, stack)
	case "compile", "check":
		args = append(args, stack)
	case "preview":
		args = append(args, "--kubeconfig", filepath.Join(ws.Home, "kubeconfig"), "--state-dir", ws.State, stack)
	default:
		return sample{}, fmt.Errorf("unknown mode %q", mode)
	}
	if c.Timeout > 0 {
		args = slices.Insert(args, 1, "--timeout", c.Timeout.String())
	}
	args = slices.Insert(args, 1, c.Flags(mode)...)
	rssFile := filepath.Join(ws.Dir, "time.out")
	cmd := exec.CommandContext(ctx, "/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile, bin}, args...)...)
	cmd.Dir = wd
	cmd.Env = ws.Env()
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	s := sample{wall: time.Since(start)}
	if data, rerr := os.ReadFile(rssFile); rerr == nil {
		lines := strings.Fields(string(data))
		if len(lines) > 0 {
			kb, _ := strconv.ParseInt(lines[len(lines)-1], 10, 64)
			s.rss = kb << 10
		}
	}
	switch {
	case ctx.Err() != nil:
		s.result = "killed at the bound"
	case err == nil:
		s.result = "exit 0 (no error)"
	default:
		s.result = shown(ws.Normalize(string(out)), c.Expectation(mode))
	}
	return s, nil
}

func server(ctx context.Context, bin string, ws *hostile.Workspace, c *hostile.Case) (sample, error) {
	settings := map[string]any{"trusted": true}
	if c.Timeout > 0 {
		settings["evalTimeoutMs"] = c.Timeout.Milliseconds()
	}
	for k, v := range c.Settings {
		settings[k] = v
	}
	cl, err := hostile.StartServer(ctx, bin, ws, settings)
	if err != nil {
		return sample{}, err
	}
	defer cl.Kill()
	if err := cl.Initialize(ctx, ws.Root); err != nil {
		return sample{}, err
	}
	open := filepath.Join(ws.Root, filepath.FromSlash(c.Open))
	text, err := os.ReadFile(open)
	if err != nil {
		return sample{}, err
	}
	start := time.Now()
	if err := cl.Open(open, text); err != nil {
		return sample{}, err
	}
	if opened := time.Since(start); opened > time.Second/10 {
		// Written to the server's stdin, so read by the server but for
		// the pipe's buffer; the hovers' latencies count from here.
		fmt.Fprintf(os.Stderr, "%s: didOpen of %d MB written (and read) in %s\n", c.Name, len(text)>>20, ms(opened))
	}
	textStr := string(text)
	want, _ := hostile.OKExpectation(c.Expectation("lsp"))
	done := func(ms []hostile.Message) bool {
		if want == "" {
			return hostile.Diagnosed(ms, open)
		}
		i, _ := hostile.MatchAny(ws.Normalize(hostile.Visible(ms)), want)
		return i >= 0
	}
	var s sample
	// Hovers back to back until the budget's diagnostic arrives (at least one).
	var lat []time.Duration
	for {
		h := time.Now()
		if err := cl.Hover(ctx, open, textStr, ""); err != nil {
			s.result = "hover: " + err.Error()
			break
		}
		lat = append(lat, time.Since(h))
		if done(cl.Messages()) || ctx.Err() != nil {
			break
		}
	}
	if err := cl.Wait(ctx, done); err != nil {
		s.result = "no diagnostic: " + err.Error()
	} else if want == "" {
		s.result = "diagnostics published"
	} else {
		s.result = shown(ws.Normalize(hostile.Visible(cl.Messages())), want)
	}
	s.wall = time.Since(start)
	s.rss = hostile.PeakRSS(cl.Pid())
	slices.Sort(lat)
	if len(lat) > 0 {
		s.hover, s.hoverX, s.hovers = lat[len(lat)/2], lat[len(lat)-1], len(lat)
	}
	if err := cl.Shutdown(ctx); err != nil {
		s.result += "; shutdown: " + err.Error()
	}
	return s, nil
}

// shown returns the first line of out that holds the expected text and
// reads as a message (not a bare code such as EvaluationBudget), shortened.
func shown(out, want string) string {
	first := ""
	for line := range strings.Lines(out) {
		line = strings.Join(strings.Fields(line), " ")
		if i, _ := hostile.MatchAny(line, want); i < 0 {
			continue
		}
		if first == "" {
			first = line
		}
		if len(line) >= 30 {
			first = line
			break
		}
	}
	if first == "" {
		return "error without " + strconv.Quote(want)
	}
	if len(first) > 90 {
		first = first[:90] + "…"
	}
	return first
}

// ms shows a duration in milliseconds ("<1ms" below one).
func ms(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}
