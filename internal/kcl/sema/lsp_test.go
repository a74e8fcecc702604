package sema

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// lspFloor is the number of goto-definition and find-references cases of
// the kcl-lsp corpus our Definition/References agree with.
const lspFloor = 62

type lspCase struct {
	Feature  string  `json:"feature"`
	Name     string  `json:"name"`
	File     string  `json:"file"`
	Line     int     `json:"line_1based"`
	Col      int     `json:"column_0based"`
	Expected *string `json:"expected"`
}

var lspLocRe = regexp.MustCompile(`path: \\?"src/(test_data/[^"\\]+)\\?", range: Range \{ start: Position \{ line: (\d+), character: (\d+) \}, end: Position \{ line: (\d+), character: (\d+) \} \}`)

// lspLocs extracts `path:l:c-l:c` strings from an expected snapshot.
func lspLocs(s string) []string {
	var out []string
	for _, m := range lspLocRe.FindAllStringSubmatch(s, -1) {
		out = append(out, fmt.Sprintf("%s:%s:%s-%s:%s", m[1], m[2], m[3], m[4], m[5]))
	}
	sort.Strings(out)
	return out
}

func fmtLoc(root string, prog *Program, l Location) string {
	rel, _ := filepath.Rel(root, l.File)
	conv := func(p syntax.Pos) (int, int) {
		if f := prog.File(l.File); f != nil && p.IsValid() {
			return p.Line - 1, p.CharCol(f.Src) - 1
		}
		return max(p.Line-1, 0), max(p.Col-1, 0)
	}
	sl, sc := conv(l.Start)
	el, ec := conv(l.End)
	return fmt.Sprintf("%s:%d:%d-%d:%d", filepath.ToSlash(rel), sl, sc, el, ec)
}

// TestLSPDefinitionReferences maps the goto_def and find_refs cases of the
// kcl-lsp corpus onto Program.Definition and Program.References.
func TestLSPDefinitionReferences(t *testing.T) {
	root := filepath.Join(corpusDir(t), "kcl-lsp")
	b, err := os.ReadFile(filepath.Join(root, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []lspCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	passed, failed, skipped := 0, 0, 0
	for _, c := range cases {
		if c.Feature != "goto_def" && c.Feature != "find_refs" {
			continue
		}
		if c.Expected == nil {
			skipped++
			continue
		}
		exp := *c.Expected
		if s, err := strconv.Unquote(strings.TrimSpace(exp)); err == nil {
			exp = s
		}
		want := lspLocs(exp)
		file := filepath.Join(root, c.File)
		prog, err := Load(context.Background(), Config{ModRoot: loader.ModRoot(nil, filepath.Dir(file)), Files: []string{file}})
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			failed++
			continue
		}
		var got []string
		occ := prog.SymbolAt(file, c.Line, c.Col+1)
		if occ != nil && occ.Sym != nil {
			if c.Feature == "goto_def" {
				for _, l := range prog.DefinitionOf(occ.Sym) {
					got = append(got, fmtLoc(root, prog, l))
				}
			} else {
				for _, o := range prog.References(occ.Sym) {
					got = append(got, fmtLoc(root, prog, o.Location))
				}
			}
		}
		sort.Strings(got)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			passed++
			continue
		}
		failed++
		t.Logf("%s (%s %s:%d:%d): want %v, got %v", c.Name, c.Feature, c.File, c.Line, c.Col, want, got)
	}
	total := passed + failed
	fmt.Printf("kcl-lsp definition/references: %d passed, %d failed (%d without expectation skipped), agreement %.0f%%\n",
		passed, failed, skipped, 100*float64(passed)/float64(max(total, 1)))
	if passed < lspFloor {
		t.Errorf("%d passed, floor %d", passed, lspFloor)
	}
}
