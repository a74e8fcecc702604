package lsp

import (
	"encoding/json"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// diagData is the `data` of a protocol diagnostic made from a KCL one: its
// structured arguments and its fixes, with positions converted to ranges of
// the document. Quick fixes are built from it alone (codeaction.go).
type diagData struct {
	Args  *diag.Args `json:"args,omitempty"`
	Fixes []fixData  `json:"fixes,omitempty"`
}

// fixData is a diag.Fix in protocol terms.
type fixData struct {
	Title     string              `json:"title"`
	Preferred bool                `json:"preferred,omitempty"`
	Edits     []protocol.TextEdit `json:"edits"`
}

// diagCode is the protocol code of a KCL diagnostic: its stable machine
// code when it has one, else KCL's error code (E2G22 …).
func diagCode(d *diag.Diagnostic) protocol.ProgressToken {
	if c := d.MachineCode(); c != "" {
		return protocol.String(string(c))
	}
	return protocol.String(d.Kind.Code())
}

// withData gives pd, converted from d, d's machine code, its data and, for
// an unused import, the "unnecessary" tag editors grey out.
func withData(pd protocol.Diagnostic, t *text, path string, d *diag.Diagnostic) protocol.Diagnostic {
	pd.Code, pd.Data = diagCode(d), encodeDiagData(t, path, d)
	if d.MachineCode() == diag.UnusedImport {
		pd.Tags = protocol.NewDiagnosticTags(protocol.DiagnosticTagUnnecessary)
	}
	return pd
}

// encodeDiagData converts d's arguments and fixes for the document t of
// path; nil when there is nothing to carry. A fix with an edit in another
// file is left out.
func encodeDiagData(t *text, path string, d *diag.Diagnostic) protocol.LSPAny {
	return encodeData(t, path, d.Args, d.Fixes)
}

func encodeData(t *text, path string, args *diag.Args, fixes []diag.Fix) protocol.LSPAny {
	data := diagData{Args: args}
fixes:
	for _, f := range fixes {
		fd := fixData{Title: f.Title, Preferred: f.Preferred}
		for _, e := range f.Edits {
			if (e.Pos.File != "" && e.Pos.File != path) || t == nil {
				continue fixes
			}
			fd.Edits = append(fd.Edits, protocol.TextEdit{Range: lspRange(diagPosition(t, e.Pos), diagPosition(t, e.End)), NewText: e.NewText})
		}
		if len(fd.Edits) > 0 {
			data.Fixes = append(data.Fixes, fd)
		}
	}
	if data.Args == nil && len(data.Fixes) == 0 {
		return nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil
	}
	return protocol.LSPAny(b)
}

// decodeDiagData reads the data of a protocol diagnostic (zero when absent
// or not ours).
func decodeDiagData(raw protocol.LSPAny) diagData {
	var data diagData
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &data)
	}
	return data
}

// diagPosition converts a diagnostic position of t's file: by its byte
// offset when known, else by line and character column.
func diagPosition(t *text, p diag.Pos) protocol.Position {
	if p.Offset >= 0 && p.Offset <= len(t.src) && (p.Offset > 0 || p.Line <= 1) {
		return t.position(p.Offset)
	}
	return t.charColPosition(p.Line, max(p.Col, 1))
}
