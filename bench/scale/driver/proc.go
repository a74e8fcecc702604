package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// server is a running konfig-lsp process.
type server struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{}
}

// rwc joins the server's stdout and stdin into the client's stream.
type rwc struct {
	io.ReadCloser
	io.WriteCloser
}

func (r rwc) Close() error {
	err := r.WriteCloser.Close()
	if e := r.ReadCloser.Close(); err == nil {
		err = e
	}
	return err
}

// startServer starts `bin serve` with its log on logTo.
func startServer(bin, level string, logTo io.Writer) (*server, io.ReadWriteCloser, error) {
	cmd := exec.Command(bin, "serve", "--log-level", level)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = logTo
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	return s, rwc{stdout, stdin}, nil
}

// stop waits up to grace for the process to exit (after shutdown and exit
// were sent), then kills it.
func (s *server) stop(grace time.Duration) {
	select {
	case <-s.done:
		return
	case <-time.After(grace):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// status reads a field of /proc/PID/status in bytes (VmRSS, VmHWM); 0 when
// unknown.
func (s *server) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0
			}
			kb, _ := strconv.ParseInt(f[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (s *server) rss() int64  { return s.status("VmRSS") }
func (s *server) peak() int64 { return s.status("VmHWM") }

// activity is how much a process has done so far: the time its threads
// ran or waited to run on a CPU (/proc/PID/task/*/schedstat: a starved
// process on a loaded machine still accumulates the wait), and the bytes it
// read (/proc/PID/io rchar: a process waiting on the disk does not run).
type activity struct {
	sched time.Duration
	read  int64
}

func (s *server) activity() activity {
	var a activity
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", s.pid))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", s.pid, t.Name()))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		run, _ := strconv.ParseInt(f[0], 10, 64)
		wait, _ := strconv.ParseInt(f[1], 10, 64)
		a.sched += time.Duration(run + wait)
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", s.pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "rchar:"); ok {
				a.read, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	return a
}

// busy tells whether the process did work between a0 and a1, a window of
// length d: ran or waited to run for at least share of it, or read a MiB.
func busy(a0, a1 activity, d time.Duration, share float64) bool {
	ds, dr := a1.sched-a0.sched, a1.read-a0.read
	return ds < 0 || dr < 0 || float64(ds) >= share*float64(d) || dr >= 1<<20
}

// withTimeout runs a request with a bound.
func withTimeout[T any](ctx context.Context, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return f(ctx)
}
