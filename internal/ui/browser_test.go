package ui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ferrysync/ferry/internal/app"
)

// chromium finds the browser for the end-to-end tests: FERRY_CHROMIUM, or
// Debian's chromium (scripts/test installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FERRY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("no Chromium; -short skips the browser tests")
	}
	t.Fatal("browser tests need Chromium: apt-get install chromium (scripts/test does), or set FERRY_CHROMIUM to a Chrome binary")
	return ""
}

// artifacts is where screenshots go: $FERRY_ARTIFACTS/ui when set (CI keeps
// them), else the test's temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("FERRY_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "ui")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// browser starts a headless Chromium with the flags this sandbox needs (no
// background networking: the machine's network is closed).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// TestBrowser walks the dashboard as a first-time user would, in a real
// headless Chromium: log in, open a configuration, press "Sync now", watch
// the live page reach the end, open the run from the history, then make a
// run fail and press "Retry". It saves a screenshot of every step.
func TestBrowser(t *testing.T) {
	e := newEnv(t, envOptions{customers: 3000, latency: 40 * time.Millisecond})
	ctx := browser(t)
	// Script errors and Content-Security-Policy refusals fail the test
	// (a blocked htmx would leave the live page frozen).
	var consoleMu sync.Mutex
	var console []string
	chromedp.ListenTarget(ctx, func(ev any) {
		consoleMu.Lock()
		defer consoleMu.Unlock()
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError && ev.Entry.Source != cdplog.SourceNetwork {
				console = append(console, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *cdpruntime.EventExceptionThrown:
			console = append(console, "exception: "+ev.ExceptionDetails.Error())
		}
	})
	if err := chromedp.Run(ctx, cdplog.Enable(), cdpruntime.Enable()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		consoleMu.Lock()
		defer consoleMu.Unlock()
		for _, c := range console {
			t.Errorf("browser console: %s", c)
		}
	})
	dir := artifacts(t)
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		})
	}
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			_ = chromedp.Run(ctx, shot("failed-"+step))
			var loc string
			_ = chromedp.Run(ctx, chromedp.Location(&loc))
			t.Fatalf("%s (at %s): %v", step, loc, err)
		}
	}
	// until polls a JavaScript condition; it rides over page loads (a click
	// that navigates), which make a single evaluation fail.
	until := func(cond string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			deadline := time.Now().Add(90 * time.Second)
			for {
				var ok bool
				err := chromedp.Evaluate(cond, &ok).Do(ctx)
				if err == nil && ok {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("waited 90s for %s (last error: %v)", cond, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	statusIs := func(s string) chromedp.Action {
		return until(`(document.querySelector('#run-status') || {}).textContent === ` + jsString(s))
	}

	// Log in: any page sends us to the login form first.
	run("open login", chromedp.Navigate(e.srv.URL+"/syncs/customers"), chromedp.WaitVisible(`#password`), shot("01-login"))
	run("wrong password", chromedp.SendKeys(`#password`, "not it"), chromedp.Click(`form button[type=submit]`),
		chromedp.WaitVisible(`.alert.error`), shot("02-login-wrong-password"))
	run("log in", chromedp.SendKeys(`#password`, testPassword), chromedp.Click(`form button[type=submit]`),
		chromedp.WaitVisible(`#sync-now`)) // back where we wanted to go
	run("overview", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(`h1`), shot("03-overview-before-runs"))

	// Open the configuration from the overview and press "Sync now".
	run("open configuration", chromedp.Click(`a[href="/syncs/customers"]`), chromedp.WaitVisible(`#sync-now`), shot("04-configuration"))
	var fetchedWhileRunning string
	run("sync now", chromedp.Click(`#sync-now`), statusIs("Running"),
		// A marker that a page reload would erase: the page must update in place.
		chromedp.Evaluate(`window.ferryMarker = 1`, nil),
		until(`Number((document.querySelector('#batches')||{}).textContent||0) >= 3`),
		chromedp.Evaluate(`document.querySelector("#fetched").textContent`, &fetchedWhileRunning), shot("05-run-live"))
	var marker bool
	var liveURL string
	run("progress reaches the end", statusIs("Succeeded"), chromedp.Evaluate(`window.ferryMarker === 1`, &marker),
		chromedp.Location(&liveURL), shot("06-run-succeeded"))
	if !marker {
		t.Error("the live run page reloaded instead of updating in place")
	}
	var fetched string
	run("final counts", chromedp.Evaluate(`document.querySelector("#fetched").textContent`, &fetched))
	if fetched != "3,000" || fetchedWhileRunning == "" || fetchedWhileRunning == "3,000" {
		t.Errorf("fetched while running %q, at the end %q; want an intermediate count then 3,000", fetchedWhileRunning, fetched)
	}
	runID := liveURL[strings.LastIndex(liveURL, "/")+1:]

	// Find the run in the history and open its detail.
	run("history", chromedp.Click(`a[href="/runs"]`), chromedp.WaitVisible(`table.runs`), shot("07-run-history"),
		chromedp.Click(`a[href="/runs/`+runID+`"]`), chromedp.WaitVisible(`table.batches`), shot("08-run-detail"))

	// The configuration page now charts the run.
	run("chart", chromedp.Navigate(e.srv.URL+"/syncs/customers"), chromedp.WaitVisible(`svg.chart`), shot("09-configuration-with-chart"))

	// A run that fails (the provider refuses the key), then "Retry".
	e.stripe.FailNext(1_000_000, 401)
	run("failing run", chromedp.Click(`#sync-now`), statusIs("Failed"), chromedp.WaitVisible(`#retry`), shot("10-run-failed"))
	e.stripe.FailNext(0, 0)
	var failedURL, retryURL string
	run("failed run's address", chromedp.Location(&failedURL))
	run("retry", chromedp.Click(`#retry`), until(`location.href !== `+jsString(failedURL)), statusIs("Succeeded"), chromedp.Location(&retryURL), shot("11-retry-succeeded"))
	if retryURL == failedURL {
		t.Errorf("retry stayed on the failed run %s", failedURL)
	}
	run("history after retry", chromedp.Navigate(e.srv.URL+"/runs"), chromedp.WaitVisible(`table.runs`), shot("12-run-history-after-retry"),
		chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(`h1`), shot("13-overview-after-runs"))

	// A scope instance, with its entity's state.
	if _, err := e.app.StartScope(context.Background(), "stripe-account", app.ScopeOptions{Syncs: []string{"customers"}}); err != nil {
		t.Fatalf("scope: %v", err)
	}
	run("scopes", chromedp.Click(`a[href="/scopes"]`), chromedp.WaitVisible(`section.panel table`), shot("14-scopes"))
	t.Logf("screenshots in %s", dir)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
