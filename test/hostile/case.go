package hostile

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/tools/txtar"
)

// The env canary: set in every child's environment; read_env, /proc/self/environ
// and error source lines must never bring it into an output.
const (
	CanaryName  = "KONFIG_HOSTILE_CANARY"
	CanaryValue = "s3cr3t-hostile-canary-5d1e9b"
	// OutsideSecret is the content of the secret files beside the workspace
	// (${OUTSIDE}/secret.txt and friends) that links and paths reach for.
	OutsideSecret = "HOSTILE-OUTSIDE-SECRET-c41f07"
)

// Modes are the ways a case is run: the CLI commands that evaluate a
// stack, and the language server ("lsp").
var Modes = []string{"run", "compile", "check", "preview", "lsp"}

// Case is one hostile workspace (a txtar of testdata/ over _base.txtar).
type Case struct {
	Name     string
	Stack    string        // the stack directory, slash-separated, relative to the root
	Open     string        // the file the server opens
	Timeout  time.Duration // --timeout and evalTimeoutMs, when set
	Settings map[string]any

	files      []txtar.File
	hover      string
	symlinks   [][2]string // path, target
	generate   []generated
	envVisible []string
	secrets    []secret
	modes      []string
	expect     map[string][]string
	alsoOpen   []string            // more files the server opens, after Open
	flags      map[string][]string // more CLI flags, per mode
}

type generated struct {
	path string
	size int64
}

type secret struct {
	value string
	modes []string // empty: every mode
}

// LoadCases reads the cases of dir (the *.txtar files but _base.txtar,
// layered over it), in name order.
func LoadCases(dir string) ([]*Case, error) {
	base, err := txtar.ParseFile(filepath.Join(dir, "_base.txtar"))
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, err
	}
	var cases []*Case
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), "_") {
			continue
		}
		ar, err := txtar.ParseFile(p)
		if err != nil {
			return nil, err
		}
		c, err := parseCase(strings.TrimSuffix(filepath.Base(p), ".txtar"), base, ar)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no cases in %s", dir)
	}
	return cases, nil
}

// directives are the keys of the archive comment's directive lines; other
// lines describe the case.
var directives = []string{"stack", "open", "hover", "symlink", "generate", "timeout", "settings", "env-visible", "secret", "modes", "flags"}

func parseCase(name string, base, ar *txtar.Archive) (*Case, error) {
	c := &Case{Name: name, Stack: "app/dev", modes: Modes, expect: map[string][]string{}}
	for line := range strings.Lines(string(ar.Comment)) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !slices.Contains(directives, key) {
			continue // description
		}
		val = strings.TrimSpace(val)
		switch key {
		case "stack":
			c.Stack = val
		case "open":
			if c.Open == "" {
				c.Open = val
			} else {
				c.alsoOpen = append(c.alsoOpen, val)
			}
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
			c.Timeout = d
		case "settings":
			if err := json.Unmarshal([]byte(val), &c.Settings); err != nil {
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
		case "flags":
			f := strings.Fields(val)
			if len(f) < 2 {
				return nil, fmt.Errorf("flags %q: want mode flag…", val)
			}
			if c.flags == nil {
				c.flags = map[string][]string{}
			}
			c.flags[f[0]] = append(c.flags[f[0]], f[1:]...)
		case "modes":
			c.modes = strings.Fields(val)
		}
	}
	if c.Open == "" {
		c.Open = c.Stack + "/main.k"
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
				mode = strings.TrimSpace(mode)
				c.expect[mode] = append(c.expect[mode], strings.TrimSpace(want))
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

// RunModes returns the modes the case runs in.
func (c *Case) RunModes() []string { return c.modes }

// Expectation returns the first of what the case expects of mode ("" for
// nothing).
func (c *Case) Expectation(mode string) string {
	if e := c.Expectations(mode); len(e) > 0 {
		return e[0]
	}
	return ""
}

// Expectations returns what the case expects of mode: texts to find in
// this order (the mode's own lines, else those of "*").
func (c *Case) Expectations(mode string) []string {
	if e, ok := c.expect[mode]; ok {
		return e
	}
	return c.expect["*"]
}

// Want returns the texts expected of mode, in order, and whether it must
// succeed (a line "ok …").
func (c *Case) Want(mode string) (wants []string, ok bool) {
	for _, e := range c.Expectations(mode) {
		w, o := OKExpectation(e)
		ok = ok || o
		if w != "" {
			wants = append(wants, w)
		}
	}
	return wants, ok
}

// Flags returns the case's extra CLI flags of mode.
func (c *Case) Flags(mode string) []string { return c.flags[mode] }

// AlsoOpen returns the files the server opens after Open.
func (c *Case) AlsoOpen() []string { return c.alsoOpen }

// MatchAll finds the expectations in s in order, each after the previous
// one; it returns the index and length of each match, or the index of the
// first one missing (ok false).
func MatchAll(s string, wants []string) (at [][2]int, missing int, ok bool) {
	from := 0
	for k, w := range wants {
		i, n := MatchAny(s[from:], w)
		if i < 0 {
			return at, k, false
		}
		at = append(at, [2]int{from + i, n})
		from += i + n
	}
	return at, 0, true
}

// Forbidden returns the texts that must not appear in mode's outputs.
func (c *Case) Forbidden(mode string) []string {
	out := []string{OutsideSecret, base64.StdEncoding.EncodeToString([]byte(OutsideSecret))}
	if !slices.Contains(c.envVisible, mode) {
		out = append(out, CanaryValue, base64.StdEncoding.EncodeToString([]byte(CanaryValue)))
	}
	for _, s := range c.secrets {
		if len(s.modes) == 0 || slices.Contains(s.modes, mode) {
			out = append(out, s.value)
		}
	}
	return out
}

// OKExpectation splits an expectation "ok [text]" (success, showing text)
// from "text" (an error showing text).
func OKExpectation(e string) (want string, ok bool) {
	if e == "ok" {
		return "", true
	}
	if rest, found := strings.CutPrefix(e, "ok "); found {
		return strings.TrimSpace(rest), true
	}
	return e, false
}

// MatchAny returns the index and length of the first of the |-separated
// alternatives of want found in s, ignoring case (-1 if none is).
func MatchAny(s, want string) (int, int) {
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
