package stdlib

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// osErrText renders an OS error the way Rust's io::Error displays it:
// "No such file or directory (os error 2)".
func osErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return fmt.Sprintf("%s (os error %d)", msg, int(errno))
	}
	return err.Error()
}

// resolvePath makes p absolute against the working directory and checks
// that it stays inside the module root.
func resolvePath(env Env, p string) (string, error) {
	if env == nil {
		return "", errors.New("file access is not available")
	}
	full := p
	if !filepath.IsAbs(full) {
		base := env.WorkDir()
		if base == "" {
			wd, err := os.Getwd()
			if err != nil {
				return "", fmt.Errorf("resolve '%s': %w", p, err)
			}
			base = wd
		}
		full = filepath.Join(base, full)
	}
	full = filepath.Clean(full)
	root := env.ModRoot()
	if root == "" {
		return full, nil
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("resolve module root: %w", err)
	}
	if !within(rootAbs, full) {
		return "", fmt.Errorf("failed to access the file '%s': the path is outside the module root %s", p, rootAbs)
	}
	// Resolve symbolic links of existing paths so that a link cannot lead
	// outside the root.
	if real, err := filepath.EvalSymlinks(full); err == nil {
		realRoot, rerr := filepath.EvalSymlinks(rootAbs)
		if rerr != nil {
			realRoot = rootAbs
		}
		if !within(realRoot, real) {
			return "", fmt.Errorf("failed to access the file '%s': the path is outside the module root %s", p, rootAbs)
		}
	}
	return full, nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func writeFile(env Env, p string, data []byte, appendMode bool) error {
	full, err := resolvePath(env, p)
	if err != nil {
		return err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendMode {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(full, flags, 0o644)
	if err != nil {
		return fmt.Errorf("failed to write to '%s': %s", p, osErrText(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("failed to write to '%s': %s", p, osErrText(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to write to '%s': %s", p, osErrText(err))
	}
	return nil
}

func fileModule(env Env) map[string]value.Value {
	onePath := func(name, param string, f func(p, full string) (value.Value, error)) *value.Func {
		return fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, param)
			if err != nil {
				return nil, err
			}
			p, err := a.str(0, param)
			if err != nil {
				return nil, err
			}
			full, err := resolvePath(env, p)
			if err != nil {
				return nil, err
			}
			return f(p, full)
		})
	}
	envStr := func(name string, get func() string) *value.Func {
		return fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			if _, err := bind(name, args, kwargs); err != nil {
				return nil, err
			}
			if env == nil {
				return value.Str(""), nil
			}
			return value.Str(get()), nil
		})
	}
	pathContent := func(name string, appendMode bool) *value.Func {
		return fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, "filepath", "content")
			if err != nil {
				return nil, err
			}
			p, err := a.str(0, "filepath")
			if err != nil {
				return nil, err
			}
			c, err := a.str(1, "content")
			if err != nil {
				return nil, err
			}
			if err := writeFile(env, p, []byte(c), appendMode); err != nil {
				return nil, err
			}
			return value.None, nil
		})
	}
	srcDest := func(name, verb string, op func(src, dest string) error) *value.Func {
		return fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, "src", "dest")
			if err != nil {
				return nil, err
			}
			src, err := a.str(0, "src")
			if err != nil {
				return nil, err
			}
			dest, err := a.str(1, "dest")
			if err != nil {
				return nil, err
			}
			fs, err := resolvePath(env, src)
			if err != nil {
				return nil, err
			}
			fd, err := resolvePath(env, dest)
			if err != nil {
				return nil, err
			}
			if err := op(fs, fd); err != nil {
				return nil, fmt.Errorf(verb, src, dest, osErrText(err))
			}
			return value.None, nil
		})
	}
	return members(
		onePath("read", "filepath", func(p, full string) (value.Value, error) {
			data, err := os.ReadFile(full)
			if err != nil {
				return nil, fmt.Errorf("failed to access the file '%s': %s", p, osErrText(err))
			}
			return value.Str(data), nil
		}),
		onePath("exists", "filepath", func(_, full string) (value.Value, error) {
			_, err := os.Stat(full)
			return value.Bool(err == nil), nil
		}),
		onePath("abs", "filepath", func(p, full string) (value.Value, error) {
			real, err := filepath.EvalSymlinks(full)
			if err != nil {
				return nil, fmt.Errorf("failed to get the absolute path of '%s': %s", p, osErrText(err))
			}
			return value.Str(real), nil
		}),
		onePath("size", "filepath", func(p, full string) (value.Value, error) {
			st, err := os.Stat(full)
			if err != nil {
				return nil, fmt.Errorf("failed to get size of '%s': %s", p, osErrText(err))
			}
			return value.Int(st.Size()), nil
		}),
		onePath("delete", "filepath", func(p, full string) (value.Value, error) {
			if err := os.Remove(full); err != nil {
				return nil, fmt.Errorf("failed to delete '%s': %s", p, osErrText(err))
			}
			return value.None, nil
		}),
		fn("glob", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("glob", args, kwargs, "pattern")
			if err != nil {
				return nil, err
			}
			pat, err := a.str(0, "pattern")
			if err != nil {
				return nil, err
			}
			base := ""
			if env != nil && !filepath.IsAbs(pat) {
				base = env.WorkDir()
			}
			matches, err := filepath.Glob(filepath.Join(base, pat))
			if err != nil {
				return nil, fmt.Errorf("failed to glob '%s': %w", pat, err)
			}
			out := &value.List{}
			for _, m := range matches {
				if _, err := resolvePath(env, m); err != nil {
					continue
				}
				if base != "" {
					if rel, err := filepath.Rel(base, m); err == nil {
						m = rel
					}
				}
				out.Items = append(out.Items, value.Str(m))
			}
			return out, nil
		}),
		envStr("modpath", func() string { return env.ModRoot() }),
		envStr("workdir", func() string { return env.WorkDir() }),
		envStr("current", func() string { return env.CurrentFile() }),
		pathContent("write", false),
		pathContent("append", true),
		fn("mkdir", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("mkdir", args, kwargs, "directory", "exists")
			if err != nil {
				return nil, err
			}
			p, err := a.str(0, "directory")
			if err != nil {
				return nil, err
			}
			full, err := resolvePath(env, p)
			if err != nil {
				return nil, err
			}
			// Creating a directory that already exists is not an error
			// ("create … if it doesn't already exist").
			if err := os.MkdirAll(full, 0o755); err != nil {
				return nil, fmt.Errorf("failed to create directory '%s': %s", p, osErrText(err))
			}
			return value.None, nil
		}),
		srcDest("cp", "Failed to copy from '%s' to '%s': %s", copyPath),
		srcDest("mv", "Failed to move '%s' to '%s': %s", os.Rename),
		fn("read_env", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("read_env", args, kwargs, "key")
			if err != nil {
				return nil, err
			}
			k, err := a.str(0, "key")
			if err != nil {
				return nil, err
			}
			v, ok := os.LookupEnv(k)
			if !ok {
				return value.None, nil
			}
			return value.Str(v), nil
		}),
	)
}

// copyPath copies a file or a directory tree.
func copyPath(src, dest string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return copyFile(src, dest, st.Mode())
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dest, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, info.Mode())
	})
}

func copyFile(src, dest string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
