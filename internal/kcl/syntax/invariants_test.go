package syntax

import "fmt"

// checkInvariants returns the first violation of the AST's documented
// non-nil guarantees and position ordering in the tree rooted at n.
func checkInvariants(n Node) error {
	var err error
	Inspect(n, func(x Node) bool {
		if err != nil || x == nil {
			return false
		}
		if x.End().Offset < x.Pos().Offset {
			err = fmt.Errorf("%T: end %v before start %v", x, x.End(), x.Pos())
			return false
		}
		bad := ""
		switch v := x.(type) {
		case *AssignStmt:
			if v.Value == nil || len(v.Targets) == 0 {
				bad = "Value/Targets"
			}
		case *AugAssignStmt:
			if v.Target == nil || v.Value == nil {
				bad = "Target/Value"
			}
		case *UnificationStmt:
			if v.Target == nil || v.Value == nil || v.Value.Config == nil {
				bad = "Target/Value"
			}
		case *IfStmt:
			if v.Cond == nil {
				bad = "Cond"
			}
		case *AssertStmt:
			if v.Test == nil {
				bad = "Test"
			}
		case *TypeAliasStmt:
			if v.Name == nil || v.Type == nil {
				bad = "Name/Type"
			}
		case *SchemaStmt:
			if v.Name == nil {
				bad = "Name"
			}
		case *SchemaAttr:
			if v.Name == nil || v.Type == nil || (v.Op != 0) != (v.Value != nil) {
				bad = "Name/Type/Op"
			}
		case *RuleStmt:
			if v.Name == nil {
				bad = "Name"
			}
		case *CheckExpr:
			if v.Test == nil {
				bad = "Test"
			}
		case *Decorator:
			if v.Name == nil {
				bad = "Name"
			}
		case *Param:
			if v.Name == nil {
				bad = "Name"
			}
		case *SelectorExpr:
			if v.X == nil || v.Name == nil {
				bad = "X/Name"
			}
		case *IndexExpr:
			if v.X == nil || v.Index == nil {
				bad = "X/Index"
			}
		case *SliceExpr:
			if v.X == nil {
				bad = "X"
			}
		case *CallExpr:
			if v.Func == nil {
				bad = "Func"
			}
		case *Keyword:
			if v.Name == nil || v.Value == nil {
				bad = "Name/Value"
			}
		case *StarredExpr:
			if v.X == nil {
				bad = "X"
			}
		case *UnaryExpr:
			if v.X == nil {
				bad = "X"
			}
		case *BinaryExpr:
			if v.X == nil || v.Y == nil {
				bad = "X/Y"
			}
		case *CompareExpr:
			if v.Left == nil || len(v.Ops) != len(v.Comparators) || len(v.Ops) == 0 {
				bad = "Left/Ops"
			}
		case *AsExpr:
			if v.X == nil || v.Type == nil {
				bad = "X/Type"
			}
		case *IfExpr:
			if v.Body == nil || v.Cond == nil || v.Else == nil {
				bad = "Body/Cond/Else"
			}
		case *ParenExpr:
			if v.X == nil {
				bad = "X"
			}
		case *FormattedValue:
			if v.X == nil {
				bad = "X"
			}
		case *ListComp:
			if v.Elt == nil || len(v.Clauses) == 0 {
				bad = "Elt/Clauses"
			}
		case *DictComp:
			if v.Key == nil || len(v.Clauses) == 0 {
				bad = "Key/Clauses"
			}
		case *CompClause:
			if v.Iter == nil {
				bad = "Iter"
			}
		case *ConfigEntry:
			switch v.Op {
			case POW:
				if v.Key != nil || v.Value == nil {
					bad = "unpack"
				}
			case IF:
				if _, ok := v.Value.(*ConfigIfEntry); !ok || v.Key != nil {
					bad = "if entry"
				}
			default:
				if v.Key == nil {
					bad = "Key"
				}
			}
		case *SchemaExpr:
			if v.Name == nil || v.Config == nil {
				bad = "Name/Config"
			}
		case *QuantExpr:
			if v.Target == nil || v.Test == nil {
				bad = "Target/Test"
			}
		case *TypeExpr:
			switch v.Kind {
			case NamedType:
				if v.NameExpr == nil {
					bad = "NameExpr"
				}
			case UnionType:
				if len(v.Union) < 2 {
					bad = "Union"
				}
			case LiteralType:
				if v.Literal == nil {
					bad = "Literal"
				}
			}
		}
		if bad != "" {
			err = fmt.Errorf("%T at %d:%d: invalid %s", x, x.Pos().Line, x.Pos().Col, bad)
		}
		return err == nil
	})
	return err
}
