package kclrun

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// Args are the inputs of one `run`: the command-line flags of `kcl run`, the
// working directory and an optional overlay of file contents.
type Args struct {
	Files        []string // positional inputs: files or directories
	Settings     []string // -Y settings files
	Arguments    []string // -D key=value
	Output       string   // -o file
	Format       string   // --format yaml|json ("" = yaml)
	DisableNone  bool     // -n
	SortKeys     bool     // -k
	ShowHidden   bool     // -H
	StrictRange  bool     // -r
	Debug        bool     // -d
	Recursive    bool     // -R
	PathSelector []string // -S
	Overrides    []string // -O override specs ([pkg:]path=value, path-), applied to the main package
	External     []string // -E name=path
	FastEval     bool     // -K (no-op)
	Verbose      int      // -v (no-op)
	Profile      bool     // -p (no-op)
	Target       string   // --target (no-op)
	ErrorFormat  string   // --error_format (only "pretty" is produced)
	Quiet        bool     // -q: print nothing but errors
	NoStyle      bool     // --no_style (no-op: output has no colors)
	Help         bool     // -h
	// Timeout bounds the evaluation time, output included (--timeout,
	// default DefaultTimeout on the command line; 0 = no bound). Not an
	// official flag.
	Timeout time.Duration
	// MaxMemory is the evaluation's memory budget (--max-memory, see
	// eval.Config.MaxMemory: 0 = 256 MiB, < 0 = no bound). Not an official
	// flag.
	MaxMemory int64

	// Resolve says when the resolver's compile-time errors are consulted
	// (--resolve first|on-error|never; not an official flag).
	Resolve     ResolveMode
	resolveFlag string

	// Policy is the sandbox policy of the evaluation; nil is RunPolicy()
	// (`kcl run`: writes beneath the root, every environment variable).
	// Not a flag: the commands choose it.
	Policy *sandbox.Policy

	// WorkDir is the directory relative paths are resolved against and
	// where kcl.yaml is looked for; "" means the process's working directory.
	WorkDir string
	// Overlay holds file contents (keyed by absolute path) that replace
	// the disk, for editors; may be nil.
	Overlay map[string][]byte
}

// multiValued lists the flags that, like the official CLI's, take one or more
// values: `-Y a.yaml b.yaml` gives two settings files.
var multiValued = map[string]string{
	"Y": "setting", "D": "argument", "S": "path_selector", "O": "overrides", "E": "external",
}

// FlagSet returns the flags of `run` bound to a. The CLI shows them in its
// help; ParseArgs parses with them.
func FlagSet(a *Args) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "-", "_"))
	})
	fs.StringArrayVarP(&a.Arguments, "argument", "D", nil, "top-level argument key=value for option() (repeatable)")
	fs.StringArrayVarP(&a.Settings, "setting", "Y", nil, "KCL settings file (repeatable; kcl.yaml in the working directory when none)")
	fs.StringVarP(&a.Output, "output", "o", "", "write the output to this file instead of stdout")
	fs.StringVarP(&a.Format, "format", "f", "yaml", "output format: yaml or json")
	fs.BoolVarP(&a.DisableNone, "disable_none", "n", false, "drop None values from the output")
	fs.BoolVarP(&a.SortKeys, "sort_keys", "k", false, "sort keys in the output")
	fs.BoolVarP(&a.ShowHidden, "show_hidden", "H", false, "also print hidden (_x) attributes")
	fs.BoolVarP(&a.StrictRange, "strict_range_check", "r", false, "check 32-bit int and float ranges")
	fs.BoolVarP(&a.Debug, "debug", "d", false, "debug mode: backtraces in errors, 64-bit checks with -r")
	fs.BoolVarP(&a.Recursive, "recursive", "R", false, "compile directory inputs recursively")
	fs.StringArrayVarP(&a.PathSelector, "path_selector", "S", nil, "select a value of the output: [pkg:]name.attr… (repeatable)")
	fs.StringArrayVarP(&a.Overrides, "overrides", "O", nil, "override an attribute of the main package: `path=value`, `path:value`, `path+=value` or `path-` to delete (repeatable)")
	fs.StringArrayVarP(&a.External, "external", "E", nil, "external package name=path (repeatable)")
	fs.BoolVarP(&a.FastEval, "fast_eval", "K", false, "fast evaluator (no-op)")
	fs.CountVarP(&a.Verbose, "verbose", "v", "verbose (no-op)")
	fs.BoolVarP(&a.Profile, "profile", "p", false, "profile (no-op)")
	fs.StringVar(&a.Target, "target", "", "target (no-op)")
	fs.StringVar(&a.ErrorFormat, "error_format", "pretty", "error format (only pretty)")
	fs.BoolVarP(&a.Quiet, "quiet", "q", false, "print nothing but errors")
	fs.BoolVar(&a.NoStyle, "no_style", false, "no colors in the output (no-op)")
	fs.StringVar(&a.resolveFlag, "resolve", "first", "when to run the resolver: first (before evaluating, as kcl does), on-error (lenient: only to explain a failed evaluation) or never")
	AddBudgetFlags(fs, &a.Timeout, &a.MaxMemory)
	fs.BoolVarP(&a.Help, "help", "h", false, "help for run")
	return fs
}

// ParseArgs parses the command line of `run` (without the command name) the
// way the official CLI does, including its multi-value flags: after -Y, -D,
// -S, -O or -E, the following bare words are further values of the same
// flag as long as they look like values of it (settings files end in .yaml
// or .yml, -D and -E values contain `=`, -S and -O values are anything but a
// .k file), so `-Y a.yaml b.yaml` names two settings files while
// `-D k=v main.k` still takes main.k as an input.
func ParseArgs(argv []string) (Args, error) {
	var a Args
	fs := FlagSet(&a)
	if err := fs.Parse(normalizeArgv(argv)); err != nil {
		return a, fmt.Errorf("run: %w", err)
	}
	a.Files = fs.Args()
	mode, err := ParseResolveMode(a.resolveFlag)
	if err != nil {
		return a, fmt.Errorf("run: %w", err)
	}
	a.Resolve = mode
	return a, nil
}

// normalizeArgv rewrites `-Y a b` into `-Y a -Y b` (see ParseArgs).
func normalizeArgv(argv []string) []string {
	var out []string
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		out = append(out, arg)
		if arg == "--" {
			out = append(out, argv[i+1:]...)
			break
		}
		short := multiValuedFlag(arg)
		if short == "" {
			continue
		}
		if !strings.Contains(arg, "=") && (arg == "-"+short || arg == "--"+multiValued[short]) {
			// The first value is the next word, whatever it looks like.
			if i+1 < len(argv) {
				i++
				out = append(out, argv[i])
			}
		}
		for i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") && looksLikeValue(short, argv[i+1]) {
			i++
			out = append(out, "-"+short, argv[i])
		}
	}
	return out
}

// multiValuedFlag returns the short name of the multi-valued flag arg
// starts (`-Y`, `-Yfile`, `--setting`, `--setting=file`), or "".
func multiValuedFlag(arg string) string {
	if strings.HasPrefix(arg, "--") {
		name, _, _ := strings.Cut(arg[2:], "=")
		name = strings.ReplaceAll(name, "-", "_")
		for s, long := range multiValued {
			if long == name {
				return s
			}
		}
		return ""
	}
	if len(arg) >= 2 && arg[0] == '-' {
		if _, ok := multiValued[arg[1:2]]; ok {
			return arg[1:2]
		}
	}
	return ""
}

func looksLikeValue(short, word string) bool {
	switch short {
	case "Y":
		return strings.HasSuffix(word, ".yaml") || strings.HasSuffix(word, ".yml")
	case "D", "E":
		return strings.Contains(word, "=")
	default:
		return !strings.HasSuffix(word, ".k")
	}
}
