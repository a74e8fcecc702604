package lsp

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)


// The marker tests: each testdata/markers/*.txtar archive holds a small
// workspace whose files carry position markers `@{name}` (removed before
// the files are written), and an `expect` section with one check per line:
//
//	complete NAME          the completion labels at NAME, in order, equal section `complete.NAME`
//	hover NAME             the hover markdown at NAME equals section `hover.NAME`
//	def NAME TARGET        the definition at NAME is the position of marker TARGET
//	refs NAME T1 T2 …      the references at NAME (declaration included) are the markers T1 T2 … in order
//
// Run with -update to rewrite the `complete.*` and `hover.*` sections from
// the server's answers.
var reMarker = regexp.MustCompile(`@\{(\w+)\}`)

type marker struct {
	file string
	pos  protocol.Position
}

func TestMarkers(t *testing.T) {
	files, err := filepath.Glob("testdata/markers/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no marker tests: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) { runMarkerFile(t, file) })
	}
}

func runMarkerFile(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	markers := map[string]marker{}
	sections := map[string]string{}
	var expect string
	var sources []string
	for _, f := range ar.Files {
		switch {
		case f.Name == "expect":
			expect = string(f.Data)
			continue
		case strings.HasPrefix(f.Name, "complete.") || strings.HasPrefix(f.Name, "hover."):
			sections[f.Name] = string(f.Data)
			continue
		}
		src := string(f.Data)
		for {
			loc := reMarker.FindStringSubmatchIndex(src)
			if loc == nil {
				break
			}
			name := src[loc[2]:loc[3]]
			src = src[:loc[0]] + src[loc[1]:]
			markers[name] = marker{file: f.Name, pos: newText(src).position(loc[0])}
		}
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, ".k") {
			sources = append(sources, f.Name)
		}
	}
	s := startSession(t, dir, Options{})
	for _, name := range sources {
		s.open(name)
	}
	at := func(name string) protocol.TextDocumentPositionParams {
		m, ok := markers[name]
		if !ok {
			t.Fatalf("unknown marker %s", name)
		}
		return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: pathURI(filepath.Join(dir, m.file))}, Position: m.pos}
	}
	loc := func(l protocol.Location) string {
		rel, _ := filepath.Rel(dir, l.URI.FsPath())
		for name, m := range markers {
			if m.file == rel && m.pos == l.Range.Start {
				return name
			}
		}
		return fmt.Sprintf("%s:%d:%d", rel, l.Range.Start.Line+1, l.Range.Start.Character+1)
	}
	updated := map[string]string{}
	for _, line := range strings.Split(expect, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(line, "#") {
			continue
		}
		kind, name := fields[0], fields[1]
		switch kind {
		case "complete":
			res, err := s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: at(name)})
			if err != nil {
				t.Errorf("complete %s: %v", name, err)
				continue
			}
			got := strings.Join(labels(res), "\n") + "\n"
			check(t, "complete."+name, sections, updated, got)
		case "hover":
			h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: at(name)})
			if err != nil {
				t.Errorf("hover %s: %v", name, err)
				continue
			}
			check(t, "hover."+name, sections, updated, hoverText(h))
		case "def":
			res, err := s.server.Definition(s.ctx, &protocol.DefinitionParams{TextDocumentPositionParams: at(name)})
			if err != nil {
				t.Errorf("def %s: %v", name, err)
				continue
			}
			var got []string
			if locs, ok := res.(protocol.LocationSlice); ok {
				for _, l := range locs {
					got = append(got, loc(l))
				}
			}
			if diff := cmp.Diff(fields[2:], got); diff != "" {
				t.Errorf("def %s (-want +got):\n%s", name, diff)
			}
		case "refs":
			res, err := s.server.References(s.ctx, &protocol.ReferenceParams{TextDocumentPositionParams: at(name), Context: protocol.ReferenceContext{IncludeDeclaration: true}})
			if err != nil {
				t.Errorf("refs %s: %v", name, err)
				continue
			}
			var got []string
			for _, l := range res {
				got = append(got, loc(l))
			}
			sort.Strings(got)
			want := append([]string(nil), fields[2:]...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("refs %s (-want +got):\n%s", name, diff)
			}
		default:
			t.Errorf("unknown check %q", line)
		}
	}
	if testutil.Update() && len(updated) > 0 {
		for i, f := range ar.Files {
			if v, ok := updated[f.Name]; ok {
				ar.Files[i].Data = []byte(v)
				delete(updated, f.Name)
			}
		}
		names := make([]string, 0, len(updated))
		for n := range updated {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			ar.Files = append(ar.Files, txtar.File{Name: n, Data: []byte(updated[n])})
		}
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func check(t *testing.T, section string, sections, updated map[string]string, got string) {
	t.Helper()
	if testutil.Update() {
		updated[section] = got
		return
	}
	want, ok := sections[section]
	if !ok {
		t.Errorf("missing section %s (run with -update); got:\n%s", section, got)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", section, diff)
	}
}
