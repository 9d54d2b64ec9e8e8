// Package jsonscan finds members of JSON objects without decoding them:
// a scan over the bytes that returns sub-slices, with no copy and no
// allocation. Providers use it to read an object's id and created time, and
// the transform to pick selected fields out of a record's raw JSON, both on
// the hot path of a backfill. It checks structure only as far as the scan
// goes; whoever stores the document validates it whole.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Members calls fn with the key and the value of each member of the JSON
// object obj, in order, as sub-slices of obj: no copy, no allocation. It
// fails when obj is not a well-formed object as far as the scan goes (the
// destination validates the whole document anyway).
func Members(obj []byte, fn func(key, val []byte)) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ErrNotObject
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return ErrNotObject
		}
		end, err := skipString(obj, i)
		if err != nil {
			return err
		}
		k := obj[i+1 : end-1]
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return ErrNotObject
		}
		i = skipSpace(obj, i+1)
		vend, err := skipValue(obj, i)
		if err != nil {
			return err
		}
		fn(k, obj[i:vend])
		i = skipSpace(obj, vend)
		if i >= len(obj) {
			break
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return nil
		default:
			return ErrNotObject
		}
	}
	return ErrNotObject
}

// Member returns the value of key in the object obj; with duplicate keys
// the last one wins, as in encoding/json and Postgres's jsonb.
func Member(obj []byte, key string) (val []byte, ok bool, err error) {
	err = Members(obj, func(k, v []byte) {
		if keyEquals(k, key) {
			val, ok = v, true
		}
	})
	return val, ok, err
}

// ErrNotObject: the input is not a well-formed JSON object.
var ErrNotObject = errors.New("not a JSON object")

func keyEquals(raw []byte, key string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == key // no allocation: the compiler compares in place
	}
	return Unescape(raw) == key
}

// Unescape decodes a key that has escapes (rare in provider JSON).
func Unescape(raw []byte) string {
	var s string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	if json.Unmarshal(quoted, &s) != nil {
		return string(raw)
	}
	return s
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, ErrNotObject
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, ErrNotObject
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, ErrNotObject
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if j == i {
		return 0, ErrNotObject
	}
	return j, nil
}
