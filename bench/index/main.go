// Command index measures the workspace index (internal/index) on a Konfig
// tree: a cold build (empty cache: every file parsed, the cache written),
// then a warm build (a new process reading the persisted cache: nothing
// parsed), each in its own process so its peak RSS is its own; and the
// references of schema Server from the corpus's frontend/server.k.
//
//	go run ./bench/index ~/.cache/konfig-lsp/scale/300k
//
// The cache goes to a temporary directory (-cache to choose), not the
// user's cache directory.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/index"
)

func main() {
	phase := flag.String("phase", "", "cold or warm (internal: one phase in this process)")
	cache := flag.String("cache", "", "cache directory (default: a new temporary directory)")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the phase to this file (with -phase)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: index [-cache DIR] KONFIG_DIR")
		os.Exit(2)
	}
	root, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	if *phase != "" {
		if *prof != "" {
			f, err := os.Create(*prof)
			if err != nil {
				fail(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fail(err)
			}
			defer pprof.StopCPUProfile()
		}
		run(root, *cache, *phase)
		return
	}
	dir := *cache
	if dir == "" {
		if dir, err = os.MkdirTemp("", "index-bench-"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
	}
	for _, ph := range []string{"cold", "warm"} {
		cmd := exec.Command(os.Args[0], "-phase", ph, "-cache", dir, root)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(err)
		}
	}
}

func run(root, cacheDir, phase string) {
	ix := index.New(root, cacheDir)
	if phase == "cold" {
		_ = os.Remove(ix.CachePath())
	}
	start, cpu0 := time.Now(), cpuTime()
	if err := ix.Build(context.Background(), nil); err != nil {
		fail(err)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	var size int64
	if fi, err := os.Stat(ix.CachePath()); err == nil {
		size = fi.Size()
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	refs, refTime := serverRefs(ix)
	symStart := time.Now()
	syms := len(ix.Symbols(context.Background(), "serv", 500))
	symTime := time.Since(symStart)
	fmt.Printf("%s: %d files in %.2fs wall, %.2fs CPU (%d parsed, %d from the cache); cache file %.1f MiB; heap after GC %.0f MiB; peak RSS %s; references of frontend.Server: %d in %.0f ms; workspace symbols \"serv\": %d in %.0f ms\n",
		phase, ix.Files(), elapsed.Seconds(), cpu.Seconds(), ix.Parses(), ix.CacheHits(), float64(size)/(1<<20),
		float64(ms.HeapAlloc)/(1<<20), status("VmHWM"), refs, refTime.Seconds()*1000, syms, symTime.Seconds()*1000)
}

// cpuTime returns the user and system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverRefs counts the references of schema Server of the corpus model
// (kube/frontend/server.k; in a generated tree, its first copy).
func serverRefs(ix *index.Index) (int, time.Duration) {
	path := filepath.Join(ix.Root(), "base", "pkg", "kusion_models", "kube", "frontend", "server.k")
	for _, s := range ix.Symbols(context.Background(), "Server", 0) {
		if s.Name == "Server" && strings.HasSuffix(s.Path, filepath.Join("frontend", "server.k")) {
			path = s.Path
			break
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	i := bytes.Index(src, []byte("schema Server"))
	if i < 0 {
		return 0, 0
	}
	start := time.Now()
	tg, ok := ix.At(path, i+len("schema "))
	if !ok {
		return 0, 0
	}
	n := len(ix.References(tg.Key))
	elapsed := time.Since(start)
	start = time.Now()
	err = ix.CheckRename(tg.Key)
	fmt.Printf("  rename check of Server: %v in %.0f ms\n", err, time.Since(start).Seconds()*1000)
	start = time.Now()
	err = ix.CheckRename(index.Key{Dir: tg.Key.Dir, Name: "Server", Attr: "mainContainer"})
	fmt.Printf("  rename check of Server.mainContainer: %v in %.0f ms\n", err, time.Since(start).Seconds()*1000)
	return n, elapsed
}

// status returns a field of /proc/self/status ("?" elsewhere).
func status(field string) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "index:", err)
	os.Exit(1)
}
