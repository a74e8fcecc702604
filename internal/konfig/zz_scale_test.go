package konfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZScaleIndex(t *testing.T) {
	root := os.Getenv("ZZ_ROOT")
	if root == "" {
		t.Skip()
	}
	t0 := time.Now()
	repo, err := Discover(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	sts, err := repo.StacksIncluding(context.Background(), filepath.Join(root, "base/pkg/kusion_models/kube/frontend/server.k"), nil)
	t2 := time.Now()
	t.Logf("discover %v, index %v, %d stacks of %d", t1.Sub(t0), t2.Sub(t1), len(sts), len(repo.Stacks))
	err = repo.FilesChanged(context.Background(), []string{filepath.Join(root, "base/pkg/kusion_models/kube/frontend/server.k")}, nil)
	t.Logf("update %v %v", time.Since(t2), err)
}
