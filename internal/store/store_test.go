package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/vault"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// dialects are the databases the conformance suite runs against; each
// returns the target of a fresh, empty database.
var dialects = []struct {
	name   string
	target func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "ferry.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.DB(t) }},
}

// forEachDialect runs test against every dialect, in parallel.
func forEachDialect(t *testing.T, test func(t *testing.T, target string)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d.target(t))
		})
	}
}

// clock is a test clock; it starts at a time with nanoseconds in a non-UTC
// zone, so that the suite checks the store's UTC and precision handling.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stored is how the store keeps a time.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testVault(t *testing.T, keys ...[]byte) *vault.Vault {
	t.Helper()
	if len(keys) == 0 {
		keys = [][]byte{testKey}
	}
	v, err := vault.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func open(t *testing.T, target string, c *clock) *store.Store {
	t.Helper()
	return openWith(t, target, testVault(t), c)
}

func openWith(t *testing.T, target string, sealer store.Sealer, c *clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), target, sealer, c.Now)
	if err != nil {
		t.Fatalf("Open(%s): %v", target, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var cmpSecret = cmp.Comparer(func(a, b ferry.Secret) bool { return a.Reveal() == b.Reveal() })

func wantCode(t *testing.T, err error, code string, contains ...string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q does not mention %q", err, c)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawColumn reads one column of one row with plain SQL, bypassing the store.
func rawColumn(t *testing.T, s *store.Store, query string, args ...any) string {
	t.Helper()
	var v string
	must(t, s.DB().QueryRow(s.Rebind(query), args...).Scan(&v))
	return v
}

func TestProjects(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		const dsn = "postgres://app:hunter2-secret@db.example.com/app"

		p := ferry.Project{Name: "shop", DSN: ferry.NewSecret(dsn), Active: true}
		changed, err := s.PutProject(ctx, &p)
		must(t, err)
		if !changed {
			t.Error("first Put reported no change")
		}
		created := stored(c.Now())
		if !p.CreatedAt.Equal(created) || !p.UpdatedAt.Equal(created) || p.CreatedAt.Location() != time.UTC {
			t.Errorf("Put set times %v, %v; want %v UTC", p.CreatedAt, p.UpdatedAt, created)
		}
		got, err := s.GetProject(ctx, "shop")
		must(t, err)
		if diff := cmp.Diff(p, got, cmpSecret); diff != "" {
			t.Errorf("Get after Put (-put +got):\n%s", diff)
		}

		// Invariant 7: sealed at rest.
		raw := rawColumn(t, s, "SELECT dsn FROM projects WHERE name = ?", "shop")
		if strings.Contains(raw, "hunter2") || !strings.HasPrefix(raw, "v1:") {
			t.Errorf("dsn at rest = %q, want a sealed value", raw)
		}

		c.Add(time.Minute)
		same := ferry.Project{Name: "shop", DSN: ferry.NewSecret(dsn), Active: true}
		changed, err = s.PutProject(ctx, &same)
		must(t, err)
		if changed {
			t.Error("Put of identical project reported a change")
		}
		if !same.UpdatedAt.Equal(created) {
			t.Errorf("unchanged Put moved UpdatedAt to %v", same.UpdatedAt)
		}
		if raw2 := rawColumn(t, s, "SELECT dsn FROM projects WHERE name = ?", "shop"); raw2 != raw {
			t.Error("unchanged Put re-sealed the secret")
		}

		for _, mod := range []func(*ferry.Project){
			func(p *ferry.Project) { p.DSN = ferry.NewSecret(dsn + "2") },
			func(p *ferry.Project) { p.Active = false },
		} {
			c.Add(time.Minute)
			mp := got
			mod(&mp)
			changed, err = s.PutProject(ctx, &mp)
			must(t, err)
			if !changed {
				t.Errorf("Put of modified project reported no change")
			}
			if !mp.CreatedAt.Equal(created) || !mp.UpdatedAt.Equal(stored(c.Now())) {
				t.Errorf("changed Put times %v, %v", mp.CreatedAt, mp.UpdatedAt)
			}
			got, err = s.GetProject(ctx, "shop")
			must(t, err)
			if diff := cmp.Diff(mp, got, cmpSecret); diff != "" {
				t.Errorf("Get after update (-put +got):\n%s", diff)
			}
		}

		b := ferry.Project{Name: "analytics", DSN: ferry.NewSecret("sqlite:///tmp/a.db")}
		_, err = s.PutProject(ctx, &b)
		must(t, err)
		list, err := s.ListProjects(ctx)
		must(t, err)
		if diff := cmp.Diff([]ferry.Project{b, got}, list, cmpSecret); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}

		_, err = s.GetProject(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND, `"nope"`)
		_, err = s.PutProject(ctx, &ferry.Project{})
		wantCode(t, err, ferry.EINVALID)

		must(t, s.DeleteProject(ctx, "analytics"))
		wantCode(t, s.DeleteProject(ctx, "analytics"), ferry.ENOTFOUND)
		_, err = s.GetProject(ctx, "analytics")
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

func TestConnections(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		const key = "sk_test_51Hx-very-secret"

		conn := ferry.Connection{Name: "stripe", Provider: "stripe", APIKey: ferry.NewSecret(key), BaseURL: "http://127.0.0.1:12111", RateLimit: 25.5}
		changed, err := s.PutConnection(ctx, &conn)
		must(t, err)
		if !changed {
			t.Error("first Put reported no change")
		}
		got, err := s.GetConnection(ctx, "stripe")
		must(t, err)
		if diff := cmp.Diff(conn, got, cmpSecret); diff != "" {
			t.Errorf("Get after Put (-put +got):\n%s", diff)
		}
		raw := rawColumn(t, s, "SELECT api_key FROM connections WHERE name = ?", "stripe")
		if strings.Contains(raw, "very-secret") || !strings.HasPrefix(raw, "v1:") {
			t.Errorf("api_key at rest = %q, want a sealed value", raw)
		}

		c.Add(time.Second)
		same := conn
		changed, err = s.PutConnection(ctx, &same)
		must(t, err)
		if changed || !same.UpdatedAt.Equal(conn.UpdatedAt) {
			t.Errorf("identical Put: changed=%v UpdatedAt=%v", changed, same.UpdatedAt)
		}
		for _, mod := range []func(*ferry.Connection){
			func(c *ferry.Connection) { c.Provider = "shopify" },
			func(c *ferry.Connection) { c.APIKey = ferry.NewSecret("rotated") },
			func(c *ferry.Connection) { c.APIKey = ferry.Secret{} },
			func(c *ferry.Connection) { c.BaseURL = "" },
			func(c *ferry.Connection) { c.RateLimit = 1 },
		} {
			c.Add(time.Second)
			m := got
			mod(&m)
			changed, err = s.PutConnection(ctx, &m)
			must(t, err)
			if !changed {
				t.Error("Put of modified connection reported no change")
			}
			got, err = s.GetConnection(ctx, "stripe")
			must(t, err)
			if diff := cmp.Diff(m, got, cmpSecret); diff != "" {
				t.Errorf("Get after update (-put +got):\n%s", diff)
			}
		}

		other := ferry.Connection{Name: "a-first", Provider: "stripe"}
		_, err = s.PutConnection(ctx, &other)
		must(t, err)
		list, err := s.ListConnections(ctx)
		must(t, err)
		if diff := cmp.Diff([]ferry.Connection{other, got}, list, cmpSecret); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		_, err = s.PutConnection(ctx, &ferry.Connection{Name: "x", RateLimit: -1})
		wantCode(t, err, ferry.EINVALID)
		_, err = s.GetConnection(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)
		must(t, s.DeleteConnection(ctx, "a-first"))
		wantCode(t, s.DeleteConnection(ctx, "a-first"), ferry.ENOTFOUND)
	})
}

// seed creates a project, a connection and the named sync configs.
func seed(t *testing.T, s *store.Store, configs ...string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.PutProject(ctx, &ferry.Project{Name: "proj", DSN: ferry.NewSecret("sqlite:///tmp/p.db"), Active: true})
	must(t, err)
	_, err = s.PutConnection(ctx, &ferry.Connection{Name: "conn", Provider: "stripe", APIKey: ferry.NewSecret("sk_test")})
	must(t, err)
	for _, name := range configs {
		_, err := s.PutSyncConfig(ctx, &ferry.SyncConfig{Name: name, Connection: "conn", Project: "proj", Object: "customers",
			Table: name, Strategy: ferry.Incremental, Direction: ferry.OneWay, Active: true})
		must(t, err)
	}
}

func TestSyncConfigs(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		seed(t, s)

		sc := ferry.SyncConfig{
			Name: "customers", Connection: "conn", Object: "customers", Project: "proj", Table: "stripe_customers",
			Fields: []string{"id", "email", "created"}, Rename: map[string]string{"email": "email_address"},
			Strategy: ferry.Incremental, FullEvery: 7, Direction: ferry.TwoWay, Active: true,
		}
		changed, err := s.PutSyncConfig(ctx, &sc)
		must(t, err)
		if !changed {
			t.Error("first Put reported no change")
		}
		got, err := s.GetSyncConfig(ctx, "customers")
		must(t, err)
		if diff := cmp.Diff(sc, got); diff != "" {
			t.Errorf("Get after Put (-put +got):\n%s", diff)
		}
		c.Add(time.Second)
		same := sc
		same.Fields = append([]string(nil), sc.Fields...)
		changed, err = s.PutSyncConfig(ctx, &same)
		must(t, err)
		if changed {
			t.Error("identical Put reported a change")
		}

		for _, mod := range []func(*ferry.SyncConfig){
			func(c *ferry.SyncConfig) { c.Fields = []string{"id", "created", "email"} },
			func(c *ferry.SyncConfig) { c.Fields = nil },
			func(c *ferry.SyncConfig) { c.Rename = map[string]string{"email": "mail"} },
			func(c *ferry.SyncConfig) { c.Rename = nil },
			func(c *ferry.SyncConfig) { c.Table = "t2" },
			func(c *ferry.SyncConfig) { c.Object = "invoices" },
			func(c *ferry.SyncConfig) { c.Strategy = ferry.Full },
			func(c *ferry.SyncConfig) { c.FullEvery = 0 },
			func(c *ferry.SyncConfig) { c.Direction = ferry.OneWay },
			func(c *ferry.SyncConfig) { c.Active = false },
		} {
			c.Add(time.Second)
			m := got
			mod(&m)
			changed, err = s.PutSyncConfig(ctx, &m)
			must(t, err)
			if !changed {
				t.Errorf("Put of modified config reported no change: %+v", m)
			}
			got, err = s.GetSyncConfig(ctx, "customers")
			must(t, err)
			if diff := cmp.Diff(m, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Get after update (-put +got):\n%s", diff)
			}
		}
		// Empty and nil are the same.
		e := got
		e.Fields, e.Rename = []string{}, map[string]string{}
		changed, err = s.PutSyncConfig(ctx, &e)
		must(t, err)
		if changed {
			t.Error("Put with empty instead of nil Fields/Rename reported a change")
		}

		a := ferry.SyncConfig{Name: "a-invoices", Connection: "conn", Project: "proj", Object: "invoices", Table: "inv", Strategy: ferry.Full}
		_, err = s.PutSyncConfig(ctx, &a)
		must(t, err)
		list, err := s.ListSyncConfigs(ctx)
		must(t, err)
		if diff := cmp.Diff([]ferry.SyncConfig{a, got}, list); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}

		bad := sc
		bad.Connection = "missing"
		_, err = s.PutSyncConfig(ctx, &bad)
		wantCode(t, err, ferry.ENOTFOUND, `"missing"`)
		bad = sc
		bad.Project = "missing"
		_, err = s.PutSyncConfig(ctx, &bad)
		wantCode(t, err, ferry.ENOTFOUND, `"missing"`)
		bad = sc
		bad.Strategy = "sometimes"
		_, err = s.PutSyncConfig(ctx, &bad)
		wantCode(t, err, ferry.EINVALID, "sometimes")
		bad = sc
		bad.Direction = "sideways"
		_, err = s.PutSyncConfig(ctx, &bad)
		wantCode(t, err, ferry.EINVALID)

		// Referenced projects and connections cannot be deleted.
		wantCode(t, s.DeleteProject(ctx, "proj"), ferry.ECONFLICT, `"a-invoices"`, `"customers"`)
		wantCode(t, s.DeleteConnection(ctx, "conn"), ferry.ECONFLICT, `"a-invoices"`, `"customers"`)

		must(t, s.DeleteSyncConfig(ctx, "a-invoices"))
		must(t, s.DeleteSyncConfig(ctx, "customers"))
		wantCode(t, s.DeleteSyncConfig(ctx, "customers"), ferry.ENOTFOUND)
		_, err = s.GetSyncConfig(ctx, "customers")
		wantCode(t, err, ferry.ENOTFOUND)
		must(t, s.DeleteProject(ctx, "proj"))
		must(t, s.DeleteConnection(ctx, "conn"))
	})
}

func TestWrongKey(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		_, err := s.PutProject(ctx, &ferry.Project{Name: "p", DSN: ferry.NewSecret("postgres://u:pw@h/db")})
		must(t, err)
		_, err = s.PutConnection(ctx, &ferry.Connection{Name: "c", Provider: "stripe", APIKey: ferry.NewSecret("sk_live_x")})
		must(t, err)

		otherKey := []byte("ffffffffffffffffffffffffffffffff")
		wrong := openWith(t, target, testVault(t, otherKey), c)
		_, err = wrong.GetProject(ctx, "p")
		wantCode(t, err, ferry.EINVALID, "FERRY_SECRET_KEY", vault.KeyID(testKey), `project "p"`)
		if strings.Contains(err.Error(), "pw@h") {
			t.Errorf("error leaks the secret: %v", err)
		}
		_, err = wrong.GetConnection(ctx, "c")
		wantCode(t, err, ferry.EINVALID, "FERRY_SECRET_KEY")

		// Putting the credential again re-seals it with the current key.
		changed, err := wrong.PutProject(ctx, &ferry.Project{Name: "p", DSN: ferry.NewSecret("postgres://u:pw@h/db")})
		must(t, err)
		if !changed {
			t.Error("Put over an unreadable secret reported no change")
		}
		p, err := wrong.GetProject(ctx, "p")
		must(t, err)
		if p.DSN.Reveal() != "postgres://u:pw@h/db" {
			t.Error("re-sealed DSN does not round-trip")
		}

		// Rotation: new key first, old keys still open (p is now sealed
		// with otherKey, c with testKey).
		rotated := openWith(t, target, testVault(t, []byte("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"), otherKey, testKey), c)
		conn, err := rotated.GetConnection(ctx, "c")
		must(t, err)
		if conn.APIKey.Reveal() != "sk_live_x" {
			t.Error("rotated vault cannot read the old secret")
		}
		// A vault without the key that sealed a value fails ResealSecrets as a whole.
		_, err = wrong.ResealSecrets(ctx)
		wantCode(t, err, ferry.EINVALID, "FERRY_SECRET_KEY")
		n, err := rotated.ResealSecrets(ctx)
		must(t, err)
		if n != 2 {
			t.Errorf("ResealSecrets rewrote %d values, want 2", n)
		}
		// Now the new key alone reads everything.
		onlyNew := openWith(t, target, testVault(t, []byte("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr")), c)
		p, err = onlyNew.GetProject(ctx, "p")
		must(t, err)
		conn, err = onlyNew.GetConnection(ctx, "c")
		must(t, err)
		if p.DSN.Reveal() != "postgres://u:pw@h/db" || conn.APIKey.Reveal() != "sk_live_x" {
			t.Error("secrets changed by ResealSecrets")
		}
	})
}

func TestRuns(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		seed(t, s, "customers", "invoices")

		r := ferry.Run{Config: "customers", Mode: ferry.ModeFull, Reason: "first run", Host: "box-1", PID: 4242, Attempt: 1}
		must(t, s.CreateRun(ctx, &r))
		if !strings.HasPrefix(r.ID, "run_") || len(r.ID) != len("run_")+26 {
			t.Errorf("run id %q, want run_ and 26 characters", r.ID)
		}
		if r.Status != ferry.RunQueued || !r.StartedAt.Equal(stored(c.Now())) || !r.HeartbeatAt.Equal(r.StartedAt) {
			t.Errorf("CreateRun defaults: %+v", r)
		}
		got, err := s.GetRun(ctx, r.ID)
		must(t, err)
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("GetRun after CreateRun (-want +got):\n%s", diff)
		}

		// Invariant 4: one queued-or-running run per configuration.
		err = s.CreateRun(ctx, &ferry.Run{Config: "customers", Host: "box-2", PID: 1})
		wantCode(t, err, ferry.ECONFLICT, r.ID, "box-1", "4242", `"customers"`)
		other := ferry.Run{Config: "invoices", Status: ferry.RunRunning}
		must(t, s.CreateRun(ctx, &other))
		wantCode(t, s.CreateRun(ctx, &ferry.Run{Config: "missing"}), ferry.ENOTFOUND, `"missing"`)
		wantCode(t, s.CreateRun(ctx, &ferry.Run{}), ferry.EINVALID)
		wantCode(t, s.DeleteSyncConfig(ctx, "customers"), ferry.ECONFLICT, r.ID)

		c.Add(time.Minute)
		r.Status = ferry.RunRunning
		r.Counts = ferry.Counts{Fetched: 100, Inserted: 60, Updated: 30, Unchanged: 5, Deleted: 3, Failed: 2}
		r.Batches, r.Total = 2, 1000
		must(t, s.UpdateRun(ctx, &r))
		if !r.HeartbeatAt.Equal(stored(c.Now())) || !r.FinishedAt.IsZero() {
			t.Errorf("UpdateRun heartbeat %v finished %v", r.HeartbeatAt, r.FinishedAt)
		}
		got, err = s.GetRun(ctx, r.ID)
		must(t, err)
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("GetRun after UpdateRun (-want +got):\n%s", diff)
		}

		c.Add(time.Minute)
		must(t, s.Heartbeat(ctx, r.ID))
		got, err = s.GetRun(ctx, r.ID)
		must(t, err)
		if !got.HeartbeatAt.Equal(stored(c.Now())) {
			t.Errorf("Heartbeat stored %v, want %v", got.HeartbeatAt, stored(c.Now()))
		}
		r.HeartbeatAt = got.HeartbeatAt

		c.Add(time.Minute)
		r.Status, r.ErrorCode, r.Error = ferry.RunFailed, ferry.ERATELIMITED, "throttled by stripe"
		must(t, s.UpdateRun(ctx, &r))
		if !r.FinishedAt.Equal(stored(c.Now())) {
			t.Errorf("final UpdateRun FinishedAt %v, want now", r.FinishedAt)
		}
		got, err = s.GetRun(ctx, r.ID)
		must(t, err)
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("GetRun after final UpdateRun (-want +got):\n%s", diff)
		}

		// A final run never changes again.
		again := r
		again.Status = ferry.RunRunning
		wantCode(t, s.UpdateRun(ctx, &again), ferry.ECONFLICT, "failed")
		wantCode(t, s.Heartbeat(ctx, r.ID), ferry.ECONFLICT)
		wantCode(t, s.Heartbeat(ctx, "run_nope"), ferry.ENOTFOUND)
		wantCode(t, s.UpdateRun(ctx, &ferry.Run{ID: "run_nope", Status: ferry.RunRunning}), ferry.ENOTFOUND)
		_, err = s.GetRun(ctx, "run_nope")
		wantCode(t, err, ferry.ENOTFOUND)

		// The slot is free again.
		c.Add(time.Minute)
		r2 := ferry.Run{Config: "customers", Status: ferry.RunRunning, Mode: ferry.ModeIncremental}
		must(t, s.CreateRun(ctx, &r2))
		if r2.ID <= r.ID {
			t.Errorf("later run id %s does not sort after %s", r2.ID, r.ID)
		}
		wantCode(t, s.CreateRun(ctx, &ferry.Run{ID: r.ID, Config: "invoices", Status: ferry.RunSucceeded}), ferry.ECONFLICT, r.ID)
	})
}

func TestListRuns(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		seed(t, s, "a", "b")
		var all []ferry.Run // oldest first
		for i := range 10 {
			c.Add(time.Second)
			cfg := []string{"a", "b"}[i%2]
			r := ferry.Run{Config: cfg, Status: ferry.RunSucceeded, Mode: ferry.ModeFull}
			if i == 9 {
				r.Status = ferry.RunRunning
			}
			must(t, s.CreateRun(ctx, &r))
			all = append(all, r)
		}
		newest := func(rs []ferry.Run) []ferry.Run {
			out := make([]ferry.Run, 0, len(rs))
			for i := len(rs) - 1; i >= 0; i-- {
				out = append(out, rs[i])
			}
			return out
		}
		filter := func(f func(ferry.Run) bool) []ferry.Run {
			var out []ferry.Run
			for _, r := range all {
				if f(r) {
					out = append(out, r)
				}
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			filter store.RunFilter
			want   []ferry.Run
		}{
			{"all", store.RunFilter{}, newest(all)},
			{"limit", store.RunFilter{Limit: 3}, newest(all)[:3]},
			{"config", store.RunFilter{Config: "a"}, newest(filter(func(r ferry.Run) bool { return r.Config == "a" }))},
			{"status", store.RunFilter{Status: ferry.RunRunning}, []ferry.Run{all[9]}},
			{"before", store.RunFilter{Before: all[5].ID, Limit: 2}, []ferry.Run{all[4], all[3]}},
			{"config before", store.RunFilter{Config: "b", Before: all[5].ID}, []ferry.Run{all[3], all[1]}},
			{"none", store.RunFilter{Config: "zzz"}, nil},
		} {
			got, err := s.ListRuns(ctx, tc.filter)
			must(t, err)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
	})
}

// TestOneRunningRunConcurrent: many goroutines on two Stores (two
// "processes") create a run for one configuration at the same instant;
// exactly one succeeds, the others get ECONFLICT naming it.
func TestOneRunningRunConcurrent(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s1 := open(t, target, c)
		s2 := open(t, target, c)
		seed(t, s1, "customers")

		for round := range 3 {
			const n = 16
			errs := make([]error, n)
			runs := make([]ferry.Run, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				s := []*store.Store{s1, s2}[i%2]
				runs[i] = ferry.Run{Config: "customers", Status: ferry.RunRunning, Host: fmt.Sprintf("host-%d", i), PID: 1000 + i}
				wg.Go(func() {
					<-start
					errs[i] = s.CreateRun(ctx, &runs[i])
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner >= 0 {
						t.Fatalf("round %d: runs %d and %d both created", round, winner, i)
					}
					winner = i
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no run created: %v", round, errs)
			}
			for i, err := range errs {
				if i != winner {
					wantCode(t, err, ferry.ECONFLICT, runs[winner].ID, runs[winner].Host)
				}
			}
			w := runs[winner]
			w.Status = ferry.RunSucceeded
			must(t, s1.UpdateRun(ctx, &w))
		}
		list, err := s2.ListRuns(ctx, store.RunFilter{Config: "customers"})
		must(t, err)
		if len(list) != 3 {
			t.Errorf("%d runs stored, want 3", len(list))
		}
	})
}

func TestInterruptStale(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		host, _ := os.Hostname()
		seed(t, s, "dead", "alive", "stale", "fresh", "queued-stale", "done")

		mk := func(cfg, h string, pid int, status ferry.RunStatus) ferry.Run {
			r := ferry.Run{Config: cfg, Host: h, PID: pid, Status: status}
			must(t, s.CreateRun(ctx, &r))
			return r
		}
		dead := mk("dead", host, 111, ferry.RunRunning)          // this host, process gone
		alive := mk("alive", host, 222, ferry.RunRunning)        // this host, process alive
		stale := mk("stale", "elsewhere", 111, ferry.RunRunning) // other host, no heartbeat lately
		queued := mk("queued-stale", "", 0, ferry.RunQueued)     // never picked up
		done := mk("done", host, 111, ferry.RunSucceeded)        // final: untouched
		c.Add(10 * time.Minute)
		fresh := mk("fresh", "elsewhere", 111, ferry.RunRunning) // other host, recent heartbeat
		must(t, s.Heartbeat(ctx, alive.ID))                      // alive heartbeats too
		staleBefore := c.Now().Add(-5 * time.Minute)

		var asked []string
		isAlive := func(h string, pid int) bool {
			asked = append(asked, fmt.Sprintf("%s/%d", h, pid))
			return pid == 222
		}
		ids, err := s.InterruptStale(ctx, isAlive, staleBefore)
		must(t, err)
		want := []string{dead.ID, stale.ID, queued.ID}
		if diff := cmp.Diff(want, ids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("interrupted (-want +got):\n%s", diff)
		}
		for _, a := range asked {
			if !strings.HasPrefix(a, host+"/") {
				t.Errorf("alive asked about a process on another host: %s", a)
			}
		}
		for _, r := range []ferry.Run{dead, stale, queued} {
			got, err := s.GetRun(ctx, r.ID)
			must(t, err)
			if got.Status != ferry.RunInterrupted || !got.FinishedAt.Equal(stored(c.Now())) || got.Error == "" {
				t.Errorf("run of %s after InterruptStale: status %s finished %v error %q", r.Config, got.Status, got.FinishedAt, got.Error)
			}
			// The process that lost its run is told to stop.
			wantCode(t, s.Heartbeat(ctx, r.ID), ferry.ECONFLICT, "interrupted")
		}
		for _, r := range []ferry.Run{alive, fresh, done} {
			got, err := s.GetRun(ctx, r.ID)
			must(t, err)
			if got.Status != r.Status {
				t.Errorf("run of %s: status %s, want %s", r.Config, got.Status, r.Status)
			}
		}
		// The slot of an interrupted run is free.
		must(t, s.CreateRun(ctx, &ferry.Run{Config: "dead"}))

		ids, err = s.InterruptStale(ctx, isAlive, staleBefore)
		must(t, err)
		if len(ids) != 0 {
			t.Errorf("second InterruptStale interrupted %v", ids)
		}
	})
}

func TestBatchesAndRecordErrors(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		seed(t, s, "customers")
		r := ferry.Run{Config: "customers", Status: ferry.RunRunning}
		must(t, s.CreateRun(ctx, &r))

		var want []ferry.Batch
		for i := range 3 {
			c.Add(time.Second)
			b := ferry.Batch{RunID: r.ID, Seq: int64(i + 1), Records: 100,
				Counts:   ferry.Counts{Fetched: 100, Inserted: 90, Updated: 5, Unchanged: 3, Deleted: 1, Failed: 1},
				Duration: 1234567 * time.Microsecond, CursorFrom: fmt.Sprintf(`{"time":%d}`, i), CursorTo: fmt.Sprintf(`{"time":%d}`, i+1)}
			if i == 1 {
				b.CommittedAt = time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC)
			}
			must(t, s.AddBatch(ctx, b))
			b.CommittedAt = stored(cmpOr(b.CommittedAt, c.Now()))
			want = append(want, b)
		}
		got, err := s.ListBatches(ctx, r.ID)
		must(t, err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListBatches (-want +got):\n%s", diff)
		}
		wantCode(t, s.AddBatch(ctx, want[0]), ferry.ECONFLICT)
		wantCode(t, s.AddBatch(ctx, ferry.Batch{RunID: "run_nope", Seq: 1}), ferry.ENOTFOUND, "run_nope")
		if bs, err := s.ListBatches(ctx, "run_nope"); err != nil || len(bs) != 0 {
			t.Errorf("ListBatches(unknown) = %v, %v", bs, err)
		}

		var errs []ferry.RecordError
		for i := range 5 {
			errs = append(errs, ferry.RecordError{RunID: r.ID, RecordID: fmt.Sprintf("cus_%d", 5-i), Code: ferry.EINVALID, Message: "bad email"})
		}
		errs[2].At = time.Date(2026, 1, 1, 0, 0, 0, 999, time.UTC)
		must(t, s.AddRecordErrors(ctx, errs))
		must(t, s.AddRecordErrors(ctx, nil))
		for i := range errs {
			errs[i].At = stored(cmpOr(errs[i].At, c.Now()))
		}
		gotErrs, err := s.ListRecordErrors(ctx, r.ID, 0)
		must(t, err)
		if diff := cmp.Diff(errs, gotErrs); diff != "" {
			t.Errorf("ListRecordErrors (-want +got):\n%s", diff)
		}
		gotErrs, err = s.ListRecordErrors(ctx, r.ID, 2)
		must(t, err)
		if diff := cmp.Diff(errs[:2], gotErrs); diff != "" {
			t.Errorf("ListRecordErrors limit 2 (-want +got):\n%s", diff)
		}
		// All or none.
		err = s.AddRecordErrors(ctx, []ferry.RecordError{{RunID: r.ID, RecordID: "x"}, {RunID: "run_nope", RecordID: "y"}})
		wantCode(t, err, ferry.ENOTFOUND, "run_nope")
		gotErrs, err = s.ListRecordErrors(ctx, r.ID, 0)
		must(t, err)
		if len(gotErrs) != len(errs) {
			t.Errorf("a failed AddRecordErrors stored %d errors", len(gotErrs)-len(errs))
		}
	})
}

func cmpOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func TestIncrementalsSinceFull(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		seed(t, s, "customers", "other")
		count := func() int {
			t.Helper()
			n, err := s.IncrementalsSinceFull(ctx, "customers")
			must(t, err)
			return n
		}
		add := func(cfg string, mode ferry.Mode, status ferry.RunStatus) {
			t.Helper()
			c.Add(time.Second)
			must(t, s.CreateRun(ctx, &ferry.Run{Config: cfg, Mode: mode, Status: status}))
		}
		if n := count(); n != 0 {
			t.Fatalf("no runs: %d", n)
		}
		add("customers", ferry.ModeIncremental, ferry.RunSucceeded)
		add("customers", ferry.ModeIncremental, ferry.RunSucceeded)
		if n := count(); n != 2 {
			t.Fatalf("two incrementals, never full: %d, want 2", n)
		}
		add("customers", ferry.ModeFull, ferry.RunSucceeded)
		if n := count(); n != 0 {
			t.Fatalf("after full: %d, want 0", n)
		}
		add("customers", ferry.ModeIncremental, ferry.RunSucceeded)
		add("customers", ferry.ModeIncremental, ferry.RunFailed)
		add("customers", ferry.ModeFull, ferry.RunFailed)
		add("other", ferry.ModeIncremental, ferry.RunSucceeded)
		add("customers", ferry.ModeIncremental, ferry.RunSucceeded)
		add("customers", ferry.ModeIncremental, ferry.RunRunning)
		if n := count(); n != 2 {
			t.Fatalf("mixed history: %d, want 2", n)
		}
	})
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		// Many Stores open the same fresh database at once.
		const n = 8
		stores := make([]*store.Store, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = store.Open(ctx, target, testVault(t), c.Now)
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("concurrent Open %d: %v", i, errs[i])
			}
			t.Cleanup(func() { stores[i].Close() })
		}
		var applied int
		must(t, stores[0].DB().QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&applied))
		if applied == 0 {
			t.Fatal("no migrations recorded")
		}
		// Idempotent: opening again applies nothing.
		s := open(t, target, c)
		var again int
		must(t, s.DB().QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&again))
		if again != applied {
			t.Errorf("reopening changed schema_migrations from %d to %d rows", applied, again)
		}
		seed(t, s, "x")
		if _, err := stores[n-1].GetSyncConfig(ctx, "x"); err != nil {
			t.Errorf("another Store does not see the data: %v", err)
		}
		// A schema newer than this binary is refused.
		_, err := s.DB().Exec(s.Rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
			9999, "9999_future.sql", stored(c.Now()).Format("2006-01-02T15:04:05.000000Z"))
		must(t, err)
		_, err = store.Open(ctx, target, testVault(t), c.Now)
		wantCode(t, err, ferry.EINVALID, "upgrade ferry")
	})
}

func TestOpenTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, target := range []string{
		filepath.Join(dir, "plain.db"),
		"sqlite://" + filepath.Join(dir, "url.db"),
		"sqlite:" + filepath.Join(dir, "nested", "short.db"),
	} {
		s, err := store.Open(ctx, target, testVault(t), nil)
		if err != nil {
			t.Errorf("Open(%q): %v", target, err)
			continue
		}
		if s.Dialect() != "sqlite" {
			t.Errorf("Open(%q) dialect %s", target, s.Dialect())
		}
		s.Close()
	}
	for _, name := range []string{"plain.db", "url.db", "nested/short.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("database file %s not created: %v", name, err)
		}
	}
	for _, target := range []string{"", "sqlite:", ":memory:", "mysql://x", "ferry.db?mode=ro"} {
		if _, err := store.Open(ctx, target, testVault(t), nil); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("Open(%q) error = %v, want EINVALID", target, err)
		}
	}
	if _, err := store.Open(ctx, filepath.Join(dir, "x.db"), nil, nil); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Open without a sealer: %v, want EINVALID", err)
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "f.db"), newClock())
	if got := s.Rebind("a = ? AND b = ?"); got != "a = ? AND b = ?" {
		t.Errorf("sqlite Rebind = %q", got)
	}
	pg := open(t, pgtest.DB(t), newClock())
	if got := pg.Rebind("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Errorf("postgres Rebind = %q", got)
	}
}

func TestQueuedRunConflictMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "f.db"), newClock())
	seed(t, s, "c")
	q := ferry.Run{Config: "c"}
	must(t, s.CreateRun(ctx, &q))
	loser := ferry.Run{Config: "c"}
	wantCode(t, s.CreateRun(ctx, &loser), ferry.ECONFLICT, q.ID, "queued", "not picked up")
	if loser.ID != "" {
		t.Errorf("a run that was not created keeps id %s", loser.ID)
	}
}

func TestRunIDsSortable(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := open(t, filepath.Join(t.TempDir(), "f.db"), c)
	seed(t, s, "c")
	ctx := context.Background()
	prev := ""
	for i := range 50 {
		if i%10 == 0 {
			c.Add(time.Millisecond)
		}
		r := ferry.Run{Config: "c", Status: ferry.RunSucceeded}
		must(t, s.CreateRun(ctx, &r))
		if r.ID <= prev {
			t.Fatalf("run id %s does not sort after %s", r.ID, prev)
		}
		prev = r.ID
	}
}
