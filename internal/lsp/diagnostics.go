package lsp

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// diagStore holds the diagnostics of every file by layer: syntax (the
// parser, immediate), semantic (the resolver) and policy (evaluation of the
// stacks that include the file, keyed by stack). Publishing merges them.
type diagStore struct {
	mu    sync.Mutex
	files map[string]*fileDiags
}

type fileDiags struct {
	syntax   []protocol.Diagnostic
	semantic []protocol.Diagnostic
	policy   map[string][]protocol.Diagnostic // by stack dir
}

func (d *diagStore) get(path string) *fileDiags {
	if d.files == nil {
		d.files = map[string]*fileDiags{}
	}
	f := d.files[path]
	if f == nil {
		f = &fileDiags{policy: map[string][]protocol.Diagnostic{}}
		d.files[path] = f
	}
	return f
}

func (d *diagStore) setSyntax(path string, ds []protocol.Diagnostic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.get(path).syntax = ds
}

func (d *diagStore) setSemantic(path string, ds []protocol.Diagnostic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.get(path).semantic = ds
}

// setPolicy replaces the diagnostics that stack produced, in every file, by
// byFile; it returns the files whose diagnostics changed.
func (d *diagStore) setPolicy(stack string, byFile map[string][]protocol.Diagnostic) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var touched []string
	for path, f := range d.files {
		if _, ok := f.policy[stack]; ok {
			if _, still := byFile[path]; !still {
				delete(f.policy, stack)
				touched = append(touched, path)
			}
		}
	}
	for path, ds := range byFile {
		d.get(path).policy[stack] = ds
		touched = append(touched, path)
	}
	sort.Strings(touched)
	return touched
}

func (d *diagStore) clear(path string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.files[path]; f != nil {
		f.syntax, f.semantic = nil, nil
	}
}

// merged returns all diagnostics of path in a stable order.
func (d *diagStore) merged(path string) []protocol.Diagnostic {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.files[path]
	out := []protocol.Diagnostic{}
	if f == nil {
		return out
	}
	out = append(out, f.syntax...)
	// The resolver and the evaluator can report the same error: once.
	seen := map[string]bool{}
	addOnce := func(d protocol.Diagnostic) {
		key := rangeKey(d.Range) + diagText(d)
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	for _, d := range f.semantic {
		addOnce(d)
	}
	stacks := make([]string, 0, len(f.policy))
	for k := range f.policy {
		stacks = append(stacks, k)
	}
	sort.Strings(stacks)
	for _, k := range stacks {
		for _, d := range f.policy[k] {
			addOnce(d)
		}
	}
	return out
}

func rangeKey(r protocol.Range) string {
	return fmt.Sprintf("%d:", r.Start.Line)
}

func diagText(d protocol.Diagnostic) string {
	if s, ok := d.Message.(protocol.String); ok {
		return string(s)
	}
	return ""
}

// publish sends the merged diagnostics of path.
func (s *server) publish(ctx context.Context, snap *snapshot, path string) {
	params := &protocol.PublishDiagnosticsParams{URI: pathURI(path), Diagnostics: s.diags.merged(path)}
	if d := snap.doc(path); d != nil {
		params.URI = d.uri
		params.Version = protocol.NewOptional(d.version)
	}
	if err := s.client.PublishDiagnostics(context.WithoutCancel(ctx), params); err != nil {
		s.log.Warn("publishDiagnostics", "path", path, "error", err)
	}
}

// syntaxDiagnostics parses the open document path and stores its syntax
// errors.
func (s *server) syntaxDiagnostics(snap *snapshot, path string) {
	d := snap.doc(path)
	if d == nil {
		return
	}
	limit := s.maxFileSize()
	size := int64(len(d.data))
	if size <= limit {
		f := s.parse(path, d.text.src)
		s.diags.setSyntax(path, toProtocolDiags(d.text, path, f.diags, "syntax"))
		return
	}
	// Over the limit: syntax service only, or nothing at all when even a
	// parse would cost too much.
	ds := []protocol.Diagnostic{}
	msg := fmt.Sprintf("This file is %s, over the file size limit of %d bytes (setting konfig.maxFileSize): "+
		"syntax checks only; no type checks, policy evaluation or model-aware features.", humanBytes(size), limit)
	if size > parseFactor*limit {
		msg = fmt.Sprintf("This file is %s, over %d times the file size limit of %d bytes (setting konfig.maxFileSize): "+
			"it is not parsed; no diagnostics or language features.", humanBytes(size), parseFactor, limit)
	} else {
		ds = toProtocolDiags(d.text, path, s.parse(path, d.text.src).diags, "syntax")
	}
	end := protocol.Position{Character: uint32(utf16Len(d.text.firstLine()))}
	ds = append(ds, protocol.Diagnostic{
		Range:    lspRange(protocol.Position{}, end),
		Severity: protocol.DiagnosticSeverityInformation,
		Code:     protocol.String("FileTooLarge"),
		Source:   protocol.NewOptional("konfig-lsp"),
		Message:  protocol.String(msg),
	})
	s.diags.setSyntax(path, ds)
}

// toProtocolDiags converts KCL diagnostics whose primary message is in path.
func toProtocolDiags(t *text, path string, ds []*diag.Diagnostic, source string) []protocol.Diagnostic {
	out := []protocol.Diagnostic{}
	for _, d := range ds {
		m := d.Primary()
		if m.Pos.File != "" && m.Pos.File != path {
			continue
		}
		out = append(out, withData(toProtocolDiag(t, d, m, source), t, path, d))
	}
	return out
}

// toProtocolDiag converts the message m of a KCL diagnostic.
func toProtocolDiag(t *text, d *diag.Diagnostic, m diag.Message, source string) protocol.Diagnostic {
	// A message with an end underlines its range; otherwise, to the end of
	// the line.
	r := lineRange(t, m.Pos.Line, m.Pos.Col)
	if m.End.Line > 0 {
		start := t.charColPosition(m.Pos.Line, max(m.Pos.Col, 1))
		if end := t.charColPosition(m.End.Line, max(m.End.Col, 1)); end != start {
			r = lspRange(start, end)
		}
	}
	sev := protocol.DiagnosticSeverityError
	if d.Warning {
		sev = protocol.DiagnosticSeverityWarning
	}
	text := m.Text
	if m.Note != "" {
		text += "\n" + m.Note
	}
	return protocol.Diagnostic{
		Range:    r,
		Severity: sev,
		Code:     protocol.String(string(d.Kind.Code())),
		Source:   protocol.NewOptional("konfig-lsp " + source),
		Message:  protocol.String(string(d.Kind) + ": " + text),
	}
}

// lineRange is the range a message at a 1-based line and character column
// underlines: from the column (from the first non-blank character when the
// column is unknown, col <= 0) to the end of the line.
func lineRange(t *text, line, col int) protocol.Range {
	start := t.charColPosition(line, max(col, 1))
	text := t.line(int(start.Line))
	if col <= 0 {
		first := 0
		for first < len(text) && (text[first] == ' ' || text[first] == '\t') {
			first++
		}
		start.Character = uint32(utf16Len(text[:first]))
	}
	end := protocol.Position{Line: start.Line, Character: uint32(utf16Len(text))}
	if end.Character < start.Character {
		end = start
	}
	return lspRange(start, end)
}
