package syntax

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// Floors of the corpus tests: the tests fail when the number of passing cases
// drops below these figures.
const (
	corpusPassFloor        = 1381 // konfig files + grammar stdout cases + grammar syntax-error cases
	recoveryNoPanicFloor   = 298  // error_recovery inputs parsed without panic
	recoveryAgreementFloor = 269  // error_recovery cases whose top-level node kinds agree with the expected AST
)

// corpusDir returns ../shared/corpus beside the module, or skips.
func corpusDir(t testing.TB) string { return testutil.CorpusDir(t) }

func konfigFiles(t testing.TB, corpus string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(corpus, "konfig"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".k") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk konfig corpus: %v", err)
	}
	sort.Strings(files)
	return files
}

var (
	syntaxHeaderRe = regexp.MustCompile(`^error\[E\w+\]: (InvalidSyntax|TabError|IndentationError|IllegalArgumentSyntax)\s*$`)
	anyHeaderRe    = regexp.MustCompile(`^error\[E\w+\]: `)
	locRe          = regexp.MustCompile(`-->\s*\S*?main\.k:(\d+):(\d+)`)
	msgRe          = regexp.MustCompile(`^\s*\d*\s*\|\s*(\^ )?(.*)$`)
)

// goldenSyntaxError returns the line and message of the first syntax-error
// block of a stderr golden.
func goldenSyntaxError(golden []byte) (line int, msg string, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(golden))
	inSyntax := false
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for i, l := range lines {
		if anyHeaderRe.MatchString(l) {
			inSyntax = syntaxHeaderRe.MatchString(l)
			continue
		}
		if !inSyntax {
			continue
		}
		if m := locRe.FindStringSubmatch(l); m != nil {
			line, _ = strconv.Atoi(m[1])
			// message: the line after the source line
			for j := i + 1; j < len(lines) && j < i+5; j++ {
				if strings.Contains(lines[j], "^ ") {
					msg = strings.SplitN(lines[j], "^ ", 2)[1]
					break
				}
			}
			if msg == "" && i+3 < len(lines) {
				if m := msgRe.FindStringSubmatch(lines[i+3]); m != nil {
					msg = strings.TrimSpace(m[2])
				}
			}
			return line, msg, true
		}
	}
	return 0, "", false
}

func TestCorpus(t *testing.T) {
	corpus := corpusDir(t)
	passed, failed := 0, 0
	var failures []string
	fail := func(format string, args ...any) {
		failed++
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	// (1) every Konfig file parses without errors.
	for _, path := range konfigFiles(t, corpus) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		f, errs := ParseFile(path, src)
		if len(errs) > 0 {
			fail("konfig %s: %d errors, first: %v", path, len(errs), errs[0])
			continue
		}
		if err := checkInvariants(f); err != nil {
			fail("konfig %s: %v", path, err)
			continue
		}
		passed++
	}
	// (2) grammar cases.
	grammar := filepath.Join(corpus, "kcl-grammar")
	msgMatched, syntaxCases := 0, 0
	err := filepath.WalkDir(grammar, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "main.k" {
			return nil
		}
		dir := filepath.Dir(path)
		src, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		rel, _ := filepath.Rel(grammar, dir)
		if _, err := os.Stat(filepath.Join(dir, "stdout.golden")); err == nil {
			_, errs := ParseFile(path, src)
			if len(errs) > 0 {
				fail("grammar %s: %d errors, first: %v", rel, len(errs), errs[0])
			} else {
				passed++
			}
			return nil
		}
		golden, err := os.ReadFile(filepath.Join(dir, "stderr.golden"))
		if err != nil {
			return nil // helper package without golden
		}
		line, msg, ok := goldenSyntaxError(golden)
		if !ok {
			return nil
		}
		syntaxCases++
		_, errs := ParseFile(path, src)
		found := false
		for _, e := range errs {
			m := e.Primary()
			if m.Pos.Line == line {
				found = true
				if msg != "" && strings.Contains(m.Text, msg) {
					msgMatched++
					found = true
					msg = ""
					break
				}
			}
		}
		if msg != "" && found {
			t.Logf("grammar %s: line %d matched but not the message %q", rel, line, msg)
		}
		if found {
			passed++
		} else {
			got := "no errors"
			if len(errs) > 0 {
				got = errs[0].Error()
			}
			fail("grammar %s: want syntax error on line %d (%s), got %s", rel, line, msg, got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk grammar corpus: %v", err)
	}
	for i, f := range failures {
		if i == 40 {
			t.Logf("... %d more", len(failures)-40)
			break
		}
		t.Log(f)
	}
	t.Logf("syntax-error cases: %d, message matched: %d", syntaxCases, msgMatched)
	fmt.Printf("TestCorpus: %d passed, %d failed\n", passed, failed)
	if passed < corpusPassFloor {
		t.Errorf("corpus: %d passed, below the floor %d", passed, corpusPassFloor)
	}
}
