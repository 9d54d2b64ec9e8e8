package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// page is what every template gets.
type page struct {
	Title string
	Nav   string // which tab is current: overview, runs
	CSRF  string
	Data  any
}

type pages struct {
	sets map[string]*template.Template
}

// parsePages parses templates/layout.html and the shared templates with each
// page file into its own set, named after the file.
func parsePages(now func() time.Time) (*pages, error) {
	funcs := templateFuncs(now)
	// layout.html and the shared pieces (_*.html) go into every set.
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, err
		}
		p.sets[name] = t
	}
	return p, nil
}

func mustParsePages() *pages {
	p, err := parsePages(time.Now)
	if err != nil {
		panic(fmt.Sprintf("ui templates: %v", err))
	}
	return p
}

// render writes a whole page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	s.renderTemplate(w, r, status, name, "layout", p)
}

// renderTemplate executes one template of a page's set into a buffer, so a
// failing template sends a clean error instead of half a page.
func (s *server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, set, tmpl string, p page) {
	if p.CSRF == "" {
		p.CSRF = sessionFrom(r.Context()).CSRFToken
	}
	var buf bytes.Buffer
	t, ok := s.pages.sets[set]
	if !ok {
		s.log.Error("no such template set", "set", set)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, tmpl, p); err != nil {
		s.log.Error("render page", "page", set, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	Heading string
	Message string
}

func (s *server) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	s.render(w, r, status, "error", page{Title: heading, Data: errorData{Heading: heading, Message: msg}})
}

// fail shows err: its message for coded errors (written for users),
// "internal error" for anything else (logged).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, heading := http.StatusInternalServerError, "Something went wrong"
	msg := "Ferry hit an internal error. The server log has the details."
	switch code := ferry.ErrorCode(err); code {
	case ferry.ENOTFOUND:
		status, heading, msg = http.StatusNotFound, "Not found", ferry.ErrorMessage(err)
	case ferry.ECONFLICT:
		status, heading, msg = http.StatusConflict, "That cannot be done right now", ferry.ErrorMessage(err)
	case ferry.EINVALID:
		status, heading, msg = http.StatusBadRequest, "That is not valid", ferry.ErrorMessage(err)
	case ferry.EUNAVAILABLE:
		status, heading, msg = http.StatusServiceUnavailable, "Temporarily unavailable", ferry.ErrorMessage(err)
	default:
		s.log.Error("dashboard request failed", "path", r.URL.Path, "error", err)
	}
	s.errorPage(w, r, status, heading, msg)
}

func templateFuncs(now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"ago":     func(t time.Time) template.HTML { return timeTag(t, now()) },
		"dur":     func(d time.Duration) string { return humanDuration(d) },
		"runTime": func(r ferry.Run) string { return humanDuration(runElapsed(r, now())) },
		"num":     func(n int64) string { return thousands(n) },
		"rate":    func(r ferry.Run) string { return runRate(r, now()) },
		"pct":     runPercent,
		"written": func(c ferry.Counts) int64 { return c.Inserted + c.Updated + c.Deleted },
		"status":  statusLabel,
		"done":    func(r ferry.Run) bool { return r.Status.Done() },
		"retryable": func(r ferry.Run) bool {
			return r.Status == ferry.RunFailed || r.Status == ferry.RunInterrupted || r.Status == ferry.RunCancelled
		},
		"strategy": strategyText,
	}
}

// timeTag is a human time ("3 minutes ago") with the exact UTC time on hover.
func timeTag(t, now time.Time) template.HTML {
	if t.IsZero() {
		return "never"
	}
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		t.UTC().Format(time.RFC3339), t.UTC().Format("2 Jan 2006 15:04:05 UTC"), template.HTMLEscapeString(humanTime(t, now))))
}

func humanTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		s = plural(int(d.Seconds()), "second")
	case d < time.Hour:
		s = plural(int(d.Minutes()), "minute")
	case d < 48*time.Hour:
		s = plural(int(d.Hours()), "hour")
	case d < 30*24*time.Hour:
		s = plural(int(d.Hours()/24), "day")
	default:
		return t.UTC().Format("2 Jan 2006")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}

func runElapsed(r ferry.Run, now time.Time) time.Duration {
	end := r.FinishedAt
	if end.IsZero() {
		end = now
	}
	if r.StartedAt.IsZero() {
		return 0
	}
	return end.Sub(r.StartedAt)
}

func runRate(r ferry.Run, now time.Time) string {
	secs := runElapsed(r, now).Seconds()
	if secs <= 0 || r.Counts.Fetched == 0 {
		return "–"
	}
	return thousands(int64(float64(r.Counts.Fetched)/secs)) + " records/s"
}

// runPercent is how far a run is, 0-100, or -1 when unknown.
func runPercent(r ferry.Run) int {
	if r.Status == ferry.RunSucceeded {
		return 100
	}
	if r.Total <= 0 {
		return -1
	}
	return int(min(100, 100*r.Counts.Fetched/r.Total))
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func statusLabel(s ferry.RunStatus) string {
	switch s {
	case ferry.RunQueued:
		return "Waiting to start"
	case ferry.RunRunning:
		return "Running"
	case ferry.RunSucceeded:
		return "Succeeded"
	case ferry.RunFailed:
		return "Failed"
	case ferry.RunInterrupted:
		return "Interrupted"
	case ferry.RunCancelled:
		return "Cancelled"
	}
	return string(s)
}

func strategyText(sc ferry.SyncConfig) string {
	switch sc.Strategy {
	case ferry.Full:
		return "Full: every run reads every object and marks the ones that are gone as deleted."
	case ferry.Incremental:
		s := "Incremental: the first run reads everything; later runs fetch only what changed since the last one."
		if sc.FullEvery > 0 {
			s += fmt.Sprintf(" After every %d incremental runs, a full run checks for missed deletes.", sc.FullEvery)
		}
		return s
	}
	return string(sc.Strategy)
}
