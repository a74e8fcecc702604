package stdlib

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// testEnv is an Env over a directory.
type testEnv struct {
	root    string
	out     bytes.Buffer
	stream  string
	current string
	fs      *sandbox.FS
}

func (e *testEnv) ModRoot() string       { return e.root }
func (e *testEnv) WorkDir() string       { return e.root }
func (e *testEnv) CurrentFile() string   { return e.current }
func (e *testEnv) Stdout() io.Writer     { return &e.out }
func (e *testEnv) SetStream(text string) { e.stream = text }
func (e *testEnv) FS() *sandbox.FS       { return e.fs }

// newTestEnv returns an Env over a fresh directory whose sandbox allows
// writes beneath it and every environment variable (as `run`).
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvPolicy(t, t.TempDir(), sandbox.Policy{AllowWrites: true, AllEnv: true})
}

// newTestEnvPolicy returns an Env over dir with a sandbox of policy p.
func newTestEnvPolicy(t *testing.T, dir string, p sandbox.Policy) *testEnv {
	t.Helper()
	fsys, err := sandbox.Open(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return &testEnv{root: dir, current: filepath.Join(dir, "main.k"), fs: fsys}
}

// lookup finds a builtin ("len"), a module function ("json.encode") or a
// str method ("str.split", whose first argument is the receiver).
func lookup(t *testing.T, env Env, name string, args []value.Value) (*value.Func, []value.Value) {
	t.Helper()
	mod, fname, dotted := strings.Cut(name, ".")
	if !dotted {
		f, ok := Builtins(env)[name]
		if !ok {
			t.Fatalf("no builtin %s", name)
		}
		return f, args
	}
	if mod == "str" {
		recv, ok := args[0].(value.Str)
		if !ok {
			t.Fatalf("%s: the first argument must be the str receiver", name)
		}
		f, ok := StrMethod(recv, fname)
		if !ok {
			t.Fatalf("no str method %s", fname)
		}
		return f, args[1:]
	}
	m, ok := Module(mod, env)
	if !ok {
		t.Fatalf("no module %s", mod)
	}
	f, ok := m[fname].(*value.Func)
	if !ok {
		t.Fatalf("no function %s in module %s", fname, mod)
	}
	return f, args
}

func decodeJSON(t *testing.T, s string) value.Value {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

// TestCalls runs testdata/calls.txt: each line is
//
//	NAME ARGS-JSON [KWARGS-JSON] => RESULT-JSON | error: MESSAGE
//
// and the result, printed as JSON, must equal RESULT-JSON printed as JSON
// (so 1 and 1.0 differ); an error must contain MESSAGE.
func TestCalls(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "calls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	cases := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		lhs, want, ok := strings.Cut(text, " => ")
		if !ok {
			t.Fatalf("calls.txt:%d: missing ' => '", line)
		}
		name, rest, _ := strings.Cut(lhs, " ")
		dec := json.NewDecoder(strings.NewReader(rest))
		var rawArgs, rawKw json.RawMessage
		if err := dec.Decode(&rawArgs); err != nil {
			t.Fatalf("calls.txt:%d: args: %v", line, err)
		}
		_ = dec.Decode(&rawKw)
		argList, ok := decodeJSON(t, string(rawArgs)).(*value.List)
		if !ok {
			t.Fatalf("calls.txt:%d: args must be a JSON array", line)
		}
		var kwargs []value.Entry
		if len(rawKw) > 0 {
			d := decodeJSON(t, string(rawKw)).(*value.Dict)
			for _, e := range d.Entries() {
				kwargs = append(kwargs, value.Entry{Key: e.Key, Value: e.Value})
			}
		}
		env := newTestEnv(t)
		fnc, args := lookup(t, env, name, argList.Items)
		got, err := fnc.Call(args, kwargs)
		cases++
		if msg, isErr := strings.CutPrefix(want, "error: "); isErr {
			if err == nil {
				t.Errorf("calls.txt:%d: %s: got %s, want error %q", line, lhs, value.EncodeJSON(got, value.JSONOptions{}), msg)
			} else if !strings.Contains(err.Error(), msg) {
				t.Errorf("calls.txt:%d: %s: error %q does not contain %q", line, lhs, err.Error(), msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("calls.txt:%d: %s: unexpected error: %v", line, lhs, err)
			continue
		}
		wantJSON := string(value.EncodeJSON(decodeJSON(t, want), value.JSONOptions{}))
		gotJSON := string(value.EncodeJSON(got, value.JSONOptions{}))
		if diff := cmp.Diff(wantJSON, gotJSON); diff != "" {
			t.Errorf("calls.txt:%d: %s (-want +got):\n%s", line, lhs, diff)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls checked", cases)
}

// TestCompleteness compares the registered names with the corpus list of
// every builtin, system-module function and str method.
func TestCompleteness(t *testing.T) {
	path := corpusFile(t, "kcl-builtins.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string][]struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t)
	builtins := Builtins(env)
	evaluatorOwned := map[string]bool{"option": true}
	var missing []string
	found, total := 0, 0
	for group, fns := range spec {
		for _, f := range fns {
			var ok bool
			switch group {
			case "<builtin>":
				if evaluatorOwned[f.Name] {
					continue
				}
				_, ok = builtins[f.Name]
			case "<str methods>":
				_, ok = StrMethod(value.Str(""), f.Name)
			case "<decorators>":
				continue // decorators are the evaluator's
			default:
				m, has := Module(group, env)
				if has {
					_, ok = m[f.Name].(*value.Func)
				}
			}
			total++
			if ok {
				found++
			} else {
				missing = append(missing, group+"."+f.Name)
			}
		}
	}
	sort.Strings(missing)
	t.Logf("%d of %d builtins, module functions and str methods present", found, total)
	if len(missing) > 0 {
		t.Errorf("missing: %s", strings.Join(missing, ", "))
	}
	for _, name := range ModuleNames() {
		if _, ok := spec[name]; !ok {
			t.Errorf("module %s is not in kcl-builtins.json", name)
		}
	}
}

// corpusFile returns the corpus file rel, skipping the test when absent.
func corpusFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(testutil.CorpusDir(t), rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("conformance corpus file %s not found: %v", p, err)
	}
	return p
}
