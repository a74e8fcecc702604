package lsp

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// The marker verbs. Each gets a note whose first argument is, for most, a
// position; see TestMarkers for the argument forms.

// pointAnd resolves n's first argument as a position in its file and gets
// get's answer for that file.
func pointAnd[T any](m *markerRun, n *note, get func(*note) (T, bool)) (protocol.Position, T, bool) {
	l, ok := m.location(n, n.args[0])
	v, ok2 := get(n)
	return l.Range.Start, v, ok && ok2
}

// hover(pos, "substring" | golden | none): the hover text at pos contains
// the substring, equals the golden section, or is empty.
func (m *markerRun) hover(n *note) {
	at, ok := m.at(n)
	if !ok || len(n.args) != 2 {
		m.errorf(n, "want hover(pos, want)")
		return
	}
	h, err := m.s.server.Hover(m.s.ctx, &protocol.HoverParams{TextDocumentPositionParams: at})
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	got := hoverText(h)
	want := n.args[1:]
	switch g, golden := goldenArg(want); {
	case isNone(want):
		if got != "" {
			m.errorf(n, "hover %q, want none", got)
		}
	case golden:
		m.golden(n, g, got)
	case !strings.Contains(got, want[0].str):
		m.errorf(n, "hover lacks %q:\n%s", want[0].str, got)
	}
}

// completionLabels asks for the completion labels at n's position.
func (m *markerRun) completionLabels(n *note) ([]string, bool) {
	at, ok := m.at(n)
	if !ok {
		return nil, false
	}
	res, err := m.s.server.Completion(m.s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: at})
	if err != nil {
		m.errorf(n, "%v", err)
		return nil, false
	}
	return append([]string{}, labels(res)...), true
}

// complete(pos, labels… | golden): the completion labels at pos, in order,
// are labels (one a line in a golden section).
func (m *markerRun) complete(n *note) {
	got, ok := m.completionLabels(n)
	if !ok {
		return
	}
	if g, golden := goldenArg(n.args[1:]); golden {
		m.golden(n, g, strings.Join(got, "\n")+"\n")
		return
	}
	m.diff(n, "completion", strs(n.args[1:]), got)
}

// completeHas(pos, labels…): the completion at pos offers each label.
func (m *markerRun) completeHas(n *note) {
	got, ok := m.completionLabels(n)
	if !ok {
		return
	}
	for _, w := range strs(n.args[1:]) {
		if !contains(got, w) {
			m.errorf(n, "completion lacks %q: %q", w, got)
		}
	}
}

// nocomplete(pos, labels…): the completion at pos offers none of labels.
func (m *markerRun) nocomplete(n *note) {
	got, ok := m.completionLabels(n)
	if !ok {
		return
	}
	for _, w := range strs(n.args[1:]) {
		if contains(got, w) {
			m.errorf(n, "completion offers %q: %q", w, got)
		}
	}
}

// checkLocations runs query at n's position and compares the locations
// it answers, by name, with the locations of n's other arguments (none
// for no location), in order or as sets.
func (m *markerRun) checkLocations(n *note, what string, ordered bool, query func(protocol.TextDocumentPositionParams) ([]protocol.Location, error)) {
	at, ok := m.at(n)
	if !ok {
		return
	}
	res, err := query(at)
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	got := []string{}
	for _, l := range res {
		got = append(got, m.name(l))
	}
	want := []string{}
	if !isNone(n.args[1:]) {
		want = m.wantLocations(n, n.args[1:])
	}
	if !ordered {
		sort.Strings(got)
		sort.Strings(want)
	}
	m.diff(n, what, want, got)
}

// def(pos, targets… | none): the definitions of the name at pos are the
// targets, in order.
func (m *markerRun) def(n *note) {
	m.checkLocations(n, "definition", true, func(at protocol.TextDocumentPositionParams) ([]protocol.Location, error) {
		res, err := m.s.server.Definition(m.s.ctx, &protocol.DefinitionParams{TextDocumentPositionParams: at})
		switch r := res.(type) {
		case protocol.LocationSlice:
			return r, err
		case *protocol.Location:
			return []protocol.Location{*r}, err
		case protocol.DefinitionLinkSlice:
			var out []protocol.Location
			for _, l := range r {
				out = append(out, protocol.Location{URI: l.TargetURI, Range: l.TargetSelectionRange})
			}
			return out, err
		}
		return nil, err
	})
}

// refs(pos, locations…): the references of the name at pos, declaration
// included, are the locations (in any order).
func (m *markerRun) refs(n *note) {
	m.checkLocations(n, "references", false, func(at protocol.TextDocumentPositionParams) ([]protocol.Location, error) {
		return m.s.server.References(m.s.ctx, &protocol.ReferenceParams{TextDocumentPositionParams: at, Context: protocol.ReferenceContext{IncludeDeclaration: true}})
	})
}

// highlight(pos, locations…): the document highlights of the name at pos
// start at the locations (in any order).
func (m *markerRun) highlight(n *note) {
	m.checkLocations(n, "highlights", false, func(at protocol.TextDocumentPositionParams) ([]protocol.Location, error) {
		res, err := m.s.server.DocumentHighlight(m.s.ctx, &protocol.DocumentHighlightParams{TextDocumentPositionParams: at})
		var out []protocol.Location
		for _, h := range res {
			out = append(out, protocol.Location{URI: at.TextDocument.URI, Range: h.Range})
		}
		return out, err
	})
}

// rename(pos, "newName", golden): renaming the name at pos changes the
// files as the golden section shows (each changed file after `=== path`).
func (m *markerRun) rename(n *note) {
	at, ok := m.at(n)
	g, golden := goldenArg(n.args[min(2, len(n.args)):])
	if !ok || len(n.args) != 3 || !n.args[1].isStr || !golden {
		m.errorf(n, "want rename(pos, newName, golden)")
		return
	}
	we, err := m.s.server.Rename(m.s.ctx, &protocol.RenameParams{TextDocumentPositionParams: at, NewName: n.args[1].str})
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	m.golden(n, g, m.applyWorkspaceEdit(n, we))
}

// renameErr(pos, "newName", "substring"): renaming the name at pos to
// newName fails with an error containing the substring.
func (m *markerRun) renameErr(n *note) {
	at, ok := m.at(n)
	if !ok || len(n.args) != 3 {
		m.errorf(n, "want renameErr(pos, newName, substring)")
		return
	}
	we, err := m.s.server.Rename(m.s.ctx, &protocol.RenameParams{TextDocumentPositionParams: at, NewName: n.args[1].str})
	if err == nil || !strings.Contains(err.Error(), n.args[2].str) {
		m.errorf(n, "rename to %q: err = %v (edit %v), want one containing %q", n.args[1].str, err, we, n.args[2].str)
	}
}

// prepareRename(pos, "placeholder" | none): the name at pos can be renamed,
// with that placeholder, or cannot.
func (m *markerRun) prepareRename(n *note) {
	at, ok := m.at(n)
	if !ok || len(n.args) != 2 {
		m.errorf(n, "want prepareRename(pos, placeholder)")
		return
	}
	res, err := m.s.server.PrepareRename(m.s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: at})
	got := ""
	switch r := res.(type) {
	case *protocol.PrepareRenamePlaceholder:
		if r != nil {
			got = r.Placeholder
		}
	case *protocol.Range:
		if r != nil {
			t := m.texts[n.file]
			from, _ := t.offset(r.Start)
			to, _ := t.offset(r.End)
			got = t.src[from:to]
		}
	}
	if isNone(n.args[1:]) {
		if err == nil && got != "" {
			m.errorf(n, "prepareRename allowed renaming %q", got)
		}
		return
	}
	if err != nil || got != n.args[1].str {
		m.errorf(n, "prepareRename = %q, %v; want %q", got, err, n.args[1].str)
	}
}

// signature(pos, "label", activeParameter | none): the signature help at
// pos shows one signature with that label and active parameter.
func (m *markerRun) signature(n *note) {
	at, ok := m.at(n)
	if !ok {
		return
	}
	sh, err := m.s.server.SignatureHelp(m.s.ctx, &protocol.SignatureHelpParams{TextDocumentPositionParams: at})
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	if isNone(n.args[1:]) {
		if sh != nil && len(sh.Signatures) > 0 {
			m.errorf(n, "signature help %q, want none", sh.Signatures[0].Label)
		}
		return
	}
	if len(n.args) != 3 || !n.args[2].isNum {
		m.errorf(n, "want signature(pos, label, activeParameter)")
		return
	}
	if sh == nil || len(sh.Signatures) != 1 {
		m.errorf(n, "signature help %#v, want one signature", sh)
		return
	}
	active, _ := sh.ActiveParameter.Get()
	if v, ok := sh.Signatures[0].ActiveParameter.Get(); ok {
		active = v
	}
	m.diff(n, "signature", fmt.Sprintf("%s @%d", n.args[1].str, n.args[2].num), fmt.Sprintf("%s @%d", sh.Signatures[0].Label, active))
}

// inlayHints asks for the inlay hints of the whole file of n.
func (m *markerRun) inlayHints(n *note) ([]protocol.InlayHint, bool) {
	hints, err := m.s.server.InlayHint(m.s.ctx, &protocol.InlayHintParams{TextDocument: m.doc(n),
		Range: protocol.Range{End: protocol.Position{Line: uint32(m.texts[n.file].lineCount() + 1)}}})
	if err != nil {
		m.errorf(n, "%v", err)
		return nil, false
	}
	return hints, true
}

func hintLabel(h protocol.InlayHint) string {
	switch l := h.Label.(type) {
	case protocol.String:
		return string(l)
	case protocol.InlayHintLabelPartSlice:
		var b strings.Builder
		for _, p := range l {
			b.WriteString(p.Value)
		}
		return b.String()
	}
	return fmt.Sprint(h.Label)
}

// inlay(pos, "label" | none): an inlay hint with that label is at pos (or
// none is).
func (m *markerRun) inlay(n *note) {
	p, hints, ok := pointAnd(m, n, m.inlayHints)
	if !ok {
		return
	}
	var got []string
	for _, h := range hints {
		if h.Position == p {
			got = append(got, hintLabel(h))
		}
	}
	if isNone(n.args[1:]) {
		if len(got) > 0 {
			m.errorf(n, "inlay hints %q, want none", got)
		}
		return
	}
	m.diff(n, "inlay hints", []string{n.args[1].str}, got)
}

// inlays(golden): the file with every inlay hint inserted as «label».
func (m *markerRun) inlays(n *note) {
	hints, ok := m.inlayHints(n)
	g, golden := goldenArg(n.args)
	if !ok || !golden {
		m.errorf(n, "want inlays(golden)")
		return
	}
	edits := make([]protocol.TextEdit, 0, len(hints))
	for _, h := range hints {
		edits = append(edits, protocol.TextEdit{Range: protocol.Range{Start: h.Position, End: h.Position}, NewText: "«" + hintLabel(h) + "»"})
	}
	sort.SliceStable(edits, func(i, j int) bool { return before(edits[i].Range.Start, edits[j].Range.Start) })
	m.golden(n, g, applyEdits(m.t, m.texts[n.file].src, edits))
}

// semToken is a decoded semantic token.
type decodedToken struct {
	pos  protocol.Position
	len  uint32
	typ  string
	mods []string
}

func (m *markerRun) semanticTokens(n *note) ([]decodedToken, bool) {
	res, err := m.s.server.SemanticTokensFull(m.s.ctx, &protocol.SemanticTokensParams{TextDocument: m.doc(n)})
	if err != nil || res == nil || len(res.Data)%5 != 0 {
		m.errorf(n, "semantic tokens %v: %v", res, err)
		return nil, false
	}
	var out []decodedToken
	var line, char uint32
	for i := 0; i < len(res.Data); i += 5 {
		d := res.Data[i : i+5]
		if d[0] > 0 {
			char = 0
		}
		line += d[0]
		char += d[1]
		tok := decodedToken{pos: protocol.Position{Line: line, Character: char}, len: d[2], typ: tokenTypes[d[3]], mods: []string{}}
		for b, name := range tokenModifiers {
			if d[4]&(1<<b) != 0 {
				tok.mods = append(tok.mods, name)
			}
		}
		out = append(out, tok)
	}
	return out, true
}

// semtok(pos, "type", modifiers…): the semantic token starting at pos has
// that type and exactly those modifiers.
func (m *markerRun) semtok(n *note) {
	p, toks, ok := pointAnd(m, n, m.semanticTokens)
	if !ok {
		return
	}
	got := "no token"
	for _, tok := range toks {
		if tok.pos == p {
			got = strings.Join(append([]string{tok.typ}, tok.mods...), " ")
		}
	}
	m.diff(n, "semantic token", strings.Join(strs(n.args[1:]), " "), got)
}

// semtokens(golden): every semantic token of the file, one a line:
// line:col "text" type modifiers.
func (m *markerRun) semtokens(n *note) {
	toks, ok := m.semanticTokens(n)
	g, golden := goldenArg(n.args)
	if !ok || !golden {
		m.errorf(n, "want semtokens(golden)")
		return
	}
	t := m.texts[n.file]
	var b strings.Builder
	for _, tok := range toks {
		from, _ := t.offset(tok.pos)
		to, _ := t.offset(protocol.Position{Line: tok.pos.Line, Character: tok.pos.Character + tok.len})
		fmt.Fprintf(&b, "%d:%d %q %s\n", tok.pos.Line+1, tok.pos.Character+1, t.src[from:to], strings.Join(append([]string{tok.typ}, tok.mods...), " "))
	}
	m.golden(n, g, b.String())
}

// codeActions asks for the code actions at n's position, with the
// published diagnostics of its line as the context (as an editor sends
// them).
func (m *markerRun) codeActions(n *note) ([]*protocol.CodeAction, bool) {
	at, ok := m.at(n)
	if !ok {
		return nil, false
	}
	var ctxDiags []protocol.Diagnostic
	for _, d := range m.published(at.TextDocument.URI) {
		if d.Range.Start.Line <= at.Position.Line && at.Position.Line <= d.Range.End.Line {
			ctxDiags = append(ctxDiags, d)
		}
	}
	res, err := m.s.server.CodeAction(m.s.ctx, &protocol.CodeActionParams{TextDocument: at.TextDocument,
		Range: protocol.Range{Start: at.Position, End: at.Position}, Context: protocol.CodeActionContext{Diagnostics: ctxDiags}})
	if err != nil {
		m.errorf(n, "%v", err)
		return nil, false
	}
	var out []*protocol.CodeAction
	for _, a := range res {
		if ca, ok := a.(*protocol.CodeAction); ok {
			out = append(out, ca)
		}
	}
	return out, true
}

// codeaction(pos, "title", golden | none): the code action with that title
// at pos changes the files as the golden section shows (or there is none).
func (m *markerRun) codeaction(n *note) {
	acts, ok := m.codeActions(n)
	if !ok || len(n.args) != 3 {
		m.errorf(n, "want codeaction(pos, title, golden)")
		return
	}
	var titles []string
	for _, a := range acts {
		titles = append(titles, a.Title)
		if a.Title != n.args[1].str {
			continue
		}
		if isNone(n.args[2:]) {
			m.errorf(n, "code action %q offered", a.Title)
			return
		}
		m.golden(n, n.args[2].ident, m.applyWorkspaceEdit(n, a.Edit))
		return
	}
	if !isNone(n.args[2:]) {
		m.errorf(n, "no code action %q; got %q", n.args[1].str, titles)
		m.usedGolden["@"+n.args[2].ident] = true
	}
}

// codeactions(pos, titles…): the titles of the code actions at pos.
func (m *markerRun) codeactions(n *note) {
	acts, ok := m.codeActions(n)
	if !ok {
		return
	}
	got := []string{}
	for _, a := range acts {
		got = append(got, a.Title)
	}
	m.diff(n, "code actions", strs(n.args[1:]), got)
}

// fold(pos, lines[, "kind"]): a folding range starts on pos's line and ends
// that many lines below.
func (m *markerRun) fold(n *note) {
	p, folds, ok := pointAnd(m, n, m.foldingRanges)
	if !ok || !n.args[1].isNum {
		m.errorf(n, "want fold(pos, lines[, kind])")
		return
	}
	want := fmt.Sprintf("%d-%d", p.Line+1, int(p.Line)+1+n.args[1].num)
	if len(n.args) > 2 {
		want += " " + n.args[2].str
	}
	var got []string
	for _, f := range folds {
		if f.StartLine == p.Line {
			s := fmt.Sprintf("%d-%d", f.StartLine+1, f.EndLine+1)
			if len(n.args) > 2 {
				s += " " + string(f.Kind)
			}
			got = append(got, s)
		}
	}
	if !contains(got, want) {
		m.errorf(n, "no folding range %s; those on the line: %q", want, got)
	}
}

func (m *markerRun) foldingRanges(n *note) ([]protocol.FoldingRange, bool) {
	folds, err := m.s.server.FoldingRanges(m.s.ctx, &protocol.FoldingRangeParams{TextDocument: m.doc(n)})
	if err != nil {
		m.errorf(n, "%v", err)
		return nil, false
	}
	return folds, true
}

// folding(golden): every folding range of the file, one a line:
// start-end kind | first line.
func (m *markerRun) folding(n *note) {
	folds, ok := m.foldingRanges(n)
	g, golden := goldenArg(n.args)
	if !ok || !golden {
		m.errorf(n, "want folding(golden)")
		return
	}
	sort.SliceStable(folds, func(i, j int) bool {
		return folds[i].StartLine < folds[j].StartLine || folds[i].StartLine == folds[j].StartLine && folds[i].EndLine > folds[j].EndLine
	})
	t := m.texts[n.file]
	var b strings.Builder
	for _, f := range folds {
		kind := string(f.Kind)
		if kind == "" {
			kind = "-"
		}
		fmt.Fprintf(&b, "%d-%d %s | %s\n", f.StartLine+1, f.EndLine+1, kind, strings.TrimSpace(t.line(int(f.StartLine))))
	}
	m.golden(n, g, b.String())
}

// symbolKinds names the LSP symbol kinds.
var symbolKinds = []string{"", "File", "Module", "Namespace", "Package", "Class", "Method", "Property", "Field", "Constructor",
	"Enum", "Interface", "Function", "Variable", "Constant", "String", "Number", "Boolean", "Array", "Object", "Key", "Null",
	"EnumMember", "Struct", "Event", "Operator", "TypeParameter"}

func kindName(k protocol.SymbolKind) string {
	if int(k) < len(symbolKinds) {
		return symbolKinds[k]
	}
	return fmt.Sprint(uint32(k))
}

func (m *markerRun) documentSymbols(n *note) ([]protocol.DocumentSymbol, bool) {
	res, err := m.s.server.DocumentSymbol(m.s.ctx, &protocol.DocumentSymbolParams{TextDocument: m.doc(n)})
	if err != nil {
		m.errorf(n, "%v", err)
		return nil, false
	}
	syms, ok := res.(protocol.DocumentSymbolSlice)
	if !ok && res != nil {
		m.errorf(n, "document symbols of type %T", res)
	}
	return syms, true
}

// symbol(pos, "Kind"[, "detail"]): a document symbol whose name starts at
// pos has that kind (and detail).
func (m *markerRun) symbol(n *note) {
	p, syms, ok := pointAnd(m, n, m.documentSymbols)
	if !ok {
		return
	}
	got := "no symbol"
	var walk func([]protocol.DocumentSymbol)
	walk = func(ss []protocol.DocumentSymbol) {
		for _, s := range ss {
			if s.SelectionRange.Start == p {
				got = s.Name + " " + kindName(s.Kind)
				if len(n.args) > 2 && s.Detail != nil {
					got += " " + *s.Detail
				}
			}
			walk(s.Children)
		}
	}
	walk(syms)
	want := kindName(0)
	if name, ok := symbolAt(m.texts[n.file], p); ok {
		want = name
	}
	want += " " + strings.Join(strs(n.args[1:]), " ")
	m.diff(n, "document symbol", want, got)
}

// symbolAt returns the name (a run of identifier characters, or a quoted
// string) starting at p.
func symbolAt(t *text, p protocol.Position) (string, bool) {
	off, err := t.offset(p)
	if err != nil {
		return "", false
	}
	rest := t.src[off:]
	end := strings.IndexFunc(rest, func(r rune) bool {
		return !(r == '_' || r == '$' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
	if end < 0 {
		end = len(rest)
	}
	return rest[:end], end > 0
}

// symbols(golden): the outline of the file, one symbol a line, children
// indented: name kind [detail] line.
func (m *markerRun) symbols(n *note) {
	syms, ok := m.documentSymbols(n)
	g, golden := goldenArg(n.args)
	if !ok || !golden {
		m.errorf(n, "want symbols(golden)")
		return
	}
	var b strings.Builder
	var walk func([]protocol.DocumentSymbol, string)
	walk = func(ss []protocol.DocumentSymbol, indent string) {
		for _, s := range ss {
			detail := ""
			if s.Detail != nil && *s.Detail != "" {
				detail = " [" + *s.Detail + "]"
			}
			fmt.Fprintf(&b, "%s%s %s%s %d-%d\n", indent, s.Name, kindName(s.Kind), detail, s.Range.Start.Line+1, s.Range.End.Line+1)
			walk(s.Children, indent+"  ")
		}
	}
	walk(syms, "")
	m.golden(n, g, b.String())
}

// wsymbol("query", names… | golden): the workspace symbols matching the
// query are those names, in order (or the golden lines: name kind
// location).
func (m *markerRun) wsymbol(n *note) {
	if len(n.args) == 0 || !n.args[0].isStr {
		m.errorf(n, "want wsymbol(query, names…)")
		return
	}
	res, err := m.s.server.Symbols(m.s.ctx, &protocol.WorkspaceSymbolParams{Query: n.args[0].str})
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	names := []string{}
	var b strings.Builder
	if syms, ok := res.(protocol.SymbolInformationSlice); ok {
		for _, s := range syms {
			names = append(names, s.Name)
			fmt.Fprintf(&b, "%s %s %s\n", s.Name, kindName(s.Kind), m.name(s.Location))
		}
	}
	if g, golden := goldenArg(n.args[1:]); golden {
		m.golden(n, g, b.String())
		return
	}
	m.diff(n, "workspace symbols", strs(n.args[1:]), names)
}

// format(golden | none): formatting the file gives the golden text (or
// changes nothing).
func (m *markerRun) format(n *note) {
	edits, err := m.s.server.Formatting(m.s.ctx, &protocol.DocumentFormattingParams{TextDocument: m.doc(n)})
	m.formatted(n, n.args, edits, err)
}

// rangeformat(from, to, golden | none): formatting the range [from, to)
// gives the golden text (or changes nothing).
func (m *markerRun) rangeformat(n *note) {
	from, ok1 := m.location(n, n.args[0])
	to, ok2 := m.location(n, n.args[1])
	if !ok1 || !ok2 {
		return
	}
	edits, err := m.s.server.RangeFormatting(m.s.ctx, &protocol.DocumentRangeFormattingParams{TextDocument: m.doc(n),
		Range: protocol.Range{Start: from.Range.Start, End: to.Range.Start}})
	m.formatted(n, n.args[2:], edits, err)
}

// formatted checks formatting edits against want: a golden or none.
func (m *markerRun) formatted(n *note, want []markerArg, edits []protocol.TextEdit, err error) {
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	if isNone(want) {
		if len(edits) > 0 {
			m.errorf(n, "formatting edits %v, want none", edits)
		}
		return
	}
	g, golden := goldenArg(want)
	if !golden {
		m.errorf(n, "want a golden section or none")
		return
	}
	m.golden(n, g, applyEdits(m.t, m.texts[n.file].src, edits))
}

// codelens(pos, titles…): the titles of the code lenses on pos's line.
func (m *markerRun) codelens(n *note) {
	l, ok := m.location(n, n.args[0])
	if !ok {
		return
	}
	lenses, err := m.s.server.CodeLens(m.s.ctx, &protocol.CodeLensParams{TextDocument: m.doc(n)})
	if err != nil {
		m.errorf(n, "%v", err)
		return
	}
	got := []string{}
	for _, c := range lenses {
		if c.Range.Start.Line == l.Range.Start.Line {
			got = append(got, c.Command.Title)
		}
	}
	m.diff(n, "code lenses", strs(n.args[1:]), got)
}

// severityNames names the diagnostic severities.
var severityNames = map[protocol.DiagnosticSeverity]string{
	protocol.DiagnosticSeverityError: "error", protocol.DiagnosticSeverityWarning: "warning",
	protocol.DiagnosticSeverityInformation: "info", protocol.DiagnosticSeverityHint: "hint",
}

// published returns the diagnostics last published for u.
func (m *markerRun) published(u uri.URI) []protocol.Diagnostic {
	ds, _ := m.s.client.Diagnostics(u)
	return ds
}

// diagMatches reports whether d is what the diag note n expects.
func (m *markerRun) diagMatches(n *note, d protocol.Diagnostic) bool {
	l, ok := m.location(n, n.args[0])
	if !ok || len(n.args) < 2 || d.Range.Start != l.Range.Start || !strings.Contains(diagText(d), n.args[1].str) {
		return false
	}
	if len(n.args) > 2 && severityNames[d.Severity] != n.args[2].ident {
		return false
	}
	if len(n.args) > 3 {
		end, ok := m.location(n, n.args[3])
		return ok && d.Range.End == end.Range.Start
	}
	return true
}

// waitDiagnostics waits until every open file has diagnostics published
// and those its diag markers expect.
func (m *markerRun) waitDiagnostics(files []string) {
	for _, f := range files {
		var want []*note
		for _, n := range m.notes {
			if n.verb == "diag" && n.file == f {
				want = append(want, n)
			}
		}
		// A guard against hangs, not a timing check.
		if _, ok := m.s.client.AwaitDiags(m.uri(f), func(ds []protocol.Diagnostic) bool { return m.allExpected(want, ds) }, 10*time.Second); !ok {
			m.t.Errorf("%s: the expected diagnostics were not published", f)
		}
	}
}

// allExpected reports whether every diag note of want matches one of ds.
func (m *markerRun) allExpected(want []*note, ds []protocol.Diagnostic) bool {
next:
	for _, n := range want {
		for _, d := range ds {
			if m.diagMatches(n, d) {
				continue next
			}
		}
		return false
	}
	return true
}

// diag(pos, "substring"[, severity[, end]]): a published diagnostic starts
// at pos with a message containing the substring (and that severity:
// error, warning, info, hint; and ends at end).
func (m *markerRun) diag(n *note) {
	if len(n.args) < 2 || !n.args[1].isStr {
		m.errorf(n, "want diag(pos, substring[, severity])")
		return
	}
	l, ok := m.location(n, n.args[0])
	if !ok {
		return
	}
	var got []string
	for _, d := range m.published(l.URI) {
		if m.diagMatches(n, d) {
			return
		}
		got = append(got, fmt.Sprintf("%d:%d %s %q", d.Range.Start.Line+1, d.Range.Start.Character+1, severityNames[d.Severity], diagText(d)))
	}
	m.errorf(n, "no diagnostic %q; published:\n%s", n.args[1].str, strings.Join(got, "\n"))
}

// unmatchedDiagnostics reports the published diagnostics no diag marker
// expects.
func (m *markerRun) unmatchedDiagnostics(files []string) {
	for _, f := range files {
	next:
		for _, d := range m.published(m.uri(f)) {
			for _, n := range m.notes {
				if n.verb == "diag" && n.file == f && m.diagMatches(n, d) {
					continue next
				}
			}
			m.t.Errorf("%s:%d:%d: unexpected diagnostic (%s) %q", f, d.Range.Start.Line+1, d.Range.Start.Character+1, severityNames[d.Severity], diagText(d))
		}
	}
}
