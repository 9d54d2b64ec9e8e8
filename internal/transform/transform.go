// Package transform turns provider records into destination rows: field
// selection, renames and type coercion. It is pure: no I/O, no clock.
//
// A record whose field cannot be coerced still becomes a row: the column is
// left NULL and the record's _raw is kept whole, so nothing fetched is lost
// and the column can be derived again locally once the mapping is fixed. The
// failure is reported per record (FieldError) for the run's error log.
package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/provider/jsonscan"
)

// Plan maps one provider object to one destination table.
type Plan struct {
	Table database.Table
	paths [][]string
	top   map[string]int // first path segment -> index into the values found in one pass
}

var columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New plans the table for sync configuration cfg of object obj. Unknown
// fields, renames of unselected fields and clashing column names are EINVALID
// errors that list what is valid.
func New(obj ferry.Object, cfg ferry.SyncConfig) (*Plan, error) {
	fields := cfg.Fields
	if len(fields) == 0 {
		fields = obj.FieldNames()
	}
	p := &Plan{Table: database.Table{Name: cfg.Table}, top: map[string]int{}}
	if p.Table.Name == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "sync %s: table is empty; name the destination table", cfg.Name)
	}
	selected := map[string]bool{}
	used := map[string]string{}
	for _, name := range fields {
		if selected[name] {
			return nil, ferry.Errorf(ferry.EINVALID, "sync %s: field %q is listed twice", cfg.Name, name)
		}
		selected[name] = true
		if name == "id" {
			continue // the primary key, always present
		}
		path := strings.Split(name, ".")
		top, ok := obj.Field(path[0])
		if !ok {
			return nil, ferry.Errorf(ferry.EINVALID, "sync %s: %s has no field %q (valid: %s)", cfg.Name, obj.Name, name, strings.Join(obj.FieldNames(), ", "))
		}
		typ := top.Type
		if len(path) > 1 {
			if top.Type != ferry.JSON {
				return nil, ferry.Errorf(ferry.EINVALID, "sync %s: field %q: %s is a %s, not an object, so it has no %q", cfg.Name, name, path[0], top.Type, strings.Join(path[1:], "."))
			}
			typ = ferry.String // a nested value lands as text; its JSON when it is an object
		}
		col := strings.ReplaceAll(name, ".", "_")
		if r, ok := cfg.Rename[name]; ok {
			col = r
		}
		if !columnName.MatchString(col) {
			return nil, ferry.Errorf(ferry.EINVALID, "sync %s: column name %q for field %q: use letters, digits and underscores, not starting with a digit", cfg.Name, col, name)
		}
		lower := strings.ToLower(col)
		if lower == "id" || lower == "_raw" || strings.HasPrefix(lower, "_ferry_") {
			return nil, ferry.Errorf(ferry.EINVALID, "sync %s: column name %q for field %q is reserved (id, _raw and _ferry_* are Ferry's); rename it", cfg.Name, col, name)
		}
		if prev, ok := used[lower]; ok {
			return nil, ferry.Errorf(ferry.EINVALID, "sync %s: fields %q and %q both map to column %q; rename one", cfg.Name, prev, name, col)
		}
		used[lower] = name
		p.Table.Columns = append(p.Table.Columns, database.Column{Name: col, Type: typ, Path: name})
		p.paths = append(p.paths, path)
		if _, ok := p.top[path[0]]; !ok {
			p.top[path[0]] = len(p.top)
		}
	}
	var stray []string
	for from := range cfg.Rename {
		if !selected[from] {
			stray = append(stray, from)
		}
	}
	if len(stray) > 0 {
		sort.Strings(stray)
		return nil, ferry.Errorf(ferry.EINVALID, "sync %s: rename names fields that are not selected: %s (selected: %s)", cfg.Name, strings.Join(stray, ", "), strings.Join(fields, ", "))
	}
	return p, nil
}

// FieldError says why one field of one record could not be coerced.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %s: %v", e.Field, e.Err) }

// Row converts a record. Fields that fail coercion are left nil and
// reported; the row is still usable (see the package comment). String and
// JSON values share memory with rec.Raw instead of copying it. One pass over
// the record's top level finds every selected field.
func (p *Plan) Row(rec ferry.Record) (database.Row, []*FieldError) {
	row := database.Row{ID: rec.ID, Raw: rec.Raw, Values: make([]any, len(p.paths))}
	tops := make([][]byte, len(p.top))
	err := jsonscan.Members(rec.Raw, func(k, v []byte) {
		var key string
		if bytes.IndexByte(k, '\\') < 0 {
			key = alias(k)
		} else {
			key = jsonscan.Unescape(k)
		}
		if j, ok := p.top[key]; ok {
			tops[j] = v // a later duplicate wins, as in encoding/json and jsonb
		}
	})
	if err != nil {
		return row, []*FieldError{{Field: "_raw", Err: err}}
	}
	var errs []*FieldError
	for i, path := range p.paths {
		raw := tops[p.top[path[0]]]
		ok := raw != nil
		for _, key := range path[1:] {
			if raw, ok, err = jsonscan.Member(raw, key); !ok || err != nil {
				ok = false // a nested path through a non-object: NULL
				break
			}
		}
		if !ok {
			continue // absent: NULL
		}
		v, err := Coerce(raw, p.Table.Columns[i].Type)
		if err != nil {
			errs = append(errs, &FieldError{Field: p.Table.Columns[i].Path, Err: err})
			continue
		}
		row.Values[i] = v
	}
	return row, errs
}

// Coerce converts one JSON value to the Go type a destination column of type
// t takes: nil, string, int64, float64, bool, time.Time (UTC) or, for JSON,
// the JSON text as a string.
func Coerce(raw json.RawMessage, t ferry.FieldType) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch t {
	case ferry.JSON:
		return alias(raw), nil
	case ferry.String:
		if raw[0] == '"' {
			if len(raw) >= 2 && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 && utf8.Valid(raw[1:len(raw)-1]) {
				return alias(raw[1 : len(raw)-1]), nil
			}
			var s string
			err := json.Unmarshal(raw, &s)
			return s, err
		}
		return alias(raw), nil // numbers, booleans and objects as their JSON text
	case ferry.Boolean:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("want a boolean, got %s", clip(raw))
		}
		return b, nil
	case ferry.Integer:
		s := unquote(raw)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %s", clip(raw))
		}
		return n, nil
	case ferry.Number:
		f, err := strconv.ParseFloat(unquote(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", clip(raw))
		}
		return f, nil
	case ferry.Timestamp:
		s := unquote(raw)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ts.UTC(), nil
		}
		return nil, fmt.Errorf("want unix seconds or an RFC 3339 time, got %s", clip(raw))
	}
	return nil, fmt.Errorf("unknown field type %q", t)
}

func unquote(raw json.RawMessage) string {
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

func clip(raw json.RawMessage) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}
