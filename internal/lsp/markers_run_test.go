package lsp

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/scanner"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// markerArg is one argument of a marker call.
type markerArg struct {
	ident string // an identifier: a loc name, a golden name, none
	str   string // a string (pattern or value)
	isStr bool
	num   int
	isNum bool
}

func (a markerArg) String() string {
	switch {
	case a.isStr:
		return strconv.Quote(a.str)
	case a.isNum:
		return strconv.Itoa(a.num)
	}
	return a.ident
}

// note is one marker call: verb(args) on a line of a file.
type note struct {
	file string // relative to the workspace root
	line int    // 0-based line of the written file it refers to
	code string // that line's text before the marker (the whole line for a column-0 marker)
	verb string
	args []markerArg
}

func (n *note) String() string { return fmt.Sprintf("%s:%d: %s", n.file, n.line+1, n.verb) }

// markerRun is one archive being run.
type markerRun struct {
	t          *testing.T
	path       string
	ar         *txtar.Archive
	dir        string
	texts      map[string]*text // written files by relative path
	notes      []*note
	locs       map[string]protocol.Location
	s          *testSession
	usedGolden map[string]bool
}

// markerVerbs are the checks a marker can make, with the fewest arguments
// each takes.
var markerVerbs = map[string]struct {
	minArgs int
	run     func(m *markerRun, n *note)
}{
	"hover":         {2, (*markerRun).hover},
	"complete":      {1, (*markerRun).complete},
	"completeHas":   {2, (*markerRun).completeHas},
	"nocomplete":    {2, (*markerRun).nocomplete},
	"def":           {1, (*markerRun).def},
	"refs":          {2, (*markerRun).refs},
	"highlight":     {2, (*markerRun).highlight},
	"rename":        {3, (*markerRun).rename},
	"renameErr":     {3, (*markerRun).renameErr},
	"prepareRename": {2, (*markerRun).prepareRename},
	"signature":     {2, (*markerRun).signature},
	"inlay":         {2, (*markerRun).inlay},
	"inlays":        {1, (*markerRun).inlays},
	"semtok":        {2, (*markerRun).semtok},
	"semtokens":     {1, (*markerRun).semtokens},
	"codeaction":    {3, (*markerRun).codeaction},
	"codeactions":   {1, (*markerRun).codeactions},
	"diag":          {2, (*markerRun).diag},
	"fold":          {2, (*markerRun).fold},
	"folding":       {1, (*markerRun).folding},
	"symbol":        {2, (*markerRun).symbol},
	"symbols":       {1, (*markerRun).symbols},
	"wsymbol":       {1, (*markerRun).wsymbol},
	"format":        {1, (*markerRun).format},
	"codelens":      {1, (*markerRun).codelens},
	"rangeformat":   {3, (*markerRun).rangeformat},
}

func runMarkerArchive(t *testing.T, path string, counts *markerCounts) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &markerRun{t: t, path: path, ar: ar, dir: t.TempDir(), texts: map[string]*text{}, locs: map[string]protocol.Location{}, usedGolden: map[string]bool{}}
	var sources []string
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "@") {
			continue // a golden section
		}
		data := string(f.Data)
		if strings.HasSuffix(f.Name, ".k") {
			data = m.extract(f.Name, data)
			sources = append(sources, f.Name)
		}
		m.texts[f.Name] = newText(data)
		p := filepath.Join(m.dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The named locations first: any marker may refer to any of them.
	for _, n := range m.notes {
		if n.verb != "loc" {
			continue
		}
		if len(n.args) != 2 || n.args[0].ident == "" {
			m.errorf(n, "want loc(name, pattern)")
			continue
		}
		if _, dup := m.locs[n.args[0].ident]; dup {
			m.errorf(n, "location %s defined twice", n.args[0].ident)
		}
		if l, ok := m.location(n, n.args[1]); ok {
			m.locs[n.args[0].ident] = l
		}
	}
	m.s = startSession(t, m.dir, Options{Debounce: 1})
	for _, name := range sources {
		m.s.open(name)
	}
	m.waitDiagnostics(sources)
	for _, n := range m.notes {
		if n.verb == "loc" {
			continue
		}
		v, ok := markerVerbs[n.verb]
		switch {
		case !ok:
			m.errorf(n, "unknown marker verb")
			continue
		case len(n.args) < v.minArgs:
			m.errorf(n, "want at least %d arguments", v.minArgs)
			continue
		}
		counts.add(n.verb)
		v.run(m, n)
	}
	m.unmatchedDiagnostics(sources)
	// A golden section no marker uses is an error (dropped with -update).
	kept := ar.Files[:0]
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "@") && !m.usedGolden[f.Name] {
			if !testutil.Update() {
				t.Errorf("golden section %s is not used by any marker", f.Name)
			}
			continue
		}
		kept = append(kept, f)
	}
	if testutil.Update() && len(kept) < len(ar.Files) {
		ar.Files = kept
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	counts.mu.Lock()
	counts.archives++
	counts.mu.Unlock()
}

func (m *markerRun) errorf(n *note, format string, args ...any) {
	m.t.Helper()
	m.t.Errorf("%s: %s", n, fmt.Sprintf(format, args...))
}

// extract removes the marker comments of the file name, records their
// calls and returns the text to write.
func (m *markerRun) extract(name, src string) string {
	lines := strings.SplitAfter(src, "\n")
	var out []string
	var pending []*note // column-0 markers waiting for the next line
	for _, line := range lines {
		body := strings.TrimSuffix(line, "\n")
		nl := line[len(body):]
		i := strings.Index(body, "#@")
		if i < 0 {
			for _, n := range pending {
				n.line, n.code = len(out), body
			}
			pending = nil
			out = append(out, line)
			continue
		}
		code := body[:i]
		notes := m.parseCalls(name, body[i+2:])
		m.notes = append(m.notes, notes...)
		if i == 0 {
			pending = append(pending, notes...)
			for _, n := range notes {
				n.line = len(out) // the end of the file, unless a line follows
			}
			continue
		}
		if strings.TrimSpace(code) != "" {
			code = strings.TrimSuffix(code, "  ") // the two spaces before a trailing comment
		}
		for _, n := range notes {
			n.line, n.code = len(out), code
		}
		out = append(out, code+nl)
	}
	return strings.Join(out, "")
}

// parseCalls parses `verb(arg, …) verb(…) …`.
func (m *markerRun) parseCalls(file, s string) []*note {
	var sc scanner.Scanner
	sc.Init(strings.NewReader(s))
	sc.Mode = scanner.ScanIdents | scanner.ScanStrings | scanner.ScanRawStrings | scanner.ScanInts
	sc.Error = func(_ *scanner.Scanner, msg string) { m.t.Errorf("%s: marker %q: %s", file, s, msg) }
	var out []*note
	for tok := sc.Scan(); tok != scanner.EOF; tok = sc.Scan() {
		if tok != scanner.Ident {
			m.t.Errorf("%s: marker %q: want a verb, got %q", file, s, sc.TokenText())
			return out
		}
		n := &note{file: file, verb: sc.TokenText()}
		if sc.Scan() != '(' {
			m.t.Errorf("%s: marker %q: want ( after %s", file, s, n.verb)
			return out
		}
		for tok = sc.Scan(); tok != ')'; tok = sc.Scan() {
			switch tok {
			case scanner.Ident:
				n.args = append(n.args, markerArg{ident: sc.TokenText()})
			case scanner.String, scanner.RawString:
				v, err := strconv.Unquote(sc.TokenText())
				if err != nil {
					m.t.Errorf("%s: marker %q: %v", file, s, err)
				}
				n.args = append(n.args, markerArg{str: v, isStr: true})
			case scanner.Int, '-':
				text := sc.TokenText()
				if tok == '-' {
					sc.Scan()
					text += sc.TokenText()
				}
				v, _ := strconv.Atoi(text)
				n.args = append(n.args, markerArg{num: v, isNum: true})
			case ',':
			default:
				m.t.Errorf("%s: marker %q: unexpected %q", file, s, sc.TokenText())
				return out
			}
		}
		out = append(out, n)
	}
	return out
}

// uri returns the URI of a workspace file.
func (m *markerRun) uri(file string) uri.URI { return pathURI(filepath.Join(m.dir, file)) }

// location resolves a position argument of n.
func (m *markerRun) location(n *note, a markerArg) (protocol.Location, bool) {
	if a.ident != "" {
		l, ok := m.locs[a.ident]
		if !ok {
			m.errorf(n, "no location named %s", a.ident)
		}
		return l, ok
	}
	if !a.isStr {
		m.errorf(n, "want a pattern or a location name, got %s", a)
		return protocol.Location{}, false
	}
	pat, caret := a.str, -1
	if i := strings.Index(pat, "^"); i >= 0 {
		pat, caret = pat[:i]+pat[i+1:], i
	}
	col := len(n.code)
	if pat != "" {
		i := strings.Index(n.code, pat)
		if i < 0 {
			m.errorf(n, "pattern %q not on the line %q", a.str, n.code)
			return protocol.Location{}, false
		}
		col = i
		if caret >= 0 {
			col += caret
		}
	}
	t := m.texts[n.file]
	start, err := t.offset(protocol.Position{Line: uint32(n.line)})
	if err != nil {
		m.errorf(n, "%v", err)
		return protocol.Location{}, false
	}
	p := t.position(start + col)
	return protocol.Location{URI: m.uri(n.file), Range: protocol.Range{Start: p, End: p}}, true
}

// at resolves the first argument of n as the position of a request.
func (m *markerRun) at(n *note) (protocol.TextDocumentPositionParams, bool) {
	if len(n.args) == 0 {
		m.errorf(n, "want a position argument")
		return protocol.TextDocumentPositionParams{}, false
	}
	l, ok := m.location(n, n.args[0])
	return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: l.URI}, Position: l.Range.Start}, ok
}

// doc is the document of the note's file.
func (m *markerRun) doc(n *note) protocol.TextDocumentIdentifier {
	return protocol.TextDocumentIdentifier{URI: m.uri(n.file)}
}

// name describes a location: a loc name when one starts there, else
// file:line:col (1-based).
func (m *markerRun) name(l protocol.Location) string {
	rel, _ := filepath.Rel(m.dir, l.URI.FsPath())
	names := make([]string, 0, len(m.locs))
	for name := range m.locs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if w := m.locs[name]; w.URI == l.URI && w.Range.Start == l.Range.Start {
			return name
		}
	}
	return fmt.Sprintf("%s:%d:%d", rel, l.Range.Start.Line+1, l.Range.Start.Character+1)
}

// wantLocations resolves args as locations and names them.
func (m *markerRun) wantLocations(n *note, args []markerArg) []string {
	out := []string{}
	for _, a := range args {
		if l, ok := m.location(n, a); ok {
			out = append(out, m.name(l))
		}
	}
	return out
}

// strs returns the string (or identifier) values of args.
func strs(args []markerArg) []string {
	out := []string{}
	for _, a := range args {
		if a.isStr {
			out = append(out, a.str)
		} else {
			out = append(out, a.String())
		}
	}
	return out
}

// isNone reports whether args is the single identifier none.
func isNone(args []markerArg) bool { return len(args) == 1 && args[0].ident == "none" }

// goldenArg returns the golden name when args is one identifier other than
// none.
func goldenArg(args []markerArg) (string, bool) {
	if len(args) == 1 && args[0].ident != "" && args[0].ident != "none" {
		return args[0].ident, true
	}
	return "", false
}

func (m *markerRun) diff(n *note, what string, want, got any) {
	m.t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		m.errorf(n, "%s (-want +got):\n%s", what, d)
	}
}

// applyEdits applies a workspace edit to the written files and renders the
// changed files, each after a `=== path` line.
func (m *markerRun) applyWorkspaceEdit(n *note, we *protocol.WorkspaceEdit) string {
	if we == nil {
		return ""
	}
	var files []string
	for u := range we.Changes {
		rel, _ := filepath.Rel(m.dir, u.FsPath())
		files = append(files, rel)
	}
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		t, ok := m.texts[f]
		if !ok {
			m.errorf(n, "edit of a file not in the archive: %s", f)
			continue
		}
		edits := append([]protocol.TextEdit(nil), we.Changes[m.uri(f)]...)
		sort.Slice(edits, func(i, j int) bool { return before(edits[i].Range.Start, edits[j].Range.Start) })
		fmt.Fprintf(&b, "=== %s\n%s", f, applyEdits(m.t, t.src, edits))
	}
	return b.String()
}

// before reports whether position a comes before b.
func before(a, b protocol.Position) bool {
	return a.Line < b.Line || a.Line == b.Line && a.Character < b.Character
}
