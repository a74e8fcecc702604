package stdlib

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func templateModule(env Env) map[string]value.Value {
	def := defs("template")
	return members(
		def("execute", func(c call) (value.Value, error) {
			var src string
			var data value.Value
			if err := c.unpack(&src, &data); err != nil {
				return nil, err
			}
			if data == nil {
				data = value.NewDict()
			}
			budget := budgetOf(env)
			out, err := ExecuteTemplateCounted(src, data, budget)
			if err != nil {
				return nil, err
			}
			return value.Str(out), nil
		}),
		def("html_escape", func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			if !budget.Charge(value.SizeStr + int64(len(s))*2) {
				return nil, budget.Err()
			}
			return value.Str(htmlEscape(s)), nil
		}),
	)
}

func htmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#x27;")
		case '`':
			b.WriteString("&#x60;")
		case '=':
			b.WriteString("&#x3D;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// A Handlebars subset: {{path}} (escaped), {{{path}}} and {{raw path}} /
// {{& path}} (unescaped), {{!comments}}, {{#if}}/{{#unless}}/{{else}},
// {{#each}} (this, @index, @key, @first, @last), {{#with}}, ../ parent
// paths, ~ whitespace control and standalone block lines.

type tmplKind uint8

const (
	tkText tmplKind = iota
	tkVar
	tkOpen
	tkClose
	tkElse
	tkComment
)

type tmplTok struct {
	kind       tmplKind
	text       string // text, or the tag body
	raw        bool   // unescaped output
	stripLeft  bool   // {{~
	stripRight bool   // ~}}
}

func tokenizeTemplate(src string) ([]tmplTok, error) {
	var toks []tmplTok
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			if src != "" {
				toks = append(toks, tmplTok{kind: tkText, text: src})
			}
			return toks, nil
		}
		if i > 0 && src[i-1] == '\\' {
			// \{{ escapes a mustache.
			toks = append(toks, tmplTok{kind: tkText, text: src[:i-1] + "{{"})
			src = src[i+2:]
			continue
		}
		if i > 0 {
			toks = append(toks, tmplTok{kind: tkText, text: src[:i]})
		}
		src = src[i:]
		triple := strings.HasPrefix(src, "{{{")
		closeTok := "}}"
		open := 2
		if triple {
			closeTok, open = "}}}", 3
		}
		body := src[open:]
		if strings.HasPrefix(body, "!--") {
			j := strings.Index(body, "--}}")
			if j < 0 {
				return nil, errors.New("template: unclosed comment")
			}
			toks = append(toks, tmplTok{kind: tkComment})
			src = body[j+4:]
			continue
		}
		j := strings.Index(body, closeTok)
		if j < 0 {
			return nil, errors.New("template: unclosed tag")
		}
		inner := body[:j]
		src = body[j+len(closeTok):]
		t := tmplTok{raw: triple}
		if strings.HasPrefix(inner, "~") {
			t.stripLeft = true
			inner = inner[1:]
		}
		if strings.HasSuffix(inner, "~") {
			t.stripRight = true
			inner = inner[:len(inner)-1]
		}
		inner = strings.TrimSpace(inner)
		switch {
		case strings.HasPrefix(inner, "!"):
			t.kind = tkComment
		case strings.HasPrefix(inner, "#"):
			t.kind, t.text = tkOpen, strings.TrimSpace(inner[1:])
		case strings.HasPrefix(inner, "/"):
			t.kind, t.text = tkClose, strings.TrimSpace(inner[1:])
		case inner == "else" || inner == "^":
			t.kind = tkElse
		case strings.HasPrefix(inner, "&"):
			t.kind, t.text, t.raw = tkVar, strings.TrimSpace(inner[1:]), true
		default:
			t.kind, t.text = tkVar, inner
			if rest, ok := strings.CutPrefix(inner, "raw "); ok {
				t.text, t.raw = strings.TrimSpace(rest), true
			}
		}
		toks = append(toks, t)
	}
}

// stripStandalone applies the Handlebars standalone rule: a block tag
// ({{#…}}, {{/…}}, {{else}}, a comment) alone on its line takes the blanks
// before it on that line and the line break after it with it. Whether a
// tag is standalone is decided on the original text, before any trimming,
// so that consecutive block lines all disappear. Then ~ whitespace control
// applies.
func stripStandalone(toks []tmplTok) {
	standalone := make([]bool, len(toks))
	for i, t := range toks {
		if t.kind == tkText || t.kind == tkVar {
			continue
		}
		before := i == 0
		if i > 0 && toks[i-1].kind == tkText {
			p := toks[i-1].text
			k := strings.LastIndexByte(p, '\n')
			before = strings.TrimLeft(p[k+1:], " \t") == "" && (k >= 0 || i-1 == 0)
		}
		after := i == len(toks)-1
		if i+1 < len(toks) && toks[i+1].kind == tkText {
			n := toks[i+1].text
			line, _, found := strings.Cut(n, "\n")
			after = strings.TrimRight(line, " \t\r") == "" && (found || i+1 == len(toks)-1)
		}
		standalone[i] = before && after
	}
	for i := range toks {
		if !standalone[i] {
			continue
		}
		if i > 0 && toks[i-1].kind == tkText {
			p := toks[i-1].text
			toks[i-1].text = p[:strings.LastIndexByte(p, '\n')+1]
		}
		if i+1 < len(toks) && toks[i+1].kind == tkText {
			n := toks[i+1].text
			if k := strings.IndexByte(n, '\n'); k >= 0 {
				toks[i+1].text = n[k+1:]
			} else {
				toks[i+1].text = ""
			}
		}
	}
	for i := range toks {
		if toks[i].kind == tkText {
			continue
		}
		if toks[i].stripLeft && i > 0 && toks[i-1].kind == tkText {
			toks[i-1].text = strings.TrimRight(toks[i-1].text, " \t\r\n")
		}
		if toks[i].stripRight && i+1 < len(toks) && toks[i+1].kind == tkText {
			toks[i+1].text = strings.TrimLeft(toks[i+1].text, " \t\r\n")
		}
	}
}

type tmplNode struct {
	tok      tmplTok
	body     []*tmplNode
	elseBody []*tmplNode
}

func parseTemplate(toks []tmplTok) ([]*tmplNode, error) {
	type frame struct {
		node   *tmplNode
		inElse bool
	}
	root := &tmplNode{}
	stack := []*frame{{node: root}}
	add := func(n *tmplNode) {
		f := stack[len(stack)-1]
		if f.inElse {
			f.node.elseBody = append(f.node.elseBody, n)
		} else {
			f.node.body = append(f.node.body, n)
		}
	}
	for _, t := range toks {
		switch t.kind {
		case tkComment:
		case tkText, tkVar:
			add(&tmplNode{tok: t})
		case tkOpen:
			n := &tmplNode{tok: t}
			add(n)
			stack = append(stack, &frame{node: n})
		case tkElse:
			if len(stack) == 1 {
				return nil, errors.New("template: {{else}} outside a block")
			}
			stack[len(stack)-1].inElse = true
		case tkClose:
			if len(stack) == 1 {
				return nil, fmt.Errorf("template: unexpected {{/%s}}", t.text)
			}
			open := stack[len(stack)-1].node.tok.text
			name, _, _ := strings.Cut(open, " ")
			if name != t.text {
				return nil, fmt.Errorf("template: {{/%s}} does not close {{#%s}}", t.text, name)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 1 {
		return nil, fmt.Errorf("template: unclosed {{#%s}}", stack[len(stack)-1].node.tok.text)
	}
	return root.body, nil
}

type tmplCtx struct {
	this   value.Value
	parent *tmplCtx
	vars   map[string]value.Value // @index, @key, ...
}

// ExecuteTemplate renders a Handlebars template with data.
func ExecuteTemplate(src string, data value.Value) (string, error) {
	return ExecuteTemplateCounted(src, data, nil)
}

// ExecuteTemplateCounted is ExecuteTemplate charging b for the text it
// renders (a block repeated by nested {{#each}} over shared data is
// counted each time it is written) and counting a step of b for every node
// rendered, so that a render that writes little still stops with b's
// context. Once b refuses, the render ends with b's error.
func ExecuteTemplateCounted(src string, data value.Value, b *value.Budget) (string, error) {
	if !b.Charge(int64(len(src)) * 4) { // tokens and nodes
		return "", b.Err()
	}
	toks, err := tokenizeTemplate(src)
	if err != nil {
		return "", err
	}
	stripStandalone(toks)
	nodes, err := parseTemplate(toks)
	if err != nil {
		return "", err
	}
	r := &tmplRenderer{budget: b}
	root := &tmplCtx{this: data}
	if err := r.nodes(nodes, root, root); err != nil {
		return "", err
	}
	return r.out.String(), nil
}

// tmplRenderer is one render: its output and budget.
type tmplRenderer struct {
	out        strings.Builder
	budget     *value.Budget
	capCharged int // the capacity of out last charged
}

// spend charges n bytes about to be written and, when the output has grown
// since the last charge, its new capacity (each growth allocates a new
// buffer); the budget's error when it refuses.
func (r *tmplRenderer) spend(n int) error {
	if r.budget == nil {
		return nil
	}
	c := int64(n)
	if r.out.Cap() != r.capCharged {
		c += int64(r.out.Cap())
		r.capCharged = r.out.Cap()
	}
	if !r.budget.Charge(c) {
		return r.budget.Err()
	}
	return nil
}

// step counts one node rendered.
func (r *tmplRenderer) step() error {
	if !r.budget.Step() {
		return r.budget.Err()
	}
	return nil
}

// write appends s, escaped for HTML unless raw.
func (r *tmplRenderer) write(s string, raw bool) error {
	if s == "" {
		return nil
	}
	if !raw {
		s = htmlEscape(s)
	}
	if err := r.spend(len(s)); err != nil {
		return err
	}
	r.out.WriteString(s)
	return nil
}

func (r *tmplRenderer) nodes(nodes []*tmplNode, ctx, root *tmplCtx) error {
	for _, n := range nodes {
		if err := r.step(); err != nil {
			return err
		}
		switch n.tok.kind {
		case tkText:
			if err := r.write(n.tok.text, true); err != nil {
				return err
			}
		case tkVar:
			v := lookupPath(n.tok.text, ctx, root)
			if err := r.value(v, n.tok.raw); err != nil {
				return err
			}
		case tkOpen:
			name, arg, _ := strings.Cut(n.tok.text, " ")
			arg = strings.TrimSpace(arg)
			v := lookupPath(arg, ctx, root)
			switch name {
			case "if", "unless":
				cond := tmplTruthy(v)
				if name == "unless" {
					cond = !cond
				}
				body := n.body
				if !cond {
					body = n.elseBody
				}
				if err := r.nodes(body, ctx, root); err != nil {
					return err
				}
			case "with":
				if !tmplTruthy(v) {
					if err := r.nodes(n.elseBody, ctx, root); err != nil {
						return err
					}
					continue
				}
				if err := r.nodes(n.body, &tmplCtx{this: v, parent: ctx}, root); err != nil {
					return err
				}
			case "each":
				if err := r.each(n, v, ctx, root); err != nil {
					return err
				}
			default:
				return fmt.Errorf("template: unsupported helper '%s'", name)
			}
		}
	}
	return nil
}

func (r *tmplRenderer) each(n *tmplNode, v value.Value, ctx, root *tmplCtx) error {
	var (
		list    []value.Value
		entries []value.Entry
	)
	switch x := v.(type) {
	case *value.List:
		list = x.Items
	default:
		if d, ok := asDict(v); ok {
			entries = d.Entries()
		}
	}
	count := len(list) + len(entries)
	if count == 0 {
		return r.nodes(n.elseBody, ctx, root)
	}
	for i := range count {
		vars := map[string]value.Value{
			"first": value.Bool(i == 0),
			"last":  value.Bool(i == count-1),
			"index": value.Int(i),
		}
		var it value.Value
		if list != nil {
			it = list[i]
		} else {
			it = entries[i].Value
			vars["key"] = value.Str(entries[i].Key)
		}
		if err := r.nodes(n.body, &tmplCtx{this: it, parent: ctx, vars: vars}, root); err != nil {
			return err
		}
	}
	return nil
}

// value writes v as Handlebars renders JSON data (see tmplString).
func (r *tmplRenderer) value(v value.Value, raw bool) error {
	if err := r.step(); err != nil {
		return err
	}
	l, ok := v.(*value.List)
	if !ok {
		return r.write(tmplString(v), raw)
	}
	if err := r.write("[", true); err != nil {
		return err
	}
	for i, it := range l.Items {
		if i > 0 {
			if err := r.write(", ", true); err != nil {
				return err
			}
		}
		if err := r.value(it, raw); err != nil {
			return err
		}
	}
	return r.write("]", true)
}

func lookupPath(path string, ctx, root *tmplCtx) value.Value {
	if path == "" {
		return value.None
	}
	if s, err := strconv.Unquote(path); err == nil && (path[0] == '"' || path[0] == '\'') {
		return value.Str(s)
	}
	for strings.HasPrefix(path, "../") {
		path = path[3:]
		if ctx.parent != nil {
			ctx = ctx.parent
		}
	}
	if rest, ok := strings.CutPrefix(path, "@root"); ok {
		ctx = root
		path = "this" + rest
	}
	if strings.HasPrefix(path, "@") {
		for c := ctx; c != nil; c = c.parent {
			if v, ok := c.vars[path[1:]]; ok {
				return v
			}
		}
		return value.None
	}
	parts := strings.Split(path, ".")
	cur := ctx.this
	if parts[0] == "this" || parts[0] == "" {
		parts = parts[1:]
	}
	for _, p := range parts {
		if p == "" {
			continue
		}
		switch x := cur.(type) {
		case *value.List:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x.Items) {
				return value.None
			}
			cur = x.Items[i]
		default:
			d, ok := asDict(cur)
			if !ok {
				return value.None
			}
			v, ok := d.Get(p)
			if !ok {
				return value.None
			}
			cur = v
		}
	}
	return cur
}

func tmplTruthy(v value.Value) bool {
	switch x := v.(type) {
	case *value.Dict:
		return true
	case *value.Schema:
		return true
	default:
		return value.Truthy(x)
	}
}

// tmplString renders a scalar, dict or schema as Handlebars does for JSON
// data (lists are written item by item by tmplRenderer.value).
func tmplString(v value.Value) string {
	switch x := v.(type) {
	case nil, value.NoneType, value.UndefinedType:
		return ""
	case value.Str:
		return string(x)
	case value.Bool:
		return strconv.FormatBool(bool(x))
	case value.Int:
		return strconv.FormatInt(int64(x), 10)
	case value.Float:
		return value.FormatFloatRyu(float64(x))
	case value.Unit:
		return value.FormatFloatRyu(x.Float)
	case *value.Dict, *value.Schema:
		return "[object]"
	}
	return ""
}
