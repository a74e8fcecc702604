package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/preview"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// The commands the server executes (workspace/executeCommand). Each takes
// one argument: a document URI or a stack directory.
const (
	cmdPreview = "konfig.preview" // the stack's rendered resources
	cmdDiff    = "konfig.diff"    // the three-way diff against the cluster
	cmdApply   = "konfig.apply"   // apply, after the user confirms
	cmdDestroy = "konfig.destroy" // destroy, after the user confirms
)

var allCommands = []string{cmdPreview, cmdDiff, cmdApply, cmdDestroy, cmdNewStack, cmdCheckAffected}

// commandResult is what the commands return: a title, a text to show (YAML
// or diff) and, for apply and destroy, the summary.
type commandResult struct {
	Stack   string `json:"stack"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Summary string `json:"summary,omitempty"`
}

// CodeLens answers textDocument/codeLens: "Preview resources", "Preview
// diff" and "Apply" on the entry files of a stack (the files of its
// settings that live in the stack directory); "Check N affected stacks" on
// a KCL file that is no stack's own (a model file, affected.go).
func (s *server) CodeLens(ctx context.Context, params *protocol.CodeLensParams) ([]protocol.CodeLens, error) {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	u := s.unitFor(path)
	arg, _ := json.Marshal(string(params.TextDocument.URI))
	if u.stack == nil && s.trusted() && loader.IsKCL(path) {
		if lens := s.affectedLens(ctx, path, arg); lens != nil {
			return lens, nil
		}
	}
	if u.stack == nil || filepath.Dir(path) != u.stack.Dir {
		return []protocol.CodeLens{}, nil
	}
	r := lspRange(protocol.Position{}, protocol.Position{})
	lens := func(title, cmd string) protocol.CodeLens {
		return protocol.CodeLens{Range: r, Command: protocol.Command{Title: title, Command: cmd, Arguments: []protocol.LSPAny{arg}}}
	}
	if !s.trusted() {
		return []protocol.CodeLens{lens(untrustedLensTitle, cmdPreview)}, nil
	}
	out := []protocol.CodeLens{lens("Preview resources", cmdPreview), lens("Preview diff", cmdDiff)}
	s.mu.Lock()
	disabled := s.settings().DisableApply
	s.mu.Unlock()
	if !disabled {
		out = append(out, lens("Apply", cmdApply))
	}
	return out, nil
}

// ExecuteCommand runs one of the konfig.* commands.
func (s *server) ExecuteCommand(ctx context.Context, params *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	if err := s.commandAllowed(params.Command); err != nil {
		return nil, err
	}
	if params.Command == cmdCheckAffected {
		return s.checkAffectedCommand(ctx, params)
	}
	if params.Command == cmdNewStack {
		return s.newStackCommand(ctx, params)
	}
	if len(params.Arguments) != 1 {
		return nil, fmt.Errorf("%s takes one argument (a document URI or a stack directory), got %d", params.Command, len(params.Arguments))
	}
	var arg string
	if err := json.Unmarshal(params.Arguments[0], &arg); err != nil {
		return nil, fmt.Errorf("%s: argument: %w", params.Command, err)
	}
	st, err := s.stackOf(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", params.Command, err)
	}
	var res *commandResult
	switch params.Command {
	case cmdPreview:
		res, err = s.previewCommand(ctx, st)
	case cmdDiff:
		res, err = s.diffCommand(ctx, st)
	case cmdApply, cmdDestroy:
		s.mu.Lock()
		disabled := s.settings().DisableApply
		s.mu.Unlock()
		if disabled {
			return nil, fmt.Errorf("%s is disabled by the disableApply setting", params.Command)
		}
		res, err = s.applyCommand(ctx, st, params.Command == cmdDestroy, params.WorkDoneToken)
	default:
		return nil, fmt.Errorf("unknown command %q", params.Command)
	}
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", params.Command, err)
	}
	return b, nil
}

// argPath returns the absolute path of a document URI or path argument (a
// relative path is relative to the workspace, not to wherever the editor
// started the server).
func (s *server) argPath(arg string) (string, error) {
	path := arg
	if u, err := uri.Parse(arg); err == nil && strings.HasPrefix(arg, "file:") && u.IsFile() {
		path = u.FsPath()
	} else if roots := s.session.snapshot().roots; !filepath.IsAbs(path) && len(roots) > 0 {
		path = filepath.Join(roots[0], path)
	}
	return filepath.Abs(path)
}

// stackOf returns the stack of a document URI or directory argument.
func (s *server) stackOf(arg string) (*konfig.Stack, error) {
	abs, err := s.argPath(arg)
	if err != nil {
		return nil, err
	}
	dir := konfig.FindStackDir(abs)
	if dir == "" {
		return nil, fmt.Errorf("%s is not in a stack (no stack.yaml at or above it)", abs)
	}
	return konfig.LoadStack(dir)
}

func (s *server) compiled(ctx context.Context, st *konfig.Stack) (*stackResult, error) {
	r := s.compileStack(ctx, s.requestSnapshot(ctx), st)
	if r.err != nil {
		return nil, fmt.Errorf("stack %s does not compile: %w%s", st.Name, r.err, errorDetail(r.err))
	}
	return r, nil
}

// errorDetail returns the secondary messages of a KCL diagnostic (a failed
// check's condition and message), which its Error text leaves out, each
// on a line of its own; "" when there are none.
func errorDetail(err error) string {
	var d *diag.Diagnostic
	if !errors.As(err, &d) || len(d.Messages) < 2 {
		return ""
	}
	var b strings.Builder
	for _, m := range d.Messages[1:] {
		fmt.Fprintf(&b, "\n%s: %s", m.Pos, m.Text)
	}
	return b.String()
}

func (s *server) previewCommand(ctx context.Context, st *konfig.Stack) (*commandResult, error) {
	r, err := s.compiled(ctx, st)
	if err != nil {
		return nil, err
	}
	return &commandResult{Stack: st.Dir, Title: fmt.Sprintf("Resources of %s (%d)", stackLabel(st), len(r.spec.Resources)),
		Text: preview.YAML(r.spec.Resources, s.sensitive())}, nil
}

func stackLabel(st *konfig.Stack) string {
	if p := st.ProjectName(); p != "" {
		return p + "/" + st.Name
	}
	return st.Name
}

// sensitive is the matcher of sensitive attribute names: the defaults and
// the sensitiveAttributes setting.
func (s *server) sensitive() spec.Matcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return spec.NewMatcher(s.settings().SensitiveAttributes...)
}

// previewOptions are the engine's preview options from the settings.
func (s *server) previewOptions() engine.PreviewOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	return engine.PreviewOptions{ExcludeTypes: append([]string(nil), s.settings().ExcludeTypes...)}
}

// engineFor returns the stack's engine on the configured cluster, and the
// cluster as the messages name it (`context "x" of /path/kubeconfig`).
func (s *server) engineFor(st *konfig.Stack) (*engine.Engine, string, error) {
	s.mu.Lock()
	kc := kubernetes.Config{Kubeconfig: s.settings().Kubeconfig, Context: s.settings().Context, Logger: s.log}
	s.mu.Unlock()
	kc.Kubeconfig = kubeconfigPath(kc.Kubeconfig, s.session.snapshot().roots)
	where := "the current context"
	if kc.Context != "" {
		where = fmt.Sprintf("context %q", kc.Context)
	}
	switch {
	case kc.Kubeconfig != "":
		where += " of " + kc.Kubeconfig
	case os.Getenv("KUBECONFIG") != "":
		where += " of $KUBECONFIG"
	default:
		where += " of ~/.kube/config"
	}
	e, err := engine.NewKubernetes(st.Dir, kc, s.sensitive())
	if err != nil {
		return nil, where, fmt.Errorf("cluster (%s): %w", where, err)
	}
	return e, where, nil
}

// kubeconfigPath resolves the kubeconfig setting: "~/" is the home
// directory (editors' settings are not expanded by a shell) and a relative
// path is relative to the first workspace root (the server's working
// directory is whatever the editor chose). Empty stays empty: $KUBECONFIG
// or ~/.kube/config.
func kubeconfigPath(setting string, roots []string) string {
	switch {
	case setting == "":
		return ""
	case setting == "~" || strings.HasPrefix(setting, "~/"):
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, setting[1:])
		}
	case !filepath.IsAbs(setting) && len(roots) > 0:
		return filepath.Join(roots[0], setting)
	}
	return setting
}

func (s *server) diffCommand(ctx context.Context, st *konfig.Stack) (*commandResult, error) {
	r, err := s.compiled(ctx, st)
	if err != nil {
		return nil, err
	}
	e, where, err := s.engineFor(st)
	if err != nil {
		return nil, err
	}
	ch, err := e.Preview(ctx, r.spec, s.previewOptions())
	if err != nil {
		return nil, fmt.Errorf("cluster (%s): %w", where, err)
	}
	var b bytes.Buffer
	if err := engine.WriteTable(&b, stackLabel(st), ch); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	if err := engine.WriteDiff(&b, ch, false); err != nil {
		return nil, err
	}
	return &commandResult{Stack: st.Dir, Title: "Diff of " + stackLabel(st), Text: b.String()}, nil
}

var progressSeq atomic.Int64

// progress reports one long operation through $/progress: on the token the
// client sent with its request (workDoneToken), else on a token the server
// creates when the client takes server-initiated progress, else nowhere.
type progress struct {
	s     *server
	ctx   context.Context // not cancelled with the request: end must arrive
	token protocol.ProgressToken
}

func (s *server) startProgress(ctx context.Context, given protocol.ProgressToken, title string) *progress {
	return s.startProgressWith(ctx, given, title, nil)
}

// startProgressWith is startProgress, with a progress the user can cancel
// (window/workDoneProgress/cancel) when onToken is set: it is called with
// the token before the progress begins, so that a cancellation that follows
// the begin finds the token registered.
func (s *server) startProgressWith(ctx context.Context, given protocol.ProgressToken, title string, onToken func(protocol.ProgressToken)) *progress {
	p := &progress{s: s, ctx: context.WithoutCancel(ctx), token: given}
	if p.token == nil {
		s.mu.Lock()
		can := s.clientProgress
		s.mu.Unlock()
		if !can {
			return p
		}
		token := protocol.String(fmt.Sprintf("konfig-%d", progressSeq.Add(1)))
		if err := s.client.WorkDoneProgressCreate(ctx, &protocol.WorkDoneProgressCreateParams{Token: token}); err != nil {
			s.log.Warn("window/workDoneProgress/create", "error", err)
			return p
		}
		p.token = token
	}
	zero := uint32(0)
	begin := &protocol.WorkDoneProgressBegin{Kind: "begin", Title: title, Percentage: &zero}
	if onToken != nil {
		onToken(p.token)
		cancellable := true
		begin.Cancellable = &cancellable
	}
	p.send(begin)
	return p
}

func (p *progress) report(message string, percentage uint32) {
	p.send(&protocol.WorkDoneProgressReport{Kind: "report", Message: &message, Percentage: &percentage})
}

func (p *progress) end(message string) {
	p.send(&protocol.WorkDoneProgressEnd{Kind: "end", Message: &message})
}

func (p *progress) send(v any) {
	if p.token == nil {
		return
	}
	b, err := protocol.Marshal(v)
	if err != nil {
		p.s.log.Warn("progress", "error", err)
		return
	}
	if err := p.s.client.Progress(p.ctx, &protocol.ProgressParams{Token: p.token, Value: b}); err != nil {
		p.s.log.Warn("$/progress", "error", err)
	}
}

// applyCommand previews, asks the user, then applies (or destroys) with
// $/progress reports (on token when the client gave one).
func (s *server) applyCommand(ctx context.Context, st *konfig.Stack, destroy bool, token protocol.ProgressToken) (*commandResult, error) {
	verb := "Apply"
	var r *stackResult
	var err error
	if destroy {
		verb = "Destroy"
	} else if r, err = s.compiled(ctx, st); err != nil {
		// Before the cluster: a stack that does not compile says so even
		// when no cluster is configured.
		return nil, err
	}
	e, where, err := s.engineFor(st)
	if err != nil {
		return nil, err
	}
	aopts := engine.ApplyOptions{PreviewOptions: s.previewOptions()}
	var ch *engine.Changes
	if destroy {
		ch, err = e.DestroyPreview(ctx)
	} else {
		ch, err = e.Preview(ctx, r.spec, aopts.PreviewOptions)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster (%s): %w", where, err)
	}
	if !destroy {
		// Refused before asking: there is nothing to confirm.
		if err := engine.Refusal(ch, aopts); err != nil {
			if ch.Count(engine.Unsupported) > 0 {
				return nil, fmt.Errorf("%w\nin the editor, the excludeTypes setting leaves types out, e.g. \"excludeTypes\": [\"Terraform\"]", err)
			}
			return nil, err
		}
	}
	var table bytes.Buffer
	_ = engine.WriteTable(&table, stackLabel(st), ch)
	if !ch.HasChanges() {
		return &commandResult{Stack: st.Dir, Title: verb + " " + stackLabel(st), Text: table.String(), Summary: "nothing to do"}, nil
	}
	question := fmt.Sprintf("%s stack %s?\n%s", verb, stackLabel(st), table.String())
	// Fields that another field manager set since the last apply (a hand
	// edit, `kubectl edit`) conflict; the user who confirms this plan wants
	// it to win, so the apply takes them over, and the question says so.
	conflicts := conflictIDs(ch)
	if len(conflicts) > 0 {
		question += fmt.Sprintf("Fields of %s were changed by another field manager; applying takes them over.\n", strings.Join(conflicts, ", "))
	}
	answer, err := s.client.ShowMessageRequest(ctx, &protocol.ShowMessageRequestParams{
		Type:    protocol.MessageTypeWarning,
		Message: question,
		Actions: []protocol.MessageActionItem{{Title: verb}, {Title: "Cancel"}},
	})
	if err != nil {
		return nil, fmt.Errorf("asking the user: %w", err)
	}
	if answer == nil || answer.Title != verb {
		return &commandResult{Stack: st.Dir, Title: verb + " " + stackLabel(st), Text: table.String(), Summary: "cancelled"}, nil
	}
	prog := s.startProgress(ctx, token, verb+" "+stackLabel(st))
	aopts.OnEvent = func(ev engine.Event) {
		pct := uint32(0)
		if ev.Total > 0 {
			pct = uint32(ev.Done * 100 / ev.Total)
		}
		prog.report(fmt.Sprintf("%s %s %s", ev.Type, ev.Action, ev.ID), pct)
	}
	var res *engine.Result
	if destroy {
		res, err = e.Destroy(ctx, engine.DestroyOptions{OnEvent: aopts.OnEvent})
	} else {
		aopts.ForceConflicts = len(conflicts) > 0
		res, err = e.Apply(ctx, r.spec, ch, aopts)
	}
	summary := ""
	if res != nil {
		summary = res.Summary()
	}
	switch {
	case err == nil:
		prog.end(summary)
	case ctx.Err() != nil:
		prog.end(fmt.Sprintf("%s cancelled: %s", verb, summary))
	default:
		prog.end(fmt.Sprintf("%s failed: %s", verb, summary))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, stackLabel(st), err)
	}
	return &commandResult{Stack: st.Dir, Title: verb + " " + stackLabel(st), Text: table.String(), Summary: summary}, nil
}

// conflictIDs returns the ids of the steps whose apply would conflict with
// another field manager.
func conflictIDs(ch *engine.Changes) []string {
	var out []string
	for _, st := range ch.Steps() {
		if strings.HasPrefix(st.Note, "conflict") {
			out = append(out, st.ID)
		}
	}
	return out
}
