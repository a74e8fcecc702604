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

// clockTick is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTick = 10 * time.Millisecond

// cpu is the server's CPU time so far (user + system).
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields count from ")".
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime is field 14, stime 15.
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * clockTick
}

// withTimeout runs a request with a bound.
func withTimeout[T any](ctx context.Context, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return f(ctx)
}
