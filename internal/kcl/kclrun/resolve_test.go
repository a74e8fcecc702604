package kclrun

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata goldens")

// TestResolve extracts each testdata/resolve/*.txtar case into a temporary
// directory, parses its args section as a command line, resolves it and
// compares a dump of the resolved configuration (or the rendered error)
// with the want section.
func TestResolve(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "resolve", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no resolve cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var argv []string
			workDir := dir
			wantIdx := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "args":
					argv = strings.Fields(string(f.Data))
				case "workdir":
					workDir = filepath.Join(dir, strings.TrimSpace(string(f.Data)))
				case "want":
					wantIdx = i
				default:
					p := filepath.Join(dir, f.Name)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if wantIdx < 0 {
				t.Fatal("no want section")
			}
			a, err := ParseArgs(argv)
			if err != nil {
				t.Fatalf("ParseArgs(%q): %v", argv, err)
			}
			a.WorkDir = workDir
			var got string
			cfg, err := Resolve(a)
			if err != nil {
				var b bytes.Buffer
				diag.RenderError(&b, err, nil)
				got = b.String()
			} else {
				got = dumpConfig(cfg)
			}
			got = strings.ReplaceAll(got, dir, "$WORK")
			if *update {
				ar.Files[wantIdx].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(ar.Files[wantIdx].Data), got); diff != "" {
				t.Errorf("Resolve(%q) mismatch (-want +got):\n%s", argv, diff)
			}
		})
	}
}

func dumpConfig(c *Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "files: %s\n", strings.Join(c.Files, " "))
	fmt.Fprintf(&b, "modroot: %s\n", c.ModRoot)
	if c.Output != "" {
		fmt.Fprintf(&b, "output: %s\n", c.Output)
	}
	if len(c.External) > 0 {
		var ext []string
		for k, v := range c.External {
			ext = append(ext, k+"="+v)
		}
		sort.Strings(ext)
		fmt.Fprintf(&b, "external: %s\n", strings.Join(ext, " "))
	}
	if len(c.PathSelector) > 0 {
		fmt.Fprintf(&b, "path_selector: %s\n", strings.Join(c.PathSelector, " "))
	}
	b.WriteString("options:")
	for _, o := range c.Options {
		fmt.Fprintf(&b, " %s=%s", o.Key, dumpValue(o.Value))
	}
	b.WriteString("\nflags:")
	for _, f := range []struct {
		name string
		on   bool
	}{{"disable_none", c.DisableNone}, {"sort_keys", c.SortKeys}, {"show_hidden", c.ShowHidden},
		{"strict_range", c.StrictRange}, {"debug", c.Debug}} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	if c.Format != "yaml" {
		b.WriteString(" format=" + c.Format)
	}
	b.WriteString("\n")
	return b.String()
}

// dumpValue prints a value unambiguously for the goldens: strings quoted,
// floats with a point.
func dumpValue(v value.Value) string {
	switch x := v.(type) {
	case value.NoneType:
		return "None"
	case value.UndefinedType:
		return "Undefined"
	case value.Bool:
		if x {
			return "True"
		}
		return "False"
	case value.Int:
		return strconv.FormatInt(int64(x), 10)
	case value.Float:
		s := strconv.FormatFloat(float64(x), 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0"
		}
		return s
	case value.Str:
		return strconv.Quote(string(x))
	case *value.List:
		parts := make([]string, len(x.Items))
		for i, it := range x.Items {
			parts[i] = dumpValue(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *value.Dict:
		parts := make([]string, 0, x.Len())
		for _, e := range x.Entries() {
			parts = append(parts, strconv.Quote(e.Key)+": "+dumpValue(e.Value))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%T", v)
}

func TestParseArgument(t *testing.T) {
	tests := []struct {
		arg  string
		want string // dumpValue of the value, or "error"
	}{
		{"key=value", `"value"`},
		{"key=1", "1"},
		{"key=-3", "-3"},
		{"key=1.5", "1.5"},
		{"key=0.0", "0.0"},
		{"key=.0", "0.0"},
		{"key=1_000", "1000"},
		{"key=0x1F", "31"},
		{"key=0o17", "15"},
		{"key=0b101", "5"},
		{"key=12e1", `"12e1"`},
		{"key=1.5e-3", `"1.5e-3"`},
		{"key=2E10", `"2E10"`},
		{"key=True", "True"},
		{"key=False", "False"},
		{"key=true", "True"},
		{"key=None", "None"},
		{"key=null", "None"},
		{"key=Undefined", "Undefined"},
		{`key="000000123456"`, `"000000123456"`},
		{"key=000123", `"000123"`},
		{"key='single'", `"single"`},
		{`key='it\'s'`, `"it's"`},
		{"key=[1,2,3]", "[1, 2, 3]"},
		{`key={"b":1,"a":[true,null]}`, `{"b": 1, "a": [True, None]}`},
		{`key={"nameservers":["172.17.255.252"]}`, `{"nameservers": ["172.17.255.252"]}`},
		{"key=[1,2", `"[1,2"`},
		{"key=a b", `"a b"`},
		{"key=value=", "error"},
		{"=123", "error"},
		{"key=", "error"},
		{"key", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			opt, err := ParseArgument(tt.arg)
			got := "error"
			if err == nil {
				got = dumpValue(opt.Value)
				if opt.Key != "key" {
					t.Errorf("key = %q, want key", opt.Key)
				}
			} else if !strings.Contains(err.Error(), errInvalidArgument) {
				t.Errorf("error %q does not say %q", err, errInvalidArgument)
			}
			if got != tt.want {
				t.Errorf("ParseArgument(%q) = %s, want %s", tt.arg, got, tt.want)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"main.k", "-Y", "a.yaml", "b.yaml"}, "files=[main.k] Y=[a.yaml b.yaml]"},
		{[]string{"-Y", "a.yaml", "main.k"}, "files=[main.k] Y=[a.yaml]"},
		{[]string{"-D", "a=1", "b=2", "main.k", "-n"}, "files=[main.k] D=[a=1 b=2] n"},
		{[]string{"-Dk=v", "--argument=x=y", "main.k"}, "files=[main.k] D=[k=v x=y]"},
		{[]string{"main.k", "-D", "=123"}, "files=[main.k] D=[=123]"},
		{[]string{"main.k", "-S", "a.b", ":c.[0]", "-d", "--sort_keys"}, "files=[main.k] S=[a.b :c.[0]] k d"},
		{[]string{"main.k", "--disable-none", "--show_hidden", "-r", "--format", "json"}, "files=[main.k] n H r format=json"},
		{[]string{"main.k", "-K", "-v", "-p", "--target", "native"}, "files=[main.k]"},
		{[]string{"a.k", "b.k", "-E", "lib=../lib", "-o", "out.yaml"}, "files=[a.k b.k] E=[lib=../lib] o=out.yaml"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, " "), func(t *testing.T) {
			a, err := ParseArgs(tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("files=%v", a.Files)
			for _, f := range []struct {
				n string
				v []string
			}{{"Y", a.Settings}, {"D", a.Arguments}, {"S", a.PathSelector}, {"E", a.External}} {
				if len(f.v) > 0 {
					got += fmt.Sprintf(" %s=%v", f.n, f.v)
				}
			}
			for _, f := range []struct {
				n  string
				on bool
			}{{"n", a.DisableNone}, {"H", a.ShowHidden}, {"k", a.SortKeys}, {"r", a.StrictRange}, {"d", a.Debug}} {
				if f.on {
					got += " " + f.n
				}
			}
			if a.Format != "yaml" {
				got += " format=" + a.Format
			}
			if a.Output != "" {
				got += " o=" + a.Output
			}
			if got != tt.want {
				t.Errorf("ParseArgs(%q) = %s, want %s", tt.argv, got, tt.want)
			}
		})
	}
}

func TestParseArgsResolve(t *testing.T) {
	for _, tt := range []struct {
		argv []string
		want ResolveMode
		err  bool
	}{
		{[]string{"main.k"}, ResolveFirst, false},
		{[]string{"main.k", "--resolve=on-error"}, ResolveOnError, false},
		{[]string{"main.k", "--resolve", "never"}, ResolveNever, false},
		{[]string{"main.k", "--resolve=sometimes"}, 0, true},
	} {
		a, err := ParseArgs(tt.argv)
		if (err != nil) != tt.err {
			t.Errorf("ParseArgs(%q) error = %v, want error %v", tt.argv, err, tt.err)
			continue
		}
		if err == nil && a.Resolve != tt.want {
			t.Errorf("ParseArgs(%q).Resolve = %d, want %d", tt.argv, a.Resolve, tt.want)
		}
	}
}
