package lsp

import (
	"context"
	"sort"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// The semantic token legend: types, then modifiers (a bit set).
var (
	tokenTypes     = []string{"namespace", "type", "class", "interface", "parameter", "variable", "property", "function", "decorator", "string", "number", "comment", "keyword", "enumMember"}
	tokenModifiers = []string{"declaration", "readonly", "defaultLibrary"}
)

const (
	ttNamespace = iota
	ttType
	ttClass
	ttInterface
	ttParameter
	ttVariable
	ttProperty
	ttFunction
	ttDecorator
	ttString
	ttNumber
	ttComment
	ttKeyword
	ttEnumMember
)

const (
	tmDeclaration = 1 << iota
	tmReadonly
	tmDefaultLibrary
)

type semToken struct {
	start, end syntax.Pos
	typ, mods  int
}

// SemanticTokensFull answers textDocument/semanticTokens/full: every name
// classified by what it resolves to (schemas, attributes, variables,
// functions, packages, parameters), with strings, numbers and comments.
func (s *server) SemanticTokensFull(ctx context.Context, params *protocol.SemanticTokensParams) (*protocol.SemanticTokens, error) {
	snap, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	f := s.parse(path, t.src).file
	var toks []semToken
	if prog, _, err := s.program(ctx, snap, path); err == nil {
		for _, o := range prog.Occurrences(path) {
			typ, mods, ok := occurrenceToken(o)
			if ok {
				toks = append(toks, semToken{o.Start, o.End, typ, mods})
			}
		}
	}
	syntax.Inspect(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.StringLit:
			toks = append(toks, semToken{n.Pos(), n.End(), ttString, 0})
		case *syntax.JoinedString:
			for _, p := range n.Parts {
				if lit, ok := p.(*syntax.StringLit); ok {
					toks = append(toks, semToken{lit.Pos(), lit.End(), ttString, 0})
				}
			}
		case *syntax.NumberLit:
			toks = append(toks, semToken{n.Pos(), n.End(), ttNumber, 0})
		case *syntax.NameConstant:
			toks = append(toks, semToken{n.Pos(), n.End(), ttKeyword, 0})
		case *syntax.Decorator:
			toks = append(toks, semToken{n.Name.Pos(), n.Name.End(), ttDecorator, 0})
		}
		return true
	})
	for _, c := range f.Comments {
		toks = append(toks, semToken{c.Pos(), c.End(), ttComment, 0})
	}
	return &protocol.SemanticTokens{Data: encodeTokens(t, toks)}, nil
}

func occurrenceToken(o *sema.Occurrence) (typ, mods int, ok bool) {
	if o.Def {
		mods |= tmDeclaration
	}
	if o.Sym == nil {
		if o.Role == sema.RoleKey {
			return ttProperty, mods, true
		}
		return 0, 0, false
	}
	switch o.Sym.Kind {
	case sema.SymSchema:
		if o.Sym.Schema != nil && o.Sym.Schema.Kind == sema.SchemaProtocol {
			return ttInterface, mods, true
		}
		return ttClass, mods, true
	case sema.SymRule:
		return ttInterface, mods, true
	case sema.SymAttr, sema.SymKey:
		return ttProperty, mods, true
	case sema.SymParam:
		return ttParameter, mods, true
	case sema.SymLoopVar:
		return ttVariable, mods, true
	case sema.SymTypeAlias:
		return ttType, mods, true
	case sema.SymPackage:
		return ttNamespace, mods, true
	case sema.SymBuiltin:
		return ttFunction, mods | tmDefaultLibrary, true
	case sema.SymVar:
		if o.Sym.Type != nil && o.Sym.Type.Kind == sema.KFunc {
			return ttFunction, mods, true
		}
		if o.Sym.Global && len(o.Name) > 0 && o.Name[0] != '_' {
			mods |= tmReadonly
		}
		return ttVariable, mods, true
	}
	return 0, 0, false
}

// encodeTokens sorts the tokens, drops overlaps (the first wins), splits
// multi-line ones per line and encodes them relative to each other.
func encodeTokens(t *text, toks []semToken) []uint32 {
	sort.SliceStable(toks, func(i, j int) bool { return toks[i].start.Offset < toks[j].start.Offset })
	data := []uint32{}
	var prevLine, prevChar uint32
	lastEnd := -1
	emit := func(line, char, length uint32, typ, mods int) {
		dl := line - prevLine
		dc := char
		if dl == 0 {
			dc = char - prevChar
		}
		data = append(data, dl, dc, length, uint32(typ), uint32(mods))
		prevLine, prevChar = line, char
	}
	for _, tk := range toks {
		if tk.start.Offset < lastEnd || tk.end.Offset <= tk.start.Offset {
			continue
		}
		lastEnd = tk.end.Offset
		start := t.position(tk.start.Offset)
		end := t.position(tk.end.Offset)
		for line := start.Line; line <= end.Line; line++ {
			from := uint32(0)
			if line == start.Line {
				from = start.Character
			}
			to := uint32(utf16Len(t.line(int(line))))
			if line == end.Line {
				to = end.Character
			}
			if to > from {
				emit(line, from, to-from, tk.typ, tk.mods)
			}
		}
	}
	return data
}
