package syntax

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the user+system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParseKonfig parses every .k file of the Konfig corpus once per
// iteration and reports lines/s.
func BenchmarkParseKonfig(b *testing.B) {
	corpus := corpusDir(b)
	files := konfigFiles(b, corpus)
	srcs := make([][]byte, len(files))
	lines, size := 0, 0
	for i, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatalf("read %s: %v", f, err)
		}
		srcs[i] = src
		lines += bytes.Count(src, []byte("\n"))
		size += len(src)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		for i, src := range srcs {
			if _, errs := ParseFile(files[i], src); len(errs) > 0 {
				b.Fatalf("%s: %v", files[i], errs[0])
			}
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(lines)*float64(b.N)/s, "lines/s")
	}
	// The machine is shared: also report lines per second of process CPU
	// time (including GC), which is less sensitive to other load.
	if c := (cpuTime() - cpu0).Seconds(); c > 0 {
		b.ReportMetric(float64(lines)*float64(b.N)/c, "lines/cpu-s")
	}
	b.ReportMetric(float64(lines), "lines/op")
}
