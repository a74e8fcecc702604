package loader

import (
	"bufio"
	"bytes"
	"path/filepath"
	"strings"
)

// Dependencies returns the external packages that the kcl.mod of modRoot
// declares with a local path (`name = { path = "../lib" }` under
// [dependencies]), as absolute directories by package name; kcl.mod is
// read through fsys (nil: the disk). Dependencies fetched by git, OCI or
// version need KCL's package cache, which we do not have: they are left
// out (their imports are reported missing). No kcl.mod, or none with
// dependencies, is an empty map.
func Dependencies(fsys FS, modRoot string) map[string]string {
	out := map[string]string{}
	if modRoot == "" {
		return out
	}
	if fsys == nil {
		fsys = OS()
	}
	src, err := fsys.ReadFile(filepath.Join(modRoot, ModFile))
	if err != nil {
		return out
	}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = strings.TrimSpace(strings.Trim(line, "[]")) == "dependencies"
			continue
		}
		if !in || line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		name = strings.Trim(strings.TrimSpace(name), `"`)
		val = strings.TrimSpace(val)
		if !ok || name == "" || !strings.HasPrefix(val, "{") {
			continue
		}
		if p, ok := tableString(val, "path"); ok && p != "" {
			if !filepath.IsAbs(p) {
				p = filepath.Join(modRoot, p)
			}
			out[name] = filepath.Clean(p)
		}
	}
	return out
}

// tableString returns the string value of key in an inline TOML table
// `{ a = "x", key = "y" }`.
func tableString(table, key string) (string, bool) {
	body := strings.TrimSuffix(strings.TrimPrefix(table, "{"), "}")
	if i := strings.LastIndexByte(body, '}'); i >= 0 {
		body = body[:i]
	}
	for _, field := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			return v[1 : len(v)-1], true
		}
	}
	return "", false
}

// WithDependencies returns external (the -E and package_maps packages)
// completed by the path dependencies of modRoot's kcl.mod; a name in
// external wins.
func WithDependencies(fsys FS, modRoot string, external map[string]string) map[string]string {
	deps := Dependencies(fsys, modRoot)
	if len(deps) == 0 {
		return external
	}
	for name, dir := range external {
		deps[name] = dir
	}
	return deps
}
