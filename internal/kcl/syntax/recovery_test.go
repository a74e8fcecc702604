package syntax

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rdValue is a parsed Rust Debug value: a struct or tuple variant (Name with
// Fields or Items), a list (Items, Name ""), or a scalar (Scalar).
type rdValue struct {
	Name   string
	Fields map[string]*rdValue
	Items  []*rdValue
	Scalar string
	IsList bool
}

type rdParser struct {
	s   string
	i   int
	err error
}

func (p *rdParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *rdParser) word() string {
	st := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.i++
			continue
		}
		break
	}
	return p.s[st:p.i]
}

func (p *rdParser) value() *rdValue {
	p.ws()
	if p.i >= len(p.s) {
		p.err = fmt.Errorf("unexpected end")
		return &rdValue{}
	}
	switch c := p.s[p.i]; {
	case c == '"':
		st := p.i
		p.i++
		for p.i < len(p.s) && p.s[p.i] != '"' {
			if p.s[p.i] == '\\' {
				p.i++
			}
			p.i++
		}
		p.i++
		v, err := strconv.Unquote(p.s[st:min(p.i, len(p.s))])
		if err != nil {
			v = p.s[st:min(p.i, len(p.s))]
		}
		return &rdValue{Scalar: v}
	case c == '[':
		p.i++
		v := &rdValue{IsList: true}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] == ']' {
				p.i++
				return v
			}
			v.Items = append(v.Items, p.value())
			if p.err != nil {
				return v
			}
		}
	}
	w := p.word()
	if w == "" {
		p.err = fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
		p.i++
		return &rdValue{}
	}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '{' {
		p.i++
		v := &rdValue{Name: w, Fields: map[string]*rdValue{}}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] == '}' {
				p.i++
				return v
			}
			k := p.word()
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ':' {
				p.i++
			}
			v.Fields[k] = p.value()
			if p.err != nil {
				return v
			}
		}
	}
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		v := &rdValue{Name: w}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] == ')' {
				p.i++
				return v
			}
			v.Items = append(v.Items, p.value())
			if p.err != nil {
				return v
			}
		}
	}
	return &rdValue{Scalar: w}
}

// rdShape describes an expected Node: its variant name and range (Rust: 1-based
// line, 0-based character column).
type rdShape struct {
	Kind                  string
	Line, Col, EndL, EndC int
}

func rdNodeShape(n *rdValue) (rdShape, bool) {
	if n == nil || n.Name != "Node" {
		return rdShape{}, false
	}
	var sh rdShape
	if inner := n.Fields["node"]; inner != nil {
		sh.Kind = inner.Name
		if sh.Kind == "" {
			sh.Kind = inner.Scalar // unit variant such as Any
		}
	}
	at := func(k string) int {
		if v := n.Fields[k]; v != nil {
			x, _ := strconv.Atoi(v.Scalar)
			return x
		}
		return -1
	}
	sh.Line, sh.Col, sh.EndL, sh.EndC = at("line"), at("column"), at("end_line"), at("end_column")
	return sh, true
}

// rustKind maps our nodes to the variant names of the reference AST.
func rustKind(n Node) string {
	switch n := n.(type) {
	case *ExprStmt:
		return "Expr"
	case *AssignStmt:
		return "Assign"
	case *AugAssignStmt:
		return "AugAssign"
	case *UnificationStmt:
		return "Unification"
	case *ImportStmt:
		return "Import"
	case *IfStmt, *IfExpr:
		return "If"
	case *AssertStmt:
		return "Assert"
	case *TypeAliasStmt:
		return "TypeAlias"
	case *SchemaStmt, *SchemaExpr:
		return "Schema"
	case *SchemaAttr:
		return "SchemaAttr"
	case *RuleStmt:
		return "Rule"
	case *Ident:
		return "Identifier"
	case *SelectorExpr:
		// The reference AST keeps dotted names as one Identifier.
		if isDottedName(n) {
			return "Identifier"
		}
		return "Selector"
	case *IndexExpr, *SliceExpr:
		return "Subscript"
	case *CallExpr:
		return "Call"
	case *StarredExpr:
		return "Starred"
	case *UnaryExpr:
		return "Unary"
	case *BinaryExpr, *AsExpr:
		return "Binary"
	case *CompareExpr:
		return "Compare"
	case *ParenExpr:
		return "Paren"
	case *NumberLit:
		return "NumberLit"
	case *StringLit:
		return "StringLit"
	case *JoinedString:
		return "JoinedString"
	case *NameConstant:
		return "NameConstantLit"
	case *ListExpr:
		return "List"
	case *ListIfItem:
		return "ListIfItem"
	case *ListComp:
		return "ListComp"
	case *DictComp:
		return "DictComp"
	case *ConfigExpr:
		return "Config"
	case *ConfigIfEntry:
		return "ConfigIfEntry"
	case *LambdaExpr:
		return "Lambda"
	case *QuantExpr:
		return "Quant"
	case *BadExpr, *BadStmt:
		return "Missing"
	}
	return fmt.Sprintf("%T", n)
}

func rustTypeKind(k TypeKind) string {
	return [...]string{"Any", "Basic", "Named", "List", "Dict", "Union", "Literal", "Function"}[k]
}

func ourShape(n Node, src []byte) rdShape {
	return rdShape{
		Kind: rustKind(n),
		Line: n.Pos().Line, Col: n.Pos().CharCol(src) - 1,
		EndL: n.End().Line, EndC: n.End().CharCol(src) - 1,
	}
}

type parserCase struct {
	Suite, Macro, Name, Input string
	HasSnapshot               bool `json:"has_snapshot"`
}

// TestErrorRecovery parses every kcl-parser error_recovery input (and the
// valid expr cases) without panicking and compares the top-level shape with
// the expected AST: node kinds, and kinds plus ranges.
func TestErrorRecovery(t *testing.T) {
	corpus := corpusDir(t)
	base := filepath.Join(corpus, "kcl-parser")
	data, err := os.ReadFile(filepath.Join(base, "index.json"))
	if err != nil {
		t.Fatalf("read index: %v", err)
	}
	var cases []parserCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("decode index: %v", err)
	}
	type tally struct{ total, noPanic, withErrors, kinds, exact int }
	tallies := map[string]*tally{}
	var mismatches []string
	for _, c := range cases {
		switch c.Macro {
		case "parse_expr_snapshot", "parse_module_snapshot", "parse_file_snapshot", "parse_type_snapshot":
		default:
			continue
		}
		key := c.Suite + "/" + strings.TrimSuffix(strings.TrimPrefix(c.Macro, "parse_"), "_snapshot")
		if c.Macro == "parse_file_snapshot" && !c.HasSnapshot {
			continue
		}
		tl := tallies[key]
		if tl == nil {
			tl = &tally{}
			tallies[key] = tl
		}
		tl.total++
		src := []byte(c.Input)
		if b, err := os.ReadFile(filepath.Join(base, c.Suite, c.Name, "input.k")); err == nil {
			src = b
		}
		var got []rdShape
		internal := false
		nErrs := 0
		switch c.Macro {
		case "parse_type_snapshot":
			ty, err := ParseType(string(src))
			if err != nil {
				nErrs = 1
				internal = strings.Contains(err.Error(), "internal parser error")
			}
			if ty != nil {
				sh := ourShape(ty, src)
				sh.Kind = rustTypeKind(ty.Kind)
				got = append(got, sh)
			}
		case "parse_module_snapshot", "parse_file_snapshot":
			f, errs := ParseFile("", src)
			nErrs = len(errs)
			for _, e := range errs {
				if strings.Contains(e.Primary().Text, "internal parser error") {
					internal = true
				}
			}
			for _, s := range f.Stmts {
				got = append(got, ourShape(s, src))
			}
			if err := checkInvariants(f); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
		default:
			x, err := ParseExpr(string(src))
			if err != nil {
				nErrs = 1
				internal = strings.Contains(err.Error(), "internal parser error")
			}
			if x != nil {
				got = append(got, ourShape(x, src))
			}
		}
		if !internal {
			tl.noPanic++
		} else {
			t.Errorf("%s: internal parser error", c.Name)
		}
		if nErrs > 0 {
			tl.withErrors++
		}
		exp, err := os.ReadFile(filepath.Join(base, c.Suite, c.Name, "expected.ast.txt"))
		if err != nil {
			continue
		}
		var want []rdShape
		var root *rdValue
		if c.Macro == "parse_file_snapshot" {
			// the file suite stores JSON
			var m struct {
				Body []struct {
					Node      map[string]any
					Line      int
					Column    int
					EndLine   int `json:"end_line"`
					EndColumn int `json:"end_column"`
				}
			}
			if err := json.Unmarshal(exp, &m); err != nil {
				t.Logf("%s: cannot read expected AST: %v", c.Name, err)
				continue
			}
			for _, b := range m.Body {
				kind, _ := b.Node["type"].(string)
				want = append(want, rdShape{Kind: kind, Line: b.Line, Col: b.Column, EndL: b.EndLine, EndC: b.EndColumn})
			}
		} else {
			rp := &rdParser{s: string(exp)}
			root = rp.value()
			if rp.err != nil {
				t.Logf("%s: cannot read expected AST: %v", c.Name, rp.err)
				continue
			}
		}
		if c.Macro == "parse_file_snapshot" {
			// want is set
		} else if c.Macro == "parse_module_snapshot" {
			if body := root.Fields["body"]; body != nil {
				for _, it := range body.Items {
					if sh, ok := rdNodeShape(it); ok {
						want = append(want, sh)
					}
				}
			}
		} else if sh, ok := rdNodeShape(root); ok {
			want = append(want, sh)
		}
		kindsOK := len(got) == len(want)
		exactOK := kindsOK
		for i := 0; kindsOK && i < len(got); i++ {
			if got[i].Kind != want[i].Kind {
				kindsOK, exactOK = false, false
			} else if got[i] != want[i] {
				exactOK = false
			}
		}
		if kindsOK {
			tl.kinds++
		}
		if exactOK {
			tl.exact++
		} else {
			mismatches = append(mismatches, fmt.Sprintf("%s/%s %q: got %v, want %v", c.Suite, c.Name, c.Input, got, want))
		}
	}
	if testing.Verbose() {
		for _, m := range mismatches {
			t.Log(m)
		}
	}
	noPanic, kinds := 0, 0
	for key, tl := range tallies {
		fmt.Printf("TestErrorRecovery %s: %d cases, %d without panic, %d with errors, kinds agree %d, kinds+ranges agree %d\n",
			key, tl.total, tl.noPanic, tl.withErrors, tl.kinds, tl.exact)
		if strings.HasPrefix(key, "error_recovery") {
			noPanic += tl.noPanic
			kinds += tl.kinds
		}
	}
	fmt.Printf("TestErrorRecovery: %d passed (no panic), %d agree on node kinds\n", noPanic, kinds)
	if noPanic < recoveryNoPanicFloor {
		t.Errorf("error_recovery: %d inputs parsed without panic, below the floor %d", noPanic, recoveryNoPanicFloor)
	}
	if kinds < recoveryAgreementFloor {
		t.Errorf("error_recovery: %d agree on node kinds, below the floor %d", kinds, recoveryAgreementFloor)
	}
}
