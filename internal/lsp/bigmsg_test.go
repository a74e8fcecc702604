package lsp

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bigDidOpen returns a didOpen frame for uri whose text is a KCL file of
// about size bytes (as test/hostile's generator writes: one short
// assignment a line, so JSON escapes a line break every 16 bytes).
func bigDidOpen(u string, size int) string {
	var b strings.Builder
	b.Grow(size + size/8 + 256)
	fmt.Fprintf(&b, `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"kcl","version":1,"text":"`, u)
	start := b.Len()
	for i := 0; b.Len()-start < size; i++ {
		fmt.Fprintf(&b, `_g%08d = %d\n`, i, i)
	}
	b.WriteString(`"}}}`)
	return frame(b.String())
}

// peakHeap samples the heap in use until stop is closed.
func peakHeap(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if v := ms.HeapInuse; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return &peak
}

// TestBigDidOpen sends a didOpen of KONFIG_BIGMSG_MB megabytes (default 50;
// skipped in -short) through the real message loop, then a hover on it,
// and logs the time to read the frame, the hover's latency after it and
// the heap. It asserts the answers, never the times (bench/trust measures
// the binary).
func TestBigDidOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 50 MB message")
	}
	mb := 50
	if v := os.Getenv("KONFIG_BIGMSG_MB"); v != "" {
		mb, _ = strconv.Atoi(v)
	}
	dir := t.TempDir()
	u := "file://" + dir + "/big.k"
	msg := bigDidOpen(u, mb<<20)
	r := startRaw(t)
	r.initialize()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := peakHeap(stop)

	start := time.Now()
	r.write(msg) // io.Pipe: returns when the server has read the last byte
	read := time.Since(start)
	msg = ""
	h := time.Now()
	m := r.call(`1`, "textDocument/hover", fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":1000,"character":3}}`, u))
	hover := time.Since(h)
	t.Logf("hover: %s %+v", sample(m.Result), m.Error) // the file is over maxFileSize
	m = r.call(`2`, "textDocument/foldingRange", fmt.Sprintf(`{"textDocument":{"uri":%q}}`, u))
	t.Logf("foldingRange: %s %+v", sample(m.Result), m.Error)
	checkDocs := func() {
		t.Helper()
		snap := r.server.session.snapshot()
		for _, d := range snap.docs {
			if len(d.data) < mb*900_000 {
				t.Errorf("document of %d bytes, want %d MB", len(d.data), mb)
			}
			if !strings.HasPrefix(d.text.src, "_g00000000 = 0\n_g00000001 = 1\n") || !strings.HasSuffix(d.text.src, "\n") || string(d.data[:12]) != d.text.src[:12] {
				t.Errorf("document text %q … %q", d.text.src[:min(40, len(d.text.src))], d.text.src[max(0, len(d.text.src)-40):])
			}
		}
	}
	checkDocs() // the didOpen's buffer, unquoted in place
	// A whole-document didChange of the same size (not on the fast path:
	// encoding/json), for the record.
	change := bigDidOpen(u, mb<<20)
	change = strings.Replace(change, `"method":"textDocument/didOpen"`, `"method":"textDocument/didChange"`, 1)
	change = strings.Replace(change, `"languageId":"kcl","version":1,"text":`, `"version":2},"contentChanges":[{"text":`, 1)
	change = strings.TrimSuffix(change, `}}}`) + `}]}}`
	change = frame(change[strings.Index(change, "{"):])
	c := time.Now()
	r.write(change)
	changeRead := time.Since(c)
	change = ""
	c = time.Now()
	m = r.call(`3`, "textDocument/foldingRange", fmt.Sprintf(`{"textDocument":{"uri":%q}}`, u))
	t.Logf("whole-document didChange: read in %v, next request answered %v after it (%s %+v)", changeRead.Round(time.Millisecond), time.Since(c).Round(time.Millisecond), sample(m.Result), m.Error)
	close(stop)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.GC()
	var kept runtime.MemStats
	runtime.ReadMemStats(&kept)
	t.Logf("%d MB didOpen: frame read in %v; hover answered %v after it; allocated %d MiB; heap in use: peak %d MiB (test's own frame included), %d MiB kept after GC (was %d)",
		mb, read.Round(time.Millisecond), hover.Round(time.Millisecond),
		(after.TotalAlloc-before.TotalAlloc)>>20, peak.Load()>>20, kept.HeapInuse>>20, before.HeapInuse>>20)
	checkDocs()
}

// BenchmarkBigDidOpen: a 50 MB didOpen then a hover, per iteration, for
// -cpuprofile/-memprofile.
func BenchmarkBigDidOpen(b *testing.B) {
	dir := b.TempDir()
	u := "file://" + dir + "/big.k"
	msg := bigDidOpen(u, 50<<20)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go io.Copy(io.Discard, outR)
	go func() {
		_ = Serve(b.Context(), pipeRWC{inR, outW, []io.Closer{inR, outW}}, Options{Debounce: time.Hour})
	}()
	io.WriteString(inW, frame(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}}`))
	io.WriteString(inW, frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
	hover, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover",
		"params": map[string]any{"textDocument": map[string]any{"uri": u}, "position": map[string]any{"line": 10, "character": 1}}})
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for range b.N {
		io.WriteString(inW, msg)
		io.WriteString(inW, frame(string(hover)))
	}
	b.StopTimer()
	inW.Close()
}

// TestFrameOverLimit: messages over maxFrame are read through, not kept: a
// request is answered with InvalidRequest, a didOpen with a warning to the
// user; the server goes on.
func TestFrameOverLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: messages of 64 MiB")
	}
	r := startRaw(t)
	r.initialize()
	pad := strings.Repeat("a", maxFrame)
	r.send(`{"jsonrpc":"2.0","id":5,"method":"textDocument/hover","params":{"x":"` + pad + `"}}`)
	if m := r.response(); string(m.ID) != "5" || code(m) != -32600 {
		t.Fatalf("response %s %+v, want id 5, InvalidRequest", m.ID, m.Error)
	}
	r.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///x/big.k","languageId":"kcl","version":1,"text":"` + pad + `"}}}`)
	m := r.next(func(m wireMsg) bool { return m.Method == "window/showMessage" })
	if !strings.Contains(string(m.Params), "textDocument/didOpen") {
		t.Errorf("showMessage %s", m.Params)
	}
	// A Content-Length over the limit that is too large for its body: the
	// frame still ends where its JSON ends.
	small := `{"jsonrpc":"2.0","id":6,"method":"shutdown"}`
	r.write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", maxFrame+1, small))
	if m := r.response(); string(m.ID) != "6" || code(m) != -32600 {
		t.Fatalf("response %s %+v, want id 6, InvalidRequest", m.ID, m.Error)
	}
	r.alive()
	if n := len(r.server.session.snapshot().docs); n != 0 {
		t.Errorf("%d documents open, want none", n)
	}
}

// TestLargeFrameContentLength: a body over largeFrame whose Content-Length
// is wrong is handled as a small one is: cut where its JSON ends (too
// large), or answered as not JSON (too small), and the next message is
// read.
func TestLargeFrameContentLength(t *testing.T) {
	old := largeFrame
	largeFrame = 16
	defer func() { largeFrame = old }()
	req := `{"jsonrpc":"2.0","id":10,"method":"textDocument/foldingRange","params":{"textDocument":{"uri":"file:///nowhere/x.k"}}}`
	r := startRaw(t)
	r.initialize()
	r.write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(req)+len(req)+40, req) + frame(req))
	for range 2 {
		if m := r.response(); string(m.ID) != "10" || code(m) != -32803 { // RequestFailed: no such file
			t.Fatalf("response %s %+v, want id 10", m.ID, m.Error)
		}
	}
	r.write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(req)-10, req))
	if m := r.response(); code(m) != -32700 {
		t.Fatalf("response %s %+v, want ParseError", m.ID, m.Error)
	}
	// Swallowing the next frame exactly: the body ends with } but is two
	// messages.
	two := req + "\r\n" + frame(req)
	r.write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(two), two))
	for range 2 {
		if m := r.response(); string(m.ID) != "10" || code(m) != -32803 { // RequestFailed: no such file
			t.Fatalf("response %s %+v, want id 10", m.ID, m.Error)
		}
	}
	r.alive()
}
