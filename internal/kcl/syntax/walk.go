package syntax

// Visitor is called by Walk for each node; if Visit returns a non-nil
// visitor w, Walk visits the node's children with w, then calls
// w.Visit(nil).
type Visitor interface {
	Visit(n Node) (w Visitor)
}

// Walk traverses an AST in depth-first source order, like go/ast.Walk. Nil
// children are skipped. Comments are not visited (they live in File.Comments).
func Walk(v Visitor, n Node) {
	if n == nil || isNilNode(n) {
		return
	}
	if v = v.Visit(n); v == nil {
		return
	}
	walkChildren(v, n)
	v.Visit(nil)
}

type inspector func(Node) bool

func (f inspector) Visit(n Node) Visitor {
	if f(n) {
		return f
	}
	return nil
}

// Inspect traverses an AST in depth-first source order, calling f(n) for
// each node; children are visited only when f returns true. After the
// children, f(nil) is called.
func Inspect(n Node, f func(Node) bool) {
	Walk(inspector(f), n)
}

func isNilNode(n Node) bool {
	switch x := n.(type) {
	case *File:
		return x == nil
	case *Ident:
		return x == nil
	case *TypeExpr:
		return x == nil
	case *StringLit:
		return x == nil
	case *ConfigExpr:
		return x == nil
	case *SchemaExpr:
		return x == nil
	case *ConfigIfEntry:
		return x == nil
	case *ListIfItem:
		return x == nil
	case *IndexSignature:
		return x == nil
	case *Keyword:
		return x == nil
	case *Param:
		return x == nil
	case *Decorator:
		return x == nil
	case *CheckExpr:
		return x == nil
	case *CompClause:
		return x == nil
	case *ConfigEntry:
		return x == nil
	case *Comment:
		return x == nil
	}
	return false
}

func walkExprs(v Visitor, list []Expr) {
	for _, x := range list {
		Walk(v, x)
	}
}

func walkStmts(v Visitor, list []Stmt) {
	for _, x := range list {
		Walk(v, x)
	}
}

func walkExpr(v Visitor, e Expr) {
	if e != nil {
		Walk(v, e)
	}
}

func walkType(v Visitor, t *TypeExpr) {
	if t != nil {
		Walk(v, t)
	}
}

func walkIdent(v Visitor, id *Ident) {
	if id != nil {
		Walk(v, id)
	}
}

func walkDecorators(v Visitor, ds []*Decorator) {
	for _, d := range ds {
		Walk(v, d)
	}
}

func walkParams(v Visitor, ps []*Param) {
	for _, p := range ps {
		Walk(v, p)
	}
}

func walkKeywords(v Visitor, ks []*Keyword) {
	for _, k := range ks {
		Walk(v, k)
	}
}

func walkChildren(v Visitor, n Node) {
	switch x := n.(type) {
	case *File:
		walkStmts(v, x.Stmts)
	case *ExprStmt:
		walkExpr(v, x.X)
	case *AssignStmt:
		walkExprs(v, x.Targets)
		walkType(v, x.Type)
		walkExpr(v, x.Value)
	case *AugAssignStmt:
		walkExpr(v, x.Target)
		walkExpr(v, x.Value)
	case *UnificationStmt:
		walkExpr(v, x.Target)
		if x.Value != nil {
			Walk(v, x.Value)
		}
	case *ImportStmt:
		walkIdent(v, x.AsName)
	case *IfStmt:
		walkExpr(v, x.Cond)
		walkStmts(v, x.Body)
		walkStmts(v, x.Else)
	case *AssertStmt:
		walkExpr(v, x.Test)
		walkExpr(v, x.IfCond)
		walkExpr(v, x.Msg)
	case *TypeAliasStmt:
		walkIdent(v, x.Name)
		walkType(v, x.Type)
	case *SchemaStmt:
		walkDecorators(v, x.Decorators)
		walkIdent(v, x.Name)
		walkParams(v, x.Params)
		walkExpr(v, x.Parent)
		walkExpr(v, x.ForProtocol)
		if x.DocLit != nil {
			Walk(v, x.DocLit)
		}
		walkExprs(v, x.Mixins)
		walkStmts(v, x.Body)
		if x.IndexSignature != nil {
			Walk(v, x.IndexSignature)
		}
		for _, c := range x.Checks {
			Walk(v, c)
		}
	case *SchemaAttr:
		walkDecorators(v, x.Decorators)
		walkIdent(v, x.Name)
		walkType(v, x.Type)
		walkExpr(v, x.Value)
	case *IndexSignature:
		walkIdent(v, x.KeyName)
		walkType(v, x.KeyType)
		walkType(v, x.ValueType)
		walkExpr(v, x.Value)
	case *RuleStmt:
		walkDecorators(v, x.Decorators)
		walkIdent(v, x.Name)
		walkParams(v, x.Params)
		walkExprs(v, x.Parents)
		walkExpr(v, x.ForProtocol)
		if x.DocLit != nil {
			Walk(v, x.DocLit)
		}
		for _, c := range x.Checks {
			Walk(v, c)
		}
	case *CheckExpr:
		walkExpr(v, x.Test)
		walkExpr(v, x.IfCond)
		walkExpr(v, x.Msg)
	case *Decorator:
		walkExpr(v, x.Name)
		walkExprs(v, x.Args)
		walkKeywords(v, x.Kwargs)
	case *Param:
		walkIdent(v, x.Name)
		walkType(v, x.Type)
		walkExpr(v, x.Default)
	case *BadStmt, *BadExpr, *Ident, *NumberLit, *StringLit, *NameConstant, *Comment:
		// leaves
	case *SelectorExpr:
		walkExpr(v, x.X)
		walkIdent(v, x.Name)
	case *IndexExpr:
		walkExpr(v, x.X)
		walkExpr(v, x.Index)
	case *SliceExpr:
		walkExpr(v, x.X)
		walkExpr(v, x.Lo)
		walkExpr(v, x.Hi)
		walkExpr(v, x.Step)
	case *CallExpr:
		walkExpr(v, x.Func)
		walkExprs(v, x.Args)
		walkKeywords(v, x.Kwargs)
	case *Keyword:
		walkIdent(v, x.Name)
		walkExpr(v, x.Value)
	case *StarredExpr:
		walkExpr(v, x.X)
	case *UnaryExpr:
		walkExpr(v, x.X)
	case *BinaryExpr:
		walkExpr(v, x.X)
		walkExpr(v, x.Y)
	case *CompareExpr:
		walkExpr(v, x.Left)
		walkExprs(v, x.Comparators)
	case *AsExpr:
		walkExpr(v, x.X)
		walkType(v, x.Type)
	case *IfExpr:
		walkExpr(v, x.Body)
		walkExpr(v, x.Cond)
		walkExpr(v, x.Else)
	case *ParenExpr:
		walkExpr(v, x.X)
	case *JoinedString:
		walkExprs(v, x.Parts)
	case *FormattedValue:
		walkExpr(v, x.X)
	case *ListExpr:
		walkExprs(v, x.Elts)
	case *ListIfItem:
		walkExpr(v, x.Cond)
		walkExprs(v, x.Elts)
		if x.Else != nil {
			Walk(v, x.Else)
		}
	case *ListComp:
		walkExpr(v, x.Elt)
		for _, c := range x.Clauses {
			Walk(v, c)
		}
	case *DictComp:
		walkExpr(v, x.Key)
		walkExpr(v, x.Value)
		for _, c := range x.Clauses {
			Walk(v, c)
		}
	case *CompClause:
		for _, t := range x.Targets {
			walkIdent(v, t)
		}
		walkExpr(v, x.Iter)
		walkExprs(v, x.Ifs)
	case *ConfigExpr:
		for _, e := range x.Entries {
			Walk(v, e)
		}
	case *ConfigEntry:
		walkExpr(v, x.Key)
		walkExpr(v, x.Value)
	case *ConfigIfEntry:
		walkExpr(v, x.Cond)
		for _, e := range x.Entries {
			Walk(v, e)
		}
		if x.Else != nil {
			Walk(v, x.Else)
		}
	case *SchemaExpr:
		walkExpr(v, x.Name)
		walkExprs(v, x.Args)
		walkKeywords(v, x.Kwargs)
		if x.Config != nil {
			Walk(v, x.Config)
		}
	case *LambdaExpr:
		walkParams(v, x.Params)
		walkType(v, x.ReturnType)
		walkStmts(v, x.Body)
	case *QuantExpr:
		for _, id := range x.Vars {
			walkIdent(v, id)
		}
		walkExpr(v, x.Target)
		walkExpr(v, x.Test)
		walkExpr(v, x.IfCond)
	case *TypeExpr:
		walkExpr(v, x.NameExpr)
		walkType(v, x.Elem)
		walkType(v, x.Key)
		walkType(v, x.Value)
		for _, u := range x.Union {
			walkType(v, u)
		}
		walkExpr(v, x.Literal)
		for _, p := range x.Params {
			walkType(v, p)
		}
		walkType(v, x.Ret)
	}
}

// PathEnclosing returns the nodes whose span contains the byte offset off
// (start <= off <= end), from root down to the innermost one; nil when root
// does not contain off. It is meant for editor features (hover, completion)
// that start from a cursor position.
func PathEnclosing(root Node, off int) []Node {
	var path []Node
	Inspect(root, func(n Node) bool {
		if n == nil {
			return false
		}
		if _, isFile := n.(*File); !isFile && (off < n.Pos().Offset || off > n.End().Offset) {
			return false
		}
		path = append(path, n)
		return true
	})
	return path
}
