package value

import (
	"testing"
)

// FuzzYAMLString checks that any string printed as a value, as a key and as
// a list item reads back (with yaml.v3) as the same string: the quoting and
// block styles the printer picks must never change the data.
func FuzzYAMLString(f *testing.F) {
	for _, s := range []string{"", "a", "on", "1", "-", "a: b", "#x", "a\nb", "a\n", "\n", " x", "x ", "a \nb",
		"'q'", `"q"`, "\t", "😀", "\x00", "0x10", "1e3", "---", "...", "? x", "a\r\nb", "\u2028", "\u0085x", "  \n  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8ValidNoSurrogates(s) {
			t.Skip()
		}
		d := NewDict()
		d.Set("v", Str(s))
		d.Set("l", &List{Items: []Value{Str(s)}})
		out := EncodeYAML(d, YAMLOptions{})
		keyed := NewDict()
		keyed.Set(s, Int(1))
		keyOut := EncodeYAML(keyed, YAMLOptions{})
		kb, err := DecodeYAML(keyOut)
		if err != nil {
			t.Fatalf("printed YAML does not parse: %v\n%s", err, keyOut)
		}
		if kd, ok := kb.(*Dict); !ok || kd.Len() != 1 || kd.Keys()[0] != s {
			t.Fatalf("key %q did not read back from:\n%s", s, keyOut)
		}
		back, err := DecodeYAML(out)
		if err != nil {
			t.Fatalf("printed YAML does not parse: %v\n%s", err, out)
		}
		bd, ok := back.(*Dict)
		if !ok {
			t.Fatalf("printed YAML is not a mapping:\n%s", out)
		}
		if v, _ := bd.Get("v"); v != Str(s) {
			t.Fatalf("value %q read back as %#v from:\n%s", s, v, out)
		}
		if l, _ := bd.Get("l"); l == nil || len(l.(*List).Items) != 1 || l.(*List).Items[0] != Str(s) {
			t.Fatalf("list item %q read back as %#v from:\n%s", s, l, out)
		}
	})
}

func utf8ValidNoSurrogates(s string) bool {
	for _, r := range s {
		if r == 0xFFFD {
			return false
		}
	}
	return true
}
