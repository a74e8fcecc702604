//go:build linux

package hostile

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// runServer runs the case through the language server: initialize, open
// the entry file, wait for its diagnostics, hover, wait for the expected
// text, shutdown and exit. It returns everything the server said.
func runServer(t *testing.T, ws *Workspace, c *Case) string {
	t.Helper()
	settings := map[string]any{"trusted": true}
	if c.Timeout > 0 {
		settings["evalTimeoutMs"] = c.Timeout.Milliseconds()
	}
	maps.Copy(settings, c.Settings)

	ctx, cancel := context.WithTimeout(t.Context(), processBound)
	defer cancel()
	cl, err := StartServer(ctx, binary, ws, settings)
	if err != nil {
		t.Fatal(err)
	}
	fail := func(format string, args ...any) string {
		t.Helper()
		t.Errorf(format, args...)
		cl.Kill()
		t.Logf("server log:\n%s", tail(ws.Normalize(cl.Log())))
		return cl.All()
	}

	start := time.Now()
	if err := cl.Initialize(ctx, ws.Root); err != nil {
		return fail("%v", err)
	}
	openPath := filepath.Join(ws.Root, filepath.FromSlash(c.Open))
	text, err := os.ReadFile(openPath)
	if err != nil {
		return fail("%v", err)
	}
	if err := cl.Open(openPath, text); err != nil {
		return fail("didOpen: %v", err)
	}
	for _, o := range c.AlsoOpen() {
		p := filepath.Join(ws.Root, filepath.FromSlash(o))
		data, err := os.ReadFile(p)
		if err != nil {
			return fail("%v", err)
		}
		if err := cl.Open(p, data); err != nil {
			return fail("didOpen: %v", err)
		}
	}
	if err := cl.Wait(ctx, func(ms []Message) bool { return Diagnosed(ms, openPath) }); err != nil {
		return fail("no diagnostics for %s: %v", c.Open, err)
	}
	hoverStart := time.Now()
	if err := cl.Hover(ctx, openPath, string(text), c.hover); err != nil {
		return fail("hover: %v", err)
	}
	hover := time.Since(hoverStart)
	if wants, _ := c.Want("lsp"); len(wants) > 0 {
		wctx, cancel := context.WithTimeout(ctx, expectBound)
		var shown string
		err := cl.Wait(wctx, func(ms []Message) bool {
			shown = ws.Normalize(Visible(ms))
			_, _, ok := MatchAll(shown, wants)
			return ok
		})
		cancel()
		at, missing, _ := MatchAll(shown, wants)
		if err != nil {
			return fail("the server never showed %q (after %q; in diagnostics, messages or answers, in this order): %v\n%s", wants[missing], wants[:missing], err, tail(shown))
		}
		for k, m := range at {
			t.Logf("expected %q: …%s…", wants[k], excerpt(shown, m[0], m[1]))
		}
	}
	said := time.Since(start)
	rss := PeakRSS(cl.Pid())
	if err := cl.Shutdown(ctx); err != nil {
		t.Errorf("shutdown and exit: %v", err)
	}
	t.Logf("server: expected text after %s, hover answered in %s, peak RSS %d MiB", said.Round(time.Millisecond), hover.Round(time.Millisecond), rss>>20)
	if rss > serverMaxRSS {
		t.Errorf("server peak RSS %d MiB, over the %d MiB bound", rss>>20, serverMaxRSS>>20)
	}
	return cl.All()
}
