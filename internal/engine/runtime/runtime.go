// Package runtime defines how the engine talks to the systems that hold
// resources: one Runtime per resource type (Kubernetes, later Terraform).
// A runtime reads the live object, applies (or dry-runs) the planned one,
// deletes, and tells readiness. Implementations live in sub-packages
// (runtime/kubernetes); the engine picks one by spec.Resource.Type from a
// Registry:
//
//	reg := runtime.Registry{spec.Kubernetes: kubeRuntime}
//	rt, err := reg.For(res)
package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// ApplyOptions tune one Apply call.
type ApplyOptions struct {
	// DryRun asks the system to compute the result without persisting it.
	DryRun bool
	// Force takes over fields that another manager owns (conflicts).
	Force bool
}

// Runtime manages the resources of one type.
type Runtime interface {
	// Read returns the live object of r, or nil when it does not exist
	// (including when its kind is not known to the system yet).
	Read(ctx context.Context, r spec.Resource) (map[string]any, error)
	// Apply applies r's attributes and returns the resulting object.
	Apply(ctx context.Context, r spec.Resource, opts ApplyOptions) (map[string]any, error)
	// Delete deletes r; a missing object is not an error.
	Delete(ctx context.Context, r spec.Resource) error
	// Ready reports whether the live object obj of r is ready, with a short
	// reason when it is not.
	Ready(r spec.Resource, obj map[string]any) (bool, string)
	// Comparable returns a copy of obj without the fields the system manages
	// itself (ids, versions, timestamps, status), for diffs.
	Comparable(obj map[string]any) map[string]any
}

// Prefetcher is implemented by runtimes that can read many resources in few
// calls; the engine calls Prefetch before a preview's Reads.
type Prefetcher interface {
	Prefetch(ctx context.Context, rs []spec.Resource) error
}

// Waiter is implemented by runtimes that wait for readiness better than by
// polling Read and Ready (watching, or judging more than the object, such as
// a Service's endpoints). WaitReady returns nil once r is ready, an error
// naming r when it failed (not worth waiting for) or when ctx ends or
// timeout passes first.
type Waiter interface {
	WaitReady(ctx context.Context, r spec.Resource, timeout time.Duration) error
}

// DependableWaiter is a Waiter some of whose resources can be depended on
// before they are ready: a Kubernetes Service's endpoints come from
// workloads that often depend on the Service itself. WaitDependable waits
// until r can be depended on; later says that the rest of its readiness is
// still to be awaited (by WaitReady) while its dependents go ahead.
type DependableWaiter interface {
	Waiter
	WaitDependable(ctx context.Context, r spec.Resource, timeout time.Duration) (later bool, err error)
}

// ConflictError reports that applying would overwrite fields another manager
// owns. Its message does not name the resource: the engine reports errors
// under the resource's id (ID is there for programs).
type ConflictError struct {
	ID      string
	Message string
	Err     error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict: %s (use --force-conflicts to take the fields over)", e.Message)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// ErrorClass says what an error of Apply (or of its dry-run) is about; the
// engine asks runtimes that implement Classifier.
type ErrorClass int

// The error classes.
const (
	// ErrOther is trouble with the system or the connection: the operation
	// stops.
	ErrOther ErrorClass = iota
	// ErrRejected is the system refusing the object itself (validation,
	// admission, an undecodable value): reported on the resource.
	ErrRejected
	// ErrPrerequisite is something the object needs that does not exist yet
	// (its namespace, its kind's CRD): a dry-run cannot tell more before the
	// resources providing it are applied.
	ErrPrerequisite
)

// Classifier is implemented by runtimes that can tell why an Apply failed.
// Classify returns the class of err, an error of Apply(r), and a message for
// the user that names the offending fields when the system tells them (no
// Secret values).
type Classifier interface {
	Classify(r spec.Resource, err error) (ErrorClass, string)
}

// Classify classifies err through rt when it is a Classifier; otherwise
// every error is ErrOther.
func Classify(rt Runtime, r spec.Resource, err error) (ErrorClass, string) {
	if c, ok := rt.(Classifier); ok && err != nil {
		return c.Classify(r, err)
	}
	if err == nil {
		return ErrOther, ""
	}
	return ErrOther, err.Error()
}

// NoRuntimeError reports a resource whose type has no runtime.
type NoRuntimeError struct {
	ID   string
	Type string
}

func (e *NoRuntimeError) Error() string {
	return fmt.Sprintf("resource %s has type %q, which has no runtime in this engine", e.ID, e.Type)
}

// Registry maps a resource type to its runtime.
type Registry map[string]Runtime

// For returns the runtime for r's type or a *NoRuntimeError.
func (reg Registry) For(r spec.Resource) (Runtime, error) {
	if rt, ok := reg[r.Type]; ok && rt != nil {
		return rt, nil
	}
	return nil, &NoRuntimeError{ID: r.ID, Type: r.Type}
}
