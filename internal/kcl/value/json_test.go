package value

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeJSON(t *testing.T) {
	d := NewDict()
	d.Set("_key", Str("value"))
	d.Set("name", Str("Alice \"A\"\n\t\x01é"))
	d.Set("age", Int(18))
	d.Set("f", Float(1))
	d.Set("big", Float(1e20))
	d.Set("nan", Float(math.NaN()))
	d.Set("data", &List{Items: []Value{Int(1), None, Undefined, Unit{Raw: 1, Suffix: "Ki", Float: 1024}}})
	d.Set("empty", NewDict())
	d.Set("el", &List{})
	tests := []struct {
		opts JSONOptions
		want string
	}{
		{JSONOptions{}, `{"_key": "value", "name": "Alice \"A\"\n\t\u0001é", "age": 18, "f": 1.0, "big": 1e20, "nan": null, "data": [1, null, 1024.0], "empty": {}, "el": []}`},
		{JSONOptions{IgnorePrivate: true, IgnoreNone: true, SortKeys: true}, `{"age": 18, "big": 1e20, "data": [1, 1024.0], "el": [], "empty": {}, "f": 1.0, "name": "Alice \"A\"\n\t\u0001é", "nan": null}`},
		{JSONOptions{Indent: 2, IgnorePrivate: true}, "{\n  \"name\": \"Alice \\\"A\\\"\\n\\t\\u0001é\",\n  \"age\": 18,\n  \"f\": 1.0,\n  \"big\": 1e20,\n  \"nan\": null,\n  \"data\": [\n    1,\n    null,\n    1024.0\n  ],\n  \"empty\": {},\n  \"el\": []\n}"},
	}
	for _, tt := range tests {
		got := string(EncodeJSON(d, tt.opts))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("EncodeJSON(%+v) (-want +got):\n%s", tt.opts, diff)
		}
	}
	if got := string(EncodeJSON(Undefined, JSONOptions{})); got != "null" {
		t.Errorf("EncodeJSON(Undefined) = %s", got)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		json bool
		want string // EncodeJSON of the result, or "error"
	}{
		{"json ints and floats", `{"a": 1, "b": 1.0, "c": 1e2, "d": 99999999999999999999, "e": [true, null, "x"]}`, true, `{"a": 1, "b": 1.0, "c": 100.0, "d": 1e20, "e": [true, null, "x"]}`},
		{"json order", `{"z": 1, "a": 2}`, true, `{"z": 1, "a": 2}`},
		{"json trailing", `{} x`, true, "error"},
		{"json invalid", `{"a": }`, true, "error"},
		{"yaml scalars", "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: '1'\ng: yes\nh: 0x10\ni: 0o17\nj: 012\nk: 1_000\nl: .inf\nm: -1e3\nn: 0B1\no: \"on\"", false, `{"a": 1, "b": 1.5, "c": true, "d": null, "e": null, "f": "1", "g": "yes", "h": 16, "i": 15, "j": "012", "k": "1_000", "l": null, "m": -1000.0, "n": "0B1", "o": "on"}`},
		{"yaml tags", "a: !!str 1\nb: !!float 2\nc: !!int \"3\"", false, `{"a": "1", "b": 2.0, "c": 3}`},
		{"yaml anchors and merge key", "a: &x {b: 1}\nc: *x\n<<: {d: 2}", false, `{"a": {"b": 1}, "c": {"b": 1}, "<<": {"d": 2}}`},
		{"yaml int keys", "1: a\ntrue: b", false, `{"1": "a", "True": "b"}`},
		{"yaml empty", "", false, `null`},
		{"yaml invalid", "a: [1", false, "error"},
	}
	for _, tt := range tests {
		var v Value
		var err error
		if tt.json {
			v, err = DecodeJSON([]byte(tt.in))
		} else {
			v, err = DecodeYAML([]byte(tt.in))
		}
		if tt.want == "error" {
			if err == nil {
				t.Errorf("%s: no error", tt.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := string(EncodeJSON(v, JSONOptions{})); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	docs, err := DecodeYAMLAll([]byte("a: 1\n---\n- 2\n---\n"))
	if err != nil || len(docs) != 3 {
		t.Fatalf("DecodeYAMLAll: %d docs, %v", len(docs), err)
	}
}
