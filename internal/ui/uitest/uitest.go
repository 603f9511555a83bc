// Package uitest drives the web UI in a real browser for tests: a headless
// Chromium (Debian's chromium package) through chromedp, one tab per
// language, with every console error, uncaught exception, browser log
// error (a Content-Security-Policy violation is one) and JavaScript dialog
// recorded, and full-page PNG screenshots written to a directory.
//
// Tests that use it skip, saying so, only when no Chromium binary exists
// (.ci/run installs one). Screenshots go to $FUSION_UI_SHOTS when it is set
// (docs/ui is refreshed that way), else to the test's temporary directory.
package uitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"fusion/internal/server/servertest"
)

// Chromium returns the path of the browser the tests drive: $FUSION_CHROMIUM
// if set, else /usr/bin/chromium, else the first of chromium,
// chromium-browser, google-chrome on PATH; "" when there is none.
func Chromium() string {
	if p := os.Getenv("FUSION_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// ShotsEnv names the environment variable of the screenshot directory.
const ShotsEnv = "FUSION_UI_SHOTS"

// Browser is a headless Chromium that lives until the test ends.
type Browser struct {
	ctx   context.Context
	Shots string // the screenshot directory
}

// Start runs a real hub (servertest.Start: SQLite store, evidence log,
// daemon, the server with the UI mounted at /) and a browser.
func Start(tb testing.TB) (*servertest.Hub, *Browser) {
	tb.Helper()
	b := NewBrowser(tb)
	return servertest.Start(tb), b
}

// NewBrowser launches headless Chromium, or skips the test when there is no
// Chromium binary.
func NewBrowser(tb testing.TB) *Browser {
	tb.Helper()
	bin := Chromium()
	if bin == "" {
		tb.Skip("uitest: no Chromium binary (/usr/bin/chromium, chromium, chromium-browser, google-chrome or $FUSION_CHROMIUM); install Debian's chromium package to run the browser tests")
	}
	dir := os.Getenv(ShotsEnv)
	if dir == "" {
		dir = tb.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.WindowSize(1100, 800),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first Run starts the browser; it must have no timeout (chromedp).
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelA()
		tb.Fatalf("uitest: start %s: %v", bin, err)
	}
	tb.Cleanup(func() { cancel(); cancelA() })
	return &Browser{ctx: ctx, Shots: dir}
}

// Tab is one browser tab with what it recorded.
type Tab struct {
	tb       testing.TB
	b        *Browser
	ctx      context.Context
	mu       sync.Mutex
	problems []string
	dialogs  []string
}

// Tab opens a tab that sends acceptLanguage as Accept-Language ("" sends
// none).
func (b *Browser) Tab(tb testing.TB, acceptLanguage string) *Tab {
	tb.Helper()
	t := &Tab{tb: tb, b: b}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(t.listen))
	tb.Cleanup(cancel)
	t.ctx = ctx
	setLang := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		h := network.Headers{}
		if acceptLanguage != "" {
			h["Accept-Language"] = acceptLanguage
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h})
		return err
	})
	if err := chromedp.Do(ctx, setLang); err != nil { // the tab's first Run: no timeout
		tb.Fatalf("uitest: open a tab: %v", err)
	}
	return t
}

// listen records problems and dismisses dialogs. It runs on the tab's
// reading goroutine, so it only records and hands the dismissal to another
// goroutine.
func (t *Tab) listen(ev any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			t.problems = append(t.problems, "console."+string(e.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		t.problems = append(t.problems, "exception: "+msg)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
			t.problems = append(t.problems, fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		t.dialogs = append(t.dialogs, string(e.Type)+": "+e.Message)
		go chromedp.Do(t.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			return err
		}))
	}
}

// Timeout bounds each Do and Eval.
const Timeout = 30 * time.Second

// Do runs steps in the tab, failing the test on an error.
func (t *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.tb.Fatalf("uitest: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the tab and returns its value.
func Eval[T any](t *Tab, expr string) T {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.tb.Fatalf("uitest: evaluate %s: %v", expr, err)
	}
	return v
}

// Open navigates to url, waits for the page to load and returns the HTTP
// response of the document (its status and headers).
func (t *Tab) Open(url string) *network.Response {
	t.tb.Helper()
	return t.Navigate(chromedp.Navigate(url))
}

// Navigate runs steps that cause a navigation (a click on a submit button),
// waits for the new page to load and returns its response.
func (t *Tab) Navigate(steps ...chromedp.Action[chromedp.Void]) *network.Response {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.tb.Fatalf("uitest: navigate: %v", err)
	}
	return resp
}

// Header returns the header name of resp ("" when absent), whatever the
// case the browser reports it in.
func Header(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

var shotName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Screenshot saves a full-page PNG of the tab as <Shots>/<name>.png and
// returns its path.
func (t *Tab) Screenshot(name string) string {
	t.tb.Helper()
	if !shotName.MatchString(name) {
		t.tb.Fatalf("uitest: screenshot name %q: use lower-case letters, digits, '.', '_' and '-'", name)
	}
	ctx, cancel := context.WithTimeout(t.ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.tb.Fatalf("uitest: screenshot: %v", err)
	}
	p := filepath.Join(t.b.Shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.tb.Fatal(err)
	}
	return p
}

// Problems returns the console errors, exceptions and log errors and
// warnings recorded so far, and forgets them.
func (t *Tab) Problems() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.problems
	t.problems = nil
	return p
}

// Dialogs returns the JavaScript dialogs (alert, confirm, prompt) that
// opened so far.
func (t *Tab) Dialogs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.dialogs...)
}
