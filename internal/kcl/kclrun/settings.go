package kclrun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// Option is one top-level argument for option(): from a settings file's
// kcl_options or from -D.
type Option struct {
	Key   string
	Value value.Value
}

// Settings is the merge of one or more KCL settings files (`-Y`, kcl.yaml):
// the kcl_cli_configs fields and the kcl_options list.
type Settings struct {
	// Files is the ordered input list. Paths are absolute, except those
	// starting with ${KCL_MOD}, which stay as written until the module root is
	// known (see loader.ExpandFiles).
	Files []string
	// Output is the output file, absolute; "" for stdout.
	Output       string
	Overrides    []string
	PathSelector []string
	// PackageMaps maps external package names to absolute directories.
	PackageMaps map[string]string

	StrictRangeCheck      bool
	DisableNone           bool
	Debug                 bool
	SortKeys              bool
	ShowHidden            bool
	IncludeSchemaTypePath bool
	FastEval              bool
	Verbose               int

	// Options are the kcl_options of all files, concatenated in file order.
	Options []Option
}

// settingsFile mirrors the YAML of one settings file; pointers record
// whether a field was present, since later files overwrite only the fields
// they set.
type settingsFile struct {
	CLIConfigs *cliConfigs `yaml:"kcl_cli_configs"`
	Options    []yaml.Node `yaml:"kcl_options"`
}

type cliConfigs struct {
	Files                 []string          `yaml:"files"`
	File                  []string          `yaml:"file"`
	Output                *string           `yaml:"output"`
	Overrides             []string          `yaml:"overrides"`
	PathSelector          []string          `yaml:"path_selector"`
	StrictRangeCheck      *bool             `yaml:"strict_range_check"`
	DisableNone           *bool             `yaml:"disable_none"`
	Verbose               *int              `yaml:"verbose"`
	Debug                 *bool             `yaml:"debug"`
	SortKeys              *bool             `yaml:"sort_keys"`
	ShowHidden            *bool             `yaml:"show_hidden"`
	IncludeSchemaTypePath *bool             `yaml:"include_schema_type_path"`
	FastEval              *bool             `yaml:"fast_eval"`
	PackageMaps           map[string]string `yaml:"package_maps"`
}

// LoadSettings reads the settings files in order and merges them as the
// official CLI does: fields a later file sets overwrite earlier ones,
// kcl_options lists are concatenated, and relative paths (files, output,
// package_maps) are resolved against the directory of the file that lists
// them. Paths are used as given; relative ones are relative to the process's
// working directory. See LoadSettingsIn to resolve them against another
// directory.
func LoadSettings(files ...string) (*Settings, error) {
	return LoadSettingsIn("", nil, files...)
}

// LoadSettingsIn is LoadSettings with relative settings paths resolved
// against workDir (when not empty) and file contents taken from overlay
// (keyed by absolute path) when present there.
//
// A file that is missing or is not a settings file gives an EvaluationError
// diagnostic `Failed to load '<name>', invalid setting file format`.
func LoadSettingsIn(workDir string, overlay map[string][]byte, files ...string) (*Settings, error) {
	return LoadSettingsFS(nil, workDir, overlay, files...)
}

// LoadSettingsFS is LoadSettingsIn with the files read through the sandbox
// fsys (nil reads the disk directly): a settings file outside its root, or
// a link leading out of it, is refused.
func LoadSettingsFS(fsys *sandbox.FS, workDir string, overlay map[string][]byte, files ...string) (*Settings, error) {
	s := &Settings{}
	for _, name := range files {
		path := name
		if !filepath.IsAbs(path) && workDir != "" {
			path = filepath.Join(workDir, path)
		}
		path, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("settings file %s: %w", name, err)
		}
		data, ok := overlay[path]
		if !ok {
			if fsys != nil {
				data, err = fsys.ReadFile(path)
			} else {
				data, err = os.ReadFile(path)
			}
			var refused *sandbox.Error
			if errors.As(err, &refused) {
				return nil, settingsError(fmt.Sprintf("Failed to load '%s': %v", name, refused))
			}
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, settingsError(fmt.Sprintf("Failed to load '%s', no such file or directory", name))
				}
				return nil, settingsError(fmt.Sprintf("Failed to load '%s': %v", name, err))
			}
		}
		if err := s.merge(data, filepath.Dir(path)); err != nil {
			return nil, settingsError(fmt.Sprintf("Failed to load '%s', invalid setting file format\n%v", name, err))
		}
	}
	return s, nil
}

func settingsError(text string) *diag.Diagnostic {
	return &diag.Diagnostic{Kind: diag.EvaluationError, Messages: []diag.Message{{Text: text}}}
}

// merge parses one settings file's data and merges it into s; dir is the
// directory relative paths in it are resolved against.
func (s *Settings) merge(data []byte, dir string) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return err
	}
	if root.Kind == 0 { // empty document
		return nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return nil
	}
	if doc.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: the settings must be a mapping", doc.Line)
	}
	var f settingsFile
	if err := doc.Decode(&f); err != nil {
		return err
	}
	if c := f.CLIConfigs; c != nil {
		files := c.Files
		if files == nil {
			files = c.File
		}
		if files != nil {
			s.Files = s.Files[:0:0]
			for _, p := range files {
				s.Files = append(s.Files, resolvePath(dir, p))
			}
		}
		if c.Output != nil {
			s.Output = ""
			if *c.Output != "" {
				s.Output = resolvePath(dir, *c.Output)
			}
		}
		if c.Overrides != nil {
			s.Overrides = c.Overrides
		}
		if c.PathSelector != nil {
			s.PathSelector = c.PathSelector
		}
		setBool(&s.StrictRangeCheck, c.StrictRangeCheck)
		setBool(&s.DisableNone, c.DisableNone)
		setBool(&s.Debug, c.Debug)
		setBool(&s.SortKeys, c.SortKeys)
		setBool(&s.ShowHidden, c.ShowHidden)
		setBool(&s.IncludeSchemaTypePath, c.IncludeSchemaTypePath)
		setBool(&s.FastEval, c.FastEval)
		if c.Verbose != nil {
			s.Verbose = *c.Verbose
		}
		if c.PackageMaps != nil {
			s.PackageMaps = map[string]string{}
			for k, v := range c.PackageMaps {
				s.PackageMaps[k] = resolvePath(dir, v)
			}
		}
	}
	for _, n := range f.Options {
		opt, err := decodeOption(&n)
		if err != nil {
			return err
		}
		s.Options = append(s.Options, opt)
	}
	return nil
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// resolvePath makes p absolute against dir unless it is absolute already or
// starts with ${KCL_MOD} (expanded later, once the module root is known).
func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) || loader.HasModVar(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// decodeOption decodes one {key, value} entry of kcl_options.
func decodeOption(n *yaml.Node) (Option, error) {
	if n.Kind != yaml.MappingNode {
		return Option{}, fmt.Errorf("line %d: a kcl_options entry must be a mapping with key and value", n.Line)
	}
	var opt Option
	opt.Value = value.None
	haveKey := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "key":
			if v.Kind != yaml.ScalarNode {
				return Option{}, fmt.Errorf("line %d: an option key must be a string", v.Line)
			}
			opt.Key = v.Value
			haveKey = true
		case "value":
			budget := maxOptionNodes
			val, err := yamlToValue(v, &budget)
			if err != nil {
				return Option{}, err
			}
			opt.Value = val
		}
	}
	if !haveKey {
		return Option{}, fmt.Errorf("line %d: a kcl_options entry needs a key", n.Line)
	}
	return opt, nil
}

// maxOptionNodes bounds the size of one option value once YAML aliases are
// expanded (against alias bombs).
const maxOptionNodes = 1 << 20

// yamlToValue converts a YAML node into a KCL value, keeping mapping order.
// budget is the number of nodes it may still produce.
func yamlToValue(n *yaml.Node, budget *int) (value.Value, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("line %d: option value too large", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return value.None, nil
		}
		return yamlToValue(n.Content[0], budget)
	case yaml.AliasNode:
		return yamlToValue(n.Alias, budget)
	case yaml.SequenceNode:
		l := &value.List{Items: make([]value.Value, 0, len(n.Content))}
		for _, c := range n.Content {
			v, err := yamlToValue(c, budget)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, nil
	case yaml.MappingNode:
		d := value.NewDict()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			v, err := yamlToValue(n.Content[i+1], budget)
			if err != nil {
				return nil, err
			}
			d.Set(k.Value, v)
		}
		return d, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return value.None, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return value.Bool(b), nil
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return value.Int(i), nil
			}
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, err
			}
			return value.Float(f), nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, err
			}
			return value.Float(f), nil
		default:
			return value.Str(n.Value), nil
		}
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}
