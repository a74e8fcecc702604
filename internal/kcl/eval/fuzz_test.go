package eval

import (
	"context"
	"testing"
	"time"
)

// FuzzEval checks that no program makes Run panic or hang: every input
// ends with a result or a diagnostic within the bounds.
func FuzzEval(f *testing.F) {
	for _, seed := range []string{
		"a = 1\nb = a + 1\n",
		"schema S:\n    x: int = 1\n    check:\n        x > 0\ns = S {x = 2}\n",
		"f = lambda x { x * 2 }\ny = [f(i) for i in range(10)]\n",
		"a = {k: v for k, v in {x = 1, y = 2}}\nb = a | {z = 3}\n",
		"_a = [1]\n_a += _a\nc = _a[0:1]\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		const path = "/fuzz/main.k"
		res, err := Run(ctx, Config{
			Files:     []string{path},
			WorkDir:   "/fuzz",
			Overlay:   map[string][]byte{path: []byte(src)},
			MaxDepth:  200,
			MaxOutput: 100_000,
		})
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
		if err != nil && res != nil {
			t.Fatal("result with error")
		}
	})
}
