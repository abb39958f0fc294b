package main

import (
	"context"
	"fmt"
	"io"
)

// cmdDemo is a placeholder until its issue lands.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "b24desk demo: not built yet")
	return exitFailed
}
