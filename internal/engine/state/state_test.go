package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

func res(id string) Resource {
	return Resource{Resource: spec.Resource{ID: id, Type: spec.Kubernetes, Attributes: map[string]any{"kind": "ConfigMap"}}}
}

func TestSaveLoad(t *testing.T) {
	st := NewStore(filepath.Join(t.TempDir(), ".konfig"))
	s, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial != 0 || len(s.Resources) != 0 {
		t.Fatalf("missing state: got serial %d, %d resources; want an empty state", s.Serial, len(s.Resources))
	}
	s.Put(res("a"))
	s.Put(res("b"))
	if err := st.Save(s); err != nil {
		t.Fatal(err)
	}
	s.Put(Resource{Resource: spec.Resource{ID: "a", Type: spec.Kubernetes}})
	s.Remove("b")
	if err := st.Save(s); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 2 {
		t.Errorf("serial = %d, want 2 after two saves", got.Serial)
	}
	if got.CreatedAt.IsZero() || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("timestamps created %v updated %v", got.CreatedAt, got.UpdatedAt)
	}
	if diff := cmp.Diff([]string{"a"}, ids(got)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{".gitignore", StateFile}, names); diff != "" {
		t.Errorf("files in the state dir (no temp files may stay) (-want +got):\n%s", diff)
	}
}

func ids(s *State) []string {
	var out []string
	for _, r := range s.Resources {
		out = append(out, r.ID)
	}
	return out
}

func TestLoadRejectsGarbage(t *testing.T) {
	st := NewStore(t.TempDir())
	if err := os.WriteFile(st.Path(), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); err == nil || !strings.Contains(err.Error(), "parse state") {
		t.Errorf("Load of a corrupt file: err = %v, want a parse error", err)
	}
}

func TestLock(t *testing.T) {
	st := NewStore(t.TempDir())
	l, err := st.Lock("apply", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Lock("destroy", false)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: err = %v, want a *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Operation != "apply" {
		t.Errorf("holder = %+v, want this process's apply", le.Holder)
	}
	if !strings.Contains(err.Error(), "apply (pid ") || !strings.Contains(err.Error(), "--force-unlock") {
		t.Errorf("error %q should name the holder and --force-unlock", err)
	}
	l2, err := st.Lock("destroy", true)
	if err != nil {
		t.Fatalf("forced Lock: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("release of a lock already taken over: %v", err)
	}
	if l3, err := st.Lock("apply", false); err != nil {
		t.Fatalf("Lock after release: %v", err)
	} else {
		l3.Release()
	}
}

func TestStaleLockOfDeadProcess(t *testing.T) {
	st := NewStore(t.TempDir())
	host, _ := os.Hostname()
	// A PID above the kernel's maximum is never alive.
	h := Holder{PID: 1 << 30, Host: host, Operation: "apply", Since: time.Now()}
	data, _ := json.Marshal(h)
	if err := os.WriteFile(filepath.Join(st.Dir(), LockFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := st.Lock("apply", false)
	if err != nil {
		t.Fatalf("Lock over a dead process's lock: %v", err)
	}
	l.Release()

	h.Host = "another-host"
	data, _ = json.Marshal(h)
	if err := os.WriteFile(filepath.Join(st.Dir(), LockFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Lock("apply", false); err == nil {
		t.Fatalf("Lock over another host's lock succeeded; want an error")
	}
	if err := st.ForceUnlock(); err != nil {
		t.Fatal(err)
	}
	if l, err := st.Lock("apply", false); err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	} else {
		l.Release()
	}
}
