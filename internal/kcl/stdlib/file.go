package stdlib

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
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

// fsOf returns the sandbox of env, or an error when the program has none.
func fsOf(env Env) (*sandbox.FS, error) {
	if env == nil || env.FS() == nil {
		return nil, errors.New("file access is not available")
	}
	return env.FS(), nil
}

// resolvePath makes p absolute against the working directory; the sandbox
// decides whether it may be touched.
func resolvePath(env Env, p string) (string, error) {
	if _, err := fsOf(env); err != nil {
		return "", err
	}
	full := p
	if !filepath.IsAbs(full) {
		base := env.WorkDir()
		if base == "" {
			base = env.FS().Root()
		}
		full = filepath.Join(base, full)
	}
	return filepath.Clean(full), nil
}

// fileErr renders a file operation's error: a sandbox refusal as it is
// (it names the path and why), an OS error in the official layout.
func fileErr(err error, format string, args ...any) error {
	var se *sandbox.Error
	if errors.As(err, &se) {
		return se
	}
	return fmt.Errorf(format, append(args, osErrText(err))...)
}

func writeFile(env Env, p string, data []byte, appendMode bool) error {
	full, err := resolvePath(env, p)
	if err != nil {
		return err
	}
	if appendMode {
		err = env.FS().Append(full, data)
	} else {
		err = env.FS().WriteFile(full, data, 0o644)
	}
	if err != nil {
		return fileErr(err, "failed to write to '%s': %s", p)
	}
	return nil
}

func fileModule(env Env) map[string]value.Value {
	def := defs("file")
	onePath := func(name string, f func(p, full string) (value.Value, error)) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var p string
			if err := c.unpack(&p); err != nil {
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
		return def(name, func(c call) (value.Value, error) {
			if err := c.unpack(); err != nil {
				return nil, err
			}
			if env == nil {
				return value.Str(""), nil
			}
			return value.Str(get()), nil
		})
	}
	pathContent := func(name string, appendMode bool) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var p, content string
			if err := c.unpack(&p, &content); err != nil {
				return nil, err
			}
			if err := writeFile(env, p, []byte(content), appendMode); err != nil {
				return nil, err
			}
			return value.None, nil
		})
	}
	srcDest := func(name, verb string, op func(src, dest string) error) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var src, dest string
			if err := c.unpack(&src, &dest); err != nil {
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
				return nil, fileErr(err, verb, src, dest)
			}
			return value.None, nil
		})
	}
	return members(
		onePath("read", func(p, full string) (value.Value, error) {
			data, err := env.FS().ReadFile(full)
			if err != nil {
				return nil, fileErr(err, "failed to access the file '%s': %s", p)
			}
			return value.Str(data), nil
		}),
		onePath("exists", func(_, full string) (value.Value, error) {
			_, err := env.FS().Stat(full)
			var se *sandbox.Error
			if errors.As(err, &se) {
				return nil, se
			}
			return value.Bool(err == nil), nil
		}),
		onePath("abs", func(p, full string) (value.Value, error) {
			real, err := env.FS().RealPath(full)
			if err != nil {
				return nil, fileErr(err, "failed to get the absolute path of '%s': %s", p)
			}
			return value.Str(real), nil
		}),
		onePath("size", func(p, full string) (value.Value, error) {
			st, err := env.FS().Stat(full)
			if err != nil {
				return nil, fileErr(err, "failed to get size of '%s': %s", p)
			}
			return value.Int(st.Size()), nil
		}),
		onePath("delete", func(p, full string) (value.Value, error) {
			if err := env.FS().Remove(full); err != nil {
				return nil, fileErr(err, "failed to delete '%s': %s", p)
			}
			return value.None, nil
		}),
		def("glob", func(c call) (value.Value, error) {
			var pat string
			if err := c.unpack(&pat); err != nil {
				return nil, err
			}
			full, err := resolvePath(env, pat)
			if err != nil {
				return nil, err
			}
			base := ""
			if !filepath.IsAbs(pat) {
				base = env.WorkDir()
			}
			matches, err := env.FS().Glob(full)
			if err != nil {
				return nil, fileErr(err, "failed to glob '%s': %s", pat)
			}
			out := &value.List{}
			for _, m := range matches {
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
		def("mkdir", func(c call) (value.Value, error) {
			var p string
			if err := c.unpack(&p, nil); err != nil {
				return nil, err
			}
			full, err := resolvePath(env, p)
			if err != nil {
				return nil, err
			}
			// Creating a directory that already exists is not an error
			// ("create … if it doesn't already exist").
			if err := env.FS().MkdirAll(full); err != nil {
				return nil, fileErr(err, "failed to create directory '%s': %s", p)
			}
			return value.None, nil
		}),
		srcDest("cp", "Failed to copy from '%s' to '%s': %s", func(src, dest string) error { return env.FS().Copy(src, dest) }),
		srcDest("mv", "Failed to move '%s' to '%s': %s", func(src, dest string) error { return env.FS().Rename(src, dest) }),
		def("read_env", func(c call) (value.Value, error) {
			var k string
			if err := c.unpack(&k); err != nil {
				return nil, err
			}
			if env == nil || env.FS() == nil {
				return value.None, nil
			}
			// Only the variables the sandbox policy lists (all of them
			// for `run`): nothing else of the environment reaches code.
			v, ok := env.FS().Getenv(k)
			if !ok {
				return value.None, nil
			}
			return value.Str(v), nil
		}),
	)
}
