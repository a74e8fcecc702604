package index

import "testing"

// TestValidRejectsHostileFacts: cached facts that do not fit the file
// (positions past its end, indexes out of range, unknown kinds) are not
// used.
func TestValidRejectsHostileFacts(t *testing.T) {
	src := []byte("schema A:\n    x: int\n\na = A {x = 1}\n")
	good := Extract("a.k", src)
	if !valid(good, len(src)) {
		t.Fatalf("the facts of a file are not valid for it: %+v", good)
	}
	if valid(good, len(src)+1) {
		t.Error("facts valid for a file of another size")
	}
	clone := func() *Facts {
		f := *good
		f.Decls = append([]Decl(nil), good.Decls...)
		f.Uses = append([]Use(nil), good.Uses...)
		return &f
	}
	for name, spoil := range map[string]func(f *Facts){
		"span past the end":     func(f *Facts) { f.Uses[0].Span.End.Off = int32(len(src) + 10) },
		"negative offset":       func(f *Facts) { f.Decls[0].Span.Start.Off = -1 },
		"attribute of nothing":  func(f *Facts) { f.Decls[1].Schema = 7 },
		"attribute of an attr":  func(f *Facts) { f.Decls[1].Schema = 1 },
		"owner out of range":    func(f *Facts) { f.Uses[0].Owner = 99 },
		"unknown kind":          func(f *Facts) { f.Decls[0].Kind = 200 },
		"unknown role":          func(f *Facts) { f.Uses[0].Role = 99 },
		"empty name":            func(f *Facts) { f.Decls[0].Name = "" },
		"invalid UTF-8 name":    func(f *Facts) { f.Uses[0].Name = "\xff" },
		"negative import dots":  func(f *Facts) { f.Imports = []Import{{Name: "x", Path: "x", Dots: -3}} },
		"line before the start": func(f *Facts) { f.Uses[0].Span.Start.Line = 0 },
	} {
		f := clone()
		spoil(f)
		if valid(f, len(src)) {
			t.Errorf("%s: accepted", name)
		}
	}
}
