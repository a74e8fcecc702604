package kclrun

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// selectPaths applies -S path selectors to the program's output v. A
// selector is `[pkg:]name(.attr|.[index]|.{key}|.*)*`; only the main package
// can be selected. One selector gives the selected value itself; several
// give a dict from each selector's path to its value.
func selectPaths(v value.Value, selectors []string, res *eval.Result) (value.Value, error) {
	if len(selectors) == 1 {
		return selectPath(v, selectors[0], res)
	}
	out := value.NewDict()
	for _, sel := range selectors {
		got, err := selectPath(v, sel, res)
		if err != nil {
			return nil, err
		}
		_, path := splitSelector(sel)
		out.Set(strings.TrimSuffix(path, ".*"), got)
	}
	return out, nil
}

func splitSelector(sel string) (pkg, path string) {
	if i := strings.IndexByte(sel, ':'); i >= 0 {
		return sel[:i], sel[i+1:]
	}
	return "", sel
}

func selectPath(v value.Value, sel string, res *eval.Result) (value.Value, error) {
	pkg, path := splitSelector(sel)
	if pkg != "" && pkg != "__main__" {
		return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, only the main package can be selected", sel))
	}
	cur := v
	for _, seg := range strings.Split(path, ".") {
		if seg == "" {
			return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
		}
		if seg == "*" {
			continue
		}
		attrs, list := containerOf(cur)
		switch {
		case strings.HasPrefix(seg, "[") && strings.HasSuffix(seg, "]"):
			if list == nil {
				if attrs != nil {
					return nil, selectorError(res, "dict variable can't be used with list selector expression")
				}
				return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
			}
			i, err := strconv.Atoi(strings.TrimSpace(seg[1 : len(seg)-1]))
			if err != nil || i < 0 || i >= len(list.Items) {
				return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
			}
			cur = list.Items[i]
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			if attrs == nil {
				if list != nil {
					return nil, selectorError(res, "list variable can't be used with dict selector expression")
				}
				return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
			}
			got, ok := attrs.Get(seg[1 : len(seg)-1])
			if !ok {
				return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
			}
			cur = got
		default:
			if attrs == nil {
				return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
			}
			got, ok := attrs.Get(seg)
			if !ok {
				return nil, selectorError(res, fmt.Sprintf("invalid path select operand %s, value not found", sel))
			}
			cur = got
		}
	}
	return cur, nil
}

// containerOf returns the attributes of a dict or schema, or the list.
func containerOf(v value.Value) (*value.Dict, *value.List) {
	switch x := v.(type) {
	case *value.Dict:
		return x, nil
	case *value.Schema:
		return x.Attrs, nil
	case *value.List:
		return nil, x
	}
	return nil, nil
}

// selectorError is an EvaluationError located, as the official CLI does, at
// the start of the main package's last statement.
func selectorError(res *eval.Result, text string) error {
	m := diag.Message{Text: text}
	if res != nil {
		for i := len(res.Files) - 1; i >= 0; i-- {
			f := res.Files[i]
			if f != nil && len(f.Stmts) > 0 {
				p := f.DiagPos(f.Stmts[len(f.Stmts)-1].Pos())
				p.Col = 0
				m.Pos = p
				break
			}
		}
	}
	return &diag.Diagnostic{Kind: diag.EvaluationError, Messages: []diag.Message{m}}
}
