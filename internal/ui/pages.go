package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

type configRow struct {
	Config ferry.SyncConfig
	Last   *ferry.Run
	Paused string // why it cannot run, when paused
}

type projectRow struct {
	Name   string
	Kind   string // "SQLite file" or "PostgreSQL": never the DSN, which holds credentials
	Active bool
}

type overviewData struct {
	Configs     []configRow
	Projects    []projectRow
	Connections []ferry.Connection
}

func (s *server) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	configs, err := s.store.ListSyncConfigs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	projects, err := s.store.ListProjects(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	conns, err := s.store.ListConnections(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var d overviewData
	paused := map[string]bool{}
	for _, p := range projects {
		d.Projects = append(d.Projects, projectRow{Name: p.Name, Kind: databaseKind(p.DSN.Reveal()), Active: p.Active})
		paused[p.Name] = !p.Active
	}
	for _, sc := range configs {
		row := configRow{Config: sc, Paused: pausedReason(sc, paused[sc.Project])}
		runs, err := s.store.ListRuns(ctx, store.RunFilter{Config: sc.Name, Limit: 1})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(runs) > 0 {
			row.Last = &runs[0]
		}
		d.Configs = append(d.Configs, row)
	}
	for _, c := range conns {
		c.APIKey = ferry.Secret{} // never rendered; cleared so no template can
		d.Connections = append(d.Connections, c)
	}
	s.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Nav: "overview", Data: d})
}

func databaseKind(dsn string) string {
	scheme, _, _ := strings.Cut(dsn, ":")
	switch scheme {
	case "postgres", "postgresql":
		return "PostgreSQL"
	case "sqlite", "file":
		return "SQLite file"
	}
	return "unknown"
}

func pausedReason(sc ferry.SyncConfig, projectPaused bool) string {
	switch {
	case !sc.Active:
		return "This configuration is paused (active: false); set active: true and apply to run it."
	case projectPaused:
		return "Its project " + sc.Project + " is paused; resume the project to run it."
	}
	return ""
}

type rename struct{ From, To string }

type configData struct {
	Config    ferry.SyncConfig
	Renames   []rename
	Paused    string
	Schedule  string
	Active    *ferry.Run
	Runs      []ferry.Run
	Chart     template.HTML
	ChartRuns int
}

func (s *server) configPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sc, err := s.store.GetSyncConfig(ctx, r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	proj, err := s.store.GetProject(ctx, sc.Project)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := configData{Config: sc, Paused: pausedReason(sc, !proj.Active)}
	for from, to := range sc.Rename {
		d.Renames = append(d.Renames, rename{from, to})
	}
	sort.Slice(d.Renames, func(i, j int) bool { return d.Renames[i].From < d.Renames[j].From })
	if run, ok, err := s.store.ActiveRun(ctx, sc.Name); err != nil {
		s.fail(w, r, err)
		return
	} else if ok {
		d.Active = &run
	}
	history, err := s.store.ListRuns(ctx, store.RunFilter{Config: sc.Name, Limit: 60})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Runs = history[:min(10, len(history))]
	var finished []ferry.Run
	for _, run := range history {
		if run.Status.Done() && len(finished) < 30 {
			finished = append(finished, run)
		}
	}
	slices.Reverse(finished) // oldest first
	d.Chart, d.ChartRuns = runChart(finished), len(finished)
	s.render(w, r, http.StatusOK, "config", page{Title: sc.Name, Nav: "overview", Data: d})
}

type runsData struct {
	Configs  []string
	Statuses []ferry.RunStatus
	Config   string
	Status   ferry.RunStatus
	Before   string
	Runs     []ferry.Run
	Older    string
}

const runsPerPage = 50

func (s *server) runsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	d := runsData{
		Statuses: []ferry.RunStatus{ferry.RunQueued, ferry.RunRunning, ferry.RunSucceeded, ferry.RunFailed, ferry.RunInterrupted, ferry.RunCancelled},
		Config:   q.Get("config"), Status: ferry.RunStatus(q.Get("status")), Before: q.Get("before"),
	}
	if d.Status != "" && !slices.Contains(d.Statuses, d.Status) {
		s.errorPage(w, r, http.StatusBadRequest, "Unknown status", "Pick a status from the list on the run history page.")
		return
	}
	configs, err := s.store.ListSyncConfigs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range configs {
		d.Configs = append(d.Configs, c.Name)
	}
	runs, err := s.store.ListRuns(ctx, store.RunFilter{Config: d.Config, Status: d.Status, Before: d.Before, Limit: runsPerPage + 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(runs) > runsPerPage {
		runs = runs[:runsPerPage]
		v := url.Values{}
		if d.Config != "" {
			v.Set("config", d.Config)
		}
		if d.Status != "" {
			v.Set("status", string(d.Status))
		}
		v.Set("before", runs[len(runs)-1].ID)
		d.Older = "/runs?" + v.Encode()
	}
	d.Runs = runs
	s.render(w, r, http.StatusOK, "runs", page{Title: "Run history", Nav: "runs", Data: d})
}

type runData struct {
	Run           ferry.Run
	CSRF          string
	Batches       []ferry.Batch
	BatchCount    int
	HiddenBatches bool
	Errors        []ferry.RecordError
	MoreErrors    bool
}

const (
	maxBatchesShown = 200
	maxErrorsShown  = 100
)

func (s *server) loadRun(r *http.Request, id string) (runData, error) {
	ctx := r.Context()
	run, err := s.store.GetRun(ctx, id)
	if err != nil {
		return runData{}, err
	}
	batches, err := s.store.ListBatches(ctx, id)
	if err != nil {
		return runData{}, err
	}
	errs, err := s.store.ListRecordErrors(ctx, id, maxErrorsShown+1)
	if err != nil {
		return runData{}, err
	}
	d := runData{Run: run, CSRF: sessionFrom(ctx).CSRFToken, BatchCount: len(batches)}
	// Newest batch first: on a live page the latest activity is on top.
	slices.Reverse(batches)
	if len(batches) > maxBatchesShown {
		batches, d.HiddenBatches = batches[:maxBatchesShown], true
	}
	d.Batches = batches
	if len(errs) > maxErrorsShown {
		errs, d.MoreErrors = errs[:maxErrorsShown], true
	}
	d.Errors = errs
	return d, nil
}

func (s *server) runPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadRun(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "run", page{Title: "Run of " + d.Run.Config, Nav: "runs", Data: d})
}

// syncNow starts a run of the configuration and shows it live.
func (s *server) syncNow(w http.ResponseWriter, r *http.Request) {
	s.start(w, r, r.PathValue("name"))
}

// retry starts a new run of a failed, interrupted or cancelled run's
// configuration; it resumes from the configuration's checkpoint.
func (s *server) retry(w http.ResponseWriter, r *http.Request) {
	run, err := s.store.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !run.Status.Done() || run.Status == ferry.RunSucceeded {
		s.errorPage(w, r, http.StatusConflict, "Nothing to retry",
			"Run "+run.ID+" is "+statusLabel(run.Status)+": only failed, interrupted or cancelled runs can be retried.")
		return
	}
	s.start(w, r, run.Config)
}

func (s *server) start(w http.ResponseWriter, r *http.Request, config string) {
	run, err := s.app.StartSync(r.Context(), config, func(run ferry.Run, _ float64) { s.hub.publish(run.ID) })
	if err != nil {
		if ferry.ErrorCode(err) == ferry.ECONFLICT {
			if active, ok, aerr := s.store.ActiveRun(r.Context(), config); aerr == nil && ok {
				// Someone started it a moment ago: show that run instead.
				http.Redirect(w, r, "/runs/"+url.PathEscape(active.ID), http.StatusSeeOther)
				return
			}
		}
		s.fail(w, r, err)
		return
	}
	s.log.Info("run started from the dashboard", "run_id", run.ID, "config", config)
	http.Redirect(w, r, "/runs/"+url.PathEscape(run.ID), http.StatusSeeOther)
}
