package syntax

import (
	"fmt"
	"reflect"
	"strings"
)

// Dump returns an indented debug rendering of the tree rooted at n: each node
// with its type, its range as line:col-line:col, and its fields (zero-valued
// fields are omitted). It is used by golden tests.
func Dump(n Node) string {
	var sb strings.Builder
	d := dumper{sb: &sb}
	d.node(reflect.ValueOf(n), 0)
	return sb.String()
}

type dumper struct {
	sb *strings.Builder
}

var (
	spanType = reflect.TypeOf(Span{})
	posType  = reflect.TypeOf(Pos{})
	tokType  = reflect.TypeOf(Token(0))
)

func (d dumper) indent(level int) {
	for i := 0; i < level; i++ {
		d.sb.WriteString("  ")
	}
}

func (d dumper) node(v reflect.Value, level int) {
	for v.Kind() == reflect.Interface {
		if v.IsNil() {
			d.sb.WriteString("nil\n")
			return
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			d.sb.WriteString("nil\n")
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		fmt.Fprintf(d.sb, "%v\n", v.Interface())
		return
	}
	t := v.Type()
	d.sb.WriteString(t.Name())
	if f := v.FieldByName("Span"); f.IsValid() && f.Type() == spanType {
		s := f.Interface().(Span)
		fmt.Fprintf(d.sb, " [%d:%d-%d:%d]", s.Start.Line, s.Start.Col, s.Stop.Line, s.Stop.Col)
	}
	// scalar fields on the same line
	var complexFields []int
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Name == "Span" || sf.Name == "Src" {
			continue
		}
		fv := v.Field(i)
		if fv.IsZero() {
			continue
		}
		switch {
		case sf.Type == tokType:
			fmt.Fprintf(d.sb, " %s=%s", sf.Name, fv.Interface().(Token))
		case sf.Type == posType:
			p := fv.Interface().(Pos)
			fmt.Fprintf(d.sb, " %s=%d:%d", sf.Name, p.Line, p.Col)
		case fv.Kind() == reflect.String:
			fmt.Fprintf(d.sb, " %s=%q", sf.Name, fv.String())
		case fv.Kind() == reflect.Bool:
			fmt.Fprintf(d.sb, " %s", sf.Name)
		case fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64 || fv.Kind() == reflect.Uint8:
			if sf.Name == "Quote" {
				fmt.Fprintf(d.sb, " %s=%c", sf.Name, rune(fv.Uint()))
			} else {
				fmt.Fprintf(d.sb, " %s=%v", sf.Name, fv.Interface())
			}
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() != reflect.Pointer && fv.Type().Elem().Kind() != reflect.Interface:
			parts := make([]string, fv.Len())
			for j := range parts {
				parts[j] = fmt.Sprint(fv.Index(j).Interface())
			}
			fmt.Fprintf(d.sb, " %s=[%s]", sf.Name, strings.Join(parts, " "))
		case fv.Kind() == reflect.Float64:
			fmt.Fprintf(d.sb, " %s=%v", sf.Name, fv.Float())
		default:
			complexFields = append(complexFields, i)
		}
	}
	d.sb.WriteByte('\n')
	for _, i := range complexFields {
		sf := t.Field(i)
		fv := v.Field(i)
		d.indent(level + 1)
		if fv.Kind() == reflect.Slice {
			fmt.Fprintf(d.sb, "%s:\n", sf.Name)
			for j := 0; j < fv.Len(); j++ {
				d.indent(level + 2)
				d.node(fv.Index(j), level+2)
			}
			continue
		}
		fmt.Fprintf(d.sb, "%s: ", sf.Name)
		d.node(fv, level+1)
	}
}
