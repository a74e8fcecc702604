package konfig

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// settingsFile is the part of a KCL settings file (kcl.yaml, `-Y` files)
// that a stack compile uses.
type settingsFile struct {
	CLI struct {
		File        []string `yaml:"file"`
		Files       []string `yaml:"files"`
		DisableNone *bool    `yaml:"disable_none"`
	} `yaml:"kcl_cli_configs"`
	Options []struct {
		Key   string `yaml:"key"`
		Value any    `yaml:"value"`
	} `yaml:"kcl_options"`
}

// settings is the merge of several settings files.
type settings struct {
	files       []string
	options     []Option
	disableNone bool
	read        []string
}

// readSettings reads the settings file path and merges it into s: a file
// list replaces the previous one (entries resolved against the file's own
// directory, ${KCL_MOD} expanded to modRoot), options are appended.
func (s *settings) readSettings(path, modRoot string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	var f settingsFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("settings file %s: %w", path, err)
	}
	s.read = append(s.read, path)
	list := f.CLI.File
	if len(list) == 0 {
		list = f.CLI.Files
	}
	if len(list) > 0 {
		dir := filepath.Dir(path)
		s.files = s.files[:0:0]
		for _, name := range list {
			s.files = append(s.files, resolveSettingsPath(name, dir, modRoot))
		}
	}
	if f.CLI.DisableNone != nil {
		s.disableNone = *f.CLI.DisableNone
	}
	for i, o := range f.Options {
		if o.Key == "" {
			return fmt.Errorf("settings file %s: kcl_options[%d] has no key", path, i)
		}
		s.options = append(s.options, Option{Key: o.Key, Value: normalizeYAML(o.Value)})
	}
	return nil
}

// resolveSettingsPath expands ${KCL_MOD} (also written ${konfig:KCL_MOD})
// and makes a relative path absolute against dir.
func resolveSettingsPath(name, dir, modRoot string) string {
	for _, v := range []string{"${KCL_MOD}", "${konfig:KCL_MOD}"} {
		name = strings.ReplaceAll(name, v, modRoot)
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	return filepath.Clean(name)
}

// findModRoot returns the nearest directory at or above dir holding kcl.mod,
// or "" when there is none.
func findModRoot(dir string) string {
	for d := dir; ; {
		if fileExists(filepath.Join(d, ModFile)) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// kclFilesIn returns the .k files of dir as KCL expands a directory input:
// sorted by name, without *_test.k and _-prefixed files.
func kclFilesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list KCL files: %w", err)
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".k") || strings.HasSuffix(n, "_test.k") || strings.HasPrefix(n, "_") {
			continue
		}
		files = append(files, filepath.Join(dir, n))
	}
	sort.Strings(files)
	return files, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func joinPath(elem ...string) string { return filepath.Join(elem...) }

// normalizeYAML turns yaml.v3's decoded values into plain JSON-like Go
// values: map[string]any for mappings (keys formatted with %v), []any for
// sequences, and int, float64, string, bool or nil for scalars.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	}
	return v
}
