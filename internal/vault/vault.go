// Package vault encrypts credentials at rest with AES-256-GCM. Every sealed
// value names the key that sealed it, so keys can be rotated: the first key
// of a Vault seals, all of its keys open.
//
// Sealed format: "v1:<kid>:<base64url(nonce||ciphertext)>", where kid is the
// first 8 hex characters of the SHA-256 of the key. The prefix "v1:<kid>" is
// authenticated as additional data, so a value cannot be relabelled.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ferrysync/ferry"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

const version = "v1"

// Vault seals and opens credentials. It is safe for concurrent use.
type Vault struct {
	keys []key // keys[0] seals
}

type key struct {
	id   string
	aead cipher.AEAD
}

// New returns a Vault that seals with the first key and opens with any of
// them. Each key must be KeySize bytes.
func New(keys ...[]byte) (*Vault, error) {
	if len(keys) == 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "vault: no encryption key given")
	}
	v := &Vault{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, ferry.Errorf(ferry.EINVALID, "vault: key %d is %d bytes, want %d", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		v.keys = append(v.keys, key{id: KeyID(k), aead: aead})
	}
	return v, nil
}

// KeyID returns the id a key is known by in sealed values: the first 8 hex
// characters of its SHA-256. It reveals nothing usable about the key.
func KeyID(k []byte) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:4])
}

// KeyID returns the id of the key that seals.
func (v *Vault) KeyID() string { return v.keys[0].id }

// Seal encrypts plain with the first key.
func (v *Vault) Seal(plain string) (string, error) {
	k := v.keys[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("vault: read random nonce: %w", err)
	}
	prefix := version + ":" + k.id
	out := k.aead.Seal(nonce, nonce, []byte(plain), []byte(prefix))
	return prefix + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed by Seal with any of the vault's keys. A value
// sealed with another key, or altered, is an EINVALID error; the error never
// contains the plaintext nor the sealed value.
func (v *Vault) Open(sealed string) (string, error) {
	ver, rest, ok1 := strings.Cut(sealed, ":")
	kid, body, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || ver != version {
		return "", ferry.Errorf(ferry.EINVALID, "encrypted value is not in the %s format (corrupt or not encrypted by Ferry)", version)
	}
	var k *key
	for i := range v.keys {
		if v.keys[i].id == kid {
			k = &v.keys[i]
			break
		}
	}
	if k == nil {
		return "", ferry.Errorf(ferry.EINVALID,
			"encrypted value was sealed with key id %s, which is not configured (configured: %s): FERRY_SECRET_KEY must be the key it was sealed with",
			kid, v.ids())
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", ferry.Errorf(ferry.EINVALID, "encrypted value (key id %s) is corrupt", kid)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(ver+":"+kid))
	if err != nil {
		return "", ferry.Errorf(ferry.EINVALID, "encrypted value (key id %s) failed authentication: it was altered or is corrupt", kid)
	}
	return string(plain), nil
}

func (v *Vault) ids() string {
	ids := make([]string, len(v.keys))
	for i, k := range v.keys {
		ids[i] = k.id
	}
	return strings.Join(ids, ", ")
}
