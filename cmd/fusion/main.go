// Command fusion is a cyber-crime intelligence fusion centre in one binary.
// Run "fusion --help" for its commands.
package main

import (
	"os"

	"fusion/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], nil)) }
