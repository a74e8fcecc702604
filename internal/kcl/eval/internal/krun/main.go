// Command krun runs `konfig-lsp run` through package kclrun without the rest
// of the binary (a development aid for the evaluator).
package main

import (
	"context"
	"os"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
)

func main() {
	wd, _ := os.Getwd()
	os.Exit(kclrun.Main(context.Background(), os.Args[1:], wd, os.Stdout, os.Stderr))
}
