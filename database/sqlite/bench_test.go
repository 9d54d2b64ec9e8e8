package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

var benchTable = database.Table{Name: "customers", Columns: []database.Column{
	{Name: "email", Type: ferry.String},
	{Name: "name", Type: ferry.String},
	{Name: "balance", Type: ferry.Integer},
	{Name: "livemode", Type: ferry.Boolean},
	{Name: "created", Type: ferry.Timestamp},
	{Name: "metadata", Type: ferry.JSON},
	{Name: "city", Type: ferry.String, Path: "address.city"},
}}

// benchRow is a customer-like row with about 1 KB of _raw.
func benchRow(id string, n, version int) database.Row {
	created := time.Unix(1700000000+int64(n), 0).UTC()
	pad := strings.Repeat("x", 700)
	raw := fmt.Sprintf(`{"id":%q,"object":"customer","email":"customer%d@example.com","name":"Customer %d","balance":%d,`+
		`"livemode":false,"created":%d,"metadata":{"order":"%d","version":"%d"},"address":{"city":"Oslo","line1":"Street %d","country":"NO"},`+
		`"description":%q}`, id, n, n, n*100, created.Unix(), n, version, n, pad)
	return database.Row{
		ID:     id,
		Values: []any{fmt.Sprintf("customer%d@example.com", n), fmt.Sprintf("Customer %d", n), int64(n * 100), false, created, fmt.Sprintf(`{"order":"%d","version":"%d"}`, n, version), "Oslo"},
		Raw:    []byte(raw),
	}
}

// BenchmarkWrite writes 1,000-row batches: new rows (insert), the same rows
// again (unchanged: replay) and changed rows (update).
func BenchmarkWrite(b *testing.B) {
	const batch = 1000
	ctx := context.Background()
	for _, mode := range []string{"insert", "unchanged", "update"} {
		b.Run(mode, func(b *testing.B) {
			db := openTest(b)
			if err := db.Prepare(ctx, benchTable); err != nil {
				b.Fatal(err)
			}
			rows := make([]database.Row, batch)
			fill := func(i, version int) {
				for j := range rows {
					id := fmt.Sprintf("cus_%010d", i*batch+j)
					if mode != "insert" {
						id = fmt.Sprintf("cus_%010d", j)
					}
					rows[j] = benchRow(id, j, version)
				}
			}
			if mode != "insert" {
				fill(0, 0)
				if _, err := db.Write(ctx, benchTable, database.Batch{RunID: "seed", Rows: rows}); err != nil {
					b.Fatal(err)
				}
			}
			var total time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				switch mode {
				case "insert":
					fill(i, 0)
				case "update":
					fill(0, i+1)
				}
				b.StartTimer()
				start := time.Now()
				res, err := db.Write(ctx, benchTable, database.Batch{RunID: "r", At: time.Now(), Rows: rows,
					Sweep: "s", Checkpoint: &database.Checkpoint{Key: "bench", Backfill: []byte(`{"lo":1}`)}})
				total += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if n := res.Inserted + res.Updated + res.Unchanged; n != batch {
					b.Fatalf("result %+v", res)
				}
			}
			b.ReportMetric(float64(b.N*batch)/total.Seconds(), "rows/s")
		})
	}
}
