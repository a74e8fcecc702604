package sema

import (
	"context"
	"os"
	"testing"
)

func TestBasicDebug(t *testing.T) {
	dir := os.Getenv("SEMA_DEBUG_DIR")
	if dir == "" {
		t.Skip("SEMA_DEBUG_DIR not set")
	}
	prog, err := Load(context.Background(), Config{ModRoot: dir, Files: []string{dir + "/main.k"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range prog.Diagnostics() {
		t.Log(d.Error())
	}
	for _, u := range prog.Unresolved() {
		t.Logf("unresolved %v", u)
	}
}

func TestBasicDebugTypes(t *testing.T) {
	dir := os.Getenv("SEMA_DEBUG_DIR")
	if dir == "" {
		t.Skip("SEMA_DEBUG_DIR not set")
	}
	prog, err := Load(context.Background(), Config{ModRoot: dir, Files: []string{dir + "/main.k"}})
	if err != nil {
		t.Fatal(err)
	}
	for e, ty := range prog.pkgs[MainPkg].types {
		t.Logf("%T %v: %s", e, e.Pos(), ty)
	}
}
