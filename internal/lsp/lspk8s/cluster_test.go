package lspk8s

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"gopkg.in/yaml.v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/lsp/lsptest"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

var cluster k8stest.Cluster

func TestMain(m *testing.M) { os.Exit(k8stest.Main(m, &cluster)) }

// The commands of the server (internal/lsp/commands.go).
const (
	cmdPreview = "konfig.preview"
	cmdDiff    = "konfig.diff"
	cmdApply   = "konfig.apply"
	cmdDestroy = "konfig.destroy"
)

// stack is one stack of a workspace copy of examples/, with what its
// committed golden (ci-test/stdout.golden.yaml) says it compiles to.
type stack struct {
	dir       string          // absolute stack directory
	entry     string          // main.k, relative to the workspace root
	resources []spec.Resource // the golden resources, in order
	secrets   []string        // values that must never be shown
}

// loadStack reads the stack rel (e.g. "shop/dev") of the workspace root.
func loadStack(t testing.TB, root, rel string) *stack {
	t.Helper()
	dir := filepath.Join(root, rel)
	b, err := os.ReadFile(filepath.Join(dir, "ci-test", "stdout.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{dir: dir, entry: filepath.Join(rel, "main.k")}
	if err := yaml.Unmarshal(b, &st.resources); err != nil {
		t.Fatalf("golden of %s: %v", rel, err)
	}
	// Secret values: the data of the golden's Secrets (base64, as the
	// cluster stores them) and the password options they come from.
	for _, r := range st.resources {
		if r.Attributes["kind"] == "Secret" {
			data, _ := r.Attributes["data"].(map[string]any)
			for _, v := range data {
				if !slices.Contains(st.secrets, v.(string)) {
					st.secrets = append(st.secrets, v.(string))
				}
			}
		}
	}
	var settings struct {
		Options []struct {
			Key   string `yaml:"key"`
			Value string `yaml:"value"`
		} `yaml:"kcl_options"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "ci-test", "settings.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &settings); err != nil {
		t.Fatal(err)
	}
	for _, o := range settings.Options {
		if strings.Contains(strings.ToLower(o.Key), "password") {
			st.addSecret(o.Value)
		}
	}
	return st
}

// addSecret adds a plain value and its base64 form to the values that must
// never be shown.
func (st *stack) addSecret(v string) {
	for _, x := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
		if !slices.Contains(st.secrets, x) {
			st.secrets = append(st.secrets, x)
		}
	}
}

// ofKind returns the first golden resource of kind.
func (st *stack) ofKind(t testing.TB, kind string) spec.Resource {
	t.Helper()
	for _, r := range st.resources {
		if r.Attributes["kind"] == kind {
			return r
		}
	}
	t.Fatalf("the stack %s has no %s", st.dir, kind)
	return spec.Resource{}
}

// actions returns every golden resource with action a.
func (st *stack) actions(a engine.Action) map[string]engine.Action {
	out := map[string]engine.Action{}
	for _, r := range st.resources {
		out[r.ID] = a
	}
	return out
}

// planActions parses the change table at the top of a diff or apply text:
// `ID ACTION NOTE` rows up to the `Plan:` line.
func planActions(t testing.TB, text string) map[string]engine.Action {
	t.Helper()
	out := map[string]engine.Action{}
	in := false
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "ID" && f[1] == "ACTION":
			in = true
		case strings.HasPrefix(line, "Plan:"):
			return out
		case in && len(f) >= 2:
			out[f[0]] = engine.Action(f[1])
		}
	}
	t.Fatalf("no change table in:\n%s", text)
	return nil
}

// api reads and edits the cluster behind the server's back.
type api struct {
	t  testing.TB
	rt *kubernetes.Runtime
}

func newAPI(t testing.TB, kubeconfig string) *api {
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return &api{t: t, rt: rt}
}

// live returns the live object of r (nil when absent).
func (a *api) live(r spec.Resource) map[string]any {
	a.t.Helper()
	obj, err := a.rt.Read(context.Background(), r)
	if err != nil {
		a.t.Fatalf("read %s: %v", r.ID, err)
	}
	return obj
}

// existing returns the ids of the resources that exist and are not being
// deleted.
func (a *api) existing(rs []spec.Resource) []string {
	a.t.Helper()
	var out []string
	for _, r := range rs {
		obj := a.live(r)
		if obj == nil {
			continue
		}
		if ts, _, _ := unstructured.NestedString(obj, "metadata", "deletionTimestamp"); ts != "" {
			continue // a Namespace waits for the namespace controller, which this cluster does not run
		}
		out = append(out, r.ID)
	}
	return out
}

// edit changes the live object of r with a plain update, as `kubectl edit`
// does (another field manager).
func (a *api) edit(r spec.Resource, change func(obj *unstructured.Unstructured)) {
	a.t.Helper()
	obj := a.live(r)
	if obj == nil {
		a.t.Fatalf("%s is not in the cluster", r.ID)
	}
	u := &unstructured.Unstructured{Object: obj}
	change(u)
	gvk := u.GroupVersionKind()
	m, err := a.rt.Mapper().RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.rt.Dynamic().Resource(m.Resource).Namespace(u.GetNamespace()).Update(context.Background(), u, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		a.t.Fatalf("edit %s: %v", r.ID, err)
	}
}

// forgetNamespaces finalizes the deleted Namespaces of rs, as the namespace
// controller (not run by the test cluster) would, so that a cluster reused
// through KONFIG_K8S_KUBECONFIG can take the stack again.
func (a *api) forgetNamespaces(rs []spec.Resource) {
	for _, r := range rs {
		if r.Attributes["kind"] != "Namespace" {
			continue
		}
		obj, err := a.rt.Read(context.Background(), r)
		if err != nil || obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetDeletionTimestamp() == nil {
			continue
		}
		_ = unstructured.SetNestedSlice(u.Object, nil, "spec", "finalizers")
		gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
		if _, err := a.rt.Dynamic().Resource(gvr).Update(context.Background(), u, metav1.UpdateOptions{}, "finalize"); err != nil {
			a.t.Logf("finalize namespace %s: %v", u.GetName(), err)
		}
	}
}

// loadState returns the stack's state file, or nil when there is none.
func loadState(t testing.TB, st *stack) *state.State {
	t.Helper()
	if _, err := os.Stat(filepath.Join(st.dir, ".konfig", state.StateFile)); os.IsNotExist(err) {
		return nil
	}
	s, err := state.NewStore(filepath.Join(st.dir, ".konfig")).Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stateIDs(s *state.State) []string {
	var out []string
	for _, r := range s.Resources {
		out = append(out, r.ID)
	}
	sort.Strings(out)
	return out
}

func ids(rs []spec.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	sort.Strings(out)
	return out
}

// checkProgress checks the progress of one apply or destroy: on the
// editor's token when it gave one, else on one token the server created;
// begin, a report per resource event, and end with summary.
func checkProgress(t testing.TB, c *lsptest.Client, token, summary string, resources int) {
	t.Helper()
	created := c.Created()
	switch {
	case token != "" && len(created) > 0:
		t.Errorf("the server created progress tokens %q although the request carried %q", created, token)
	case token == "" && len(created) != 1:
		t.Fatalf("window/workDoneProgress/create sent %d times, want 1", len(created))
	case token == "":
		token = created[0]
	}
	vs := c.WaitProgressEnd(t, token)
	var kinds []string
	last := -1.0
	for _, v := range vs {
		kinds = append(kinds, v["kind"].(string))
		if p, ok := v["percentage"].(float64); ok {
			if p < last || p > 100 {
				t.Errorf("progress percentage %v after %v", p, last)
			}
			last = p
		}
	}
	if kinds[0] != "begin" || vs[0]["title"] == "" {
		t.Errorf("progress starts with %v, want a begin with a title", vs[0])
	}
	reports := 0
	for _, k := range kinds[1 : len(kinds)-1] {
		if k != "report" {
			t.Errorf("progress kinds %v: want begin, reports, end", kinds)
			break
		}
		reports++
	}
	if reports < resources {
		t.Errorf("%d progress reports for %d resources: %v", reports, resources, vs)
	}
	if end := vs[len(vs)-1]; end["message"] != summary {
		t.Errorf("progress end %v, want the summary %q", end, summary)
	}
}

// TestEditorCommandsAgainstCluster drives konfig.diff, konfig.apply and
// konfig.destroy over JSON-RPC on the shop/dev stack of examples/, against
// the test cluster, through the life of a stack: create, edit in the
// editor, drift, destroy. The server runs in process.
func TestEditorCommandsAgainstCluster(t *testing.T) {
	c := cluster.Need(t)
	lifecycle(t, c, inProcess, "shop/dev")
}

// TestBinaryAgainstCluster is the same life on the shop/prod stack with the
// built konfig-lsp binary on stdio, as an editor starts it: its stderr is
// the log checked for Secret values.
func TestBinaryAgainstCluster(t *testing.T) {
	c := cluster.Need(t)
	testutil.TrackSources(t)
	bin := filepath.Join(t.TempDir(), "konfig-lsp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/konfig-lsp")
	build.Dir = testutil.ModuleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/konfig-lsp: %v\n%s", err, out)
	}
	lifecycle(t, c, binary(bin), "shop/prod")
}

// lifecycle runs a stack of a copy of examples/ through create, edit in the
// editor, drift and destroy, on a server started through tr.
func lifecycle(t *testing.T, c *k8stest.Cluster, tr transport, rel string) {
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join(testutil.ModuleRoot(t), "examples"), root)
	st := loadStack(t, root, rel)
	k := newAPI(t, c.Kubeconfig)
	t.Cleanup(func() { k.forgetNamespaces(st.resources) })
	if got := k.existing(st.resources); len(got) > 0 {
		t.Fatalf("the cluster already holds %v", got)
	}

	s := start(t, tr, root, map[string]any{"kubeconfig": c.Kubeconfig})
	u, src := s.open(st.entry)
	var shown []string // every document and answer the editor showed
	run := func(t *testing.T, command string) *commandResult {
		t.Helper()
		res, err := s.execute(command, u, nil)
		if err != nil {
			t.Fatalf("%s: %v", command, err)
		}
		shown = append(shown, res.Title, res.Text, res.Summary)
		return res
	}

	t.Run("lens", func(t *testing.T) {
		lenses, err := s.server.CodeLens(s.ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lenses {
			got = append(got, l.Command.Title+" → "+l.Command.Command)
		}
		want := []string{"Preview resources → " + cmdPreview, "Preview diff → " + cmdDiff, "Apply → " + cmdApply}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("code lenses (-want +got):\n%s", diff)
		}
	})

	t.Run("hover", func(t *testing.T) {
		off := strings.Index(src, "storefront:")
		if off < 0 {
			t.Fatalf("no `storefront:` in %s", st.entry)
		}
		line := strings.Count(src[:off], "\n")
		h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{Line: uint32(line), Character: 2}}})
		if err != nil || h == nil {
			t.Fatalf("hover: %v, %v", h, err)
		}
		b, err := protocol.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "kind: Secret") {
			t.Errorf("the hover does not preview the Secret: %s", b)
		}
		shown = append(shown, string(b))
		// Every word of the file (the password option's line included),
		// and the inlay hints.
		hovers := 0
		for line, text := range strings.Split(src, "\n") {
			for col := range text {
				if col > 0 && isWord(text[col-1]) || !isWord(text[col]) {
					continue
				}
				h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
					TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{Line: uint32(line), Character: uint32(col)}}})
				if err != nil || h == nil {
					continue
				}
				b, _ := protocol.Marshal(h)
				shown = append(shown, string(b))
				hovers++
			}
		}
		hints, err := s.server.InlayHint(s.ctx, &protocol.InlayHintParams{TextDocument: protocol.TextDocumentIdentifier{URI: u},
			Range: protocol.Range{End: protocol.Position{Line: uint32(strings.Count(src, "\n") + 1)}}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ = protocol.Marshal(hints)
		shown = append(shown, string(b))
		t.Logf("%d hovers and %d inlay hints collected", hovers, len(hints))
	})

	t.Run("diff on an empty cluster", func(t *testing.T) {
		res := run(t, cmdDiff)
		if diff := cmp.Diff(st.actions(engine.Create), planActions(t, res.Text)); diff != "" {
			t.Errorf("diff actions (-want +got):\n%s", diff)
		}
		if !strings.Contains(res.Text, "kind: Deployment") {
			t.Errorf("the diff has no YAML of the created objects:\n%s", res.Text)
		}
	})

	t.Run("apply declined", func(t *testing.T) {
		s.client.Reset("")
		res := run(t, cmdApply)
		asked, created := s.client.Asked(), s.client.CreatedForRequests()
		if len(asked) != 1 || !strings.Contains(asked[0], "Apply") {
			t.Errorf("showMessageRequest: %q, want one question about applying", asked)
		}
		if res.Summary != "cancelled" {
			t.Errorf("summary %q, want cancelled", res.Summary)
		}
		if len(created) != 0 {
			t.Errorf("a declined apply reported progress: %v", created)
		}
		if got := k.existing(st.resources); len(got) > 0 {
			t.Errorf("a declined apply created %v", got)
		}
		if loadState(t, st) != nil {
			t.Error("a declined apply wrote the state file")
		}
	})

	t.Run("apply", func(t *testing.T) {
		s.client.Reset("Apply")
		res := run(t, cmdApply)
		if asked := s.client.Asked(); len(asked) != 1 {
			t.Errorf("asked %d times, want once", len(asked))
		}
		want := (&engine.Result{Created: len(st.resources)}).Summary()
		if res.Summary != want {
			t.Errorf("summary %q, want %q", res.Summary, want)
		}
		checkProgress(t, s.client, "", want, len(st.resources))
		if diff := cmp.Diff(ids(st.resources), sorted(k.existing(st.resources))); diff != "" {
			t.Errorf("objects in the cluster (-want +got):\n%s", diff)
		}
		sf := loadState(t, st)
		if sf == nil {
			t.Fatal("no state file after apply")
		}
		if diff := cmp.Diff(ids(st.resources), stateIDs(sf)); diff != "" {
			t.Errorf("state resources (-want +got):\n%s", diff)
		}
		if again := run(t, cmdDiff); !cmp.Equal(st.actions(engine.UnChanged), planActions(t, again.Text)) {
			t.Errorf("diff right after apply is not all UnChanged:\n%s", again.Text)
		}
		// Applying again has nothing to do: nothing is asked.
		s.client.Reset("Apply")
		if again := run(t, cmdApply); again.Summary != "nothing to do" {
			t.Errorf("second apply: summary %q, want nothing to do", again.Summary)
		}
		if asked, created := s.client.Asked(), s.client.CreatedForRequests(); len(asked)+len(created) > 0 {
			t.Errorf("a second apply with nothing to do asked %q, progress %q", asked, created)
		}
	})
	if t.Failed() {
		return
	}

	dep := st.ofKind(t, "Deployment")
	t.Run("edit in the editor, diff, apply", func(t *testing.T) {
		m := regexp.MustCompile(`image = "([^"]+)"`).FindStringSubmatchIndex(src)
		if m == nil {
			t.Fatalf("no image in %s", st.entry)
		}
		oldImage := src[m[2]:m[3]]
		newImage := oldImage + "-patch1"
		edited := src[:m[2]] + newImage + src[m[3]:]
		s.replaceAll(u, 2, edited)

		res := run(t, cmdDiff)
		want := st.actions(engine.UnChanged)
		want[dep.ID] = engine.Update
		if diff := cmp.Diff(want, planActions(t, res.Text)); diff != "" {
			t.Errorf("diff after the edit (-want +got):\n%s", diff)
		}
		if !regexp.MustCompile(`(?m)^-\s+image: `+regexp.QuoteMeta(oldImage)+`$`).MatchString(res.Text) ||
			!regexp.MustCompile(`(?m)^\+\s+image: `+regexp.QuoteMeta(newImage)+`$`).MatchString(res.Text) {
			t.Errorf("the diff does not show the image change %s → %s:\n%s", oldImage, newImage, res.Text)
		}

		s.client.Reset("Apply")
		res = run(t, cmdApply)
		wantSummary := (&engine.Result{Updated: 1, UnChanged: len(st.resources) - 1}).Summary()
		if res.Summary != wantSummary {
			t.Errorf("summary %q, want %q", res.Summary, wantSummary)
		}
		checkProgress(t, s.client, "", wantSummary, 1)
		obj := k.live(dep)
		cs, _, _ := unstructured.NestedSlice(obj, "spec", "template", "spec", "containers")
		if len(cs) == 0 || cs[0].(map[string]any)["image"] != newImage {
			t.Errorf("live containers %v, want the image %s", cs, newImage)
		}
		onDisk, err := os.ReadFile(u.FsPath())
		if err != nil {
			t.Fatal(err)
		}
		if string(onDisk) != src {
			t.Error("apply changed the file on disk")
		}
		if again := run(t, cmdDiff); !cmp.Equal(st.actions(engine.UnChanged), planActions(t, again.Text)) {
			t.Errorf("diff right after the second apply is not all UnChanged:\n%s", again.Text)
		}
	})

	t.Run("drift", func(t *testing.T) {
		cm := st.ofKind(t, "ConfigMap")
		data, _ := cm.Attributes["data"].(map[string]any)
		var key string
		for k := range data {
			if key == "" || k < key {
				key = k
			}
		}
		k.edit(cm, func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, "edited-by-hand", "data", key)
		})
		sec := st.ofKind(t, "Secret")
		secData, _ := sec.Attributes["data"].(map[string]any)
		var secKey string
		for k := range secData {
			if strings.Contains(strings.ToLower(k), "password") {
				secKey = k
			}
		}
		drifted := "drifted-Pa55w0rd-by-hand"
		st.addSecret(drifted)
		k.edit(sec, func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, base64.StdEncoding.EncodeToString([]byte(drifted)), "data", secKey)
		})

		res := run(t, cmdDiff)
		want := st.actions(engine.UnChanged)
		want[cm.ID] = engine.Update
		want[sec.ID] = engine.Update
		if diff := cmp.Diff(want, planActions(t, res.Text)); diff != "" {
			t.Errorf("diff after the hand edits (-want +got):\n%s", diff)
		}
		if !regexp.MustCompile(`(?m)^-\s+` + key + `: edited-by-hand$`).MatchString(res.Text) {
			t.Errorf("the diff does not show the hand edit of %s:\n%s", key, res.Text)
		}
		if !strings.Contains(res.Text, spec.MaskedChanged) {
			t.Errorf("the diff does not mark the changed Secret value %q:\n%s", spec.MaskedChanged, res.Text)
		}
	})

	t.Run("apply over the hand edits", func(t *testing.T) {
		cm, sec := st.ofKind(t, "ConfigMap"), st.ofKind(t, "Secret")
		s.client.Reset("Apply")
		res := run(t, cmdApply)
		asked := s.client.Asked()
		if len(asked) != 1 || !strings.Contains(asked[0], "another field manager") ||
			!strings.Contains(asked[0], cm.ID) || !strings.Contains(asked[0], sec.ID) {
			t.Errorf("the question does not say that the hand edits of %s and %s are taken over: %q", cm.ID, sec.ID, asked)
		}
		want := (&engine.Result{Updated: 2, UnChanged: len(st.resources) - 2}).Summary()
		if res.Summary != want {
			t.Errorf("summary %q, want %q", res.Summary, want)
		}
		for _, r := range []spec.Resource{cm, sec} {
			got, _, _ := unstructured.NestedMap(k.live(r), "data")
			if diff := cmp.Diff(r.Attributes["data"], got); diff != "" {
				t.Errorf("live data of %s after apply (-want +got):\n%s", r.ID, diff)
			}
		}
		if again := run(t, cmdDiff); !cmp.Equal(st.actions(engine.UnChanged), planActions(t, again.Text)) {
			t.Errorf("diff after taking the hand edits over is not all UnChanged:\n%s", again.Text)
		}
	})

	t.Run("destroy", func(t *testing.T) {
		s.client.Reset("")
		res := run(t, cmdDestroy)
		if asked := s.client.Asked(); len(asked) != 1 || !strings.Contains(asked[0], "Destroy") {
			t.Errorf("showMessageRequest: %q, want one question about destroying", asked)
		}
		if res.Summary != "cancelled" {
			t.Errorf("declined destroy: summary %q, want cancelled", res.Summary)
		}
		if diff := cmp.Diff(ids(st.resources), sorted(k.existing(st.resources))); diff != "" {
			t.Errorf("a declined destroy changed the cluster (-want +got):\n%s", diff)
		}

		// This time the editor gives the progress token with the request.
		s.client.Reset("Destroy")
		res, err := s.execute(cmdDestroy, u, protocol.String("editor-token"))
		if err != nil {
			t.Fatalf("destroy: %v", err)
		}
		shown = append(shown, res.Title, res.Text, res.Summary)
		want := (&engine.Result{Deleted: len(st.resources)}).Summary()
		if res.Summary != want {
			t.Errorf("summary %q, want %q", res.Summary, want)
		}
		checkProgress(t, s.client, "editor-token", want, len(st.resources))
		if got := k.existing(st.resources); len(got) > 0 {
			t.Errorf("left after destroy: %v", got)
		}
		if sf := loadState(t, st); sf != nil && len(sf.Resources) > 0 {
			t.Errorf("the state still holds %v", stateIDs(sf))
		}
		s.client.Reset("Destroy")
		if again := run(t, cmdDestroy); again.Summary != "nothing to do" {
			t.Errorf("second destroy: summary %q, want nothing to do", again.Summary)
		}
		if asked := s.client.Asked(); len(asked) > 0 {
			t.Errorf("a second destroy asked %q", asked)
		}
	})

	t.Run("no secret shown", func(t *testing.T) {
		places := map[string]string{
			"documents":       strings.Join(shown, "\n"),
			"editor messages": strings.Join(s.client.Texts(), "\n"),
			"server log":      s.log.String(),
		}
		for where, text := range places {
			for _, v := range st.secrets {
				if strings.Contains(text, v) {
					t.Errorf("the secret value %q appears in the %s", v, where)
				}
			}
		}
		if !strings.Contains(places["server log"], "initialize") {
			t.Errorf("the server log holds no initialize line: nothing was checked:\n%s", places["server log"])
		}
		if len(st.secrets) < 4 {
			t.Errorf("only %d secret values checked: %q", len(st.secrets), st.secrets)
		}
	})
}

// TestDisableApply: with the disableApply setting, apply and destroy fail
// with a message naming the setting, ask nothing and write nothing, while
// the diff still works.
func TestDisableApply(t *testing.T) {
	c := cluster.Need(t)
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join(testutil.ModuleRoot(t), "examples"), root)
	st := loadStack(t, root, "blog/dev")
	k := newAPI(t, c.Kubeconfig)
	s := start(t, inProcess, root, map[string]any{"kubeconfig": c.Kubeconfig, "disableApply": true})
	u, _ := s.open(st.entry)
	s.client.Reset("Apply")

	lenses, err := s.server.CodeLens(s.ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lenses {
		if l.Command.Command == cmdApply || l.Command.Command == cmdDestroy {
			t.Errorf("lens %q offered with disableApply", l.Command.Title)
		}
	}
	res, err := s.execute(cmdDiff, u, nil)
	if err != nil {
		t.Fatalf("diff with disableApply: %v", err)
	}
	if diff := cmp.Diff(st.actions(engine.Create), planActions(t, res.Text)); diff != "" {
		t.Errorf("diff actions (-want +got):\n%s", diff)
	}
	for _, command := range []string{cmdApply, cmdDestroy} {
		_, err := s.execute(command, u, nil)
		if err == nil || !strings.Contains(err.Error(), "disableApply") {
			t.Errorf("%s with disableApply: err = %v, want an error naming the setting", command, err)
		}
	}
	asked, created := s.client.Asked(), s.client.CreatedForRequests()
	if len(asked)+len(created) > 0 {
		t.Errorf("asked %q and reported progress %q with disableApply", asked, created)
	}
	if got := k.existing(st.resources); len(got) > 0 {
		t.Errorf("created with disableApply: %v", got)
	}
	if _, err := os.Stat(filepath.Join(st.dir, ".konfig")); !os.IsNotExist(err) {
		t.Errorf("the state directory exists after a disabled apply (%v)", err)
	}
}

func sorted(ss []string) []string {
	sort.Strings(ss)
	return ss
}

// TestExcludeTypes: a stack holding a Terraform resource (no runtime here)
// is refused before any question, with a message naming the type and the
// excludeTypes setting; with the setting, the diff shows it Excluded and
// its dependent Blocked, and apply creates the rest only.
func TestExcludeTypes(t *testing.T) {
	c := cluster.Need(t)
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join(testutil.ModuleRoot(t), "examples"), root)
	testutil.CopyTree(t, filepath.Join("testdata", "mixed"), filepath.Join(root, "mixed"))
	st := loadStack(t, root, "mixed/dev")
	k := newAPI(t, c.Kubeconfig)
	var tf, free, blocked spec.Resource
	for _, r := range st.resources {
		switch {
		case r.Type != spec.Kubernetes:
			tf = r
		case len(r.DependsOn) > 0:
			blocked = r
		default:
			free = r
		}
	}
	if tf.ID == "" || free.ID == "" || blocked.ID == "" {
		t.Fatalf("testdata/mixed should hold a Terraform resource, a Kubernetes one and one depending on the first: %v", ids(st.resources))
	}
	s := start(t, inProcess, root, map[string]any{"kubeconfig": c.Kubeconfig})
	u, _ := s.open(st.entry)
	s.client.Reset("Apply")
	_, err := s.execute(cmdApply, u, nil)
	if err == nil || !strings.Contains(err.Error(), spec.Terraform) || !strings.Contains(err.Error(), "excludeTypes") || !strings.Contains(err.Error(), tf.ID) {
		t.Errorf("apply of a stack with a Terraform resource: err = %v, want a refusal naming %s and the excludeTypes setting", err, tf.ID)
	}
	if asked := s.client.Asked(); len(asked) > 0 {
		t.Errorf("asked %q before refusing", asked)
	}
	kube := []spec.Resource{free, blocked}
	if got := k.existing(kube); len(got) > 0 {
		t.Errorf("a refused apply created %v", got)
	}

	// The whole settings section, as clients send it (a setting left out
	// goes back to its default).
	settings, err := json.Marshal(map[string]any{"konfig": map[string]any{"kubeconfig": c.Kubeconfig, "excludeTypes": []string{"Terraform"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{
		Settings: protocol.LSPAny(settings)}); err != nil {
		t.Fatal(err)
	}
	res, err := s.execute(cmdDiff, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.Action{free.ID: engine.Create, tf.ID: engine.Excluded, blocked.ID: engine.Blocked}
	if diff := cmp.Diff(want, planActions(t, res.Text)); diff != "" {
		t.Errorf("diff with excludeTypes (-want +got):\n%s", diff)
	}
	res, err = s.execute(cmdApply, u, nil)
	if err != nil {
		t.Fatalf("apply with excludeTypes: %v", err)
	}
	if asked := s.client.Asked(); len(asked) != 1 {
		t.Errorf("asked %d times, want once", len(asked))
	}
	if want := (&engine.Result{Created: 1}).Summary(); !strings.HasPrefix(res.Summary, want) {
		t.Errorf("summary %q, want it to start with %q", res.Summary, want)
	}
	if diff := cmp.Diff([]string{free.ID}, k.existing(kube)); diff != "" {
		t.Errorf("objects after apply (-want +got):\n%s", diff)
	}
	s.client.Reset("Destroy")
	if _, err := s.execute(cmdDestroy, u, nil); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if got := k.existing(kube); len(got) > 0 {
		t.Errorf("left after destroy: %v", got)
	}
}

// TestCancelledApply: the editor cancels an apply ($/cancelRequest) as soon
// as the first resource is done. The progress still ends, the state file is
// valid and holds only objects that exist, the lock is free, and applying
// again converges.
func TestCancelledApply(t *testing.T) {
	c := cluster.Need(t)
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join(testutil.ModuleRoot(t), "examples"), root)
	st := loadStack(t, root, "blog/dev")
	k := newAPI(t, c.Kubeconfig)
	t.Cleanup(func() { k.forgetNamespaces(st.resources) })
	s := start(t, inProcess, root, map[string]any{"kubeconfig": c.Kubeconfig})
	u, _ := s.open(st.entry)

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.client.SetOnProgress(func(v map[string]any) {
		if msg, _ := v["message"].(string); strings.HasPrefix(msg, string(engine.EventDone)+" ") {
			cancel()
		}
	})
	s.client.Reset("Apply")
	if _, err := s.executeCtx(ctx, cmdApply, u, nil); err == nil {
		t.Log("the apply finished before the cancellation reached it")
	}
	created := s.client.CreatedForRequests()
	if len(created) != 1 {
		t.Fatalf("progress tokens %q, want one", created)
	}
	vs := s.client.WaitProgressEnd(t, created[0]) // the server is done with the apply
	t.Logf("progress of the cancelled apply: %v", vs)
	if end, _ := vs[len(vs)-1]["message"].(string); !strings.HasPrefix(end, "Apply cancelled") && !strings.HasPrefix(end, (&engine.Result{Created: len(st.resources)}).Summary()) {
		t.Errorf("progress end %q, want it to say the apply was cancelled", end)
	}
	s.client.SetOnProgress(nil)

	sf := loadState(t, st)
	var applied []string
	if sf != nil {
		applied = stateIDs(sf)
	}
	live := sorted(k.existing(st.resources))
	for _, id := range applied {
		if !slices.Contains(live, id) {
			t.Errorf("the state holds %s, which is not in the cluster", id)
		}
	}
	t.Logf("after the cancel: %d of %d resources in the state, %d in the cluster", len(applied), len(st.resources), len(live))

	s.client.Reset("Apply")
	res, err := s.execute(cmdApply, u, nil)
	if err != nil {
		t.Fatalf("apply after the cancelled one: %v", err)
	}
	if res.Summary == "cancelled" {
		t.Fatalf("the rerun was not confirmed: %+v", res)
	}
	if diff := cmp.Diff(ids(st.resources), sorted(k.existing(st.resources))); diff != "" {
		t.Errorf("objects after the rerun (-want +got):\n%s", diff)
	}
	again, err := s.execute(cmdDiff, u, nil)
	if err != nil {
		t.Fatalf("diff after the rerun: %v", err)
	}
	if !cmp.Equal(st.actions(engine.UnChanged), planActions(t, again.Text)) {
		t.Errorf("diff after the rerun is not all UnChanged:\n%s", again.Text)
	}
	s.client.Reset("Destroy")
	if _, err := s.execute(cmdDestroy, u, nil); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if got := k.existing(st.resources); len(got) > 0 {
		t.Errorf("left after destroy: %v", got)
	}
}

// BenchmarkDiffCommand measures konfig.diff over JSON-RPC (in process) on
// the shop/dev stack against the test cluster: on an empty cluster (all
// Create, server-side dry-runs), and once applied (all UnChanged); and
// konfig.preview (compile only) for comparison.
func BenchmarkDiffCommand(b *testing.B) {
	c := cluster.Need(b)
	root := b.TempDir()
	testutil.CopyTree(b, filepath.Join(testutil.ModuleRoot(b), "examples"), root)
	st := loadStack(b, root, "shop/dev")
	k := newAPI(b, c.Kubeconfig)
	b.Cleanup(func() { k.forgetNamespaces(st.resources) })
	s := start(b, inProcess, root, map[string]any{"kubeconfig": c.Kubeconfig})
	u, _ := s.open(st.entry)
	diff := func(b *testing.B, want engine.Action) {
		for b.Loop() {
			res, err := s.execute(cmdDiff, u, nil)
			if err != nil {
				b.Fatal(err)
			}
			if got := planActions(b, res.Text); !cmp.Equal(st.actions(want), got) {
				b.Fatalf("diff: %v, want all %s", got, want)
			}
		}
	}
	b.Run("preview, no cluster", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.execute(cmdPreview, u, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("empty cluster", func(b *testing.B) { diff(b, engine.Create) })
	s.client.Reset("Apply")
	if _, err := s.execute(cmdApply, u, nil); err != nil {
		b.Fatal(err)
	}
	b.Run("applied", func(b *testing.B) { diff(b, engine.UnChanged) })
	s.client.Reset("Destroy")
	if _, err := s.execute(cmdDestroy, u, nil); err != nil {
		b.Fatal(err)
	}
}

// TestKubeconfigAndContextSettings: the kubeconfig setting relative to the
// workspace root, and the context setting choosing the test cluster over a
// current context that points nowhere.
func TestKubeconfigAndContextSettings(t *testing.T) {
	c := cluster.Need(t)
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join(testutil.ModuleRoot(t), "examples"), root)
	st := loadStack(t, root, "shop/dev")

	cfg, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	real := cfg.CurrentContext
	cfg.Clusters["nowhere"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.Contexts["nowhere"] = &clientcmdapi.Context{Cluster: "nowhere", AuthInfo: cfg.Contexts[real].AuthInfo}
	cfg.CurrentContext = "nowhere"
	if err := os.MkdirAll(filepath.Join(root, "kube"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*cfg, filepath.Join(root, "kube", "config")); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		context string
		ok      bool
	}{{real, true}, {"", false}} {
		s := start(t, inProcess, root, map[string]any{"kubeconfig": "kube/config", "context": tc.context})
		u, _ := s.open(st.entry)
		res, err := s.execute(cmdDiff, u, nil)
		if err != nil {
			t.Logf("context %q: %v", tc.context, err)
		}
		switch {
		case tc.ok && err != nil:
			t.Errorf("context %q: diff: %v", tc.context, err)
		case tc.ok && !cmp.Equal(st.actions(engine.Create), planActions(t, res.Text)):
			t.Errorf("context %q: diff:\n%s", tc.context, res.Text)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), filepath.Join(root, "kube", "config"))):
			t.Errorf("context %q (current: nowhere): err = %v, want one naming the kubeconfig and the unreachable server", tc.context, err)
		}
	}
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
