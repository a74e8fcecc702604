package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

// Completion answers textDocument/completion from the syntax tree around
// the cursor (completion_ctx.go) and the schema catalog: attributes of the
// schema expected in a config block (required first, already-set ones left
// out, plus a snippet with every required attribute), values of
// literal-union and bool attributes, schema names where an instance starts,
// import paths, package and system-module members, option() keys of the
// stack, and otherwise the names in scope, builtins and keywords.
func (s *server) Completion(ctx context.Context, params *protocol.CompletionParams) (protocol.CompletionResult, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil {
		return nil, err
	}
	snap, path, t, off, prog, cat := a.snap, a.path, a.text, a.off, a.prog, a.cat
	cx := completionContext(s.parse(path, t.src).file, off)
	c := &completer{s: s, prog: prog, cat: cat, path: path, off: off, word: cx.word}
	switch cx.kind {
	case ckImport:
		c.imports(cx.importPrefix)
	case ckOption:
		c.options()
	case ckMember:
		if cx.memberStr {
			c.strMethods()
		} else {
			c.members(cx.member)
		}
	case ckKey, ckValue:
		exp := s.withOtherDeclarations(snap, path, c.expected(cx))
		switch {
		case exp == nil || exp.Schema == nil:
			if cx.kind == ckValue {
				c.schemaNames()
			}
			c.scope()
		case cx.kind == ckKey:
			c.attributes(exp)
		default:
			if a := exp.Schema.Attr(cx.attr); a != nil {
				c.values(a, cx.inString)
				if a.SchemaType != "" && !cx.inString {
					c.schemaNames()
				}
			}
			if len(c.items) == 0 {
				c.scope()
			}
		}
	case ckSchemaPos:
		c.schemaNames()
		c.scope()
	default:
		c.scope()
	}
	sort.SliceStable(c.items, func(i, j int) bool { return sortKey(c.items[i]) < sortKey(c.items[j]) })
	return &protocol.CompletionList{IsIncomplete: false, Items: c.items}, nil
}

// expected is what the config block of the context expects: the
// resolver's answer inside the block; for a cursor after an unclosed block
// (or in a block the resolver recorded no type for), the schema named by
// the instance expression.
func (c *completer) expected(cx complCtx) *schema.Expected {
	ce := cx.config
	if ce == nil {
		return nil
	}
	probe := c.off
	if probe >= ce.Stop.Offset {
		probe = ce.Stop.Offset - 1
	}
	if probe > ce.Start.Offset {
		if exp := c.cat.ExpectedAtOffset(c.path, probe); exp != nil {
			return exp
		}
	}
	if cx.schemaExpr == nil || cx.schemaExpr.Name == nil {
		return nil
	}
	var sym *sema.Symbol
	if o := c.prog.SymbolAtOffset(c.path, cx.schemaExpr.Name.End().Offset-1); o != nil {
		sym = o.Sym
	}
	if sym == nil || sym.Schema == nil {
		return nil
	}
	sc := c.cat.Of(sym.Schema)
	if sc == nil {
		return nil
	}
	exp := &schema.Expected{Schema: sc, Type: sc.Name, Block: sema.Location{File: c.path, Start: ce.Start, End: ce.Stop}}
	set := map[string]bool{}
	for _, en := range ce.Entries {
		if en == nil || en.Key == nil {
			continue
		}
		if names, ok := syntax.DottedName(en.Key); ok && !set[names[0]] {
			set[names[0]] = true
			exp.Set = append(exp.Set, names[0])
		}
	}
	for _, a := range sc.Required() {
		if !set[a.Name] {
			exp.Missing = append(exp.Missing, a.Name)
		}
	}
	return exp
}

func sortKey(it protocol.CompletionItem) string {
	if k, ok := it.SortText.Get(); ok {
		return k
	}
	return "5" + it.Label
}

type completer struct {
	s     *server
	prog  *sema.Program
	cat   *schema.Catalog
	path  string
	off   int
	word  string
	items []protocol.CompletionItem
	seen  map[string]bool
}

func (c *completer) add(it protocol.CompletionItem) {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	key := it.Label + "\x00" + fmt.Sprint(it.Kind)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.items = append(c.items, it)
}

func markdown(s string) protocol.InlayHintTooltip {
	return &protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: s}
}

// attributes offers the attributes of the expected schema not yet set.
func (c *completer) attributes(exp *schema.Expected) {
	set := map[string]bool{}
	for _, k := range exp.Set {
		set[k] = true
	}
	// A half-typed key is in Set too; do not hide the attribute being typed.
	if c.word != "" {
		delete(set, c.word)
	}
	for _, a := range exp.Schema.Attributes {
		if set[a.Name] || strings.HasPrefix(a.Name, "_") {
			continue
		}
		required := !a.Optional && !a.HasDefault
		rank := "2"
		if required {
			rank = "1"
		}
		detail := a.Type
		if a.HasDefault {
			detail += " = " + a.Default
		}
		if required {
			detail += " (required)"
		}
		doc := fmt.Sprintf("```kcl\n%s%s: %s\n```\n", a.Name, map[bool]string{true: "?"}[a.Optional], a.Type)
		if a.Doc != "" {
			doc += "\n" + a.Doc
		}
		op := " = "
		insert := a.Name + op + "${0}"
		switch {
		case strings.HasPrefix(a.Type, "["):
			insert = a.Name + " = [\n\t${0}\n]"
		case a.SchemaType != "" || strings.HasPrefix(a.Type, "{"):
			insert = a.Name + ": {\n\t${0}\n}"
		}
		c.add(protocol.CompletionItem{
			Label:            a.Name,
			Kind:             protocol.CompletionItemKindField,
			Detail:           protocol.NewOptional(detail),
			Documentation:    markdown(doc),
			SortText:         protocol.NewOptional(rank + a.Name),
			InsertText:       protocol.NewOptional(insert),
			InsertTextFormat: protocol.InsertTextFormatSnippet,
			FilterText:       protocol.NewOptional(a.Name),
		})
	}
	if len(exp.Missing) > 0 && c.word == "" {
		var lines []string
		for i, m := range exp.Missing {
			lines = append(lines, fmt.Sprintf("%s = ${%d}", m, i+1))
		}
		c.add(protocol.CompletionItem{
			Label:            "required attributes of " + exp.Schema.Name,
			Kind:             protocol.CompletionItemKindSnippet,
			Detail:           protocol.NewOptional(strings.Join(exp.Missing, ", ")),
			SortText:         protocol.NewOptional("0"),
			InsertText:       protocol.NewOptional(strings.Join(lines, "\n")),
			InsertTextFormat: protocol.InsertTextFormatSnippet,
		})
	}
}

// values offers the values of literal-union and bool attribute types
// (types print as `str(TCP) | str(UDP)`, `int(1)`, `bool`).
func (c *completer) values(a *schema.Attribute, inString bool) {
	for _, part := range strings.Split(a.Type, "|") {
		v := strings.TrimSpace(part)
		switch {
		case v == "bool" && !inString:
			c.addValue("True")
			c.addValue("False")
		case strings.HasPrefix(v, "str(") && strings.HasSuffix(v, ")"):
			lit := v[len("str(") : len(v)-1]
			if inString {
				c.addValue(lit)
			} else {
				c.addValue(strconv.Quote(lit))
			}
		case !inString && (strings.HasPrefix(v, "int(") || strings.HasPrefix(v, "float(") || strings.HasPrefix(v, "bool(")) && strings.HasSuffix(v, ")"):
			c.addValue(v[strings.IndexByte(v, '(')+1 : len(v)-1])
		case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'"):
			if inString {
				c.addValue(strings.Trim(v, `"'`))
			} else {
				c.addValue(v)
			}
		}
	}
}

func (c *completer) addValue(v string) {
	c.add(protocol.CompletionItem{Label: v, Kind: protocol.CompletionItemKindEnumMember, SortText: protocol.NewOptional("1" + v)})
}

// schemaNames offers the schemas reachable from the file: the package's own
// and those of imported packages, qualified by the import name.
func (c *completer) schemaNames() {
	pkg := c.prog.Package(sema.MainPkg)
	fileScope := c.fileScope()
	for _, sc := range c.cat.Schemas() {
		if sc.Kind == "mixin" || sc.Kind == "protocol" {
			continue
		}
		label := ""
		if pkg != nil && sc.PkgPath == sema.MainPkg {
			label = sc.Name
		} else if fileScope != nil {
			for name, sym := range fileScope.Names {
				if sym.Kind == sema.SymPackage && sym.Target == sc.PkgPath {
					label = name + "." + sc.Name
				}
			}
		}
		if label == "" {
			continue
		}
		c.add(c.schemaItem(label, sc))
	}
}

func (c *completer) schemaItem(label string, sc *schema.Schema) protocol.CompletionItem {
	doc := "```kcl\n" + sc.Kind + " " + sc.Name + "\n```\n"
	if sc.Summary != "" {
		doc += "\n" + strings.TrimSpace(sc.Summary)
	}
	var lines []string
	for i, a := range sc.Required() {
		lines = append(lines, fmt.Sprintf("\t%s = ${%d}", a.Name, i+1))
	}
	insert := label + " {\n" + strings.Join(lines, "\n")
	if len(lines) > 0 {
		insert += "\n"
	} else {
		insert += "\t${0}\n"
	}
	insert += "}"
	return protocol.CompletionItem{
		Label:            label,
		Kind:             protocol.CompletionItemKindStruct,
		Detail:           protocol.NewOptional(sc.FQN),
		Documentation:    markdown(doc),
		SortText:         protocol.NewOptional("3" + label),
		InsertText:       protocol.NewOptional(insert),
		InsertTextFormat: protocol.InsertTextFormatSnippet,
		FilterText:       protocol.NewOptional(label),
	}
}

func (c *completer) fileScope() *sema.Scope {
	for _, p := range c.prog.Packages() {
		if pkg := c.prog.Package(p); pkg != nil {
			if fs := pkg.FileScopes[c.path]; fs != nil {
				return fs
			}
		}
	}
	return nil
}

// members offers the members of an imported package or system module.
func (c *completer) members(name string) {
	var target string
	if fs := c.fileScope(); fs != nil {
		if sym := fs.Names[name]; sym != nil && sym.Kind == sema.SymPackage {
			target = sym.Target
		}
	}
	b := c.prog.Builtins()
	if target == "" && b.IsSystemModule(name) {
		target = name
	}
	if target == "" {
		if name == "" {
			return
		}
		// A str value: offer the str methods.
		c.strMethods()
		return
	}
	if mod, ok := b.Modules[target]; ok {
		for m, t := range mod {
			kind := protocol.CompletionItemKindFunction
			if t.Func == nil {
				kind = protocol.CompletionItemKindConstant
			}
			c.add(protocol.CompletionItem{Label: m, Kind: kind, Detail: protocol.NewOptional(m + funcSig(t))})
		}
		return
	}
	pkg := c.prog.Package(target)
	if pkg == nil || pkg.Scope == nil {
		return
	}
	for n, sym := range pkg.Scope.Names {
		if strings.HasPrefix(n, "_") {
			continue
		}
		if sym.Kind == sema.SymSchema && sym.Schema != nil {
			if sc := c.cat.Of(sym.Schema); sc != nil {
				it := c.schemaItem(n, sc)
				c.add(it)
				continue
			}
		}
		c.add(protocol.CompletionItem{Label: n, Kind: symbolItemKind(sym), Detail: protocol.NewOptional(sym.Type.String())})
	}
}

// strMethods offers the methods of str values.
func (c *completer) strMethods() {
	for m, t := range c.prog.Builtins().StrMethods {
		c.add(protocol.CompletionItem{Label: m, Kind: protocol.CompletionItemKindMethod, Detail: protocol.NewOptional(m + funcSig(t))})
	}
}

func symbolItemKind(sym *sema.Symbol) protocol.CompletionItemKind {
	switch sym.Kind {
	case sema.SymSchema:
		return protocol.CompletionItemKindStruct
	case sema.SymRule:
		return protocol.CompletionItemKindInterface
	case sema.SymAttr, sema.SymKey:
		return protocol.CompletionItemKindField
	case sema.SymPackage:
		return protocol.CompletionItemKindModule
	case sema.SymBuiltin:
		return protocol.CompletionItemKindFunction
	case sema.SymTypeAlias:
		return protocol.CompletionItemKindTypeParameter
	}
	if sym.Type != nil && sym.Type.Kind == sema.KFunc {
		return protocol.CompletionItemKindFunction
	}
	return protocol.CompletionItemKindVariable
}

// imports offers importable packages under the module root and the system
// modules.
func (c *completer) imports(prefix string) {
	for m := range c.prog.Builtins().Modules {
		c.add(protocol.CompletionItem{Label: m, Kind: protocol.CompletionItemKindModule, Detail: protocol.NewOptional("system module")})
	}
	root := c.prog.ModRoot()
	dir := root
	parts := strings.Split(prefix, ".")
	base := strings.Join(parts[:len(parts)-1], ".")
	if base != "" {
		dir = filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(base, ".", "/")))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			continue
		}
		label := ""
		switch {
		case e.IsDir() && hasKCL(filepath.Join(dir, n)):
			label = n
		case !e.IsDir() && loader.IsSource(n):
			label = strings.TrimSuffix(n, ".k")
		}
		if label == "" || filepath.Join(dir, n) == c.path {
			continue
		}
		full := label
		if base != "" {
			full = base + "." + label
		}
		c.add(protocol.CompletionItem{Label: label, Kind: protocol.CompletionItemKindModule, Detail: protocol.NewOptional(full)})
	}
}

// hasKCL reports whether dir holds .k files at any depth (bounded).
func hasKCL(dir string) bool {
	found := false
	depth := strings.Count(dir, string(filepath.Separator))
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipAll
		}
		if d.IsDir() && strings.Count(p, string(filepath.Separator))-depth > 4 {
			return filepath.SkipDir
		}
		if !d.IsDir() && loader.IsKCL(p) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// options offers the option() keys of the stack's settings.
func (c *completer) options() {
	u := c.s.unitFor(c.path)
	if u.stack == nil {
		return
	}
	for _, o := range u.stack.Options {
		c.add(protocol.CompletionItem{Label: o.Key, Kind: protocol.CompletionItemKindConstant, Detail: protocol.NewOptional(fmt.Sprintf("= %v", o.Value))})
	}
}

// scope offers the names visible in the file: package and file scope,
// builtins and keywords.
func (c *completer) scope() {
	if fs := c.fileScope(); fs != nil {
		for n, sym := range fs.Names {
			c.add(protocol.CompletionItem{Label: n, Kind: symbolItemKind(sym), Detail: protocol.NewOptional(sym.Type.String())})
		}
		for p := fs.Parent; p != nil; p = p.Parent {
			if p.Kind == sema.ScopeBuiltin {
				break
			}
			for n, sym := range p.Names {
				c.add(protocol.CompletionItem{Label: n, Kind: symbolItemKind(sym), Detail: protocol.NewOptional(sym.Type.String())})
			}
		}
	}
	if pkg := c.prog.Package(sema.MainPkg); pkg != nil && pkg.Scope != nil {
		for n, sym := range pkg.Scope.Names {
			c.add(protocol.CompletionItem{Label: n, Kind: symbolItemKind(sym), Detail: protocol.NewOptional(sym.Type.String())})
		}
	}
	for n, t := range c.prog.Builtins().Funcs {
		c.add(protocol.CompletionItem{Label: n, Kind: protocol.CompletionItemKindFunction, Detail: protocol.NewOptional(n + funcSig(t)), SortText: protocol.NewOptional("7" + n)})
	}
	for _, k := range []string{"import", "schema", "mixin", "protocol", "rule", "check", "assert", "if", "elif", "else", "for", "in", "lambda", "type", "True", "False", "None", "Undefined", "and", "or", "not", "is", "as", "all", "any", "map", "filter"} {
		c.add(protocol.CompletionItem{Label: k, Kind: protocol.CompletionItemKindKeyword, SortText: protocol.NewOptional("8" + k)})
	}
}
