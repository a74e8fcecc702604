package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// TestServeExitStatus: `serve` exits 0 after shutdown then exit, 1 on an
// exit without shutdown (the LSP's rule), and keeps serving through
// malformed input.
func TestServeExitStatus(t *testing.T) {
	frame := func(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }
	initialize := frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`)
	shutdown := frame(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`)
	exit := frame(`{"jsonrpc":"2.0","method":"exit"}`)
	garbage := frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":null}}`) + frame(`{not json`) + "Content-Length: x\r\n\r\n"
	for _, tc := range []struct {
		name  string
		input string
		want  int
	}{
		{"shutdown then exit", initialize + shutdown + exit, 0},
		{"exit without shutdown", initialize + exit, 1},
		{"exit before initialize", exit, 1},
		{"malformed input, then shutdown and exit", initialize + garbage + shutdown + exit, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.CreateTemp(t.TempDir(), "stdin")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(in, tc.input); err != nil {
				t.Fatal(err)
			}
			if _, err := in.Seek(0, 0); err != nil {
				t.Fatal(err)
			}
			out, err := os.CreateTemp(t.TempDir(), "stdout")
			if err != nil {
				t.Fatal(err)
			}
			oldIn, oldOut := os.Stdin, os.Stdout
			os.Stdin, os.Stdout = in, out
			defer func() { os.Stdin, os.Stdout = oldIn, oldOut }()
			var code int
			stderr := captureStderr(t, func() {
				cmd := newRootCmd()
				cmd.SetArgs([]string{"serve", "--log-level", "warn"})
				code = 0
				if err := cmd.Execute(); err != nil {
					code = exitCode(err)
				}
			})
			if code != tc.want {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			if tc.want == 1 && !strings.Contains(stderr, "exit without shutdown") {
				t.Errorf("no log line for the exit status; stderr:\n%s", stderr)
			}
		})
	}
}
