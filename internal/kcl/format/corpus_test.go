package format

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// corpusPassFloor is the number of corpus files that must pass the formatter
// acceptance checks (idempotent, AST-preserving, no comment lost); the test
// fails when fewer pass.
const corpusPassFloor = 2028

// corpusDir returns ../shared/corpus beside the module, or skips.
func corpusDir(t testing.TB) string { return testutil.CorpusDir(t) }

// corpusFiles lists every .k file of the corpus folders the formatter is
// judged on.
func corpusFiles(t testing.TB, corpus string) []string {
	t.Helper()
	var files []string
	for _, sub := range []string{"konfig", "kcl-grammar", "kcl-parser"} {
		err := filepath.WalkDir(filepath.Join(corpus, sub), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".k") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", sub, err)
		}
	}
	sort.Strings(files)
	return files
}

// checkFormat runs the acceptance checks on one source: it returns
// skip=true when the source does not parse, and otherwise a description of
// the first failed check ("" when all pass).
func checkFormat(name string, src []byte) (skip bool, problem string) {
	f, diags := syntax.ParseFile(name, src)
	if hasErrors(diags) {
		return true, ""
	}
	out, err := File(f)
	if err != nil {
		return false, fmt.Sprintf("format: %v", err)
	}
	f2, diags2 := syntax.ParseFile(name, out)
	if hasErrors(diags2) {
		return false, fmt.Sprintf("formatted output does not parse: %v\n%s", diags2[0], out)
	}
	if d := cmp.Diff(astText(f), astText(f2)); d != "" {
		return false, fmt.Sprintf("AST changed (-source +formatted):\n%s", d)
	}
	if d := cmp.Diff(commentTexts(src), commentTexts(out)); d != "" {
		return false, fmt.Sprintf("comments changed (-source +formatted):\n%s", d)
	}
	if d := commentsMoved(src, out); d != "" {
		return false, "comments moved:\n" + d
	}
	out2, err := File(f2)
	if err != nil {
		return false, fmt.Sprintf("second format: %v", err)
	}
	if d := cmp.Diff(string(out), string(out2)); d != "" {
		return false, fmt.Sprintf("not idempotent (-fmt(x) +fmt(fmt(x))):\n%s", d)
	}
	return false, ""
}

func hasErrors(diags []*diag.Diagnostic) bool {
	for _, d := range diags {
		if d != nil && !d.Warning {
			return true
		}
	}
	return false
}

// commentTexts returns the sorted texts of the comments of a source (the
// multiset the formatter must keep), without trailing white space. The
// comments are found by a scan of the text, independent of the parser.
func commentTexts(src []byte) []string {
	var texts []string
	for _, c := range scanComments(src) {
		texts = append(texts, strings.TrimRight(c.Text, " \t\r\n\f"))
	}
	sort.Strings(texts)
	return texts
}

// commentPlace says where a comment is: its text and the significant
// characters just before and just after it (white space, line
// continuations, commas, semicolons and comments skipped). moved lists the
// other places the official formatter's rules may give it: above a part of
// the line it trails (before the item that starts there), or after the
// closing brackets that follow it (a comment inside an expression printed
// on one line waits for the next place a comment can go).
type commentPlace struct {
	text, at string
	moved    map[string]bool
}

// commentPlaces describes the place of each comment of a source, in order.
func commentPlaces(src []byte) []commentPlace {
	comments := scanComments(src)
	isComment := make([]bool, len(src))
	for _, c := range comments {
		for i := c.Pos().Offset; i < c.End().Offset; i++ {
			isComment[i] = true
		}
	}
	insignificant := func(i int) bool {
		switch src[i] {
		case ' ', '\t', '\r', '\n', '\f', ',', ';', '\\':
			return true
		}
		return isComment[i]
	}
	// char names a significant character; letters, digits and _ are all
	// "word" (a literal's or keyword's spelling may change: 0x11 → 17,
	// schema XMixin → mixin XMixin).
	char := func(i int) string {
		c := src[i]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return "word"
		}
		return string(c)
	}
	around := func(start, end int) string {
		before, after := "BOF", "EOF"
		for i := start - 1; i >= 0; i-- {
			if !insignificant(i) {
				before = char(i)
				break
			}
		}
		for i := end; i < len(src); i++ {
			if !insignificant(i) {
				after = char(i)
				break
			}
		}
		return fmt.Sprintf("after %q before %q", before, after)
	}
	var places []commentPlace
	for _, c := range comments {
		pl := commentPlace{text: strings.TrimRight(c.Text, " \t\r\n\f"), at: around(c.Pos().Offset, c.End().Offset), moved: map[string]bool{}}
		lineStart := c.Pos().Offset
		for lineStart > 0 && src[lineStart-1] != '\n' {
			lineStart--
		}
		for q := lineStart; q < c.Pos().Offset; q++ {
			if !insignificant(q) && (q == lineStart || insignificant(q-1) || char(q) != char(q-1)) {
				pl.moved[around(q, q)] = true
			}
		}
		// Inside brackets, the comment may wait for the next place a
		// comment can go: anywhere up to the end of its statement (the
		// first line break outside brackets), or just after it.
		if depth := depthAt(src, c.Pos().Offset); depth > 0 {
			for i := c.End().Offset; i < len(src); i++ {
				switch ch := src[i]; {
				case ch == '"' || ch == '\'':
					i = skipString(src, i) - 1
					pl.moved[around(i+1, i+1)] = true
					continue
				case isComment[i]:
					continue
				case ch == '\n' && depth <= 0:
					pl.moved[around(i, i)] = true
					i = len(src)
					continue
				case strings.ContainsRune("([{", rune(ch)):
					depth++
				case strings.ContainsRune(")]}", rune(ch)):
					depth--
				}
				if !insignificant(i) {
					pl.moved[around(i+1, i+1)] = true
				}
			}
		}
		// Before an else, elif or check header, the comment may go into
		// the block the header opens, above its first item.
		for i := c.End().Offset; i < len(src); i++ {
			if insignificant(i) {
				continue
			}
			if !isHeader(src[i:]) {
				break
			}
			if colon := headerColon(src, i); colon >= 0 {
				pl.moved[around(colon+1, colon+1)] = true
			}
			break
		}
		places = append(places, pl)
	}
	return places
}

// isHeader reports whether b starts with the keyword of a block header that
// the official formatter prints the comments before inside its block.
func isHeader(b []byte) bool {
	for _, kw := range []string{"else", "elif", "check"} {
		if len(b) > len(kw) && string(b[:len(kw)]) == kw {
			c := b[len(kw)]
			if c == ' ' || c == ':' || c == '\t' {
				return true
			}
		}
	}
	return false
}

// headerColon returns the offset of the colon ending the block header that
// starts at off (outside brackets and strings), or -1.
func headerColon(src []byte, off int) int {
	depth := 0
	for i := off; i < len(src); {
		switch c := src[i]; c {
		case '"', '\'':
			i = skipString(src, i)
			continue
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ':':
			if depth == 0 {
				return i
			}
		case '\n':
			if depth == 0 {
				return -1
			}
		}
		i++
	}
	return -1
}

// depthAt returns the bracket depth at offset off of src (strings and
// comments skipped).
func depthAt(src []byte, off int) int {
	depth := 0
	for i := 0; i < off && i < len(src); {
		switch c := src[i]; c {
		case '"', '\'':
			i = skipString(src, i)
			continue
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		}
		i++
	}
	return depth
}

// commentsMoved compares the comment places of a source and of its
// formatted text: each comment must be where it was, or where the official
// formatter's rules move it (see commentPlace).
// It returns a description of the differences, or "".
func commentsMoved(src, out []byte) string {
	was, is := commentPlaces(src), commentPlaces(out)
	if len(was) != len(is) {
		return fmt.Sprintf("%d comments became %d", len(was), len(is))
	}
	var b strings.Builder
	for i := range was {
		w, g := was[i], is[i]
		if w.text != g.text || g.at != w.at && !w.moved[g.at] {
			fmt.Fprintf(&b, "%s: was %s (or moved: %v), is %s %s\n", w.text, w.at, w.moved, g.text, g.at)
		}
	}
	return b.String()
}

var (
	spanType = reflect.TypeOf(syntax.Span{})
	posType  = reflect.TypeOf(syntax.Pos{})
)

// astText renders a tree without positions, comments or source-spelling
// fields (TypeExpr.Text keeps the source spacing of a type), so that two
// trees that differ only in layout render equally. Nil and empty slices
// render alike.
func astText(n syntax.Node) string {
	var b strings.Builder
	writeAST(&b, reflect.ValueOf(n), 0)
	return b.String()
}

func writeAST(b *strings.Builder, v reflect.Value, level int) {
	pad := strings.Repeat("  ", level)
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			b.WriteString("nil\n")
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		b.WriteString(t.Name() + "\n")
		for i := 0; i < t.NumField(); i++ {
			ft := t.Field(i)
			if ft.Type == spanType || ft.Type == posType || !ft.IsExported() {
				continue
			}
			switch ft.Name {
			case "Src", "Comments", "Filename":
				if t.Name() == "File" {
					continue
				}
			case "Text":
				if t.Name() == "TypeExpr" {
					continue
				}
			case "Raw":
				// An integer's spelling (0x11 is printed 17); its value is compared.
				if t.Name() == "NumberLit" && v.FieldByName("Kind").Interface() == syntax.IntNumber {
					continue
				}
			case "IsElif":
				// `else:` holding only an if is printed `elif`.
				continue
			case "IsMixin", "IsProtocol":
				// A schema named …Mixin is a mixin whatever its keyword (…Protocol a protocol).
				if t.Name() == "SchemaStmt" {
					continue
				}
			}
			if t.Name() == "SchemaStmt" && ft.Name == "Name" {
				if st, ok := v.Addr().Interface().(*syntax.SchemaStmt); ok && st.Name != nil {
					kind := "schema"
					switch {
					case st.IsMixin || strings.HasSuffix(st.Name.Name, "Mixin"):
						kind = "mixin"
					case st.IsProtocol || strings.HasSuffix(st.Name.Name, "Protocol"):
						kind = "protocol"
					}
					b.WriteString(pad + "  Kind: " + kind + "\n")
				}
			}
			if t.Name() == "LambdaExpr" && ft.Name == "ReturnType" {
				// No return type is `-> any`, which the official formatter
				// writes out when it breaks the parameters over lines.
				if rt, _ := v.Field(i).Interface().(*syntax.TypeExpr); rt == nil || rt.Kind == syntax.AnyType {
					b.WriteString(pad + "  ReturnType: any\n")
					continue
				}
			}
			fv := v.Field(i)
			if fv.IsZero() && !(fv.Kind() == reflect.Slice) {
				continue
			}
			if fv.Kind() == reflect.Slice && fv.Len() == 0 {
				continue
			}
			b.WriteString(pad + "  " + ft.Name + ": ")
			writeAST(b, fv, level+1)
		}
	case reflect.Slice:
		b.WriteString(fmt.Sprintf("[%d]\n", v.Len()))
		for i := 0; i < v.Len(); i++ {
			b.WriteString(pad + "  - ")
			writeAST(b, v.Index(i), level+1)
		}
	default:
		if tok, ok := v.Interface().(syntax.Token); ok {
			b.WriteString(tok.String() + "\n")
			return
		}
		fmt.Fprintf(b, "%#v\n", v.Interface())
	}
}

func TestCorpus(t *testing.T) {
	corpus := corpusDir(t)
	files := corpusFiles(t, corpus)
	trace := os.Getenv("FORMAT_CORPUS_TRACE") != "" // name each file before it is checked (to find a hang)
	passed, failed, skipped, unchanged, konfig := 0, 0, 0, 0, 0
	var failures []string
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		rel, _ := filepath.Rel(corpus, file)
		if trace {
			fmt.Fprintln(os.Stderr, "format corpus:", rel)
		}
		skip, problem := checkFormat(rel, src)
		switch {
		case skip:
			skipped++
		case problem != "":
			failed++
			failures = append(failures, rel+": "+problem)
		default:
			passed++
			if strings.HasPrefix(rel, "konfig"+string(filepath.Separator)) {
				konfig++
				if out, err := Source(rel, src); err == nil && string(out) == string(src) {
					unchanged++
				}
			}
		}
	}
	for i, f := range failures {
		if i == 10 {
			t.Logf("... and %d more failures", len(failures)-10)
			break
		}
		t.Log(f)
	}
	t.Logf("%d passed, %d failed (%d files skipped: they do not parse)", passed, failed, skipped)
	t.Logf("konfig files already in our style (fmt leaves them unchanged): %d of %d", unchanged, konfig)
	fmt.Printf("format corpus: %d passed, %d failed\n", passed, failed)
	if passed < corpusPassFloor {
		t.Errorf("%d corpus files passed, below the floor of %d", passed, corpusPassFloor)
	}
}

// BenchmarkKonfigPrint prints the parsed Konfig corpus (no parsing) per
// iteration and reports lines per second.
func BenchmarkKonfigPrint(b *testing.B) {
	corpus := corpusDir(b)
	var files []*syntax.File
	lines := 0
	for _, file := range corpusFiles(b, corpus) {
		if !strings.Contains(file, string(filepath.Separator)+"konfig"+string(filepath.Separator)) {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		f, diags := syntax.ParseFile(file, src)
		if hasErrors(diags) {
			continue
		}
		files = append(files, f)
		lines += strings.Count(string(src), "\n") + 1
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, f := range files {
			if _, err := File(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkKonfig formats every file of the Konfig corpus (parse + print)
// per iteration and reports lines per second.
func BenchmarkKonfig(b *testing.B) {
	corpus := corpusDir(b)
	var srcs [][]byte
	var names []string
	lines := 0
	for _, file := range corpusFiles(b, corpus) {
		if !strings.Contains(file, string(filepath.Separator)+"konfig"+string(filepath.Separator)) {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Source(file, src); err != nil {
			continue
		}
		srcs = append(srcs, src)
		names = append(names, file)
		lines += strings.Count(string(src), "\n") + 1
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, src := range srcs {
			if _, err := Source(names[i], src); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
