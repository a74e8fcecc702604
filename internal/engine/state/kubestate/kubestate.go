// Package kubestate keeps a stack's state in the Kubernetes cluster it
// deploys to, so that a team shares one state and one lock: the state in
// Secrets of a namespace (gzipped JSON, chunked over several Secrets when
// large), the lock in a coordination.k8s.io Lease that its holder renews while
// the operation runs and that lapses when the holder dies.
//
// What the Secrets hold is the state the local backend writes to
// .konfig/state.json: the resources as applied, with every sensitive value
// (a Secret's data, attributes named like passwords and tokens) already
// masked by the engine, so no secret value is stored in clear.
//
// Construct a Backend for a stack on a client configuration:
//
//	b, err := kubestate.New(restConfig, kubestate.Config{Namespace: "konfig-state", Stack: "shop/dev"})
//	lock, err := b.Lock("apply", false)
//	defer lock.Release()
//	s, err := b.Load()
package kubestate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
)

// DefaultNamespace holds the states when the configuration names none.
const DefaultNamespace = "konfig-state"

// DefaultLeaseDuration is how long a lock lasts without renewal.
const DefaultLeaseDuration = 30 * time.Second

// ChunkSize is the most state bytes (gzipped) one Secret holds; Secrets are
// limited to 1 MiB.
const ChunkSize = 512 << 10

// MaxStateSize bounds a state read from the cluster once decompressed: the
// Secrets are the cluster's answer, and a small gzip can expand a
// thousandfold.
const MaxStateSize = 256 << 20

// Labels and annotations on the objects.
const (
	labelManaged  = "app.kubernetes.io/managed-by"
	labelStack    = "konfig-lsp.io/stack"
	annChunks     = "konfig-lsp.io/chunks"
	annSerial     = "konfig-lsp.io/serial"
	annSHA256     = "konfig-lsp.io/sha256"
	annStack      = "konfig-lsp.io/stack-name"
	annHolder     = "konfig-lsp.io/holder"
	secretType    = "konfig-lsp.io/state"
	dataKey       = "state.json.gz"
	managedByThis = "konfig-lsp"
)

var (
	secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	leasesGVR  = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}
	nsGVR      = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// Config selects where a stack's state lives.
type Config struct {
	// Namespace holds the Secrets and the Lease (DefaultNamespace when
	// empty); it is created when missing.
	Namespace string
	// Stack names the stack (project/stack); object names derive from it.
	Stack string
	// LeaseDuration is how long the lock lasts without renewal
	// (DefaultLeaseDuration when 0); the holder renews it every third of it.
	LeaseDuration time.Duration
	// Logger receives renewal failures; nil means slog.Default().
	Logger *slog.Logger
}

// Backend is the state of one stack in a cluster; it implements
// state.Backend.
type Backend struct {
	client dynamic.Interface
	ns     string
	stack  string
	name   string // base name of the objects
	lease  time.Duration
	log    *slog.Logger
	enc    state.Encoder
}

var _ state.Backend = (*Backend)(nil)

// New returns the backend of cfg.Stack on the cluster of rc (no request is
// sent yet).
func New(rc *rest.Config, cfg Config) (*Backend, error) {
	if cfg.Stack == "" {
		return nil, errors.New("kubernetes state backend: no stack name")
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes state backend: %w", err)
	}
	b := &Backend{client: client, ns: cfg.Namespace, stack: cfg.Stack, name: ObjectName(cfg.Stack), lease: cfg.LeaseDuration, log: cfg.Logger}
	if b.ns == "" {
		b.ns = DefaultNamespace
	}
	if b.lease <= 0 {
		b.lease = DefaultLeaseDuration
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	return b, nil
}

var unsafeName = regexp.MustCompile(`[^a-z0-9.-]+`)

// ObjectName is the base name of a stack's objects: "konfig.", the stack name
// lowercased with other characters than [a-z0-9.-] as "-", and a short hash
// of the exact name so that distinct stacks never share objects.
func ObjectName(stack string) string {
	sum := sha256.Sum256([]byte(stack))
	clean := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(strings.ReplaceAll(stack, "/", ".")), "-"), ".-")
	if len(clean) > 180 {
		clean = clean[:180]
	}
	return "konfig." + clean + "." + hex.EncodeToString(sum[:4])
}

// String names where the state is kept.
func (b *Backend) String() string {
	return fmt.Sprintf("kubernetes state Secret %s/%s", b.ns, b.name)
}

func (b *Backend) secrets() dynamic.ResourceInterface {
	return b.client.Resource(secretsGVR).Namespace(b.ns)
}
func (b *Backend) leases() dynamic.ResourceInterface {
	return b.client.Resource(leasesGVR).Namespace(b.ns)
}

// ctx bounds one request.
func reqCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// Load reads the state: the head Secret and its chunks; an empty State when
// there is none.
func (b *Backend) Load() (*state.State, error) {
	ctx, cancel := reqCtx()
	defer cancel()
	head, err := b.secrets().Get(ctx, b.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &state.State{Version: state.Version}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", b, err)
	}
	ann := head.GetAnnotations()
	n, err := strconv.Atoi(ann[annChunks])
	if err != nil || n < 1 {
		return nil, fmt.Errorf("read state %s: bad %s annotation %q", b, annChunks, ann[annChunks])
	}
	var gz bytes.Buffer
	for i := 0; i < n; i++ {
		obj := head
		if i > 0 {
			if obj, err = b.secrets().Get(ctx, chunkName(b.name, ann[annSHA256], i), metav1.GetOptions{}); err != nil {
				return nil, fmt.Errorf("read state %s: chunk %d of %d: %w", b, i, n, err)
			}
		}
		part, err := secretData(obj)
		if err != nil {
			return nil, fmt.Errorf("read state %s: chunk %d: %w", b, i, err)
		}
		gz.Write(part)
	}
	if sum := sha256.Sum256(gz.Bytes()); hex.EncodeToString(sum[:]) != ann[annSHA256] {
		return nil, fmt.Errorf("read state %s: the chunks do not match the checksum (a save was interrupted, or the Secrets were edited)", b)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", b, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, MaxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", b, err)
	}
	if len(data) > MaxStateSize {
		return nil, fmt.Errorf("read state %s: it expands to more than %d MiB, which no state of ours reaches (the Secrets were edited?)", b, MaxStateSize>>20)
	}
	return state.Decode(data, b.String())
}

func secretData(obj *unstructured.Unstructured) ([]byte, error) {
	s, _, err := unstructured.NestedString(obj.Object, "data", dataKey)
	if err != nil || s == "" {
		return nil, fmt.Errorf("no %s in %s", dataKey, obj.GetName())
	}
	return base64.StdEncoding.DecodeString(s)
}

// chunkName names chunk i (from 1) of the state whose checksum is sum.
func chunkName(base, sum string, i int) string {
	if len(sum) > 12 {
		sum = sum[:12]
	}
	return fmt.Sprintf("%s.%s.c%d", base, sum, i)
}

// Save writes the state: the chunks after the first as new Secrets named by
// the content's checksum, then the head Secret (the first chunk, the count
// and the checksum) — the switch to the new state — then it deletes the
// chunks of other contents. An interrupted save leaves the previous state
// readable.
func (b *Backend) Save(s *state.State) error {
	state.Stamp(s)
	data, err := b.enc.Encode(s)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return fmt.Errorf("save state %s: %w", b, err)
	}
	all := gz.Bytes()
	var chunks [][]byte
	for len(all) > ChunkSize {
		chunks, all = append(chunks, all[:ChunkSize]), all[ChunkSize:]
	}
	chunks = append(chunks, all)
	sum := sha256.Sum256(gz.Bytes())
	hexSum := hex.EncodeToString(sum[:])
	ctx, cancel := reqCtx()
	defer cancel()
	if err := b.ensureNamespace(ctx); err != nil {
		return err
	}
	for i := 1; i < len(chunks); i++ {
		if err := b.put(ctx, b.secret(chunkName(b.name, hexSum, i), chunks[i], nil)); err != nil {
			return fmt.Errorf("save state %s: chunk %d: %w", b, i, err)
		}
	}
	head := b.secret(b.name, chunks[0], map[string]string{
		annChunks: strconv.Itoa(len(chunks)), annSerial: strconv.Itoa(s.Serial), annSHA256: hexSum, annStack: b.stack,
	})
	if err := b.put(ctx, head); err != nil {
		return fmt.Errorf("save state %s: %w", b, err)
	}
	// Chunks of other contents are no longer read.
	list, err := b.secrets().List(ctx, metav1.ListOptions{LabelSelector: labelStack + "=" + labelValue(b.name)})
	if err != nil {
		return nil // the state is saved; stale chunks go at the next save
	}
	for _, it := range list.Items {
		name := it.GetName()
		if name != b.name && !strings.HasPrefix(name, strings.TrimSuffix(chunkName(b.name, hexSum, 0), "0")) {
			b.secrets().Delete(ctx, name, metav1.DeleteOptions{})
		}
	}
	return nil
}

// labelValue fits a name into a label value (63 characters).
func labelValue(name string) string {
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:50] + "." + hex.EncodeToString(sum[:6])
}

func (b *Backend) secret(name string, data []byte, ann map[string]string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"type":       secretType,
		"data":       map[string]any{dataKey: base64.StdEncoding.EncodeToString(data)},
	}}
	obj.SetName(name)
	obj.SetNamespace(b.ns)
	obj.SetLabels(map[string]string{labelManaged: managedByThis, labelStack: labelValue(b.name)})
	if ann != nil {
		obj.SetAnnotations(ann)
	}
	return obj
}

// put creates obj or replaces the existing object of that name.
func (b *Backend) put(ctx context.Context, obj *unstructured.Unstructured) error {
	_, err := b.secrets().Create(ctx, obj, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := b.secrets().Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	_, err = b.secrets().Update(ctx, obj, metav1.UpdateOptions{})
	return err
}

func (b *Backend) ensureNamespace(ctx context.Context) error {
	if _, err := b.client.Resource(nsGVR).Get(ctx, b.ns, metav1.GetOptions{}); err == nil {
		return nil
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace"}}
	ns.SetName(b.ns)
	if _, err := b.client.Resource(nsGVR).Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the state namespace %s: %w", b.ns, err)
	}
	return nil
}

const microTime = "2006-01-02T15:04:05.000000Z07:00"

// holderID is the Lease's holderIdentity of a holder.
func holderID(h state.Holder) string {
	return fmt.Sprintf("%s@%s/%d", h.User, h.Host, h.PID)
}

// Lock takes the stack's Lease for operation. A Lease held by another holder
// and renewed within its duration refuses the lock with a *state.LockedError
// naming the holder and when the lock lapses; a lapsed one (its holder died)
// is taken over, as is any with force. The Lease is renewed every third of
// its duration until Release.
func (b *Backend) Lock(operation string, force bool) (*state.Lock, error) {
	ctx, cancel := reqCtx()
	defer cancel()
	if err := b.ensureNamespace(ctx); err != nil {
		return nil, err
	}
	me := state.Me(operation)
	meJSON, _ := json.Marshal(me)
	id := holderID(me)
	lockName := b.name + ".lock"
	now := time.Now()
	lease := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "coordination.k8s.io/v1",
		"kind":       "Lease",
		"spec": map[string]any{
			"holderIdentity":       id,
			"leaseDurationSeconds": int64((b.lease + time.Second - 1) / time.Second),
			"acquireTime":          now.UTC().Format(microTime),
			"renewTime":            now.UTC().Format(microTime),
		},
	}}
	lease.SetName(lockName)
	lease.SetNamespace(b.ns)
	lease.SetLabels(map[string]string{labelManaged: managedByThis, labelStack: labelValue(b.name)})
	lease.SetAnnotations(map[string]string{annHolder: string(meJSON), annStack: b.stack})
	_, err := b.leases().Create(ctx, lease, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, gerr := b.leases().Get(ctx, lockName, metav1.GetOptions{})
		if gerr != nil {
			return nil, fmt.Errorf("lock %s: %w", b, gerr)
		}
		if holder, expires, held := leaseHolder(cur); held && !force && time.Now().Before(expires) {
			return nil, &state.LockedError{Where: fmt.Sprintf("Lease %s/%s", b.ns, lockName), Holder: holder, Expires: expires}
		}
		lease.SetResourceVersion(cur.GetResourceVersion())
		if _, err = b.leases().Update(ctx, lease, metav1.UpdateOptions{}); apierrors.IsConflict(err) {
			// Another process took it between our read and our write.
			return b.Lock(operation, false)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", b, err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var renewErr error
	var mu sync.Mutex
	go func() {
		defer close(done)
		t := time.NewTicker(b.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := b.renew(lockName, id); err != nil {
					b.log.Warn("cannot renew the state lock", "lease", b.ns+"/"+lockName, "error", err)
					mu.Lock()
					renewErr = err
					mu.Unlock()
				}
			}
		}
	}()
	var once sync.Once
	return state.NewLock(func() error {
		var err error
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := reqCtx()
			defer cancel()
			cur, gerr := b.leases().Get(ctx, lockName, metav1.GetOptions{})
			if gerr == nil {
				if h, _, _ := unstructured.NestedString(cur.Object, "spec", "holderIdentity"); h == id {
					err = b.leases().Delete(ctx, lockName, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: ptr(cur.GetResourceVersion())}})
					if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
						err = nil
					}
				}
			}
			mu.Lock()
			if renewErr != nil && err == nil {
				err = fmt.Errorf("the lock was not renewed: %w", renewErr)
			}
			mu.Unlock()
			if err != nil {
				err = fmt.Errorf("release lock %s: %w", b, err)
			}
		})
		return err
	}), nil
}

func ptr[T any](v T) *T { return &v }

// renew moves the Lease's renewTime to now while id holds it.
func (b *Backend) renew(lockName, id string) error {
	ctx, cancel := reqCtx()
	defer cancel()
	cur, err := b.leases().Get(ctx, lockName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if h, _, _ := unstructured.NestedString(cur.Object, "spec", "holderIdentity"); h != id {
		return fmt.Errorf("the lock was taken by %s", h)
	}
	if err := unstructured.SetNestedField(cur.Object, time.Now().UTC().Format(microTime), "spec", "renewTime"); err != nil {
		return err
	}
	_, err = b.leases().Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// leaseHolder reads who holds a Lease and until when.
func leaseHolder(l *unstructured.Unstructured) (state.Holder, time.Time, bool) {
	id, _, _ := unstructured.NestedString(l.Object, "spec", "holderIdentity")
	if id == "" {
		return state.Holder{}, time.Time{}, false
	}
	var h state.Holder
	if err := json.Unmarshal([]byte(l.GetAnnotations()[annHolder]), &h); err != nil {
		h = state.Holder{Host: id, Operation: "an operation"}
	}
	secs, _, _ := unstructured.NestedInt64(l.Object, "spec", "leaseDurationSeconds")
	renew, _, _ := unstructured.NestedString(l.Object, "spec", "renewTime")
	t, err := time.Parse(microTime, renew)
	if err != nil {
		return h, time.Time{}, true // unknown renewal: treat as lapsed
	}
	return h, t.Add(time.Duration(secs) * time.Second), true
}

// ForceUnlock deletes the Lease whoever holds it.
func (b *Backend) ForceUnlock() error {
	ctx, cancel := reqCtx()
	defer cancel()
	err := b.leases().Delete(ctx, b.name+".lock", metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("force unlock %s: %w", b, err)
	}
	return nil
}
