package diag

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestDataLeavesTextAlone: a code, arguments and fixes change nothing of
// the rendered text, and they round-trip through JSON.
func TestDataLeavesTextAlone(t *testing.T) {
	pos := Pos{File: "main.k", Line: 1, Col: 5, Offset: 4}
	plain := New(CompileError, pos, "name 'nmae' is not defined, did you mean '[\"name\"]'?")
	coded := New(CompileError, pos, "name 'nmae' is not defined, did you mean '[\"name\"]'?").
		WithCode(UnknownName, &Args{Name: "nmae", Suggestions: []string{"name"}}).
		AddFix(Fix{Title: "Change 'nmae' to 'name'", Edits: []Edit{{Pos: pos, End: Pos{File: "main.k", Line: 1, Col: 9, Offset: 8}, NewText: "name"}}, Preferred: true})
	src := FileSource{Overlay: map[string][]byte{"main.k": []byte("a = nmae\n")}}
	var a, b bytes.Buffer
	Render(&a, plain, src)
	Render(&b, coded, src)
	if a.String() != b.String() {
		t.Errorf("rendering changed:\n%s\nvs\n%s", a.String(), b.String())
	}
	if plain.Error() != coded.Error() {
		t.Errorf("Error() changed: %q vs %q", plain.Error(), coded.Error())
	}
	raw, err := json.Marshal(coded.Fixes)
	if err != nil {
		t.Fatal(err)
	}
	var back []Fix
	if err := json.Unmarshal(raw, &back); err != nil || len(back) != 1 || back[0].Edits[0].NewText != "name" || !back[0].Preferred {
		t.Errorf("fixes round trip: %s -> %+v (%v)", raw, back, err)
	}
	if got := (&Diagnostic{Kind: InvalidSyntax}).MachineCode(); got != SyntaxError {
		t.Errorf("syntax error code %q", got)
	}
	if got := coded.MachineCode(); got != UnknownName {
		t.Errorf("code %q", got)
	}
}
