// Command dumpast prints the AST of a KCL file (a development aid for the
// evaluator).
package main

import (
	"fmt"
	"os"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

func main() {
	src, _ := os.ReadFile(os.Args[1])
	f, d := syntax.ParseFile(os.Args[1], src)
	fmt.Println(syntax.Dump(f), d)
}
