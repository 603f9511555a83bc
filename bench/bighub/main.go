// Command bighub builds (or finds) the cached benchmark hub of N records
// (internal/bighub) and prints where it is, so that a benchmark run does
// not pay for the build:
//
//	go run ./bench/bighub --records 1000000 --dir bench/out
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"fusion/internal/bighub"
)

func main() {
	n := flag.Int("records", 1_000_000, "records in the hub")
	dir := flag.String("dir", os.Getenv("FUSION_BENCH_DIR"), "cache directory (default $FUSION_BENCH_DIR, else the temporary directory)")
	flag.Parse()
	h, err := bighub.Open(context.Background(), *dir, *n, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bighub:", err)
		os.Exit(1)
	}
	fmt.Println(h.Path)
	if err := h.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "bighub:", err)
		os.Exit(1)
	}
}
