package main

import (
	"context"
	"fmt"
	"io"
)

// cmdSim is a placeholder until its issue lands.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "b24desk sim: not built yet")
	return exitFailed
}
