package main

import (
	"os"
	"testing"
)

// asCLIEnv makes the test binary run as konfig-lsp itself (for tests that
// run shell scripts calling it).
const asCLIEnv = "KONFIG_LSP_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
