package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// quote returns name as a quoted SQLite identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Declared column types, one per Ferry type; see the package documentation.
var declType = map[ferry.FieldType]string{
	ferry.String:    "TEXT",
	ferry.Integer:   "INTEGER",
	ferry.Number:    "REAL",
	ferry.Boolean:   "BOOLEAN INTEGER",
	ferry.Timestamp: "TIMESTAMP TEXT",
	ferry.JSON:      "JSON TEXT",
}

// ferryType maps a declared type back to a Ferry type, for messages.
func ferryType(decl string) string {
	for ft, d := range declType {
		if strings.EqualFold(d, decl) {
			return string(ft)
		}
	}
	if decl == "" {
		return "untyped"
	}
	return decl
}

// systemColumns are the columns of every destination table besides the
// typed ones, with their declared types.
var systemColumns = []struct{ name, decl string }{
	{"id", "TEXT"},
	{"_raw", "TEXT"},
	{"_ferry_synced_at", "TIMESTAMP TEXT"},
	{"_ferry_deleted_at", "TIMESTAMP TEXT"},
	{"_ferry_run_id", "TEXT"},
}

// foldASCII lower-cases ASCII letters only, the way SQLite compares
// identifiers.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// checkTable validates the names and types of t before any SQL is built.
func checkTable(t database.Table) error {
	if err := checkIdent("table", t.Name); err != nil {
		return err
	}
	folded := foldASCII(t.Name)
	if strings.HasPrefix(folded, "sqlite_") {
		return ferry.Errorf(ferry.EINVALID, "table name %q: names starting with sqlite_ are reserved by SQLite", t.Name)
	}
	if folded == "ferry_checkpoints" || folded == "ferry_sweep_seen" {
		return ferry.Errorf(ferry.EINVALID, "table name %q is used by Ferry itself", t.Name)
	}
	seen := make(map[string]bool, len(t.Columns)+len(systemColumns))
	for _, c := range systemColumns {
		seen[c.name] = true
	}
	for _, c := range t.Columns {
		if err := checkIdent("column "+t.Name+".", c.Name); err != nil {
			return err
		}
		if _, ok := declType[c.Type]; !ok {
			return ferry.Errorf(ferry.EINVALID, "column %s.%s: unknown type %q", t.Name, c.Name, c.Type)
		}
		f := foldASCII(c.Name)
		if seen[f] {
			return ferry.Errorf(ferry.EINVALID, "column %s.%s: duplicate or reserved column name", t.Name, c.Name)
		}
		seen[f] = true
	}
	return nil
}

func checkIdent(what, name string) error {
	if name == "" {
		return ferry.Errorf(ferry.EINVALID, "%s name is empty", what)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return ferry.Errorf(ferry.EINVALID, "%s name %q contains a NUL byte", what, name)
	}
	return nil
}

// jsonPath turns a Column's dotted Path (or its Name when Path is empty)
// into a SQLite JSON path with every key quoted: a.b -> $."a"."b".
func jsonPath(c database.Column) string {
	p := c.Path
	if p == "" {
		p = c.Name
	}
	var b strings.Builder
	b.WriteString("$")
	for _, k := range strings.Split(p, ".") {
		b.WriteString(`."`)
		b.WriteString(k)
		b.WriteString(`"`)
	}
	return b.String()
}

// fillExpr is the SQL expression computing a column of type ft from _raw at
// the JSON path bound to ?1, converting like the write path does. Values
// that do not fit the type become NULL.
func fillExpr(ft ferry.FieldType) string {
	const jt = `json_type("_raw", ?1)`
	const v = `json_extract("_raw", ?1)`
	switch ft {
	case ferry.String:
		return `CASE ` + jt + ` WHEN 'text' THEN ` + v + ` WHEN 'integer' THEN CAST(` + v + ` AS TEXT) WHEN 'real' THEN CAST(` + v + ` AS TEXT)` +
			` WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'object' THEN "_raw" -> ?1 WHEN 'array' THEN "_raw" -> ?1 END`
	case ferry.Integer:
		return `CASE ` + jt + ` WHEN 'integer' THEN ` + v + ` WHEN 'real' THEN CASE WHEN ` + v + ` = CAST(` + v + ` AS INTEGER) THEN CAST(` + v + ` AS INTEGER) END END`
	case ferry.Number:
		return `CASE ` + jt + ` WHEN 'integer' THEN CAST(` + v + ` AS REAL) WHEN 'real' THEN ` + v + ` END`
	case ferry.Boolean:
		return `CASE ` + jt + ` WHEN 'true' THEN 1 WHEN 'false' THEN 0 END`
	case ferry.Timestamp:
		// Unix seconds (the provider form), or ISO 8601 text; both end up as
		// the fixed-width UTC text of formatTime.
		return `CASE ` + jt + ` WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', ` + v + `, 'unixepoch') || '000000Z'` +
			` WHEN 'real' THEN strftime('%Y-%m-%dT%H:%M:%f', ` + v + `, 'unixepoch') || '000000Z'` +
			` WHEN 'text' THEN strftime('%Y-%m-%dT%H:%M:%f', ` + v + `) || '000000Z' END`
	case ferry.JSON:
		return `CASE WHEN ` + jt + ` IS NOT NULL AND ` + jt + ` <> 'null' THEN "_raw" -> ?1 END`
	}
	return `NULL`
}

// Prepare creates t, or evolves it additively: missing columns are added and
// filled from _raw. A column whose type changed is an EINVALID error naming
// table.column with the old and the new type. All in one transaction.
func (db *DB) Prepare(ctx context.Context, t database.Table) (err error) {
	if err := checkTable(t); err != nil {
		return err
	}
	op := "prepare sqlite table " + t.Name
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(ctx, err, op)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	var ddl strings.Builder
	ddl.WriteString("CREATE TABLE IF NOT EXISTS " + quote(t.Name) + " (\n\t\"id\" TEXT PRIMARY KEY NOT NULL")
	for _, c := range t.Columns {
		ddl.WriteString(",\n\t" + quote(c.Name) + " " + declType[c.Type])
	}
	for _, c := range systemColumns[1:] {
		ddl.WriteString(",\n\t" + quote(c.name) + " " + c.decl)
	}
	ddl.WriteString("\n)")
	if _, err := tx.ExecContext(ctx, ddl.String()); err != nil {
		return db.classify(ctx, err, op)
	}

	existing, err := tableColumns(ctx, tx, t.Name)
	if err != nil {
		return db.classify(ctx, err, op)
	}
	for _, c := range systemColumns {
		if _, ok := existing[c.name]; !ok {
			return ferry.Errorf(ferry.EINVALID, "table %s exists but is not a Ferry table: column %s is missing", t.Name, c.name)
		}
	}
	for _, c := range t.Columns {
		want := declType[c.Type]
		have, ok := existing[foldASCII(c.Name)]
		if ok {
			if !strings.EqualFold(have, want) {
				return ferry.Errorf(ferry.EINVALID, "column %s.%s changed type from %s (%s) to %s (%s); Ferry only adds columns: drop or rename the column, or the table",
					t.Name, c.Name, ferryType(have), have, c.Type, want)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+quote(t.Name)+" ADD COLUMN "+quote(c.Name)+" "+want); err != nil {
			return db.classify(ctx, err, op)
		}
		// Derive the new column locally from _raw: no re-fetch.
		fill := "UPDATE " + quote(t.Name) + " SET " + quote(c.Name) + " = " + fillExpr(c.Type) + ` WHERE "_raw" IS NOT NULL AND json_valid("_raw")`
		if _, err := tx.ExecContext(ctx, fill, jsonPath(c)); err != nil {
			return db.classify(ctx, err, op+": fill "+c.Name+" from _raw")
		}
	}
	if err := tx.Commit(); err != nil {
		return db.classify(ctx, err, op)
	}
	return nil
}

// tableColumns returns the declared type of each column of table, keyed by
// its ASCII-folded name.
func tableColumns(ctx context.Context, tx *sql.Tx, table string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := make(map[string]string)
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		cols[foldASCII(name)] = typ
	}
	return cols, rows.Err()
}
