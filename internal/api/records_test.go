package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/api"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

type recordPage struct {
	Records    []api.Record `json:"records"`
	NextCursor string       `json:"next_cursor"`
}

// walk pages through a sync's records with the API and returns them in
// the order returned; each returns is called after every page.
func (e *env) walk(query string, each func(page int)) []api.Record {
	e.t.Helper()
	var all []api.Record
	cursor := ""
	for page := 0; ; page++ {
		var p recordPage
		e.must(read, "GET", "/api/v1/syncs/customers/records?"+query+"&cursor="+url.QueryEscape(cursor), nil, 200, &p)
		all = append(all, p.Records...)
		if each != nil {
			each(page)
		}
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
}

// TestRecordsWhileSyncing pages through 100,000 records with the records
// API while a full run rewrites, soft-deletes and adds records, and checks
// that no record comes twice and none that existed before the walk is
// missed; then that modified_after selects exactly what the run wrote.
func TestRecordsWhileSyncing(t *testing.T) {
	t.Parallel()
	const n = 100_000 / raceScale
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 42, Counts: map[string]int{"customers": n}, PerSecond: 50}})
	e.declare(pgtest.DB(t), "full")

	// Before the first run there is nothing to read, and that is not an error.
	var empty recordPage
	e.must(read, "GET", "/api/v1/syncs/customers/records", nil, 200, &empty)
	if len(empty.Records) != 0 || empty.NextCursor != "" {
		t.Fatalf("records before any run: %+v", empty)
	}

	var rb runBody
	start := time.Now()
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	first := e.wait(rb.Run.ID)
	if first.Status != "succeeded" || first.Counts.Inserted != n {
		t.Fatalf("first run: %+v", first)
	}
	t.Logf("first run: %d records in %s", n, time.Since(start).Round(time.Millisecond))

	before := map[string]bool{}
	quiet := time.Now()
	for _, r := range e.walk(fmt.Sprintf("limit=%d", 1000/raceScale), nil) {
		before[r.ID] = true
	}
	t.Logf("walked %d records with no sync running in %s", len(before), time.Since(quiet).Round(time.Millisecond))
	if len(before) != n {
		t.Fatalf("%d distinct records after the first run, want %d", len(before), n)
	}

	// The provider changes; a full run rewrites what changed while we read.
	churned := e.srv.Churn(20_000 / raceScale)
	time.Sleep(1100 * time.Millisecond) // _ferry_synced_at of the next run is after mark
	mark := time.Now().UTC()
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	for {
		var cur runBody
		e.must(read, "GET", "/api/v1/runs/"+rb.Run.ID, nil, 200, &cur)
		if cur.Run.Batches > 0 || cur.Run.Status != "queued" && cur.Run.Status != "running" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	batchesAt := func() (int64, string) {
		var cur runBody
		e.must(read, "GET", "/api/v1/runs/"+rb.Run.ID, nil, 200, &cur)
		return cur.Run.Batches, cur.Run.Status
	}
	b0, s0 := batchesAt()
	walkStart := time.Now()
	got := e.walk(fmt.Sprintf("limit=%d", 1000/raceScale), nil)
	b1, s1 := batchesAt()
	t.Logf("walked %d records in %s; the run committed batches %d..%d (%s -> %s) meanwhile; %d churn writes",
		len(got), time.Since(walkStart).Round(time.Millisecond), b0, b1, s0, s1, churned)
	if s0 != "running" || b1 == b0 {
		t.Errorf("the run did not write during the walk (batches %d -> %d, status %s -> %s)", b0, b1, s0, s1)
	}
	seen := map[string]bool{}
	last := ""
	for _, r := range got {
		if seen[r.ID] {
			t.Fatalf("record %s returned twice", r.ID)
		}
		if r.ID <= last {
			t.Fatalf("records out of order: %s after %s", r.ID, last)
		}
		if _, ok := r.Fields["email_address"]; r.Deleted != (r.DeletedAt != nil) || len(r.Raw) < 10 || !ok {
			t.Fatalf("record %s: %+v", r.ID, r)
		}
		seen[r.ID], last = true, r.ID
	}
	missed := 0
	for id := range before {
		if !seen[id] {
			missed++
		}
	}
	if missed > 0 {
		t.Fatalf("%d records that existed before the walk were missed", missed)
	}

	second := e.wait(rb.Run.ID)
	if second.Status != "succeeded" {
		t.Fatalf("second run: %+v", second)
	}
	wrote := second.Counts.Inserted + second.Counts.Updated + second.Counts.Deleted
	if wrote == 0 {
		t.Fatalf("the second run wrote nothing: %+v", second.Counts)
	}
	// modified_after: exactly the records the second run wrote.
	changed := e.walk("limit=5000&modified_after="+url.QueryEscape(mark.Format(time.RFC3339Nano)), nil)
	deleted := 0
	for _, r := range changed {
		if r.RunID != second.ID {
			t.Fatalf("record %s modified after the mark by run %s, not %s", r.ID, r.RunID, second.ID)
		}
		if r.Deleted {
			deleted++
		}
	}
	if int64(len(changed)) != wrote || int64(deleted) != second.Counts.Deleted {
		t.Errorf("modified_after returned %d records (%d deleted); the run wrote %d (%d deleted)", len(changed), deleted, wrote, second.Counts.Deleted)
	}
	// A cursor is bound to its filter.
	var p recordPage
	e.must(read, "GET", "/api/v1/syncs/customers/records?limit=2", nil, 200, &p)
	e.wantError(read, "GET", "/api/v1/syncs/customers/records?limit=2&modified_after=2020-01-01T00:00:00Z&cursor="+p.NextCursor, nil, 400, "invalid", "modified_after")
	e.wantError(read, "GET", "/api/v1/syncs/customers/records?modified_after=yesterday", nil, 422, "invalid", "modified_after", "RFC 3339")
	e.wantError(read, "GET", "/api/v1/syncs/customers/records?cursor="+strings.Repeat("x", 12), nil, 400, "invalid", "cursor")
}
