package postgres

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// TestAppendValueMatchesPgx checks the hand-written binary COPY encoder
// against pgx's own binary encoding of the same values.
func TestAppendValueMatchesPgx(t *testing.T) {
	m := pgtype.NewMap()
	oids := map[ferry.FieldType]uint32{
		ferry.String: pgtype.TextOID, ferry.Integer: pgtype.Int8OID, ferry.Number: pgtype.Float8OID,
		ferry.Boolean: pgtype.BoolOID, ferry.Timestamp: pgtype.TimestamptzOID, ferry.JSON: pgtype.JSONBOID,
	}
	tests := []struct {
		typ ferry.FieldType
		v   any
	}{
		{ferry.String, ""}, {ferry.String, "héllo 🚀 'x' \"y\""},
		{ferry.Integer, int64(math.MinInt64)}, {ferry.Integer, int64(math.MaxInt64)}, {ferry.Integer, int64(0)}, {ferry.Integer, -1},
		{ferry.Number, 0.0}, {ferry.Number, -1.5e-300}, {ferry.Number, math.MaxFloat64}, {ferry.Number, math.Inf(-1)},
		{ferry.Boolean, true}, {ferry.Boolean, false},
		{ferry.Timestamp, time.Unix(0, 0)}, {ferry.Timestamp, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ferry.Timestamp, time.Date(2099, 12, 31, 23, 59, 59, 999999000, time.FixedZone("x", 3600))},
		{ferry.JSON, `{"a":[1,2]}`}, {ferry.JSON, `[]`},
	}
	for _, tc := range tests {
		got, ok := appendValue(nil, tc.typ, tc.v)
		if !ok {
			t.Errorf("%s %#v: refused", tc.typ, tc.v)
			continue
		}
		v := tc.v
		if n, isInt := v.(int); isInt {
			v = int64(n)
		}
		if tc.typ == ferry.JSON {
			v = json.RawMessage(v.(string))
		}
		enc := mustEncode(t, m, oids[tc.typ], v)
		want := append(binary.BigEndian.AppendUint32(nil, uint32(len(enc))), enc...) // length-prefixed field
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %#v: encoding differs from pgx (-pgx +ours):\n%s", tc.typ, tc.v, diff)
		}
	}
}

func mustEncode(t *testing.T, m *pgtype.Map, oid uint32, v any) []byte {
	t.Helper()
	b, err := m.Encode(oid, pgtype.BinaryFormatCode, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendValueRefusesWrongTypes(t *testing.T) {
	for _, tc := range []struct {
		typ ferry.FieldType
		v   any
	}{
		{ferry.String, 1}, {ferry.String, []byte("x")}, {ferry.Integer, "1"}, {ferry.Integer, 1.0},
		{ferry.Integer, uint64(math.MaxUint64)}, {ferry.Number, "1.5"}, {ferry.Boolean, 1}, {ferry.Boolean, "true"},
		{ferry.Timestamp, int64(1700000000)}, {ferry.Timestamp, "2024-01-01"}, {ferry.JSON, map[string]any{}}, {ferry.JSON, 1},
	} {
		if _, ok := appendValue(nil, tc.typ, tc.v); ok {
			t.Errorf("%s column took %T %#v", tc.typ, tc.v, tc.v)
		}
	}
}

func TestDedupeKeepsLastSorted(t *testing.T) {
	in := []database.Row{{ID: "b", Raw: []byte("1")}, {ID: "a", Raw: []byte("2")}, {ID: "b", Raw: []byte("3")}, {ID: "B"}, {ID: "a", Raw: []byte("4")}, {ID: "é"}}
	var got []string
	for _, r := range dedupe(in) {
		got = append(got, r.ID+"="+string(r.Raw))
	}
	want := []string{"B=", "a=4", "b=3", "é="}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dedupe (-want +got):\n%s", diff)
	}
	if in[0].ID != "b" || in[1].ID != "a" {
		t.Error("dedupe reordered its input")
	}
}
