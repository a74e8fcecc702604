package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// client is the editor side of the session: it records every
// publishDiagnostics (arrival time and URI, whether it carries the probe's
// policy error) and the server's $/progress, and lets the steps wait on them.
// Its handlers run in wire order (lsp.ConnectClient).
type client struct {
	protocol.UnimplementedClient

	// probe is a message fragment whose presence in a publish marks the
	// opened stack's policy diagnostics.
	probe string

	mu sync.Mutex
	// changed is closed and replaced at every publish and progress end.
	changed chan struct{}
	pubs    map[uri.URI][]time.Time // arrival of every publish, by URI
	probed  map[uri.URI]time.Time   // first publish holding the probe
	holds   map[uri.URI]bool        // whether the latest publish holds it
	last    time.Time               // the latest publish
	// progress: titles by token, and the index builds seen.
	titles  map[string]progressBegin
	indexes []indexBuild
	// rss reads the server's resident set size (for an index build's end).
	rss func() int64
}

type progressBegin struct {
	title string
	at    time.Time
}

// indexBuild is a $/progress whose title mentions an index, from begin to
// end, with the server's RSS at its end.
type indexBuild struct {
	title      string
	begin, end time.Time
	rss        int64
}

func newClient(probe string) *client {
	return &client{
		probe:   probe,
		changed: make(chan struct{}),
		pubs:    map[uri.URI][]time.Time{},
		probed:  map[uri.URI]time.Time{},
		holds:   map[uri.URI]bool{},
		titles:  map[string]progressBegin{},
	}
}

func (c *client) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *client) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pubs[p.URI] = append(c.pubs[p.URI], now)
	c.last = now
	holds := false
	for _, d := range p.Diagnostics {
		if s, ok := d.Message.(protocol.String); ok && c.probe != "" && strings.Contains(string(s), c.probe) {
			holds = true
			break
		}
	}
	c.holds[p.URI] = holds
	if _, seen := c.probed[p.URI]; !seen && holds {
		c.probed[p.URI] = now
	}
	c.notify()
	return nil
}

func (c *client) WorkDoneProgressCreate(context.Context, *protocol.WorkDoneProgressCreateParams) error {
	return nil
}

func (c *client) Progress(_ context.Context, p *protocol.ProgressParams) error {
	now := time.Now()
	var v struct {
		Kind  string `json:"kind"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(p.Value, &v); err != nil {
		return err
	}
	token := fmt.Sprint(p.Token)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch v.Kind {
	case "begin":
		c.titles[token] = progressBegin{title: v.Title, at: now}
	case "end":
		b, ok := c.titles[token]
		delete(c.titles, token)
		if ok && strings.Contains(strings.ToLower(b.title), "index") {
			var rss int64
			if c.rss != nil {
				rss = c.rss()
			}
			c.indexes = append(c.indexes, indexBuild{title: b.title, begin: b.at, end: now, rss: rss})
			c.notify()
		}
	}
	return nil
}

func (c *client) Configuration(_ context.Context, p *protocol.ConfigurationParams) ([]protocol.LSPAny, error) {
	out := make([]protocol.LSPAny, len(p.Items))
	for i := range out {
		out[i] = protocol.LSPAny("null")
	}
	return out, nil
}

func (c *client) RegisterCapability(context.Context, *protocol.RegistrationParams) error { return nil }
func (c *client) UnregisterCapability(context.Context, *protocol.UnregistrationParams) error {
	return nil
}
func (c *client) LogMessage(context.Context, *protocol.LogMessageParams) error { return nil }
func (c *client) ShowMessage(_ context.Context, p *protocol.ShowMessageParams) error {
	fmt.Fprintf(os.Stderr, "driver: server says: %s\n", p.Message)
	return nil
}
func (c *client) ShowMessageRequest(context.Context, *protocol.ShowMessageRequestParams) (*protocol.MessageActionItem, error) {
	return nil, nil
}
func (c *client) CodeLensRefresh(context.Context) error       { return nil }
func (c *client) SemanticTokensRefresh(context.Context) error { return nil }
func (c *client) InlayHintRefresh(context.Context) error      { return nil }
func (c *client) DiagnosticRefresh(context.Context) error     { return nil }

// since counts the publishes of u that arrived at or after t.
func (c *client) since(u uri.URI, t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.pubs[u] {
		if !at.Before(t) {
			n++
		}
	}
	return n
}

// cleared tells whether u was published since t and its latest publish
// does not hold the probe.
func (c *client) cleared(u uri.URI, t time.Time) bool {
	n := c.since(u, t)
	c.mu.Lock()
	defer c.mu.Unlock()
	return n > 0 && !c.holds[u]
}

// firstSince is the arrival of the first publish of u at or after t.
func (c *client) firstSince(u uri.URI, t time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, at := range c.pubs[u] {
		if !at.Before(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

// waitUntil waits until cond (called without the lock held) holds, or the
// deadline passes (false).
func (c *client) waitUntil(deadline time.Time, cond func() bool) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return cond()
		}
	}
}

// quiet is the outcome of waitQuiet.
type quiet struct {
	// settled: the step became quiet before the deadline.
	settled bool
	// last is the arrival of the step's last publish (zero: none).
	last time.Time
	// reported and expected count the expected documents reported.
	reported, expected int
}

// waitQuiet waits for the end of a step that began at t0 (see README.md,
// "Quiet"): no publishDiagnostics for the window idle and either every
// expected document reported (reported() == expected), or the server idle
// over that window (see busy; it has stopped working without reporting them
// all). It gives up at the deadline.
func (c *client) waitQuiet(t0 time.Time, idle time.Duration, cpuIdle float64, act func() activity,
	reported func() int, expected int, deadline time.Time) quiet {
	over := time.NewTimer(time.Until(deadline))
	defer over.Stop()
	windowStart, a0 := time.Now(), act()
	result := func(settled bool) quiet {
		c.mu.Lock()
		last := c.last
		c.mu.Unlock()
		q := quiet{settled: settled, reported: reported(), expected: expected}
		if last.After(t0) {
			q.last = last
		}
		return q
	}
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		window := time.NewTimer(time.Until(windowStart.Add(idle)))
		select {
		case <-ch:
			window.Stop()
			windowStart, a0 = time.Now(), act()
		case <-window.C:
			if reported() >= expected {
				return result(true)
			}
			now, a1 := time.Now(), act()
			if !busy(a0, a1, now.Sub(windowStart), cpuIdle) {
				return result(true)
			}
			windowStart, a0 = now, a1
		case <-over.C:
			window.Stop()
			return result(false)
		}
	}
}

// indexBuilds returns the index builds seen so far.
func (c *client) indexBuilds() []indexBuild {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]indexBuild(nil), c.indexes...)
}
