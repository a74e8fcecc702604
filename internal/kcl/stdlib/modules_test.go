package stdlib

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func callFunc(t *testing.T, f *value.Func, args []value.Value, kwargs ...value.Entry) (value.Value, error) {
	t.Helper()
	return f.Call(args, kwargs)
}

func moduleFunc(t *testing.T, env Env, mod, name string) *value.Func {
	t.Helper()
	m, ok := Module(mod, env)
	if !ok {
		t.Fatalf("no module %s", mod)
	}
	f, ok := m[name].(*value.Func)
	if !ok {
		t.Fatalf("no %s.%s", mod, name)
	}
	return f
}

func TestPrint(t *testing.T) {
	env := newTestEnv(t)
	p := Builtins(env)["print"]
	d := value.NewDict()
	d.Set("k", value.Str("v"))
	if _, err := callFunc(t, p, []value.Value{value.Str("Hello"), value.Int(1), value.Float(2), value.None, d}); err != nil {
		t.Fatal(err)
	}
	if _, err := callFunc(t, p, []value.Value{value.Str("x")}, value.Entry{Key: "end", Value: value.Str("")}); err != nil {
		t.Fatal(err)
	}
	if _, err := callFunc(t, p, nil); err != nil {
		t.Fatal(err)
	}
	want := "Hello 1 2.0 None {'k': 'v'}\nx\n"
	if diff := cmp.Diff(want, env.out.String()); diff != "" {
		t.Errorf("print output (-want +got):\n%s", diff)
	}
}

// TestYAMLStreamManifests rebuilds the inputs of corpus/kcl-manifests as
// values (schema instances print like dicts) and compares the stream with
// the byte-exact goldens.
func TestYAMLStreamManifests(t *testing.T) {
	cases := []struct {
		name   string
		values string
		opts   string
	}{
		{"dict", `[{"name": "kcl"}, {"age": 10}]`, ``},
		{"dict_ignore_none", `[{"name": "Alice", "age": 10}, {"name": "Bob", "age": null}]`, `{"ignore_none": true}`},
		{"dict_sort_key", `[{"name": "kcl", "age": 10}, {"age": 10, "name": "kcl"}]`, `{"sort_keys": true}`},
		{"list", `[{"k1": [1, 2], "k2": [3, 4]}, {"k3": [5, 6], "k4": [7, 8]}, {"k5": [9, 10]}]`, ``},
		{"schema", `[{"name": "kcl", "age": 1}, {"name": "kcl", "age": 101}]`, ``},
		{"schema_ignore_none", `[{"name": "kcl", "age": 1}, {"name": "kcl", "age": null}]`, `{"ignore_none": true}`},
		{"schema_sort_key", `[{"name": "kcl", "age": 1}, {"name": "kcl", "age": 101}]`, `{"sort_keys": true}`},
	}
	passed := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			golden, err := os.ReadFile(corpusFile(t, filepath.Join("kcl-manifests", tc.name+".stdout.golden")))
			if err != nil {
				t.Fatal(err)
			}
			env := newTestEnv(t)
			args := []value.Value{decodeJSON(t, tc.values)}
			if tc.opts != "" {
				args = append(args, decodeJSON(t, tc.opts))
			}
			if _, err := callFunc(t, moduleFunc(t, env, "manifests", "yaml_stream"), args); err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSuffix(string(golden), "\n") + "\n"
			if diff := cmp.Diff(want, env.stream); diff != "" {
				t.Errorf("yaml_stream (-want +got):\n%s", diff)
				return
			}
			passed++
		})
	}
	t.Logf("kcl-manifests: %d passed, %d failed", passed, len(cases)-passed)
	fmt.Printf("kcl-manifests yaml_stream: %d passed, %d failed\n", passed, len(cases)-passed)
}

func TestYAMLStreamOptions(t *testing.T) {
	xyz := value.NewDict()
	xyz.Set("_bla", value.Str("bla"))
	d := value.NewDict()
	d.Set("_foo", value.Str("bar"))
	d.Set("foo", value.Str("bar"))
	d.Set("xyz", &value.Schema{Name: "XYZ", Attrs: xyz})
	d.Set("a", value.None)
	list := &value.List{Items: []value.Value{d}}
	tests := []struct {
		opts value.Value
		want string
	}{
		{decodeJSON(t, `{"ignore_private": false}`), "_foo: bar\nfoo: bar\nxyz:\n  _bla: bla\na: null\n"},
		{decodeJSON(t, `{"ignore_private": true}`), "foo: bar\nxyz: {}\na: null\n"},
		{value.None, "foo: bar\nxyz: {}\na: null\n"},
	}
	for _, tt := range tests {
		got, err := YAMLStream(list, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("YAMLStream(opts=%s) (-want +got):\n%s", value.ToStr(tt.opts), diff)
		}
	}
	scalars := decodeJSON(t, `[1, null, 3.0, "literal", true]`).(*value.List)
	scalars.Items = append(scalars.Items, value.Unit{Raw: 2, Suffix: "Mi", Float: 2097152})
	got, err := YAMLStream(scalars, decodeJSON(t, `{"sep": "\n---\n"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "1\n\n---\n\nnull\n\n---\n\n3.0\n\n---\n\nliteral\n\n---\n\ntrue\n\n---\n\n2097152.0\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("YAMLStream scalars (-want +got):\n%s", diff)
	}
}

func TestFileModule(t *testing.T) {
	env := newTestEnv(t)
	if err := os.WriteFile(filepath.Join(env.root, "test.txt"), []byte("Helloworld"), 0o644); err != nil {
		t.Fatal(err)
	}
	str := func(s string) []value.Value { return []value.Value{value.Str(s)} }
	read := moduleFunc(t, env, "file", "read")
	got, err := callFunc(t, read, str("test.txt"))
	if err != nil || got != value.Str("Helloworld") {
		t.Errorf("file.read = %v, %v", got, err)
	}
	_, err = callFunc(t, read, str("not_exist.txt"))
	if err == nil || !strings.Contains(err.Error(), "failed to access the file 'not_exist.txt': No such file or directory") {
		t.Errorf("file.read missing file: %v", err)
	}
	_, err = callFunc(t, read, str("../outside.txt"))
	if err == nil || !strings.Contains(err.Error(), "outside the sandbox root") {
		t.Errorf("file.read outside the root: %v", err)
	}
	if err := os.Symlink("/etc", filepath.Join(env.root, "link")); err == nil {
		if _, err := callFunc(t, read, str("link/hostname")); err == nil || !strings.Contains(err.Error(), "outside the sandbox root") {
			t.Errorf("file.read through a symlink out of the root: %v", err)
		}
	}
	checks := []struct {
		fn   string
		args []value.Value
		want string // JSON of the result, or "error: …"
	}{
		{"exists", str("test.txt"), "true"},
		{"exists", str("b.k"), "false"},
		{"size", str("test.txt"), "10"},
		{"size", str("source_file.txt"), "error: failed to get size of 'source_file.txt': No such file or directory (os error 2)"},
		{"write", []value.Value{value.Str("w.txt"), value.Str("Hello, world!")}, "null"},
		{"append", []value.Value{value.Str("w.txt"), value.Str("!")}, "null"},
		{"read", str("w.txt"), `"Hello, world!!"`},
		{"cp", []value.Value{value.Str("w.txt"), value.Str("c.txt")}, "null"},
		{"read", str("c.txt"), `"Hello, world!!"`},
		{"cp", []value.Value{value.Str("source.txt"), value.Str("destination.txt")}, "error: Failed to copy from 'source.txt' to 'destination.txt': No such file or directory (os error 2)"},
		{"mv", []value.Value{value.Str("c.txt"), value.Str("m.txt")}, "null"},
		{"exists", str("c.txt"), "false"},
		{"mv", []value.Value{value.Str("source.txt"), value.Str("destination.txt")}, "error: Failed to move 'source.txt' to 'destination.txt': No such file or directory (os error 2)"},
		{"delete", str("m.txt"), "null"},
		{"delete", str("test_dir"), "error: failed to delete 'test_dir': No such file or directory (os error 2)"},
		{"mkdir", str("d"), "null"},
		{"mkdir", str("d"), "null"},
		{"mkdir", str("test.txt/x"), "error: failed to create directory 'test.txt/x'"},
		{"mkdir", []value.Value{value.Str("d"), value.Bool(true)}, "null"},
		{"glob", str("*.txt"), `["test.txt", "w.txt"]`},
		{"workdir", nil, `"` + env.root + `"`},
		{"modpath", nil, `"` + env.root + `"`},
		{"current", nil, `"` + env.current + `"`},
	}
	for _, c := range checks {
		got, err := callFunc(t, moduleFunc(t, env, "file", c.fn), c.args)
		if msg, ok := strings.CutPrefix(c.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("file.%s(%v): error %v, want %q", c.fn, c.args, err, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("file.%s(%v): %v", c.fn, c.args, err)
			continue
		}
		if g := string(value.EncodeJSON(got, value.JSONOptions{})); g != c.want {
			t.Errorf("file.%s(%v) = %s, want %s", c.fn, c.args, g, c.want)
		}
	}
	sum, err := callFunc(t, moduleFunc(t, env, "crypto", "filesha256"), str("test.txt"))
	if err != nil || len(string(sum.(value.Str))) != 64 {
		t.Errorf("crypto.filesha256 = %v, %v", sum, err)
	}
	t.Setenv("KCL_STDLIB_TEST", "v")
	got, err = callFunc(t, moduleFunc(t, env, "file", "read_env"), str("KCL_STDLIB_TEST"))
	if err != nil || got != value.Str("v") {
		t.Errorf("file.read_env = %v, %v", got, err)
	}
}

type posError struct{ msg string }

func (e *posError) Error() string   { return "main.k:1:1: " + e.msg }
func (e *posError) Message() string { return e.msg }

type typedLambda struct{ types []string }

func (l typedLambda) ParamTypes() []string { return l.types }

func TestFunctionArguments(t *testing.T) {
	env := newTestEnv(t)
	catch := moduleFunc(t, env, "runtime", "catch")
	failing := &value.Func{Name: "lambda", Call: func([]value.Value, []value.Entry) (value.Value, error) {
		return nil, &posError{msg: "list index out of range: 0"}
	}}
	got, err := callFunc(t, catch, []value.Value{failing})
	if err != nil || got != value.Str("list index out of range: 0") {
		t.Errorf("runtime.catch(failing) = %v, %v", got, err)
	}
	ok := &value.Func{Name: "lambda", Call: func([]value.Value, []value.Entry) (value.Value, error) { return value.Int(1), nil }}
	got, err = callFunc(t, catch, []value.Value{ok})
	if err != nil || got != value.Undefined {
		t.Errorf("runtime.catch(ok) = %v, %v", got, err)
	}

	reduce := Builtins(env)["reduce"]
	add := &value.Func{Name: "lambda", Def: typedLambda{[]string{"int", "int"}}, Call: func(args []value.Value, _ []value.Entry) (value.Value, error) {
		return value.Binary("+", args[0], args[1], value.ArithOptions{})
	}}
	list := decodeJSON(t, `[1, 2, 3]`)
	for _, tc := range []struct {
		args []value.Value
		want string
	}{
		{[]value.Value{add, list}, "6"},
		{[]value.Value{add, list, value.Int(10)}, "16"},
		{[]value.Value{add, &value.List{}, value.Int(5)}, "5"},
		{[]value.Value{add, &value.List{}}, "error: reduce() empty list with no initial value and non-nullable accumulator type 'int'"},
	} {
		got, err := callFunc(t, reduce, tc.args)
		if msg, isErr := strings.CutPrefix(tc.want, "error: "); isErr {
			if err == nil || err.Error() != msg {
				t.Errorf("reduce: error %v, want %q", err, msg)
			}
			continue
		}
		if err != nil || value.ToStr(got) != tc.want {
			t.Errorf("reduce = %v, %v; want %s", got, err, tc.want)
		}
	}
	boom := errors.New("reducer error")
	failingAdd := &value.Func{Name: "lambda", Call: func([]value.Value, []value.Entry) (value.Value, error) { return nil, boom }}
	if _, err := callFunc(t, reduce, []value.Value{failingAdd, list, value.Int(0)}); !errors.Is(err, boom) {
		t.Errorf("reduce did not propagate the reducer error: %v", err)
	}

	typeOf := Builtins(env)["typeof"]
	s := &value.Schema{Name: "Person", PkgPath: "sub", Attrs: value.NewDict()}
	for _, tc := range []struct {
		args   []value.Value
		kwargs []value.Entry
		want   string
	}{
		{[]value.Value{s}, nil, "Person"},
		{[]value.Value{s}, []value.Entry{{Key: "full_name", Value: value.Bool(true)}}, "sub.Person"},
		{[]value.Value{&value.Schema{Name: "P", PkgPath: "__main__"}}, []value.Entry{{Key: "full_name", Value: value.Bool(true)}}, "P"},
		{[]value.Value{value.Unit{Raw: 1, Suffix: "Ki", Float: 1024}}, nil, "number_multiplier(1Ki)"},
		{[]value.Value{ok}, nil, "function"},
	} {
		got, err := callFunc(t, typeOf, tc.args, tc.kwargs...)
		if err != nil || got != value.Str(tc.want) {
			t.Errorf("typeof(%v) = %v, %v; want %s", tc.args, got, err, tc.want)
		}
	}
}

func TestModuleNames(t *testing.T) {
	env := newTestEnv(t)
	for _, n := range ModuleNames() {
		if _, ok := Module(n, env); !ok {
			t.Errorf("ModuleNames lists %s but Module does not know it", n)
		}
	}
	if _, ok := Module("kcl_plugin", env); ok {
		t.Error("Module(kcl_plugin) should not exist")
	}
	units, _ := Module("units", env)
	if units["Ki"] != value.Int(1024) || units["n"] != value.Float(1e-9) || units["K"] != value.Int(1000) {
		t.Errorf("units constants: Ki=%v n=%v K=%v", units["Ki"], units["n"], units["K"])
	}
	if len(StrMethodNames()) != 30 {
		t.Errorf("StrMethodNames has %d names, want 30", len(StrMethodNames()))
	}
	for _, n := range StrMethodNames() {
		if _, ok := StrMethod(value.Str("x"), n); !ok {
			t.Errorf("StrMethod(%s) missing", n)
		}
	}
}

// dropEnv asks yaml_stream for the kclvm 0.4 empty-list rule.
type dropEnv struct{ *testEnv }

func (dropEnv) StreamOptions(o *value.YAMLOptions) { o.DropEmptyLists = true }

func TestYAMLStreamOptioner(t *testing.T) {
	list := decodeJSON(t, `[{"a": [], "b": 1}]`)
	plain, drop := newTestEnv(t), dropEnv{newTestEnv(t)}
	for _, tc := range []struct {
		env    Env
		stream *string
		want   string
	}{
		{plain, &plain.stream, "a: []\nb: 1\n"},
		{drop, &drop.stream, "b: 1\n"},
	} {
		if _, err := callFunc(t, moduleFunc(t, tc.env, "manifests", "yaml_stream"), []value.Value{list}); err != nil {
			t.Fatal(err)
		}
		if *tc.stream != tc.want {
			t.Errorf("yaml_stream with %T = %q, want %q", tc.env, *tc.stream, tc.want)
		}
	}
}

// TestFileSandbox runs the file module's mutating and reading functions and
// read_env against hostile paths under each policy: nothing changes outside
// the root, under .git or the state directory, and denials say why.
func TestFileSandbox(t *testing.T) {
	t.Setenv("KONFIG_SANDBOX_ALLOWED", "visible")
	t.Setenv("KONFIG_SANDBOX_TOKEN", "s3cr3t")
	const reason = "the language server evaluates without side effects"
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	stack := filepath.Join(root, "appops", "app", "dev")
	for _, d := range []string{stack, filepath.Join(root, ".git"), filepath.Join(stack, sandbox.StateDirName)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(root, ".git", "config"):                    "[core]\n",
		filepath.Join(stack, sandbox.StateDirName, "state.json"): "{}",
		filepath.Join(stack, "main.k"):                           "a = 1\n",
		filepath.Join(base, "secret.txt"):                        "TOKEN=s3cr3t",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(stack, "leak.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "new.txt"), filepath.Join(stack, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	two := func(a, b string) []value.Value { return []value.Value{value.Str(a), value.Str(b)} }
	one := func(a string) []value.Value { return []value.Value{value.Str(a)} }
	readOnly := sandbox.Policy{DenyReason: reason, AllowEnv: []string{"KONFIG_SANDBOX_ALLOWED"}}
	run := sandbox.Policy{AllowWrites: true, AllEnv: true}
	tests := []struct {
		name   string
		policy sandbox.Policy
		fn     string
		args   []value.Value
		want   string // JSON of the result, or "error: …" (a substring)
	}{
		{"append to .git/config (run)", run, "append", two("../../../.git/config", "[core]\n fsmonitor = \"x\""), "error: .git is protected"},
		{"append to .git/config (server)", readOnly, "append", two("../../../.git/config", "x"), "error: " + reason},
		{"write the state (run)", run, "write", two(".konfig/state.json", "{}"), "error: .konfig is protected"},
		{"mkdir in .git (run)", run, "mkdir", one("../../../.git/hooks"), "error: .git is protected"},
		{"mv into .git (run)", run, "mv", two("main.k", "../../../.git/hooks/post-checkout"), "error: .git is protected"},
		{"cp over .git/config (run)", run, "cp", two("main.k", "../../../.git/config"), "error: .git is protected"},
		{"delete .git/config (run)", run, "delete", one("../../../.git/config"), "error: .git is protected"},
		{"write outside (run)", run, "write", two("../../../../evil.txt", "x"), "error: outside the sandbox root"},
		{"write through dangling link (run)", run, "write", two("dangling.txt", "x"), "error: outside the sandbox root"},
		{"cp to absolute outside (run)", run, "cp", two("main.k", filepath.Join(base, "copy.k")), "error: outside the sandbox root"},
		{"self-feeding append (server)", readOnly, "append", two("main.k", "a = 1\n"), "error: " + reason},
		{"write in the stack (server)", readOnly, "write", two("out.txt", "x"), "error: file writes are not allowed"},
		{"read through a link (run)", run, "read", one("leak.txt"), "error: symbolic link"},
		{"read absolute outside (run)", run, "read", one(filepath.Join(base, "secret.txt")), "error: outside the sandbox root"},
		{"hash through a link (run)", run, "crypto.filesha256", one("leak.txt"), "error: outside the sandbox root"},
		{"read /proc/self/environ (run)", run, "read", one("/proc/self/environ"), "error: outside the sandbox root"},
		{"read_env listed (server)", readOnly, "read_env", one("KONFIG_SANDBOX_ALLOWED"), `"visible"`},
		{"read_env not listed (server)", readOnly, "read_env", one("KONFIG_SANDBOX_TOKEN"), "null"},
		{"read_env (run)", run, "read_env", one("KONFIG_SANDBOX_TOKEN"), `"s3cr3t"`},
		{"read inside (server)", readOnly, "read", one("main.k"), `"a = 1\n"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnvPolicy(t, root, tt.policy)
			env.current = filepath.Join(stack, "main.k")
			wd := &workDirEnv{testEnv: env, wd: stack}
			mod, fname := "file", tt.fn
			if m, f, ok := strings.Cut(tt.fn, "."); ok {
				mod, fname = m, f
			}
			got, err := callFunc(t, moduleFunc(t, wd, mod, fname), tt.args)
			if msg, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Fatalf("%s(%v) = %v, %v; want an error containing %q", tt.fn, tt.args, got, err, msg)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s(%v): %v", tt.fn, tt.args, err)
			}
			if j := string(value.EncodeJSON(got, value.JSONOptions{})); j != tt.want {
				t.Errorf("%s(%v) = %s, want %s", tt.fn, tt.args, j, tt.want)
			}
		})
	}
	for p, c := range files {
		if b, err := os.ReadFile(p); err != nil || string(b) != c {
			t.Errorf("%s changed: %q, %v", p, b, err)
		}
	}
	for _, p := range []string{filepath.Join(base, "evil.txt"), filepath.Join(base, "new.txt"), filepath.Join(base, "copy.k"), filepath.Join(stack, "out.txt")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

// workDirEnv is a testEnv whose working directory differs from its root.
type workDirEnv struct {
	*testEnv
	wd string
}

func (e *workDirEnv) WorkDir() string { return e.wd }
