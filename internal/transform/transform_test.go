package transform

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/google/go-cmp/cmp"
)

var customers = ferry.Object{Name: "customers", Fields: []ferry.Field{
	{Name: "id", Type: ferry.String}, {Name: "email", Type: ferry.String}, {Name: "balance", Type: ferry.Integer},
	{Name: "created", Type: ferry.Timestamp}, {Name: "delinquent", Type: ferry.Boolean},
	{Name: "metadata", Type: ferry.JSON}, {Name: "address", Type: ferry.JSON}, {Name: "score", Type: ferry.Number},
}}

func TestPlanColumns(t *testing.T) {
	t.Parallel()
	p, err := New(customers, ferry.SyncConfig{Name: "c", Table: "stripe_customers",
		Fields: []string{"id", "email", "created", "address.city"}, Rename: map[string]string{"email": "email_address"}})
	if err != nil {
		t.Fatal(err)
	}
	want := database.Table{Name: "stripe_customers", Columns: []database.Column{
		{Name: "email_address", Type: ferry.String, Path: "email"},
		{Name: "created", Type: ferry.Timestamp, Path: "created"},
		{Name: "address_city", Type: ferry.String, Path: "address.city"},
	}}
	if diff := cmp.Diff(want, p.Table); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestPlanAllFieldsByDefault(t *testing.T) {
	t.Parallel()
	p, err := New(customers, ferry.SyncConfig{Name: "c", Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Table.Columns), len(customers.Fields)-1; got != want {
		t.Errorf("%d columns, want %d (every field but id)", got, want)
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  ferry.SyncConfig
		want string
	}{
		{"unknown field", ferry.SyncConfig{Table: "t", Fields: []string{"id", "emial"}}, `no field "emial" (valid: id, email,`},
		{"nested in scalar", ferry.SyncConfig{Table: "t", Fields: []string{"email.x"}}, "is a string, not an object"},
		{"stray rename", ferry.SyncConfig{Table: "t", Fields: []string{"id"}, Rename: map[string]string{"email": "e"}}, "rename names fields that are not selected: email"},
		{"reserved", ferry.SyncConfig{Table: "t", Fields: []string{"email"}, Rename: map[string]string{"email": "_raw"}}, "is reserved"},
		{"clash", ferry.SyncConfig{Table: "t", Fields: []string{"email", "balance"}, Rename: map[string]string{"balance": "EMAIL"}}, "both map to column"},
		{"bad column", ferry.SyncConfig{Table: "t", Fields: []string{"email"}, Rename: map[string]string{"email": "e-mail"}}, "letters, digits and underscores"},
		{"twice", ferry.SyncConfig{Table: "t", Fields: []string{"email", "email"}}, "listed twice"},
		{"no table", ferry.SyncConfig{Fields: []string{"email"}}, "table is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(customers, tc.cfg)
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (code %q), want EINVALID containing %q", err, ferry.ErrorCode(err), tc.want)
			}
		})
	}
}

func TestRow(t *testing.T) {
	t.Parallel()
	p, err := New(customers, ferry.SyncConfig{Table: "t", Fields: []string{"id", "email", "balance", "created", "delinquent", "metadata", "address.city", "score"}})
	if err != nil {
		t.Fatal(err)
	}
	raw := `{"id":"cus_1","email":"a\"b@x.io","balance":-9007199254740993,"created":1700000000,"delinquent":true,
		"metadata":{"k":"v"},"address":{"city":"Zürich"},"score":1.5}`
	row, errs := p.Row(ferry.Record{ID: "cus_1", Raw: json.RawMessage(raw)})
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	want := []any{`a"b@x.io`, int64(-9007199254740993), time.Unix(1700000000, 0).UTC(), true, `{"k":"v"}`, "Zürich", 1.5}
	if diff := cmp.Diff(want, row.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if row.ID != "cus_1" || string(row.Raw) != raw {
		t.Errorf("id/raw not carried: %q %q", row.ID, row.Raw)
	}
}

func TestRowBadFieldKeepsRow(t *testing.T) {
	t.Parallel()
	p, err := New(customers, ferry.SyncConfig{Table: "t", Fields: []string{"email", "balance", "address.city"}})
	if err != nil {
		t.Fatal(err)
	}
	row, errs := p.Row(ferry.Record{ID: "cus_2", Raw: json.RawMessage(`{"email":"e","balance":"lots","address":null}`)})
	if len(errs) != 1 || errs[0].Field != "balance" {
		t.Fatalf("errors = %v, want one for balance", errs)
	}
	if diff := cmp.Diff([]any{"e", nil, nil}, row.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func TestCoerce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		typ  ferry.FieldType
		want any
		bad  bool
	}{
		{`"x"`, ferry.String, "x", false},
		{`12`, ferry.String, "12", false},
		{`null`, ferry.Integer, nil, false},
		{`"42"`, ferry.Integer, int64(42), false},
		{`4.2`, ferry.Integer, nil, true},
		{`"2024-01-02T03:04:05Z"`, ferry.Timestamp, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), false},
		{`"yesterday"`, ferry.Timestamp, nil, true},
		{`[1, 2]`, ferry.JSON, `[1, 2]`, false},
		{`"true"`, ferry.Boolean, nil, true},
		{`1e3`, ferry.Number, 1000.0, false},
	} {
		got, err := Coerce(json.RawMessage(tc.raw), tc.typ)
		if (err != nil) != tc.bad || !cmp.Equal(got, tc.want) {
			t.Errorf("Coerce(%s, %s) = %v, %v; want %v, error %v", tc.raw, tc.typ, got, err, tc.want, tc.bad)
		}
	}
}

func FuzzCoerce(f *testing.F) {
	for _, s := range []string{`"x"`, `1`, `-1.5e9`, `true`, `{"a":1}`, `null`, `"2024-01-02T03:04:05Z"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, typ := range []ferry.FieldType{ferry.String, ferry.Integer, ferry.Number, ferry.Boolean, ferry.Timestamp, ferry.JSON} {
			v, err := Coerce(json.RawMessage(raw), typ)
			if err != nil && v != nil {
				t.Fatalf("Coerce(%q, %s) returned a value with an error", raw, typ)
			}
		}
	})
}
