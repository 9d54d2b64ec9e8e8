package transform

import "unsafe"

// alias returns b as a string without copying. The caller guarantees b is
// never modified afterwards: here b is part of a record's raw JSON, which
// nothing writes to once fetched.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
