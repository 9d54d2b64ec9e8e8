package app

import (
	"context"
	"sync"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/transform"
	"github.com/ferrysync/ferry/provider"
)

// RecordReader reads what sync configurations wrote into their
// destinations, for the records API. It keeps one open destination per
// project database and is safe for concurrent use; Close closes them.
type RecordReader struct {
	app   *App
	mu    sync.Mutex
	dests map[string]database.Destination // by DSN
}

// NewRecordReader returns a RecordReader over a's configurations.
func NewRecordReader(a *App) *RecordReader {
	return &RecordReader{app: a, dests: map[string]database.Destination{}}
}

// Records returns up to q.Limit records of the named sync configuration's
// table, in id order after q.After, soft-deleted ones included, and the
// table they come from (its columns name the values). A configuration that
// never ran has no records yet.
func (r *RecordReader) Records(ctx context.Context, name string, q database.RecordQuery) ([]database.StoredRow, database.Table, error) {
	sc, err := r.app.store.GetSyncConfig(ctx, name)
	if err != nil {
		return nil, database.Table{}, err
	}
	conn, err := r.app.store.GetConnection(ctx, sc.Connection)
	if err != nil {
		return nil, database.Table{}, err
	}
	prov, err := r.app.providers.Lookup(conn.Provider)
	if err != nil {
		return nil, database.Table{}, err
	}
	obj, err := provider.Object(prov, sc.Object)
	if err != nil {
		return nil, database.Table{}, err
	}
	plan, err := transform.New(obj, sc)
	if err != nil {
		return nil, database.Table{}, err
	}
	if q.Limit <= 0 {
		return nil, plan.Table, ferry.Errorf(ferry.EINVALID, "limit must be positive")
	}
	// The table exists once a run has started; before that there is nothing
	// to read (and nothing to create: reading never changes a destination).
	runs, err := r.app.store.ListRuns(ctx, store.RunFilter{Config: name, Limit: 1})
	if err != nil {
		return nil, plan.Table, err
	}
	if len(runs) == 0 {
		return nil, plan.Table, nil
	}
	proj, err := r.app.store.GetProject(ctx, sc.Project)
	if err != nil {
		return nil, plan.Table, err
	}
	dest, err := r.dest(ctx, proj)
	if err != nil {
		return nil, plan.Table, err
	}
	rows, err := readRecords(ctx, dest, plan.Table, q)
	return rows, plan.Table, err
}

// readRecords uses the destination's RecordReader when it has one, else
// filters Rows here.
func readRecords(ctx context.Context, d database.Destination, t database.Table, q database.RecordQuery) ([]database.StoredRow, error) {
	if rr, ok := d.(database.RecordReader); ok {
		return rr.Records(ctx, t, q)
	}
	var out []database.StoredRow
	after := q.After
	for len(out) < q.Limit {
		page, err := d.Rows(ctx, t, after, q.Limit)
		if err != nil {
			return nil, err
		}
		for _, row := range page {
			if q.ModifiedAfter.IsZero() || row.SyncedAt.After(q.ModifiedAfter) ||
				(row.DeletedAt != nil && row.DeletedAt.After(q.ModifiedAfter)) {
				out = append(out, row)
				if len(out) == q.Limit {
					break
				}
			}
		}
		if len(page) < q.Limit {
			break
		}
		after = page[len(page)-1].ID
	}
	return out, nil
}

func (r *RecordReader) dest(ctx context.Context, p ferry.Project) (database.Destination, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	dsn := p.DSN.Reveal()
	if d, ok := r.dests[dsn]; ok {
		return d, nil
	}
	d, err := OpenDestination(ctx, dsn)
	if err != nil {
		return nil, err // names the address tried, never the password
	}
	r.dests[dsn] = d
	return d, nil
}

// Close closes the destinations opened so far.
func (r *RecordReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first error
	for dsn, d := range r.dests {
		if err := d.Close(); err != nil && first == nil {
			first = err
		}
		delete(r.dests, dsn)
	}
	return first
}
