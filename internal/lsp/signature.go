package lsp

import (
	"context"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// SignatureHelp answers textDocument/signatureHelp for the innermost call
// around the cursor: builtins, system-module functions, lambdas and schema
// constructors with arguments, with the active parameter.
func (s *server) SignatureHelp(ctx context.Context, params *protocol.SignatureHelpParams) (*protocol.SignatureHelp, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil {
		return nil, err
	}
	prog, path, off := a.prog, a.path, a.off
	f := prog.File(path)
	if f == nil {
		return nil, nil
	}
	var call *syntax.CallExpr
	syntax.Inspect(f, func(n syntax.Node) bool {
		if n == nil || n.Pos().Offset > off || n.End().Offset < off {
			return false
		}
		if c, ok := n.(*syntax.CallExpr); ok && c.Func.End().Offset < off {
			call = c
		}
		return true
	})
	if call == nil {
		return nil, nil
	}
	ft := funcTypeOf(prog, call.Func)
	if ft == nil {
		return nil, nil
	}
	name := dotted(call.Func)
	var labels []string
	var ps []protocol.ParameterInformation
	for _, p := range ft.Params {
		l := p.Name
		if p.Type != nil && !p.Type.IsAny() {
			l += ": " + p.Type.String()
		}
		if p.Optional {
			if p.Default != "" {
				l += " = " + p.Default
			} else {
				l += "?"
			}
		}
		labels = append(labels, l)
		ps = append(ps, protocol.ParameterInformation{Label: protocol.String(l)})
	}
	label := name + "(" + strings.Join(labels, ", ") + ") -> " + ft.Result.String()
	sig := protocol.SignatureInformation{Label: label, Parameters: ps}
	if ft.Doc != "" {
		sig.Documentation = markdown(ft.Doc)
	}
	// The active parameter: a keyword argument under the cursor names it;
	// else the number of arguments that end before the cursor.
	active := uint32(0)
	for _, a := range call.Args {
		if a.End().Offset < off {
			active++
		}
	}
	for _, kw := range call.Kwargs {
		if kw.Pos().Offset <= off && off <= kw.End().Offset && kw.Name != nil {
			for i, p := range ft.Params {
				if p.Name == kw.Name.Name {
					active = uint32(i)
				}
			}
		}
	}
	zero := uint32(0)
	return &protocol.SignatureHelp{Signatures: []protocol.SignatureInformation{sig}, ActiveSignature: &zero,
		ActiveParameter: protocol.NewNullable(active)}, nil
}

// funcTypeOf returns the signature of a callee: a function type, or the
// constructor of a schema.
func funcTypeOf(prog *sema.Program, fn syntax.Expr) *sema.FuncType {
	t := prog.TypeOf(fn)
	if t == nil {
		return nil
	}
	switch t.Kind {
	case sema.KFunc:
		return t.Func
	case sema.KSchemaDef:
		if t.Schema == nil {
			return nil
		}
		return &sema.FuncType{Params: t.Schema.Params, Result: sema.InstanceOf(t.Schema), Name: t.Schema.Name, Doc: t.Schema.Doc}
	}
	return nil
}
