package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

const benchBatch = 1000

// customerTable has 8 typed columns, like a Stripe customer sync.
var customerTable = database.Table{Name: "customers", Columns: []database.Column{
	{Name: "email", Type: ferry.String, Path: "email"},
	{Name: "name", Type: ferry.String, Path: "name"},
	{Name: "currency", Type: ferry.String, Path: "currency"},
	{Name: "balance", Type: ferry.Integer, Path: "balance"},
	{Name: "created", Type: ferry.Timestamp, Path: "created"},
	{Name: "delinquent", Type: ferry.Boolean, Path: "delinquent"},
	{Name: "score", Type: ferry.Number, Path: "score"},
	{Name: "metadata", Type: ferry.JSON, Path: "metadata"},
}}

// customerRows returns n realistic customer rows (about 1 KB of _raw each)
// with ids prefix_000000...
func customerRows(prefix string, n int) []database.Row {
	rows := make([]database.Row, n)
	for i := range rows {
		id := fmt.Sprintf("cus_%s_%06d", prefix, i)
		created := int64(1600000000 + i*37)
		meta := fmt.Sprintf(`{"plan":"pro","seats":"%d","source":"import"}`, i%50)
		obj := map[string]any{
			"id": id, "object": "customer", "email": fmt.Sprintf("user%d@example.com", i), "name": fmt.Sprintf("Customer Number %d", i),
			"currency": "usd", "balance": int64(i * 100), "created": created, "delinquent": i%7 == 0, "score": float64(i) / 3,
			"metadata":          json.RawMessage(meta),
			"description":       strings.Repeat("A long-standing customer with a lengthy description. ", 6),
			"address":           map[string]any{"city": "Zürich", "country": "CH", "line1": "Bahnhofstrasse 1", "line2": nil, "postal_code": "8001", "state": nil},
			"invoice_settings":  map[string]any{"custom_fields": nil, "default_payment_method": "pm_1234567890abcdef", "footer": nil},
			"preferred_locales": []string{"de-CH", "en"}, "tax_exempt": "none", "livemode": false, "discount": nil,
			"invoice_prefix": fmt.Sprintf("ABC%05d", i), "next_invoice_sequence": i % 20, "phone": "+41 44 000 00 00",
			"shipping": map[string]any{"name": "Shipping Name", "phone": nil, "address": map[string]any{"city": "Basel", "country": "CH"}},
		}
		raw, _ := json.Marshal(obj)
		rows[i] = database.Row{ID: id, Raw: raw, Values: []any{
			obj["email"], obj["name"], "usd", int64(i * 100), time.Unix(created, 0).UTC(), i%7 == 0, float64(i) / 3, meta,
		}}
	}
	return rows
}

// withIDs returns rows with ids made unique for batch n.
func withIDs(rows []database.Row, n int) []database.Row {
	out := make([]database.Row, len(rows))
	for i, r := range rows {
		r.ID = fmt.Sprintf("cus_%08d_%04d", n, i)
		out[i] = r
	}
	return out
}

func reportRows(b *testing.B) {
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWrite writes batches of 1,000 new customers (a backfill).
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	db := open(b)
	if err := db.Prepare(ctx, customerTable); err != nil {
		b.Fatal(err)
	}
	tmpl := customerRows("w", benchBatch)
	at := time.Now()
	b.Logf("raw size %d bytes", len(tmpl[0].Raw))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows := withIDs(tmpl, i)
		b.StartTimer()
		res, err := db.Write(ctx, customerTable, database.Batch{RunID: "bench", At: at, Rows: rows, Sweep: "",
			Checkpoint: &database.Checkpoint{Key: "bench", Backfill: []byte(fmt.Sprintf(`{"lo":%d}`, i))}})
		if err != nil {
			b.Fatal(err)
		}
		if res.Inserted != benchBatch {
			b.Fatalf("inserted %d", res.Inserted)
		}
	}
	reportRows(b)
}

// BenchmarkWriteSweep is BenchmarkWrite with a full sweep recording seen ids.
func BenchmarkWriteSweep(b *testing.B) {
	ctx := context.Background()
	db := open(b)
	if err := db.Prepare(ctx, customerTable); err != nil {
		b.Fatal(err)
	}
	tmpl := customerRows("w", benchBatch)
	at := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows := withIDs(tmpl, i)
		b.StartTimer()
		if _, err := db.Write(ctx, customerTable, database.Batch{RunID: "bench", At: at, Rows: rows, Sweep: "s1"}); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}

// BenchmarkWriteUnchanged rewrites the same 1,000 rows: a re-sync where
// nothing changed.
func BenchmarkWriteUnchanged(b *testing.B) {
	ctx := context.Background()
	db := open(b)
	if err := db.Prepare(ctx, customerTable); err != nil {
		b.Fatal(err)
	}
	rows := customerRows("u", benchBatch)
	at := time.Now()
	if _, err := db.Write(ctx, customerTable, database.Batch{RunID: "bench", At: at, Rows: rows}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := db.Write(ctx, customerTable, database.Batch{RunID: "bench", At: at, Rows: rows})
		if err != nil {
			b.Fatal(err)
		}
		if res.Unchanged != benchBatch {
			b.Fatalf("unchanged %d", res.Unchanged)
		}
	}
	reportRows(b)
}

// BenchmarkRawCopy is the ceiling: the same rows COPYed (pgx CopyFrom)
// straight into an empty table of the same shape, with no upsert, no change
// detection, no checkpoint.
func BenchmarkRawCopy(b *testing.B) {
	ctx := context.Background()
	db := open(b)
	if err := db.Prepare(ctx, customerTable); err != nil {
		b.Fatal(err)
	}
	tmpl := customerRows("c", benchBatch)
	cols := []string{"id", "_raw", "_ferry_synced_at", "_ferry_deleted_at", "_ferry_run_id"}
	for _, c := range customerTable.Columns {
		cols = append(cols, c.Name)
	}
	at := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows := withIDs(tmpl, i)
		src := make([][]any, len(rows))
		for j, r := range rows {
			src[j] = append([]any{r.ID, string(r.Raw), at, nil, "bench"}, r.Values...)
		}
		b.StartTimer()
		n, err := db.Pool().CopyFrom(ctx, pgx.Identifier{customerTable.Name}, cols, pgx.CopyFromRows(src))
		if err != nil {
			b.Fatal(err)
		}
		if n != benchBatch {
			b.Fatalf("copied %d", n)
		}
	}
	reportRows(b)
}
