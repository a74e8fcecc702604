package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.lsp.dev/uri"
)

// FuzzMessageLoop drives the server's message loop (framing, lifecycle and
// didChange application) with a program decoded from the fuzz input:
// didOpen/didChange (random ranges, valid or not, random versions)/didClose,
// requests, frames with a wrong Content-Length, and garbage bytes between
// frames. It checks that the server never panics or hangs, that every
// request it should have read is answered (ContentModified exactly when the
// document is out of sync), and that each document's text and sync state
// equal a reference model that applies the same edits independently.
func FuzzMessageLoop(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{0, 0, 10, 1, 0, 1, 2, 3, 1, 2, 2, 4},
		{0, 1, 20, 0, 1, 1, 9, 9, 9, 9, 1, 5, 0, 1, 0, 0, 5, 0},
		{0, 0, 30, 1, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 4, 5},
		{0, 0, 12, 4, 8, 'a', ':', ' ', 'b', '\r', '\n', '{', '"', 5, 0, 2, 0, 7, 1, 0, 0, 1, 3},
		{0, 0, 40, 6, 0, 1, 1, 1, 0, 4, 1, 8, 6, 1, 0},
		{0, 0, 25, 7, 17, 'C', 'o', 'n', 't', 'e', 'n', 't', '-', 'L', 'e', 'n', 'g', 't', 'h', ':', ' ', '9', 1, 0, 1, 0, 0, 0, 0, 3},
		{0, 0, 9, 1, 0, 2, 200, 1, 0, 0, 0, 1, 0, 0, 255, 7, 0, 2, 0, 3, 0},
		[]byte("Content-Length: 3\r\n\r\n{}}\x00\x01garbage"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Odd lengths take every frame over 16 bytes through the large
		// frame path (largeBody: no scan when the Content-Length agrees).
		if len(data)%2 == 1 {
			old := largeFrame
			largeFrame = 16
			defer func() { largeFrame = old }()
		}
		runMessageLoop(t, data)
	})
}

// fuzzAlphabet is what document texts are made of: every line break, ASCII,
// two- and four-byte UTF-8 (one and two UTF-16 units).
var fuzzAlphabet = []string{"a", "b", " ", "=", "{", "}", "\n", "\r", "\r\n", "é", "😀", "\"", "\\", "\t"}

type fuzzInput struct {
	data []byte
	i    int
}

func (in *fuzzInput) byte() int {
	if in.i >= len(in.data) {
		return 0
	}
	in.i++
	return int(in.data[in.i-1])
}

func (in *fuzzInput) more() bool { return in.i < len(in.data) }

func (in *fuzzInput) text(max int) string {
	n := in.byte() % (max + 1)
	var b strings.Builder
	for range n {
		b.WriteString(fuzzAlphabet[in.byte()%len(fuzzAlphabet)])
	}
	return b.String()
}

// modelDoc is the reference model of an open document.
type modelDoc struct {
	text      string
	version   int
	outOfSync bool
}

func runMessageLoop(t *testing.T, data []byte) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var srv *server
	ready := make(chan struct{})
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		err := Serve(ctx, pipeRWC{inR, outW, []io.Closer{inR, outW}},
			Options{Logger: slog.New(slog.DiscardHandler), Debounce: time.Hour, onServer: func(s *server) { srv = s; close(ready) }})
		outW.Close()
		done <- err
	}()
	<-ready
	// Responses by id; other messages are drained.
	responses := make(chan wireMsg, 4096)
	go func() {
		defer close(responses)
		br := bufio.NewReader(outR)
		for {
			body, err := readTestFrame(br)
			if err != nil {
				return
			}
			var m wireMsg
			if json.Unmarshal(body, &m) != nil {
				t.Errorf("the server wrote a frame that is not JSON: %q", body)
				return
			}
			if m.Method == "" {
				responses <- m
			}
		}
	}()
	// Writes never block the fuzz loop on a stuck server: a writer
	// goroutine feeds the pipe.
	writes := make(chan []byte, 1<<12)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for b := range writes {
			if _, err := inW.Write(b); err != nil {
				for range writes {
				}
				return
			}
		}
	}()
	write := func(s string) { writes <- []byte(s) }
	uris := []string{string(uri.File("/fuzz/a.k")), string(uri.File("/fuzz/b.k"))}
	docs := map[int]*modelDoc{}
	// want: request id → whether ContentModified is expected.
	want := map[string]bool{}
	uncertain := false // garbage that may hold frames: only no panic/hang is checked
	nextID := 100
	write(frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`))
	want["1"] = false
	write(frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))

	in := &fuzzInput{data: data}
	for ops := 0; in.more() && ops < 64; ops++ {
		d := in.byte() % len(uris)
		u := uris[d]
		switch in.byte() % 8 {
		case 0: // didOpen
			text := in.text(40)
			v := in.byte()
			write(frame(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"kcl","version":%d,"text":%s}}}`, u, v, jsonString(text))))
			docs[d] = &modelDoc{text: text, version: v}
		case 1, 2: // incremental didChange, valid or not
			doc := docs[d]
			n := 1 + in.byte()%3
			var parts []string
			var changes []modelChange
			for range n {
				c := randomChange(in, doc)
				changes = append(changes, c)
				parts = append(parts, c.json())
			}
			v := in.byte() % 4
			version := v // v: 0 goes backwards
			if doc != nil {
				version = doc.version + v
			}
			write(frame(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":%q,"version":%d},"contentChanges":[%s]}}`, u, version, strings.Join(parts, ","))))
			modelApply(doc, version, changes)
		case 3: // whole-document didChange
			text := in.text(40)
			doc := docs[d]
			version := 1
			if doc != nil {
				version = doc.version + 1
			}
			write(frame(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":%q,"version":%d},"contentChanges":[{"text":%s}]}}`, u, version, jsonString(text))))
			modelApply(doc, version, []modelChange{{whole: true, text: text}})
		case 4: // didClose
			write(frame(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":%q}}}`, u)))
			delete(docs, d)
		case 5: // a request about the document
			id := strconv.Itoa(nextID)
			nextID++
			write(frame(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"textDocument/foldingRange","params":{"textDocument":{"uri":%q}}}`, id, u)))
			want[id] = docs[d] != nil && docs[d].outOfSync
		case 6: // a request with a wrong Content-Length
			id := strconv.Itoa(nextID)
			nextID++
			body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"textDocument/foldingRange","params":{"textDocument":{"uri":%q}}}`, id, u)
			delta := in.byte()%41 - 20
			if delta == 0 {
				delta = 1
			}
			n := max(len(body)+delta, 1)
			write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", n, body))
			if n > len(body) { // read up to where the JSON ends
				want[id] = docs[d] != nil && docs[d].outOfSync
			}
		case 7: // garbage between frames
			n := in.byte() % 48
			var b []byte
			for range n {
				b = append(b, byte(in.byte()))
			}
			// Garbage holding a Content-Length field may hold frames of
			// its own (a header the server reads or resynchronises on).
			if strings.Contains(strings.ToLower(string(b)), "content-length:") {
				uncertain = true
			}
			write(string(b))
		}
	}
	if !uncertain {
		write(frame(`{"jsonrpc":"2.0","id":"sync","method":"shutdown"}`))
		want[`"sync"`] = false
	}
	deadline := time.After(20 * time.Second)
	for !uncertain && len(want) > 0 {
		select {
		case m, ok := <-responses:
			if !ok {
				t.Fatalf("the server's output ended with requests unanswered: %v", want)
			}
			id := string(m.ID)
			if id == "null" {
				continue // a parse error for a cut frame
			}
			modified, expected := want[id]
			if !expected {
				t.Fatalf("unexpected response %s: %+v", id, m.Error)
			}
			if got := code(m) == -32801; got != modified {
				t.Fatalf("request %s: ContentModified %v, want %v (%+v)", id, got, modified, m.Error)
			}
			delete(want, id)
		case <-deadline:
			t.Fatalf("hang: requests unanswered after 20s: %v", want)
		}
	}
	if !uncertain {
		snap := srv.session.snapshot()
		for d, u := range uris {
			p := uriMustPath(t, u)
			got, m := snap.docs[p], docs[d]
			switch {
			case (got == nil) != (m == nil):
				t.Fatalf("%s: open %v, model open %v", u, got != nil, m != nil)
			case got == nil:
			case got.text.src != m.text:
				t.Fatalf("%s: text %q, model %q", u, got.text.src, m.text)
			case srv.docSync.outOfSync(p) != m.outOfSync:
				t.Fatalf("%s: out of sync %v, model %v", u, srv.docSync.outOfSync(p), m.outOfSync)
			case !m.outOfSync && int(got.version) != m.version:
				t.Fatalf("%s: version %d, model %d", u, got.version, m.version)
			}
		}
	}
	close(writes)
	inW.Close()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("hang: Serve did not return after the input ended")
	}
	outR.Close()
	<-writerDone
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// modelChange is a content change as the fuzz program sends it.
type modelChange struct {
	whole                bool
	line1, char1, l2, c2 int
	text                 string
	malformed            string // raw JSON range replacing the positions
}

func (c modelChange) json() string {
	if c.whole {
		return `{"text":` + jsonString(c.text) + `}`
	}
	r := c.malformed
	if r == "" {
		r = fmt.Sprintf(`{"start":{"line":%d,"character":%d},"end":{"line":%d,"character":%d}}`, c.line1, c.char1, c.l2, c.c2)
	}
	return `{"range":` + r + `,"text":` + jsonString(c.text) + `}`
}

// randomChange makes an incremental change near the document's bounds
// (often valid, sometimes just out of bounds, sometimes malformed JSON).
func randomChange(in *fuzzInput, doc *modelDoc) modelChange {
	lines := 1
	if doc != nil {
		lines = len(modelLines(doc.text))
	}
	pick := func() (int, int) {
		l := in.byte() % (lines + 2)
		width := 2
		if doc != nil && l < lines {
			width = modelLineWidth(doc.text, l) + 2
		}
		return l, in.byte() % (width + 1)
	}
	c := modelChange{}
	c.line1, c.char1 = pick()
	c.l2, c.c2 = pick()
	if in.byte()%2 == 0 { // mostly ordered
		if c.l2 < c.line1 || (c.l2 == c.line1 && c.c2 < c.char1) {
			c.line1, c.char1, c.l2, c.c2 = c.l2, c.c2, c.line1, c.char1
		}
	}
	switch in.byte() % 16 {
	case 0:
		c.malformed = `null`
	case 1:
		c.malformed = fmt.Sprintf(`{"start":{"line":-1,"character":%d},"end":{"line":0,"character":0}}`, c.char1)
	case 2:
		c.malformed = `{"start":{"line":0,"character":0}}`
	}
	c.text = in.text(8)
	return c
}

// The model's own line and offset arithmetic, written independently of
// text.go: lines end at CR, LF or CRLF; columns count UTF-16 units.

func modelLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n':
			out = append(out, s[start:i])
			i += 2
			start = i
		case s[i] == '\r' || s[i] == '\n':
			out = append(out, s[start:i])
			i++
			start = i
		default:
			i++
		}
	}
	return append(out, s[start:])
}

func units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func modelLineWidth(s string, line int) int {
	n := 0
	for _, r := range modelLines(s)[line] {
		n += units(r)
	}
	return n
}

// modelOffset is the byte offset of line:char, or false when the position is
// not exactly in the text.
func modelOffset(s string, line, char int) (int, bool) {
	ls := modelLines(s)
	if line == len(ls) && char == 0 {
		return len(s), true
	}
	if line >= len(ls) {
		return 0, false
	}
	off := 0
	for i := range line {
		off += len(ls[i])
		// the break after line i
		if strings.HasPrefix(s[off:], "\r\n") {
			off += 2
		} else {
			off++
		}
	}
	u := 0
	for i, r := range ls[line] {
		if u == char {
			return off + i, true
		}
		if u > char {
			return 0, false
		}
		u += units(r)
	}
	if u == char {
		return off + len(ls[line]), true
	}
	return 0, false
}

// modelApply applies a didChange to the model as the server must.
func modelApply(doc *modelDoc, version int, changes []modelChange) {
	if doc == nil {
		return // not open: ignored
	}
	for _, c := range changes {
		if !c.whole && c.malformed != "" {
			doc.outOfSync = true
			return
		}
	}
	from := 0
	if doc.outOfSync {
		from = -1
		for i, c := range changes {
			if c.whole {
				from = i
			}
		}
		if from < 0 {
			return
		}
	} else if version <= doc.version {
		doc.outOfSync = true
		return
	}
	text := doc.text
	for _, c := range changes[from:] {
		if c.whole {
			text = c.text
			continue
		}
		a, ok1 := modelOffset(text, c.line1, c.char1)
		b, ok2 := modelOffset(text, c.l2, c.c2)
		if !ok1 || !ok2 || b < a {
			doc.outOfSync = true
			return
		}
		text = text[:a] + c.text + text[b:]
	}
	if !utf8.ValidString(text) {
		panic("model text is not UTF-8")
	}
	doc.text, doc.version, doc.outOfSync = text, version, false
}
