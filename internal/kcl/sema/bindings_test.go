package sema

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// TestBindings checks the binding kind recorded for each name expression.
func TestBindings(t *testing.T) {
	src := `import math
g = 1
f = lambda a, b = 2 {
    c = a + b + g
    h = lambda { c + a }
    if a:
        c = 0
    [x + c for x in [a] if x]
}
schema P[n: int]:
    v: int = g + n
    w = v
    check:
        w > len([]) and math.log(1) == 0
schema C(P):
    z: int = q + 1
q = all y in [g] { y > 0 }
d = {k = g, m = k}
`
	dir := t.TempDir()
	main := filepath.Join(dir, "main.k")
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	prog, err := Load(context.Background(), Config{ModRoot: dir, Files: []string{main}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for id, b := range prog.Package(MainPkg).Bindings() {
		s := fmt.Sprintf("%d:%d %s %s", id.Start.Line, id.Start.Col, id.Name, b.Kind)
		if b.Kind == BindLocal || b.Kind == BindCompVar {
			s += fmt.Sprintf(" #%d", b.Index)
		}
		if b.Instance {
			s += " (instance first)"
		}
		got = append(got, s)
	}
	sort.Slice(got, func(i, j int) bool {
		var li, ci, lj, cj int
		fmt.Sscanf(got[i], "%d:%d", &li, &ci)
		fmt.Sscanf(got[j], "%d:%d", &lj, &cj)
		return li < lj || li == lj && ci < cj
	})
	want := `4:9 a local #0
4:13 b local #1
4:17 g global
5:18 c local #2
5:22 a local #0
6:8 a local #0
8:6 x loop variable #0
8:10 c local #2
8:22 a local #0
8:28 x loop variable #0
11:14 g global (instance first)
11:18 n schema attribute
12:9 v schema attribute
14:9 w schema attribute
14:13 len builtin (instance first)
14:25 math package (instance first)
15:10 P global
16:14 q global (instance first)
17:15 g global
17:20 y loop variable #0
18:10 g global
18:17 k dynamic`
	if diff := cmp.Diff(want, strings.Join(got, "\n")); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	if got := LambdaSlots(prog.Package(MainPkg).Files[0].Stmts[2].(*syntax.AssignStmt).Value.(*syntax.LambdaExpr)); !cmp.Equal(got, []string{"a", "b", "c", "h"}) {
		t.Errorf("LambdaSlots = %v", got)
	}
}
