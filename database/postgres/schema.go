package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// pgType maps a field type to its column type, as information_schema's
// data_type spells it.
var pgType = map[ferry.FieldType]string{
	ferry.String:    "text",
	ferry.Integer:   "bigint",
	ferry.Number:    "double precision",
	ferry.Boolean:   "boolean",
	ferry.Timestamp: "timestamp with time zone",
	ferry.JSON:      "jsonb",
}

// reserved are the columns every table has, and Postgres's system columns.
var reserved = map[string]bool{
	"id": true, "_raw": true, "_ferry_synced_at": true, "_ferry_deleted_at": true, "_ferry_run_id": true,
	"tableoid": true, "xmin": true, "cmin": true, "xmax": true, "cmax": true, "ctid": true,
}

// maxIdent is the longest identifier Postgres keeps (NAMEDATALEN-1 bytes);
// longer ones are silently truncated, so they are refused instead.
const maxIdent = 63

// checkIdent returns an EINVALID error when name cannot be a Postgres
// identifier as is.
func checkIdent(what, name string) error {
	switch {
	case name == "":
		return ferry.Errorf(ferry.EINVALID, "%s name is empty", what)
	case len(name) > maxIdent:
		return ferry.Errorf(ferry.EINVALID, "%s name %q is longer than %d bytes", what, name, maxIdent)
	case !utf8.ValidString(name):
		return ferry.Errorf(ferry.EINVALID, "%s name %q is not valid UTF-8", what, name)
	case strings.ContainsRune(name, 0):
		return ferry.Errorf(ferry.EINVALID, "%s name %q contains a NUL character", what, name)
	}
	return nil
}

// checkTable validates a table description before any SQL is built from it.
func checkTable(t database.Table) error {
	if err := checkIdent("table", t.Name); err != nil {
		return err
	}
	seen := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		if err := checkIdent("column", c.Name); err != nil {
			return err
		}
		if reserved[c.Name] {
			return ferry.Errorf(ferry.EINVALID, "column %q of table %q: the name is reserved", c.Name, t.Name)
		}
		if seen[c.Name] {
			return ferry.Errorf(ferry.EINVALID, "column %q of table %q appears twice", c.Name, t.Name)
		}
		seen[c.Name] = true
		if _, ok := pgType[c.Type]; !ok {
			return ferry.Errorf(ferry.EINVALID, "column %q of table %q: unknown type %q", c.Name, t.Name, c.Type)
		}
	}
	return nil
}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// qualified returns the quoted, schema-qualified name of table name.
func (db *DB) qualified(name string) string { return ident(db.schema, name) }

// Prepare creates t, or evolves it additively: missing columns are added and
// filled from _raw in SQL, without a re-fetch. A column whose type changed
// is an EINVALID error naming table.column, the stored and the new type.
// All of it happens in one transaction, under an advisory lock per table.
func (db *DB) Prepare(ctx context.Context, t database.Table) error {
	if err := checkTable(t); err != nil {
		return err
	}
	if err := db.ensureFerry(ctx); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", int32(lockSpace), db.qualified(t.Name)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = $1 AND table_name = $2`, db.schema, t.Name)
		if err != nil {
			return err
		}
		have := map[string]string{}
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				return err
			}
			have[name] = typ
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(have) == 0 {
			_, err := tx.Exec(ctx, createTableSQL(db.qualified(t.Name), t.Columns))
			return err
		}
		if have["id"] == "" || have["_raw"] == "" {
			return ferry.Errorf(ferry.EINVALID, "table %q exists and is not a Ferry table (it has no id or _raw column)", t.Name)
		}
		var added []database.Column
		for _, c := range t.Columns {
			typ, ok := have[c.Name]
			if !ok {
				added = append(added, c)
				continue
			}
			if typ != pgType[c.Type] {
				return ferry.Errorf(ferry.EINVALID, "column %s.%s is %s in the database but the configuration makes it %s (%s); column types are never changed in place: rename the column or drop the table",
					t.Name, c.Name, typ, pgType[c.Type], c.Type)
			}
		}
		if len(added) == 0 {
			return nil
		}
		alter, fill, args := addColumnsSQL(db.qualified(t.Name), added)
		if _, err := tx.Exec(ctx, alter); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, fill, args...)
		return err
	})
	return classify(err, "prepare table %q", t.Name)
}

func createTableSQL(table string, cols []database.Column) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n\tid text COLLATE \"C\" PRIMARY KEY,\n\t_raw jsonb NOT NULL,\n\t_ferry_synced_at timestamptz NOT NULL,\n\t_ferry_deleted_at timestamptz,\n\t_ferry_run_id text", table)
	for _, c := range cols {
		fmt.Fprintf(&b, ",\n\t%s %s", ident(c.Name), pgType[c.Type])
	}
	b.WriteString("\n)")
	return b.String()
}

// addColumnsSQL returns the ALTER TABLE adding cols and the UPDATE filling
// them from _raw, with the JSON paths as parameters.
func addColumnsSQL(table string, cols []database.Column) (alter, fill string, args []any) {
	var a, f, where strings.Builder
	fmt.Fprintf(&a, "ALTER TABLE %s", table)
	fmt.Fprintf(&f, "UPDATE %s SET ", table)
	for i, c := range cols {
		if i > 0 {
			a.WriteString(",")
			f.WriteString(", ")
			where.WriteString(" OR ")
		}
		fmt.Fprintf(&a, " ADD COLUMN %s %s", ident(c.Name), pgType[c.Type])
		args = append(args, jsonPath(c))
		path := fmt.Sprintf("$%d::text[]", i+1)
		fmt.Fprintf(&f, "%s = %s", ident(c.Name), fromRaw(c.Type, path))
		// Rows without any of the new fields are left alone, not rewritten.
		fmt.Fprintf(&where, "_raw #> %s IS NOT NULL", path)
	}
	return a.String(), f.String() + " WHERE " + where.String(), args
}

// jsonPath splits a column's dotted Path (or its name) into a jsonb path.
func jsonPath(c database.Column) []string {
	if c.Path == "" {
		return []string{c.Name}
	}
	return strings.Split(c.Path, ".")
}

// fromRaw is the SQL expression deriving a column of type typ from the
// value at path (a text[] parameter) in _raw. A value of another JSON type
// than the column expects gives NULL, never an error; timestamps are unix
// seconds.
func fromRaw(typ ferry.FieldType, path string) string {
	v := "_raw #> " + path
	kind := "jsonb_typeof(" + v + ")"
	switch typ {
	case ferry.String:
		return "_raw #>> " + path
	case ferry.Integer:
		return "CASE WHEN " + kind + " = 'number' THEN trunc((" + v + ")::numeric)::bigint END"
	case ferry.Number:
		return "CASE WHEN " + kind + " = 'number' THEN (" + v + ")::double precision END"
	case ferry.Boolean:
		return "CASE WHEN " + kind + " = 'boolean' THEN (" + v + ")::boolean END"
	case ferry.Timestamp:
		return "CASE WHEN " + kind + " = 'number' THEN to_timestamp((" + v + ")::double precision) END"
	case ferry.JSON:
		return "NULLIF(" + v + ", 'null'::jsonb)"
	}
	panic("postgres: unknown field type " + string(typ))
}
