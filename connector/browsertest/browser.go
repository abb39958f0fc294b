// Package browsertest starts a real headless Chromium for page tests
// (chromedp over a pipe) and keeps their screenshots as test artifacts.
//
// When Chromium is not installed the test is skipped, or failed when
// B24DESK_REQUIRE_CHROMIUM=1 or CI=true (scripts/test installs Debian's
// chromium package when it is missing).
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/b24desk/b24desk/connector/testserver"
)

// Paths where Debian's chromium package puts the browser (the wrapper
// first, then the binary).
var chromiumPaths = []string{"/usr/bin/chromium", "/usr/lib/chromium/chromium"}

// Required reports whether a missing Chromium must fail the tests.
func Required() bool {
	return os.Getenv("B24DESK_REQUIRE_CHROMIUM") == "1" || os.Getenv("CI") == "true"
}

// Start starts a headless Chromium with a viewport of w×h CSS pixels and
// returns a tab; the browser is stopped on t.Cleanup. Browser output is
// logged when the test fails.
func Start(t testing.TB, w, h int) context.Context {
	t.Helper()
	path := ""
	for _, p := range chromiumPaths {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		}
	}
	if path == "" {
		testserver.Unavailable(t, Required(), "browsertest: Chromium", "chromium is not installed (apt-get install chromium)",
			"B24DESK_REQUIRE_CHROMIUM")
	}
	var out bytes.Buffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(w, h),
		chromedp.CombinedOutput(&out),
		chromedp.Env("TMPDIR="+t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("chromium output:\n%s", tail(out.String(), 40))
		}
	})
	// The first action starts the browser and ties it to its context: one
	// without a deadline.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		t.Fatalf("browsertest: start chromium %s: %v", path, err)
	}
	return tab
}

// Step bounds one browser step (a navigation and its checks).
func Step(tab context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(tab, 60*time.Second)
}

// SaveArtifact writes a test artifact (a screenshot) under
// $B24DESK_ARTIFACTS (default: the system temp dir's b24desk-artifacts)
// and logs where.
func SaveArtifact(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir := os.Getenv("B24DESK_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "b24desk-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	t.Logf("artifact: %s", p)
	return p
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
