package kclrun

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// The conformance floors: a corpus test fails when fewer cases pass. Raise
// them as the implementation improves (they are the figures last reached).
const (
	grammarFloor   = 1214
	snapshotsFloor = 91
	manifestsFloor = 7
)

var (
	caseFilter  = flag.String("case", "", "run only corpus cases whose path contains this substring")
	caseTimeout = flag.Duration("case-timeout", 20*time.Second, "time limit of one corpus case")
	listFails   = flag.Bool("failures", false, "print every failing corpus case with its reason")
	resolveMode = flag.String("resolve", "", "override when the corpus runs consult the resolver: first (the CLI's default), on-error or never")
	failuresOut = flag.String("failures-out", "", "also append the failing corpus cases to this file")
)

// corpusDir returns ../shared/corpus/<sub> beside the module, skipping the
// test when it is absent.
func corpusDir(t testing.TB, sub string) string {
	t.Helper()
	c := filepath.Join(testutil.CorpusDir(t), sub)
	if st, err := os.Stat(c); err != nil || !st.IsDir() {
		t.Skipf("corpus %s is absent; the conformance tests need ../shared/corpus next to the repository", c)
	}
	return c
}

// corpusCase is one program to run and the verdict on it.
type corpusCase struct {
	name  string // path relative to the corpus, for grouping and -case
	dir   string // working directory
	argv  []string
	check func(c *corpusCase, r runResult) failure
	failure
	// exact is set for stdout cases whose output equals the golden byte
	// for byte (trailing newlines trimmed): report-only formatting fidelity.
	exact, stdoutCase bool
}

// failure says why a case failed: key groups like failures (kind and
// primary message), detail is the full story. The zero failure is a pass.
type failure struct {
	key, detail string
}

func newFailure(kind, msg, detail string) failure {
	msg = quotedRe.ReplaceAllString(msg, "'…'")
	msg = numberRe.ReplaceAllString(msg, "N")
	if len(msg) > 140 {
		msg = msg[:140] + "…"
	}
	return failure{key: kind + ": " + msg, detail: detail}
}

type runResult struct {
	code           int
	stdout, stderr string
	timedOut       bool
}

// runCorpus runs the cases on two workers through Main (the code path of
// `konfig-lsp run`), fills in the failures, prints `N passed, M failed` with
// the failures grouped by category, and fails below floor.
func runCorpus(t *testing.T, cases []*corpusCase, floor int) {
	t.Helper()
	var selected []*corpusCase
	for _, c := range cases {
		if strings.Contains(c.name, *caseFilter) {
			selected = append(selected, c)
		}
	}
	work := make(chan *corpusCase)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.failure = c.check(c, runCase(c))
			}
		}()
	}
	for _, c := range selected {
		work <- c
	}
	close(work)
	wg.Wait()

	var failed []*corpusCase
	for _, c := range selected {
		if c.failure.key != "" {
			failed = append(failed, c)
		}
	}
	passed := len(selected) - len(failed)
	t.Logf("%d passed, %d failed", passed, len(failed))
	fmt.Printf("%s: %d passed, %d failed\n", t.Name(), passed, len(failed))
	if n, exact := countExact(selected); n > 0 {
		t.Logf("exact mode (report only): %d of %d stdout cases byte-identical to the golden", exact, n)
	}
	if len(failed) > 0 {
		t.Log(summarizeFailures(failed))
	}
	var list strings.Builder
	for _, c := range failed {
		fmt.Fprintf(&list, "--- FAIL %s: %s\n    %s\n", c.name, c.failure.key, indent(c.failure.detail))
	}
	if *listFails {
		t.Log("failing cases:\n" + list.String())
	}
	if *failuresOut != "" {
		if err := appendFile(*failuresOut, "# "+t.Name()+"\n"+list.String()); err != nil {
			t.Errorf("write failures: %v", err)
		}
	}
	if *caseFilter == "" && passed < floor {
		t.Errorf("%d cases pass, below the floor of %d", passed, floor)
	}
}

func countExact(cases []*corpusCase) (n, exact int) {
	for _, c := range cases {
		if c.stdoutCase {
			n++
			if c.exact {
				exact++
			}
		}
	}
	return n, exact
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runCase runs one case with a time limit; an evaluation that ignores its
// context is abandoned after a grace period and reported as a timeout.
func runCase(c *corpusCase) runResult {
	ctx, cancel := context.WithTimeout(context.Background(), *caseTimeout)
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(&stderr, "panic: %v", r)
				done <- 101
			}
		}()
		done <- runArgv(ctx, c.argv, c.dir, &stdout, &stderr)
	}()
	select {
	case code := <-done:
		return runResult{code: code, stdout: stdout.String(), stderr: stderr.String(),
			timedOut: errors.Is(ctx.Err(), context.DeadlineExceeded)}
	case <-time.After(*caseTimeout + 5*time.Second):
		return runResult{code: -1, stdout: stdout.String(), stderr: stderr.String(), timedOut: true}
	}
}

// runArgv is Run on a parsed command line, with the test's -resolve choice.
func runArgv(ctx context.Context, argv []string, dir string, stdout, stderr io.Writer) int {
	a, err := ParseArgs(argv)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	a.WorkDir = dir
	if *resolveMode != "" {
		mode, err := ParseResolveMode(*resolveMode)
		if err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 2
		}
		a.Resolve = mode
	}
	return Run(ctx, a, stdout, stderr)
}

// lockedBuffer is a bytes.Buffer safe for a goroutine that may outlive the
// reader (an abandoned case).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// summarizeFailures groups failures by category (the first path element)
// and by error message, with an example case each.
func summarizeFailures(failed []*corpusCase) string {
	byCat := map[string][]*corpusCase{}
	byMsg := map[string][]*corpusCase{}
	for _, c := range failed {
		cat, _, _ := strings.Cut(c.name, "/")
		byCat[cat] = append(byCat[cat], c)
		byMsg[c.failure.key] = append(byMsg[c.failure.key], c)
	}
	var b strings.Builder
	b.WriteString("failures by category:\n")
	for _, cat := range sortedByCount(byCat) {
		fmt.Fprintf(&b, "  %4d %s (e.g. %s)\n", len(byCat[cat]), cat, byCat[cat][0].name)
	}
	b.WriteString("failures by reason:\n")
	for i, k := range sortedByCount(byMsg) {
		if i == 40 {
			fmt.Fprintf(&b, "  … %d more reasons\n", len(byMsg)-i)
			break
		}
		fmt.Fprintf(&b, "  %4d %s (e.g. %s)\n", len(byMsg[k]), k, byMsg[k][0].name)
	}
	return b.String()
}

// primaryMessage finds the first error message in rendered diagnostics: the
// header's kind and the text of its first caret or message line; text that
// is not a rendered diagnostic gives its first line.
func primaryMessage(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		h := strings.Index(l, "error[")
		if h < 0 {
			continue
		}
		kind := l[h:]
		if j := strings.Index(kind, "]: "); j >= 0 {
			kind = kind[j+3:]
		}
		for _, m := range lines[i+1:] {
			t := strings.TrimSpace(m)
			switch {
			case t == "" || t == "|" || strings.HasPrefix(t, "-->") || gutterRe.MatchString(t):
				continue
			case strings.HasPrefix(t, "|"):
				return kind + ": " + strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(t, "|")), "^ ")
			default:
				return kind + ": " + t
			}
		}
		return kind
	}
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" {
			return t
		}
	}
	return ""
}

var (
	quotedRe = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	numberRe = regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	gutterRe = regexp.MustCompile(`^\d+ \|`)
)

func sortedByCount(m map[string][]*corpusCase) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(m[keys[i]]) != len(m[keys[j]]) {
			return len(m[keys[i]]) > len(m[keys[j]])
		}
		return keys[i] < keys[j]
	})
	return keys
}

func indent(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") }

// TestGrammarCorpus runs corpus/kcl-grammar under the upstream runner's
// convention: every directory with a main.k is a case, run as
// `run main.k <kcl_options of settings.yaml>` in that directory; a
// stdout.golden must equal stdout as YAML documents (falsy documents
// dropped, key order ignored, 1 == 1.0) with exit 0; a stderr.golden
// (ANSI escapes and blank lines removed, ${CWD} replaced) must be a
// substring of stderr with a non-zero exit. A case without golden passes
// when it completes.
func TestGrammarCorpus(t *testing.T) {
	root := corpusDir(t, "kcl-grammar")
	var cases []*corpusCase
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "main.k" {
			return nil
		}
		dir := filepath.Dir(path)
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		argv, err := grammarArgv(dir)
		if err != nil {
			return err
		}
		cases = append(cases, &corpusCase{name: filepath.ToSlash(rel), dir: dir, argv: argv, check: checkGrammar})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runCorpus(t, cases, grammarFloor)
}

// grammarArgv is `main.k` followed by the kcl_options string of the case's
// settings.yaml split on white space (no shell expansion).
func grammarArgv(dir string) ([]string, error) {
	argv := []string{"main.k"}
	data, err := os.ReadFile(filepath.Join(dir, "settings.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return argv, nil
	}
	if err != nil {
		return nil, err
	}
	var s struct {
		Options string `yaml:"kcl_options"`
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s/settings.yaml: %w", dir, err)
	}
	return append(argv, strings.Fields(s.Options)...), nil
}

func checkGrammar(c *corpusCase, r runResult) failure {
	if r.timedOut {
		return newFailure("timeout", primaryMessage(r.stderr), firstLines(r.stderr, 8))
	}
	if r.code > 1 && strings.HasPrefix(r.stderr, "panic:") {
		return newFailure("panic", primaryMessage(r.stderr), firstLines(r.stderr, 8))
	}
	if golden, err := os.ReadFile(filepath.Join(c.dir, "stdout.golden")); err == nil {
		if r.code != 0 {
			return newFailure("unexpected error", primaryMessage(r.stderr), firstLines(r.stderr, 10))
		}
		c.stdoutCase = true
		c.exact = strings.TrimRight(string(golden), "\n") == strings.TrimRight(r.stdout, "\n")
		if msg := compareYAMLStreams(string(golden), r.stdout); msg != "" {
			return failure{key: "wrong stdout", detail: msg}
		}
		return failure{}
	}
	if golden, err := os.ReadFile(filepath.Join(c.dir, "stderr.golden")); err == nil {
		want := cleanStderr(strings.ReplaceAll(string(golden), "${CWD}", c.dir))
		got := cleanStderr(r.stderr)
		if r.code == 0 {
			return newFailure("missing error", primaryMessage(want), "want:\n"+firstLines(want, 8)+"\ngot stdout:\n"+firstLines(r.stdout, 8))
		}
		if !strings.Contains(got, want) {
			return newFailure("wrong error", "want "+primaryMessage(want), "want substring:\n"+want+"\ngot:\n"+firstLines(got, 14))
		}
		return failure{}
	}
	if r.code > 1 {
		return newFailure("crash", primaryMessage(r.stderr), firstLines(r.stderr, 8))
	}
	return failure{}
}

var ansiRe = regexp.MustCompile(`(?:\x1B[@-_]|[\x{80}-\x{9F}])[0-?]*[ -/]*[@-~]`)

// cleanStderr removes ANSI escapes and blank lines, as the upstream runner
// does before its substring check.
func cleanStderr(s string) string {
	s = ansiRe.ReplaceAllString(s, "")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// compareYAMLStreams compares stdout with the golden as YAML streams: falsy
// documents are dropped from both, mappings compare without order, numbers
// by value (Python semantics: 1 == 1.0 == True). It returns "" when equal.
func compareYAMLStreams(golden, got string) string {
	if got != "" && !strings.HasSuffix(got, "\n") {
		return "output does not end with a newline"
	}
	want, err := yamlDocs(golden)
	if err != nil {
		return fmt.Sprintf("golden does not parse: %v", err)
	}
	have, err := yamlDocs(got)
	if err != nil {
		return fmt.Sprintf("output does not parse as YAML: %v\n%s", err, firstLines(got, 10))
	}
	if len(want) != len(have) {
		return fmt.Sprintf("%d documents, want %d\nwant:\n%s\ngot:\n%s", len(have), len(want), firstLines(golden, 15), firstLines(got, 15))
	}
	for i := range want {
		if !pyEqual(want[i], have[i]) {
			return fmt.Sprintf("document %d differs\nwant:\n%s\ngot:\n%s", i, firstLines(golden, 20), firstLines(got, 20))
		}
	}
	return ""
}

func yamlDocs(s string) ([]any, error) {
	dec := yaml.NewDecoder(strings.NewReader(s))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if !pyFalsy(v) {
			docs = append(docs, v)
		}
	}
}

func pyFalsy(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case int:
		return x == 0
	case int64:
		return x == 0
	case uint64:
		return x == 0
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case map[any]any:
		return len(x) == 0
	}
	return false
}

// pyNumber returns v as a number when Python would compare it as one.
func pyNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func pyEqual(a, b any) bool {
	if x, ok := pyNumber(a); ok {
		y, ok := pyNumber(b)
		if !ok {
			return false
		}
		if math.IsNaN(x) && math.IsNaN(y) {
			return true
		}
		return x == y
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		return mapEqual(stringKeyed(x), b)
	case map[any]any:
		return mapEqual(x, b)
	}
	return fmt.Sprint(a) == fmt.Sprint(b) && fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b)
}

func stringKeyed(m map[string]any) map[any]any {
	out := make(map[any]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mapEqual(x map[any]any, b any) bool {
	var y map[any]any
	switch m := b.(type) {
	case map[string]any:
		y = stringKeyed(m)
	case map[any]any:
		y = m
	default:
		return false
	}
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !pyEqual(v, w) {
			return false
		}
	}
	return true
}

// TestEvaluatorSnapshots runs corpus/kcl-evaluator-snapshots/NAME/main.k
// and compares stdout byte for byte with stdout.golden.
func TestEvaluatorSnapshots(t *testing.T) {
	root := corpusDir(t, "kcl-evaluator-snapshots")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []*corpusCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		golden := filepath.Join(dir, "stdout.golden")
		cases = append(cases, &corpusCase{name: e.Name(), dir: dir, argv: []string{"main.k"}, check: exactCheck(golden)})
	}
	runCorpus(t, cases, snapshotsFloor)
}

// TestManifests runs corpus/kcl-manifests/X.k and compares stdout byte for
// byte with X.stdout.golden.
func TestManifests(t *testing.T) {
	root := corpusDir(t, "kcl-manifests")
	files, err := filepath.Glob(filepath.Join(root, "*.k"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []*corpusCase
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".k")
		golden := filepath.Join(root, name+".stdout.golden")
		cases = append(cases, &corpusCase{name: name, dir: root, argv: []string{filepath.Base(f)}, check: exactCheck(golden)})
	}
	runCorpus(t, cases, manifestsFloor)
}

func exactCheck(golden string) func(*corpusCase, runResult) failure {
	return func(c *corpusCase, r runResult) failure {
		want, err := os.ReadFile(golden)
		if err != nil {
			return failure{key: "golden", detail: err.Error()}
		}
		if r.timedOut {
			return newFailure("timeout", primaryMessage(r.stderr), firstLines(r.stderr, 8))
		}
		if r.code != 0 {
			return newFailure("unexpected error", primaryMessage(r.stderr), firstLines(r.stderr, 10))
		}
		if r.stdout != string(want) {
			return failure{key: "wrong stdout", detail: fmt.Sprintf("want:\n%s\ngot:\n%s", firstLines(string(want), 25), firstLines(r.stdout, 25))}
		}
		return failure{}
	}
}
