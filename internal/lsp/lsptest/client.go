// Package lsptest holds the fake editor that the language server's tests
// talk to: a protocol.Client that answers the server's requests as an
// editor would (configuration, questions, registrations, progress tokens)
// and records everything the server sends, so that tests can wait on it
// and check it. The tests of internal/lsp and of internal/lsp/lspk8s share
// it.
//
//	c := &lsptest.Client{Settings: `{"debounceMs": 1}`}
//	// connect it with lsp.ConnectClient, open a file, then:
//	ds := c.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) > 0 })
package lsptest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// Client is the editor side of an in-process session. Its zero value is
// ready to use; the exported fields configure it and are set before the
// session starts.
type Client struct {
	protocol.UnimplementedClient

	// Settings answers workspace/configuration (JSON; "" answers null).
	Settings string
	// Configured, when set, is closed at the first workspace/configuration.
	Configured chan struct{}
	// OnRegister, when set, is closed at the first registration.
	OnRegister chan struct{}
	// ProgressEnded, when set, receives a value at every $/progress end.
	ProgressEnded chan struct{}

	mu             sync.Mutex
	configured     bool // Configured was closed
	registeredOnce bool // OnRegister was closed
	// answer picks the action of window/showMessageRequest (nil: the
	// first action).
	answer     func(*protocol.ShowMessageRequestParams) *protocol.MessageActionItem
	onProgress func(map[string]any)
	asked      []string
	registered []string
	shown      []string
	diags      map[uri.URI][]protocol.Diagnostic
	messages   []string // every published diagnostic message, JSON-quoted
	changed    chan struct{}
	created    []string
	edited     []string // files changed by workspace/applyEdit
	progress   map[string][]map[string]any
	events     []string // "<token> <kind>" per $/progress, in order
	progressed chan struct{}
}

// AnswerTitle answers a showMessageRequest with the action of that title,
// or declines (null, as when the user closes the dialog) without one.
func AnswerTitle(title string) func(*protocol.ShowMessageRequestParams) *protocol.MessageActionItem {
	return func(p *protocol.ShowMessageRequestParams) *protocol.MessageActionItem {
		for i := range p.Actions {
			if p.Actions[i].Title == title {
				return &p.Actions[i]
			}
		}
		return nil
	}
}

// SetAnswer sets how the next questions are answered (nil: the first
// action).
func (c *Client) SetAnswer(answer func(*protocol.ShowMessageRequestParams) *protocol.MessageActionItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answer = answer
}

// SetOnProgress sets a function that sees every $/progress value, on the
// read loop after it is recorded (nil: none).
func (c *Client) SetOnProgress(f func(map[string]any)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onProgress = f
}

// Reset forgets the recorded questions and progress and answers the next
// questions with the action titled answer.
func (c *Client) Reset(answer string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answer = AnswerTitle(answer)
	c.asked, c.created, c.events = nil, nil, nil
	c.progress = nil
}

// init makes the channels of a zero Client; c.mu is held.
func (c *Client) init() {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	if c.progressed == nil {
		c.progressed = make(chan struct{})
	}
}

func (c *Client) Configuration(context.Context, *protocol.ConfigurationParams) ([]protocol.LSPAny, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Configured != nil && !c.configured {
		close(c.Configured)
		c.configured = true
	}
	if c.Settings == "" {
		return []protocol.LSPAny{[]byte("null")}, nil
	}
	return []protocol.LSPAny{[]byte(c.Settings)}, nil
}

func (c *Client) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if c.diags == nil {
		c.diags = map[uri.URI][]protocol.Diagnostic{}
	}
	c.diags[p.URI] = p.Diagnostics
	for _, d := range p.Diagnostics {
		b, _ := json.Marshal(d.Message)
		c.messages = append(c.messages, string(b))
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return nil
}

func (c *Client) ShowMessageRequest(_ context.Context, p *protocol.ShowMessageRequestParams) (*protocol.MessageActionItem, error) {
	c.mu.Lock()
	c.asked = append(c.asked, p.Message)
	answer := c.answer
	c.mu.Unlock()
	if answer != nil {
		return answer(p), nil
	}
	if len(p.Actions) == 0 {
		return nil, nil
	}
	return &p.Actions[0], nil
}

func (c *Client) RegisterCapability(_ context.Context, p *protocol.RegistrationParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range p.Registrations {
		c.registered = append(c.registered, r.Method)
	}
	if c.OnRegister != nil && !c.registeredOnce {
		close(c.OnRegister)
		c.registeredOnce = true
	}
	return nil
}

func (c *Client) ShowMessage(_ context.Context, p *protocol.ShowMessageParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shown = append(c.shown, p.Message)
	return nil
}

func (c *Client) LogMessage(_ context.Context, p *protocol.LogMessageParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shown = append(c.shown, p.Message)
	return nil
}

func (c *Client) WorkDoneProgressCreate(_ context.Context, p *protocol.WorkDoneProgressCreateParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, TokenString(p.Token))
	return nil
}

func (c *Client) Progress(_ context.Context, p *protocol.ProgressParams) error {
	var v map[string]any
	if err := json.Unmarshal(p.Value, &v); err != nil {
		return fmt.Errorf("progress value %s: %w", p.Value, err)
	}
	c.mu.Lock()
	c.init()
	tok := TokenString(p.Token)
	if c.progress == nil {
		c.progress = map[string][]map[string]any{}
	}
	c.progress[tok] = append(c.progress[tok], v)
	kind, _ := v["kind"].(string)
	c.events = append(c.events, tok+" "+kind)
	close(c.progressed)
	c.progressed = make(chan struct{})
	on, ended := c.onProgress, c.ProgressEnded
	c.mu.Unlock()
	if on != nil {
		on(v)
	}
	if kind == "end" && ended != nil {
		ended <- struct{}{}
	}
	return nil
}

// TokenString is a progress token as text.
func TokenString(t protocol.ProgressToken) string {
	switch v := t.(type) {
	case protocol.String:
		return string(v)
	case protocol.Integer:
		return fmt.Sprint(int32(v))
	}
	return fmt.Sprint(t)
}

// strings returns a copy of the list at p, taken under the lock.
func (c *Client) strings(p *[]string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), *p...)
}

// Asked returns the messages of the showMessageRequests so far.
func (c *Client) Asked() []string { return c.strings(&c.asked) }

// Registered returns the methods of the dynamic registrations so far.
func (c *Client) Registered() []string { return c.strings(&c.registered) }

// Created returns the tokens of window/workDoneProgress/create so far.
func (c *Client) Created() []string { return c.strings(&c.created) }

// ProgressEvents returns "<token> <kind>" for every $/progress so far.
func (c *Client) ProgressEvents() []string { return c.strings(&c.events) }

// ProgressValues returns a copy of the $/progress values so far, per token.
func (c *Client) ProgressValues() map[string][]map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]map[string]any{}
	for k, v := range c.progress {
		out[k] = append([]map[string]any(nil), v...)
	}
	return out
}

// Diagnostics returns the diagnostics last published for u, and whether
// any were.
func (c *Client) Diagnostics(u uri.URI) ([]protocol.Diagnostic, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ds, ok := c.diags[u]
	return append([]protocol.Diagnostic(nil), ds...), ok
}

// Texts returns everything the editor was shown: questions, shown and
// logged messages, diagnostic messages and progress values.
func (c *Client) Texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.asked...)
	out = append(out, c.shown...)
	out = append(out, c.messages...)
	for _, vs := range c.progress {
		for _, v := range vs {
			b, _ := json.Marshal(v)
			out = append(out, string(b))
		}
	}
	return out
}

// AwaitDiags waits until the diagnostics published for u satisfy ok, for
// at most timeout; it returns the last diagnostics and whether they did.
func (c *Client) AwaitDiags(u uri.URI, ok func([]protocol.Diagnostic) bool, timeout time.Duration) ([]protocol.Diagnostic, bool) {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		c.init()
		ds, have := c.diags[u]
		ch := c.changed
		c.mu.Unlock()
		if have && ok(ds) {
			return ds, true
		}
		select {
		case <-ch:
		case <-deadline:
			return ds, false
		}
	}
}

// WaitDiags waits until the diagnostics of u satisfy ok, or fails the test
// after a generous deadline (a guard against hangs, not a timing check).
func (c *Client) WaitDiags(t testing.TB, u uri.URI, ok func([]protocol.Diagnostic) bool) []protocol.Diagnostic {
	t.Helper()
	ds, done := c.AwaitDiags(u, ok, 30*time.Second)
	if !done {
		t.Fatalf("diagnostics of %s never satisfied the condition; last: %v", u, ds)
	}
	return ds
}

// WaitProgressEnd waits until the progress of token has ended, or fails
// the test after a generous deadline, and returns its values.
func (c *Client) WaitProgressEnd(t testing.TB, token string) []map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		c.init()
		vs := append([]map[string]any(nil), c.progress[token]...)
		ch := c.progressed
		c.mu.Unlock()
		if n := len(vs); n > 0 && vs[n-1]["kind"] == "end" {
			return vs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("progress %q never ended; got %v", token, vs)
		}
	}
}

// IndexTitle is the title of the workspace index's build progress, which
// the server reports on its own at start.
const IndexTitle = "Indexing workspace"

// CreatedForRequests returns the progress tokens created so far, less the
// workspace index build's (a server-initiated report, not a request's).
func (c *Client) CreatedForRequests() []string {
	values := c.ProgressValues()
	var out []string
	for _, tok := range c.Created() {
		index := false
		for _, v := range values[tok] {
			if title, _ := v["title"].(string); title == IndexTitle {
				index = true
			}
		}
		if !index {
			out = append(out, tok)
		}
	}
	return out
}
