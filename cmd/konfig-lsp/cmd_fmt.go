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
}

func newFmtCmd() *cobra.Command {
	var opts fmtOptions
	cmd := &cobra.Command{
		Use:   "fmt [-w] [-l] [paths...]",
		Short: "Format KCL files in the official KCL style",
		Long: `Format KCL files in the official KCL style (4-space indent, normalized spacing
and blank lines, comments preserved).

Each path is a .k file or a directory, searched recursively for .k files. With no
path, fmt reads standard input and writes standard output. Without -w the formatted
source is printed; with -w files whose formatting changes are rewritten in place.
A file that does not parse is reported as file:line:col: message and left untouched;
the exit status is then 1.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFmt(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, args)
		},
	}
	cmd.Flags().BoolVarP(&opts.write, "write", "w", false, "write the result to the source file instead of standard output")
	cmd.Flags().BoolVarP(&opts.list, "list", "l", false, "list files whose formatting differs from the official style")
	return cmd
}

// runFmt formats the files named by paths (or stdin when there are none). It
// reports every failure on stderr and returns exitError{1} when any occurred.
// It stops between files when ctx is cancelled.
func runFmt(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, opts fmtOptions, paths []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	failed := false
	report := func(err error) {
		failed = true
		fmt.Fprintln(stderr, err)
	}
	if len(paths) == 0 {
		if opts.write {
			fmt.Fprintln(stderr, "fmt: cannot use -w with standard input")
			return exitError{code: 2}
		}
		src, err := io.ReadAll(stdin)
		if err != nil {
			report(fmt.Errorf("fmt: reading standard input: %w", err))
			return exitError{code: 1}
		}
		out, err := format.Source("<stdin>", src)
		if err != nil {
			report(err)
			return exitError{code: 1}
		}
		if opts.list {
			if !bytes.Equal(src, out) {
				fmt.Fprintln(stdout, "<stdin>")
			}
			return nil
		}
		_, err = stdout.Write(out)
		return err
	}

	files, errs := collectKCLFiles(paths)
	for _, err := range errs {
		report(err)
	}
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			report(fmt.Errorf("fmt: %w", err))
			break
		}
		if err := fmtFile(stdout, opts, file); err != nil {
			report(err)
		}
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

// fmtFile formats one file, printing, listing or rewriting it as opts say.
func fmtFile(stdout io.Writer, opts fmtOptions, file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("fmt: %w", err)
	}
	out, err := format.Source(file, src)
	if err != nil {
		return err
	}
	changed := !bytes.Equal(src, out)
	if opts.list && changed {
		fmt.Fprintln(stdout, file)
	}
	if opts.write {
		if !changed {
			return nil
		}
		return writeFilePreservingMode(file, out)
	}
	if !opts.list {
		if _, err := stdout.Write(out); err != nil {
			return fmt.Errorf("fmt: writing %s: %w", file, err)
		}
	}
	return nil
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

// collectKCLFiles expands paths: files are taken as they are, directories are
// walked for *.k files (hidden directories skipped), in lexical order.
func collectKCLFiles(paths []string) ([]string, []error) {
	var files []string
	var errs []error
	for _, p := range paths {
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
