package ferry

import "log/slog"

// Secret holds a credential (API key, DSN with password, token). Every way it
// can be printed, formatted, marshalled or logged shows a redaction; only
// Reveal returns the value, at the point of use.
type Secret struct{ v string }

// NewSecret wraps a plaintext credential.
func NewSecret(v string) Secret { return Secret{v: v} }

const redacted = "[redacted]"

// Reveal returns the plaintext. Call it only where the credential is used.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no value is set.
func (s Secret) IsZero() bool { return s.v == "" }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON keeps the value out of JSON output.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText keeps the value out of text encodings (YAML, flags).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
