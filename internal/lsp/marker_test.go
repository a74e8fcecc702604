package lsp

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// The marker tests. Each testdata/markers/*.txtar archive is a small
// workspace (kcl.mod, packages, Konfig stacks …) whose KCL files carry
// assertions in comments that start with `#@`:
//
//	app = App {  #@hover("App", "schema App") def("App", appSchema)
//
// A marker comment holds one or more calls `verb(arg, …)`. It is removed
// from the file before the file is written, with the two spaces before it
// (a comment alone on a line at column 0 takes its line with it; an
// indented one leaves the indentation, so a cursor can sit there), so the
// server sees the file without it. Arguments are Go-quoted strings,
// identifiers and integers.
//
// A string in a position argument is a pattern on the marker's line (the
// line after it for a column-0 comment): the position is where the pattern
// starts, or the caret in it (`"dou^ble"`); "" or "^" is the end of the
// code before the marker. An identifier in a position argument is a name
// defined by `loc(name, pattern)` anywhere in the archive. An identifier
// where a result is expected names a golden section `-- @name --` of the
// archive (rewritten by -update); `none` means no result.
//
// The verbs (markerVerbs; each is documented where it is defined):
//
//	loc(name, pos)   names a position for the other markers
//	hover(pos, "sub" | golden | none)
//	complete(pos, labels… | golden), completeHas(pos, labels…), nocomplete(pos, labels…)
//	def(pos, targets… | none), refs(pos, locs…), highlight(pos, locs…)
//	rename(pos, "new", golden), renameErr(pos, "new", "sub"), prepareRename(pos, "name" | none)
//	signature(pos, "label", active | none), inlay(pos, "label" | none), inlays(golden)
//	semtok(pos, "type", modifiers…), semtokens(golden)
//	codeaction(pos, "title", golden | none), codeactions(pos, titles…), codelens(pos, titles…)
//	diag(pos, "sub"[, severity[, end]]), fold(pos, lines[, "kind"]), folding(golden)
//	symbol(pos, "Kind"[, "detail"]), symbols(golden), wsymbol("query", names… | golden)
//	format(golden | none), rangeformat(from, to, golden | none)
//
// Every published diagnostic of the workspace's files must be matched by a
// diag marker. A golden section no marker uses is an error. TestMarkers
// logs the count of markers per verb and fails below a floor.
func TestMarkers(t *testing.T) {
	files, err := filepath.Glob("testdata/markers/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no marker tests: %v", err)
	}
	counts := &markerCounts{n: map[string]int{}}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) { runMarkerArchive(t, file, counts) })
	}
	verbs := make([]string, 0, len(counts.n))
	total := 0
	for v, n := range counts.n {
		verbs = append(verbs, v)
		total += n
	}
	sort.Strings(verbs)
	var b strings.Builder
	for _, v := range verbs {
		fmt.Fprintf(&b, " %s=%d", v, counts.n[v])
	}
	t.Logf("%d markers across %d verbs:%s", total, len(verbs), b.String())
	// A floor, as for the corpus figures: markers are not lost silently.
	if !t.Failed() && counts.archives == len(files) && (total < markerFloor || len(verbs) < verbFloor) {
		t.Errorf("%d markers across %d verbs, below the floor of %d across %d", total, len(verbs), markerFloor, verbFloor)
	}
}

// The floors of TestMarkers: raise them when markers are added.
const (
	markerFloor = 285
	verbFloor   = 26
)

// markerCounts counts the checks run per verb, and the archives run (all
// of them unless -run picks some).
type markerCounts struct {
	mu       sync.Mutex
	n        map[string]int
	archives int
}

func (c *markerCounts) add(verb string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[verb]++
}

// golden compares got with the archive's section @name (or sets it with
// -update) and records that the section was used.
func (m *markerRun) golden(n *note, name, got string) {
	m.t.Helper()
	m.usedGolden["@"+name] = true
	got = strings.ReplaceAll(got, m.dir, "$WORK")
	if _, ok := testutil.Section(m.ar, "@"+name); !ok && !testutil.Update() {
		m.errorf(n, "no golden section @%s (run with -update); got:\n%s", name, got)
		return
	}
	testutil.GoldenSection(m.t, m.path, m.ar, "@"+name, []byte(got))
}
