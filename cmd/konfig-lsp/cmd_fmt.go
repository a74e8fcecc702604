package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/format"
)

func init() { subcommands = append(subcommands, newFmtCmd) }

// fmtOptions are the flags of `konfig-lsp fmt`.
type fmtOptions struct {
	write bool // rewrite files in place
	list  bool // list the files whose formatting differs
	check bool // list the files whose formatting differs; exit 1 when there are any
}

func newFmtCmd() *cobra.Command {
	var opts fmtOptions
	var recursive bool
	cmd := &cobra.Command{
		Use:   "fmt [-w] [-l] [-d] [paths...]",
		Short: "Format KCL files in the official KCL style",
		Long: `Format KCL files as the official formatter (kcl fmt) does: 4-space indent,
normalized spacing and blank lines, every comment kept.

Each path is a .k file, a directory (searched recursively for .k files, hidden
directories skipped; dir/... means the same, as in kcl fmt ./...), or - for
standard input. With no path, fmt reads standard input. Without -w the
formatted source is printed; with -w files whose formatting changes are
rewritten in place (not with standard input).

-l lists the files whose formatting differs; -d (--check) lists them too and
exits with status 1 when there is any, for CI (with -w the files are also
rewritten). A file that does not parse is reported as file:line:col: message
and left untouched; the exit status is then 1 (2 for -w with standard input).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFmt(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, args)
		},
	}
	cmd.Flags().BoolVarP(&opts.write, "write", "w", false, "write the result to the source file instead of standard output")
	cmd.Flags().BoolVarP(&opts.list, "list", "l", false, "list files whose formatting differs from the official style")
	cmd.Flags().BoolVarP(&opts.check, "check", "d", false, "list files whose formatting differs and exit with status 1 if any does (CI)")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "accepted for kcl fmt compatibility: directories are always searched recursively")
	return cmd
}

// stdinName names standard input in messages and listings.
const stdinName = "<stdin>"

// runFmt formats the files named by paths (or stdin when there are none, or
// for the path "-"). It reports every failure on stderr and returns
// exitError{1} when any occurred, or when opts.check is set and a file's
// formatting differs. It stops between files when ctx is cancelled.
func runFmt(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, opts fmtOptions, paths []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	if opts.write && slices.Contains(paths, "-") {
		fmt.Fprintln(stderr, "fmt: cannot use -w with standard input")
		return exitError{code: 2}
	}
	failed, differs := false, false
	report := func(err error) {
		failed = true
		fmt.Fprintln(stderr, err)
	}
	stdinSeen := false
	files, errs := collectKCLFiles(paths)
	for _, err := range errs {
		report(err)
	}
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			report(fmt.Errorf("fmt: %w", err))
			break
		}
		if file == "-" {
			if stdinSeen {
				report(errors.New("fmt: standard input given twice"))
				continue
			}
			stdinSeen = true
		}
		changed, err := fmtFile(stdin, stdout, opts, file)
		if err != nil {
			report(err)
		}
		differs = differs || changed
	}
	if failed || opts.check && differs {
		return exitError{code: 1}
	}
	return nil
}

// fmtFile formats one file ("-" for standard input), printing, listing or
// rewriting it as opts say. It reports whether the formatting differs from
// the source.
func fmtFile(stdin io.Reader, stdout io.Writer, opts fmtOptions, file string) (bool, error) {
	name := file
	var src []byte
	var err error
	if file == "-" {
		name = stdinName
		src, err = io.ReadAll(stdin)
		if err != nil {
			return false, fmt.Errorf("fmt: reading standard input: %w", err)
		}
	} else if src, err = os.ReadFile(file); err != nil {
		return false, fmt.Errorf("fmt: %w", err)
	}
	out, err := format.Source(name, src)
	if err != nil {
		return false, err
	}
	changed := !bytes.Equal(src, out)
	if (opts.list || opts.check) && changed {
		fmt.Fprintln(stdout, name)
	}
	switch {
	case opts.write && file != "-":
		if changed {
			return true, writeFilePreservingMode(file, out)
		}
	case !opts.list && !opts.check:
		if _, err := stdout.Write(out); err != nil {
			return changed, fmt.Errorf("fmt: writing %s: %w", name, err)
		}
	}
	return changed, nil
}

// writeFilePreservingMode replaces file's content with data through a
// temporary file in the same directory, keeping the file mode.
func writeFilePreservingMode(file string, data []byte) error {
	info, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("fmt: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".fmt*")
	if err != nil {
		return fmt.Errorf("fmt: rewriting %s: %w", file, err)
	}
	tmpName := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmpName, info.Mode().Perm())); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("fmt: rewriting %s: %w", file, err)
	}
	if err := os.Rename(tmpName, file); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("fmt: rewriting %s: %w", file, err)
	}
	return nil
}

// collectKCLFiles expands paths: files (and "-") are taken as they are,
// directories are walked for *.k files (hidden directories skipped), in
// lexical order.
func collectKCLFiles(paths []string) ([]string, []error) {
	var files []string
	var errs []error
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		// dir/... is kcl fmt's spelling of a recursive walk, which a
		// directory always gets here.
		if trimmed, ok := strings.CutSuffix(filepath.ToSlash(p), "/..."); ok {
			p = filepath.FromSlash(trimmed)
			if p == "" {
				p = "."
			}
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("fmt: %w", err))
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), ".k") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("fmt: walking %s: %w", p, err))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, errs
}
