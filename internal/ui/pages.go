package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

type configRow struct {
	Config ferry.SyncConfig
	Status app.ConfigStatus
	Last   *app.RunBrief
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
	statuses, err := s.app.Status(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byName := map[string]app.ConfigStatus{}
	for _, st := range statuses {
		byName[st.Name] = st
	}
	var d overviewData
	for _, p := range projects {
		d.Projects = append(d.Projects, projectRow{Name: p.Name, Kind: databaseKind(p.DSN.Reveal()), Active: p.Active})
	}
	for _, sc := range configs {
		st := byName[sc.Name]
		row := configRow{Config: sc, Status: st, Last: st.LastRun, Paused: pausedReason(sc, st)}
		if st.ActiveRun != nil {
			row.Last = st.ActiveRun
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

// pausedReason says in a sentence why a configuration does not run, or "".
func pausedReason(sc ferry.SyncConfig, st app.ConfigStatus) string {
	switch st.PausedBy {
	case string(store.TierProject):
		return "Its project " + sc.Project + " is paused: nothing writes into it until the project is resumed."
	case string(store.TierSync):
		return "This configuration is paused: it does not run until it is resumed."
	case string(store.TierSchedule):
		return "Its schedule is paused: it runs only when started by hand."
	case "quota":
		if st.QuotaUntil != nil {
			return "The provider's API quota for connection " + sc.Connection + " is used up; runs start again at " +
				st.QuotaUntil.UTC().Format("15:04 UTC") + "."
		}
		return "The provider's API quota for connection " + sc.Connection + " is used up."
	}
	return ""
}

type rename struct{ From, To string }

type configData struct {
	Config        ferry.SyncConfig
	Status        app.ConfigStatus
	Renames       []rename
	Paused        string
	CanRun        bool // neither it nor its project is paused
	ProjectActive bool
	Schedule      string
	Active        *ferry.Run
	Runs          []ferry.Run
	Chart         template.HTML
	ChartRuns     int
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
	statuses, err := s.app.Status(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var st app.ConfigStatus
	for _, x := range statuses {
		if x.Name == sc.Name {
			st = x
		}
	}
	d := configData{Config: sc, Status: st, Paused: pausedReason(sc, st), ProjectActive: proj.Active,
		CanRun: proj.Active && sc.Active, Schedule: st.Schedule}
	if st.Timezone != "" {
		d.Schedule += " (" + st.Timezone + ")"
	}
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
	if s.cfg.Enqueue {
		s.started(w, r, run.Config)(s.app.Retry(r.Context(), run.ID))
		return
	}
	s.start(w, r, run.Config)
}

// cancel stops a queued or running run after its batch in flight; what it
// committed stays.
func (s *server) cancel(w http.ResponseWriter, r *http.Request) {
	run, err := s.app.CancelRun(r.Context(), r.PathValue("id"), "cancelled from the dashboard; committed batches and the checkpoint are kept")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.hub.publish(run.ID)
	http.Redirect(w, r, "/runs/"+url.PathEscape(run.ID), http.StatusSeeOther)
}

func (s *server) start(w http.ResponseWriter, r *http.Request, config string) {
	if s.cfg.Enqueue {
		s.started(w, r, config)(s.app.Enqueue(r.Context(), config, false))
		return
	}
	s.started(w, r, config)(s.app.StartSync(r.Context(), config, func(run ferry.Run, _ float64) { s.hub.publish(run.ID) }))
}

// started shows a run that was just started or queued, or why it was not.
func (s *server) started(w http.ResponseWriter, r *http.Request, config string) func(ferry.Run, error) {
	return func(run ferry.Run, err error) {
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
}

// pause and resume switch a tier (project, sync, schedule) off and on, then
// go back to the page the form was on.
func (s *server) pause(w http.ResponseWriter, r *http.Request)  { s.setActive(w, r, false) }
func (s *server) resume(w http.ResponseWriter, r *http.Request) { s.setActive(w, r, true) }

func (s *server) setActive(w http.ResponseWriter, r *http.Request, active bool) {
	tier := store.Tier(r.PathValue("tier"))
	if tier != store.TierProject && tier != store.TierSync && tier != store.TierSchedule {
		s.errorPage(w, r, http.StatusBadRequest, "Unknown tier", "Only a project, a sync configuration or a schedule can be paused.")
		return
	}
	var err error
	if active {
		err = s.app.Resume(r.Context(), tier, r.PathValue("name"))
	} else {
		_, err = s.app.Pause(r.Context(), tier, r.PathValue("name"), false)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("back"))
	if back == "" {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

type scopesData struct {
	Scopes []scopeView
}

type scopeView struct {
	ferry.Scope
	Entities []ferry.ScopeEntity
}

// scopesPage lists scope instances, newest first, with each entity's state.
func (s *server) scopesPage(w http.ResponseWriter, r *http.Request) {
	scopes, err := s.store.ListScopes(r.Context(), store.ScopeFilter{Limit: 50})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var d scopesData
	for _, sc := range scopes {
		d.Scopes = append(d.Scopes, scopeView{Scope: sc, Entities: sc.Entities})
	}
	s.render(w, r, http.StatusOK, "scopes", page{Title: "Scopes", Nav: "scopes", Data: d})
}
