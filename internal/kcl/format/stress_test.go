package format

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// injectedPassFloor is the number of corpus files with injected comments
// that must pass the acceptance checks.
const injectedPassFloor = 3658

// injectComments returns src with a comment added at the end of every line
// (trailing) or before every line (own-line, at the line's indentation),
// except after a line continuation, where a comment is not allowed.
func injectComments(src string, ownLine bool) string {
	lines := strings.Split(src, "\n")
	var b strings.Builder
	for i, l := range lines {
		prevContinues := i > 0 && strings.HasSuffix(strings.TrimRight(lines[i-1], " \t\r"), "\\")
		continues := strings.HasSuffix(strings.TrimRight(l, " \t\r"), "\\")
		if ownLine && !prevContinues && strings.TrimSpace(l) != "" {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			fmt.Fprintf(&b, "%s# own %d\n", indent, i)
		}
		b.WriteString(l)
		if !ownLine && !continues && strings.TrimSpace(l) != "" {
			fmt.Fprintf(&b, "  # trail %d", i)
		}
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestInjectedComments adds comments everywhere a comment may go in the
// corpus files and checks that formatting keeps every one of them, keeps
// the AST and is idempotent. Inputs that no longer parse (a comment inside
// an unfinished construct the parser does not accept) are skipped.
func TestInjectedComments(t *testing.T) {
	corpus := corpusDir(t)
	var files []string
	for _, sub := range []string{"konfig", "kcl-grammar"} {
		filepath.WalkDir(filepath.Join(corpus, sub), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".k") {
				files = append(files, path)
			}
			return err
		})
	}
	passed, failed, skipped := 0, 0, 0
	var failures []string
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(corpus, file)
		for _, own := range []bool{false, true} {
			in := injectComments(string(src), own)
			skip, problem := checkFormat(rel, []byte(in))
			switch {
			case skip:
				skipped++
			case problem != "":
				failed++
				failures = append(failures, fmt.Sprintf("%s (own-line=%v): %s", rel, own, problem))
			default:
				passed++
			}
		}
	}
	for i, f := range failures {
		if i == 5 {
			t.Logf("... and %d more failures", len(failures)-5)
			break
		}
		t.Log(f)
	}
	t.Logf("injected comments: %d passed, %d failed (%d skipped: they do not parse)", passed, failed, skipped)
	if passed < injectedPassFloor {
		t.Errorf("%d passed, below the floor of %d", passed, injectedPassFloor)
	}
}

// FuzzSource checks the acceptance properties on arbitrary input: whatever
// parses must format to output that parses to the same AST, with the same
// comments in their places, and formats to itself. Seeded with the golden
// inputs and some corpus files.
func FuzzSource(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if _, in, ok := strings.Cut(string(data), "-- input.k --\n"); ok {
			in, _, _ = strings.Cut(in, "\n-- ")
			f.Add(in)
		}
	}
	// A few corpus files too, when the corpus is there.
	if dir, err := os.Getwd(); err == nil {
		for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
		}
		seeds, _ := filepath.Glob(filepath.Join(dir, "..", "shared", "corpus", "kcl-grammar", "*", "*", "main.k"))
		for i, file := range seeds {
			if i%4 != 0 {
				continue
			}
			if data, err := os.ReadFile(file); err == nil && len(data) < 2000 {
				f.Add(string(data))
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		if skip, problem := checkFormat("fuzz.k", []byte(src)); !skip && problem != "" {
			t.Errorf("input %q: %s", src, problem)
		}
	})
}

// respace returns src with extra white space between tokens: every space
// outside strings, comments and indentation doubled, and a space added
// after commas and opening brackets and before closing brackets.
func respace(src []byte) []byte {
	var out []byte
	lineStart := true
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			end := skipString(src, i)
			out = append(out, src[i:end]...)
			i = end
			lineStart = false
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				out = append(out, src[i])
				i++
			}
			continue
		case c == '\n':
			lineStart = true
		case c == ' ' || c == '\t':
			if !lineStart && i+1 < len(src) && src[i+1] != '\n' && src[i+1] != '\r' {
				out = append(out, ' ')
			}
		case c == '\\':
			// keep line continuations exactly
		default:
			lineStart = false
		}
		out = append(out, c)
		next := byte('\n')
		if i+1 < len(src) {
			next = src[i+1]
		}
		if !lineStart && next != '\n' && next != '\r' && next != '\\' && next != '#' {
			switch c {
			case ',', '(', '[', '{':
				out = append(out, ' ')
			}
		}
		if !lineStart && i+1 < len(src) {
			switch next {
			case ')', ']', '}':
				if c != '\n' && c != ' ' {
					out = append(out, ' ')
				}
			}
		}
		i++
	}
	return out
}

// TestRespaced checks that spacing is normalized: formatting a corpus file
// with extra white space between its tokens gives the same result as
// formatting the file itself.
func TestRespaced(t *testing.T) {
	corpus := corpusDir(t)
	passed, failed, skipped := 0, 0, 0
	for _, file := range corpusFiles(t, corpus) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Source(file, src)
		if err != nil {
			continue // does not parse: not judged
		}
		got, err := Source(file, respace(src))
		if err != nil {
			skipped++ // the extra spaces broke a construct the parser is strict about
			continue
		}
		if d := cmp.Diff(string(want), string(got)); d != "" {
			failed++
			if failed <= 5 {
				rel, _ := filepath.Rel(corpus, file)
				t.Logf("%s: fmt(respaced) != fmt(source) (-want +got):\n%s", rel, d)
			}
			continue
		}
		passed++
	}
	t.Logf("respaced: %d passed, %d failed (%d skipped: respaced input does not parse)", passed, failed, skipped)
	if passed < respacedPassFloor {
		t.Errorf("%d passed, below the floor of %d", passed, respacedPassFloor)
	}
}

// respacedPassFloor is the number of corpus files whose respaced form must
// format like the file itself.
const respacedPassFloor = 2028

// moreBlankLines returns src with every blank line outside strings
// tripled.
func moreBlankLines(src []byte) []byte {
	var out []byte
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			end := skipString(src, i)
			out = append(out, src[i:end]...)
			i = end
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				out = append(out, src[i])
				i++
			}
			continue
		case c == '\n' && i+1 < len(src) && src[i+1] == '\n' && (i == 0 || src[i-1] != '\\'):
			out = append(out, '\n', '\n')
		}
		out = append(out, c)
		i++
	}
	return out
}

// TestMoreBlankLines checks that runs of blank lines collapse to one: a
// corpus file with its blank lines tripled, and tripled again, formats
// alike. (A single blank line is not always kept: as in the official
// formatter, one before a statement whose first line carries a comment is
// dropped, the comment taking its place; two or more always leave one.)
func TestMoreBlankLines(t *testing.T) {
	corpus := corpusDir(t)
	passed, failed := 0, 0
	for _, file := range corpusFiles(t, corpus) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Source(file, src); err != nil {
			continue
		}
		want, err := Source(file, moreBlankLines(src))
		if err != nil {
			failed++
			t.Logf("%s: %v", file, err)
			continue
		}
		got, err := Source(file, moreBlankLines(moreBlankLines(src)))
		if err != nil {
			failed++
			t.Logf("%s: %v", file, err)
			continue
		}
		if d := cmp.Diff(string(want), string(got)); d != "" {
			failed++
			if failed <= 5 {
				t.Logf("%s (-want +got):\n%s", file, d)
			}
			continue
		}
		passed++
	}
	t.Logf("more blank lines: %d passed, %d failed", passed, failed)
	if passed < moreBlankLinesPassFloor {
		t.Errorf("%d passed, below the floor of %d", passed, moreBlankLinesPassFloor)
	}
}

// moreBlankLinesPassFloor is the number of corpus files that must pass
// TestMoreBlankLines.
const moreBlankLinesPassFloor = 2028
