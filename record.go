package ferry

import "encoding/json"

// FieldType is the type of an object's field, mapped by each destination to
// a column type (see docs/types.md).
type FieldType string

const (
	String    FieldType = "string"
	Integer   FieldType = "integer"
	Number    FieldType = "number"
	Boolean   FieldType = "boolean"
	Timestamp FieldType = "timestamp" // unix seconds at the provider, a time in the destination
	JSON      FieldType = "json"      // objects and arrays, kept as JSON
)

// Field is one top-level attribute of a provider object.
type Field struct {
	Name string
	Type FieldType
}

// Object describes an object type a provider can sync (customers, invoices).
type Object struct {
	Name   string
	Fields []Field // "id" first
}

// Field returns the named field and whether the object has it.
func (o Object) Field(name string) (Field, bool) {
	for _, f := range o.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames lists the object's field names in order.
func (o Object) FieldNames() []string {
	names := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		names[i] = f.Name
	}
	return names
}

// Record is one provider object as fetched, or the tombstone of a deleted one.
type Record struct {
	ID      string
	Created int64           // provider creation time, unix seconds; 0 when unknown
	Raw     json.RawMessage // the whole object as the provider sent it
	Deleted bool            // the object was deleted at the provider
}

// Range is a slice of an object's full listing, in the provider's own
// ordering key (for Stripe: the created time in unix seconds). Lo is
// inclusive, Hi exclusive; Hi == 0 means unbounded.
type Range struct {
	Lo int64 `json:"lo"`
	Hi int64 `json:"hi"`
}

// Watermark is a tie-safe position in a change feed: a time and the id of
// the last item seen at that time.
type Watermark struct {
	Time int64  `json:"time"`
	ID   string `json:"id,omitempty"`
}

// IsZero reports whether the watermark was never set.
func (w Watermark) IsZero() bool { return w.Time == 0 && w.ID == "" }
