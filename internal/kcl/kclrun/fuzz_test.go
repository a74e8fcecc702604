package kclrun

import (
	"strings"
	"testing"
)

// FuzzParseArgument checks that any -D text parses or fails with the
// official message, without panicking.
func FuzzParseArgument(f *testing.F) {
	for _, s := range []string{"k=v", "k=1", "k=12e1", `k={"a":[1,2]}`, "k='x'", "=1", "k=v=", "k=0x1F", "k=[", `k="\u00e9"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		opt, err := ParseArgument(arg)
		if err != nil {
			if !strings.Contains(err.Error(), errInvalidArgument) {
				t.Fatalf("ParseArgument(%q): unexpected error %v", arg, err)
			}
			return
		}
		if opt.Key == "" || opt.Value == nil {
			t.Fatalf("ParseArgument(%q) = %+v", arg, opt)
		}
	})
}

// FuzzSettings checks that any settings file content loads or fails with a
// diagnostic, without panicking.
func FuzzSettings(f *testing.F) {
	for _, s := range []string{
		"kcl_cli_configs:\n  files: [a.k]\nkcl_options:\n  - key: k\n    value: v\n",
		"kcl_options:\n  - key\n", "1", "\"", ":2", "kcl_cli_configs:", "kcl_options: [{key: a, value: {b: [1, 2.5, null]}}]",
		"a: &x [1]\nkcl_options: [{key: k, value: *x}]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		path := "/fuzz/settings.yaml"
		s, err := LoadSettingsIn("/fuzz", map[string][]byte{path: []byte(text)}, path)
		if err == nil && s == nil {
			t.Fatal("nil settings without error")
		}
	})
}
