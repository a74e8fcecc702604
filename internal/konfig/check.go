package konfig

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Result is the outcome of compiling one stack.
type Result struct {
	Stack *Stack
	// Spec is the compiled spec, nil when the compile failed.
	Spec *spec.Spec
	// Err is the compile error, nil on success.
	Err error
	// GoldenDiff is set by CompileAll with Golden: the -golden +got diff
	// against ci-test/stdout.golden.yaml ("" when equal or not compared).
	GoldenDiff string
}

// CompileAllOptions tune CompileAll.
type CompileAllOptions struct {
	CompileOptions
	// Workers is the number of stacks compiled at once; <= 0 means
	// GOMAXPROCS.
	Workers int
	// Golden also compares each compiled spec with the stack's golden file,
	// when it has one.
	Golden bool
}

// CompileAll compiles the stacks in parallel and returns one result per
// stack, in the stacks' order.
func CompileAll(ctx context.Context, stacks []*Stack, opts CompileAllOptions) []Result {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if opts.Cache == nil {
		// The stacks share the model library: parse each file once.
		opts.Cache = eval.NewCache()
	}
	results := make([]Result, len(stacks))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = compileOne(ctx, stacks[i], opts)
			}
		}()
	}
	for i := range stacks {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

func compileOne(ctx context.Context, st *Stack, opts CompileAllOptions) Result {
	r := Result{Stack: st}
	r.Spec, r.Err = Compile(ctx, st, opts.CompileOptions)
	if r.Err != nil || !opts.Golden {
		return r
	}
	fsys, err := st.Sandbox(sandbox.Policy{DenyReason: "golden files are only read"})
	if err != nil {
		r.Err = err
		return r
	}
	defer fsys.Close()
	data, err := fsys.ReadFile(st.GoldenPath())
	if err != nil {
		if !os.IsNotExist(err) {
			r.Err = fmt.Errorf("read golden: %w", err)
		}
		return r
	}
	want, err := ReadSpec(data)
	if err != nil {
		r.Err = fmt.Errorf("golden %s: %w", st.GoldenPath(), err)
		return r
	}
	r.GoldenDiff = DiffSpecs(want, r.Spec)
	return r
}
