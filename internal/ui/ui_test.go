package ui_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/ui"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := ui.HashPassword("s3cret-password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sha256$600000$") || strings.Contains(h, "s3cret") {
		t.Fatalf("hash %q", h)
	}
	if !ui.CheckPassword(h, "s3cret-password") || ui.CheckPassword(h, "s3cret-passwore") || ui.CheckPassword(h, "") {
		t.Fatal("CheckPassword disagrees")
	}
	for _, bad := range []string{"", "plain", "pbkdf2-sha256$x$y$z", "pbkdf2-sha256$1$$"} {
		if ui.CheckPassword(bad, "") {
			t.Errorf("CheckPassword(%q) accepted", bad)
		}
	}
}

func TestLoginRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 50})
	c := e.client(t)
	for _, path := range []string{"/", "/syncs/customers", "/runs", "/runs/x"} {
		resp, _ := get(t, c, e.srv.URL+path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s: %d to %q, want 303 to the login page", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := post(t, c, e.srv.URL+"/syncs/customers/run", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d, want 401", resp.StatusCode)
	}
	if resp, _ := e.login(t, c, "wrong password"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", resp.StatusCode)
	}
	if resp, _ := get(t, c, e.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after a wrong password: %d, want still logged out", resp.StatusCode)
	}
	resp, tok := e.login(t, c, testPassword)
	if tok == "" {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "ferry_session" {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.Secure {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/ (not Secure on plain HTTP)", sc)
	}
	// Logging out ends the session on the server, not just in this browser.
	if resp, _ := post(t, c, e.srv.URL+"/logout", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	c2 := e.client(t)
	u, _ := url.Parse(e.srv.URL)
	c2.Jar.SetCookies(u, []*http.Cookie{{Name: "ferry_session", Value: sc.Value}})
	if resp, _ := get(t, c2, e.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("old session cookie after logout: %d, want a redirect to log in", resp.StatusCode)
	}
}

func TestLoginNeedsItsFormToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 10})
	c := e.client(t)
	resp, _ := post(t, c, e.srv.URL+"/login", url.Values{"password": {testPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without the form's token: %d, want 403", resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 300})
	c := e.client(t)
	_, tok := e.login(t, c, testPassword)
	ctx := context.Background()
	runs := func() int {
		rs, err := e.app.Store().ListRuns(ctx, store.RunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	for name, form := range map[string]url.Values{"no token": nil, "wrong token": {"csrf": {"x" + tok}}} {
		if resp, _ := post(t, c, e.srv.URL+"/syncs/customers/run", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	// A cross-site form post is refused even with the right token.
	req, _ := http.NewRequest("POST", e.srv.URL+"/syncs/customers/run", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	// GET never changes state.
	if resp, _ := get(t, c, e.srv.URL+"/syncs/customers/run"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET of the sync action: %d, want 405", resp.StatusCode)
	}
	if n := runs(); n != 0 {
		t.Fatalf("%d runs after refused requests, want 0", n)
	}
	// The htmx header carries the token too.
	req, _ = http.NewRequest("POST", e.srv.URL+"/syncs/customers/run", nil)
	req.Header.Set("X-CSRF-Token", tok)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sync now with the token header: %d", resp.StatusCode)
	}
	run := waitRun(t, e, runIDFrom(t, resp.Header.Get("Location")))
	if run.Status != ferry.RunSucceeded || run.Counts.Fetched != 300 {
		t.Fatalf("run %+v", run)
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 250})
	c := e.client(t)
	_, tok := e.login(t, c, testPassword)

	// Before any run: the empty states say what to do.
	_, body := get(t, c, e.srv.URL+"/runs")
	if !strings.Contains(body, "No runs yet") {
		t.Errorf("empty run history does not say so:\n%s", body)
	}
	resp, _ := post(t, c, e.srv.URL+"/syncs/customers/run", url.Values{"csrf": {tok}})
	id := runIDFrom(t, resp.Header.Get("Location"))
	waitRun(t, e, id)

	// A failed run, for Retry.
	e.stripe.FailNext(1000, 401)
	resp, _ = post(t, c, e.srv.URL+"/syncs/customers/run", url.Values{"csrf": {tok}})
	failed := waitRun(t, e, runIDFrom(t, resp.Header.Get("Location")))
	e.stripe.FailNext(0, 0)
	if failed.Status != ferry.RunFailed {
		t.Fatalf("run with a refused key: %s", failed.Status)
	}

	for _, tc := range []struct{ path, want string }{
		{"/", "Sync configurations"},
		{"/syncs/customers", "Sync now"},
		{"/syncs/customers", "<svg class=\"chart\""},
		{"/runs", id},
		{"/runs?status=failed", failed.ID},
		{"/runs?config=nope", "No runs match these filters"},
		{"/runs/" + id, "Batch log"},
		{"/runs/" + failed.ID, `id="retry"`},
		{"/scopes", "No scope has run yet"},
	} {
		resp, body := get(t, c, e.srv.URL+tc.path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want %q in:\n%s", tc.path, resp.StatusCode, tc.want, body)
		}
		if strings.Contains(body, "sk_test_ferry") {
			t.Errorf("GET %s shows the connection's API key", tc.path)
		}
	}
	if resp, _ := get(t, c, e.srv.URL+"/runs?status=failed"); !strings.Contains(mustBody(t, c, e.srv.URL+"/runs?status=failed"), failed.ID) ||
		strings.Contains(mustBody(t, c, e.srv.URL+"/runs?status=failed"), "/runs/"+id+"\"") || resp.StatusCode != 200 {
		t.Errorf("status filter shows other runs")
	}
	if resp, _ := get(t, c, e.srv.URL+"/runs/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown run: %d, want 404", resp.StatusCode)
	}

	// Retry starts a new run of the same configuration, which succeeds.
	resp, _ = post(t, c, e.srv.URL+"/runs/"+failed.ID+"/retry", url.Values{"csrf": {tok}})
	retried := waitRun(t, e, runIDFrom(t, resp.Header.Get("Location")))
	if retried.ID == failed.ID || retried.Status != ferry.RunSucceeded {
		t.Fatalf("retry: %+v", retried)
	}
	// A succeeded run has nothing to retry.
	if resp, _ := post(t, c, e.srv.URL+"/runs/"+id+"/retry", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("retry of a succeeded run: %d, want 409", resp.StatusCode)
	}
}

func mustBody(t *testing.T, c *http.Client, u string) string {
	_, b := get(t, c, u)
	return b
}

func TestLiveEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 600})
	c := e.client(t)
	_, tok := e.login(t, c, testPassword)
	resp, _ := post(t, c, e.srv.URL+"/syncs/customers/run", url.Values{"csrf": {tok}})
	id := runIDFrom(t, resp.Header.Get("Location"))
	resp, err := c.Get(e.srv.URL + "/runs/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var events []string
	var last bytes.Buffer
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<22)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			last.Reset()
		case strings.HasPrefix(line, "data: "):
			last.WriteString(strings.TrimPrefix(line, "data: ") + "\n")
		case line == "" && event != "":
			events = append(events, event)
			if event == "done" {
				goto end
			}
			event = ""
		}
	}
end:
	if len(events) < 2 || events[len(events)-1] != "done" || events[len(events)-2] != "progress" {
		t.Fatalf("events %v, want progress... then done", events)
	}
	if strings.TrimSpace(last.String()) != "succeeded" {
		t.Fatalf("done event data %q", last.String())
	}
}

func TestAdminPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Config{State: filepath.Join(dir, "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// Too short a password from the environment: the dashboard says why.
	var out bytes.Buffer
	srv := httptest.NewServer(ui.New(a, ui.Config{AdminPassword: "short", Out: &out}))
	resp, err := http.Get(srv.URL + "/login")
	srv.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || out.Len() != 0 {
		t.Fatalf("short password: %d, printed %q", resp.StatusCode, out.String())
	}

	// No password: one is generated and printed once.
	ui.New(a, ui.Config{Out: &out})
	m := regexp.MustCompile(`\): (\S+)\n$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password in %q", out.String())
	}
	hash, ok, err := a.Store().AdminPasswordHash(ctx)
	if err != nil || !ok || !ui.CheckPassword(hash, m[1]) {
		t.Fatalf("stored hash does not match the printed password (%v, %v)", ok, err)
	}
	out.Reset()
	ui.New(a, ui.Config{Out: &out, AdminPassword: "another password"})
	if out.Len() != 0 {
		t.Fatalf("second start printed %q", out.String())
	}
	if h2, _, _ := a.Store().AdminPasswordHash(ctx); h2 != hash {
		t.Fatal("second start changed the password")
	}
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 20})
	c := e.client(t)
	_, tok := e.login(t, c, testPassword)
	resp, _ := post(t, c, e.srv.URL+"/pause/sync/customers", url.Values{"csrf": {tok}, "back": {"/syncs/customers"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/syncs/customers" {
		t.Fatalf("pause: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := get(t, c, e.srv.URL+"/syncs/customers")
	if !strings.Contains(body, "This configuration is paused") || !strings.Contains(body, "Resume this configuration") {
		t.Fatalf("paused configuration page:\n%s", body)
	}
	if resp, _ := post(t, c, e.srv.URL+"/syncs/customers/run", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("sync now while paused: %d, want 409", resp.StatusCode)
	}
	if resp, _ := post(t, c, e.srv.URL+"/pause/project/demo", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("pause without the CSRF token: %d, want 403", resp.StatusCode)
	}
	post(t, c, e.srv.URL+"/resume/sync/customers", url.Values{"csrf": {tok}})
	resp, _ = post(t, c, e.srv.URL+"/syncs/customers/run", url.Values{"csrf": {tok}})
	if run := waitRun(t, e, runIDFrom(t, resp.Header.Get("Location"))); run.Status != ferry.RunSucceeded {
		t.Fatalf("run after resume: %s", run.Status)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{customers: 5000, latency: 50 * time.Millisecond})
	c := e.client(t)
	_, tok := e.login(t, c, testPassword)
	resp, _ := post(t, c, e.srv.URL+"/syncs/customers/run", url.Values{"csrf": {tok}})
	id := runIDFrom(t, resp.Header.Get("Location"))
	if _, body := get(t, c, e.srv.URL+"/runs/"+id); !strings.Contains(body, `id="cancel"`) {
		t.Fatalf("a running run's page has no Cancel button:\n%s", body)
	}
	if resp, _ := post(t, c, e.srv.URL+"/runs/"+id+"/cancel", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	run := waitRun(t, e, id)
	if run.Status != ferry.RunCancelled || run.Counts.Fetched >= 5000 {
		t.Fatalf("cancelled run: %s, fetched %d", run.Status, run.Counts.Fetched)
	}
	if _, body := get(t, c, e.srv.URL+"/runs/"+id); !strings.Contains(body, `id="retry"`) {
		t.Errorf("a cancelled run's page has no Retry button")
	}
}
