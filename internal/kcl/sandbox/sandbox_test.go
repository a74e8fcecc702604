package sandbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	// The module's one -update flag, so that `go test ./... -update` runs here too.
	_ "github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// layout builds a root and an outside directory beside it:
//
//	outside/secret.txt            "TOKEN=s3cr3t"
//	root/ok.txt                   "fine"
//	root/sub/in.txt               "inner"
//	root/.git/config              "[core]"
//	root/stack/.konfig/state.json "{}"
//	root/link-file    -> outside/secret.txt
//	root/link-dir     -> outside
//	root/link-abs-in  -> root/ok.txt (absolute, stays inside)
//	root/link-rel-in  -> sub/in.txt
//	root/dangling     -> outside/new.txt (does not exist)
//	root/up           -> ..
//	root/sub/upup     -> ../../outside/secret.txt
//	root/gitlink      -> .git
func layout(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{outside, filepath.Join(root, "sub"), filepath.Join(root, ".git"), filepath.Join(root, "stack", StateDirName)} {
		must(os.MkdirAll(d, 0o755))
	}
	files := map[string]string{
		filepath.Join(outside, "secret.txt"):                     "TOKEN=s3cr3t",
		filepath.Join(root, "ok.txt"):                            "fine",
		filepath.Join(root, "sub", "in.txt"):                     "inner",
		filepath.Join(root, ".git", "config"):                    "[core]",
		filepath.Join(root, "stack", StateDirName, "state.json"): "{}",
	}
	for p, c := range files {
		must(os.WriteFile(p, []byte(c), 0o644))
	}
	links := map[string]string{
		"link-file":   filepath.Join(outside, "secret.txt"),
		"link-dir":    outside,
		"link-abs-in": filepath.Join(root, "ok.txt"),
		"link-rel-in": "sub/in.txt",
		"dangling":    filepath.Join(outside, "new.txt"),
		"up":          "..",
		"sub/upup":    "../../outside/secret.txt",
		"gitlink":     ".git",
	}
	for name, target := range links {
		must(os.Symlink(target, filepath.Join(root, name)))
	}
	return root, outside
}

func TestReadEscapes(t *testing.T) {
	root, outside := layout(t)
	fsys, err := Open(root, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	tests := []struct {
		name, path string
		want       string // content, or "" for a refusal
	}{
		{"plain file", "ok.txt", "fine"},
		{"absolute inside", filepath.Join(root, "sub", "in.txt"), "inner"},
		{"absolute link inside", "link-abs-in", "fine"},
		{"relative link inside", "link-rel-in", "inner"},
		{"symlinked file", "link-file", ""},
		{"symlinked directory", "link-dir/secret.txt", ""},
		{"parent link", "up/outside/secret.txt", ""},
		{"link climbing out", "sub/upup", ""},
		{"dot-dot", "../outside/secret.txt", ""},
		{"dot-dot inside then out", "sub/../../outside/secret.txt", ""},
		{"absolute outside", filepath.Join(outside, "secret.txt"), ""},
		{"proc environ", "/proc/self/environ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := fsys.ReadFile(tt.path)
			if tt.want != "" {
				if err != nil || string(data) != tt.want {
					t.Fatalf("ReadFile(%q) = %q, %v; want %q", tt.path, data, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadFile(%q) = %q, want a refusal", tt.path, data)
			}
			if !errors.Is(err, ErrOutside) {
				t.Errorf("ReadFile(%q) error %v is not ErrOutside", tt.path, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.path) || !strings.Contains(msg, root) {
				t.Errorf("error %q does not name the path and the root", msg)
			}
			if strings.Contains(msg, "s3cr3t") {
				t.Errorf("error %q leaks the file's content", msg)
			}
			if _, err := fsys.Stat(tt.path); err == nil {
				t.Errorf("Stat(%q) succeeded", tt.path)
			}
		})
	}
}

func TestWriteEscapes(t *testing.T) {
	root, outside := layout(t)
	fsys, err := Open(root, Policy{AllowWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ops := map[string]func(p string) error{
		"write":  func(p string) error { return fsys.WriteFile(p, []byte("x"), 0o644) },
		"append": func(p string) error { return fsys.Append(p, []byte("x")) },
		"mkdir":  func(p string) error { return fsys.MkdirAll(p) },
		"delete": func(p string) error { return fsys.Remove(p) },
		"cp":     func(p string) error { return fsys.Copy("ok.txt", p) },
		"mv":     func(p string) error { return fsys.Rename("sub/in.txt", p) },
	}
	tests := []struct {
		name, path string
		kind       error
	}{
		{"symlinked file", "link-file", ErrOutside},
		{"dangling link", "dangling", ErrOutside},
		{"through linked directory", "link-dir/new/x", ErrOutside},
		{"parent link", "up/outside/x", ErrOutside},
		{"dot-dot", "../outside/x", ErrOutside},
		{"absolute", filepath.Join(outside, "x"), ErrOutside},
		{".git", ".git/config", ErrProtected},
		{".git relative escape", "sub/../.git/hooks/pre-commit", ErrProtected},
		{".git through a link", "gitlink/config", ErrProtected},
		{"nested .git", "vendor/.git/config", ErrProtected},
		{"state dir", "stack/" + StateDirName + "/state.json", ErrProtected},
	}
	for _, tt := range tests {
		for op, do := range ops {
			if op == "delete" && tt.kind == ErrOutside && !strings.Contains(tt.path, "/") {
				// Deleting a link removes the link itself, inside the root.
				continue
			}
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				err := do(tt.path)
				if !errors.Is(err, tt.kind) {
					t.Fatalf("%s(%q) = %v, want %v", op, tt.path, err, tt.kind)
				}
				if !strings.Contains(err.Error(), tt.path) {
					t.Errorf("error %q does not name the path", err)
				}
			})
		}
	}
	// Nothing changed outside, nor under .git and the state directory.
	want := map[string]string{
		filepath.Join(outside, "secret.txt"):                     "TOKEN=s3cr3t",
		filepath.Join(root, ".git", "config"):                    "[core]",
		filepath.Join(root, "stack", StateDirName, "state.json"): "{}",
		filepath.Join(root, "sub", "in.txt"):                     "inner",
	}
	for p, c := range want {
		if b, err := os.ReadFile(p); err != nil || string(b) != c {
			t.Errorf("%s = %q, %v; want %q unchanged", p, b, err, c)
		}
	}
	for _, p := range []string{filepath.Join(outside, "new.txt"), filepath.Join(outside, "x"), filepath.Join(outside, "new")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was created outside the root", p)
		}
	}
}

func TestWritesInsideWhenAllowed(t *testing.T) {
	root, _ := layout(t)
	fsys, err := Open(root, Policy{AllowWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	steps := []struct {
		name string
		do   func() error
	}{
		{"mkdir", func() error { return fsys.MkdirAll("out/b/c") }},
		{"write", func() error { return fsys.WriteFile("out/a.txt", []byte("a"), 0o644) }},
		{"append", func() error { return fsys.Append(filepath.Join(root, "out", "a.txt"), []byte("b")) }},
		{"cp", func() error { return fsys.Copy("out/a.txt", "out/b/copy.txt") }},
		{"cp dir", func() error { return fsys.Copy("out/b", "out/d") }},
		{"mv", func() error { return fsys.Rename("out/b/copy.txt", "out/moved.txt") }},
		{"delete", func() error { return fsys.Remove("out/moved.txt") }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "out", "a.txt")); string(b) != "ab" {
		t.Errorf("out/a.txt = %q, want ab", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "out", "d", "copy.txt")); string(b) != "ab" {
		t.Errorf("out/d/copy.txt = %q, want ab", b)
	}
	if _, err := os.Stat(filepath.Join(root, "out", "moved.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("out/moved.txt still exists: %v", err)
	}
}

func TestWritesDenied(t *testing.T) {
	root, _ := layout(t)
	const reason = "the language server evaluates without side effects"
	fsys, err := Open(root, Policy{DenyReason: reason})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for name, do := range map[string]func() error{
		"write":  func() error { return fsys.WriteFile("new.txt", nil, 0o644) },
		"append": func() error { return fsys.Append("ok.txt", []byte("x")) },
		"mkdir":  func() error { return fsys.MkdirAll("d") },
		"delete": func() error { return fsys.Remove("ok.txt") },
		"cp":     func() error { return fsys.Copy("ok.txt", "c.txt") },
		"mv":     func() error { return fsys.Rename("ok.txt", "m.txt") },
	} {
		err := do()
		if !errors.Is(err, ErrWriteDenied) || !strings.Contains(err.Error(), reason) {
			t.Errorf("%s: %v, want a denial giving the reason", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "ok.txt")); string(b) != "fine" {
		t.Errorf("ok.txt changed: %q", b)
	}
	for _, p := range []string{"new.txt", "d", "c.txt", "m.txt"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

func TestMaxFileSize(t *testing.T) {
	root, _ := layout(t)
	if err := os.WriteFile(filepath.Join(root, "big.k"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(root, Policy{MaxFileSize: 99})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := fsys.ReadFile("big.k"); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("ReadFile(big.k) = %v, want file too large", err)
	}
	if _, err := fsys.ReadFile("ok.txt"); err != nil {
		t.Errorf("ReadFile(ok.txt) = %v", err)
	}
}

func TestGetenv(t *testing.T) {
	t.Setenv("SANDBOX_TEST_ALLOWED", "yes")
	t.Setenv("SANDBOX_TEST_SECRET", "s3cr3t")
	root := t.TempDir()
	tests := []struct {
		p    Policy
		name string
		want string
		ok   bool
	}{
		{Policy{}, "SANDBOX_TEST_ALLOWED", "", false},
		{Policy{AllowEnv: []string{"SANDBOX_TEST_ALLOWED"}}, "SANDBOX_TEST_ALLOWED", "yes", true},
		{Policy{AllowEnv: []string{"SANDBOX_TEST_ALLOWED"}}, "SANDBOX_TEST_SECRET", "", false},
		{Policy{AllEnv: true}, "SANDBOX_TEST_SECRET", "s3cr3t", true},
	}
	for _, tt := range tests {
		fsys, err := Open(root, tt.p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := fsys.Getenv(tt.name)
		fsys.Close()
		if got != tt.want || ok != tt.ok {
			t.Errorf("%+v Getenv(%s) = %q, %v; want %q, %v", tt.p, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGlobAndReadDir(t *testing.T) {
	root, _ := layout(t)
	fsys, err := Open(root, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	got, err := fsys.Glob("sub/*.txt")
	if err != nil || len(got) != 1 || got[0] != filepath.Join(root, "sub", "in.txt") {
		t.Errorf("Glob(sub/*.txt) = %v, %v", got, err)
	}
	if _, err := fsys.Glob("../outside/*"); !errors.Is(err, ErrOutside) {
		t.Errorf("Glob(../outside/*) = %v, want ErrOutside", err)
	}
	if _, err := fsys.ReadDir("link-dir"); !errors.Is(err, ErrOutside) {
		t.Errorf("ReadDir(link-dir) = %v, want ErrOutside", err)
	}
	if _, err := fsys.RealPath("link-file"); !errors.Is(err, ErrOutside) {
		t.Errorf("RealPath(link-file) = %v, want ErrOutside", err)
	}
	if p, err := fsys.RealPath("link-rel-in"); err != nil || p != filepath.Join(root, "sub", "in.txt") {
		t.Errorf("RealPath(link-rel-in) = %q, %v", p, err)
	}
}

// TestOddFiles: a link loop, a FIFO and a directory are errors, not hangs.
func TestOddFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.Symlink("loop-b", filepath.Join(root, "loop-a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop-a", filepath.Join(root, "loop-b")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(root, Policy{AllowWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := fsys.ReadFile("loop-a"); err == nil {
		t.Error("ReadFile(loop-a) succeeded")
	}
	if err := fsys.WriteFile("loop-a", []byte("x"), 0o644); err == nil {
		t.Error("WriteFile(loop-a) succeeded")
	}
	if _, err := fsys.ReadFile("fifo"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile(fifo) = %v, want ErrNotRegular", err)
	}
	if _, err := fsys.ReadFile("dir"); err == nil {
		t.Error("ReadFile(dir) succeeded")
	}
	if err := fsys.Remove("."); !errors.Is(err, ErrProtected) {
		t.Errorf("Remove(.) = %v, want ErrProtected", err)
	}
}

// TestMissingRoot: a root that does not exist holds no files.
func TestMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "absent")
	fsys, err := Open(root, Policy{AllowWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := fsys.ReadFile("main.k"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile = %v, want not exist", err)
	}
	if _, err := fsys.ReadFile("/etc/hostname"); !errors.Is(err, ErrOutside) {
		t.Errorf("ReadFile(/etc/hostname) = %v, want ErrOutside", err)
	}
	if err := fsys.WriteFile("x", nil, 0o644); err == nil {
		t.Error("WriteFile succeeded under a missing root")
	}
}

// TestCheckOpened: the check after the open finds where a file really is,
// so a path swapped for a link after the first check is still refused.
func TestCheckOpened(t *testing.T) {
	root, outside := layout(t)
	fsys, err := Open(root, Policy{AllowWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := os.Readlink("/proc/self/fd/0"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	tests := []struct {
		path string
		want error
	}{
		{filepath.Join(root, ".git", "config"), ErrProtected},
		{filepath.Join(root, "stack", StateDirName, "state.json"), ErrProtected},
		{filepath.Join(outside, "secret.txt"), ErrOutside},
		{filepath.Join(root, "ok.txt"), nil},
	}
	for _, tt := range tests {
		file, err := os.Open(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		err = fsys.checkOpened("write", "x", file)
		file.Close()
		if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("checkOpened(%s) = %v, want %v", tt.path, err, tt.want)
		}
	}
}

// TestProtectedEntries: names match anywhere, paths only where they are.
func TestProtectedEntries(t *testing.T) {
	root := t.TempDir()
	fsys, err := Open(root, Policy{AllowWrites: true, Protected: []string{"secrets", "deploy/state", filepath.Join(root, "custom-state")}})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	tests := []struct {
		path      string
		protected bool
	}{
		{"a/secrets/x", true},
		{"secrets", true},
		{"deploy/state/s.json", true},
		{"other/deploy/state/s.json", false},
		{"custom-state/state.json", true},
		{"x/custom-state/state.json", false},
		{"a/.GIT/config", true},
		{"a/.konfig/lock", true},
		{"ok/file.txt", false},
	}
	for _, tt := range tests {
		err := fsys.MkdirAll(tt.path)
		if got := errors.Is(err, ErrProtected); got != tt.protected {
			t.Errorf("MkdirAll(%s) = %v, protected %v, want %v", tt.path, err, got, tt.protected)
		}
	}
}

// TestSwappedComponent: a directory on the path of a mutation is swapped
// for a symbolic link (to .git, to the state directory, outside the root)
// after the sandbox checked the path and before it acts, as a racing
// process would. The mutation must fail and leave the link's target
// untouched.
func TestSwappedComponent(t *testing.T) {
	if _, err := os.Readlink("/proc/self/fd/0"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	type mutation struct {
		name string
		do   func(fsys *FS) error
	}
	mutations := []mutation{
		{"write", func(fsys *FS) error { return fsys.WriteFile("a/config", []byte("evil"), 0o644) }},
		{"append", func(fsys *FS) error { return fsys.Append("a/config", []byte("evil")) }},
		{"mkdir", func(fsys *FS) error { return fsys.MkdirAll("a/hooks/x") }},
		{"mkdir-last", func(fsys *FS) error { return fsys.MkdirAll("a/hooks") }},
		{"rm", func(fsys *FS) error { return fsys.Remove("a/config") }},
		{"mv-src", func(fsys *FS) error { return fsys.Rename("a/config", "moved") }},
		{"mv-dest", func(fsys *FS) error { return fsys.Rename("payload", "a/config") }},
		{"cp", func(fsys *FS) error { return fsys.Copy("payload", "a/config") }},
		{"cp-dir", func(fsys *FS) error { return fsys.Copy("payload-dir", "a/hooks") }},
	}
	for _, target := range []string{".git", filepath.Join("stack", StateDirName), "outside"} {
		for _, m := range mutations {
			t.Run(strings.ReplaceAll(target, "/", "_")+"/"+m.name, func(t *testing.T) {
				root, outside := layout(t)
				victim := filepath.Join(root, target)
				if target == "outside" {
					victim = outside
				}
				mustWrite := func(p, c string) {
					t.Helper()
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				mustWrite(filepath.Join(victim, "config"), "[core]")
				mustWrite(filepath.Join(root, "a", "config"), "harmless")
				mustWrite(filepath.Join(root, "payload"), "evil")
				mustWrite(filepath.Join(root, "payload-dir", "pre-commit"), "evil")
				before := snapshot(t, victim)
				fsys, err := Open(root, Policy{AllowWrites: true})
				if err != nil {
					t.Fatal(err)
				}
				defer fsys.Close()
				swapped := false
				afterCheck = func(op, rel string) {
					if swapped {
						return
					}
					swapped = true
					a := filepath.Join(root, "a")
					if err := os.RemoveAll(a); err != nil {
						t.Fatal(err)
					}
					// A relative link: os.Root follows those (an absolute
					// one it refuses outright).
					target, err := filepath.Rel(root, victim)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(target, a); err != nil {
						t.Fatal(err)
					}
				}
				defer func() { afterCheck = nil }()
				err = m.do(fsys)
				if !swapped {
					t.Fatalf("the mutation did not reach the swap point (err %v)", err)
				}
				if err == nil {
					t.Fatalf("%s through a link swapped in for a/ to %s: no error", m.name, target)
				}
				if after := snapshot(t, victim); after != before {
					t.Fatalf("%s changed %s:\nbefore %s\nafter  %s", m.name, target, before, after)
				}
			})
		}
	}
}

// snapshot lists the files under dir with their contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + "\n")
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.WriteString(string(data) + "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
