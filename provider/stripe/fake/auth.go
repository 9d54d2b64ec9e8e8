package fake

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authenticate checks the secret key the way Stripe takes it: a Bearer token,
// or HTTP basic auth with the key as the user name.
func (s *Server) authenticate(r *http.Request) *Error {
	key := ""
	if user, _, ok := r.BasicAuth(); ok {
		key = user
	} else if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return errBadKey(h)
		}
		key = strings.TrimSpace(token)
	}
	if key == "" {
		return errNoKey()
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
		return errBadKey(key)
	}
	return nil
}

// maskKey hides a key the way Stripe does in its error messages: the
// "sk_test_" style prefix and the last four characters stay, the rest becomes
// asterisks. A key too short to keep anything is all asterisks.
func maskKey(key string) string {
	prefix := ""
	if i := strings.Index(key, "_"); i >= 0 {
		if j := strings.Index(key[i+1:], "_"); j >= 0 && i+1+j+1 <= 16 {
			prefix = key[:i+1+j+1]
		}
	}
	rest := key[len(prefix):]
	if len(rest) <= 4 {
		return prefix + strings.Repeat("*", len(rest))
	}
	return prefix + strings.Repeat("*", len(rest)-4) + rest[len(rest)-4:]
}
