package eval

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// bindState connects an evaluation to the resolved program it runs on
// (Config.Program): the syntax trees it takes from it, the package of each
// tree for its bindings, and the frame layouts of lambdas.
type bindState struct {
	// files are the program's trees by path; pkgOf the package of each.
	files map[string]*syntax.File
	pkgOf map[*syntax.File]*sema.Package
	// slots caches sema.LambdaSlots per lambda.
	slots map[*syntax.LambdaExpr][]string
}

func (b *bindState) init(prog *sema.Program) {
	b.slots = map[*syntax.LambdaExpr][]string{}
	if prog == nil {
		return
	}
	b.files = map[string]*syntax.File{}
	b.pkgOf = map[*syntax.File]*sema.Package{}
	for _, p := range prog.EvalPackages() {
		for _, f := range p.Files {
			b.files[f.Filename] = f
			b.pkgOf[f] = p
		}
	}
}

// of returns the bindings of the package made of files (nil when they do
// not come from the resolved program).
func (b *bindState) of(files []*syntax.File) map[*syntax.Ident]sema.Binding {
	if len(files) == 0 || b.pkgOf == nil {
		return nil
	}
	p := b.pkgOf[files[0]]
	if p == nil {
		return nil
	}
	for _, f := range files[1:] {
		if b.pkgOf[f] != p {
			return nil
		}
	}
	return p.Bindings()
}

// resolvedFile returns the resolved program's tree of the file at path,
// nil when the program has none (or names it differently).
func (e *evaluator) resolvedFile(path, display string) *syntax.File {
	if f := e.bind.files[path]; f != nil && f.Filename == display {
		return f
	}
	return nil
}

// lambdaSlots returns the frame layout of a lambda's calls.
func (e *evaluator) lambdaSlots(lam *syntax.LambdaExpr) []string {
	s, ok := e.bind.slots[lam]
	if !ok {
		s = sema.LambdaSlots(lam)
		e.bind.slots[lam] = s
	}
	return s
}

// ident returns the value of the name expression id, through its binding
// when the resolver recorded one:
//
//   - a local or loop variable is read from the slot of its owner's frame;
//   - a global, imported package or builtin from the package's top level;
//   - in a schema body, a schema attribute, and a global the schema does
//     not declare (Binding.Instance), is first asked of the instance by
//     name: KCL is dynamic there, a subclass's attribute, a mixin's host
//     attribute or a relaxed key of an index signature decides at run
//     time;
//
// without looking at the frames in between (the resolver made sure none
// of them can hold the name). The name is looked up through the frames
// when there is no binding (no resolved program, `--resolve on-error`,
// code the resolver did not see), for the dynamic kinds (keys of config
// literals, which later entries see only once written; names a lambda
// assigns in an outer lambda's frame), for names the resolver could not
// resolve, and for a local whose slot is not set yet (read before its
// assignment, which then finds an outer definition).
func (e *evaluator) ident(sc *scope, id *syntax.Ident) (value.Value, bool) {
	if sc.pkg != nil && sc.pkg.binds != nil {
		if b, ok := sc.pkg.binds[id]; ok {
			switch b.Kind {
			case sema.BindLocal, sema.BindCompVar:
				for s := sc; s != nil; s = s.parent {
					if s.owner == b.Owner && s.kind == frLocal {
						if i := int(b.Index); i < len(s.vals) && s.names[i] == id.Name && s.vals[i] != nil {
							return s.vals[i], true
						}
						break
					}
				}
			case sema.BindGlobal, sema.BindPackage, sema.BindBuiltin:
				if !b.Instance {
					return e.lookupTop(sc, id.Name, b.Kind)
				}
				if s := schemaFrame(sc); s != nil {
					if v, ok := s.inst.read(id.Name); ok {
						return v, true
					}
					return e.lookupTop(sc, id.Name, b.Kind)
				}
			case sema.BindSchemaAttr:
				if s := schemaFrame(sc); s != nil {
					if v, ok := s.inst.read(id.Name); ok {
						return v, true
					}
					// A parameter: the frame above the instance's.
					return e.lookup(s.parent, id.Name)
				}
			}
		}
	}
	return e.lookup(sc, id.Name)
}

// schemaFrame returns the innermost schema-instance frame of the chain.
func schemaFrame(sc *scope) *scope {
	for s := sc; s != nil; s = s.parent {
		if s.kind == frSchema && s.inst != nil {
			return s
		}
	}
	return nil
}

// lookupTop looks name up in the top level of the code's package and the
// builtins: the end of lookup's walk. For a name the resolver bound to a
// builtin the imports are not searched: the resolver saw every import of
// the package.
func (e *evaluator) lookupTop(sc *scope, name string, kind sema.BindingKind) (value.Value, bool) {
	if v, ok := sc.pkg.topValue(sc.file, name, kind != sema.BindBuiltin); ok {
		return v, true
	}
	v, ok := e.builtins[name]
	return v, ok
}

// topValue returns the value of name at the top level of p for code of file f:
// a global (running its setters as needed), a schema or rule, then, with
// imports, a package imported by f or by any file of p.
func (p *pkg) topValue(f *syntax.File, name string, imports bool) (value.Value, bool) {
	if p.lz.has(name) {
		return p.lz.read(name), true
	}
	if v, ok := p.lz.vals.Get(name); ok {
		return v, true
	}
	if !imports {
		return nil, false
	}
	if f != nil {
		if v, ok := p.imports[f][name]; ok {
			return v, true
		}
	}
	for _, g := range p.files {
		if v, ok := p.imports[g][name]; ok {
			return v, true
		}
	}
	return nil, false
}
