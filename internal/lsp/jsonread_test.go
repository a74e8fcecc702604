package lsp

import (
	"encoding/json"
	"testing"
)

func TestJSONReaderStrings(t *testing.T) {
	for _, in := range []string{`"a"`, `""`, `"a\nb\"c\\d\/e\tf\u00e9\ud83d\ude00g"`, "\"\xff\"", `"\ud800x"`, `"\ud800\u0041"`, `"é😀"`, "\"\xffabc\\n\xfe\"", "\"a\\nb\xff\xff\xffcdefgh\"", "\"\xe2\x82\"", `"\u12"`, `"a`, "\"\x01\"", `"\x"`} {
		var want string
		werr := json.Unmarshal([]byte(in), &want)
		r := &jsonReader{b: []byte(in)}
		got, err := r.strBytes()
		r2 := &jsonReader{b: []byte(in)}
		got2, err2 := r2.bigStrBytes()
		r3 := &jsonReader{b: []byte(in), inPlace: true}
		got3, err3 := r3.bigStrBytes()
		if (err3 != nil) != (werr != nil) || werr == nil && string(got3) != want {
			t.Errorf("%q in place: %q %v, want %q", in, got3, err3, want)
		}
		r4 := &jsonReader{b: []byte(`{"x":` + in + `}`)}
		if err := r4.skip(); (err != nil) != (werr != nil) {
			t.Errorf("%q skipped: %v, encoding/json %v", in, err, werr)
		}
		if (err != nil) != (werr != nil) || (err2 != nil) != (werr != nil) {
			t.Errorf("%q: err %v / %v, encoding/json %v", in, err, err2, werr)
			continue
		}
		if werr == nil && (string(got) != want || string(got2) != want) {
			t.Errorf("%q: %q / %q, want %q", in, got, got2, want)
		}
	}
}

func TestDecodeDidOpen(t *testing.T) {
	u, v, text, err := decodeDidOpen([]byte(`{"textDocument":{"uri":"file:///a.k","languageId":"kcl","version":3,"text":"x = 1\n"},"extra":[1,{"a":null},true,-1.5e3]}`), true)
	if err != nil || u != "file:///a.k" || v != 3 || string(text) != "x = 1\n" {
		t.Errorf("%q %d %q %v", u, v, text, err)
	}
	for _, bad := range []string{`"x"`, `{}`, `{"textDocument":{"uri":"file:///a.k","version":1.5}}`, `{"textDocument":{"uri":"file:///a.k"}} x`, `{"textDocument":{"uri":"file:///a.k","version":99999999999}}`, `{"textDocument":{"uri":"file:///a.k","text":"a}}`, `{"a":[1,]}`, `{"a":01}`} {
		if _, _, _, err := decodeDidOpen([]byte(bad), false); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
